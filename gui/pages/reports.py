"""Reports page («Reportes»): choose the report, its state (or CLUES), cut-off date and period; generate the PDF
off the UI thread with progress and cancel; preview it (QtPdf), print it, save it; edit the signature block."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QByteArray, QDate, QStandardPaths, QStringListModel, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCompleter,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui.context import AppContext
from gui.dialogs.signatories_dialog import SignatoriesDialog
from gui.pages.report_preview import PdfPreview
from gui.settings import Setting
from gui.tasks import TaskFailure
from models.services import office as office_svc
from models.services import report_settings as rs
from reports.catalog import ANY, ESTABLISHMENT, NATIONAL, REPORT_KINDS, STATE, ReportError, ReportRequest, check_request

SPLITTER = Setting("reportes/divisor", QByteArray(), QByteArray)  # form | preview
SAVE_DIR = Setting("reportes/carpeta", "", str)  # last folder a report was saved to
CONTINUOUS = Setting("reportes/vista_continua", True, bool)  # preview: all pages scrolling, or one at a time
ALL_STATES = 0
DEFAULT_KIND = "state"
NOT_AVAILABLE = "Este reporte todavía no está disponible en esta versión del programa."


@dataclass(frozen=True)
class PageData:
    """What the form needs from the database (worker thread): the adhered states and the signature block."""

    states: list[office_svc.StateInfo]
    signatories: tuple[rs.Signatory, ...]


def load_page_data(session: Session) -> PageData:
    return PageData(office_svc.list_states(session, adhered_only=True), rs.get_signatories(session))


def load_clues(session: Session, state_id: int | None) -> list[str]:
    """«CLUES — name» of the active establishments of a state (or all), for the CLUES completer."""
    from models.services.establishments import load_table

    table = load_table(session, state_id)
    return sorted(f"{c} — {n}" for c, n, r in zip(table.clues, table.names, table.retired) if not r)


def file_stem(text: str) -> str:
    """«Regionalización operativa» → «Regionalizacion_operativa» (safe on every file system)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "_".join("".join(c if c.isalnum() else " " for c in plain).split())


def to_date(qd: QDate) -> date:
    return date(qd.year(), qd.month(), qd.day())


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def signatories_summary(signatories: tuple[rs.Signatory, ...]) -> str:
    return "\n".join(f"{s.role}: {s.name or '—'}" for s in signatories)


class ReportsPage(QWidget):
    """Reportes: one form to ask for a report, and the preview to check, print and save it."""

    status_message = Signal(str)
    title = "Reportes"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.national = ctx.office.is_national
        self.states: list[office_svc.StateInfo] = []
        self.signatories: tuple[rs.Signatory, ...] = rs.DEFAULT_SIGNATORIES
        self.request: ReportRequest | None = None  # what the preview shows
        self.progress = None
        self.signatories_dialog: SignatoriesDialog | None = None
        self.message_box: QMessageBox | None = None
        self._generation = 0
        self._validate_live = False
        self._clues_for: object = None  # the state whose CLUES the completer holds
        self._build()
        self._restore_settings()
        self.ctx.run_read(load_page_data, self._page_data_loaded, self._failed)

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel("Reportes")
        title.setObjectName("pageTitle")
        header.addWidget(title)
        header.addStretch(1)
        subtitle = QLabel(self.ctx.office.label)
        subtitle.setObjectName("pageSubtitle")
        header.addWidget(subtitle)
        header.addSpacing(16)
        layout.addLayout(header)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        form = QScrollArea()  # on a small screen the form scrolls instead of squeezing the preview
        form.setWidgetResizable(True)
        form.setFrameShape(QFrame.Shape.NoFrame)
        form.setWidget(self._build_form())
        form.setMinimumWidth(300)
        self.splitter.addWidget(form)
        self.splitter.addWidget(self._build_preview())
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([340, 1100])
        layout.addWidget(self.splitter, 1)

        self.generate_action = self._action("&Generar", "Ctrl+G", self.generate, "Generar el reporte (Ctrl+G)")
        self.print_action = self._action("&Imprimir…", QKeySequence.StandardKey.Print, self.print_report,
                                         "Imprimir el reporte de la vista previa (Ctrl+P)")
        self.save_action = self._action("&Guardar como…", QKeySequence.StandardKey.Save, self.save_as,
                                        "Guardar el reporte de la vista previa en un archivo PDF (Ctrl+S)")
        self.preview.toolbar.addSeparator()
        self.preview.toolbar.addAction(self.print_action)
        self.preview.toolbar.addAction(self.save_action)
        self._kind_changed()
        self._update_actions()

    def _action(self, text: str, shortcut, slot, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_form(self) -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 6, 0)

        kind_box = QGroupBox("&Reporte")
        kv = QVBoxLayout(kind_box)
        self.kind_list = QListWidget()
        for kind in REPORT_KINDS.values():
            item = QListWidgetItem(kind.title)
            item.setData(Qt.ItemDataRole.UserRole, kind.key)
            item.setToolTip(kind.help[:1].upper() + kind.help[1:] + ".")
            self.kind_list.addItem(item)
        rows = self.kind_list.count()
        self.kind_list.setFixedHeight(self.kind_list.sizeHintForRow(0) * rows + 2 * self.kind_list.frameWidth() + 4)
        kind_box.setFocusProxy(self.kind_list)
        self.kind_help = QLabel()
        self.kind_help.setObjectName("formHint")
        self.kind_help.setWordWrap(True)
        kv.addWidget(self.kind_list)
        kv.addWidget(self.kind_help)
        v.addWidget(kind_box)

        scope_box = QGroupBox("Alcance y fechas")
        self.form = QFormLayout(scope_box)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.state_combo = QComboBox()
        self.state_combo.setPlaceholderText("Elija una entidad")
        self.state_combo.setMinimumContentsLength(16)
        self.state_combo.setToolTip("Entidad del reporte; «Todas las entidades» da una fila por entidad")
        self.form.addRow(self._buddy("&Entidad:", self.state_combo), self.state_combo)
        self.national_note = QLabel("Todas las entidades adheridas")
        self.form.addRow("Entidades:", self.national_note)
        self.clues_edit = QLineEdit()
        self.clues_edit.setPlaceholderText("p. ej. BCIMB000101")
        self.clues_edit.setToolTip("CLUES del establecimiento; escriba parte de la clave o del nombre para buscarlo")
        self.clues_edit.setMaxLength(80)
        self.clues_completer = QCompleter(QStringListModel(self), self)
        self.clues_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.clues_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.clues_completer.activated.connect(lambda text: self.clues_edit.setText(text.split(" — ")[0]))
        self.clues_edit.setCompleter(self.clues_completer)
        self.form.addRow(self._buddy("C&LUES:", self.clues_edit), self.clues_edit)
        today = date.today()
        self.as_of_edit = self._date_edit(today, "Fecha de corte: los datos se calculan a esta fecha "
                                                 "(por omisión, hoy)")
        self.form.addRow(self._buddy("Fecha de &corte:", self.as_of_edit), self.as_of_edit)
        self.from_edit = self._date_edit(date(today.year, 1, 1), "Inicio del periodo del reporte")
        self.to_edit = self._date_edit(today, "Fin del periodo (no después de la fecha de corte)")
        self.form.addRow(self._buddy("Periodo &del:", self.from_edit), self.from_edit)
        self.form.addRow(self._buddy("&al:", self.to_edit), self.to_edit)
        self.period_note = QLabel("Este reporte no usa periodo.")
        self.period_note.setObjectName("formHint")
        self.form.addRow("", self.period_note)
        v.addWidget(scope_box)

        sign_box = QGroupBox("Firmas al pie")
        sv = QVBoxLayout(sign_box)
        self.signatories_label = QLabel(signatories_summary(self.signatories))
        self.signatories_label.setObjectName("formHint")
        self.signatories_label.setWordWrap(True)
        self.signatories_button = QPushButton("&Firmas…")
        self.signatories_button.setToolTip("Nombres y cargos de Elaboró, Revisó y Vo. Bo. (para todos los reportes)")
        self.signatories_button.clicked.connect(self.edit_signatories)
        row = QHBoxLayout()
        row.addWidget(self.signatories_label, 1)
        row.addWidget(self.signatories_button, 0, Qt.AlignmentFlag.AlignTop)
        sv.addLayout(row)
        v.addWidget(sign_box)

        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        v.addWidget(self.error_label)
        self.generate_button = QPushButton("&Generar")
        self.generate_button.setObjectName("primary")
        self.generate_button.setToolTip("Generar el reporte con estos datos (Ctrl+G)")
        self.generate_button.clicked.connect(self.generate)
        v.addWidget(self.generate_button)

        self.progress_box = QWidget()
        pv = QVBoxLayout(self.progress_box)
        pv.setContentsMargins(0, 4, 0, 0)
        self.stage_label = QLabel()
        self.stage_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.cancel_button = QPushButton("Ca&ncelar")
        self.cancel_button.setToolTip("Detener la generación (o la impresión) en curso")
        self.cancel_button.clicked.connect(self.cancel)
        bar = QHBoxLayout()
        bar.addWidget(self.progress_bar, 1)
        bar.addWidget(self.cancel_button)
        pv.addWidget(self.stage_label)
        pv.addLayout(bar)
        self.progress_box.hide()
        v.addWidget(self.progress_box)
        v.addStretch(1)

        self.kind_list.currentRowChanged.connect(lambda _r: self._kind_changed())
        self.state_combo.currentIndexChanged.connect(lambda _i: self._form_changed())
        self.clues_edit.textEdited.connect(self._clues_edited)
        self.as_of_edit.dateChanged.connect(self._as_of_changed)
        self.from_edit.dateChanged.connect(lambda _d: self._form_changed())
        self.to_edit.dateChanged.connect(lambda _d: self._form_changed())
        self._previous_as_of = today
        self.kind_list.setCurrentRow(list(REPORT_KINDS).index("national" if self.national else DEFAULT_KIND))
        return box

    def _build_preview(self) -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(6, 0, 0, 0)
        self.preview_title = QLabel("Vista previa")
        font = self.preview_title.font()
        font.setBold(True)
        self.preview_title.setFont(font)
        v.addWidget(self.preview_title)
        self.preview = PdfPreview()
        self.preview.print_progressed.connect(self._print_progressed)
        self.preview.print_finished.connect(self._print_finished)
        self.preview.page_changed.connect(lambda _p, _n: self._update_actions())
        v.addWidget(self.preview, 1)
        return box

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    @staticmethod
    def _date_edit(value: date, tip: str) -> QDateEdit:
        edit = QDateEdit(to_qdate(value))
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setMinimumDate(QDate(2000, 1, 1))
        edit.setToolTip(tip)
        return edit

    # ---- settings ---------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        state = self.ctx.settings.get(SPLITTER)
        if not state.isEmpty():
            self.splitter.restoreState(state)
        self.preview.set_continuous(self.ctx.settings.get(CONTINUOUS))

    def save_settings(self) -> None:
        self.ctx.settings.set(SPLITTER, self.splitter.saveState())
        self.ctx.settings.set(CONTINUOUS, self.preview.continuous())

    # ---- the form ---------------------------------------------------------------------------------------
    def _page_data_loaded(self, data: PageData) -> None:
        self.states = data.states
        self._set_signatories(data.signatories)
        combo = self.state_combo
        combo.blockSignals(True)
        model = QStandardItemModel(combo)
        everything = QStandardItem("Todas las entidades")
        everything.setData(ALL_STATES, Qt.ItemDataRole.UserRole)
        model.appendRow(everything)
        for s in data.states:
            item = QStandardItem(s.short_name)
            item.setData(s.id, Qt.ItemDataRole.UserRole)
            model.appendRow(item)
        combo.setModel(model)
        own = self.ctx.office.state.id if self.ctx.office.state else ALL_STATES
        if own != ALL_STATES and combo.findData(own) < 0:  # the office's state is not adhered: still offer it
            item = QStandardItem(self.ctx.office.state.short_name)
            item.setData(own, Qt.ItemDataRole.UserRole)
            model.appendRow(item)
        combo.setCurrentIndex(combo.findData(own))
        combo.blockSignals(False)
        self._kind_changed()

    def kind(self):
        item = self.kind_list.currentItem()
        return REPORT_KINDS[item.data(Qt.ItemDataRole.UserRole)] if item else REPORT_KINDS[DEFAULT_KIND]

    def set_kind(self, key: str) -> None:
        """Choose the report by its key (``"regions"``…)."""
        self.kind_list.setCurrentRow(list(REPORT_KINDS).index(key))

    def set_state(self, state_id: int | None) -> None:
        """Choose the state (None: all states)."""
        self.state_combo.setCurrentIndex(self.state_combo.findData(state_id or ALL_STATES))

    def set_dates(self, as_of: date, period_start: date | None = None, period_end: date | None = None) -> None:
        self.as_of_edit.setDate(to_qdate(as_of))
        if period_start is not None:
            self.from_edit.setDate(to_qdate(period_start))
        if period_end is not None:
            self.to_edit.setDate(to_qdate(period_end))

    def _kind_changed(self) -> None:
        kind = self.kind()
        self.kind_help.setText(kind.help[:1].upper() + kind.help[1:] + ".")
        self.form.setRowVisible(self.state_combo, kind.scope in (STATE, ANY))
        self.form.setRowVisible(self.national_note, kind.scope == NATIONAL)
        self.form.setRowVisible(self.clues_edit, kind.scope == ESTABLISHMENT)
        for edit in (self.from_edit, self.to_edit):
            edit.setEnabled(kind.has_period)
        self.period_note.setVisible(not kind.has_period)
        # «Todas las entidades» only where the report accepts it
        model = self.state_combo.model()
        if isinstance(model, QStandardItemModel) and model.rowCount():
            everything = model.item(0)
            enabled = kind.scope == ANY
            everything.setEnabled(enabled)
            if not enabled and self.state_combo.currentIndex() == 0:
                self.state_combo.setCurrentIndex(-1)  # «Elija una entidad»
            elif enabled and self.state_combo.currentIndex() < 0:
                self.state_combo.setCurrentIndex(0)
        if kind.scope == ESTABLISHMENT:
            self._load_clues()
        self._form_changed()

    def _clues_edited(self, text: str) -> None:
        upper = text.upper()
        if upper != text and " — " not in text:
            pos = self.clues_edit.cursorPosition()
            self.clues_edit.setText(upper)
            self.clues_edit.setCursorPosition(pos)
        self._form_changed()

    def _as_of_changed(self, qd: QDate) -> None:
        new = to_date(qd)
        if to_date(self.to_edit.date()) == self._previous_as_of:  # the period ended on the cut-off: keep it so
            self.to_edit.setDate(qd)
        self._previous_as_of = new
        self._form_changed()

    def _form_changed(self) -> None:
        if self._validate_live:
            self.validate()

    def _load_clues(self) -> None:
        state_id = self.ctx.office.state.id if self.ctx.office.state else None
        if self._clues_for == state_id:
            return
        self._clues_for = state_id

        def done(items: list[str]) -> None:
            self.clues_completer.model().setStringList(items)

        self.ctx.run_read(lambda s: load_clues(s, state_id), done, self._failed)

    def build_request(self) -> ReportRequest:
        """The request the form describes (not yet checked)."""
        kind = self.kind()
        state_id = None
        if kind.scope in (STATE, ANY):
            state_id = self.state_combo.currentData(Qt.ItemDataRole.UserRole) or None
        clues = None
        if kind.scope == ESTABLISHMENT:
            clues = self.clues_edit.text().split(" — ")[0].strip().upper() or None
        start = to_date(self.from_edit.date()) if kind.has_period else None
        end = to_date(self.to_edit.date()) if kind.has_period else None
        return ReportRequest(kind.key, to_date(self.as_of_edit.date()), state_id, clues, start, end)

    def validate(self) -> str | None:
        """Check the form; show the Spanish message under it and outline the fields at fault."""
        request = self.build_request()
        message = check_request(request)
        kind = self.kind()
        bad = {
            self.state_combo: kind.scope == STATE and request.state_id is None,
            self.clues_edit: kind.scope == ESTABLISHMENT and not request.clues,
            self.from_edit: bool(request.period_start and request.period_end
                                 and request.period_start > request.period_end),
            self.to_edit: bool(request.period_end and request.period_end > request.as_of),
        }
        for widget, invalid in bad.items():
            widget.setProperty("invalid", invalid)
            widget.style().unpolish(widget)
            widget.style().polish(widget)
        self.show_error(message)
        return message

    def show_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    # ---- generation -------------------------------------------------------------------------------------
    @property
    def generating(self) -> bool:
        return self.progress is not None

    def generate(self) -> bool:
        """Check the form and build the report off the UI thread; the preview shows it when ready."""
        if self.generating:
            return False
        self._validate_live = True
        if self.validate():
            return False
        request = self.build_request()
        self._generation += 1
        generation, factory = self._generation, self.ctx.session_factory

        def work(progress):
            from reports.catalog import generate

            with factory() as session:
                return generate(session, request, progress=progress)

        self._show_progress(0, 0, f"Preparando «{self.kind().title}»…")
        self.progress = self.ctx.tasks.run_progress(
            work,
            lambda data: generation == self._generation and self._generated(request, data),
            lambda failure: generation == self._generation and self._generation_failed(failure),
            lambda done, total, stage: generation == self._generation and self._show_progress(done, total, stage),
        )
        return True

    def cancel(self) -> None:
        """Stop the generation (its result, if it still arrives, is ignored) or the printing in progress."""
        if self.preview.printing:
            self.preview.cancel_printing()
            return
        if self.progress is None:
            return
        self.progress.cancel()
        self._generation += 1
        self._idle()
        self.status_message.emit("Generación cancelada.")

    def _show_progress(self, done: int, total: int, stage: str) -> None:
        self.progress_box.show()
        self.stage_label.setText(stage or "Generando…")
        self.progress_bar.setRange(0, max(total, 0))
        self.progress_bar.setValue(done if total else 0)
        self._update_actions()

    def _idle(self) -> None:
        self.progress = None
        self.progress_box.hide()
        self._update_actions()

    def _generated(self, request: ReportRequest, data: bytes) -> None:
        self._idle()
        title = self.describe(request)
        if not self.preview.set_pdf(data, title):
            self.show_error("El PDF generado no se pudo abrir en la vista previa.")
            return
        self.request = request
        self.preview_title.setText(f"Vista previa — {title}")
        pages = self.preview.page_count()
        self.status_message.emit(f"Reporte generado: {title} ({pages} {'página' if pages == 1 else 'páginas'}).")
        self._update_actions()

    def _generation_failed(self, failure: TaskFailure) -> None:
        self._idle()
        exc = failure.exception
        if failure.cancelled:
            self.status_message.emit("Generación cancelada.")
        elif isinstance(exc, ReportError):
            self.show_error(str(exc))
        elif isinstance(exc, ModuleNotFoundError) and (exc.name or "").startswith("reports"):
            self.show_error(NOT_AVAILABLE)
        else:
            self._failed(failure)

    def describe(self, request: ReportRequest) -> str:
        """«Regionalización operativa · Baja California · corte 31/10/2026»."""
        kind = REPORT_KINDS[request.kind]
        if kind.scope == ESTABLISHMENT:
            scope = request.clues or ""
        elif request.state_id is None:
            scope = "Todas las entidades"
        else:
            scope = next((s.short_name for s in self.states if s.id == request.state_id), "")
        parts = [kind.title, scope, f"corte {request.as_of:%d/%m/%Y}"]
        if request.period_start and request.period_end:
            parts.append(f"periodo {request.period_start:%d/%m/%Y} al {request.period_end:%d/%m/%Y}")
        return " · ".join(p for p in parts if p)

    def suggested_name(self) -> str:
        request = self.request
        if request is None:
            return "reporte.pdf"
        kind = REPORT_KINDS[request.kind]
        scope = request.clues if kind.scope == ESTABLISHMENT else next(
            (s.short_name for s in self.states if s.id == request.state_id), "Nacional")
        return f"{file_stem(kind.title)}_{file_stem(scope or '')}_{request.as_of.isoformat()}.pdf"

    def _update_actions(self) -> None:
        has = self.preview.data is not None
        busy = self.generating
        self.generate_action.setEnabled(not busy)
        self.generate_button.setEnabled(not busy)
        self.print_action.setEnabled(has and not self.preview.printing)
        self.save_action.setEnabled(has)

    # ---- print and save ---------------------------------------------------------------------------------
    def print_report(self):
        """The Qt print dialog for the report in the preview (window-modal); printing starts on «Imprimir»."""
        return self.preview.print_document()

    def _print_progressed(self, done: int, total: int) -> None:
        self._show_progress(done, total, f"Imprimiendo página {done} de {total}…")

    def _print_finished(self, ok: bool, message: str) -> None:
        self.progress_box.setVisible(self.generating)
        self._update_actions()
        self.status_message.emit(message)
        if not ok and "cancelada" not in message:
            self._warn(message)

    def save_as(self) -> str | None:
        """Ask for a file name and write the PDF of the preview there (off the UI thread)."""
        data = self.preview.data
        if data is None:
            return None
        folder = self.ctx.settings.get(SAVE_DIR) or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)
        suggested = str(Path(folder) / self.suggested_name())
        path, _filter = QFileDialog.getSaveFileName(self, "Guardar reporte como", suggested, "Documento PDF (*.pdf)")
        if not path:
            return None
        if not path.lower().endswith(".pdf"):
            path += ".pdf"
        self.ctx.settings.set(SAVE_DIR, str(Path(path).parent))
        self.write_file(path, data)
        return path

    def write_file(self, path: str, data: bytes) -> None:
        def done(_result) -> None:
            self.status_message.emit(f"Reporte guardado en {path}.")

        def failed(failure: TaskFailure) -> None:
            if isinstance(failure.exception, OSError):
                reason = failure.exception.strerror or failure.exception
                self._warn(f"No se pudo guardar el reporte en «{path}»: {reason}.")
            else:
                self._failed(failure)

        self.ctx.tasks.run(lambda: Path(path).write_bytes(data), done, failed)

    # ---- signatories ------------------------------------------------------------------------------------
    def _set_signatories(self, signatories: tuple[rs.Signatory, ...]) -> None:
        self.signatories = tuple(signatories)
        self.signatories_label.setText(signatories_summary(self.signatories))

    def edit_signatories(self) -> None:
        """Read the current signature block, then open its dialog (window-modal, not blocking)."""
        self.ctx.run_read(rs.get_signatories, self._open_signatories, self._failed)

    def _open_signatories(self, current: tuple[rs.Signatory, ...]) -> SignatoriesDialog:
        dialog = SignatoriesDialog(self.ctx, current, self)
        self.signatories_dialog = dialog

        def saved(stored) -> None:
            self._set_signatories(stored)
            self.status_message.emit("Firmas guardadas; se imprimirán en los siguientes reportes que genere.")

        def closed(_result) -> None:
            if self.signatories_dialog is dialog:
                self.signatories_dialog = None
            dialog.deleteLater()

        dialog.saved.connect(saved)
        dialog.finished.connect(closed)
        dialog.open()
        return dialog

    # ---- errors -----------------------------------------------------------------------------------------
    def _warn(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Reportes", message, QMessageBox.StandardButton.Ok, self)
        self.message_box = box
        box.open()

    def _failed(self, failure: TaskFailure) -> None:
        from gui.dialogs.error_dialog import show_failure

        show_failure(self, failure)
