"""Pure validators. Each returns a Spanish message for the user, or None when the value is valid."""
from __future__ import annotations

import re
from datetime import date

CLUES_PATTERN = re.compile(r"^[A-Z]{2}[A-Z]{3}\d{6}$")

# Mexico's extreme points, islands included (Guadalupe to the west, the Yucatán coast to the east,
# Suchiate to the south, Los Algodones to the north), with a small margin.
MEXICO_LAT = (14.4, 32.8)
MEXICO_LON = (-118.5, -86.6)
OLDEST_DATE = date(1900, 1, 1)


class ValidationError(Exception):
    """A record is not valid; ``errors`` maps each field name to its Spanish message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


def normalize_clues(text: str | None) -> str:
    """CLUES as stored: upper case, no spaces or hyphens."""
    return re.sub(r"[\s\-]", "", text or "").upper()


def validate_clues(clues: str, state_prefix: str | None, institutions: set[str] | None = None) -> str | None:
    """Shape (2 letters state, 3 letters institution, 6 digits), state prefix and known institution."""
    if not clues:
        return "La CLUES es obligatoria."
    example = f"{state_prefix or 'BC'}IMB000355"
    if len(clues) != 11:
        return f"La CLUES debe tener 11 caracteres (tiene {len(clues)}); p. ej. {example}."
    if not CLUES_PATTERN.match(clues):
        return f"La CLUES debe tener 2 letras de la entidad, 3 de la institución y 6 dígitos; p. ej. {example}."
    if state_prefix and clues[:2] != state_prefix:
        return f"La CLUES empieza con «{clues[:2]}», pero la entidad del establecimiento usa el prefijo «{state_prefix}»."
    if institutions is not None and clues[2:5] not in institutions:
        return f"La institución «{clues[2:5]}» de la CLUES no está en el catálogo de instituciones."
    return None


def validate_coordinates(latitude: float | None, longitude: float | None) -> dict[str, str]:
    """Both or neither; inside Mexico; catches swapped latitude/longitude."""
    errors: dict[str, str] = {}
    if latitude is None and longitude is None:
        return errors
    if latitude is None:
        errors["latitude"] = "Capture la latitud junto con la longitud."
        return errors
    if longitude is None:
        errors["longitude"] = "Capture la longitud junto con la latitud."
        return errors
    if MEXICO_LON[0] <= latitude <= MEXICO_LON[1] and MEXICO_LAT[0] <= longitude <= MEXICO_LAT[1]:
        errors["latitude"] = "Parece que la latitud y la longitud están invertidas."
        return errors
    if not MEXICO_LAT[0] <= latitude <= MEXICO_LAT[1]:
        errors["latitude"] = f"La latitud debe estar dentro de México (entre {MEXICO_LAT[0]} y {MEXICO_LAT[1]})."
    if not MEXICO_LON[0] <= longitude <= MEXICO_LON[1]:
        errors["longitude"] = (
            f"La longitud debe estar dentro de México (entre {MEXICO_LON[0]} y {MEXICO_LON[1]}; es negativa, al oeste)."
        )
    return errors


def validate_past_date(value: date | None, label: str, today: date | None = None) -> str | None:
    """A date that cannot be in the future nor before 1900."""
    if value is None:
        return None
    today = today or date.today()
    if value > today:
        return f"La {label} no puede ser posterior a hoy ({today:%d/%m/%Y})."
    if value < OLDEST_DATE:
        return f"La {label} no puede ser anterior a {OLDEST_DATE:%d/%m/%Y}."
    return None


def validate_required_text(value: str, label: str, max_length: int) -> str | None:
    """Non-empty text no longer than ``max_length``."""
    if not value.strip():
        return f"{label} es obligatorio."
    if len(value) > max_length:
        return f"{label} admite como máximo {max_length} caracteres (tiene {len(value)})."
    return None


def validate_optional_text(value: str, label: str, max_length: int) -> str | None:
    """Text no longer than ``max_length`` (may be empty)."""
    if len(value) > max_length:
        return f"{label} admite como máximo {max_length} caracteres (tiene {len(value)})."
    return None
