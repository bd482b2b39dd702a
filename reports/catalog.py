"""The reports the app prints, as one registry shared by the CLI and the GUI, and :func:`generate`.

A report module exposes ``build(session, request, *, signatories, out=None, progress=NO_PROGRESS) -> bytes``.
Modules are imported lazily by plain ``from reports import x`` statements (never ``importlib`` by name) so that
PyInstaller sees them. Only plain data (:class:`ReportRequest`, bytes) crosses threads.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType

from sqlalchemy.orm import Session

from models.importing.plan import NO_PROGRESS, Progress

# scope of a report: the office's state (or one chosen state); any state or all; always all states; one CLUES
STATE, ANY, NATIONAL, ESTABLISHMENT = "state", "any", "national", "establishment"


class ReportError(Exception):
    """A report cannot be produced as asked (unknown CLUES, no state chosen…); the message is for the user."""


@dataclass(frozen=True)
class ReportRequest:
    """What to print: the report kind, its scope, the cut-off date and (where it applies) a period."""

    kind: str
    as_of: date
    state_id: int | None = None        # None: all states (national scope)
    clues: str | None = None           # the establishment of «Ficha del establecimiento»
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class ReportKind:
    key: str
    title: str
    help: str
    scope: str
    has_period: bool
    module: Callable[[], ModuleType]


def _state():
    from reports import state
    return state


def _national():
    from reports import national
    return national


def _compliance():
    from reports import compliance
    return compliance


def _weekend():
    from reports import weekend
    return weekend


def _regions():
    from reports import regions
    return regions


def _establishment():
    from reports import establishment
    return establishment


REPORT_KINDS: dict[str, ReportKind] = {k.key: k for k in (
    ReportKind("state", "Informe de situación estatal",
               "el panorama completo de una entidad: establecimientos, regionalización, fin de semana, "
               "autorizaciones y calidad de datos", STATE, True, _state),
    ReportKind("national", "Informe nacional consolidado",
               "una fila por entidad y totales calculados de cada tabla (oficina nacional)", NATIONAL, True, _national),
    ReportKind("compliance", "Cumplimiento sanitario",
               "tabla de autorizaciones sanitarias con el detalle por establecimiento", ANY, True, _compliance),
    ReportKind("weekend", "Avance de apertura en fin de semana",
               "unidades que abren sábado y domingo frente a la meta, con su evolución", ANY, True, _weekend),
    ReportKind("regions", "Regionalización operativa",
               "regiones, zonas y supervisión zonal, registradas y publicadas", ANY, False, _regions),
    ReportKind("establishment", "Ficha del establecimiento",
               "todo sobre un establecimiento en una o dos páginas", ESTABLISHMENT, False, _establishment),
)}


def check_request(request: ReportRequest) -> str | None:
    """Why the request cannot be printed (Spanish), or None."""
    kind = REPORT_KINDS.get(request.kind)
    if kind is None:
        return f"Reporte desconocido: {request.kind}."
    if kind.scope == STATE and request.state_id is None:
        return "Elija la entidad del informe."
    if kind.scope == ESTABLISHMENT and not (request.clues or "").strip():
        return "Indique la CLUES del establecimiento."
    if request.period_start and request.period_end and request.period_start > request.period_end:
        return "El inicio del periodo es posterior a su fin."
    if request.period_end and request.period_end > request.as_of:
        return "El periodo termina después de la fecha de corte."
    return None


def generate(session: Session, request: ReportRequest, out: str | Path | None = None,
             progress: Progress = NO_PROGRESS) -> bytes:
    """Build the PDF of ``request`` (read-only: the session is never written); returns its bytes and writes ``out``."""
    from models.services.report_settings import get_signatories

    problem = check_request(request)
    if problem:
        raise ReportError(problem)
    kind = REPORT_KINDS[request.kind]
    if kind.scope == NATIONAL and request.state_id is not None:
        request = ReportRequest(request.kind, request.as_of, None, request.clues, request.period_start,
                                request.period_end)
    return kind.module().build(session, request, signatories=get_signatories(session), out=out, progress=progress)


__all__ = ["ReportRequest", "ReportKind", "ReportError", "REPORT_KINDS", "generate", "check_request",
           "STATE", "ANY", "NATIONAL", "ESTABLISHMENT"]
