"""Regenerate the CLUES-catalogue import test files in this folder.

Run from the repository root::

    python3 tests/data/import/make_files.py

The files are small, realistic imitations of the catalogue of health establishments (CLUES) that
DGIS publishes as Excel, plus two "hand-made" files (a messy re-typed sheet and an equivalence table
of old SSA keys to new IMSS-BIENESTAR keys). ``README.md`` beside this script lists every data row of
every file with its spreadsheet row number and the expected outcome of importing it.

Requirements, needed only to regenerate the files (the app and its tests only read them):

* openpyxl and pandas (already dependencies of the project),
* ``xlwt`` for the Excel 97 ``.xls`` file and ``odfpy`` for the ``.ods`` file; install them by hand::

      python3 -m pip install xlwt odfpy

The output is byte-for-byte reproducible: zip entry times and document timestamps are fixed, so
running the script again leaves ``git status`` clean.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Fixed timestamp written into every document's metadata and every zip entry (reproducibility).
FIXED_STAMP = dt.datetime(2024, 7, 1, 9, 0, 0)

# --------------------------------------------------------------------------------------------------
# A. Five valid establishments of Querétaro, DGIS layout
# --------------------------------------------------------------------------------------------------

HEADERS = [
    "CLUES", "CLAVE DE LA INSTITUCION", "NOMBRE DE LA INSTITUCION", "CLAVE DE LA ENTIDAD", "ENTIDAD",
    "CLAVE DEL MUNICIPIO", "MUNICIPIO", "CLAVE DE LA LOCALIDAD", "LOCALIDAD", "JURISDICCION",
    "NOMBRE TIPO ESTABLECIMIENTO", "NOMBRE DE TIPOLOGIA", "NOMBRE DE SUBTIPOLOGIA", "NOMBRE DE LA UNIDAD",
    "DOMICILIO", "CODIGO POSTAL", "ESTATUS DE OPERACION", "NIVEL ATENCION", "FECHA DE INICIO DE OPERACION",
    "LATITUD", "LONGITUD",
]

# Columns stored as numbers in the spreadsheet formats (leading zeros are lost, as in the DGIS file).
INT_COLUMNS = {"CLAVE DE LA ENTIDAD", "CLAVE DEL MUNICIPIO", "CLAVE DE LA LOCALIDAD", "CODIGO POSTAL"}
FLOAT_COLUMNS = {"LATITUD", "LONGITUD"}
DATE_COLUMNS = {"FECHA DE INICIO DE OPERACION"}

# Values as text exactly as the brief gives them; "" is an empty cell. Typed per column by typed_row().
QRO_ROWS: list[list[str]] = [
    ["QTIMB000012", "IMB", "IMSS-BIENESTAR", "22", "QUERÉTARO", "14", "QUERÉTARO", "1", "SANTIAGO DE QUERÉTARO",
     "JURISDICCIÓN SANITARIA I QUERÉTARO", "DE CONSULTA EXTERNA", "CENTRO DE SALUD", "CENTRO DE SALUD URBANO",
     "CENTRO DE SALUD LA CAÑADA", "AV. DEL MARQUÉS 12, LA CAÑADA", "76240", "EN OPERACION", "PRIMER NIVEL",
     "2003-05-14", "20.6121", "-100.3642"],
    ["QTIMB000027", "IMB", "IMSS-BIENESTAR", "22", "QUERÉTARO", "16", "SAN JUAN DEL RÍO", "1", "SAN JUAN DEL RÍO",
     "JURISDICCIÓN SANITARIA II SAN JUAN DEL RÍO", "DE HOSPITALIZACIÓN", "HOSPITAL GENERAL", "HOSPITAL GENERAL",
     "HOSPITAL GENERAL DE SAN JUAN DEL RÍO", "AV. LUIS PASTEUR 5", "76800", "EN OPERACION", "SEGUNDO NIVEL",
     "1985-11-02", "20.3886", "-99.9961"],
    ["QTIMB000035", "IMB", "IMSS-BIENESTAR", "22", "QUERÉTARO", "1", "AMEALCO DE BONFIL", "83",
     "SAN ILDEFONSO TULTEPEC", "JURISDICCIÓN SANITARIA III CADEREYTA", "DE CONSULTA EXTERNA",
     "CENTRO DE SALUD RURAL", "", "CENTRO DE SALUD SAN ILDEFONSO", "DOMICILIO CONOCIDO", "76870", "EN OPERACION",
     "PRIMER NIVEL", "", "20.3021", "-100.0103"],
    ["QTIMB000041", "IMB", "IMSS-BIENESTAR", "22", "QUERÉTARO", "9", "JALPAN DE SERRA", "1", "JALPAN DE SERRA",
     "JURISDICCIÓN SANITARIA IV JALPAN", "DE HOSPITALIZACIÓN", "HOSPITAL COMUNITARIO", "",
     "HOSPITAL COMUNITARIO JALPAN", "CALLE JUÁREZ S/N", "76340", "EN OPERACION", "SEGUNDO NIVEL", "1998-03-20",
     "21.2170", "-99.4726"],
    ["QTIMB000058", "IMB", "IMSS-BIENESTAR", "22", "QUERÉTARO", "13", "PEÑAMILLER", "1", "PEÑAMILLER",
     "JURISDICCIÓN SANITARIA III CADEREYTA", "DE CONSULTA EXTERNA", "UNIDAD MÉDICA MÓVIL", "",
     "UNIDAD MÉDICA MÓVIL PEÑAMILLER", "", "76450", "FUERA DE OPERACION TEMPORALMENTE", "PRIMER NIVEL",
     "2019-07-01", "", ""],
]

# Column widths (characters) for the xlsx/xls versions, like a real DGIS download.
QRO_WIDTHS = [14, 12, 18, 10, 14, 10, 22, 10, 26, 40, 24, 24, 26, 40, 34, 10, 34, 16, 14, 11, 11]


def typed_row(row: list[str]) -> list[object]:
    """The row with numeric keys as int, coordinates as float, dates as date, empty text as None."""
    out: list[object] = []
    for header, text in zip(HEADERS, row, strict=True):
        if text == "":
            out.append(None)
        elif header in INT_COLUMNS:
            out.append(int(text))
        elif header in FLOAT_COLUMNS:
            out.append(float(text))
        elif header in DATE_COLUMNS:
            out.append(dt.date.fromisoformat(text))
        else:
            out.append(text)
    return out


# --------------------------------------------------------------------------------------------------
# Reproducibility helpers
# --------------------------------------------------------------------------------------------------

def normalize_zip(path: Path, text_fixes: dict[str, list[tuple[str, str]]] | None = None) -> None:
    """Rewrite a zip-based document with fixed entry times, keeping entry order and compression.

    ``text_fixes`` maps an entry name to (regex, replacement) pairs applied to its text: to pin the
    timestamps that the writing library stamps inside the document, or to correct what it writes.
    """
    text_fixes = text_fixes or {}
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as dst:
        for info, data in entries:
            for pattern, replacement in text_fixes.get(info.filename, []):
                text, count = re.subn(pattern, replacement, data.decode("utf-8"))
                if not count:  # the writing library changed its output: fail loudly, not silently
                    raise RuntimeError(f"{path.name}: {pattern!r} not found in {info.filename}")
                data = text.encode("utf-8")
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            fixed.compress_type = info.compress_type
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, data)
    path.write_bytes(buffer.getvalue())


def save_openpyxl(workbook, path: Path, text_fixes: dict[str, list[tuple[str, str]]] | None = None) -> None:
    """Save an openpyxl workbook with fixed document properties and zip times, then apply ``text_fixes``."""
    workbook.properties.creator = "DGIS"
    workbook.properties.created = FIXED_STAMP
    workbook.save(path)
    stamp = FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    fixes = {"docProps/core.xml": [(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rf"\g<1>{stamp}\g<2>")]}
    fixes.update(text_fixes or {})
    normalize_zip(path, fixes)


# --------------------------------------------------------------------------------------------------
# A. Writers
# --------------------------------------------------------------------------------------------------

def write_qro_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "CLUES"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in QRO_ROWS:
        ws.append(typed_row(row))
    for col, header in enumerate(HEADERS, start=1):
        ws.column_dimensions[get_column_letter(col)].width = QRO_WIDTHS[col - 1]
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            if header in DATE_COLUMNS:
                cell.number_format = "dd/mm/yyyy"
            elif header in FLOAT_COLUMNS:
                cell.number_format = "0.0000"
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("Notas")
    notes["A1"] = ("Catálogo CLUES de prueba (Querétaro): datos de ejemplo para las pruebas de importación, "
                   "no oficiales.")
    save_openpyxl(wb, path)


def write_qro_xls(path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("CLUES")
    bold = xlwt.easyxf("font: bold on")
    date_style = xlwt.easyxf(num_format_str="dd/mm/yyyy")
    coord_style = xlwt.easyxf(num_format_str="0.0000")
    for col, header in enumerate(HEADERS):
        ws.write(0, col, header, bold)
        ws.col(col).width = 256 * QRO_WIDTHS[col]
    for r, row in enumerate(QRO_ROWS, start=1):
        for col, (header, value) in enumerate(zip(HEADERS, typed_row(row), strict=True)):
            if value is None:
                continue  # empty cell
            if header in DATE_COLUMNS:
                ws.write(r, col, value, date_style)
            elif header in FLOAT_COLUMNS:
                ws.write(r, col, value, coord_style)
            else:
                ws.write(r, col, value)
    wb.save(str(path))


def write_qro_ods(path: Path) -> None:
    from odf.number import DateStyle, Day, Month, Number, NumberStyle, Text as NumText, Year
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableCellProperties, TextProperties
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    date_fmt = DateStyle(name="N_DDMMYYYY")
    date_fmt.addElement(Day(style="long"))
    date_fmt.addElement(NumText(text="/"))
    date_fmt.addElement(Month(style="long"))
    date_fmt.addElement(NumText(text="/"))
    date_fmt.addElement(Year(style="long"))
    coord_fmt = NumberStyle(name="N_COORD")
    coord_fmt.addElement(Number(decimalplaces="4", minintegerdigits="1"))
    doc.automaticstyles.addElement(date_fmt)
    doc.automaticstyles.addElement(coord_fmt)
    head_style = Style(name="ce_head", family="table-cell")
    head_style.addElement(TextProperties(fontweight="bold"))
    head_style.addElement(TableCellProperties())
    date_style = Style(name="ce_date", family="table-cell", datastylename="N_DDMMYYYY")
    coord_style = Style(name="ce_coord", family="table-cell", datastylename="N_COORD")
    for style in (head_style, date_style, coord_style):
        doc.automaticstyles.addElement(style)

    table = Table(name="CLUES")
    header_row = TableRow()
    for header in HEADERS:
        cell = TableCell(valuetype="string", stylename=head_style)
        cell.addElement(P(text=header))
        header_row.addElement(cell)
    table.addElement(header_row)
    for row in QRO_ROWS:
        table_row = TableRow()
        for header, value in zip(HEADERS, typed_row(row), strict=True):
            if value is None:
                cell = TableCell()
            elif header in DATE_COLUMNS:
                cell = TableCell(valuetype="date", datevalue=value.isoformat(), stylename=date_style)
                cell.addElement(P(text=value.strftime("%d/%m/%Y")))
            elif header in FLOAT_COLUMNS:
                cell = TableCell(valuetype="float", value=repr(value), stylename=coord_style)
                cell.addElement(P(text=f"{value:.4f}"))
            elif header in INT_COLUMNS:
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                cell.addElement(P(text=value))
            table_row.addElement(cell)
        table.addElement(table_row)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))
    normalize_zip(path)  # odfpy puts no date in meta.xml; only the zip entry times need pinning


def write_qro_csv_utf8(path: Path) -> None:
    """UTF-8 without BOM, comma separator, '.' decimals, ISO dates, minimal quoting, LF line ends."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerows(QRO_ROWS)


def write_qro_csv_latin1(path: Path) -> None:
    """Windows-1252, ';' separator, decimal comma in coordinates, dd/mm/yyyy dates, CRLF (as Excel saves)."""
    lat, lon = HEADERS.index("LATITUD"), HEADERS.index("LONGITUD")
    date_col = HEADERS.index("FECHA DE INICIO DE OPERACION")
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerow(HEADERS)
        for row in QRO_ROWS:
            row = list(row)
            row[lat] = row[lat].replace(".", ",")
            row[lon] = row[lon].replace(".", ",")
            if row[date_col]:
                row[date_col] = dt.date.fromisoformat(row[date_col]).strftime("%d/%m/%Y")
            writer.writerow(row)


# --------------------------------------------------------------------------------------------------
# B. A messy, re-typed sheet
# --------------------------------------------------------------------------------------------------

MESSY_HEADERS = [
    "Clues", "NOMBRE  DE LA UNIDAD", "Nombre de la Entidad", "municipio", "Localidad", "Nivel de Atención",
    "Nombre de Tipología", "Estatus de Operación", "Latitud", "Longitud", "Código Postal", "Observaciones",
]

# Row 5 onwards. Floats/ints are number cells; strings are text cells (even "20,5210" and "76750").
MESSY_ROWS: list[list[object]] = [
    [" qtimb 000101", "Centro de Salud El Pueblito", "Querétaro", "Corregidora", "El Pueblito", "Primer nivel",
     "Centro de Salud", "En operación", 20.5390, -100.4410, 76900, None],
    ["QTIMB000102", "Centro de Salud Tequisquiapan", "QUERETARO", "Tequisquiapan", "Tequisquiapan", "PRIMER NIVEL",
     "CENTRO DE SALUD", "EN OPERACION", "20,5210", "-99,8890", "76750", "números guardados como texto"],
    ["QTIMB000101", "Centro de Salud Duplicado", "Querétaro", "Corregidora", "El Pueblito", "Primer nivel",
     "Centro de Salud", "En operación", 20.5391, -100.4411, 76900, "duplicado"],
    ["BCIMB000355", "Hospital General Mexicali", "Baja California", "Mexicali", "Mexicali", "Segundo nivel",
     "Hospital General", "En operación", 32.6245, -115.4523, 21000, "otra entidad"],
    ["QTIMB000103", "Centro de Salud Norte", "Querétaro", "Querétaro", "Querétaro", "Primer nivel",
     "Centro de Salud", "En operación", 95.0, -100.39, 76000, "coordenadas imposibles"],
    ["QTIMB000104", None, "Querétaro", "Colón", "Colón", "Primer nivel", "Centro de Salud", "En operación",
     20.78, -100.05, 76270, "sin nombre"],
    ["QTIMB000105", "Hospital Comunitario Cadereyta", "Querétaro", "Cadereyta de Montes", "Cadereyta",
     "Segundo Nivel", "Hospital Comunitario", "En Operación", 20.6930, -99.8170, 76500, None],
]

MESSY_WIDTHS = [16, 34, 20, 22, 18, 16, 22, 18, 10, 11, 13, 26]


def write_messy_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Hoja1"
    ws["A1"] = "CATÁLOGO DE ESTABLECIMIENTOS DE SALUD – QUERÉTARO"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells("A1:L1")
    ws["A2"] = "Fecha de corte: 30/06/2024"
    ws["A2"].font = Font(italic=True)
    ws.merge_cells("A2:L2")
    # Row 3 stays empty.
    for col, header in enumerate(MESSY_HEADERS, start=1):
        cell = ws.cell(row=4, column=col, value=header)
        cell.font = Font(bold=True)
        ws.column_dimensions[get_column_letter(col)].width = MESSY_WIDTHS[col - 1]
    for r, row in enumerate(MESSY_ROWS, start=5):
        for col, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=col, value=value)
            if isinstance(value, str) and col in (9, 10, 11):
                cell.number_format = "@"  # a text-formatted cell, as when numbers are typed as text
    # Trailing "blank" rows 12-15: 12 and 14 empty, 13 has a lone space in A, 15 an empty string in B.
    ws["A13"] = " "
    ws["B15"] = ""
    ws["B15"].number_format = "@"
    # openpyxl writes "" as a value-less <c r="B15" t="inlineStr"/>, which calamine drops (pandas then
    # sees only 13 rows); write a real empty string instead, so that every reader (openpyxl, calamine)
    # sees the used range reach row 15. openpyxl also omits xml:space="preserve" on text with leading
    # or trailing blanks, and calamine then reads A13's " " as ""; add it, as Excel does.
    sheet_fixes = [
        (r'<c r="B15"( s="\d+")? t="inlineStr"\s*/>', r'<c r="B15"\1 t="inlineStr"><is><t></t></is></c>'),
        (r"<t>(\s[^<]*|[^<]*\s)</t>", r'<t xml:space="preserve">\1</t>'),
    ]
    save_openpyxl(wb, path, {"xl/worksheets/sheet1.xml": sheet_fixes})


# --------------------------------------------------------------------------------------------------
# C. Old SSA key -> new IMSS-BIENESTAR key
# --------------------------------------------------------------------------------------------------

EQUIV_HEADERS = ["CLUES ANTERIOR (SSA)", "CLUES NUEVA (IMSS-BIENESTAR)", "NOMBRE DE LA UNIDAD"]
EQUIV_ROWS = [
    ["BCSSA000440", "BCIMB000355", "Hospital General Mexicali"],
    ["BCSSA000913", "BCIMB000734", "Hospital General Tijuana"],
    ["BCSSA000015", "BCIMB000010", "Hospital General Ensenada"],
    ["bcssa000999", "BCIMB000999", "Unidad inexistente"],
]


def write_equivalences_xlsx(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Equivalencias"
    ws.append(EQUIV_HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in EQUIV_ROWS:
        ws.append(row)
    for letter, width in zip("ABC", (22, 30, 30)):
        ws.column_dimensions[letter].width = width
    save_openpyxl(wb, path)


# --------------------------------------------------------------------------------------------------

WRITERS = {
    "clues_qro.xlsx": write_qro_xlsx,
    "clues_qro.xls": write_qro_xls,
    "clues_qro.ods": write_qro_ods,
    "clues_qro_utf8.csv": write_qro_csv_utf8,
    "clues_qro_latin1.csv": write_qro_csv_latin1,
    "clues_messy.xlsx": write_messy_xlsx,
    "equivalencias_bc.xlsx": write_equivalences_xlsx,
}


def main() -> None:
    for name, writer in WRITERS.items():
        path = HERE / name
        writer(path)
        print(f"{path.stat().st_size:>6} bytes  {path}")


if __name__ == "__main__":
    main()
