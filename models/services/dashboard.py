"""The home dashboard («Inicio»): the key figures of the office's state (or of the whole country, for the
national office) at a glance, as plain frozen data.

Every figure is the count behind a list elsewhere in the app, so the number on a card and the rows of the
list it opens agree:

* establishments by level of care and operating status — the active rows of the establishments list;
* units without zone — the length of ``regions.list_unassigned`` (the regions page's «sin zona» list);
* weekend opening — ``weekend.rollout_summary`` (target, open, progress; pending = viable − open, the
  weekend page's «Sólo pendientes»);
* authorisations — the rules of ``authorisations.compliance_items`` and ``authorisations.alerts`` (their
  helpers reused) over plain tuples: required / current / in process / not started by type, expiring in
  30 days, expired, services without responsable sanitario.

3,000 establishments with 3,000 procedures: ~0.2–0.3 s (the service functions alone would take ~2 s).
No Qt; reads only (the caller owns the session).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from sqlalchemy import String, and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from models.entities import (
    Authorisation,
    AuthorisationType,
    Establishment,
    EstablishmentService,
    Region,
    ResponsableSanitario,
    ServiceType,
    State,
    Typology,
    WeekendRecord,
    Zone,
)
from models.enums import AuthorisationStatus as AuthStatus
from models.enums import LevelOfCare, OperatingStatus
from models.services import authorisations as auth_svc
from models.services import region_figures
from models.services import weekend as weekend_svc

EXPIRING_DAYS = 30
NATIONAL_LABEL = "Nacional (todas las entidades)"


@dataclass(frozen=True)
class LevelFigure:
    """Active establishments of one level of care, and how many of them in each operating status."""

    level: str  # LevelOfCare value
    label: str
    count: int
    by_status: tuple[tuple[str, int], ...]  # (OperatingStatus value, count), in the enum's order

    def status_count(self, status: str) -> int:
        return next((n for s, n in self.by_status if s == status), 0)


@dataclass(frozen=True)
class EstablishmentFigures:
    """Active (not retired) establishments of the scope."""

    active: int
    levels: tuple[LevelFigure, ...]  # every level of care, in the enum's order (zero counts included)
    without_zone: int
    regions: int
    zones: int

    def level(self, value: str) -> LevelFigure:
        return next(f for f in self.levels if f.level == value)


@dataclass(frozen=True)
class WeekendFigures:
    """Weekend opening on the day: the state's row of the rollout summary (or the national total)."""

    label: str
    target: int | None
    eligible: int  # fixed first-level units, with or without a weekend record
    registered: int
    viable: int
    open_units: int
    progress: float | None  # open ÷ target × 100 (one decimal); None without a target
    pending: int  # viable, registered, not open 7 days (the page's «Sólo pendientes»)
    doctors_assigned: int
    doctors_needed: int | None

    @property
    def unregistered(self) -> int:
        return self.eligible - self.registered


@dataclass(frozen=True)
class AuthorisationTypeFigure:
    """One authorisation type: required procedures and how they stand."""

    code: str
    label: str
    required: int
    current: int
    in_process: int
    not_started: int

    @property
    def other(self) -> int:
        """Required but neither current, in process nor not started (file being assembled, expired, revoked)."""
        return self.required - self.current - self.in_process - self.not_started


@dataclass(frozen=True)
class AuthorisationFigures:
    """The compliance totals on the day and the alert counts."""

    required: int
    current: int
    in_process: int
    not_started: int
    current_percent: float | None  # current ÷ required × 100 (two decimals)
    expiring: int  # held, expiring within ``EXPIRING_DAYS`` (today included)
    expired: int
    services_without_responsable: int
    by_type: tuple[AuthorisationTypeFigure, ...]  # types with at least one required procedure

    @property
    def other(self) -> int:
        return self.required - self.current - self.in_process - self.not_started


@dataclass(frozen=True)
class DashboardData:
    """Everything the home dashboard shows, for one state (or the country) on one day."""

    state_id: int | None
    scope_label: str
    today: date
    establishments: EstablishmentFigures
    weekend: WeekendFigures
    authorisations: AuthorisationFigures


# ---------------------------------------------------------------------------------------------- parts

def establishment_figures(session: Session, state_id: int | None) -> EstablishmentFigures:
    """Active establishments by level and status (one grouped query), units without zone, regions and zones."""
    e = Establishment.__table__.c
    query = (select(type_coerce(e.level_of_care, String), type_coerce(e.operating_status, String), func.count())
             .where(e.deleted_at.is_(None)).group_by(e.level_of_care, e.operating_status))
    if state_id is not None:
        query = query.where(e.state_id == state_id)
    counts: dict[tuple[str, str], int] = {(lv, st): n for lv, st, n in session.execute(query)}
    levels = tuple(
        LevelFigure(level.value, level.label, sum(n for (lv, _s), n in counts.items() if lv == level.value),
                    tuple((status.value, counts.get((level.value, status.value), 0)) for status in OperatingStatus))
        for level in LevelOfCare)
    structure = region_figures.regions_summary(session, state_id).total
    return EstablishmentFigures(sum(counts.values()), levels, without_zone(session, state_id),
                                structure.regions, structure.zones)


def without_zone(session: Session, state_id: int | None) -> int:
    """Active establishments in no active zone of their own state: the length of ``regions.list_unassigned``
    (the regions page's «sin zona» list), counted in SQL; for the national office, over every state."""
    e, z, r = Establishment.__table__.c, Zone.__table__.c, Region.__table__.c
    in_zone = (select(z.id).join(Region.__table__, r.id == z.region_id)
               .where(z.id == e.zone_id, z.deleted_at.is_(None), r.deleted_at.is_(None), r.state_id == e.state_id)
               .exists())
    query = select(func.count(e.id)).where(e.deleted_at.is_(None), ~in_zone)
    if state_id is not None:
        query = query.where(e.state_id == state_id)
    return session.execute(query).scalar_one()


def weekend_figures(session: Session, state_id: int | None, today: date) -> WeekendFigures:
    """The state's rollout row (national: the overall total) on ``today``, and how many fixed first-level units
    there are and how many have a weekend record.

    Pending = viable − open: the rollout counts viable units among those with a record, and a unit open 7 days
    is always viable, so the difference is exactly the page's «Sólo pendientes» list (viable, registered, not
    open), without building the per-unit list and its reasons."""
    rows = weekend_svc.rollout_summary(session, today, state_id)
    level = "state" if state_id is not None else "total"
    row = next((r for r in rows if r.level == level), None)
    e, t, r = Establishment.__table__, Typology.__table__, WeekendRecord.__table__
    query = (select(func.count(e.c.id), func.count(r.c.id))
             .select_from(e.outerjoin(t, t.c.id == e.c.typology_id)
                          .outerjoin(r, and_(r.c.establishment_id == e.c.id, r.c.deleted_at.is_(None))))
             .where(weekend_svc._eligible_filter(e, t)))
    if state_id is not None:
        query = query.where(e.c.state_id == state_id)
    else:  # the rollout's scope: the adhered states
        query = query.where(e.c.state_id.in_(select(State.id).where(State.adhered.is_(True),
                                                                     State.deleted_at.is_(None))))
    eligible, registered = session.execute(query).one()
    if row is None:  # no adhered state (a national database whose catalogue marks none)
        return WeekendFigures("", None, eligible, registered, 0, 0, None, 0, 0, None)
    return WeekendFigures(row.label, row.target, eligible, registered, row.viable, row.open_units, row.progress,
                          row.viable - row.open_units, row.doctors_assigned, row.doctors_needed)


class _Procedure(NamedTuple):
    """The columns of a procedure that the compliance rules read (same names as the entity's)."""

    service_id: int | None
    required_override: bool | None
    override_reason: str
    status: AuthStatus
    expires_on: date | None


def authorisation_figures(session: Session, state_id: int | None, today: date) -> AuthorisationFigures:
    """Required / current / in process / not started on ``today`` by type and in total, and the alert counts.

    The same rules as ``authorisations.compliance_items`` and ``authorisations.alerts`` (their helpers are
    reused), read as plain tuples in five queries instead of ORM objects and one query per service: the
    service functions take ~1.5 s for 3,000 establishments, this ~0.1 s. ``tests/test_dashboard_service.py``
    checks both give the same numbers."""
    e = Establishment.__table__.c
    scope = [e.deleted_at.is_(None), e.operating_status.in_(list(auth_svc.ACTIVE_ESTABLISHMENT_STATUSES))]
    if state_id is not None:
        scope.append(e.state_id == state_id)
    levels = session.execute(select(e.id, type_coerce(e.level_of_care, String)).where(*scope)).all()
    types = list(session.scalars(select(AuthorisationType).where(AuthorisationType.deleted_at.is_(None))
                                 .order_by(AuthorisationType.id)))
    es, st = EstablishmentService.__table__.c, ServiceType.__table__.c
    services: dict[int, set[str]] = {}
    for est_id, code in session.execute(select(es.establishment_id, st.code).join(ServiceType.__table__,
                                                                                  st.id == es.service_type_id)
                                        .join(Establishment.__table__, e.id == es.establishment_id)
                                        .where(es.deleted_at.is_(None), *scope)).all():
        services.setdefault(est_id, set()).add(code)
    a = Authorisation.__table__.c
    by_establishment: dict[int, dict[int, list[_Procedure]]] = {}  # establishment → type → procedures
    statuses = {s.value: s for s in AuthStatus}
    for est_id, type_id, service_id, override, reason, status, expires_on in session.execute(
            select(a.establishment_id, a.type_id, a.service_id, a.required_override, a.override_reason,
                   type_coerce(a.status, String), a.expires_on)
            .join(Establishment.__table__, e.id == a.establishment_id)
            .where(a.deleted_at.is_(None), *scope).order_by(a.id)).all():
        by_establishment.setdefault(est_id, {}).setdefault(type_id, []).append(
            _Procedure(service_id, override, reason or "", statuses[status], expires_on))

    counts = {t.code: [0, 0, 0, 0] for t in types}  # required, current, in process, not started
    slots = [(t.id, counts[t.code]) for t in types]
    rules: dict[tuple[str, frozenset[str]], tuple[bool, ...]] = {}  # required by default, per type

    def defaults(key: tuple[str, frozenset[str]]) -> tuple[bool, ...]:
        if key not in rules:
            rules[key] = tuple(auth_svc.default_rule(key[0], set(key[1]), t) is not None for t in types)
        return rules[key]

    no_services: frozenset[str] = frozenset()
    frozen = {est_id: frozenset(codes) for est_id, codes in services.items()}
    without_procedures: dict[tuple[str, frozenset[str]], int] = {}  # (level, services) → establishments
    expiring = expired = 0
    for est_id, level in levels:
        key = (level, frozen.get(est_id, no_services))
        mine = by_establishment.get(est_id)
        if mine is None:
            without_procedures[key] = without_procedures.get(key, 0) + 1
            continue
        for (type_id, c), by_default in zip(slots, defaults(key)):
            rows = mine.get(type_id)
            if rows is None:  # no procedure: required by the rule alone, and then not started
                if by_default:
                    c[0] += 1
                    c[3] += 1
                continue
            if not auth_svc._pair_required(by_default, rows)[2]:
                continue
            live = [p for p in rows if p.status != AuthStatus.NO_APLICA and p.required_override is not False]
            if not live:  # required, only placeholders: not started
                c[0] += 1
                c[3] += 1
                continue
            for p in live:
                c[0] += 1
                c[1] += auth_svc._is_current_item(p.status, p.expires_on, today)
                c[2] += p.status in auth_svc.IN_PROCESS
                if p.status in auth_svc.NOT_STARTED:
                    c[3] += 1
                    continue
                left = (p.expires_on - today).days if p.expires_on else None
                if p.status == AuthStatus.VENCIDA or (p.status in auth_svc.HOLDING and left is not None and left < 0):
                    expired += 1
                elif p.status in auth_svc.HOLDING and left is not None and left <= EXPIRING_DAYS:
                    expiring += 1
    for key, n in without_procedures.items():
        for (_type_id, c), by_default in zip(slots, defaults(key)):
            if by_default:
                c[0] += n
                c[3] += n
    by_type = tuple(AuthorisationTypeFigure(t.code, t.name, *counts[t.code]) for t in types if counts[t.code][0])
    required, current, in_process, not_started = (sum(c[k] for c in counts.values()) for k in range(4))
    return AuthorisationFigures(required, current, in_process, not_started, auth_svc.percent(current, required),
                                expiring, expired, _services_without_responsable(session, scope, today), by_type)


def _services_without_responsable(session: Session, scope: list, today: date) -> int:
    """Active services of the scope's active establishments with no responsable sanitario on ``today``
    (``authorisations.services_without_responsable``, counted in one query)."""
    e, es, rs = Establishment.__table__.c, EstablishmentService.__table__.c, ResponsableSanitario.__table__.c
    current = (select(rs.id).where(rs.service_id == es.id, rs.deleted_at.is_(None),
                                   or_(rs.valid_from.is_(None), rs.valid_from <= today),
                                   or_(rs.valid_to.is_(None), rs.valid_to >= today)).exists())
    return session.execute(select(func.count(es.id)).select_from(EstablishmentService.__table__)
                           .join(Establishment.__table__, e.id == es.establishment_id)
                           .where(es.deleted_at.is_(None), *scope, ~current)).scalar_one()


# ---------------------------------------------------------------------------------------------- the whole

def dashboard(session: Session, state_id: int | None, today: date) -> DashboardData:
    """The home dashboard of a state (``state_id``) or of the national office (None) on ``today``."""
    if state_id is None:
        label = NATIONAL_LABEL
    else:
        label = session.scalars(select(State.name).where(State.id == state_id)).one()
    return DashboardData(state_id, label, today, establishment_figures(session, state_id),
                         weekend_figures(session, state_id, today), authorisation_figures(session, state_id, today))
