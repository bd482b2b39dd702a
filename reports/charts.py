"""Charts drawn with ReportLab graphics (vector, no Qt): grouped bars and a line over time.

Every function returns a ``Drawing`` (a platypus flowable) sized to fit the frame width; add it with
``ReportDocument.chart``. Fonts are the embedded DejaVu of the framework, so labels with accents print right.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors

from reports.framework import FONT, FONT_BOLD, GRID, GUINDA, register_fonts

PALETTE = (GUINDA, colors.HexColor("#BC955C"), colors.HexColor("#235B4E"), colors.HexColor("#6F7271"),
           colors.HexColor("#9F2241"), colors.HexColor("#DDC9A3"))

Series = tuple[str, Sequence[float]]


def _nice_max(value: float) -> float:
    """An axis maximum a little above ``value`` on a round step (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^n)."""
    if value <= 0:
        return 1
    scale = 10 ** (len(str(int(value))) - 1)
    for mult in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if scale * mult >= value * 1.05:
            return scale * mult
    return scale * 12


def _legend(drawing: Drawing, series: Sequence[Series], x: float, y: float) -> None:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = FONT, 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 7
    legend.deltax = 120
    legend.autoXPadding = 20
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], name) for i, (name, _) in enumerate(series)]
    drawing.add(legend)


def _title(drawing: Drawing, title: str | None, width: float, height: float) -> None:
    if title:
        drawing.add(String(width / 2, height - 10, title, fontName=FONT_BOLD, fontSize=8.5, textAnchor="middle"))


def bar_chart(categories: Sequence[str], series: Sequence[Series], *, width: float, height: float = 170,
              title: str | None = None, labels: bool = True) -> Drawing:
    """Vertical grouped bars: one group per category, one bar per series, values printed over the bars."""
    register_fonts()
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 42
    chart.width, chart.height = width - 55, height - 42 - (28 if title else 16)
    chart.data = [list(values) for _, values in series] or [[0]]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 6.5
    chart.categoryAxis.labels.angle = 30 if len(categories) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 6 else "n"
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 6.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(max((max(v, default=0) for _, v in series), default=0))
    chart.valueAxis.gridStrokeColor, chart.valueAxis.visibleGrid = GRID, 1
    chart.valueAxis.gridStrokeWidth = 0.25
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    chart.groupSpacing = 6
    for i in range(len(series)):
        chart.bars[i].fillColor = PALETTE[i % len(PALETTE)]
        chart.bars[i].strokeColor = None
    if labels:
        chart.barLabelFormat = lambda v: f"{v:,.0f}"
        chart.barLabels.fontName, chart.barLabels.fontSize = FONT, 6
        chart.barLabels.nudge = 5
    drawing.add(chart)
    if len(series) > 1:
        _legend(drawing, series, 40, 8)
    return drawing


def progress_chart(labels: Sequence[str], values: Sequence[int], targets: Sequence[int | None], *, width: float,
                   title: str | None = None, value_name: str = "Abiertas", target_name: str = "Meta") -> Drawing:
    """Horizontal bars, one pair per label: achieved value and its target (a missing target draws as 0)."""
    register_fonts()
    bar_h = 9
    height = max(80, len(labels) * (2 * bar_h + 5) + 60)
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 110, 34
    chart.width, chart.height = width - 130, height - 34 - (24 if title else 10)
    # HorizontalBarChart draws the first category at the bottom: reverse so the list reads top-down
    chart.data = [list(reversed([v or 0 for v in values])), list(reversed([t or 0 for t in targets]))]
    chart.categoryAxis.categoryNames = list(reversed(list(labels)))
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 6.5
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 6.5
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = _nice_max(max([*(v or 0 for v in values), *(t or 0 for t in targets)], default=0))
    chart.valueAxis.visibleGrid, chart.valueAxis.gridStrokeColor, chart.valueAxis.gridStrokeWidth = 1, GRID, 0.25
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    chart.bars[0].fillColor, chart.bars[1].fillColor = GUINDA, PALETTE[1]
    chart.bars.strokeColor = None
    chart.barLabelFormat = lambda v: f"{v:,.0f}"
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT, 6
    chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 3
    chart.barSpacing, chart.groupSpacing = 1, 5
    drawing.add(chart)
    _legend(drawing, [(value_name, values), (target_name, targets)], 110, 8)
    return drawing


def line_chart(days: Sequence[date], series: Sequence[Series], *, width: float, height: float = 160,
               title: str | None = None, target: float | None = None) -> Drawing:
    """Values over time (e.g. units open each Sunday), with an optional dashed horizontal target line."""
    register_fonts()
    drawing = Drawing(width, height)
    _title(drawing, title, width, height)
    plot = LinePlot()
    plot.x, plot.y = 40, 40
    plot.width, plot.height = width - 55, height - 40 - (26 if title else 12)
    ordinals = [d.toordinal() for d in days]
    plot.data = [list(zip(ordinals, values)) for _, values in series] if ordinals else [[(0, 0)]]
    top = _nice_max(max([*(max(v, default=0) for _, v in series), target or 0], default=0))
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, top
    plot.yValueAxis.labels.fontName, plot.yValueAxis.labels.fontSize = FONT, 6.5
    plot.yValueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    plot.yValueAxis.visibleGrid, plot.yValueAxis.gridStrokeColor, plot.yValueAxis.gridStrokeWidth = 1, GRID, 0.25
    if ordinals:
        lo, hi = min(ordinals), max(ordinals)
        plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = lo, max(hi, lo + 1)
        step = max(1, len(ordinals) // 8)
        plot.xValueAxis.valueSteps = ordinals[::step]
    plot.xValueAxis.labels.fontName, plot.xValueAxis.labels.fontSize = FONT, 6
    plot.xValueAxis.labelTextFormat = lambda v: date.fromordinal(int(v)).strftime("%d/%m/%y")
    for i in range(len(series)):
        plot.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        plot.lines[i].strokeWidth = 1.4
    drawing.add(plot)
    if target:
        y = plot.y + plot.height * target / top
        drawing.add(Line(plot.x, y, plot.x + plot.width, y, strokeColor=PALETTE[1], strokeDashArray=[3, 2],
                         strokeWidth=1))
        drawing.add(String(plot.x + plot.width, y + 2, f"Meta {target:,.0f}", fontName=FONT, fontSize=6.5,
                           textAnchor="end", fillColor=PALETTE[1]))
    if len(series) > 1:
        _legend(drawing, series, 40, 8)
    return drawing


__all__ = ["bar_chart", "progress_chart", "line_chart", "PALETTE"]
