"""Parsing spreadsheet cells: text, numbers with a decimal comma, dates in any usual form, numeric keys."""
from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

from models.text import tidy

_EXCEL_EPOCH = date(1899, 12, 30)
_FORMULA_CHARS = ("=", "+", "-", "@", "\t")
_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d", "%d/%m/%y", "%Y-%m-%d %H:%M:%S")


class CellError(ValueError):
    """A cell that cannot be read as what the field needs; message in Spanish."""


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def unneutralise(text: str) -> str:
    """Undo the export's formula guard: ``'=x`` → ``=x`` (only before a character a spreadsheet would run)."""
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_CHARS:
        return text[1:]
    return text


def to_text(value: object) -> str:
    """Any cell as trimmed text; integral numbers lose their ``.0``; dates become dd/mm/yyyy."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "SÍ" if value else "NO"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return unneutralise(tidy(value))


def to_float(value: object) -> float | None:
    """A number, also from text with a decimal comma (``"20,5881"``). None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("Se esperaba un número.")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise CellError(f"«{tidy(value)}» no es un número.") from None
    if math.isnan(number) or math.isinf(number):
        raise CellError(f"«{tidy(value)}» no es un número.")
    return number


def to_date(value: object) -> date | None:
    """A date from a date cell, an Excel serial number or text (dd/mm/aaaa, aaaa-mm-dd, …). None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:  # Excel serial day numbers up to 9999-12-31
            return _EXCEL_EPOCH + timedelta(days=int(value))
        raise CellError(f"«{value}» no es una fecha.")
    text = tidy(value)
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()  # type: ignore[union-attr]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(f"«{text}» no es una fecha válida (use dd/mm/aaaa).")


def to_code(value: object, digits: int) -> str:
    """A numeric key padded with its leading zeros (``14`` → ``"014"``); the catalogue loses them."""
    text = to_text(value)
    if not text:
        return ""
    if not text.isdigit():
        raise CellError(f"«{text}» no es una clave numérica.")
    if len(text) > digits:
        raise CellError(f"«{text}» tiene más de {digits} dígitos.")
    return text.zfill(digits)


def neutralise(text: str) -> str:
    """Prefix an apostrophe so a spreadsheet shows ``=SUMA(…)`` as text instead of running it (CSV)."""
    if text and text[0] in _FORMULA_CHARS:
        return "'" + text
    return text


def needs_guard(text: str) -> bool:
    return bool(text) and text[0] in _FORMULA_CHARS


_NON_WORD = re.compile(r"[^0-9a-z]+")


def header_key(text: object) -> str:
    """A header as compared for mapping: accents, case, punctuation and spacing ignored."""
    from models.text import fold_raw

    return " ".join(_NON_WORD.sub(" ", fold_raw(to_text(text))).split())
