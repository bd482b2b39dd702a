"""Read .xlsx, .xls, .ods and .csv files into rows of Python values, keeping spreadsheet row numbers.

Excel and OpenDocument go through pandas with the calamine engine (fast, reads all three formats).
CSV: UTF-8 (with or without BOM) or Windows-1252/Latin-1, comma, semicolon, tab or pipe, detected.
The header row is found among the first rows (titles and blank rows above it are skipped) as the row
that names the most known columns; rows that are entirely blank are dropped.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.importing.cells import header_key, is_blank, to_text

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
SUFFIXES = EXCEL_SUFFIXES | {".csv", ".txt"}
HEADER_SCAN_ROWS = 30


class ReadError(Exception):
    """The file cannot be read at all (missing, wrong format, damaged); message in Spanish."""


@dataclass
class SheetData:
    """A table read from a file: headers, data rows (cells as read) and each row's spreadsheet number."""

    source: str
    sheet: str | None
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    header_row: int = 1

    def __len__(self) -> int:
        return len(self.rows)

    def preview(self, count: int = 20) -> list[list[str]]:
        return [[to_text(v) for v in row] for row in self.rows[:count]]


def list_sheets(path: str | Path) -> list[str]:
    """Sheet names of a workbook; ``[]`` for CSV."""
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() not in EXCEL_SUFFIXES:
        return []
    try:
        from python_calamine import CalamineWorkbook

        return list(CalamineWorkbook.from_path(str(path)).sheet_names)
    except Exception as exc:  # noqa: BLE001 - any parser failure means an unreadable file
        raise ReadError(f"No se pudo leer el libro «{path.name}»: {exc}") from exc


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ReadError(f"No existe el archivo «{path}».")
    if path.suffix.lower() not in SUFFIXES:
        raise ReadError(f"«{path.name}» no es una hoja de cálculo: use un archivo .xlsx, .xls, .ods o .csv.")
    if path.stat().st_size == 0:
        raise ReadError(f"El archivo «{path.name}» está vacío.")


def read_raw(path: str | Path, sheet: str | None = None) -> tuple[list[list[Any]], str | None]:
    """Every row of the sheet (or CSV) as lists of cells, row i being spreadsheet row i + 1."""
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        import pandas as pd

        try:
            book = pd.ExcelFile(path, engine="calamine")  # opened once: sheet names and data
        except Exception as exc:  # noqa: BLE001 - any parser failure means an unreadable file
            raise ReadError(f"No se pudo leer el libro «{path.name}»: {exc}") from exc
        with book:
            sheets = list(book.sheet_names)
            if not sheets:
                raise ReadError(f"El libro «{path.name}» no tiene hojas.")
            if sheet is None:
                sheet = sheets[0]
            elif sheet not in sheets:
                raise ReadError(f"El libro «{path.name}» no tiene la hoja «{sheet}» (tiene: {', '.join(sheets)}).")
            try:
                frame = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
            except Exception as exc:  # noqa: BLE001
                raise ReadError(f"No se pudo leer la hoja «{sheet}» de «{path.name}»: {exc}") from exc
        frame = frame.astype(object).where(frame.notna(), None)
        return frame.values.tolist(), sheet
    return _read_csv(path), None


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_csv(path: Path) -> list[list[Any]]:
    import pandas as pd

    text = _decode(path.read_bytes())
    sample = "\n".join(text.splitlines()[:50])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in ",;\t|"}
        delimiter = max(counts, key=counts.get)  # type: ignore[arg-type]
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, header=None, dtype=str, keep_default_na=False,
            skip_blank_lines=False, engine="python" if delimiter == "|" else "c",
        )
    except Exception as exc:  # noqa: BLE001
        raise ReadError(f"No se pudo leer «{path.name}» como CSV: {exc}") from exc
    return frame.values.tolist()


def find_header_row(raw: list[list[Any]], known: set[str]) -> int:
    """Index of the row naming the most known headers among the first rows (first non-blank if none)."""
    best, best_score = None, 0
    for i, row in enumerate(raw[:HEADER_SCAN_ROWS]):
        score = sum(1 for v in row if not is_blank(v) and header_key(v) in known)
        if score > best_score:
            best, best_score = i, score
    if best is not None and best_score >= 2:
        return best
    for i, row in enumerate(raw):
        if any(not is_blank(v) for v in row):
            return i
    raise ReadError("La hoja no tiene datos.")


def read_sheet(path: str | Path, sheet: str | None = None, known_headers: set[str] | None = None) -> SheetData:
    """Read a file into a SheetData (header detected with ``known_headers``, blank rows dropped)."""
    raw, sheet_name = read_raw(path, sheet)
    if not raw:
        raise ReadError(f"La hoja de «{Path(path).name}» no tiene datos.")
    h = find_header_row(raw, known_headers or set())
    headers = [to_text(v) for v in raw[h]]
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1  # trailing unnamed columns
    headers = [name or f"Columna {i + 1}" for i, name in enumerate(headers[:width])]
    data = SheetData(str(Path(path).name), sheet_name, headers, header_row=h + 1)
    rows, numbers = data.rows, data.row_numbers
    for i in range(h + 1, len(raw)):
        row = raw[i]
        first = row[0] if row else None
        if first is None or (first.__class__ is str and not first.strip()) or first != first:  # blank or NaN
            if all(is_blank(v) for v in row[:width]):
                continue
        if len(row) != width:
            row = row[:width] + [None] * (width - len(row))
        rows.append(row)
        numbers.append(i + 1)
    return data
