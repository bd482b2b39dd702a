"""«Informe de situación estatal»: the whole picture of one state at a cut-off date.

Sections: a summary of key figures; establishments by level of care, operating status and typology (with a
chart); operating regions and medical service zones (registered against published figures, consistency
lists); weekend opening against the target (table, weekly chart over the period, pending units);
sanitary authorisations (compliance table with its indicator lines, chart, alert lists); the data-quality
checks; the signature block; and an annex listing every active establishment (the table that paginates).

Long lists are capped at :data:`LIST_LIMIT` rows with a «y N más» line. Figures come from the services in
``models.services`` (weekend, authorisations, region_figures, regions, establishments) plus a few grouped
queries; the session is only read.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from xml.sax.saxutils import escape

from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, PageBreak, Paragraph, Table, TableStyle
from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from models.entities import (
    Establishment,
    ServiceType,
    Typology,
    WeekendRecord,
)
from models.enums import AuthorisationStatus, LevelOfCare, OperatingStatus
from models.importing.plan import NO_PROGRESS, Progress
from models.services import authorisations as auth_svc
from models.services import office as office_svc
from models.services import region_figures as figs
from models.services import regions as reg_svc
from models.services import weekend as wk
from models.services.establishments import load_table
from models.services.report_settings import DEFAULT_SIGNATORIES
from models.text import fold
from reports import charts, checks
from reports.catalog import ReportError, ReportRequest
from reports.framework import (
    FONT,
    GRID,
    HEADER_FILL,
    ReportDocument,
    ReportMeta,
    fmt_date,
    fmt_int,
    scope_label,
)

TITLE = "Informe de situación estatal"
LIST_LIMIT = 50
SERIES_WEEKS = 26  # weekly chart without a period: the 26 weeks up to the cut-off
TOTAL = "Total"
NO_LEVEL = "SIN_NIVEL"

SRC_EST = "Registro de establecimientos de la coordinación estatal (base de datos local, claves CLUES)."
SRC_REG = "Registro de regiones, zonas de servicios médicos y equipos de supervisión zonal (base de datos local)."
SRC_WK = ("Registro de apertura en fin de semana por unidad (turnos, personal médico, interrupciones) y metas "
          "por entidad (base de datos local).")
SRC_AUTH = "Registro de trámites de autorizaciones sanitarias por establecimiento (base de datos local)."

LEVELS = (LevelOfCare.PRIMER.value, LevelOfCare.SEGUNDO.value, LevelOfCare.TERCER.value, LevelOfCare.NO_APLICA.value)
STATUSES = (OperatingStatus.EN_OPERACION.value, OperatingStatus.CERRADO_TEMPORALMENTE.value,
            OperatingStatus.EN_CONSTRUCCION.value)
SHORT_TYPES = {"LIC_SAN": "Licencia sanitaria", "AVISO_FUNC": "Aviso de funcionamiento", "COMITE": "Comité",
               "LIC_CNSNS": "Licencia CNSNS", "PERMISO": "Permiso sanitario", "AVISO_RESP": "Aviso de responsable"}


def level_label(value: str) -> str:
    """«Primer nivel» …, and «Sin nivel válido» for an empty or unknown value."""
    try:
        return LevelOfCare(value).label
    except ValueError:
        return "Sin nivel válido"


def status_label(value: str) -> str:
    try:
        return OperatingStatus(value).label
    except ValueError:
        return value or "—"


def pct(value: float | None, decimals: int = 2) -> str:
    """65.42 → «65.42%»; None → «—»."""
    return "—" if value is None else f"{value:.{decimals}f}%"


def short_type(code: str, name: str) -> str:
    return SHORT_TYPES.get(code, name if len(name) <= 24 else name[:23] + "…")


class PagedTable(Flowable):
    """Plain-text rows of known heights, laid out one page at a time: each page gets its own small ``Table``
    with the header row repeated, and a row is never split.

    ``LongTable`` re-creates the whole remainder of a table at every page break (quadratic in the rows), and
    ``ReportDocument.table`` makes a Paragraph of every cell (~1 ms each): 3,000 rows × 8 columns took ~20 s.
    This builds each page's table from its own rows only."""

    def __init__(self, header: list, rows: list[list[str]], heights: list[float], widths: list[float],
                 style: list[tuple]):
        super().__init__()
        self.header, self.rows, self.heights, self.widths, self.style = header, rows, heights, widths, style
        self._header_height: float | None = None

    def _table(self, rows: list[list[str]], heights: list[float]) -> Table:
        return Table([self.header, *rows], colWidths=self.widths, rowHeights=[self._header_height, *heights],
                     style=TableStyle(self.style))

    def _measure_header(self, avail_width: float) -> float:
        if self._header_height is None:
            self._header_height = Table([self.header], colWidths=self.widths,
                                        style=TableStyle(self.style)).wrap(avail_width, 10_000)[1]
        return self._header_height

    def wrap(self, avail_width, avail_height):  # noqa: D102 - platypus API
        self.width = sum(self.widths)
        self.height = self._measure_header(avail_width) + sum(self.heights)
        return self.width, self.height

    def split(self, avail_width, avail_height):  # noqa: D102 - platypus API
        room = avail_height - self._measure_header(avail_width)
        used, n = 0.0, 0
        while n < len(self.rows) and used + self.heights[n] <= room:
            used += self.heights[n]
            n += 1
        if n == 0:
            return []  # not even one row fits: the frame moves the whole table to the next page
        if n == len(self.rows):
            return [self._table(self.rows, self.heights)]
        rest = PagedTable(self.header, self.rows[n:], self.heights[n:], self.widths, self.style)
        rest._header_height = self._header_height
        return [self._table(self.rows[:n], self.heights[:n]), rest]

    def draw(self):  # noqa: D102 - platypus API (the whole table fits)
        table = self._table(self.rows, self.heights)
        table.wrapOn(self.canv, self.width, self.height)
        table.drawOn(self.canv, 0, 0)


def plain_table(doc: ReportDocument, headers, rows, *, widths, numeric=(), source: str | None = None,
                size: float = 7, leading: float = 8.5) -> None:
    """A table of thousands of plain-text rows (see :class:`PagedTable`), with the look of ``doc.table``:
    header repeated on every page, rows never split, numbers right-aligned with separators, «Fuente:» line."""
    numeric = set(numeric)
    scale = doc.width / sum(widths)
    widths = [w * scale for w in widths]
    room = [w - 6 for w in widths]
    header = [Paragraph(escape(h), doc.styles["head"]) for h in headers]
    data, heights = [], []
    for row in rows:
        cells, lines = [], 1
        for i, value in enumerate(row):
            text = fmt_int(value) if i in numeric and (value is None or isinstance(value, int)) else str(value)
            # a DejaVu glyph is at most ~1 em wide: only measure text that might not fit
            if len(text) * size > room[i] and stringWidth(text, FONT, size) > room[i]:
                parts = simpleSplit(text, FONT, size, room[i])
                lines = max(lines, len(parts))
                text = "\n".join(parts)
            cells.append(text)
        data.append(cells)
        heights.append(lines * leading + 4)
    style = [
        ("FONT", (0, 1), (-1, -1), FONT, size, leading),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        *[("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric],
    ]
    doc.flowable(PagedTable(header, data, heights, widths, style))
    if source:
        doc.source(source)


def capped_list(doc: ReportDocument, title: str, headers, rows: list, widths, source: str, *, order: str,
                empty: str = "Sin registros.", where_rest: str = "", numeric=()) -> None:
    """A level-2 heading with the count, then at most :data:`LIST_LIMIT` rows and a «y N más» line."""
    doc.heading(f"{title}: {fmt_int(len(rows))}", level=2)
    if not rows:
        doc.paragraph(empty)
        return
    if len(rows) > LIST_LIMIT:
        doc.paragraph(f"Se muestran los primeros {LIST_LIMIT} de {fmt_int(len(rows))}, {order}.")
    doc.table(headers, rows[:LIST_LIMIT], widths=widths, numeric=numeric, source=source)
    if len(rows) > LIST_LIMIT:
        doc.paragraph(f"… y {fmt_int(len(rows) - LIST_LIMIT)} más." + (f" {where_rest}" if where_rest else ""))
        doc.spacer()


def centred(drawing):
    drawing.hAlign = "CENTER"
    return drawing


# ------------------------------------------------------------------------------------------------ compliance

# the compliance scan, its summary and its alerts are the service's (column-wise, fast enough for 23 states)
compliance_items = auth_svc.compliance_scan
summary_rows = auth_svc.summary_from_items


def alerts_from(items: list[auth_svc.ComplianceItem], services_without: list[auth_svc.AlertItem], today: date,
                window: int = 30) -> auth_svc.Alerts:
    """``authorisations.alerts`` for one window, from items already read."""
    return auth_svc.alerts_from_items(items, today, services_without, (window,))


# ------------------------------------------------------------------------------------------------ data

@dataclass
class EstablishmentCounts:
    """Active establishments of a state: by (level, status) and by (typology, level); retired ones apart."""

    by_level_status: Counter
    by_typology_level: Counter
    typology_names: dict[int | None, str]
    retired: int
    active_baja: int  # active records whose operating status says «Baja»

    @property
    def levels(self) -> list[str]:
        extra = sorted({lv for lv, _st in self.by_level_status} - set(LEVELS))
        return list(LEVELS) + ([NO_LEVEL] if extra else [])

    def level_key(self, value: str | None) -> str:
        return value if value in LEVELS else NO_LEVEL

    @property
    def total(self) -> int:
        return sum(self.by_level_status.values())


def establishment_counts(session: Session, state_id: int) -> EstablishmentCounts:
    """Two grouped queries over the state's establishments (raw values: an unknown level still counts)."""
    e = Establishment.__table__.c
    level, status = type_coerce(e.level_of_care, String), type_coerce(e.operating_status, String)
    active = (e.state_id == state_id, e.deleted_at.is_(None))
    by_ls: Counter = Counter()
    by_tl: Counter = Counter()
    active_baja = 0
    for lv, st, typ, n in session.execute(select(level, status, e.typology_id, func.count())
                                          .where(*active).group_by(level, status, e.typology_id)):
        key = lv if lv in LEVELS else NO_LEVEL
        if st == OperatingStatus.BAJA.value:
            active_baja += n
        by_ls[key, st] += n
        by_tl[typ, key] += n
    retired = session.execute(select(func.count()).select_from(Establishment.__table__)
                              .where(e.state_id == state_id, e.deleted_at.is_not(None))).scalar_one()
    names = dict(session.execute(select(Typology.id, Typology.name)).all())
    names[None] = "Sin tipología"
    return EstablishmentCounts(by_ls, by_tl, names, retired, active_baja)


def ineligible_weekend_records(session: Session, state_id: int) -> list[str]:
    """CLUES of units with an active weekend record that are no longer fixed first-level active units."""
    e, r, t = Establishment.__table__.c, WeekendRecord.__table__.c, Typology.__table__.c
    query = (select(e.clues).select_from(WeekendRecord.__table__.join(Establishment.__table__,
                                                                     e.id == r.establishment_id)
                                         .outerjoin(Typology.__table__, t.id == e.typology_id))
             .where(r.deleted_at.is_(None), e.state_id == state_id)
             .where((e.deleted_at.is_not(None)) | (type_coerce(e.level_of_care, String) != LevelOfCare.PRIMER.value)
                    | (t.is_mobile.is_(True))))
    return sorted(session.execute(query).scalars())


# ------------------------------------------------------------------------------------------------ build

def build(session: Session, request: ReportRequest, *, signatories=DEFAULT_SIGNATORIES, out: str | Path | None = None,
          progress: Progress = NO_PROGRESS) -> bytes:
    """Build the state report of ``request.state_id`` at ``request.as_of``; returns the PDF bytes."""
    state = next((s for s in office_svc.list_states(session) if s.id == request.state_id), None)
    if state is None:
        raise ReportError("La entidad del informe no existe.")
    as_of = request.as_of
    period_end = request.period_end or as_of
    period_start = request.period_start
    period = figs.period_label(period_start, period_end) if period_start else ""
    doc = ReportDocument(ReportMeta(TITLE, scope_label(state.short_name), as_of,
                                    subtitle=f"Periodo: {period}" if period else f"Situación al {fmt_date(as_of)}"))
    steps = 6
    progress.report(0, steps, "Leyendo los establecimientos")
    counts = establishment_counts(session, state.id)
    table = load_table(session, state.id)

    progress.report(1, steps, "Leyendo la regionalización")
    consistency = figs.consistency(session, state.id)
    tree = reg_svc.load_tree(session, state.id)

    progress.report(2, steps, "Calculando la apertura en fin de semana")
    rollout = [r for r in wk.rollout_summary(session, as_of, state.id) if r.level == "state"]
    target = wk.current_target(session, state.id, as_of)
    series_start = period_start or period_end - timedelta(weeks=SERIES_WEEKS)
    series = wk.open_series(session, state.id, series_start, period_end)
    units = wk.list_units(session, as_of, state.id)
    pending = wk.pending_units(session, as_of, state.id)

    progress.report(3, steps, "Calculando el cumplimiento sanitario")
    items, _states = compliance_items(session, state.id, as_of, period_start, period_end)
    compliance = summary_rows(session, items)
    alerts = alerts_from(items, auth_svc.services_without_responsable(session, state.id, as_of), as_of)

    progress.report(4, steps, "Componiendo el informe")
    _summary(doc, state, counts, rollout, compliance, alerts, consistency, as_of)
    _establishments(doc, counts)
    _regions(doc, consistency, tree)
    _weekend(doc, state, rollout, target, series, units, pending, as_of, bool(period))
    _authorisations(doc, compliance, alerts, period, as_of,
                    dict(session.execute(select(ServiceType.code, ServiceType.name)).all()))
    _quality(doc, session, state, counts, items, consistency, target, as_of)
    doc.signatures(signatories)
    _annex(doc, session, table, units, items)
    progress.report(5, steps, "Generando el PDF")
    data = doc.build(out)
    progress.report(steps, steps, "Listo")
    return data


# ------------------------------------------------------------------------------------------------ sections

def _summary(doc, state, counts: EstablishmentCounts, rollout, compliance, alerts, consistency, as_of) -> None:
    doc.heading(f"Situación de {state.name} al {fmt_date(as_of)}")
    total = compliance[-1]
    by_level = Counter()
    for (lv, _status), n in counts.by_level_status.items():
        by_level[lv] += n
    lines = [f"Establecimientos activos: {fmt_int(counts.total)} ("
             + ", ".join(f"{level_label(lv).lower()} {fmt_int(by_level[lv])}" for lv in counts.levels) + ")."]
    if rollout:
        row = rollout[0]
        lines.append(f"Apertura en fin de semana: {fmt_int(row.open_units)} unidades abiertas los 7 días de una meta de "
                     f"{fmt_int(row.target)} ({pct(row.progress, 1)}).")
    lines.append(f"Autorizaciones sanitarias: {fmt_int(total.current)} vigentes de {fmt_int(total.required)} requeridas "
                 f"({pct(total.current_percent)}); {fmt_int(len(alerts.expiring[30]))} vencen en los próximos 30 días "
                 f"y {fmt_int(len(alerts.expired))} están vencidas.")
    lines.append(f"Regionalización: {fmt_int(len(consistency.units_without_zone))} establecimientos activos sin zona de "
                 "servicios médicos.")
    doc.bullets(lines)


def _establishments(doc: ReportDocument, c: EstablishmentCounts) -> None:
    doc.heading("1. Establecimientos de salud")
    doc.heading("Por nivel de atención y estatus de operación", level=2)
    rows = []
    for lv in c.levels:
        cells = [c.by_level_status.get((lv, st), 0) for st in STATUSES]
        other = sum(n for (l, st), n in c.by_level_status.items() if l == lv and st not in STATUSES)
        rows.append((level_label(lv), *cells, other, sum(cells) + other))
    total = (TOTAL, *(sum(r[i] for r in rows) for i in range(1, 6)))
    doc.check_total("Establecimientos por nivel de atención", [r[1:] for r in rows], total[1:])
    doc.table(["Nivel de atención", *(status_label(s) for s in STATUSES), "Otro estatus", "Total"], rows, total=total,
              numeric=range(1, 6), widths=[2.2, 1.2, 1.2, 1.2, 1, 1], source=SRC_EST)
    doc.paragraph(f"Establecimientos dados de baja (no se incluyen en las cifras): {fmt_int(c.retired)}.")
    doc.spacer()
    doc.chart(centred(charts.bar_chart([level_label(lv) for lv in c.levels],
                                       [("Establecimientos", [r[-1] for r in rows])], width=doc.width * 0.7,
                                       height=150, title="Establecimientos activos por nivel de atención")),
              source=SRC_EST)

    doc.heading("Por tipología y nivel de atención", level=2)
    typologies = sorted({t for t, _lv in c.by_typology_level},
                        key=lambda t: (t is None, fold(c.typology_names.get(t, ""))))
    rows = []
    for t in typologies:
        cells = [c.by_typology_level.get((t, lv), 0) for lv in c.levels]
        rows.append((c.typology_names.get(t, f"Tipología {t}"), *cells, sum(cells)))
    n = len(c.levels) + 1
    total = (TOTAL, *(sum(r[i] for r in rows) for i in range(1, n + 1)))
    doc.check_total("Establecimientos por tipología", [r[1:] for r in rows], total[1:])
    doc.table(["Tipología", *(level_label(lv) for lv in c.levels), "Total"], rows, total=total,
              numeric=range(1, n + 1), widths=[3.2] + [1] * n, source=SRC_EST)


def _regions(doc: ReportDocument, report: figs.ConsistencyReport, tree: reg_svc.RegionTree) -> None:
    doc.heading("2. Regionalización operativa")
    doc.heading("Cifras registradas frente a publicadas", level=2)
    rows = [(c.label, c.registered, c.published,
             "—" if c.difference is None else f"{c.difference:+,}" if c.difference else "0") for c in report.comparisons]
    source = SRC_REG
    if report.period_label or report.source:
        source += " Publicadas: " + "; ".join(x for x in (report.source, report.period_label) if x) + "."
    doc.table(["Cifra", "Registrada", "Publicada", "Diferencia"], rows, numeric=(1, 2, 3), widths=[3, 1, 1, 1],
              source=source)
    for c in report.comparisons:
        if c.published is not None:
            doc.indicator(f"{c.label}: registradas / publicadas", c.registered, c.published)
    for c in report.differences:
        doc.problem("Cifras publicadas", f"{c.label}: registradas {fmt_int(c.registered)}, publicadas "
                                         f"{fmt_int(c.published)}.")

    doc.heading("Regiones operativas", level=2)
    rows = [(r.name, len(r.zones), sum(len(z.establishments) for z in r.zones), r.teams) for r in tree.regions]
    if rows:
        total = (TOTAL, *(sum(r[i] for r in rows) for i in range(1, 4)))
        doc.check_total("Regiones operativas", [r[1:] for r in rows], total[1:])
        doc.table(["Región operativa", "Zonas de servicios médicos", "Establecimientos en sus zonas",
                   "Equipos de supervisión zonal"], rows, total=total, numeric=(1, 2, 3), widths=[3, 1.2, 1.2, 1.2],
                  source=SRC_REG)
    else:
        doc.paragraph("La entidad no tiene regiones operativas registradas.")
    doc.paragraph(f"Establecimientos activos sin zona de servicios médicos: {fmt_int(len(tree.unassigned))}.")
    doc.spacer()

    zones = [(z, r.name) for r in tree.regions for z in r.zones]
    if zones:
        doc.heading("Zonas de servicios médicos", level=2)
        rows = [(z.name, region, f"{z.coordinating_clues} {z.coordinating_name}".strip() or "Sin hospital coordinador",
                 len(z.establishments)) for z, region in zones]
        total = (TOTAL, "", "", sum(r[3] for r in rows))
        doc.check_total("Zonas de servicios médicos", [r[3:] for r in rows], total[3:])
        doc.table(["Zona", "Región", "Hospital coordinador", "Unidades en la zona"], rows, total=total, numeric=(3,),
                  widths=[1.8, 1.8, 3.6, 1.3], source=SRC_REG)

    checks_ = [
        ("Zonas sin hospital coordinador válido", ["Zona", "Región", "Motivo"],
         [(z.zone_name, z.region_name, z.reason) for z in report.zones_without_coordinator], [2, 2, 4], "por nombre"),
        ("Zonas coordinadas por un hospital de otra entidad",
         ["Zona", "Entidad de la zona", "CLUES", "Hospital", "Entidad del hospital"],
         [(c.zone_name, c.zone_state, c.clues, c.establishment_name, c.establishment_state)
          for c in report.cross_state_coordinators], [2, 1.5, 1.3, 3, 1.5], "por zona"),
        ("Establecimientos sin zona de servicios médicos", ["CLUES", "Nombre", "Nivel"],
         [(u.clues, u.name, level_label(u.level)) for u in report.units_without_zone], [1.3, 4, 1.5], "por CLUES"),
        ("Regiones sin zonas activas", ["Región", "Motivo"],
         [(r.region_name, r.reason) for r in report.regions_without_zones], [2, 4], "por nombre"),
    ]
    for title, headers, rows, widths, order in checks_:
        capped_list(doc, title, headers, rows, widths, SRC_REG, order=order, empty="Sin observaciones.",
                    where_rest="La relación completa está en la página Regiones de la aplicación.")
        if rows:
            doc.problem(title, f"{fmt_int(len(rows))} (ver la sección 2): " + checks.listing([r[0] for r in rows]) + ".")


def _weekend(doc, state, rollout: list[wk.RolloutRow], target: wk.TargetInfo | None, series: list[wk.SeriesPoint],
             units: list[wk.UnitStatus], pending: list[wk.UnitStatus], as_of: date, has_period: bool) -> None:
    doc.heading("3. Apertura en fin de semana (atención los 7 días)")
    if target is not None:
        doc.paragraph(f"Meta vigente al corte: {fmt_int(target.units_target)} unidades fijas de primer nivel abiertas "
                      f"los 7 días, desde el {fmt_date(target.effective_from)}"
                      + (f" (fuente: {target.source})" if target.source else "") + ".")
    else:
        doc.paragraph("La entidad no tiene meta de apertura en fin de semana vigente al corte.")
    headers = ["Entidad", "Bloque", "Meta (unidades)", "Unidades viables", "Abiertas 7 días", "% de avance",
               "Médicos asignados", "Médicos requeridos"]
    rows = [(r.label, r.block if r.block is not None else "—", r.target, r.viable, r.open_units, pct(r.progress, 1),
             r.doctors_assigned, r.doctors_needed) for r in rollout]
    doc.table(headers, rows, numeric=range(1, 8), widths=[2.2, 0.8, 1, 1, 1, 1, 1, 1], source=SRC_WK)
    for r in rollout:
        if r.target:
            doc.indicator("Unidades abiertas 7 días / meta", r.open_units, r.target, percent=True)
        if r.doctors_needed:
            doc.indicator("Médicos asignados / requeridos", r.doctors_assigned, r.doctors_needed, percent=True)
    unregistered = sum(1 for u in units if not u.registered)
    doc.spacer()
    doc.paragraph(f"Unidades fijas de primer nivel: {fmt_int(len(units))}; con registro de apertura: "
                  f"{fmt_int(len(units) - unregistered)}; sin registro: {fmt_int(unregistered)}.")

    if series:
        first, last = series[0], series[-1]
        label = "en el periodo" if has_period else f"en las últimas {len(series)} semanas"
        doc.paragraph(f"Evolución {label}: {fmt_int(first.open_units)} unidades abiertas el domingo "
                      f"{fmt_date(first.week_end)} y {fmt_int(last.open_units)} el domingo {fmt_date(last.week_end)} "
                      f"({last.open_units - first.open_units:+,}).")
        targets = {p.target for p in series}
        days = [p.week_end for p in series]
        lines = [("Unidades abiertas 7 días", [p.open_units for p in series])]
        line_target = None
        if len(targets) == 1:
            line_target = next(iter(targets))
        else:
            lines.append(("Meta", [p.target or 0 for p in series]))
        doc.chart(charts.line_chart(days, lines, width=doc.width, height=170, target=line_target,
                                    title=f"Unidades abiertas los 7 días, cada domingo — {state.short_name}"),
                  source=SRC_WK)
    else:
        doc.paragraph("El periodo no incluye ningún domingo: no hay serie semanal que graficar.")

    rows = [(u.clues, u.name, u.days or "—", u.doctors, "; ".join(u.reasons)) for u in pending]
    capped_list(doc, "Unidades viables que aún no abren los 7 días", ["CLUES", "Unidad", "Días con turno", "Médicos",
                                                                   "Qué le falta"],
                rows, [1.25, 3.1, 1.2, 0.75, 3.7], SRC_WK, order="por CLUES", empty="Todas las unidades viables abren.",
                numeric=(3,),
                where_rest="La relación completa está en la página Apertura en fin de semana de la aplicación.")


def _authorisations(doc, compliance: list[auth_svc.SummaryRow], alerts: auth_svc.Alerts, period: str,
                    as_of: date, service_names: dict[str, str]) -> None:
    doc.heading("4. Autorizaciones sanitarias")
    obtained = "Obtenidas en el periodo" if period else "Obtenidas al corte"
    doc.paragraph("Vigentes: otorgadas y sin vencer al corte. " + (f"Obtenidas: otorgadas en el periodo {period}."
                                                                   if period else "Obtenidas: otorgadas hasta el corte.")
                  + " % = obtenidas ÷ requeridas × 100, por fila y para el total.")
    rows = [(r.label, r.required, r.current, r.in_process, r.obtained, r.not_started, pct(r.percent),
             pct(r.current_percent)) for r in compliance[:-1]]
    t = compliance[-1]
    total = (TOTAL, t.required, t.current, t.in_process, t.obtained, t.not_started, pct(t.percent),
             pct(t.current_percent))
    doc.check_total("Autorizaciones sanitarias", [r[1:6] for r in rows], total[1:6])
    doc.table(["Autorización", "Requeridas", "Vigentes", "En trámite", obtained, "No iniciadas",
               "% obtenidas", "% vigentes"], rows, total=total, numeric=range(1, 8),
              widths=[2.6, 1.1, 1, 1, 1.1, 1.1, 1, 1], source=SRC_AUTH)
    for r in compliance:
        if r.required:
            label = "Total" if r.is_total else r.label
            doc.indicator(f"{label}: obtenidas / requeridas", r.obtained, r.required, percent=True)
    doc.indicator("Total: vigentes / requeridas", t.current, t.required, percent=True)
    doc.spacer()
    shown = [r for r in compliance[:-1] if r.required]
    if shown:
        doc.chart(charts.bar_chart([short_type(r.type_code, r.label) for r in shown],
                                   [("Requeridas", [r.required for r in shown]), ("Vigentes", [r.current for r in shown]),
                                    (obtained, [r.obtained for r in shown])],
                                   width=doc.width, height=170, title="Autorizaciones por tipo"), source=SRC_AUTH)

    names = {r.type_code: short_type(r.type_code, r.label) for r in compliance[:-1]}
    where = "La relación completa está en la página Autorizaciones de la aplicación."
    doc.heading("Alertas de autorizaciones", level=1)
    capped_list(doc, "Autorizaciones vencidas", ["CLUES", "Establecimiento", "Autorización", "Estado", "Venció"],
                [(a.clues, a.establishment_name, names.get(a.what, a.what), _status(a.status), _d(a.expires_on))
                 for a in alerts.expired],
                [1.3, 3.2, 1.8, 1.1, 1], SRC_AUTH, order="por CLUES", empty="Ninguna.", where_rest=where)
    capped_list(doc, f"Vencen en los próximos 30 días (a partir del {fmt_date(as_of)})",
                ["CLUES", "Establecimiento", "Autorización", "Vence", "Días"],
                [(a.clues, a.establishment_name, names.get(a.what, a.what), _d(a.expires_on), a.days_left)
                 for a in alerts.expiring[30]],
                [1.3, 3.4, 1.8, 1, 0.7], SRC_AUTH, order="por fecha de vencimiento", empty="Ninguna.",
                where_rest=where, numeric=(4,))
    capped_list(doc, "Requeridas sin trámite iniciado", ["CLUES", "Establecimiento", "Autorización"],
                [(a.clues, a.establishment_name, names.get(a.what, a.what)) for a in alerts.not_started],
                [1.3, 4.5, 2], SRC_AUTH, order="por CLUES", empty="Ninguna.", where_rest=where)
    capped_list(doc, "Servicios sin responsable sanitario vigente", ["CLUES", "Establecimiento", "Servicio"],
                [(a.clues, a.establishment_name, service_names.get(a.what, a.what))
                 for a in alerts.services_without_responsable],
                [1.3, 4.5, 2], SRC_AUTH, order="por CLUES", empty="Ninguno.", where_rest=where)


def _status(value: str | None) -> str:
    return AuthorisationStatus(value).label if value else "—"


def _d(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _quality(doc, session, state, counts: EstablishmentCounts, items, report: figs.ConsistencyReport,
             target, as_of: date) -> None:
    """Run the pre-print checks; each finding goes to the closing quality page, and a count per check here."""
    doc.heading("5. Calidad de los datos")
    doc.paragraph("Antes de imprimir se aplicaron las mismas revisiones que usa la aplicación. Cada observación "
                  "se detalla en la última página, «Revisiones de calidad de datos».")
    doc.spacer(4)
    found = [("Establecimientos sin nivel de atención válido", checks.check_levels(doc, session, state.id))]
    if counts.active_baja:
        doc.problem("Estatus de operación", f"{fmt_int(counts.active_baja)} establecimientos activos tienen estatus "
                                            "«Baja»; use «Dar de baja» para retirarlos.")
    found.append(("Establecimientos activos con estatus «Baja»", counts.active_baja))
    found.append(("Autorizaciones vencidas contadas como vigentes", checks.check_expired_not_current(doc, items, as_of)))
    found.append(("Autorizaciones otorgadas después del corte", checks.check_future_dates(doc, items, as_of)))
    stale = [i for i in items if i.status in auth_svc._HOLDING and i.expires_on is not None and i.expires_on < as_of]
    if stale:
        doc.problem("Vigencia", f"{fmt_int(len(stale))} autorizaciones siguen con estado «Otorgada», «Vigente» o "
                                f"«Por vencer» aunque vencieron antes del {fmt_date(as_of)}; el informe las cuenta "
                                "como vencidas. Actualice su estado: "
                                + checks.listing([f"{i.clues} {i.type_code}" for i in stale]) + ".")
    found.append(("Estado «Vigente» con fecha de vencimiento pasada", len(stale)))
    found.append(("Cifras de regionalización distintas a las publicadas", len(report.differences)))
    found.append(("Zonas sin hospital coordinador válido", len(report.zones_without_coordinator)))
    found.append(("Establecimientos activos sin zona", len(report.units_without_zone)))
    ineligible = ineligible_weekend_records(session, state.id)
    if ineligible:
        doc.problem("Apertura en fin de semana",
                    f"{fmt_int(len(ineligible))} registros de apertura en unidades que ya no son fijas de primer nivel "
                    "activas (no se cuentan): " + checks.listing(ineligible) + ".")
    found.append(("Registros de apertura en unidades no elegibles", len(ineligible)))
    if target is None:
        doc.problem("Apertura en fin de semana", f"{state.short_name} no tiene meta vigente al {fmt_date(as_of)}.")
    found.append(("Entidad sin meta de apertura vigente", 0 if target is not None else 1))
    found.append(("Totales que no suman sus filas", sum(1 for p in doc.problems if p.check == "Totales")))
    doc.table(["Revisión", "Observaciones"], [(label, n if n else "Sin observaciones") for label, n in found],
              numeric=(1,), widths=[4, 1.4], source="Revisiones previas a la impresión.")


LEVEL_SHORT = {"PRIMER": "1.er", "SEGUNDO": "2.º", "TERCER": "3.er", "NO_APLICA": "N/A"}
STATUS_SHORT = {"EN_OPERACION": "En operación", "CERRADO_TEMPORALMENTE": "Cerrado temp.",
                "EN_CONSTRUCCION": "En construcción", "BAJA": "Baja"}


def _annex(doc: ReportDocument, session: Session, table, units: list[wk.UnitStatus],
           items: list[auth_svc.ComplianceItem]) -> None:
    """Every active establishment, by CLUES: the table that runs over many pages with its header repeated."""
    doc.flowable(PageBreak())
    doc.heading("Anexo. Relación de establecimientos activos")
    weekend = {u.establishment_id: ("Sí" if u.open_7_days else "No") for u in units}
    required: Counter = Counter()
    current: Counter = Counter()
    for i in items:
        required[i.establishment_id] += 1
        current[i.establishment_id] += i.current
    codes = dict(session.execute(select(Typology.name, Typology.code)).all())
    order = sorted((k for k in range(len(table)) if not table.retired[k]), key=table.clues.__getitem__)
    rows, used = [], set()
    for k in order:
        est_id = table.ids[k]
        typology = codes.get(table.typologies[k], table.typologies[k]) or "—"
        used.add(table.typologies[k])
        auth = f"{current[est_id]} / {required[est_id]}" if required[est_id] else "—"
        rows.append((table.clues[k], table.names[k], typology, LEVEL_SHORT.get(table.levels[k], "—"),
                     STATUS_SHORT.get(table.statuses[k], table.statuses[k]), table.zones[k] or "Sin zona",
                     weekend.get(est_id, "—"), auth))
    legend = "; ".join(f"{codes[name]} {name}" for name in sorted(used, key=lambda n: codes.get(n, n)) if name in codes)
    doc.paragraph("Nivel de atención: 1.er primer nivel, 2.º segundo, 3.er tercero, N/A no aplica. "
                  "7 días: «Sí» abre los 7 días al corte; «No» unidad fija de primer nivel que aún no abre; «—» no "
                  "aplica (hospitales, unidades móviles, otros). Autoriz.: autorizaciones vigentes / requeridas. "
                  + (f"Tipo (tipología): {legend}." if legend else ""))
    doc.spacer(4)
    # widths in points (the letter frame is 510 wide): CLUES, codes and most zone names fit on one line
    plain_table(doc, ["CLUES", "Nombre", "Tipo", "Nivel", "Estatus", "Zona", "7 días", "Autoriz."], rows,
                numeric=(7,), widths=[57, 187, 36, 28, 52, 80, 30, 40], source=SRC_EST)


__all__ = ["build", "TITLE", "LIST_LIMIT", "compliance_items", "alerts_from", "summary_rows", "establishment_counts",
           "level_label", "pct", "plain_table", "capped_list"]
