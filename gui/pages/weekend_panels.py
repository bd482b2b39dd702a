"""Parts of the weekend-opening page: the rollout summary (big figures, formula, table by block), the
progress-over-time chart and the unit list with its as-you-type filter."""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import numpy as np
from PySide6.QtCharts import QCategoryAxis, QChart, QChartView, QLineSeries, QValueAxis
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QLocale, QMargins, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.item_models.columnar import ColumnarFilterProxy
from gui.item_models.weekend import (
    SummaryTableModel,
    UnitTableModel,
    doctors_formula,
    optional_int,
    percent_text,
    progress_formula,
)
from models.services.weekend import RolloutRow, SeriesPoint, UnitStatus
from models.text import format_int

SEARCH_DELAY_MS = 120
# What pending units lack, grouped: (caption, search words that find them in the list, reason prefix).
PENDING_GROUPS = (
    ("sin médico algún día", "sin medico", "Sin médico"),
    ("sin turno algún día", "sin turno", "Sin turno"),
    ("interrumpidas", "interrumpida", "Interrumpida"),
    ("con inicio después de la fecha de corte", "a partir", "Abre en fin de semana a partir"),
    ("sin fecha de inicio", "sin fecha de inicio", "Sin fecha de inicio"),
)
STATS = (("target", "Meta de unidades"), ("viable", "Viables registradas"), ("open", "Abiertas los 7 días"),
         ("progress", "Avance"), ("doctors", "Médicos asignados / necesarios"))
STATS_STYLE = ("QFrame#weekendStats { background: #ffffff; border: 1px solid #d5d9d7; border-radius: 4px; }"
               "QLabel#statNumber { font-size: 17pt; font-weight: 600; color: #235b4e; }"
               "QLabel#statCaption { color: #404040; font-size: 9pt; }")

MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
TITLE = "Unidades abiertas los 7 días, por semana"
OPEN_COLOR = QColor("#235b4e")
TARGET_COLOR = QColor("#bc955c")


def month_ticks(start: date, end: date, most: int = 8) -> list[tuple[str, int]]:
    """(label, day offset from ``start``) at month starts within the range: Spanish month abbreviations, the
    year instead of «ene». Thinned to every 2, 3, 4, 6 or 12 months (always keeping January) so that at
    most ``most`` labels show. Repeated names get invisible marks: QCategoryAxis needs unique labels."""
    firsts = []
    year, month = (start.year, start.month) if start.day == 1 else (
        (start.year + (start.month == 12), start.month % 12 + 1))
    while date(year, month, 1) <= end:
        firsts.append(date(year, month, 1))
        year, month = (year + (month == 12), month % 12 + 1)
    step = next((k for k in (1, 2, 3, 4, 6) if len(firsts) / k <= most), 12)
    ticks, seen = [], set()
    for first in firsts:
        if (first.month - 1) % step:
            continue
        label = str(first.year) if first.month == 1 else MONTHS[first.month - 1]
        while label in seen:
            label += "\u200b"
        seen.add(label)
        ticks.append((label, (first - start).days))
    return ticks


def nice_axis(value: float, intervals: int = 5) -> tuple[int, int]:
    """A round axis maximum a little above ``value`` and its tick count: 107 → (125, 6), 8,277 → (10,000, 6)."""
    value = max(value, 1) * 1.05
    raw = value / intervals
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), 10 * magnitude)
    step = max(1, int(step)) if step >= 1 else 1
    top = max(int(math.ceil(value / step)) * step, 5)
    return top, top // step + 1 if top // step <= 10 else intervals + 1


class ProgressChart(QChartView):
    """Line of units open 7 days per week (Sundays) and the target in force as a dashed line.

    The series and axes are made once and refilled (removing and re-adding axes left stale labels drawn)."""

    def __init__(self, parent: QWidget | None = None):
        chart = QChart()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setMargins(QMargins(4, 4, 8, 4))
        chart.setBackgroundRoundness(0)
        chart.setLocale(QLocale(QLocale.Language.Spanish, QLocale.Country.Mexico))
        chart.setLocalizeNumbers(True)  # 8,277 as the offices write it
        title_font = QFont()
        title_font.setPointSizeF(10)
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        legend_font = QFont()
        legend_font.setPointSizeF(9)
        chart.legend().setFont(legend_font)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumSize(360, 240)
        self.points: list[SeriesPoint] = []
        self.title_text = TITLE
        axis_font = QFont()
        axis_font.setPointSizeF(8.5)

        self.opened = QLineSeries()
        self.opened.setName("Abiertas los 7 días")
        pen = QPen(OPEN_COLOR)
        pen.setWidthF(2.4)
        self.opened.setPen(pen)
        self.target = QLineSeries()
        tpen = QPen(TARGET_COLOR)
        tpen.setWidthF(2.0)
        tpen.setStyle(Qt.PenStyle.DashLine)
        self.target.setPen(tpen)
        self.x_axis = QCategoryAxis()
        self.x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        self.x_axis.setLabelsFont(axis_font)
        self.x_axis.setGridLineVisible(True)
        self.y_axis = QValueAxis()
        self.y_axis.setLabelFormat("%.0f")
        self.y_axis.setLabelsFont(axis_font)
        self.y_axis.setTitleText("Unidades")
        self.y_axis.setTitleFont(axis_font)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        for series in (self.opened, self.target):
            chart.addSeries(series)
            series.attachAxis(self.x_axis)
            series.attachAxis(self.y_axis)

    def set_points(self, points: Sequence[SeriesPoint], start: date | None = None, subtitle: str = "") -> None:
        """Redraw with ``points`` (one per week); ``start`` is where the time axis begins; ``subtitle`` says
        whose units they are (a second title line)."""
        chart = self.chart()
        self.points = list(points)
        second = subtitle if self.points else "sin datos para el periodo"
        self.title_text = f"{TITLE} — {second}" if second else TITLE
        chart.setTitle(f"{TITLE}<br><span style='font-weight:400'>{second}</span>" if second else TITLE)
        for label in self.x_axis.categoriesLabels():
            self.x_axis.remove(label)
        if not self.points:
            self.opened.clear()
            self.target.clear()
            self.target.setName("Meta")
            return
        origin = start or self.points[0].week_end
        span = max((self.points[-1].week_end - origin).days, 7)
        self.opened.setPointsVisible(len(self.points) <= 16)
        self.opened.replace([QPointF((p.week_end - origin).days, p.open_units) for p in self.points])

        # The target as a step line: it holds until the week a new one takes effect, and runs to the ends.
        steps: list[QPointF] = []
        previous = None
        for p in self.points:
            if p.target is None:
                continue
            x = (p.week_end - origin).days
            if previous is None:
                steps.append(QPointF(0, p.target))
            elif previous != p.target:
                steps.append(QPointF(x, previous))
            steps.append(QPointF(x, p.target))
            previous = p.target
        if previous is not None:
            steps.append(QPointF(span, previous))
        self.target.replace(steps)
        self.target.setName(f"Meta ({format_int(previous)} unidades)" if previous is not None else "Sin meta vigente")

        self.x_axis.setRange(0, span)
        for label, offset in month_ticks(origin, origin.fromordinal(origin.toordinal() + span)):
            self.x_axis.append(label, offset)
        top, ticks = nice_axis(max([*(p.target or 0 for p in self.points), *(p.open_units for p in self.points), 1]))
        self.y_axis.setRange(0, top)
        self.y_axis.setTickCount(ticks)


def pending_breakdown(units: Sequence[UnitStatus]) -> tuple[int, list[tuple[str, str, int]]]:
    """Viable units not open 7 days, and how many lack each thing: (caption, search words, count)."""
    pending = [u for u in units if u.registered and u.viable and not u.open_7_days]
    groups = []
    for caption, words, prefix in PENDING_GROUPS:
        count = sum(any(r.startswith(prefix) for r in u.reasons) for u in pending)
        if count:
            groups.append((caption, words, count))
    return len(pending), groups


class RolloutPanel(QWidget):
    """The figures of one row in large type with the progress formula, over the table of states by block
    (shown when there is more than one state). Double-clicking a state emits ``drill_down(state_id)``;
    clicking a group of pending units emits ``search_requested(words)``."""

    drill_down = Signal(int)
    search_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = SummaryTableModel(self)
        self._focus: RolloutRow | None = None
        self._as_of = ""
        self._national = False
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 6, 0)
        self.headline = QLabel("Calculando el avance…")
        self.headline.setStyleSheet("font-size: 11pt; font-weight: 600; color: #235b4e;")
        v.addWidget(self.headline)
        stats = QFrame()
        stats.setObjectName("weekendStats")
        stats.setStyleSheet(STATS_STYLE)
        grid = QGridLayout(stats)
        grid.setContentsMargins(10, 6, 10, 6)
        grid.setHorizontalSpacing(18)
        self.stat_labels: dict[str, QLabel] = {}
        for column, (key, caption) in enumerate(STATS):
            number = QLabel("—")
            number.setObjectName("statNumber")
            label = QLabel(caption)
            label.setObjectName("statCaption")
            label.setWordWrap(True)
            grid.addWidget(number, 0, column)
            grid.addWidget(label, 1, column)
            self.stat_labels[key] = number
        v.addWidget(stats)
        self.formula_label = QLabel()
        self.formula_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.formula_label.setToolTip("El avance es el número de unidades abiertas los 7 días entre la meta "
                                      "vigente en la fecha de corte")
        v.addWidget(self.formula_label)
        self.doctors_label = QLabel()
        self.doctors_label.setObjectName("pageSubtitle")
        v.addWidget(self.doctors_label)
        self.pending_label = QLabel()
        self.pending_label.setWordWrap(True)
        self.pending_label.setTextFormat(Qt.TextFormat.RichText)
        self.pending_label.setToolTip("Clic en un motivo para ver esas unidades en la lista")
        self.pending_label.linkActivated.connect(self.search_requested)
        v.addWidget(self.pending_label)
        self.view = QTableView()
        self.view.setModel(self.summary)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setWordWrap(False)
        self.view.setToolTip("Seleccione un renglón para ver sus cifras arriba; doble clic en una entidad para "
                             "verla sola")
        for column, width in enumerate(SummaryTableModel.widths):
            self.view.setColumnWidth(column, width)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.hide()
        v.addWidget(self.view, 1)
        self.spacer = QWidget()
        v.addWidget(self.spacer, 1)
        self.view.selectionModel().currentRowChanged.connect(lambda current, _p: self._row_chosen(current.row()))
        self.view.doubleClicked.connect(self._double_clicked)

    def show_rows(self, rows: list[RolloutRow], as_of: date, national: bool) -> None:
        """The summary rows; the figures at the top are the overall total's (or the only row's)."""
        self._as_of = as_of.strftime("%d/%m/%Y")
        self._national = national
        self.summary.set_rows(rows)
        several = len(rows) > 1
        self.view.setVisible(several)
        self.spacer.setVisible(not several)
        focus = next((r for r in rows if r.level == "total"), rows[0] if rows else None)
        self.show_focus(focus)
        if several and focus is not None:
            self.view.selectRow(rows.index(focus))
            self.view.scrollToTop()  # the total's figures are above; the table starts with Block 1

    def focus_row(self) -> RolloutRow | None:
        return self._focus

    def show_pending(self, total: int, groups: list[tuple[str, str, int]]) -> None:
        """«12 unidades viables aún no abren los 7 días: 7 sin médico algún día · 5 sin turno…» (links)."""
        if not total:
            self.pending_label.setText("Todas las unidades viables registradas abren los 7 días.")
            return
        links = " · ".join(f"<a href='{words}'>{format_int(count)} {caption}</a>" for caption, words, count in groups)
        noun = "unidad viable aún no abre" if total == 1 else "unidades viables aún no abren"
        self.pending_label.setText(f"<b>{format_int(total)}</b> {noun} los 7 días: {links}")

    def show_focus(self, row: RolloutRow | None) -> None:
        """The big figures and the formula for one summary row."""
        self._focus = row
        if row is None:
            self.headline.setText("Sin entidades que mostrar")
            for label in self.stat_labels.values():
                label.setText("—")
            self.formula_label.clear()
            self.doctors_label.clear()
            return
        block = f" · Bloque {row.block}" if row.level == "state" and row.block else ""
        name = "Total nacional (entidades adheridas)" if row.level == "total" and self._national else row.label
        self.headline.setText(f"{name}{block} · al {self._as_of}")
        self.stat_labels["target"].setText(optional_int(row.target))
        self.stat_labels["viable"].setText(format_int(row.viable))
        self.stat_labels["open"].setText(format_int(row.open_units))
        self.stat_labels["progress"].setText(percent_text(row.progress))
        self.stat_labels["doctors"].setText(f"{format_int(row.doctors_assigned)} / {optional_int(row.doctors_needed)}")
        self.formula_label.setText(f"Avance: {progress_formula(row)}")
        self.doctors_label.setText(doctors_formula(row))

    def _row_chosen(self, row: int) -> None:
        found = self.summary.row_at(row)
        if found is not None:
            self.show_focus(found)

    def _double_clicked(self, index) -> None:
        found = self.summary.row_at(index.row())
        if found is not None and found.state_id is not None:
            self.drill_down.emit(found.state_id)


class UnitListPanel(QWidget):
    """The unit list: filter as you type (accent- and case-insensitive), «Sólo pendientes», counts."""

    edit_requested = Signal()
    selection_changed = Signal()

    def __init__(self, national: bool, parent: QWidget | None = None):
        super().__init__(parent)
        self.loaded = False
        self.model = UnitTableModel(national=national, parent=self)
        self.proxy = ColumnarFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 4, 0, 0)
        row = QHBoxLayout()
        caption = QLabel("Unidades fijas de primer nivel")
        caption.setStyleSheet("font-weight: 600;")
        row.addWidget(caption)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Buscar por CLUES, nombre o lo que le falta, p. ej. «domingo» (Ctrl+F)…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        row.addWidget(self.search, 1)
        self.pending_only = QCheckBox("Sólo &pendientes")
        self.pending_only.setToolTip("Sólo las unidades viables que aún no abren los 7 días")
        row.addWidget(self.pending_only)
        v.addLayout(row)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.setAlternatingRowColors(True)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.verticalHeader().hide()
        hh = self.view.horizontalHeader()
        hh.setSectionsMovable(True)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        for i, column in enumerate(self.model.columns):
            self.view.setColumnWidth(i, column.width)
        v.addWidget(self.view, 1)
        self.count_label = QLabel("Cargando unidades…")
        self.count_label.setObjectName("countLabel")
        v.addWidget(self.count_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.apply_search)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        find.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.addAction(find)
        self.pending_only.toggled.connect(self._pending_toggled)
        # «activated»: Enter, or a double click (a single click where the platform is set so); connecting
        # doubleClicked as well would open the form twice.
        self.view.activated.connect(lambda _index: self.edit_requested.emit())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.selection_changed.emit())
        self.proxy.modelReset.connect(self.update_count)
        self.proxy.layoutChanged.connect(self.update_count)

    def set_prepared(self, prepared) -> None:
        """New rows (prepared off the UI thread); keeps the selection of units still listed."""
        keep = self.selected_ids()
        self.model.set_prepared(prepared)
        self.apply_search()
        self.loaded = True
        self.update_count()
        if keep:
            self.select_ids(keep)

    def apply_search(self) -> None:
        self._search_timer.stop()
        self.proxy.set_search(self.search.text())

    def _pending_toggled(self, on: bool) -> None:
        self.proxy.set_mask("pending", UnitTableModel.pending_mask if on else None)

    def update_count(self) -> None:
        if not self.loaded:
            return
        total, shown, pending = self.model.rowCount(), self.proxy.rowCount(), self.model.pending_count()
        self.count_label.setText(f"Mostrando {format_int(shown)} de {format_int(total)} "
                                 f"{'unidad' if total == 1 else 'unidades'} · {format_int(pending)} "
                                 f"{'pendiente' if pending == 1 else 'pendientes'} (viables que aún no abren los 7 días)")

    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.id_at(self.proxy.source_row(r)) for r in rows]

    def select_ids(self, ids: list[int]) -> int:
        """Select the rows of these units that the filters show; returns how many."""
        selection = QItemSelection()
        first = None
        count = 0
        for establishment_id in ids:
            src = self.model.row_of_id(establishment_id)
            if src is None:
                continue
            index = self.proxy.mapFromSource(self.model.index(src, 0))
            if index.isValid():
                selection.select(index, index)
                first = first or index
                count += 1
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().select(selection, flags)
        if first is not None:
            self.view.selectionModel().setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.view.scrollTo(first)
        return count

    def clues_of(self, ids: list[int]) -> list[str]:
        return [self.model.value("clues", self.model.row_of_id(i)) for i in ids]

    def unit_row(self, establishment_id: int) -> dict[str, str] | None:
        """The unit's row as the list shows it (column header → text), or None when it is not listed."""
        src = self.model.row_of_id(establishment_id)
        if src is None:
            return None
        return {c.header: self.model.index(src, i).data() for i, c in enumerate(self.model.columns)}

    def visible_clues(self) -> list[str]:
        """CLUES of the rows the list shows, in order (current search, «Sólo pendientes», sort)."""
        rows: np.ndarray = self.proxy.visible_source_rows()
        return [self.model.value("clues", int(r)) for r in rows]
