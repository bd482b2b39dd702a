"""Pre-print data-quality checks shared by the reports: the same rules the app applies elsewhere, run before a
report is produced; every finding becomes a line of the closing «Revisiones de calidad de datos» page.

(The totals check lives on the document itself: ``ReportDocument.check_total``.)
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from models.enums import LevelOfCare
from models.services.authorisations import ComplianceItem
from reports.framework import ReportDocument, fmt_date, fmt_int

LIST_LIMIT = 10


def listing(values: list[str], limit: int = LIST_LIMIT) -> str:
    """«A, B, C y 12 más» for a quality-page line."""
    head = ", ".join(values[:limit])
    return head + (f" y {fmt_int(len(values) - limit)} más" if len(values) > limit else "")


def check_levels(doc: ReportDocument, session: Session, state_id: int | None) -> int:
    """No active establishment without a level of care (or with a value outside the catalogue)."""
    # read the raw column: a value outside the enum would not load through the ORM
    valid = ", ".join(f"'{level.value}'" for level in LevelOfCare)
    sql = ("SELECT clues FROM establishments WHERE deleted_at IS NULL "
           f"AND (level_of_care IS NULL OR level_of_care NOT IN ({valid}))")
    params = {}
    if state_id is not None:
        sql += " AND state_id = :state_id"
        params["state_id"] = state_id
    bad = sorted(session.execute(text(sql), params).scalars())
    if bad:
        doc.problem("Nivel de atención", f"{fmt_int(len(bad))} establecimientos sin nivel de atención válido: "
                                         f"{listing(bad)}.")
    return len(bad)


def check_expired_not_current(doc: ReportDocument, items: Iterable[ComplianceItem], as_of: date) -> int:
    """No licence whose expiry date has passed at the cut-off date is counted as current."""
    bad = [i for i in items if i.current and i.expires_on is not None and i.expires_on < as_of]
    if bad:
        doc.problem("Vigencia", f"{fmt_int(len(bad))} autorizaciones vencidas antes del {fmt_date(as_of)} figuran "
                                f"como vigentes: {listing([f'{i.clues} {i.type_code}' for i in bad])}.")
    return len(bad)


def check_future_dates(doc: ReportDocument, items: Iterable[ComplianceItem], as_of: date) -> int:
    """No authorisation granted after the cut-off date is printed as obtained."""
    bad = [i for i in items if i.obtained and i.granted_on is not None and i.granted_on > as_of]
    if bad:
        doc.problem("Fechas", f"{fmt_int(len(bad))} autorizaciones con fecha de otorgamiento posterior al corte: "
                              f"{listing([f'{i.clues} {i.type_code}' for i in bad])}.")
    return len(bad)


__all__ = ["listing", "check_levels", "check_expired_not_current", "check_future_dates"]
