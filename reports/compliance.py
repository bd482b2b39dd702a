"""«Cumplimiento sanitario»: the authorisations compliance table (one row per type and its computed total), the
indicator lines with their real numbers, a chart of current against required, the per-state table (national
scope), the alerts at the cut-off date and, as annexes, the required procedures not started and the
establishment-level detail.

Every figure comes from one snapshot, ``compliance_items`` of the scope: the table, the per-state rows and the
detail are counted from the same items, so the detail always adds up to the table.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, LongTable, PageBreak, Paragraph, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session
from xml.sax.saxutils import escape

from models.entities import AuthorisationType, Establishment, ServiceType, State
from models.enums import AuthorisationStatus
from models.importing.plan import NO_PROGRESS, Progress
from models.services import authorisations as auth
from models.services import office
from models.services.region_figures import period_label
from models.services.report_settings import DEFAULT_SIGNATORIES
from reports import checks
from reports.catalog import ReportError, ReportRequest
from reports.charts import bar_chart
from reports.framework import FONT, GRID, HEADER_FILL, ReportDocument, ReportMeta, fmt_date, fmt_int, scope_label

TITLE = "Cumplimiento sanitario"
SOURCE = "Registro de autorizaciones sanitarias de la coordinación (base de datos local)."
SCOPE_NOTE = ("Trámites requeridos de los establecimientos en operación, cerrados temporalmente o en "
              "construcción; «vigentes» a la fecha de corte.")
# the compliance tables, in points: the headers fit without breaking a word
SUMMARY_WIDTHS = (161, 55, 45, 45, 50, 45, 56, 53)
SUMMARY_HEADERS = ("Autorización", "Requeridas", "Vigentes", "En trámite", "Obtenidas en el periodo", "Sin iniciar",
                   "Avance (obtenidas ÷ requeridas)", "Vigentes ÷ requeridas")
STATE_HEADERS = ("Entidad", "Requeridas", "Vigentes", "En trámite", "Obtenidas en el periodo", "Sin iniciar",
                 "Avance (obtenidas ÷ requeridas)", "Vigentes ÷ requeridas")
DETAIL_HEADERS = ("Establecimiento (CLUES y nombre)", "Autorización", "Estado del trámite", "Folio", "Otorgada",
                  "Vence")
# column widths in points (they add up to the 510-pt frame): at 7 pt a date, the longest type and status and a folio
# such as «COFEPRIS-2026-001» fit on one line
DETAIL_WIDTHS = (139, 114, 86, 77, 47, 47)
DETAIL_SIZE = 7.0
CLUES_COLUMNS = 8
NATIONAL_LIST_LIMIT = 5_000
"""In the national scope a list longer than this is summarised per state instead of printed row by row (a
69,000-row annex is neither readable nor quick on an office PC); the state scope always prints every row."""
NO_RECORD = "Sin trámite"


@dataclass(frozen=True)
class Period:
    """The «obtained in the period» window."""

    start: date
    end: date

    @property
    def label(self) -> str:
        return period_label(self.start, self.end)


def period_of(request: ReportRequest) -> Period:
    """The request's period; by default from 1 January of the cut-off year to the cut-off date."""
    end = request.period_end or request.as_of
    start = request.period_start or date(end.year, 1, 1)
    if start > end:
        raise ReportError(f"El inicio del periodo ({fmt_date(start)}) es posterior a su fin ({fmt_date(end)}).")
    return Period(start, end)


def short_name(name: str) -> str:
    """A type's name without its parenthesis, for narrow columns and chart labels: «Licencia de operación CNSNS»."""
    return re.sub(r"\s*\([^)]*\)", "", name).strip() or name


def pct(value: float | None) -> str:
    """0.91 → «0.91%»; None (nothing required) → «—»."""
    return "—" if value is None else f"{value:,.2f}%"


def formula(label: str, numerator: int, denominator: int, value: float | None) -> str:
    """«Licencia sanitaria: obtenidas / requeridas = 16 / 1,754 = 0.91%», with the service's own rounding (half up),
    so the line and the table always print the same percentage."""
    text = f"{label} = {fmt_int(numerator)} / {fmt_int(denominator)}"
    return text + (f" = {pct(value)}" if value is not None else " = — (no hay requeridas)")


def _dmy(value: date | None, missing: str = "—") -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year}" if value else missing


def status_text(item_status: str | None, expires_on: date | None, as_of: date) -> str:
    """The procedure's status in Spanish; a held authorisation whose expiry date passed says so."""
    if item_status is None:
        return NO_RECORD
    status = AuthorisationStatus(item_status)
    if status in auth.HOLDING and expires_on is not None and expires_on < as_of:
        return f"{status.label} (vencida)"
    return status.label


def counts_by_type(items: Sequence[auth.ComplianceItem], types: Sequence[tuple[str, str]]) -> list[auth.SummaryRow]:
    """The compliance table from the items, exactly as ``authorisations.summary`` counts them (and its total row)."""
    by_type: dict[str, list[auth.ComplianceItem]] = defaultdict(list)
    for i in items:
        by_type[i.type_code].append(i)
    counts = []
    for code, name in types:
        mine = by_type.get(code, [])
        counts.append((code, name, len(mine), sum(i.current for i in mine), sum(i.in_process for i in mine),
                       sum(i.obtained for i in mine), sum(i.not_started for i in mine)))
    return auth.summary_table(counts)


def _figures(row: auth.SummaryRow) -> tuple[int, int, int, int, int]:
    return row.required, row.current, row.in_process, row.obtained, row.not_started


def _row_cells(label: str, row: auth.SummaryRow) -> tuple:
    return (label, *_figures(row), pct(row.percent), pct(row.current_percent))


# ------------------------------------------------------------------------------------------------ plain tables

CELL_SIZE, CELL_LEADING, PAD, VPAD = 7.5, 9, 3, 2
STRIPE = colors.HexColor("#F7F3F5")


class Wrapper:
    """Breaks text into lines that fit a column (cached: names and labels repeat thousands of times)."""

    def __init__(self, font: str = FONT, size: float = CELL_SIZE):
        self.font, self.size = font, size
        self._cache: dict[tuple[str, float], list[str]] = {}

    def __call__(self, text: str, width: float) -> list[str]:
        key = (text, width)
        found = self._cache.get(key)
        if found is None:
            found = []
            for line in simpleSplit(text, self.font, self.size, width) or [""]:
                while stringWidth(line, self.font, self.size) > width and len(line) > 1:  # a word wider than the column
                    cut = len(line) - 1
                    while cut > 1 and stringWidth(line[:cut], self.font, self.size) > width:
                        cut -= 1
                    found.append(line[:cut])
                    line = line[cut:]
                found.append(line)
            self._cache[key] = found
        return found


class PlainTable(Flowable):
    """A table of plain pre-wrapped strings drawn straight on the canvas: the look of ``ReportDocument.table``
    (grid, shaded header repeated on every page, rows never split) at a fraction of its cost, for lists of
    thousands of rows. Cells hold one or more lines separated by «\\n» (see :func:`wrapped_row`)."""

    def __init__(self, header: Sequence[Paragraph], rows: Sequence[Sequence[str]], widths: Sequence[float],
                 numeric: Sequence[int] = (), size: float = CELL_SIZE, start: int = 0, stop: int | None = None,
                 _shared=None):
        super().__init__()
        self.header, self.widths, self.numeric = list(header), list(widths), frozenset(numeric)
        self.size, self.leading = size, size * CELL_LEADING / CELL_SIZE
        if _shared is None:
            lines = [[cell.split("\n") for cell in row] for row in rows]
            heights = [max(len(c) for c in row) * self.leading + 2 * VPAD for row in lines]
            tops = [0.0]
            for h in heights:
                tops.append(tops[-1] + h)
            # the header paragraphs are wrapped once, here, and drawn as wrapped on every page
            head = max(p.wrap(w - 2 * PAD, 10_000)[1] for p, w in zip(self.header, self.widths)) + 2 * VPAD
            _shared = (lines, tops, head)
        self._shared = _shared
        self.start, self.stop = start, len(_shared[0]) if stop is None else stop
        self._header_h = _shared[2]

    def wrap(self, avail_width, avail_height):  # noqa: D102 - platypus API
        tops = self._shared[1]
        self.width = sum(self.widths)
        self.height = self._header_h + tops[self.stop] - tops[self.start]
        return self.width, self.height

    def split(self, avail_width, avail_height):  # noqa: D102 - platypus API
        tops = self._shared[1]
        room = avail_height - self._header_h
        # the last row that still fits: tops[k] - tops[start] <= room
        k = bisect_right(tops, tops[self.start] + room, self.start, self.stop + 1) - 1
        if k <= self.start:
            return []
        if k >= self.stop:
            return [self]
        return [PlainTable(self.header, (), self.widths, self.numeric, self.size, self.start, k, self._shared),
                PlainTable(self.header, (), self.widths, self.numeric, self.size, k, self.stop, self._shared)]

    def draw(self):  # noqa: D102 - platypus API
        canv, (lines, tops) = self.canv, self._shared[:2]
        width, top = sum(self.widths), self.height
        lefts = [0.0]
        for w in self.widths:
            lefts.append(lefts[-1] + w)
        canv.saveState()
        head_h = self._header_h
        canv.setFillColor(HEADER_FILL)
        canv.rect(0, top - head_h, width, head_h, stroke=0, fill=1)
        y = top - head_h
        for k in range(self.start, self.stop):  # stripes on every second row (by absolute row number)
            h = tops[k + 1] - tops[k]
            if k % 2:
                canv.setFillColor(STRIPE)
                canv.rect(0, y - h, width, h, stroke=0, fill=1)
            y -= h
        for p, x in zip(self.header, lefts):
            p.drawOn(canv, x + PAD, top - head_h + (head_h - p.height) / 2)
        canv.setFillColor(colors.black)
        text = canv.beginText()
        size, leading = self.size, self.leading
        text.setFont(FONT, size, leading)
        y = top - head_h
        for k in range(self.start, self.stop):
            cells = lines[k]
            baseline = y - VPAD - size
            for j in range(max(len(cell) for cell in cells)):  # line by line, so that copied text reads across
                for c, cell in enumerate(cells):
                    line = cell[j] if j < len(cell) else ""
                    if line:
                        x = lefts[c + 1] - PAD - stringWidth(line, FONT, size) if c in self.numeric else lefts[c] + PAD
                        text.setTextOrigin(x, baseline)
                        text.textOut(line)
                baseline -= leading
            y -= tops[k + 1] - tops[k]
        canv.drawText(text)
        bottom = top - head_h - (tops[self.stop] - tops[self.start])
        rules = [(0, top, width, top), (0, top - head_h, width, top - head_h)]
        y = top - head_h
        for k in range(self.start, self.stop):
            y -= tops[k + 1] - tops[k]
            rules.append((0, y, width, y))
        rules += [(x, top, x, bottom) for x in lefts]
        canv.setStrokeColor(GRID)
        canv.setLineWidth(0.4)
        canv.lines(rules)
        canv.restoreState()


def plain_table(doc: ReportDocument, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
                *, numeric: Sequence[int] = (), source: str | None = None, size: float = CELL_SIZE) -> None:
    """Append a :class:`PlainTable` (relative ``widths`` scaled to the frame) and its «Fuente:» line."""
    scale = doc.width / sum(widths)
    header = [Paragraph(escape(h), doc.styles["head"]) for h in headers]
    doc.flowable(PlainTable(header, rows, [w * scale for w in widths], numeric, size))
    if source:
        doc.source(source)


def cell_widths(doc: ReportDocument, widths: Sequence[float]) -> list[float]:
    """The text width inside each column of a :func:`plain_table` with these relative widths."""
    scale = doc.width / sum(widths)
    return [w * scale - 2 * PAD for w in widths]


def grouped_row(wrap: Wrapper, widths: Sequence[float], fixed: Sequence[str],
                subrows: Sequence[Sequence[str]]) -> list[str]:
    """One table row for a group: the ``fixed`` cells (e.g. CLUES and name) once, then the ``subrows`` stacked
    in the remaining columns, each padded to its tallest cell so that the lines of a subrow stay level."""
    k = len(fixed)
    cells = ["\n".join(wrap(text, widths[i])) for i, text in enumerate(fixed)]
    stacked: list[list[str]] = [[] for _ in range(len(widths) - k)]
    for sub in subrows:
        wrapped = [wrap(text, widths[k + j]) for j, text in enumerate(sub)]
        height = max(len(w) for w in wrapped)
        for j, lines in enumerate(wrapped):
            stacked[j] += lines + [""] * (height - len(lines))
    return cells + ["\n".join(lines) for lines in stacked]


def wrapped_row(wrap: Wrapper, widths: Sequence[float], cells: Sequence[str]) -> list[str]:
    """One plain row with every cell wrapped to its column."""
    return ["\n".join(wrap(text, width)) for text, width in zip(cells, widths)]


# ------------------------------------------------------------------------------------------------ build

def build(session: Session, request: ReportRequest, *, signatories=DEFAULT_SIGNATORIES, out: str | Path | None = None,
          progress: Progress = NO_PROGRESS) -> bytes:
    """Build the report for one state (``request.state_id``) or all states (None); returns the PDF bytes."""
    state_id, as_of = request.state_id, request.as_of
    period = period_of(request)
    state = session.get(State, state_id) if state_id is not None else None
    if state_id is not None and state is None:
        raise ReportError("La entidad del reporte no existe.")
    national = state is None
    steps = 5
    progress.report(0, steps, "Leyendo las autorizaciones sanitarias")
    types = [(c, n) for c, n in session.execute(select(AuthorisationType.code, AuthorisationType.name)
                                                .where(AuthorisationType.deleted_at.is_(None))
                                                .order_by(AuthorisationType.id))]
    labels = {code: short_name(name) for code, name in types}
    items = auth.compliance_items(session, state_id, as_of, period.start, period.end)
    rows = counts_by_type(items, types)
    progress.report(1, steps, "Revisando alertas y vencimientos")
    alerts = alerts_from_items(items, as_of, auth.services_without_responsable(session, state_id, as_of))
    services = dict(session.execute(select(ServiceType.code, ServiceType.name)).all())
    state_of: dict[int, int] = {}
    if national:
        state_of = dict(session.execute(select(Establishment.id, Establishment.state_id)
                                        .where(Establishment.deleted_at.is_(None))).all())

    doc = ReportDocument(ReportMeta(TITLE, scope_label(state.short_name if state else None), as_of,
                                    subtitle=f"Periodo: {period.label}"))
    progress.report(2, steps, "Revisando la calidad de los datos")
    checks.check_levels(doc, session, state_id)
    checks.check_expired_not_current(doc, items, as_of)
    checks.check_future_dates(doc, items, as_of)
    _check_stale_status(doc, items, as_of, labels)

    # 1. the compliance table, its indicators and chart
    establishments = len({i.establishment_id for i in items})
    doc.heading("Autorizaciones sanitarias por tipo")
    doc.paragraph(f"Periodo: {period.label}. Situación al {fmt_date(as_of)} (fecha de corte). "
                  f"{fmt_int(establishments)} establecimientos con trámites requeridos"
                  + (" en todas las entidades." if national else f" en {state.short_name}."))
    doc.spacer(4)
    table_rows = [_row_cells(r.label, r) for r in rows[:-1]]
    total = rows[-1]
    doc.check_total("Autorizaciones sanitarias por tipo", [_figures(r) for r in rows[:-1]], _figures(total))
    doc.table(SUMMARY_HEADERS, table_rows, total=_row_cells("Total", total), numeric=range(1, 8),
              widths=SUMMARY_WIDTHS, source=f"{SOURCE} {SCOPE_NOTE} «Obtenidas en el periodo»: otorgadas entre el "
                                            f"{fmt_date(period.start)} y el {fmt_date(period.end)}.")
    _indicators(doc, rows, labels)
    _chart(doc, rows, labels)

    # 2. per state (national scope)
    if national:
        _per_state(doc, session, items, state_of, types, total)

    # 3. alerts
    progress.report(3, steps, "Componiendo las alertas")
    _alerts(doc, alerts, labels, services, as_of, national, state_of, session)
    doc.signatures(signatories)

    # annexes: long lists after the signatures
    progress.report(4, steps, "Componiendo el detalle por establecimiento")
    doc.flowable(PageBreak())
    _not_started_annex(doc, alerts.not_started, labels, national, detail_printed=not national
                       or len(items) <= NATIONAL_LIST_LIMIT)
    _detail_annex(doc, items, labels, as_of, national, state_of, session)
    data = doc.build(out)
    progress.report(steps, steps, "Reporte listo")
    return data


alerts_from_items = auth.alerts_from_items  # from the items this report already read


def _check_stale_status(doc: ReportDocument, items: Sequence[auth.ComplianceItem], as_of: date,
                        labels: dict[str, str]) -> None:
    """Recorded as held (otorgada, vigente, por vencer) with an expiry date already passed: not counted as
    current here, but the record should be moved to «Vencida»."""
    stale = [i for i in items if i.status and AuthorisationStatus(i.status) in auth.HOLDING
             and i.expires_on is not None and i.expires_on < as_of]
    if stale:
        found = checks.listing([f"{i.clues} {labels.get(i.type_code, i.type_code)}" for i in stale])
        doc.problem("Vigencia", f"{fmt_int(len(stale))} autorizaciones registradas como otorgadas, vigentes o por "
                                f"vencer tienen fecha de vencimiento anterior al {fmt_date(as_of)}; no se cuentan como "
                                f"vigentes y conviene cambiar su estado a «Vencida»: {found}.")


def _indicators(doc: ReportDocument, rows: list[auth.SummaryRow], labels: dict[str, str]) -> None:
    """One formula line per type (and the total): obtained ÷ required, then current ÷ required."""
    doc.heading("Indicadores", level=2)
    style = doc.styles["indicator"]
    for title, numerator, value in (("obtenidas en el periodo / requeridas", "obtained", "percent"),
                                    ("vigentes / requeridas", "current", "current_percent")):
        for r in rows:
            if not r.required and not r.is_total:
                continue
            label = "Total" if r.is_total else labels.get(r.type_code, r.label)
            text = formula(f"{label}: {title}", getattr(r, numerator), r.required, getattr(r, value))
            doc.flowable(Paragraph(("<b>%s</b>" if r.is_total else "%s") % escape(text), style))
        doc.spacer(4)


def _chart(doc: ReportDocument, rows: list[auth.SummaryRow], labels: dict[str, str]) -> None:
    shown = [r for r in rows[:-1] if r.required] or rows[:-1]
    if not shown:
        return
    drawing = bar_chart([labels.get(r.type_code, r.label) for r in shown],
                        [("Requeridas", [r.required for r in shown]), ("Vigentes", [r.current for r in shown]),
                         ("En trámite", [r.in_process for r in shown])],
                        width=doc.width, height=180,
                        title="Autorizaciones vigentes y en trámite frente a las requeridas")
    doc.chart(drawing, source=SOURCE)


def _state_names(session: Session) -> dict[int, str]:
    return {s.id: s.short_name for s in office.list_states(session)}


def _per_state(doc: ReportDocument, session: Session, items: Sequence[auth.ComplianceItem], state_of: dict[int, int],
               types: Sequence[tuple[str, str]], total: auth.SummaryRow) -> None:
    """National scope: one row per state (adhered, or with required procedures) and the computed total."""
    by_state: dict[int, list[auth.ComplianceItem]] = defaultdict(list)
    for i in items:
        by_state[state_of.get(i.establishment_id, 0)].append(i)
    shown = [s for s in office.list_states(session) if s.adhered or s.id in by_state]
    per_state = auth.summary_table([(str(s.id), s.short_name, *_figures(counts_by_type(by_state.get(s.id, []),
                                                                                        types)[-1])) for s in shown])
    rows, state_total = per_state[:-1], per_state[-1]
    doc.heading("Cumplimiento por entidad")
    doc.check_total("Cumplimiento por entidad", [_figures(r) for r in rows], _figures(state_total))
    if _figures(state_total) != _figures(total):
        doc.problem("Totales", "La suma de las entidades no coincide con el total por tipo de autorización "
                               f"({fmt_int(state_total.required)} frente a {fmt_int(total.required)} requeridas).")
    doc.table(STATE_HEADERS, [_row_cells(r.label, r) for r in rows], total=_row_cells("Total", state_total),
              numeric=range(1, 8), widths=SUMMARY_WIDTHS, source=f"{SOURCE} {SCOPE_NOTE}")


# ------------------------------------------------------------------------------------------------ alerts

def _alerts(doc: ReportDocument, alerts: auth.Alerts, labels: dict[str, str], services: dict[str, str], as_of: date,
            national: bool, state_of: dict[int, int], session: Session) -> None:
    windows = sorted(alerts.expiring)
    widest = windows[-1] if windows else 0
    doc.heading(f"Alertas al {fmt_date(as_of)}")
    summary = [("Autorizaciones vencidas", len(alerts.expired))]
    summary += [(f"Por vencer en los próximos {d} días", len(alerts.expiring[d])) for d in windows]
    summary += [("Trámites requeridos sin iniciar (anexo 1)", len(alerts.not_started)),
                ("Servicios sin responsable sanitario vigente", len(alerts.services_without_responsable))]
    doc.table(("Alerta", "Número"), summary, numeric=(1,), widths=[5, 1],
              source="Las ventanas de vencimiento son acumulativas: la de 60 días incluye la de 30. " + SOURCE)
    if national:
        _alerts_per_state(doc, session, alerts, state_of)

    doc.heading(f"Autorizaciones vencidas: {fmt_int(len(alerts.expired))}", level=2)
    rows = [(a.clues, a.establishment_name, labels.get(a.what, a.what), status_text(a.status, a.expires_on, as_of),
             _dmy(a.expires_on), -a.days_left if a.days_left is not None else None)
            for a in sorted(alerts.expired, key=lambda a: (a.expires_on or date.min, a.clues))]
    _list(doc, ("CLUES", "Establecimiento", "Autorización", "Estado", "Venció", "Días vencida"), rows,
          [59, 165, 121, 70, 50, 45], national, numeric=(5,))

    if windows:
        doc.heading(f"Por vencer en los próximos {widest} días: {fmt_int(len(alerts.expiring[widest]))}", level=2)

        def window(days_left: int | None) -> str:
            return next((f"≤ {d} días" for d in windows if days_left is not None and days_left <= d), "")

        rows = [(a.clues, a.establishment_name, labels.get(a.what, a.what), _dmy(a.expires_on), a.days_left,
                 window(a.days_left)) for a in alerts.expiring[widest]]
        _list(doc, ("CLUES", "Establecimiento", "Autorización", "Vence", "Días restantes", "Plazo"), rows,
              [59, 185, 121, 50, 50, 45], national, numeric=(4,))

    doc.heading("Servicios sin responsable sanitario vigente: "
                f"{fmt_int(len(alerts.services_without_responsable))}", level=2)
    rows = [(a.clues, a.establishment_name, services.get(a.what, a.what)) for a in alerts.services_without_responsable]
    _list(doc, ("CLUES", "Establecimiento", "Servicio"), rows, [59, 260, 191], national)


def _text(value) -> str:
    if value is None:
        return "—"
    return fmt_int(value) if isinstance(value, int) else str(value)


def _list(doc: ReportDocument, headers: Sequence[str], rows: list[tuple], widths: Sequence[float], national: bool,
          numeric: Sequence[int] = ()) -> None:
    """A list of alerts, or a line saying there is none (or, national and too long, where to see it)."""
    if not rows:
        doc.paragraph("Sin casos al corte.")
    elif national and len(rows) > NATIONAL_LIST_LIMIT:
        doc.paragraph(f"{fmt_int(len(rows))} casos: demasiados para listarlos en el consolidado nacional; el cuadro de "
                      "alertas por entidad los resume y el reporte de cada entidad los lista uno por uno.")
    else:
        wrap, inner = Wrapper(), cell_widths(doc, widths)
        plain_table(doc, headers, [wrapped_row(wrap, inner, [_text(v) for v in r]) for r in rows], widths,
                    numeric=numeric, source=SOURCE)


def _alerts_per_state(doc: ReportDocument, session: Session, alerts: auth.Alerts, state_of: dict[int, int]) -> None:
    """National scope: the number of each alert per state, with the computed total."""
    windows = sorted(alerts.expiring)
    lists = [alerts.expired, *(alerts.expiring[d] for d in windows), alerts.not_started,
             alerts.services_without_responsable]
    counts: dict[int, list[int]] = defaultdict(lambda: [0] * len(lists))
    for k, values in enumerate(lists):
        for a in values:
            counts[state_of.get(a.establishment_id, 0)][k] += 1
    names = _state_names(session)
    rows = [(names.get(sid, "Sin entidad"), *values) for sid, values in sorted(counts.items(), key=lambda kv: kv[0])]
    if not rows:
        return
    total = ("Total", *(len(values) for values in lists))
    doc.check_total("Alertas por entidad", [r[1:] for r in rows], total[1:])
    headers = ("Entidad", "Vencidas", *(f"Vencen ≤ {d} días" for d in windows), "Sin iniciar",
               "Servicios sin responsable")
    doc.spacer(4)
    doc.table(headers, rows, total=total, numeric=range(1, len(headers)),
              widths=[2.4] + [1] * (len(headers) - 1), source=SOURCE)


# ------------------------------------------------------------------------------------------------ annexes

def _not_started_annex(doc: ReportDocument, not_started: list[auth.AlertItem], labels: dict[str, str], national: bool,
                       detail_printed: bool) -> None:
    """Anexo 1: the required procedures not started, as a grid of CLUES per authorisation type (names and the rest of
    each establishment's procedures are in anexo 2)."""
    doc.heading(f"Anexo 1. Trámites requeridos sin iniciar: {fmt_int(len(not_started))}")
    if not not_started:
        doc.paragraph("Sin casos al corte.")
        return
    by_type: dict[str, list[str]] = {}
    for a in not_started:
        by_type.setdefault(a.what, []).append(a.clues)
    where = "en el anexo 2" if detail_printed else "en el reporte de su entidad"
    doc.paragraph(f"{fmt_int(len({a.establishment_id for a in not_started}))} establecimientos tienen al menos un "
                  "trámite requerido sin iniciar (sin trámite registrado, o registrado como «Requerida»). CLUES por "
                  f"tipo de autorización; el nombre y los demás trámites de cada establecimiento están {where}.")
    order = {code: k for k, code in enumerate(labels)}
    for code in sorted(by_type, key=lambda c: order.get(c, len(order))):
        clues = sorted(by_type[code])
        doc.heading(f"{labels.get(code, code)}: {fmt_int(len(clues))}", level=2)
        if national and len(clues) > NATIONAL_LIST_LIMIT:
            doc.paragraph("Demasiados para listarlos en el consolidado nacional; el cuadro de alertas por entidad los "
                          "resume y el reporte de cada entidad los lista uno por uno.")
            continue
        rows = [clues[k:k + CLUES_COLUMNS] for k in range(0, len(clues), CLUES_COLUMNS)]
        rows[-1] = rows[-1] + [""] * (CLUES_COLUMNS - len(rows[-1]))
        last = len(rows[-1]) - rows[-1].count("")
        grid = LongTable(rows, colWidths=[doc.width / CLUES_COLUMNS] * CLUES_COLUMNS, splitByRow=1, style=TableStyle([
            ("GRID", (0, 0), (-1, -2), 0.25, GRID),
            ("GRID", (0, -1), (last - 1, -1), 0.25, GRID),
            ("FONTNAME", (0, 0), (-1, -1), FONT),
            ("FONTSIZE", (0, 0), (-1, -1), CELL_SIZE),
            ("LEADING", (0, 0), (-1, -1), CELL_LEADING),
            ("TOPPADDING", (0, 0), (-1, -1), 1.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ]))
        doc.flowable(grid)
    doc.source(SOURCE)


def _detail_annex(doc: ReportDocument, items: Sequence[auth.ComplianceItem], labels: dict[str, str], as_of: date,
                  national: bool, state_of: dict[int, int], session: Session) -> None:
    """Anexo 2: every required procedure by establishment (CLUES order), with status, folio and dates."""
    establishments = len({i.establishment_id for i in items})
    doc.heading(f"Anexo 2. Detalle por establecimiento: {fmt_int(len(items))} trámites requeridos de "
                f"{fmt_int(establishments)} establecimientos")
    if national and len(items) > NATIONAL_LIST_LIMIT:
        names = _state_names(session)
        per_state: dict[int, int] = defaultdict(int)
        for i in items:
            per_state[state_of.get(i.establishment_id, 0)] += 1
        doc.paragraph(f"{fmt_int(len(items))} trámites: demasiados para listarlos en el consolidado nacional. Genere "
                      "el reporte de cada entidad para ver su detalle por establecimiento. Trámites requeridos por "
                      "entidad:")
        doc.spacer(4)
        table = [(names.get(sid, "Sin entidad"), n) for sid, n in sorted(per_state.items())]
        doc.table(("Entidad", "Trámites requeridos"), table, total=("Total", len(items)), numeric=(1,), widths=[3, 1],
                  source=SOURCE)
        return
    if not items:
        doc.paragraph("No hay trámites requeridos en el alcance del reporte.")
        return
    doc.paragraph("Ordenado por CLUES; un renglón por establecimiento y una línea por trámite requerido. "
                  "«Sin trámite»: requerido por la regla de su nivel de atención o de sus servicios, sin trámite capturado.")
    doc.spacer(4)
    wrap, inner = Wrapper(size=DETAIL_SIZE), cell_widths(doc, DETAIL_WIDTHS)
    groups: dict[int, list[auth.ComplianceItem]] = {}
    for i in items:
        groups.setdefault(i.establishment_id, []).append(i)
    rows = []
    for group in sorted(groups.values(), key=lambda g: g[0].clues):
        # empty cells stay blank (a dash in every empty cell of thousands of rows is noise, and slow to draw)
        row = grouped_row(wrap, inner, ("",), [(labels.get(i.type_code, i.type_code),
                                                status_text(i.status, i.expires_on, as_of), i.folio,
                                                _dmy(i.granted_on, ""), _dmy(i.expires_on, "")) for i in group])
        row[0] = "\n".join([group[0].clues, *wrap(group[0].establishment_name, inner[0])])
        rows.append(row)
    plain_table(doc, DETAIL_HEADERS, rows, DETAIL_WIDTHS, source=SOURCE, size=DETAIL_SIZE)


__all__ = ["build", "TITLE", "period_of", "counts_by_type", "formula"]
