"""Text helpers: accent- and case-insensitive folding for search, tidy-up of user and spreadsheet text."""
from __future__ import annotations

import re
import unicodedata
_SPACES = re.compile(r"\s+")


def tidy(text: object) -> str:
    """Trim and collapse runs of white space (spreadsheet text carries stray spaces)."""
    if text is None:
        return ""
    return _SPACES.sub(" ", str(text)).strip()


def fold_raw(text: str) -> str:
    """Lower-case and accent-free, white space left as it is (fast on one large string, too).

    Characters with no ASCII base letter are dropped; Spanish text keeps every letter (ñ → n).
    """
    return unicodedata.normalize("NFKD", text.casefold()).encode("ascii", "ignore").decode("ascii")


def fold(text: str) -> str:
    """Form used for searching: ``fold(" Querétaro ") == "queretaro"``; runs of spaces collapse to one."""
    return " ".join(fold_raw(text).split())


def format_int(value: int) -> str:
    """Thousands with a comma, as the offices print them (es-MX): 10,416."""
    return f"{value:,}"
