"""Regenerate the assignment-list test files in this folder (regions and zones import).

Run from the repository root::

    python3 tests/data/regions/make_files.py

The files imitate the list a state office keeps of its establishments' operating region, medical
service zone, coordinating hospital and referral hospital. They refer to the Baja California
establishments that ``tests/test_regions.py`` registers first (``BC_ESTABLISHMENTS`` there);
``README.md`` beside this script lists every row and the expected outcome. Only openpyxl is needed.
The output is byte-for-byte reproducible (fixed document properties and zip entry times).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
FIXED_STAMP = dt.datetime(2024, 7, 1, 9, 0, 0)
HEADERS = ["CLUES", "NOMBRE DE LA UNIDAD", "REGIÓN OPERATIVA", "ZONA DE SERVICIOS MÉDICOS", "COORDINA LA ZONA (SÍ/NO)",
           "CLUES HOSPITAL DE REFERENCIA"]

# A. Valid list: a title in A1, a blank row, the header in row 3, data from row 4. Names are spelled
# inconsistently on purpose (case, accents): they are the same region and zone.
VALID_ROWS = [
    ["BCIMB000010", "HOSPITAL GENERAL MEXICALI", "REGIÓN I MEXICALI", "ZSM MEXICALI", "SÍ", None],
    ["BCIMB000040", "HOSPITAL MATERNO INFANTIL MEXICALI", "Región I Mexicali", "ZSM Mexicali", "NO", None],
    ["BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "REGION I MEXICALI", "ZSM  MEXICALI", "NO", None],
    ["BCIMB000102", "CENTRO DE SALUD SAN FELIPE", "REGIÓN I MEXICALI", "ZSM MEXICALI", None, "BCIMB000040"],
    ["BCIMB000020", "HOSPITAL GENERAL TIJUANA", "REGIÓN II TIJUANA", "ZSM TIJUANA", "Sí", None],
    ["BCIMB000103", "CENTRO DE SALUD TIJUANA", "REGIÓN II TIJUANA", "ZSM TIJUANA", "NO", None],
    ["BCSSA000106", "CENTRO DE SALUD ROSARITO", "REGIÓN II TIJUANA", "ZSM TIJUANA", "NO", None],
    ["BCIMB000030", "HOSPITAL GENERAL ENSENADA", "REGIÓN III ENSENADA", "ZSM ENSENADA", "SI", None],
    ["BCIMB000104", "CENTRO DE SALUD ENSENADA", "REGIÓN III ENSENADA", "ZSM ENSENADA", "NO", "BCIMB000030"],
    ["SRIMB000001", "HOSPITAL GENERAL DEL ESTADO", "REGIÓN HERMOSILLO", "ZSM HERMOSILLO", "SÍ", None],
]

# B. One row per kind of error, between two valid rows; header in row 1, data from row 2.
ERROR_ROWS = [
    ["BCIMB000010", "HOSPITAL GENERAL MEXICALI", "REGIÓN I MEXICALI", "ZSM MEXICALI", "SÍ", None],  # 2 valid
    ["BCIMB999999", "NO REGISTRADO", "REGIÓN I MEXICALI", "ZSM MEXICALI", "NO", None],  # 3 unknown CLUES
    ["BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "REGIÓN I MEXICALI", "ZSM MEXICALI", "SÍ", None],  # 4 first level
    ["BCIMB000040", "HOSPITAL MATERNO INFANTIL MEXICALI", "REGIÓN I MEXICALI", "ZSM MEXICALI", "SÍ", None],  # 5 second coordinator
    ["BCIMB000102", "CENTRO DE SALUD SAN FELIPE", "REGIÓN II TIJUANA", "ZSM MEXICALI", "NO", None],  # 6 zone in two regions
    ["BCIMB000103", "CENTRO DE SALUD TIJUANA", "REGIÓN II TIJUANA", "ZSM TIJUANA", "NO", "BCIMB999998"],  # 7 referral unknown
    ["BCIMB000104", "CENTRO DE SALUD ENSENADA", "REGIÓN III ENSENADA", "ZSM ENSENADA", "NO", "BCIMB000105"],  # 8 referral 1st level
    ["BCIMB000010", "HOSPITAL GENERAL MEXICALI", "REGIÓN I MEXICALI", "ZSM MEXICALI", "SÍ", None],  # 9 repeated CLUES
    ["BCIMB000105", "CENTRO DE SALUD MANEADERO", "REGIÓN III ENSENADA", "ZSM ENSENADA", "TAL VEZ", None],  # 10 not SÍ/NO
    ["BCIMB12", "CLAVE MAL ESCRITA", "REGIÓN III ENSENADA", "ZSM ENSENADA", "NO", None],  # 11 bad CLUES
    ["BCIMB000107", "CENTRO DE SALUD TECATE", "REGIÓN III ENSENADA", None, "NO", None],  # 12 zone missing
    ["BCIMB000108", "CENTRO DE SALUD CERRADO", "REGIÓN III ENSENADA", "ZSM ENSENADA", "NO", None],  # 13 retired
    ["BCIMB000020", "HOSPITAL GENERAL TIJUANA", "REGIÓN II TIJUANA", "ZSM TIJUANA", "SÍ", None],  # 14 valid
    ["BCIMB000030", "HOSPITAL GENERAL ENSENADA", "REGIÓN III ENSENADA", "ZSM ENSENADA", "SÍ", "BCIMB000030"],  # 15 refers to itself
]


def normalize_zip(path: Path, fixes: dict[str, list[tuple[str, str]]]) -> None:
    """Rewrite the workbook with fixed zip entry times and the given text fixes (pinned timestamps)."""
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for info, data in entries:
            for pattern, replacement in fixes.get(info.filename, []):
                text, count = re.subn(pattern, replacement, data.decode("utf-8"))
                if not count:
                    raise RuntimeError(f"{path.name}: {pattern!r} not found in {info.filename}")
                data = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())


def write(path: Path, rows: list[list[object]], title: str | None) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "ASIGNACION"
    if title:
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append([])
    sheet.append(HEADERS)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for letter, width in zip("ABCDEF", (14, 40, 24, 28, 26, 30)):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    book.properties.creator = "Coordinación Estatal Baja California"
    book.properties.created = FIXED_STAMP
    book.save(path)
    stamp = FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    normalize_zip(path, {"docProps/core.xml": [
        (r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>")]})


def main() -> None:
    write(HERE / "asignacion_bc.xlsx", VALID_ROWS,
          "COORDINACIÓN ESTATAL BAJA CALIFORNIA — ASIGNACIÓN DE ESTABLECIMIENTOS A REGIONES Y ZONAS")
    write(HERE / "asignacion_errores_bc.xlsx", ERROR_ROWS, None)
    print("escritos: asignacion_bc.xlsx, asignacion_errores_bc.xlsx")


if __name__ == "__main__":
    main()
