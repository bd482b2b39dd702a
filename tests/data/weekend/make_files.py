"""Regenerate the weekend-opening roster used by tests/test_weekend.py.

Run from the repository root::

    python3 tests/data/weekend/make_files.py

Writes ``roster_bc.xlsx``: a Baja California roster with a title row, a blank row, the header row
(row 3, with some headers written without accents) and one row per unit. The units it names must exist
in the test database (the test creates them): BCIMB000101 … BCIMB000110 first-level (BCIMB000107 is a
mobile unit, UMM), BCIMB000355 second-level, SRIMB000001 a Sonora unit.

Expected outcome for the Baja California office:

=====  ===========  ===========================================================================
Row    CLUES        Outcome
=====  ===========  ===========================================================================
4      BCIMB000101  new: open 7 days (M Mon–Fri, JA Sat–Sun, 2 doctors and a nurse since 01/03/2024)
5      BCIMB000102  new: two shifts Mon–Fri, Saturday morning, no Sunday; per-person contracts/dates
6      BCIMB000103  new: not viable, nothing else
7      BCIMB000104  new: night shift every day crossing midnight, start date 01/06/2030 (planned)
8      BCIMB000355  rejected (CLUES): second-level unit
9      BCIMB000900  rejected (CLUES): not registered
10     BCIMB000105  rejected (MARTES): the morning shift ends before it starts
11     BCIMB000106  rejected three times: VIABLE «QUIZÁ», LUNES hour 25:00, hire date in the future
12     SRIMB000001  skipped: another state
13     BCIMB000107  rejected (CLUES): mobile unit
14     BCIMB000101  rejected (CLUES): repeated, first in row 4
15     BCIMB000108  rejected (TIPO DE CONTRATACION): 3 values for 2 people
16     BCIMB000109  rejected (LUNES): unknown shift code «X»
17     BCIMB000110  rejected (MIERCOLES): accumulated weekend shift on a Wednesday
=====  ===========  ===========================================================================

The output is reproducible: document properties and zip entry times are fixed.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXED_STAMP = dt.datetime(2024, 7, 1, 9, 0, 0)

HEADERS = ["CLUES", "NOMBRE DE LA UNIDAD", "VIABLE", "LUNES", "MARTES", "MIERCOLES", "JUEVES", "VIERNES", "SABADO",
           "DOMINGO", "FECHA DE INICIO", "MÉDICO(S)", "ENFERMERA(S)", "TIPO DE CONTRATACION", "FECHA DE CONTRATACION"]
M = "M 08:00-14:00"
JA = "JA 08:00-20:00"
TWO = "M 07:00-15:00; V 14:00-21:00"
NIGHT = "N 20:00-08:00"
D = dt.date


def row(clues, name, viable="SÍ", days=("",) * 7, since=None, doctors="", nurses="", contract="", hired=None):
    return [clues, name, viable, *days, since, doctors, nurses, contract, hired]


ROWS = [
    row("BCIMB000101", "CS EL FLORIDO", "SÍ", (M, M, M, M, M, JA, JA), D(2024, 3, 2),
        "DRA. ANA LÓPEZ RUIZ; DR. JUAN PÉREZ SOTO", "ENF. MARÍA GÓMEZ", "EVENTUAL", D(2024, 3, 1)),
    row("BCIMB000102", "CS LOS PINOS", "si", (TWO, TWO, TWO, TWO, TWO, M, ""), "15/01/2024",
        "DR. LUIS MARTÍNEZ; VACANTE", "VACANTE", "BASE; EVENTUAL; EVENTUAL", "15/01/2024; ;"),
    row("BCIMB000103", "CS EL SAUZAL", "NO"),
    row("BCIMB000104", "CS VALLE VERDE", "SÍ", (NIGHT,) * 7, D(2030, 6, 1), "DR. PEDRO RAMÍREZ", "", "", "10/02/2024"),
    row("BCIMB000355", "HOSPITAL GENERAL MEXICALI", "SÍ", (M,) * 7, D(2024, 3, 2), "DR. X"),
    row("BCIMB000900", "CS INEXISTENTE", "SÍ", (M,) * 7),
    row("BCIMB000105", "CS LA MESA", "SÍ", (M, "M 14:00-08:00", M, M, M, JA, JA), D(2024, 3, 2), "DR. Y"),
    row("BCIMB000106", "CS OTAY", "QUIZÁ", ("M 25:00-14:00", M, M, M, M, JA, JA), D(2024, 3, 2), "DR. Z", "", "",
        D(2099, 1, 1)),
    row("SRIMB000001", "CS HERMOSILLO", "SÍ", (M,) * 7),
    row("BCIMB000107", "UMM TECATE", "SÍ", (M,) * 7),
    row("BCIMB000101", "CS EL FLORIDO", "SÍ", (M,) * 7),
    row("BCIMB000108", "CS PLAYAS", "SÍ", (M, M, M, M, M, JA, JA), D(2024, 3, 2), "DR. A; DR. B", "",
        "BASE; EVENTUAL; BASE"),
    row("BCIMB000109", "CS ROSARITO", "SÍ", ("X 08:00-14:00", M, M, M, M, JA, JA)),
    row("BCIMB000110", "CS TECATE", "SÍ", (M, M, JA, M, M, JA, JA)),
]


def normalize_zip(path: Path) -> None:
    """Rewrite the xlsx with fixed entry times and a fixed modification date (reproducible bytes)."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    stamp = FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for info, data in entries:
            if info.filename == "docProps/core.xml":
                data = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>",
                              data.decode("utf-8")).encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())


def write_roster(path: Path, rows: list[list], title: str = "Apertura en fin de semana — Baja California") -> Path:
    """A roster workbook: title, blank row, headers, rows (dates as real date cells)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Plantilla"
    sheet.append([title])
    sheet.append([])
    sheet.append(HEADERS)
    for values in rows:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    book.properties.creator = "Coordinación Estatal"
    book.properties.created = FIXED_STAMP
    book.save(path)
    normalize_zip(path)
    return path


if __name__ == "__main__":
    print(write_roster(HERE / "roster_bc.xlsx", ROWS))
