"""«Avance de apertura en fin de semana»: fixed first-level units open the 7 days of the week against each
state's target — the rollout table by block with computed subtotals and total, indicator lines, progress and
weekly charts, doctors assigned against needed, and (annexes) the units open and the pending ones with what
each one lacks.

Every figure comes from ``models.services.weekend`` (the same rule the weekend page applies); this module only
arranges it on paper and checks the printed totals before printing. At national scope the unit lists are
capped per state: the detail of a state is its own report (``--state``).
"""
from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from reportlab.lib.units import cm
from reportlab.platypus import CondPageBreak, PageBreak
from sqlalchemy.orm import Session

from models.importing.plan import NO_PROGRESS, Progress
from models.services import regions as reg_svc
from models.services import weekend as wk
from models.services.region_figures import period_label
from models.services.report_settings import DEFAULT_SIGNATORIES
from reports import charts
from reports.catalog import ReportError, ReportRequest
from reports.checks import check_levels
from reports.framework import ReportDocument, ReportMeta, fmt_date, fmt_int, scope_label

TITLE = "Avance de apertura en fin de semana"
SOURCE = ("Registro de apertura en fin de semana de las unidades de primer nivel (turnos, personal e "
          "interrupciones) y metas vigentes por entidad; base de datos local.")
SHORT_SOURCE = "Registro de apertura en fin de semana y metas vigentes por entidad; base de datos local."
SUMMARY_HEADERS = ("Entidad", "Meta (unidades)", "Unidades viables", "Abiertas 7 días", "Avance frente a la meta",
                   "Médicos asignados", "Médicos requeridos")
PENDING_PER_STATE = 10          # national scope: pending units listed per state (the rest only counted)
DEFAULT_MONTHS = 6              # default period: the six months up to the cut-off date

# What keeps a unit closed, grouped for the summary table: (heading, prefixes of the service's reasons).
REASON_GROUPS = (
    ("Sin fecha de inicio", ("Sin fecha de inicio",)),
    ("Inicio posterior al corte", ("Abre en fin de semana a partir",)),
    ("Sin turno algún día", ("Sin turnos definidos", "Sin turno definido")),
    ("Sin médico algún día", ("Sin médico",)),
    ("Interrumpida", ("Interrumpida",)),
)
OTHER_REASON = "Otro motivo"
NO_REGION = "Sin región asignada"


# ------------------------------------------------------------------------------------------------ helpers

def _add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clamped to the month's last day (31 Aug − 6 months → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def report_period(request: ReportRequest) -> tuple[date, date]:
    """The weekly series' period: the request's, or the six months up to the cut-off date (30 Jun → 1 Jan–30 Jun)."""
    end = request.period_end or request.as_of
    start = request.period_start or _add_months(end + timedelta(days=1), -DEFAULT_MONTHS)
    return start, end


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}%"


def _signed(value: int) -> str:
    """A change as printed: «+20», «-3», «0»."""
    return f"{value:+,}" if value else "0"


def _dmy(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def reason_group(reason: str) -> str:
    """The summary column a reason of ``wk.list_units`` falls in (``OTHER_REASON`` for one not foreseen)."""
    for heading, prefixes in REASON_GROUPS:
        if reason.startswith(prefixes):
            return heading
    return OTHER_REASON


@dataclass
class _Figures:
    """What the sections print, read once from the services."""

    rows: list[wk.RolloutRow]
    series: list[wk.SeriesPoint]
    units: list[wk.UnitStatus]
    period: tuple[date, date]
    regions: list[str] = field(default_factory=list)       # one state: its active operating regions, by name
    region_of: dict[int, str] = field(default_factory=dict)  # establishment id → region name (one state)

    @property
    def states(self) -> list[wk.RolloutRow]:
        return [r for r in self.rows if r.level == "state"]

    @property
    def total(self) -> wk.RolloutRow:
        return self.rows[-1]

    @property
    def open_units(self) -> list[wk.UnitStatus]:
        return [u for u in self.units if u.open_7_days]

    @property
    def pending(self) -> list[wk.UnitStatus]:
        # the filter of ``wk.pending_units``, applied to the list already read (one roster instead of two)
        return [u for u in self.units if u.viable and u.registered and not u.open_7_days]


# ------------------------------------------------------------------------------------------------ build

def build(session: Session, request: ReportRequest, *, signatories=DEFAULT_SIGNATORIES, out: str | Path | None = None,
          progress: Progress = NO_PROGRESS) -> bytes:
    """Build the report for one state (``request.state_id``) or for all adhered states (None); returns the PDF."""
    state_id, as_of = request.state_id, request.as_of
    national = state_id is None
    start, end = report_period(request)
    steps = 5
    progress.report(0, steps, "Calculando el avance por entidad")
    rows = wk.rollout_summary(session, as_of, state_id)
    if not national and not any(r.level == "state" for r in rows):
        raise ReportError("La entidad no existe en la base de datos.")
    progress.report(1, steps, "Calculando la evolución semanal")
    series = wk.open_series(session, state_id, start, end)
    progress.report(2, steps, "Revisando cada unidad")
    units = wk.list_units(session, as_of, state_id)
    fig = _Figures(rows, series, units, (start, end))
    if not national:
        tree = reg_svc.load_tree(session, state_id)
        fig.regions = [r.name for r in tree.regions]
        fig.region_of = {unit.id: region.name for region in tree.regions for zone in region.zones
                         for unit in zone.establishments}

    state_name = None if national else fig.states[0].label
    doc = ReportDocument(ReportMeta(TITLE, scope_label(state_name), as_of,
                                    subtitle=f"Periodo: {period_label(start, end)}"))
    progress.report(3, steps, "Revisando los datos")
    _checks(doc, session, fig, state_id)
    _summary(doc, fig, national)
    _progress_chart(doc, fig, national)
    _evolution(doc, fig)
    _doctors(doc, fig, national)
    _reasons(doc, fig, national)
    doc.signatures(signatories)
    progress.report(4, steps, "Componiendo el PDF")
    _annexes(doc, fig, national)
    return doc.build(out)


# ------------------------------------------------------------------------------------------------ sections

def _summary(doc: ReportDocument, fig: _Figures, national: bool) -> None:
    """The rollout table (state rows, block subtotals, total) and the indicator lines."""
    total = fig.total
    doc.heading("Avance frente a la meta")
    doc.paragraph(
        f"Unidades fijas de primer nivel abiertas los 7 días de la semana al {fmt_date(doc.meta.as_of)}. "
        "Una unidad cuenta como abierta cuando está marcada como viable, su fecha de inicio de apertura en fin de "
        "semana es anterior o igual al corte, cada día de lunes a domingo tiene al menos un turno cubierto por un "
        "médico activo y ninguna interrupción toca la semana del corte. El avance es abiertas ÷ meta × 100; los "
        "subtotales y el total suman las filas y calculan su propio porcentaje (no promedian).")
    doc.spacer(4)

    def cells(r: wk.RolloutRow) -> tuple:
        return (r.label, r.target, r.viable, r.open_units, _pct(r.progress), r.doctors_assigned, r.doctors_needed)

    if national:
        body = fig.rows[:-1]
    else:
        body = fig.states  # one state: its block subtotal and the total repeat the same row
    subtotal_at = [i for i, r in enumerate(body) if r.level == "block"]
    doc.table(SUMMARY_HEADERS, [cells(r) for r in body], total=cells(total), numeric=range(1, 7),
              widths=[2.3, 1, 1, 1, 1.05, 1, 1], source=SOURCE + " Médicos requeridos: la meta de médicos de la "
              "entidad o, sin ella, uno por unidad de la meta.", emphasis=subtotal_at)
    doc.spacer(2)
    doc.indicator("Unidades abiertas / meta", total.open_units, total.target or 0, percent=True)
    doc.indicator("Unidades abiertas / unidades viables registradas", total.open_units, total.viable, percent=True)
    if national:
        for r in fig.rows:
            if r.level == "block":
                label = f"Bloque {r.block}" if r.block else "Sin bloque"
                doc.indicator(f"{label} · unidades abiertas / meta", r.open_units, r.target or 0, percent=True)


def _keep_with_next(doc: ReportDocument, height: float) -> None:
    """Start a new page unless ``height`` points fit, so a heading is never left alone above its chart."""
    doc.flowable(CondPageBreak(height))


def _progress_chart(doc: ReportDocument, fig: _Figures, national: bool) -> None:
    if national:
        states = fig.states
        drawing = charts.progress_chart([r.label for r in states], [r.open_units for r in states],
                                        [r.target for r in states], width=doc.width,
                                        title="Unidades abiertas 7 días frente a la meta, por entidad",
                                        value_name="Abiertas 7 días", target_name="Meta")
        # 23 states make a chart of most of a page: its own title heads it (a heading would not fit with it)
        _keep_with_next(doc, drawing.height + 1.5 * cm)
        doc.chart(drawing, source=SHORT_SOURCE)
        return
    # one state: by operating region, open against viable units (targets are set per state, not per region)
    open_by, viable_by = Counter(), Counter()
    for u in fig.units:
        name = fig.region_of.get(u.establishment_id, NO_REGION)
        if u.registered and u.viable:
            viable_by[name] += 1
        if u.open_7_days:
            open_by[name] += 1
    names = [name for name in fig.regions if viable_by[name]]
    if viable_by[NO_REGION]:
        names.append(NO_REGION)
    if not fig.regions:  # no regionalisation registered yet: the state against its target
        state = fig.states[0]
        drawing = charts.progress_chart([state.label], [state.open_units], [state.target], width=doc.width,
                                        title="Unidades abiertas 7 días frente a la meta",
                                        value_name="Abiertas 7 días", target_name="Meta")
        _keep_with_next(doc, drawing.height + 3 * cm)
        doc.heading("Avance frente a la meta de la entidad")
        doc.chart(drawing, source=SOURCE + " Sin regiones operativas registradas: no se desglosa por región.")
        return
    if not names:
        doc.heading("Avance por región operativa")
        doc.paragraph("Ninguna región tiene unidades viables registradas al corte.")
        return
    drawing = charts.progress_chart(names, [open_by[n] for n in names], [viable_by[n] for n in names],
                                    width=doc.width, title="Unidades abiertas 7 días frente a unidades viables, "
                                    "por región operativa", value_name="Abiertas 7 días", target_name="Viables")
    _keep_with_next(doc, drawing.height + 3 * cm)
    doc.heading("Avance por región operativa")
    doc.chart(drawing, source=SOURCE + " La meta se fija por entidad; por región se compara con las unidades viables.")


def _evolution(doc: ReportDocument, fig: _Figures) -> None:
    """Units open each Sunday of the period: a line chart and the month-end figures."""
    start, end = fig.period
    series = fig.series
    _keep_with_next(doc, 9 * cm)
    doc.heading("Evolución en el periodo")
    if not series:
        doc.paragraph(f"El periodo del {fmt_date(start)} al {fmt_date(end)} no incluye ningún domingo.")
        return
    days = [p.week_end for p in series]
    lines = [("Unidades abiertas 7 días", [p.open_units for p in series])]
    targets = {p.target for p in series}
    target = None
    if len(targets) == 1:
        target = next(iter(targets))
    else:
        lines.append(("Meta vigente", [p.target or 0 for p in series]))
    doc.chart(charts.line_chart(days, lines, width=doc.width, height=170, target=target,
                                title="Unidades abiertas los 7 días, cada domingo del periodo"),
              source=SOURCE)
    # month ends: the last Sunday of each month in the period
    last_of_month: dict[tuple[int, int], wk.SeriesPoint] = {}
    for p in series:
        last_of_month[(p.week_end.year, p.week_end.month)] = p
    table_rows, previous = [], None
    for p in last_of_month.values():
        change = "—" if previous is None else _signed(p.open_units - previous)
        table_rows.append((_dmy(p.week_end), p.open_units, p.target, _pct(wk.progress_percent(p.open_units, p.target)),
                           change))
        previous = p.open_units
    doc.heading("Unidades abiertas al último domingo de cada mes", level=2)
    doc.table(["Domingo", "Unidades abiertas 7 días", "Meta vigente", "Avance frente a la meta",
               "Variación mensual"], table_rows, numeric=range(1, 5), widths=[1.2, 1, 1, 1, 1], source=SOURCE)


def _doctors(doc: ReportDocument, fig: _Figures, national: bool) -> None:
    total = fig.total
    doc.heading("Médicos asignados frente a requeridos")
    doc.paragraph("Médicos asignados: personas distintas con rol de médico, activas al corte, en las unidades "
                  "viables. Requeridos: la meta de médicos de la entidad o, sin ella, uno por unidad de la meta.")
    doc.indicator("Médicos asignados / requeridos", total.doctors_assigned, total.doctors_needed or 0, percent=True)
    if total.doctors_needed is not None:
        gap = total.doctors_needed - total.doctors_assigned
        doc.paragraph(f"Faltan {fmt_int(gap)} médicos para cubrir lo requerido." if gap > 0 else
                      "Los médicos asignados cubren lo requerido.")
    if national:
        short = sorted((r for r in fig.states if r.doctors_needed is not None
                        and r.doctors_needed > r.doctors_assigned),
                       key=lambda r: r.doctors_assigned - r.doctors_needed)[:5]
        if short:
            doc.paragraph("Entidades con mayor faltante de médicos: " + "; ".join(
                f"{r.label} {fmt_int(r.doctors_needed - r.doctors_assigned)}" for r in short) + ".")


def _reason_counts(units: list[wk.UnitStatus]) -> Counter:
    counts: Counter = Counter()
    for u in units:
        for group in {reason_group(r) for r in u.reasons}:
            counts[group] += 1
    return counts


def _reasons(doc: ReportDocument, fig: _Figures, national: bool) -> None:
    """Why the viable units are not open: counts by kind of reason (a unit may have more than one)."""
    pending, units = fig.pending, fig.units
    unregistered = sum(1 for u in units if not u.registered)
    not_viable = sum(1 for u in units if u.registered and not u.viable)
    groups = [g for g, _p in REASON_GROUPS]
    table_rows = len(fig.states) + 1 if national else len(groups)
    _keep_with_next(doc, 4.5 * cm + table_rows * 0.5 * cm)  # heading, text and the short table on one page
    doc.heading("Unidades viables pendientes de abrir")
    doc.paragraph(
        f"De {fmt_int(len(units))} unidades fijas de primer nivel, {fmt_int(len(fig.open_units))} abren los 7 días, "
        f"{fmt_int(len(pending))} son viables y aún no abren, {fmt_int(not_viable)} no son viables y "
        f"{fmt_int(unregistered)} no tienen registro de apertura en fin de semana. Una unidad pendiente puede tener "
        "más de un motivo.")
    doc.spacer(4)
    if national:
        by_state: dict[int, list[wk.UnitStatus]] = {}
        for u in pending:
            by_state.setdefault(u.state_id, []).append(u)
        rows = []
        for r in fig.states:
            counts = _reason_counts(by_state.get(r.state_id, []))
            rows.append((r.label, len(by_state.get(r.state_id, [])), *(counts[g] for g in groups)))
        every = _reason_counts(pending)  # counted over all pending units, not from the rows: the check means something
        other = every[OTHER_REASON]
        total = ("Total", len(pending), *(every[g] for g in groups))
        doc.check_total("Unidades pendientes por motivo", [row[1:] for row in rows], total[1:])
        doc.table(["Entidad", "Pendientes", *groups], rows, total=total, numeric=range(1, len(groups) + 2),
                  widths=[2.2, 1, 1, 1, 1, 1, 1], source=SOURCE)
    else:
        counts = _reason_counts(pending)
        other = counts[OTHER_REASON]
        doc.table(["Motivo", "Unidades"], [(g, counts[g]) for g in groups], numeric=(1,), widths=[3, 1],
                  source=SOURCE)
    if other:
        doc.paragraph(f"Otros motivos: {fmt_int(other)} unidades.")


def _annexes(doc: ReportDocument, fig: _Figures, national: bool) -> None:
    doc.flowable(PageBreak())
    if national:
        doc.heading("Anexo. Unidades viables pendientes de abrir (muestra por entidad)")
        doc.paragraph(f"Se listan hasta {PENDING_PER_STATE} unidades por entidad, por CLUES; el listado completo de "
                      "unidades abiertas y pendientes de cada entidad está en su propio reporte "
                      "(coordinacion report weekend --state XX).")
        rows, left_out = [], []
        by_state: dict[int, list[wk.UnitStatus]] = {}
        for u in fig.pending:
            by_state.setdefault(u.state_id, []).append(u)
        for r in fig.states:
            found = by_state.get(r.state_id, [])
            rows += [(r.label, u.clues, u.name, "; ".join(u.reasons)) for u in found[:PENDING_PER_STATE]]
            if len(found) > PENDING_PER_STATE:
                left_out.append(f"{r.label} {fmt_int(len(found) - PENDING_PER_STATE)}")
        if rows:
            doc.table(["Entidad", "CLUES", "Unidad", "Motivo"], rows, widths=[1.4, 1.2, 2.6, 3.6], source=SOURCE)
        else:
            doc.paragraph("No hay unidades viables pendientes de abrir.")
        if left_out:
            doc.paragraph("Pendientes no listadas: " + "; ".join(left_out) + ".")
        return
    opened = fig.open_units
    doc.heading(f"Anexo 1. Unidades abiertas los 7 días: {fmt_int(len(opened))}")
    if opened:
        doc.table(["CLUES", "Unidad", "Región operativa", "Abre en fin de semana desde", "Médicos activos"],
                 [(u.clues, u.name, fig.region_of.get(u.establishment_id, "—"), _dmy(u.weekend_since), u.doctors)
                  for u in opened], numeric=(4,), widths=[1.2, 3.3, 2.0, 1.2, 0.9], source=SOURCE)
    else:
        doc.paragraph("Ninguna unidad abre los 7 días al corte.")
    pending = fig.pending
    doc.heading(f"Anexo 2. Unidades viables pendientes de abrir: {fmt_int(len(pending))}")
    if pending:
        doc.table(["CLUES", "Unidad", "Días con turno", "Médicos activos", "Qué le falta"],
                 [(u.clues, u.name, u.days or "—", u.doctors, "; ".join(u.reasons)) for u in pending],
                 numeric=(3,), widths=[1.2, 2.75, 1.25, 0.85, 3.3], source=SOURCE)
    else:
        doc.paragraph("Todas las unidades viables abren los 7 días.")


# ------------------------------------------------------------------------------------------------ checks

def _checks(doc: ReportDocument, session: Session, fig: _Figures, state_id: int | None) -> None:
    """Pre-print checks: subtotals and total equal the sum of their rows, percentages agree with their counts,
    the unit list agrees with the table, every state has a target, every establishment has a level of care."""
    def figures(r: wk.RolloutRow) -> tuple[int, ...]:
        return (r.target or 0, r.viable, r.open_units, r.doctors_assigned, r.doctors_needed or 0)

    states = fig.states
    for block in dict.fromkeys(r.block for r in states):
        subtotal = next(r for r in fig.rows if r.level == "block" and r.block == block)
        doc.check_total(subtotal.label, [figures(r) for r in states if r.block == block], figures(subtotal))
    doc.check_total("Total general (suma de entidades)", [figures(r) for r in states], figures(fig.total))
    doc.check_total("Total general (suma de bloques)", [figures(r) for r in fig.rows if r.level == "block"],
                    figures(fig.total))
    for r in fig.rows:
        if r.progress != wk.progress_percent(r.open_units, r.target):
            doc.problem("Porcentajes", f"{r.label}: el avance impreso ({_pct(r.progress)}) no corresponde a "
                                       f"{fmt_int(r.open_units)} / {fmt_int(r.target)}.")
    listed = Counter(u.state_id for u in fig.units if u.open_7_days)
    for r in states:
        if listed[r.state_id] != r.open_units:
            doc.problem("Listado de unidades", f"{r.label}: la tabla cuenta {fmt_int(r.open_units)} unidades abiertas "
                                               f"y el listado {fmt_int(listed[r.state_id])}.")
        if r.target is None:
            doc.problem("Metas", f"{r.label}: no tiene meta vigente al {fmt_date(doc.meta.as_of)}; su avance no se "
                                 "calcula y no suma a la meta total.")
    check_levels(doc, session, state_id)


__all__ = ["build", "TITLE", "report_period", "reason_group"]
