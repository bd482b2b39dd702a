"""Parts of the home dashboard («Inicio»): the clickable figure cards and the three charts (establishments by
level of care, weekend opening against the target, authorisations by type and situation). Every part says
what was clicked through a signal; the page turns it into ``open_list(target, filter)``."""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QPieSeries,
    QValueAxis,
)
from PySide6.QtCore import QLocale, QMargins, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from gui.item_models.authorisations import percent_text as auth_percent
from gui.item_models.weekend import percent_text
from gui.pages.weekend_panels import nice_axis
from models.services import dashboard as svc
from models.text import format_int

GREEN, GOLD, RED, GREY = QColor("#235b4e"), QColor("#bc955c"), QColor("#b3261e"), QColor("#a7b0ad")
STYLE = """
QFrame#dashSection { background: #ffffff; border: 1px solid #d5d9d7; border-radius: 6px; }
QLabel#sectionTitle { font-size: 11.5pt; font-weight: 600; color: #235b4e; }
QFrame#figureCard { background: #f7f9f8; border: 1px solid #dde3e0; border-radius: 5px; }
QFrame#figureCard:hover { background: #eaf3ef; border: 1px solid #235b4e; }
QFrame#figureCard:focus { border: 2px solid #bc955c; }
QLabel#cardNumber { font-size: 19pt; font-weight: 600; color: #235b4e; }
QLabel#cardNumber[tone="warn"] { color: #9a6b12; }
QLabel#cardNumber[tone="alert"] { color: #b3261e; }
QLabel#cardCaption { font-weight: 600; color: #303030; }
QLabel#cardDetail { color: #5f5f5f; font-size: 8.5pt; }
"""
# Short names for the chart's rows; a type not listed shows its catalogue name.
TYPE_SHORT = {"LIC_SAN": "Licencia sanitaria", "AVISO_FUNC": "Aviso de funcionamiento", "COMITE": "Comité",
              "LIC_CNSNS": "Licencia CNSNS", "PERMISO": "Permiso sanitario", "AVISO_RESP": "Aviso de responsable"}
AUTH_SETS = (("current", "Vigentes", GREEN), ("in_process", "En trámite", GOLD),
             ("not_started", "Sin iniciar", RED), ("other", "Otras", GREY))


@dataclass(frozen=True)
class Link:
    """Where a figure leads: a page key and its filter."""

    target: str
    filter: dict


# ---------------------------------------------------------------------------------------------- cards

class FigureCard(QFrame):
    """A big number with its caption and a detail line. Click it, or focus it and press Enter or Space, to open
    the list behind it (``activated``)."""

    activated = Signal()

    def __init__(self, caption: str, link: Link, tip: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("figureCard")
        self.link = link
        self.caption = caption
        self.setAttribute(Qt.WidgetAttribute.WA_Hover)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{tip}\n(clic o Intro: ver la lista)")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        v = QVBoxLayout(self)
        v.setContentsMargins(10, 6, 10, 7)
        v.setSpacing(0)
        self.number = QLabel("—")
        self.number.setObjectName("cardNumber")
        self.caption_label = QLabel(caption)
        self.caption_label.setObjectName("cardCaption")
        self.detail = QLabel(" ")
        self.detail.setObjectName("cardDetail")
        for label in (self.number, self.caption_label, self.detail):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            # long texts are clipped, never widen the card (three columns must fit a 1,280-px window)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            v.addWidget(label)
        self.setAccessibleName(caption)

    def set_value(self, number: str, detail: str = "", tone: str = "") -> None:
        """Show ``number`` (tone "warn" or "alert" colours it) and a one-line ``detail``."""
        self.number.setText(number)
        self.detail.setText(detail or " ")
        if self.number.property("tone") != tone:
            self.number.setProperty("tone", tone)
            self.number.style().unpolish(self.number)
            self.number.style().polish(self.number)
        self.setAccessibleDescription(f"{number} {detail}".strip())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.activated.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activated.emit()
            return
        super().keyPressEvent(event)


# ---------------------------------------------------------------------------------------------- charts

def _chart() -> QChart:
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setMargins(QMargins(2, 2, 6, 2))
    chart.setBackgroundRoundness(0)
    chart.setLocale(QLocale(QLocale.Language.Spanish, QLocale.Country.Mexico))
    chart.setLocalizeNumbers(True)
    font = QFont()
    font.setPointSizeF(9.5)
    font.setBold(True)
    chart.setTitleFont(font)
    legend = QFont()
    legend.setPointSizeF(8.5)
    chart.legend().setFont(legend)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    chart.setBackgroundVisible(False)  # the section's white shows through
    return chart


class _ChartView(QChartView):
    """A borderless chart view on the section's white background."""

    def __init__(self, chart: QChart, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setStyleSheet("background: transparent;")
        self.setMinimumSize(260, 210)


def _hover_cursor(view: QChartView, bar_set) -> None:
    bar_set.hovered.connect(lambda on, _i: view.setCursor(Qt.CursorShape.PointingHandCursor if on
                                                          else Qt.CursorShape.ArrowCursor))


def _two_lines(text: str, width: int = 18) -> str:
    """An axis label that fits the narrow charts: broken once (HTML) at the space nearest the middle, cut at
    40 characters."""
    text = text if len(text) <= 40 else text[:39] + "…"
    if len(text) <= width or " " not in text:
        return text
    middle = len(text) // 2
    cut = min((i for i, ch in enumerate(text) if ch == " "), key=lambda i: abs(i - middle))
    return f"{text[:cut]}<br>{text[cut + 1:]}"


def _axis_font() -> QFont:
    font = QFont()
    font.setPointSizeF(8.5)
    return font


class LevelChart(_ChartView):
    """Active establishments by level of care, one horizontal bar each (first level on top); a click on a bar
    emits ``level_clicked(level)``."""

    level_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        chart = _chart()
        chart.setTitle("Activos por nivel de atención")
        chart.legend().hide()
        super().__init__(chart, parent)
        self.levels: list[str] = []
        self.series = QHorizontalBarSeries()
        self.series.setLabelsVisible(True)
        self.series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        self.series.setLabelsFormat("@value")
        self.bars = QBarSet("Establecimientos")
        self.bars.setColor(GREEN)
        self.bars.setLabelColor(QColor("#202020"))
        self.series.append(self.bars)
        self.y_axis = QBarCategoryAxis()
        self.y_axis.setLabelsFont(_axis_font())
        self.x_axis = QValueAxis()
        self.x_axis.setLabelFormat("%.0f")
        self.x_axis.setLabelsFont(_axis_font())
        chart.addSeries(self.series)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.series.attachAxis(self.y_axis)
        self.series.attachAxis(self.x_axis)
        self.bars.clicked.connect(lambda index: self.level_clicked.emit(self.levels[index]))
        _hover_cursor(self, self.bars)

    def set_levels(self, levels: tuple[svc.LevelFigure, ...]) -> None:
        shown = list(reversed(levels))  # the axis runs bottom-up: first level on top
        self.levels = [f.level for f in shown]
        self.bars.remove(0, self.bars.count())
        self.bars.append([float(f.count) for f in shown])
        self.y_axis.clear()
        self.y_axis.append([f.label for f in shown])
        top, ticks = nice_axis(max([f.count for f in levels] + [1]) * 1.12)
        self.x_axis.setRange(0, top)
        self.x_axis.setTickCount(ticks)


class WeekendChart(_ChartView):
    """A ring: units open 7 days, viable units still pending, and what is left to reach the target, with the
    progress in its centre. A click on the pending slice emits ``pending_clicked``, on any other ``clicked``."""

    clicked = Signal()
    pending_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        chart = _chart()
        chart.setTitle("Avance contra la meta")
        super().__init__(chart, parent)
        self.series = QPieSeries()
        self.series.setHoleSize(0.58)
        self.series.setPieSize(0.92)
        chart.addSeries(self.series)
        self.centre = QLabel("—", self)
        self.centre.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.centre.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.centre.setStyleSheet("background: transparent; color: #235b4e;")
        chart.plotAreaChanged.connect(lambda _r: self._place_centre())

    def set_figures(self, w: svc.WeekendFigures) -> None:
        self.series.clear()
        rest = max((w.target or 0) - w.open_units - w.pending, 0)
        for caption, value, color, pending in (("Abiertas", w.open_units, GREEN, False),
                                               ("Pendientes", w.pending, GOLD, True),
                                               ("Faltan", rest, GREY, False)):
            if value <= 0:
                continue
            piece = self.series.append(f"{caption}: {format_int(value)}", value)
            piece.setColor(color)
            piece.setBorderColor(QColor("#ffffff"))
            piece.clicked.connect(self.pending_clicked.emit if pending else self.clicked.emit)
            piece.hovered.connect(lambda on: self.setCursor(Qt.CursorShape.PointingHandCursor if on
                                                            else Qt.CursorShape.ArrowCursor))
        if w.target:
            self.chart().setTitle("Abiertas los 7 días frente a la meta")
            self.centre.setText(f"<div style='font-size:15pt; font-weight:600'>{percent_text(w.progress)}</div>"
                                f"<div style='font-size:8pt; color:#5f5f5f'>de la meta</div>")
        else:
            self.chart().setTitle("Apertura en fin de semana: sin meta vigente")
            self.centre.setText("<div style='font-size:9pt; color:#5f5f5f'>sin meta</div>")
        self._place_centre()

    def centre_text(self) -> str:
        return self.centre.text()

    def _place_centre(self) -> None:
        area = self.chart().plotArea()
        size = self.centre.sizeHint()
        centre = self.mapFromScene(area.center())
        self.centre.setGeometry(centre.x() - size.width() // 2, centre.y() - size.height() // 2,
                                size.width(), size.height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_centre()


class AuthorisationsChart(_ChartView):
    """Required authorisations by type, split into current / in process / not started / other; a click on a
    segment emits ``segment_clicked(type code, flag)`` (flag "required" for «other»)."""

    segment_clicked = Signal(str, str)

    def __init__(self, parent: QWidget | None = None):
        chart = _chart()
        chart.setTitle("Requeridas, por tipo y situación")
        super().__init__(chart, parent)
        self.codes: list[str] = []
        self.series = QHorizontalStackedBarSeries()
        self.series.setBarWidth(0.6)
        self.sets: dict[str, QBarSet] = {}
        for flag, caption, color in AUTH_SETS:
            bar_set = QBarSet(caption)
            bar_set.setColor(color)
            bar_set.setBorderColor(color)
            bar_set.clicked.connect(lambda index, f=flag: self._clicked(index, f))
            _hover_cursor(self, bar_set)
            self.series.append(bar_set)
            self.sets[flag] = bar_set
        self.y_axis = QBarCategoryAxis()
        self.y_axis.setLabelsFont(_axis_font())
        self.x_axis = QValueAxis()
        self.x_axis.setLabelFormat("%.0f")
        self.x_axis.setLabelsFont(_axis_font())
        chart.addSeries(self.series)
        chart.addAxis(self.y_axis, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.x_axis, Qt.AlignmentFlag.AlignBottom)
        self.series.attachAxis(self.y_axis)
        self.series.attachAxis(self.x_axis)

    def _clicked(self, index: int, flag: str) -> None:
        if 0 <= index < len(self.codes):
            self.segment_clicked.emit(self.codes[index], "required" if flag == "other" else flag)

    def set_figures(self, a: svc.AuthorisationFigures) -> None:
        shown = list(reversed(a.by_type))
        self.codes = [t.code for t in shown]
        for flag, bar_set in self.sets.items():
            bar_set.remove(0, bar_set.count())
            bar_set.append([float(getattr(t, flag)) for t in shown])
        self.y_axis.clear()
        self.y_axis.append([_two_lines(TYPE_SHORT.get(t.code, t.label)) for t in shown] or ["(ninguna requerida)"])
        top, ticks = nice_axis(max([t.required for t in shown] + [1]))
        current = f": {auth_percent(a.current_percent)} vigentes" if a.required else ""
        self.chart().setTitle(f"Requeridas por tipo{current}")
        self.x_axis.setRange(0, top)
        self.x_axis.setTickCount(ticks)
