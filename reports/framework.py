"""The document every report shares: letter pages with the institutional header, a footer with the cut-off
date, generation time and «Página X de Y», tables that repeat their header and never split a row, «Fuente:»
lines, indicator lines with their real numbers, a signature block and a closing data-quality page.

ReportLab platypus only; no Qt. A report module builds a :class:`ReportDocument`, appends to it and calls
:meth:`ReportDocument.build`.
"""
from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    LongTable,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from xml.sax.saxutils import escape

from models.services.report_settings import DEFAULT_SIGNATORIES, Signatory
from resources import resource_path

INSTITUTION = "IMSS-BIENESTAR"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
PAGE_SIZE = letter
MARGIN = 1.8 * cm
HEADER_HEIGHT = 2.2 * cm
FOOTER_HEIGHT = 1.4 * cm
GUINDA = colors.HexColor("#611232")   # institutional wine red
HEADER_FILL = colors.HexColor("#E6D9DE")
TOTAL_FILL = colors.HexColor("#F2ECEE")
GRID = colors.HexColor("#9A8A90")

_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre")


def register_fonts() -> None:
    """Register the bundled DejaVu Sans (regular and bold) once, so Spanish text renders with embedded fonts."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(resource_path("fonts/DejaVuSans.ttf"))))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(resource_path("fonts/DejaVuSans-Bold.ttf"))))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


# ------------------------------------------------------------------------------------------------ formatting

def fmt_int(value: int | None) -> str:
    """1754 → «1,754» (Mexican usage); None → «—»."""
    return "—" if value is None else f"{value:,}"


def fmt_date(value: date) -> str:
    """A date as the reports print it: «23 de noviembre de 2026»."""
    return f"{value.day} de {_MONTHS[value.month - 1]} de {value.year}"


def fmt_datetime(value: datetime) -> str:
    return f"{fmt_date(value)}, {value:%H:%M}"


def indicator_text(label: str, numerator: int, denominator: int, percent: bool = False) -> str:
    """«Regiones registradas / publicadas = 3 / 3», with «= 0.91%» appended when ``percent`` (and the
    denominator is not zero). Percentages round half up, as the services compute them (1 / 800 → 0.13%)."""
    from decimal import ROUND_HALF_UP, Decimal

    text = f"{label} = {fmt_int(numerator)} / {fmt_int(denominator)}"
    if percent:
        if denominator:
            value = (Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            text += f" = {value:,}%"
        else:
            text += " = — (denominador cero)"
    return text


# ------------------------------------------------------------------------------------------------ data

@dataclass(frozen=True)
class QualityProblem:
    """A failed pre-print check, listed on the last page: which check, and what was found."""

    check: str
    detail: str


@dataclass
class ReportMeta:
    """What the header and footer print."""

    title: str
    scope: str                      # «Coordinación Estatal Baja California» or «Oficina nacional»
    as_of: date                     # fecha de corte
    generated: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    subtitle: str = ""


def scope_label(state_short_name: str | None) -> str:
    """The second header line: the state coordination, or the national office."""
    return f"Coordinación Estatal {state_short_name}" if state_short_name else "Oficina nacional · Consolidado"


# ------------------------------------------------------------------------------------------------ canvas

def _numbered_canvas(meta: ReportMeta):
    """A canvas class that keeps every page until the end, then draws header and footer knowing the page count."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict] = []

        def showPage(self):  # noqa: N802 - ReportLab API
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                _draw_frame(self, meta, self._pageNumber, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def _draw_frame(c: rl_canvas.Canvas, meta: ReportMeta, page: int, total: int) -> None:
    width, height = PAGE_SIZE
    c.saveState()
    top = height - MARGIN
    c.setFillColor(GUINDA)
    c.setFont(FONT_BOLD, 12)
    c.drawString(MARGIN, top - 10, INSTITUTION)
    c.setFillColor(colors.black)
    c.setFont(FONT, 9)
    c.drawString(MARGIN, top - 23, meta.scope)
    c.setFont(FONT_BOLD, 11)
    c.drawRightString(width - MARGIN, top - 10, meta.title)
    if meta.subtitle:
        c.setFont(FONT, 8.5)
        c.drawRightString(width - MARGIN, top - 23, meta.subtitle)
    c.setStrokeColor(GUINDA)
    c.setLineWidth(1.2)
    c.line(MARGIN, top - 30, width - MARGIN, top - 30)
    # footer
    c.setStrokeColor(GRID)
    c.setLineWidth(0.5)
    c.line(MARGIN, MARGIN + 14, width - MARGIN, MARGIN + 14)
    c.setFillColor(colors.black)
    c.setFont(FONT, 7.5)
    c.drawString(MARGIN, MARGIN + 4, f"Fecha de corte: {fmt_date(meta.as_of)}")
    c.drawCentredString(width / 2, MARGIN + 4, f"Generado: {fmt_datetime(meta.generated)}")
    c.drawRightString(width - MARGIN, MARGIN + 4, f"Página {page} de {total}")
    c.restoreState()


# ------------------------------------------------------------------------------------------------ document

class ReportDocument:
    """A report being assembled: append headings, text, tables, indicators and signatures, then :meth:`build`.

    Pre-print checks add :class:`QualityProblem` entries (:meth:`problem`, :meth:`check_total`); they are
    listed on a final «Revisiones de calidad de datos» page instead of being printed silently.
    """

    def __init__(self, meta: ReportMeta):
        register_fonts()
        self.meta = meta
        self.story: list = []
        self.problems: list[QualityProblem] = []
        base = dict(fontName=FONT, fontSize=9, leading=11.5)
        self.styles = {
            "body": ParagraphStyle("body", **base),
            "h1": ParagraphStyle("h1", fontName=FONT_BOLD, fontSize=13, leading=16, spaceBefore=4, spaceAfter=6,
                                 textColor=GUINDA),
            "h2": ParagraphStyle("h2", fontName=FONT_BOLD, fontSize=10.5, leading=13, spaceBefore=10, spaceAfter=4),
            "cell": ParagraphStyle("cell", fontName=FONT, fontSize=7.5, leading=9),
            "cell_num": ParagraphStyle("cell_num", fontName=FONT, fontSize=7.5, leading=9, alignment=TA_RIGHT),
            "head": ParagraphStyle("head", fontName=FONT_BOLD, fontSize=7.5, leading=9, alignment=TA_CENTER),
            "source": ParagraphStyle("source", fontName=FONT, fontSize=7, leading=9, textColor=colors.HexColor("#444444"),
                                     spaceBefore=2, spaceAfter=8),
            "indicator": ParagraphStyle("indicator", fontName=FONT, fontSize=9, leading=12, leftIndent=8),
            "sign": ParagraphStyle("sign", fontName=FONT, fontSize=8, leading=10, alignment=TA_CENTER),
        }

    # -- text
    def heading(self, text: str, level: int = 1) -> None:
        style = self.styles["h1" if level == 1 else "h2"]
        self.story.append(CondPageBreak(3 * cm))
        self.story.append(Paragraph(escape(text), style))

    def paragraph(self, text: str) -> None:
        self.story.append(Paragraph(escape(text), self.styles["body"]))

    def bullets(self, items: Sequence[str]) -> None:
        for item in items:
            self.story.append(Paragraph("• " + escape(item), self.styles["body"]))

    def spacer(self, height: float = 6) -> None:
        self.story.append(Spacer(1, height))

    def source(self, text: str) -> None:
        """The «Fuente:» line printed under a table."""
        self.story.append(Paragraph("<b>Fuente:</b> " + escape(text), self.styles["source"]))

    def indicator(self, label: str, numerator: int, denominator: int, percent: bool = False) -> str:
        """An indicator line with its formula and real numbers; returns the printed text."""
        text = indicator_text(label, numerator, denominator, percent)
        self.story.append(Paragraph(escape(text), self.styles["indicator"]))
        return text

    @property
    def width(self) -> float:
        """Usable width of the page frame, in points (for charts and custom flowables)."""
        return PAGE_SIZE[0] - 2 * MARGIN

    def chart(self, drawing, source: str | None = None) -> None:
        """A ReportLab ``Drawing`` (see ``reports.charts``), kept on one page, with its «Fuente:» line."""
        parts = [drawing]
        if source:
            parts.append(Paragraph("<b>Fuente:</b> " + escape(source), self.styles["source"]))
        self.story.append(KeepTogether(parts))

    def flowable(self, item) -> None:
        """Any other platypus flowable."""
        self.story.append(item)

    # -- tables
    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], *, total: Sequence[object] | None = None,
              widths: Sequence[float] | None = None, numeric: Sequence[int] = (), source: str | None = None,
              header_rows: Sequence[Sequence[str]] = (), spans: Sequence[tuple] = (),
              emphasis: Sequence[int] = ()) -> None:
        """A table whose header row(s) repeat on every page and whose rows are never split.

        ``numeric`` are the column indexes right-aligned and formatted with thousands separators; ``total`` is
        printed bold and shaded as the last row; ``emphasis`` are indexes into ``rows`` printed the same way
        (subtotals); ``header_rows`` are extra header lines above ``headers`` (e.g. groups, with ``spans`` as
        ReportLab ``SPAN`` commands relative to the whole table).

        Speed: a cell whose text fits its column on one line is drawn as a plain string; only longer ones become
        wrapping paragraphs (a paragraph per cell costs ~3 ms a row, seconds on a 3,000-row listing).
        """
        numeric = set(numeric)
        head_style, cell, cell_num = self.styles["head"], self.styles["cell"], self.styles["cell_num"]
        avail = PAGE_SIZE[0] - 2 * MARGIN
        if widths is None:
            widths = [avail / len(headers)] * len(headers)
        else:
            scale = avail / sum(widths)
            widths = [w * scale for w in widths]
        room = [w - 6 for w in widths]  # left and right padding
        size = cell.fontSize

        def render(row, bold=False):
            font = FONT_BOLD if bold else FONT
            out = []
            for i, value in enumerate(row):
                text = fmt_int(value) if i in numeric and (value is None or isinstance(value, int)) else str(value)
                if "\n" not in text and pdfmetrics.stringWidth(text, font, size) <= room[i]:
                    out.append(text)
                    continue
                text = escape(text).replace("\n", "<br/>")
                out.append(Paragraph(f"<b>{text}</b>" if bold else text, cell_num if i in numeric else cell))
            return out

        data = [[Paragraph(escape(h), head_style) for h in line] for line in header_rows]
        data.append([Paragraph(escape(h), head_style) for h in headers])
        n_head = len(data)
        strong = {n_head + i for i in emphasis}
        data += [render(r, bold=(n_head + i) in strong) for i, r in enumerate(rows)]
        if total is not None:
            strong.add(len(data))
            data.append(render(total, bold=True))
        style = [
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("BACKGROUND", (0, 0), (-1, n_head - 1), HEADER_FILL),
            ("FONTNAME", (0, n_head), (-1, -1), FONT),
            ("FONTSIZE", (0, n_head), (-1, -1), size),
            ("LEADING", (0, n_head), (-1, -1), cell.leading),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            *[("ALIGN", (i, n_head), (i, -1), "RIGHT") for i in numeric],
            *[("SPAN", *s) for s in spans],
        ]
        for r in sorted(strong):
            style += [("BACKGROUND", (0, r), (-1, r), TOTAL_FILL), ("FONTNAME", (0, r), (-1, r), FONT_BOLD)]
        # platypus splits tables only between rows (splitByRow), so a row is never cut across pages
        tbl = LongTable(data, colWidths=widths, repeatRows=n_head, splitByRow=1, style=TableStyle(style))
        self.story.append(tbl)
        if source:
            self.source(source)

    def check_total(self, label: str, rows: Sequence[Sequence[int]], total: Sequence[int]) -> bool:
        """Pre-print check: the printed total equals the sum of the printed rows, column by column."""
        sums = [sum(r[i] or 0 for r in rows) for i in range(len(total))]
        bad = [i for i, (s, t) in enumerate(zip(sums, total)) if s != t]
        for i in bad:
            self.problem("Totales", f"{label}: la columna {i + 1} suma {fmt_int(sums[i])} pero el total impreso es "
                                    f"{fmt_int(total[i])}.")
        return not bad

    def problem(self, check: str, detail: str) -> None:
        self.problems.append(QualityProblem(check, detail))

    # -- signatures
    def signatures(self, signatories: Sequence[Signatory] = DEFAULT_SIGNATORIES) -> None:
        """The signature block: one box per signatory with a line, the name and the post; kept on one page."""
        style = self.styles["sign"]
        cells = []
        for s in signatories:
            cells.append([Paragraph(f"<b>{escape(s.role)}</b>", style), Spacer(1, 1.4 * cm),
                          Paragraph("_" * 30, style), Paragraph(escape(s.name) or "&nbsp;", style),
                          Paragraph(escape(s.post) or "&nbsp;", style)])
        width = (PAGE_SIZE[0] - 2 * MARGIN) / max(1, len(cells))
        block = Table([cells], colWidths=[width] * len(cells))
        block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self.story.append(KeepTogether([Spacer(1, 0.8 * cm), block]))

    # -- output
    def _quality_page(self) -> None:
        self.story.append(PageBreak())
        self.heading("Revisiones de calidad de datos")
        n = len(self.problems)
        found = "una observación" if n == 1 else f"{fmt_int(n)} observaciones"
        self.paragraph(f"Antes de imprimir se revisaron los datos; se encontró {found} que conviene corregir:"
                       if n == 1 else f"Antes de imprimir se revisaron los datos; se encontraron {found} que "
                       "conviene corregir:")
        self.spacer()
        self.table(["Revisión", "Observación"], [(p.check, p.detail) for p in self.problems], widths=[1, 3.5])

    def build(self, out: str | Path | io.BufferedIOBase | None = None) -> bytes:
        """Lay out the story (with the quality page when there are problems) and write the PDF; returns its bytes."""
        if self.problems:
            self._quality_page()
        buffer = io.BytesIO()
        width, height = PAGE_SIZE
        doc = BaseDocTemplate(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN, rightMargin=MARGIN,
                              topMargin=MARGIN + HEADER_HEIGHT - 0.8 * cm, bottomMargin=MARGIN + FOOTER_HEIGHT - 0.6 * cm,
                              title=self.meta.title, author=INSTITUTION, subject=self.meta.scope,
                              creator="Coordinación Estatal IMSS-BIENESTAR")
        frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0,
                      rightPadding=0, topPadding=0, bottomPadding=0)
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        doc.build(list(self.story), canvasmaker=_numbered_canvas(self.meta))
        data = buffer.getvalue()
        if out is not None:
            if isinstance(out, (str, Path)):
                Path(out).write_bytes(data)
            else:
                out.write(data)
        return data


__all__ = ["ReportDocument", "ReportMeta", "Signatory", "QualityProblem", "DEFAULT_SIGNATORIES", "fmt_int",
           "fmt_date", "indicator_text", "register_fonts", "scope_label"]
