"""The in-app PDF preview of the Reports page (QtPdf): page navigation, zoom, continuous or single-page view, and
printing through the Qt print dialog. The PDF is loaded from memory; nothing here touches the database."""
from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QPointF, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import QLabel, QStackedWidget, QToolBar, QVBoxLayout, QWidget

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.1, 8.0
PRINT_DPI = 300  # pages are rasterised at most at this resolution (a 1,200 dpi letter page would take 540 MB)
PLACEHOLDER = ("Elija el reporte, la entidad y la fecha de corte, y pulse «Generar» (Ctrl+G).\n"
               "La vista previa aparecerá aquí.")


class MemoryPdf:
    """A ``QPdfDocument`` read from bytes in memory; keeps the byte array and the buffer alive with it."""

    def __init__(self, data: bytes, parent: QObject | None = None):
        self.data = bytes(data)
        self._bytes = QByteArray(self.data)
        self._buffer = QBuffer(self._bytes)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(parent)
        self.document.load(self._buffer)

    @property
    def ok(self) -> bool:
        return self.document.status() == QPdfDocument.Status.Ready and self.document.pageCount() > 0

    def close(self) -> None:
        self.document.close()
        self._buffer.close()


def pages_to_print(printer: QPrinter, count: int, current: int) -> list[int]:
    """0-based pages chosen in the print dialog (all, a range such as «1-2, 4», or the current page), in the
    order and with the copies to send when the printer cannot make copies itself."""
    chosen = list(range(count))
    if printer.printRange() == QPrinter.PrintRange.CurrentPage:
        chosen = [current]
    elif printer.printRange() == QPrinter.PrintRange.PageRange:
        ranges = printer.pageRanges()
        if not ranges.isEmpty():
            chosen = [p - 1 for p in range(1, count + 1) if ranges.contains(p)]
        elif printer.fromPage() > 0:
            chosen = list(range(printer.fromPage() - 1, min(printer.toPage() or count, count)))
    if printer.pageOrder() == QPrinter.PageOrder.LastPageFirst:
        chosen.reverse()
    copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
    if copies > 1:
        chosen = chosen * copies if printer.collateCopies() else [p for p in chosen for _ in range(copies)]
    return chosen


class PrintJob(QObject):
    """Sends pages to a configured printer one per event-loop turn, so the window stays responsive.

    Emits ``progressed(done, total)`` and, once, ``finished(ok, message)``. Uses its own copy of the document, so
    a new report generated meanwhile does not change what is printed."""

    progressed = Signal(int, int)
    finished = Signal(bool, str)

    def __init__(self, data: bytes, printer: QPrinter, pages: list[int], parent: QObject | None = None):
        super().__init__(parent)
        self.pdf = MemoryPdf(data, self)
        self.printer = printer
        self.pages = pages
        self.done = 0
        self._painter: QPainter | None = None
        self._cancelled = False
        self.running = False

    def start(self) -> None:
        self.running = True
        QTimer.singleShot(0, self._step)

    def cancel(self) -> None:
        self._cancelled = True

    def _finish(self, ok: bool, message: str) -> None:
        if self._painter is not None and self._painter.isActive():
            self._painter.end()
        self.pdf.close()
        self.running = False
        self.finished.emit(ok, message)

    def _step(self) -> None:
        if self._cancelled:
            self.printer.abort()
            self._finish(False, "Impresión cancelada.")
            return
        if not self.pages:
            self._finish(False, "No hay páginas que imprimir en el intervalo elegido.")
            return
        if self._painter is None:
            self._painter = QPainter()
            if not self._painter.begin(self.printer):
                self._painter = None
                self._finish(False, "No se pudo iniciar la impresión: revise la impresora o el archivo de destino.")
                return
        elif not self.printer.newPage():
            self._finish(False, "La impresora rechazó una página; la impresión quedó incompleta.")
            return
        self._draw(self.pages[self.done])
        self.done += 1
        self.progressed.emit(self.done, len(self.pages))
        if self.done < len(self.pages):
            QTimer.singleShot(0, self._step)
        else:
            n = len(self.pages)
            self._finish(True, f"Se enviaron {n} {'página' if n == 1 else 'páginas'} a «{self._destination()}».")

    def _destination(self) -> str:
        if self.printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
            return self.printer.outputFileName()
        return self.printer.printerName() or "la impresora"

    def _draw(self, page: int) -> None:
        """Fit the page into the paper (keeping its proportions), rasterised at no more than PRINT_DPI."""
        painter = self._painter
        area = painter.viewport()
        points = self.pdf.document.pagePointSize(page)
        if points.isEmpty():
            return
        scale = min(area.width() / points.width(), area.height() / points.height())
        w, h = int(points.width() * scale), int(points.height() * scale)
        target = QRect(area.x() + (area.width() - w) // 2, area.y() + (area.height() - h) // 2, w, h)
        factor = min(1.0, PRINT_DPI / max(1, self.printer.resolution()))
        image = self.pdf.document.render(page, QSize(max(1, int(w * factor)), max(1, int(h * factor))))
        painter.drawImage(target, image)


class PdfPreview(QWidget):
    """Shows a PDF held in memory, with previous/next page, «Página X de N», zoom and print."""

    page_changed = Signal(int, int)  # 0-based page, page count
    print_progressed = Signal(int, int)
    print_finished = Signal(bool, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.pdf: MemoryPdf | None = None
        self.print_dialog: QPrintDialog | None = None
        self.print_job: PrintJob | None = None
        self.title = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(self.toolbar)
        self.stack = QStackedWidget()
        self.placeholder = QLabel(PLACEHOLDER)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setObjectName("formHint")
        self.placeholder.setStyleSheet("QLabel { background: #e9ebea; font-size: 11pt; }")
        self._empty = QPdfDocument(self)
        self.view = QPdfView()
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitInView)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.view)
        layout.addWidget(self.stack, 1)
        self.view.pageNavigator().currentPageChanged.connect(lambda _p: self._update())
        self._build_actions()
        self._update()

    # ---- actions ----------------------------------------------------------------------------------------
    def _action(self, text: str, shortcut, slot, tip: str, toolbar: bool = True) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        if toolbar:
            self.toolbar.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.previous_action = self._action("◀ &Anterior", QKeySequence.StandardKey.MoveToPreviousPage,
                                            self.previous_page, "Página anterior (RePág)")
        self.page_label = QLabel()
        self.page_label.setMinimumWidth(110)
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.toolbar.addWidget(self.page_label)
        self.next_action = self._action("&Siguiente ▶", QKeySequence.StandardKey.MoveToNextPage, self.next_page,
                                        "Página siguiente (AvPág)")
        self.toolbar.addSeparator()
        self.zoom_out_action = self._action("Alejar −", QKeySequence.StandardKey.ZoomOut, self.zoom_out,
                                            "Reducir el tamaño (Ctrl+−)")
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(52)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.toolbar.addWidget(self.zoom_label)
        self.zoom_in_action = self._action("Acercar +", QKeySequence.StandardKey.ZoomIn, self.zoom_in,
                                           "Aumentar el tamaño (Ctrl++)")
        self.fit_width_action = self._action("Ajustar al &ancho", "Ctrl+2", self.fit_width,
                                             "La página ocupa todo el ancho de la vista previa (Ctrl+2)")
        self.fit_page_action = self._action("Página &completa", "Ctrl+0", self.fit_page,
                                            "Cada página se ve entera (Ctrl+0)")
        self.actual_size_action = self._action("Tamaño real", "Ctrl+1", lambda: self.set_zoom(1.0),
                                               "La página a su tamaño de impresión (Ctrl+1)", toolbar=False)
        for action in (self.fit_width_action, self.fit_page_action):
            action.setCheckable(True)
        self.toolbar.addSeparator()
        self.continuous_action = self._action("Vista &continua", None, lambda: None,
                                              "Las páginas una tras otra (desplazándose); sin marcar, una sola "
                                              "página a la vez")
        self.continuous_action.setCheckable(True)
        self.continuous_action.setChecked(True)
        self.continuous_action.toggled.connect(self.set_continuous)

    # ---- document -----------------------------------------------------------------------------------------
    def set_pdf(self, data: bytes, title: str = "") -> bool:
        """Show the PDF ``data`` (page 1); returns False when it cannot be read."""
        previous = self.pdf
        pdf = MemoryPdf(data, self)
        if not pdf.ok:
            pdf.close()
            return False
        self.pdf = pdf
        self.title = title
        self.view.setDocument(pdf.document)
        self.stack.setCurrentWidget(self.view)
        self.go_to(0)
        if previous is not None:  # only after the view has let go of it
            previous.close()
            previous.document.deleteLater()
        self._update()
        return True

    def clear(self) -> None:
        previous, self.pdf = self.pdf, None
        self.view.setDocument(self._empty)  # (None makes QPdfView warn about its link model)
        self.stack.setCurrentWidget(self.placeholder)
        if previous is not None:
            previous.close()
            previous.document.deleteLater()
        self._update()

    @property
    def data(self) -> bytes | None:
        return self.pdf.data if self.pdf else None

    def page_count(self) -> int:
        return self.pdf.document.pageCount() if self.pdf else 0

    def current_page(self) -> int:
        return self.view.pageNavigator().currentPage() if self.pdf else 0

    # ---- navigation ---------------------------------------------------------------------------------------
    def go_to(self, page: int) -> None:
        """Show page ``page`` (0-based, clamped)."""
        if self.pdf is None:
            return
        page = max(0, min(page, self.page_count() - 1))
        nav = self.view.pageNavigator()
        nav.jump(page, QPointF(), nav.currentZoom())
        self._update()

    def next_page(self) -> None:
        self.go_to(self.current_page() + 1)

    def previous_page(self) -> None:
        self.go_to(self.current_page() - 1)

    def set_continuous(self, on: bool) -> None:
        """Continuous (all pages, scrolling) or one page at a time."""
        page = self.current_page()
        self.continuous_action.blockSignals(True)
        self.continuous_action.setChecked(on)
        self.continuous_action.blockSignals(False)
        self.view.setPageMode(QPdfView.PageMode.MultiPage if on else QPdfView.PageMode.SinglePage)
        self.go_to(page)

    def continuous(self) -> bool:
        return self.view.pageMode() == QPdfView.PageMode.MultiPage

    # ---- zoom ---------------------------------------------------------------------------------------------
    def effective_zoom(self) -> float:
        """The zoom factor shown (in the fit modes QPdfView computes it but keeps reporting the custom one)."""
        mode = self.view.zoomMode()
        if mode == QPdfView.ZoomMode.Custom or self.pdf is None:
            return self.view.zoomFactor()
        screen = QGuiApplication.primaryScreen()
        dpi = screen.logicalDotsPerInch() if screen is not None else 96.0
        size = self.pdf.document.pagePointSize(self.current_page()) * (dpi / 72.0)
        margins = self.view.documentMargins()
        viewport = self.view.viewport().size()
        if size.isEmpty():
            return 1.0
        wide = (viewport.width() - margins.left() - margins.right()) / size.width()
        if mode == QPdfView.ZoomMode.FitToWidth:
            return wide
        # QPdfView fits the height less one page spacing (not the top and bottom margins)
        return min(wide, (viewport.height() - self.view.pageSpacing()) / size.height())

    def set_zoom(self, factor: float) -> None:
        page = self.current_page()
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(ZOOM_MIN, min(ZOOM_MAX, factor)))
        self.go_to(page)

    def zoom_in(self) -> None:
        self.set_zoom(self.effective_zoom() * ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_zoom(self.effective_zoom() / ZOOM_STEP)

    def fit_width(self) -> None:
        self._fit(QPdfView.ZoomMode.FitToWidth)

    def fit_page(self) -> None:
        self._fit(QPdfView.ZoomMode.FitInView)

    def _fit(self, mode: QPdfView.ZoomMode) -> None:
        page = self.current_page()
        self.view.setZoomMode(mode)
        self.go_to(page)

    def resizeEvent(self, event) -> None:  # noqa: N802 - the fit modes change the shown percentage
        super().resizeEvent(event)
        self._update()

    # ---- state --------------------------------------------------------------------------------------------
    def page_text(self) -> str:
        count = self.page_count()
        return f"Página {self.current_page() + 1} de {count}" if count else "Sin documento"

    def _update(self) -> None:
        count, page = self.page_count(), self.current_page()
        has = count > 0
        self.page_label.setText(self.page_text())
        self.previous_action.setEnabled(has and page > 0)
        self.next_action.setEnabled(has and page < count - 1)
        for action in (self.zoom_in_action, self.zoom_out_action, self.fit_width_action, self.fit_page_action,
                       self.actual_size_action, self.continuous_action):
            action.setEnabled(has)
        mode = self.view.zoomMode()
        self.fit_width_action.setChecked(mode == QPdfView.ZoomMode.FitToWidth)
        self.fit_page_action.setChecked(mode == QPdfView.ZoomMode.FitInView)
        self.zoom_label.setText(f"{round(self.effective_zoom() * 100)} %" if has else "100 %")
        self.zoom_label.setEnabled(has)
        self.page_changed.emit(page, count)

    # ---- printing -----------------------------------------------------------------------------------------
    def new_printer(self) -> QPrinter:
        """A printer set up for this document: its paper size and orientation, its name."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.title or "Reporte")
        printer.setFullPage(True)  # the PDF carries its own margins
        if self.pdf is not None:
            size = self.pdf.document.pagePointSize(0)
            # the report's paper (letter) rather than the locale's default (often A4)
            match = QPageSize.SizeMatchPolicy.FuzzyOrientationMatch
            printer.setPageSize(QPageSize(size, QPageSize.Unit.Point, "", match))
            landscape = size.width() > size.height()
            printer.setPageOrientation(QPageLayout.Orientation.Landscape if landscape
                                       else QPageLayout.Orientation.Portrait)
        return printer

    def print_document(self) -> QPrintDialog | None:
        """Open the print dialog (window-modal, not blocking); printing starts when it is accepted."""
        if self.pdf is None or self.printing:
            return None
        printer = self.new_printer()
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle("Imprimir reporte")
        dialog.setMinMax(1, self.page_count())
        dialog.setFromTo(1, self.page_count())
        for option in (QAbstractPrintDialog.PrintDialogOption.PrintPageRange,
                       QAbstractPrintDialog.PrintDialogOption.PrintCurrentPage,
                       QAbstractPrintDialog.PrintDialogOption.PrintToFile,
                       QAbstractPrintDialog.PrintDialogOption.PrintCollateCopies):
            dialog.setOption(option, True)
        dialog.accepted.connect(lambda: self.print_to(printer))
        dialog.finished.connect(lambda _r, d=dialog: self._dialog_closed(d))
        self.print_dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self, dialog: QPrintDialog) -> None:
        if self.print_dialog is dialog:
            self.print_dialog = None
        dialog.deleteLater()

    def print_to(self, printer: QPrinter) -> PrintJob | None:
        """Print the pages chosen on ``printer`` (already configured); progress and the end come as signals."""
        if self.pdf is None or self.printing:
            return None
        job = PrintJob(self.pdf.data, printer, pages_to_print(printer, self.page_count(), self.current_page()), self)
        job.progressed.connect(self.print_progressed)
        job.finished.connect(lambda ok, message, j=job: self._printed(j, ok, message))
        self.print_job = job
        job.start()
        return job

    def _printed(self, job: PrintJob, ok: bool, message: str) -> None:
        if self.print_job is job:
            self.print_job = None
        job.deleteLater()
        self.print_finished.emit(ok, message)

    @property
    def printing(self) -> bool:
        return self.print_job is not None and self.print_job.running

    def cancel_printing(self) -> None:
        if self.print_job is not None:
            self.print_job.cancel()
