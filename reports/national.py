"""«Informe nacional consolidado»: one row per state (every adhered state, with or without data, plus any other
state that has records) and a computed total row in every table.

Tables: establishments by level of care; operating regions, zones, hospitals and supervision teams; weekend
opening against the target by rollout block (block subtotals as the rollout service gives them) with a progress
chart; sanitary authorisations by state and by type with their indicator lines; data-quality counts by state.

Built for speed over 23 states of thousands of establishments: grouped queries (GROUP BY state), one call of
the national rollout summary, and one column-wise pass over the authorisations
(:func:`reports.state.compliance_items`) instead of the per-state services 23 times. Read-only.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from models.entities import Establishment, Region, Zone
from models.importing.plan import NO_PROGRESS, Progress
from models.services import authorisations as auth_svc
from models.services import office as office_svc
from models.services import region_figures as figs
from models.services import weekend as wk
from models.services.report_settings import DEFAULT_SIGNATORIES
from reports import charts, checks
from reports.catalog import ReportRequest
from reports.framework import ReportDocument, ReportMeta, fmt_date, fmt_int, scope_label
from reports.state import (
    LEVELS,
    NO_LEVEL,
    SRC_AUTH,
    SRC_EST,
    SRC_REG,
    SRC_WK,
    TOTAL,
    compliance_items,
    level_label,
    pct,
    summary_rows,
)

TITLE = "Informe nacional consolidado"
SRC_NAT = " Consolidado de las bases de datos de las coordinaciones estatales."
STATE_W = 2.1  # relative width of the «Entidad» column


def build(session: Session, request: ReportRequest, *, signatories=DEFAULT_SIGNATORIES, out: str | Path | None = None,
          progress: Progress = NO_PROGRESS) -> bytes:
    """Build the national report at ``request.as_of`` (``request.state_id`` is ignored: all states)."""
    as_of = request.as_of
    period_start, period_end = request.period_start, request.period_end or request.as_of
    period = figs.period_label(period_start, period_end) if period_start else ""
    doc = ReportDocument(ReportMeta(TITLE, scope_label(None), as_of,
                                    subtitle=f"Periodo: {period}" if period else f"Situación al {fmt_date(as_of)}"))
    steps = 5
    progress.report(0, steps, "Leyendo los establecimientos de todas las entidades")
    levels, level_keys = _levels_by_state(session)
    without_zone = _units_without_zone(session)
    states = [s for s in office_svc.list_states(session) if s.adhered or s.id in levels]

    progress.report(1, steps, "Leyendo la regionalización")
    registered = figs.regions_summary(session, None)
    published = figs.published_summary(session, None)

    progress.report(2, steps, "Calculando la apertura en fin de semana")
    rollout = wk.rollout_summary(session, as_of)

    progress.report(3, steps, "Calculando el cumplimiento sanitario")
    items, state_of = compliance_items(session, None, as_of, period_start, period_end)
    by_state: dict[int, list[auth_svc.ComplianceItem]] = defaultdict(list)
    for item in items:
        by_state[state_of[item.establishment_id]].append(item)

    progress.report(4, steps, "Componiendo el informe")
    _summary(doc, states, levels, rollout, items, registered, without_zone, as_of)
    _establishments(doc, states, levels, level_keys)
    reg_rows = _regions(doc, states, registered, published, without_zone)
    _weekend(doc, rollout)
    _authorisations(doc, session, states, by_state, items, period)
    _quality(doc, session, states, levels, without_zone, reg_rows, published, rollout, by_state, as_of)
    doc.signatures(signatories)
    data = doc.build(out)
    progress.report(steps, steps, "Listo")
    return data


# ------------------------------------------------------------------------------------------------ queries

def _levels_by_state(session: Session) -> tuple[dict[int, Counter], list[str]]:
    """Active establishments by state and level of care (one grouped query; unknown levels as «sin nivel»)."""
    e = Establishment.__table__.c
    level = type_coerce(e.level_of_care, String)
    out: dict[int, Counter] = defaultdict(Counter)
    for state_id, lv, n in session.execute(select(e.state_id, level, func.count()).where(e.deleted_at.is_(None))
                                           .group_by(e.state_id, level)):
        out[state_id][lv if lv in LEVELS else NO_LEVEL] += n
    keys = list(LEVELS) + ([NO_LEVEL] if any(c[NO_LEVEL] for c in out.values()) else [])
    return out, keys


def _units_without_zone(session: Session) -> Counter:
    """Active establishments of each state in no active zone of their own state (as the consistency panel
    counts them), from one grouped query by (state, zone)."""
    e = Establishment.__table__.c
    zones = dict(session.execute(select(Zone.id, Region.state_id).join(Region, Zone.region_id == Region.id)
                                 .where(Zone.deleted_at.is_(None), Region.deleted_at.is_(None))).all())
    out: Counter = Counter()
    for state_id, zone_id, n in session.execute(select(e.state_id, e.zone_id, func.count())
                                                .where(e.deleted_at.is_(None)).group_by(e.state_id, e.zone_id)):
        if zones.get(zone_id) != state_id:
            out[state_id] += n
    return out


# ------------------------------------------------------------------------------------------------ sections

def _summary(doc, states, levels, rollout, items, registered: figs.RegionsSummary, without_zone: Counter,
             as_of) -> None:
    adhered = [s for s in states if s.adhered]
    total = rollout[-1] if rollout else None
    required = len(items)
    current = sum(i.current for i in items)
    doc.heading(f"Situación nacional al {fmt_date(as_of)}")
    lines = [f"Entidades adheridas: {fmt_int(len(adhered))}"
             + (f"; con registros sin estar adheridas: {fmt_int(len(states) - len(adhered))}" if len(states) > len(adhered)
                else "") + ".",
             f"Establecimientos activos: {fmt_int(sum(sum(c.values()) for c in levels.values()))}."]
    lines.append(f"Regionalización: {fmt_int(registered.total.regions)} regiones operativas y "
                 f"{fmt_int(registered.total.zones)} zonas de servicios médicos registradas; "
                 f"{fmt_int(sum(without_zone.values()))} establecimientos activos sin zona.")
    if total is not None:
        lines.append(f"Apertura en fin de semana: {fmt_int(total.open_units)} unidades abiertas los 7 días de una meta "
                     f"de {fmt_int(total.target)} ({pct(total.progress, 1)}).")
    lines.append(f"Autorizaciones sanitarias: {fmt_int(current)} vigentes de {fmt_int(required)} requeridas "
                 f"({pct(auth_svc.percent(current, required))}).")
    doc.bullets(lines)


def _establishments(doc, states, levels: dict[int, Counter], keys: list[str]) -> None:
    doc.heading("1. Establecimientos de salud por nivel de atención")
    rows = []
    for s in states:
        cells = [levels.get(s.id, Counter())[k] for k in keys]
        rows.append((s.short_name, *cells, sum(cells)))
    n = len(keys) + 1
    total = (TOTAL, *(sum(r[i] for r in rows) for i in range(1, n + 1)))
    doc.check_total("Establecimientos por entidad", [r[1:] for r in rows], total[1:])
    doc.table(["Entidad", *(level_label(k) for k in keys), "Total"], rows, total=total, numeric=range(1, n + 1),
              widths=[STATE_W] + [1] * n, source="Establecimientos activos (sin los dados de baja). " + SRC_EST + SRC_NAT)


def _regions(doc, states, registered: figs.RegionsSummary, published: figs.RegionsSummary,
             without_zone: Counter) -> dict[int, tuple]:
    doc.heading("2. Regionalización operativa")
    by_state = {r.state_id: r for r in registered.rows}
    rows = []
    for s in states:
        r = by_state.get(s.id)
        rows.append((s.short_name, *(r.figures() if r else (0,) * 5), without_zone.get(s.id, 0)))
    # a state with regions but outside the list (not adhered, no establishments) still counts in the total
    known = {s.id for s in states}
    for r in registered.rows:
        if r.state_id not in known and any(r.figures()):
            rows.append((r.state_name, *r.figures(), without_zone.get(r.state_id, 0)))
    total = (TOTAL, *(sum(r[i] for r in rows) for i in range(1, 7)))
    doc.check_total("Regionalización por entidad", [r[1:] for r in rows], total[1:])
    doc.table(["Entidad", "Regiones operativas", "Zonas de servicios médicos (ZSM)", "Hospitales coordinadores",
               "Otros hospitales en ZSM", "Equipos de supervisión zonal", "Unidades sin zona"], rows,
              total=total, numeric=range(1, 7), widths=[STATE_W, 1, 1, 1.15, 1, 1, 1], source=SRC_REG + SRC_NAT)
    pub = published.total.figures()
    if published.rows:
        period = figs.period_label(published.period_start, published.period_end)
        doc.paragraph("Totales registrados frente a los publicados por la oficina nacional"
                      + (f" ({published.source}; {period})" if published.source or period else "") + ":")
        for (key, label), reg_value, pub_value in zip(figs.FIGURES, total[1:6], pub):
            doc.indicator(f"{label}: registradas / publicadas", reg_value, pub_value)
    return {s.id: row for s, row in zip(states, rows)}


def _weekend(doc, rollout: list[wk.RolloutRow]) -> None:
    doc.heading("3. Apertura en fin de semana (atención los 7 días)")
    doc.paragraph("Unidades fijas de primer nivel abiertas los 7 días al corte frente a la meta vigente de cada "
                  "entidad, por bloque de implantación. % de avance = abiertas ÷ meta × 100; los subtotales y el "
                  "total suman sus filas y calculan su propio porcentaje.")
    doc.spacer(4)
    body = [r for r in rollout if r.level != "total"]
    total_row = next((r for r in rollout if r.level == "total"), None)

    def cells(r: wk.RolloutRow):
        return (r.label, r.target, r.viable, r.open_units, pct(r.progress, 1), r.doctors_assigned, r.doctors_needed)

    rows = [cells(r) for r in body]
    figures = (1, 2, 3, 5, 6)
    states = [r for r in body if r.level == "state"]
    if total_row is not None:
        doc.check_total("Apertura en fin de semana", [tuple(c[i] for i in figures) for c in map(cells, states)],
                        tuple(cells(total_row)[i] for i in figures))
    for block in (r for r in body if r.level == "block"):
        members = [r for r in states if r.block == block.block]
        doc.check_total(block.label, [tuple(cells(r)[i] for i in figures) for r in members],
                        tuple(cells(block)[i] for i in figures))
    doc.table(["Entidad", "Meta (unidades)", "Unidades viables", "Abiertas 7 días", "% de avance", "Médicos asignados",
               "Médicos requeridos"], rows, total=cells(total_row) if total_row else None, numeric=range(1, 7),
              widths=[STATE_W, 1, 1, 1, 1, 1, 1], source=SRC_WK + SRC_NAT,
              emphasis=[k for k, r in enumerate(body) if r.level == "block"])
    if total_row is not None and total_row.target:
        doc.indicator("Unidades abiertas 7 días / meta", total_row.open_units, total_row.target, percent=True)
    for block in (r for r in body if r.level == "block" and r.target):
        doc.indicator(f"{block.label}: abiertas / meta", block.open_units, block.target, percent=True)
    if states:
        doc.spacer()
        doc.chart(charts.progress_chart([r.label for r in states], [r.open_units for r in states],
                                        [r.target for r in states], width=doc.width,
                                        title="Unidades abiertas los 7 días frente a la meta, por entidad",
                                        value_name="Abiertas 7 días", target_name="Meta"),
                  source=SRC_WK + SRC_NAT)


def _auth_cells(name: str, mine: list[auth_svc.ComplianceItem]) -> tuple:
    req = len(mine)
    cur = sum(i.current for i in mine)
    obt = sum(i.obtained for i in mine)
    return (name, req, cur, sum(i.in_process for i in mine), obt, sum(i.not_started for i in mine),
            pct(auth_svc.percent(obt, req)), pct(auth_svc.percent(cur, req)))


def _authorisations(doc, session, states, by_state, items, period: str) -> None:
    doc.heading("4. Autorizaciones sanitarias")
    obtained = "Obtenidas en el periodo" if period else "Obtenidas al corte"
    doc.paragraph("Requeridas: trámites exigibles a los establecimientos activos. Vigentes: otorgadas y sin vencer al "
                  "corte. " + (f"Obtenidas: otorgadas en el periodo {period}." if period
                               else "Obtenidas: otorgadas hasta el corte.")
                  + " % = obtenidas ÷ requeridas × 100; el del total se calcula con las sumas, no promediando filas.")
    doc.spacer(4)
    headers = ["Entidad", "Requeridas", "Vigentes", "En trámite", obtained, "No iniciadas", "% obtenidas", "% vigentes"]
    rows = [_auth_cells(s.short_name, by_state.get(s.id, [])) for s in states]
    known = {s.id for s in states}
    for state_id in sorted(set(by_state) - known):  # records of a state outside the list (should not happen)
        rows.append(_auth_cells(f"Entidad {state_id}", by_state[state_id]))
    total = _auth_cells(TOTAL, items)
    doc.check_total("Autorizaciones por entidad", [r[1:6] for r in rows], total[1:6])
    doc.table(headers, rows, total=total, numeric=range(1, 8), widths=[STATE_W, 1.1, 1, 1, 1.1, 1, 1, 1],
              source=SRC_AUTH + SRC_NAT)
    doc.indicator("Autorizaciones obtenidas / requeridas", total[4], total[1], percent=True)
    doc.indicator("Autorizaciones vigentes / requeridas", total[2], total[1], percent=True)

    doc.heading("Por tipo de autorización (todas las entidades)", level=2)
    summary = summary_rows(session, items)
    rows = [(r.label, r.required, r.current, r.in_process, r.obtained, r.not_started, pct(r.percent),
             pct(r.current_percent)) for r in summary[:-1]]
    t = summary[-1]
    total = (TOTAL, t.required, t.current, t.in_process, t.obtained, t.not_started, pct(t.percent),
             pct(t.current_percent))
    doc.check_total("Autorizaciones por tipo", [r[1:6] for r in rows], total[1:6])
    doc.table(["Autorización", *headers[1:]], rows, total=total, numeric=range(1, 8),
              widths=[STATE_W + 0.5, 1.1, 1, 1, 1.1, 1, 1, 1], source=SRC_AUTH + SRC_NAT)
    for r in summary:
        if r.required:
            doc.indicator(f"{'Total' if r.is_total else r.label}: obtenidas / requeridas", r.obtained, r.required,
                          percent=True)


def _quality(doc, session, states, levels, without_zone, reg_rows, published: figs.RegionsSummary,
             rollout, by_state, as_of: date) -> None:
    doc.heading("5. Calidad de los datos por entidad")
    doc.paragraph("Revisiones aplicadas antes de imprimir; cada observación se detalla en la última página, "
                  "«Revisiones de calidad de datos». Para el detalle de una entidad genere su informe de situación "
                  "estatal.")
    doc.spacer(4)
    checks.check_levels(doc, session, None)
    pub = {r.state_id: r.figures() for r in published.rows}
    targets = {r.state_id: r.target for r in rollout if r.level == "state"}
    holding = frozenset(s.value for s in auth_svc.HOLDING)
    rows = []
    for s in states:
        mine = by_state.get(s.id, [])
        stale = [i for i in mine if i.status in holding and i.expires_on is not None and i.expires_on < as_of]
        future = [i for i in mine if i.obtained and i.granted_on is not None and i.granted_on > as_of]
        registered = reg_rows[s.id][1:6]
        differ = sum(1 for a, b in zip(registered, pub[s.id]) if a != b) if s.id in pub else 0
        no_target = 1 if s.adhered and targets.get(s.id) is None else 0
        row = (s.short_name, levels.get(s.id, Counter())[NO_LEVEL], without_zone.get(s.id, 0), differ, len(stale),
               len(future), no_target)
        rows.append(row)
        found = []
        if row[2]:
            found.append(f"{fmt_int(row[2])} establecimientos activos sin zona")
        if differ:
            found.append(f"{differ} cifras de regionalización distintas a las publicadas")
        if stale:
            found.append(f"{fmt_int(len(stale))} autorizaciones con estado vigente y vencimiento pasado ("
                         + checks.listing([f"{i.clues} {i.type_code}" for i in stale], 5) + ")")
        if future:
            found.append(f"{fmt_int(len(future))} autorizaciones otorgadas después del corte ("
                         + checks.listing([f"{i.clues} {i.type_code}" for i in future], 5) + ")")
        if no_target:
            found.append("sin meta de apertura en fin de semana vigente")
        if found:
            doc.problem("Consistencia", f"{s.short_name}: " + "; ".join(found) + ".")
    total = (TOTAL, *(sum(r[i] for r in rows) for i in range(1, 7)))
    doc.check_total("Calidad de los datos", [r[1:] for r in rows], total[1:])
    doc.table(["Entidad", "Sin nivel de atención válido", "Unidades sin zona",
               "Cifras de regionalización distintas a las publicadas", "Vigentes con vencimiento pasado",
               "Otorgadas después del corte", "Sin meta de apertura vigente"], rows, total=total,
              numeric=range(1, 7), widths=[STATE_W, 1, 1, 1.2, 1.1, 1, 1], source="Revisiones previas a la impresión."
              + SRC_NAT)


__all__ = ["build", "TITLE"]
