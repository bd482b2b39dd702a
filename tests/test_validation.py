"""Pure validators: CLUES shape and prefix, coordinates inside Mexico, dates."""
from __future__ import annotations

from datetime import date

import pytest

from models.text import fold
from models.validation import normalize_clues, validate_clues, validate_coordinates, validate_past_date


@pytest.mark.parametrize("clues", ["BCIMB000355", "DFSSA003256", "BCSSA000913"])
def test_published_clues_are_valid(clues):
    assert validate_clues(clues, clues[:2], {"IMB", "SSA"}) is None


@pytest.mark.parametrize(
    "clues, fragment",
    [
        ("", "obligatoria"),
        ("BCIMB00035", "11 caracteres"),
        ("BCIMB00035X", "6 dígitos"),
        ("B1IMB000355", "2 letras"),
        ("SRIMB000355", "prefijo «BC»"),
        ("BCXYZ000355", "institución «XYZ»"),
    ],
)
def test_bad_clues_get_a_spanish_message_naming_the_problem(clues, fragment):
    message = validate_clues(clues, "BC", {"IMB", "SSA"})
    assert message is not None and fragment in message


def test_clues_are_normalised_before_validation():
    assert normalize_clues(" bc-imb 000355 ") == "BCIMB000355"


def test_coordinates_must_be_inside_mexico_and_in_pairs():
    assert validate_coordinates(None, None) == {}
    assert validate_coordinates(32.62, -115.45) == {}  # Mexicali
    assert validate_coordinates(20.97, -89.62) == {}  # Mérida
    assert "latitude" in validate_coordinates(40.4, -3.7)  # Madrid
    assert "longitude" in validate_coordinates(19.4, 99.1)  # sign forgotten
    assert "invertidas" in validate_coordinates(-99.13, 19.43)["latitude"]
    assert "longitude" in validate_coordinates(19.43, None)


def test_dates_cannot_be_in_the_future_or_absurdly_old():
    today = date(2026, 11, 23)
    assert validate_past_date(date(2024, 6, 30), "fecha", today) is None
    assert "posterior a hoy" in validate_past_date(date(2026, 11, 24), "fecha", today)
    assert "anterior" in validate_past_date(date(1850, 1, 1), "fecha", today)


def test_fold_ignores_accents_case_and_spacing():
    assert fold("  Querétaro ") == "queretaro"
    assert fold("MICHOACÁN   DE  OCAMPO") == "michoacan de ocampo"
    assert fold("Ñuñoa") == "nunoa"
