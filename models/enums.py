"""Closed vocabularies of the domain, each value with its Spanish label for the UI and reports."""
from __future__ import annotations

from enum import StrEnum


class LabeledEnum(StrEnum):
    """A string enum whose members carry a Spanish label."""

    @property
    def label(self) -> str:
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict[str, str]:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs in declaration order."""
        return [(m.value, m.label) for m in cls]


class LevelOfCare(LabeledEnum):
    """Nivel de atención."""

    PRIMER = "PRIMER"
    SEGUNDO = "SEGUNDO"
    TERCER = "TERCER"
    NO_APLICA = "NO_APLICA"

    @classmethod
    def _labels(cls):
        return {"PRIMER": "Primer nivel", "SEGUNDO": "Segundo nivel", "TERCER": "Tercer nivel", "NO_APLICA": "No aplica"}


class OperatingStatus(LabeledEnum):
    """Estatus de operación of an establishment."""

    EN_OPERACION = "EN_OPERACION"
    CERRADO_TEMPORALMENTE = "CERRADO_TEMPORALMENTE"
    EN_CONSTRUCCION = "EN_CONSTRUCCION"
    BAJA = "BAJA"

    @classmethod
    def _labels(cls):
        return {
            "EN_OPERACION": "En operación",
            "CERRADO_TEMPORALMENTE": "Cerrado temporalmente",
            "EN_CONSTRUCCION": "En construcción",
            "BAJA": "Baja (fuera de operación)",
        }


class ShiftKind(LabeledEnum):
    """Turno of a weekend-opening schedule."""

    MATUTINO = "MATUTINO"
    VESPERTINO = "VESPERTINO"
    NOCTURNO = "NOCTURNO"
    JORNADA_ACUMULADA = "JORNADA_ACUMULADA"

    @classmethod
    def _labels(cls):
        return {
            "MATUTINO": "Matutino",
            "VESPERTINO": "Vespertino",
            "NOCTURNO": "Nocturno",
            "JORNADA_ACUMULADA": "Jornada acumulada de fin de semana",
        }


class StaffRole(LabeledEnum):
    """Role of a person assigned to weekend shifts."""

    MEDICO = "MEDICO"
    ENFERMERIA = "ENFERMERIA"
    OTRO = "OTRO"

    @classmethod
    def _labels(cls):
        return {"MEDICO": "Médico(a)", "ENFERMERIA": "Enfermería", "OTRO": "Otro personal"}


class AuthorisationStatus(LabeledEnum):
    """Where a sanitary authorisation procedure stands."""

    REQUERIDA = "REQUERIDA"
    INTEGRANDO_EXPEDIENTE = "INTEGRANDO_EXPEDIENTE"
    INGRESADA = "INGRESADA"
    EN_TRAMITE = "EN_TRAMITE"
    OTORGADA = "OTORGADA"
    VIGENTE = "VIGENTE"
    POR_VENCER = "POR_VENCER"
    VENCIDA = "VENCIDA"
    REVOCADA = "REVOCADA"
    NO_APLICA = "NO_APLICA"

    @classmethod
    def _labels(cls):
        return {
            "REQUERIDA": "Requerida",
            "INTEGRANDO_EXPEDIENTE": "Integrando expediente",
            "INGRESADA": "Ingresada",
            "EN_TRAMITE": "En trámite",
            "OTORGADA": "Otorgada",
            "VIGENTE": "Vigente",
            "POR_VENCER": "Por vencer",
            "VENCIDA": "Vencida",
            "REVOCADA": "Revocada",
            "NO_APLICA": "No aplica",
        }


class UserRole(LabeledEnum):
    """What a user may do."""

    ADMINISTRADOR = "ADMINISTRADOR"
    COORDINADOR = "COORDINADOR"
    CAPTURISTA = "CAPTURISTA"
    CONSULTA = "CONSULTA"

    @classmethod
    def _labels(cls):
        return {
            "ADMINISTRADOR": "Administrador",
            "COORDINADOR": "Coordinador estatal",
            "CAPTURISTA": "Capturista",
            "CONSULTA": "Solo consulta",
        }
