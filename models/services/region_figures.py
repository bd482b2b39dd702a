"""Registered regionalisation figures: the per-state summary in the shape of the published table, the
published figures from the catalogue, and the consistency panel of one state (figures side by side and
the checks an office cares about)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from models.entities import Establishment, PublishedRegionFigures, Region, State, SupervisionTeam, Zone
from models.services.regions import (
    HOSPITAL_LEVELS,
    UnitNode,
    _active_zones,
    _get,
    _in_chunks,
    _units,
    list_regions,
)
from models.text import fold

_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre")


@dataclass(frozen=True)
class SummaryRow:
    """One row of the per-state regionalisation table (or its total, with ``state_id`` None)."""

    state_id: int | None
    inegi_code: str
    state_name: str
    regions: int = 0
    zones: int = 0
    coordinating_hospitals: int = 0
    other_hospitals: int = 0
    supervision_teams: int = 0

    def figures(self) -> tuple[int, int, int, int, int]:
        return (self.regions, self.zones, self.coordinating_hospitals, self.other_hospitals, self.supervision_teams)


FIGURES = (
    ("regions", "Regiones operativas"),
    ("zones", "Zonas de servicios médicos"),
    ("coordinating_hospitals", "Hospitales coordinadores"),
    ("other_hospitals", "Otros hospitales en ZSM"),
    ("supervision_teams", "Equipos de supervisión zonal"),
)
TOTAL_LABEL = "Total"


@dataclass(frozen=True)
class RegionsSummary:
    """Rows in INEGI order and their total, always computed from the rows."""

    rows: list[SummaryRow]
    total: SummaryRow
    period_start: date | None = None
    period_end: date | None = None
    source: str = ""


@dataclass(frozen=True)
class FigureComparison:
    """One figure, registered here and published by the national office."""

    key: str
    label: str
    registered: int
    published: int | None

    @property
    def difference(self) -> int | None:
        return None if self.published is None else self.registered - self.published

    @property
    def differs(self) -> bool:
        return self.published is not None and self.registered != self.published


@dataclass(frozen=True)
class ZoneIssue:
    """A zone that needs attention, with the reason in Spanish."""

    zone_id: int
    zone_name: str
    region_name: str
    reason: str


@dataclass(frozen=True)
class CrossStateCoordinator:
    """A zone coordinated by a hospital of another state."""

    zone_id: int
    zone_name: str
    zone_state: str
    establishment_id: int
    clues: str
    establishment_name: str
    establishment_state: str


@dataclass(frozen=True)
class RegionIssue:
    """A region that needs attention."""

    region_id: int
    region_name: str
    reason: str


@dataclass
class ConsistencyReport:
    """The consistency panel of one state: figures against the published ones, and the checks."""

    state_id: int
    state_name: str
    comparisons: list[FigureComparison]
    period_label: str = ""
    source: str = ""
    zones_without_coordinator: list[ZoneIssue] = field(default_factory=list)
    cross_state_coordinators: list[CrossStateCoordinator] = field(default_factory=list)
    units_without_zone: list[UnitNode] = field(default_factory=list)
    regions_without_zones: list[RegionIssue] = field(default_factory=list)

    @property
    def differences(self) -> list[FigureComparison]:
        return [c for c in self.comparisons if c.differs]

    @property
    def clean(self) -> bool:
        """No difference with the published figures and no check failing."""
        return not (self.differences or self.zones_without_coordinator or self.cross_state_coordinators
                    or self.units_without_zone or self.regions_without_zones)


def _registered(session: Session, state_id: int | None = None) -> dict[int, dict[str, int]]:
    """Registered figures by state id: five grouped queries, whatever the number of states."""
    figures: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys((k for k, _l in FIGURES), 0))
    active_region = Region.deleted_at.is_(None)
    active_zone = Zone.deleted_at.is_(None)
    scope = [Region.state_id == state_id] if state_id is not None else []

    def collect(key: str, query) -> None:
        for st, count in session.execute(query.where(*scope).group_by(Region.state_id)):
            figures[st][key] = count

    collect("regions", select(Region.state_id, func.count(Region.id)).where(active_region))
    zone_join = select(Region.state_id, func.count(Zone.id)).join(Region, Zone.region_id == Region.id)
    collect("zones", zone_join.where(active_region, active_zone))
    collect("coordinating_hospitals", select(Region.state_id, func.count(distinct(Zone.coordinating_establishment_id)))
            .select_from(Zone).join(Region, Zone.region_id == Region.id)
            .join(Establishment, Establishment.id == Zone.coordinating_establishment_id)
            .where(active_region, active_zone, Establishment.deleted_at.is_(None),
                   Establishment.level_of_care.in_(HOSPITAL_LEVELS)))
    coordinators = (select(Zone.coordinating_establishment_id).join(Region, Zone.region_id == Region.id)
                    .where(active_region, active_zone, Zone.coordinating_establishment_id.is_not(None)))
    collect("other_hospitals", select(Region.state_id, func.count(Establishment.id)).select_from(Establishment)
            .join(Zone, Establishment.zone_id == Zone.id).join(Region, Zone.region_id == Region.id)
            .where(active_region, active_zone, Establishment.deleted_at.is_(None),
                   Establishment.level_of_care.in_(HOSPITAL_LEVELS), Establishment.id.not_in(coordinators)))
    collect("supervision_teams", select(Region.state_id, func.count(SupervisionTeam.id))
            .join(Region, SupervisionTeam.region_id == Region.id)
            .where(active_region, SupervisionTeam.deleted_at.is_(None)))
    return figures


def total_row(rows: list[SummaryRow]) -> SummaryRow:
    """The total of a table: the sum of its rows, never a typed figure."""
    sums = [sum(r.figures()[i] for r in rows) for i in range(len(FIGURES))]
    return SummaryRow(None, "", TOTAL_LABEL, *sums)


def _states(session: Session, state_id: int | None, extra: set[int]) -> list[tuple[int, str, str]]:
    """(id, INEGI code, short name as the published tables print it) of one state, or of the adhered states and those in ``extra``, in INEGI order."""
    query = select(State.id, State.inegi_code, State.short_name, State.adhered).order_by(State.inegi_code)
    if state_id is not None:
        query = query.where(State.id == state_id)
    return [(r[0], r[1], r[2]) for r in session.execute(query) if state_id is not None or r[3] or r[0] in extra]


def regions_summary(session: Session, state_id: int | None = None) -> RegionsSummary:
    """The registered structure in the shape of the published table: one row per state (the adhered states and
    any other with regions, in INEGI order; only ``state_id`` when given) and a computed total row."""
    figures = _registered(session, state_id)
    rows = [SummaryRow(sid, code, name, **figures[sid]) if sid in figures else SummaryRow(sid, code, name)
            for sid, code, name in _states(session, state_id, set(figures))]
    return RegionsSummary(rows, total_row(rows))


def _latest_published(session: Session, state_id: int | None = None) -> dict[int, PublishedRegionFigures]:
    query = select(PublishedRegionFigures).where(PublishedRegionFigures.deleted_at.is_(None))
    if state_id is not None:
        query = query.where(PublishedRegionFigures.state_id == state_id)
    latest: dict[int, PublishedRegionFigures] = {}
    for p in session.scalars(query):
        if p.state_id not in latest or p.period_end > latest[p.state_id].period_end:
            latest[p.state_id] = p
    return latest


def published_summary(session: Session, state_id: int | None = None) -> RegionsSummary:
    """The figures published by the national office (latest period of each state), with a computed total."""
    latest = _latest_published(session, state_id)
    states = {sid: (code, name) for sid, code, name in session.execute(select(State.id, State.inegi_code, State.short_name))}
    rows = sorted((SummaryRow(sid, states[sid][0], states[sid][1], p.regions, p.zones, p.coordinating_hospitals,
                              p.other_hospitals, p.supervision_teams) for sid, p in latest.items()),
                  key=lambda r: r.inegi_code)
    ends = {p.period_end for p in latest.values()}
    first = max(latest.values(), key=lambda p: p.period_end) if latest else None
    return RegionsSummary(rows, total_row(rows), first.period_start if first else None,
                          max(ends) if ends else None, first.source if first else "")


def period_label(start: date | None, end: date | None) -> str:
    """A period as the reports print it: «1 de enero – 30 de junio de 2024»."""
    if start is None or end is None:
        return ""
    head = f"{start.day} de {_MONTHS[start.month - 1]}" + (f" de {start.year}" if start.year != end.year else "")
    return f"{head} – {end.day} de {_MONTHS[end.month - 1]} de {end.year}"


def consistency(session: Session, state_id: int) -> ConsistencyReport:
    """The consistency panel of a state: registered against published figures, and the checks."""
    state = _get(session, State, state_id, "La entidad no existe.")
    registered = _registered(session, state_id).get(state_id, dict.fromkeys((k for k, _l in FIGURES), 0))
    published = _latest_published(session, state_id).get(state_id)
    report = ConsistencyReport(
        state_id, state.name,
        [FigureComparison(key, label, registered[key], getattr(published, key) if published else None)
         for key, label in FIGURES],
        period_label(published.period_start, published.period_end) if published else "",
        published.source if published else "",
    )
    states = dict(session.execute(select(State.id, State.name)).all())
    region_names = dict(session.execute(select(Region.id, Region.name).where(Region.state_id == state_id)).all())
    zones = _active_zones(session, state_id)
    coordinator_ids = [c for _r, _n, c, _s in zones.values() if c is not None]
    coordinators = {}
    for chunk in _in_chunks(coordinator_ids):
        for h in session.execute(select(Establishment.id, Establishment.clues, Establishment.name, Establishment.state_id,
                                        Establishment.level_of_care, Establishment.deleted_at)
                                 .where(Establishment.id.in_(chunk))):
            coordinators[h.id] = h
    for zone_id, (region_id, name, coordinator, _st) in sorted(zones.items(), key=lambda z: fold(z[1][1])):
        h = coordinators.get(coordinator) if coordinator is not None else None
        reason = ""
        if h is None:
            reason = "No tiene hospital coordinador."
        elif h.deleted_at is not None:
            reason = f"Su hospital coordinador {h.clues} está dado de baja."
        elif h.level_of_care not in HOSPITAL_LEVELS:
            reason = f"Su coordinador {h.clues} no es un hospital de segundo o tercer nivel ({h.level_of_care.label})."
        if reason:
            report.zones_without_coordinator.append(ZoneIssue(zone_id, name, region_names.get(region_id, ""), reason))
        if h is not None and h.state_id != state_id:
            report.cross_state_coordinators.append(CrossStateCoordinator(
                zone_id, name, state.name, h.id, h.clues, h.name, states.get(h.state_id, "")))
    # this state's hospitals coordinating zones of other states
    for z_id, z_name, z_state, h_id, clues, h_name in session.execute(
            select(Zone.id, Zone.name, Region.state_id, Establishment.id, Establishment.clues, Establishment.name)
            .join(Region, Zone.region_id == Region.id)
            .join(Establishment, Establishment.id == Zone.coordinating_establishment_id)
            .where(Establishment.state_id == state_id, Region.state_id != state_id,
                   Zone.deleted_at.is_(None), Region.deleted_at.is_(None))):
        report.cross_state_coordinators.append(CrossStateCoordinator(
            z_id, z_name, states.get(z_state, ""), h_id, clues, h_name, state.name))
    report.units_without_zone = [UnitNode(i, c, n, lv) for i, c, n, lv, z in _units(session, state_id) if z not in zones]
    with_zones = {region_id for region_id, _n, _c, _s in zones.values()}
    report.regions_without_zones = [
        RegionIssue(r.id, r.name, "No tiene zonas de servicios médicos activas.")
        for r in list_regions(session, state_id) if r.id not in with_zones
    ]
    return report
