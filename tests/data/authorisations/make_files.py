"""Regenerate the authorisation spreadsheets used by tests/test_import_authorisations.py.

Run from the repository root::

    python3 tests/data/authorisations/make_files.py

``autorizaciones_bc.xlsx`` — a Baja California office list: a title row, a blank row, the headers in row 3
(some without accents), then:

=====  ===========  ==========================================================================
Row    CLUES        Outcome
=====  ===========  ==========================================================================
4      BCIMB000355  new: LIC_SAN by code, folio LS-2023-0001, Vigente, no expiry
5      BCIMB000734  updates its only LIC_SAN (no folio, Requerida) → En trámite, ingreso 01/02/2024
6      BCIMB000010  new: AVISO_FUNC by name (lower case), dates as date cells, Otorgada
7      BCIMB000355  new: LIC_CNSNS, Vigente until 2030, service RX added, responsable registered
8      BCIMB000355  new: PERMISO (blank status: Requerida), same service by name, same responsable
9      SRIMB000001  skipped: another state
=====  ===========  ==========================================================================

``autorizaciones_errores_bc.xlsx`` — headers in row 1, one kind of error per row (see the test), plus
row 14 (valid, new) and row 15 (the same procedure again).

Document properties are fixed so the files do not change when regenerated.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
FIXED_STAMP = dt.datetime(2024, 7, 1, 9, 0, 0)
HEADERS = ["CLUES", "TIPO DE AUTORIZACION", "AUTORIDAD", "FOLIO", "ESTATUS", "FECHA DE INGRESO",
           "FECHA DE OTORGAMIENTO", "FECHA DE VENCIMIENTO", "SERVICIO", "RESPONSABLE SANITARIO", "CEDULA PROFESIONAL"]

VALID = [
    ["BCIMB000355", "LIC_SAN", "COFEPRIS", "LS-2023-0001", "Vigente", "10/01/2023", "15/03/2023", None, None, None, None],
    ["BCIMB000734", "Licencia sanitaria", None, None, "En trámite", "01/02/2024", None, None, None, None, None],
    ["BCIMB000010", "aviso de funcionamiento (digipris)", "cofepris", "AV-77", "OTORGADA", dt.datetime(2022, 5, 5),
     dt.datetime(2022, 5, 6), None, None, None, None],
    ["BCIMB000355", "LIC_CNSNS", "CNSNS", "CNSNS-1", "VIGENTE", "01/01/2023", "01/06/2023", "01/06/2030", "RX",
     "Dra. Ana López Pérez", 1234567],
    ["BCIMB000355", "PERMISO", None, None, None, None, None, None, "Rayos X (diagnóstico médico)",
     "DRA. ANA LOPEZ PEREZ", "1234567"],
    ["SRIMB000001", "LIC_SAN", "COFEPRIS", "SON-1", "Vigente", "10/01/2023", "15/03/2023", None, None, None, None],
]

ERRORS = [
    [None, "LIC_SAN", None, "F-2", "Requerida", None, None, None, None, None, None],                      # 2
    ["BCIMB000999", "LIC_SAN", None, "F-3", "Requerida", None, None, None, None, None, None],             # 3
    ["BCIMB000355", "LICENCIA DE CONDUCIR", None, "F-4", None, None, None, None, None, None, None],        # 4
    ["BCIMB000355", "LIC_SAN", "IMSS", "F-5", None, None, None, None, None, None, None],                  # 5
    ["BCIMB000355", "LIC_SAN", None, "F-6", "Aprobadísima", None, None, None, None, None, None],          # 6
    ["BCIMB000355", "LIC_SAN", None, "F-7", "Ingresada", "31/02/2024", None, None, None, None, None],     # 7
    ["BCIMB000355", "LIC_SAN", None, "F-8", "Otorgada", "10/03/2024", "01/03/2024", None, None, None, None],  # 8
    ["BCIMB000355", "LIC_SAN", None, "F-9", "Vigente", "10/01/2024", "01/02/2024", "01/01/2024", None, None, None],  # 9
    ["BCIMB000355", "LIC_SAN", None, "F-10", "Vigente", None, "01/02/2024", None, None, None, None],      # 10
    ["BCIMB000355", "LIC_CNSNS", None, "F-11", "Requerida", None, None, None, "Tomografía", None, None],  # 11
    ["BCIMB000355", "AVISO_RESP", None, "F-12", "Requerida", None, None, None, None, "Dr. Equis", None],  # 12
    ["BCIMB000355", "AVISO_RESP", None, "F-13", "Requerida", None, None, None, "LAB", "Dr. Ye", "12A45"],  # 13
    ["BCIMB000734", "LIC_SAN", None, "F-14", "Requerida", None, None, None, None, None, None],            # 14
    ["BCIMB000734", "LIC_SAN", None, "F-14", "Requerida", None, None, None, None, None, None],            # 15
    ["BCIMB000734", "COMITE", None, None, "Requerida", None, None, None, None, None, None],               # 16
    ["BCIMB000010", "AVISO_RESP", None, "F-17", "Requerida", None, None, None, "URG", "Dr. Nuevo", None],  # 17
    ["BCIMB000010", "PERMISO", None, "F-18", "Ingresada", "01/01/2099", None, None, None, None, None],    # 18
]


def write(path: Path, rows: list[list], title: str | None = None) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Autorizaciones"
    if title:
        ws.append([title])
        ws.append([])
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    wb.properties.created = wb.properties.modified = FIXED_STAMP
    wb.properties.creator = wb.properties.lastModifiedBy = "pruebas"
    wb.save(path)


def main() -> None:
    write(HERE / "autorizaciones_bc.xlsx", VALID, "LICENCIAS Y AVISOS SANITARIOS — BAJA CALIFORNIA")
    write(HERE / "autorizaciones_errores_bc.xlsx", ERRORS)


if __name__ == "__main__":
    main()
