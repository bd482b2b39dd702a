"""«Intercambio» (issue 8): data packages (.cepkg) and acknowledgements between this office and the other one.

Three tabs: «Enviar y recibir» (generate a package or an acknowledgement; import a package, seeing first what it
would do — nothing is written before «Aplicar» —, import an acknowledgement), «Historial» (packages and
acknowledgements sent and received) and «Conflictos (N)» (``gui.pages.exchange_conflicts.ConflictsPanel``).
Everything runs through the task runner; the services are ``models.exchange`` (the same as
``coordinacion exchange …`` on the command line).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui.context import AppContext
from gui.pages.exchange_conflicts import ConflictsPanel, RowsModel, fit_rows, local_time, numbers, table_view
from gui.settings import Setting
from gui.tasks import TaskFailure
from models.exchange import ConflictError, ImportSummary, PackageError, PackageLogEntry, list_packages
from models.exchange.tables import SPECS
from models.services import office as office_svc

EXCHANGE_DIR = Setting("intercambio/carpeta", "", str)  # last folder a package was written to or read from
TAB = Setting("intercambio/pestana", 0, int)
PACKAGE_FILTER = "Paquetes de intercambio (*.cepkg);;Todos los archivos (*)"
ACK_FILTER = "Acuses de recibo (*.cepkg);;Todos los archivos (*)"
EXPECTED = (PackageError, ConflictError, PermissionError, OSError)  # refusals shown as their Spanish message
NATIONAL = office_svc.NATIONAL
ALL_OFFICES = "*"
TAB_SEND, TAB_HISTORY, TAB_CONFLICTS = range(3)
HISTORY_HEADERS = ("Fecha", "Movimiento", "Oficina", "N.º", "Registros", "Aplicados", "Sin cambios", "Conflictos",
                   "En espera", "Rechazados", "Estado")
COUNT_HEADERS = ("Tabla", "Aplicados", "Sin cambios", "Conflictos", "En espera", "Rechazados")
OUTCOMES = {"conflicto": "Conflicto", "en_espera": "En espera", "rechazado": "Rechazado"}


@dataclass(frozen=True)
class PageData:
    """What the page reads (worker thread): the states (names and targets) and the history."""

    states: list[office_svc.StateInfo]
    history: list[PackageLogEntry]


def load_page_data(session: Session) -> PageData:
    return PageData(office_svc.list_states(session), list_packages(session))


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def history_rows(entries: list[PackageLogEntry], names: dict[str, str]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Display rows (and tooltips) of the exchange history."""
    rows, tips = [], []
    for e in entries:
        sent, package = e.direction == "enviado", e.kind == "paquete"
        peer = e.target_office if sent else e.source_office
        counts = tuple(str(n) for n in (e.applied, e.unchanged, e.conflicts, e.deferred, e.rejected)) \
            if package and not sent else ("",) * 5
        if package and sent:
            ack = f"Confirmado el {local_time(e.acknowledged_at)[:10]}" if e.acknowledged_at else "Sin acuse"
        elif package:  # received: the numbers of that office's series that never arrived, if any
            ack = f"Faltan los paquetes {numbers(e.missing_sequences)}" if e.missing_sequences else "Aplicado"
        elif sent:
            ack = f"Confirma {plural(e.records, 'paquete', 'paquetes')}"
        else:
            ack = (f"Confirmó {plural(e.records, 'paquete nuevo', 'paquetes nuevos')}" if e.records
                   else "Sin paquetes nuevos")
        what = f"{'Paquete' if package else 'Acuse'} {'enviado' if sent else 'recibido'}"
        rows.append((local_time(e.processed_at), what, names.get(peer, peer), str(e.sequence) if e.sequence else "",
                     str(e.records) if package else "", *counts, ack))
        tip = f"«{e.file_name}»: {what.lower()} por {e.processed_by} el {local_time(e.processed_at, True)}."
        if package and sent and e.acknowledged_at:
            tip += f" La otra oficina lo confirmó el {local_time(e.acknowledged_at)}."
        if package and not sent and e.missing_sequences:
            tip += f" Faltan los paquetes {numbers(e.missing_sequences)} de esa oficina."
        tips.append(tip)
    return rows, tips


class ExchangePage(QWidget):
    """Intercambio: send and receive packages and acknowledgements, their history, and the conflicts."""

    title = "Intercambio"
    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.national = ctx.office is not None and ctx.office.is_national
        self.states: list[office_svc.StateInfo] = []
        self.history: list[PackageLogEntry] = []
        self.pending: Path | None = None  # the package whose preview is shown, waiting for «Aplicar»
        self.preview: ImportSummary | None = None
        self.busy = False
        self._build()
        self.tabs.setCurrentIndex(min(max(ctx.settings.get(TAB), 0), self.tabs.count() - 1))
        self.conflicts.restore_settings()

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        heading = QLabel("Intercambio de información")
        heading.setObjectName("pageTitle")
        header.addWidget(heading)
        header.addStretch(1)
        subtitle = QLabel(self.ctx.office.label if self.ctx.office else "")
        subtitle.setObjectName("pageSubtitle")
        header.addWidget(subtitle)
        header.addSpacing(16)
        layout.addLayout(header)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_send_receive(), "&Enviar y recibir")
        self.tabs.addTab(self._build_history(), "&Historial")
        self.conflicts = ConflictsPanel(self.ctx, self)
        self.tabs.addTab(self.conflicts, "&Conflictos")
        layout.addWidget(self.tabs, 1)
        self.conflicts.count_changed.connect(self._conflicts_counted)
        self.conflicts.status_message.connect(self.status_message)
        # the main window's GUARDED list names these (one attribute level deep)
        self.keep_local_button = self.conflicts.keep_local_button
        self.take_incoming_button = self.conflicts.take_incoming_button
        self.merge_button = self.conflicts.merge_button

    def _build_send_receive(self) -> QWidget:
        tab = QWidget()
        row = QHBoxLayout(tab)
        side = QScrollArea()  # on a small screen the actions scroll instead of squeezing the result
        side.setWidgetResizable(True)
        side.setFrameShape(QFrame.Shape.NoFrame)
        side.setWidget(self._build_actions())
        side.setMinimumWidth(330)
        side.setMaximumWidth(420)
        side.viewport().setAutoFillBackground(False)
        side.widget().setAutoFillBackground(False)
        row.addWidget(side)
        row.addWidget(self._build_result(), 1)
        return tab

    @staticmethod
    def _hint(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("formHint")
        label.setWordWrap(True)
        return label

    def _state_combo(self, placeholder: str, everything: str | None = None) -> QComboBox:
        combo = QComboBox()
        combo.setPlaceholderText(placeholder)
        combo.setMinimumContentsLength(16)
        if everything:
            combo.addItem(everything, None)
        return combo

    def _build_actions(self) -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 6, 0)

        send = QGroupBox("Enviar a una entidad" if self.national else "Enviar a la oficina nacional")
        sv = QVBoxLayout(send)
        self.target_combo = self._state_combo("Elija la entidad")
        self.target_combo.setToolTip("Entidad a la que va el paquete: lleva el catálogo y los registros de esa entidad")
        if self.national:
            form = QFormLayout()
            label = QLabel("Entidad &destino:")
            label.setBuddy(self.target_combo)
            form.addRow(label, self.target_combo)
            sv.addLayout(form)
        self.all_check = QCheckBox("Incluir &todos los registros")
        self.all_check.setToolTip("Enviar todo, aunque la otra oficina ya lo haya confirmado (p. ej. si restauró "
                                  "un respaldo o perdió paquetes)")
        sv.addWidget(self.all_check)
        sv.addWidget(self._hint("Sin marcar, el paquete lleva lo que la otra oficina todavía no ha confirmado con "
                                "un acuse; cada paquete incluye también lo de los anteriores sin confirmar."))
        self.export_button = QPushButton("&Generar paquete…")
        self.export_button.setObjectName("primary")
        self.export_button.setToolTip("Escribir un archivo .cepkg para entregarlo en USB o por correo")
        self.export_button.clicked.connect(self.export)
        sv.addWidget(self.export_button)
        v.addWidget(send)

        receive = self.receive_box = QGroupBox("Recibir un paquete")
        rv = QVBoxLayout(receive)
        rv.addWidget(self._hint("Primero se verifica el archivo y se muestra qué cambiaría; no se guarda nada "
                                "hasta pulsar «Aplicar»."))
        self.import_button = QPushButton("&Importar paquete…")
        self.import_button.setToolTip("Elegir un archivo .cepkg recibido de la otra oficina")
        self.import_button.clicked.connect(self.choose_package)
        rv.addWidget(self.import_button)
        v.addWidget(receive)

        acks = QGroupBox("Acuses de recibo")
        av = QVBoxLayout(acks)
        av.addWidget(self._hint("El acuse confirma a la otra oficina qué paquetes se aplicaron aquí, para que sus "
                                "siguientes paquetes lleven sólo cambios nuevos."))
        self.ack_combo = self._state_combo("Elija la entidad", "Todas las entidades")
        self.ack_combo.setToolTip("Paquetes recibidos que confirma el acuse: de todas las entidades o de una")
        if self.national:
            form = QFormLayout()
            label = QLabel("Acuse &para:")
            label.setBuddy(self.ack_combo)
            form.addRow(label, self.ack_combo)
            av.addLayout(form)
        buttons = QHBoxLayout()
        self.ack_button = QPushButton("Generar a&cuse…")
        self.ack_button.setToolTip("Escribir el acuse de los paquetes importados aquí")
        self.ack_button.clicked.connect(self.make_ack)
        self.import_ack_button = QPushButton("Importar ac&use…")
        self.import_ack_button.setToolTip("Leer el acuse que envió la otra oficina")
        self.import_ack_button.clicked.connect(self.choose_ack)
        buttons.addWidget(self.ack_button)
        buttons.addWidget(self.import_ack_button)
        av.addLayout(buttons)
        v.addWidget(acks)
        v.addStretch(1)
        return box

    def _build_result(self) -> QWidget:
        box = QGroupBox("Resultado")
        v = QVBoxLayout(box)
        self.result_title = QLabel("Todavía no ha enviado ni recibido nada en esta sesión.")
        font = self.result_title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.result_title.setFont(font)
        self.result_title.setWordWrap(True)
        v.addWidget(self.result_title)
        self.result_text = QLabel("Genere un paquete para la otra oficina o importe el que recibió; aquí verá "
                                  "qué contiene y qué se aplicó.")
        self.result_text.setWordWrap(True)
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.result_text)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.error_label)
        self.warnings_label = QLabel()
        self.warnings_label.setWordWrap(True)
        v.addWidget(self.warnings_label)
        self.counts_model = RowsModel(COUNT_HEADERS, numeric=(1, 2, 3, 4, 5), parent=self)
        self.export_model = RowsModel(("Tabla", "Registros"), numeric=(1,), parent=self)
        self.counts_view = table_view(self.counts_model, stretch=0)
        v.addWidget(self.counts_view, 1)  # grows up to its rows (fit_rows), then the notes take the room
        self.notes_label = QLabel("Registros que no se aplican tal cual:")
        v.addWidget(self.notes_label)
        self.notes_model = RowsModel(("Resultado", "Tabla", "Registro", "Motivo"), parent=self)
        self.notes_view = table_view(self.notes_model)
        self.notes_view.setWordWrap(True)
        v.addWidget(self.notes_view, 1)
        v.addStretch(0)  # takes the room while the notes are hidden
        bar = QHBoxLayout()
        self.show_conflicts_button = QPushButton("Revisar los conflictos")
        self.show_conflicts_button.clicked.connect(lambda: self.tabs.setCurrentIndex(TAB_CONFLICTS))
        bar.addWidget(self.show_conflicts_button)
        bar.addStretch(1)
        self.preview_bar = QWidget()  # shown while a preview waits; the buttons keep their own (role) visibility
        pb = QHBoxLayout(self.preview_bar)
        pb.setContentsMargins(0, 0, 0, 0)
        self.cancel_import_button = QPushButton("Ca&ncelar")
        self.cancel_import_button.setToolTip("Descartar este paquete sin guardar nada")
        self.cancel_import_button.clicked.connect(self.cancel_import)
        self.apply_button = QPushButton("&Aplicar")
        self.apply_button.setObjectName("primary")
        self.apply_button.setToolTip("Guardar los cambios del paquete tal como se resumen arriba")
        self.apply_button.clicked.connect(self.apply_import)
        pb.addWidget(self.cancel_import_button)
        pb.addWidget(self.apply_button)
        bar.addWidget(self.preview_bar)
        v.addLayout(bar)
        self._clear_result()
        return box

    def _build_history(self) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        self.history_label = QLabel("")
        self.history_label.setObjectName("countLabel")
        v.addWidget(self.history_label)
        self.history_model = RowsModel(HISTORY_HEADERS, numeric=(3, 4, 5, 6, 7, 8, 9), parent=self)
        self.history_view = table_view(self.history_model)
        v.addWidget(self.history_view, 1)
        self.history_details = QLabel("")
        self.history_details.setWordWrap(True)
        self.history_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.history_details)
        self.history_view.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self.history_details.setText(
                self.history_model.tips[current.row()] if current.isValid() else ""))
        return tab

    # ---- settings and loading ---------------------------------------------------------------------------
    def save_settings(self) -> None:
        self.ctx.settings.set(TAB, self.tabs.currentIndex())
        self.conflicts.save_settings()

    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        self.reload()

    def reload(self) -> None:
        """Read the states and the history, and the conflicts (worker thread)."""
        self.ctx.run_read(load_page_data, self._page_data_loaded,
                          lambda f: self._failed("No se pudo leer el historial", f))
        self.conflicts.reload()

    def _page_data_loaded(self, data: PageData) -> None:
        first = not self.states
        self.states = data.states
        if first:
            for combo in (self.target_combo, self.ack_combo):
                for s in data.states:
                    if s.adhered:
                        combo.addItem(s.short_name, s.inegi_code)
            self.target_combo.setCurrentIndex(-1)
            self.ack_combo.setCurrentIndex(0)
        self.history = data.history
        rows, tips = history_rows(data.history, self.office_names())
        self.history_model.set_rows(rows, tips=tips)
        self.history_view.resizeColumnsToContents()
        sent = sum(1 for e in data.history if e.direction == "enviado")
        self.history_label.setText("Todavía no se ha enviado ni recibido ningún paquete." if not data.history else
                                   f"{plural(sent, 'enviado', 'enviados')} y "
                                   f"{plural(len(data.history) - sent, 'recibido', 'recibidos')}, el más reciente "
                                   "primero. Elija una fila para ver el archivo y quién lo procesó.")
        self.history_details.clear()

    def office_names(self) -> dict[str, str]:
        names = {s.inegi_code: s.short_name for s in self.states}
        names.update({NATIONAL: "Oficina nacional", ALL_OFFICES: "Todas las entidades"})
        return names

    def _conflicts_counted(self, count: int) -> None:
        self.tabs.setTabText(TAB_CONFLICTS, f"&Conflictos ({count})")

    # ---- files ------------------------------------------------------------------------------------------
    def _folder(self) -> str:
        return self.ctx.settings.get(EXCHANGE_DIR) or QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.DocumentsLocation)

    def _own_code(self) -> str:
        return NATIONAL if self.national or self.ctx.office is None else self.ctx.office.state.clues_prefix

    def _prefix(self, inegi: str | None) -> str | None:
        return next((s.clues_prefix for s in self.states if s.inegi_code == inegi), inegi)

    def package_name(self, target: str | None = None) -> str:
        """«paquete_BC_2026-11-23.cepkg»; at the national office «paquete_NACIONAL_para_BC_2026-11-23.cepkg»."""
        to = f"_para_{self._prefix(target)}" if self.national and target else ""
        return f"paquete_{self._own_code()}{to}_{date.today().isoformat()}.cepkg"

    def ack_name(self, source: str | None = None) -> str:
        of = f"_de_{self._prefix(source)}" if self.national and source else ""
        return f"acuse_{self._own_code()}{of}_{date.today().isoformat()}.cepkg"

    def _ask_save(self, caption: str, name: str, filters: str) -> Path | None:
        path, _filter = QFileDialog.getSaveFileName(self, caption, str(Path(self._folder()) / name), filters)
        if not path:
            return None
        chosen = Path(path)
        if not chosen.suffix:
            chosen = chosen.with_suffix(".cepkg")
        self.ctx.settings.set(EXCHANGE_DIR, str(chosen.parent))
        return chosen

    def _ask_open(self, caption: str, filters: str) -> Path | None:
        path, _filter = QFileDialog.getOpenFileName(self, caption, self._folder(), filters)
        if not path:
            return None
        self.ctx.settings.set(EXCHANGE_DIR, str(Path(path).parent))
        return Path(path)

    # ---- the result panel -------------------------------------------------------------------------------
    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for button in (self.export_button, self.import_button, self.ack_button, self.import_ack_button,
                       self.apply_button, self.cancel_import_button):
            button.setEnabled(not busy)

    def _clear_result(self) -> None:
        self.error_label.hide()
        self.warnings_label.hide()
        self.counts_model.set_rows([])
        self.export_model.set_rows([])
        self.notes_model.set_rows([])
        self.counts_view.hide()
        self.notes_label.hide()
        self.notes_view.hide()
        self.show_conflicts_button.hide()
        self.preview_bar.hide()

    def _start(self) -> None:
        """A new operation: a preview still waiting is dropped (nothing of it was saved)."""
        self.pending = self.preview = None
        self._set_busy(True)
        self.tabs.setCurrentIndex(TAB_SEND)

    def _show(self, title: str, text: str, warnings: list[str] = ()) -> None:
        self._clear_result()
        self.result_title.setText(title)
        self.result_text.setText(text)
        self.result_text.setVisible(bool(text))
        if warnings:
            self.warnings_label.setText("\n".join(f"⚠ {w}" for w in warnings))
            self.warnings_label.show()

    def error_text(self) -> str:
        return self.error_label.text() if self.error_label.isVisibleTo(self) else ""

    def _failed(self, title: str, failure: TaskFailure) -> None:
        self._set_busy(False)
        exc = failure.exception
        if not isinstance(exc, EXPECTED):
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)
            return
        message = str(exc)
        if isinstance(exc, OSError) and not isinstance(exc, PermissionError):
            where = f" «{exc.filename}»" if exc.filename else ""
            message = f"No se pudo usar el archivo{where}: {exc.strerror or exc}. No se cambió nada."
        self._show(title, "")
        self.error_label.setText(message)
        self.error_label.show()
        self.status_message.emit(f"{title}: {message}")

    def _show_counts(self, model: RowsModel) -> None:
        self.counts_view.setModel(model)
        self.counts_view.resizeColumnsToContents()
        self.counts_view.show()
        fit_rows(self.counts_view, 16)

    def _show_summary(self, summary: ImportSummary, title: str, intro: str) -> None:
        info = summary.info
        warnings = []
        if summary.missing_sequences:
            missing = numbers(summary.missing_sequences)
            if summary.gap_covered:
                warnings.append(f"Faltan los paquetes {missing} de esta oficina; sus cambios vienen incluidos en éste.")
            else:
                warnings.append(f"Faltan los paquetes {missing}, que la otra oficina da por recibidos: pídale un "
                                "paquete con «Incluir todos los registros».")
        warnings.extend(summary.warnings)
        totals = (f"Aplicados: {summary.applied} · Sin cambios: {summary.unchanged} · Conflictos: {summary.conflicts}"
                  f" · En espera: {summary.deferred} · Rechazados: {summary.rejected}")
        self._show(title, f"{intro}\nPaquete {info.sequence} de {summary.source_label}, creado el "
                          f"{local_time(info.created_at)}: {plural(info.total_records, 'registro', 'registros')} y "
                          f"{plural(info.documents, 'documento', 'documentos')}.\n{totals}", warnings)
        rows = []
        for name, c in summary.tables.items():
            if c.applied or c.unchanged or c.conflicts or c.deferred or c.rejected:
                label = SPECS[name].label if name in SPECS else name
                rows.append((label, *(str(n) for n in (c.applied, c.unchanged, c.conflicts, c.deferred, c.rejected))))
        if rows:
            rows.append(("Total", *(str(n) for n in (summary.applied, summary.unchanged, summary.conflicts,
                                                      summary.deferred, summary.rejected))))
            self.counts_model.set_rows(rows, bold=[len(rows) - 1])
            self._show_counts(self.counts_model)
        notes = [(OUTCOMES.get(n.outcome, n.outcome), n.table_label, n.label, n.message) for n in summary.notes]
        if notes:
            self.notes_model.set_rows(notes, tips=[n.message for n in summary.notes])
            self.notes_view.resizeColumnsToContents()
            self.notes_view.setColumnWidth(2, min(self.notes_view.columnWidth(2), 320))
            self.notes_label.show()
            self.notes_view.show()
            if len(notes) <= 300:  # row heights for wrapped reasons; per row, so only for a readable number
                self.notes_view.resizeRowsToContents()

    # ---- packages ---------------------------------------------------------------------------------------
    def export(self) -> Path | None:
        """Ask where to save and write a package for the other office (write task)."""
        from models.exchange import export_package

        if self.busy:
            return None
        target = self.target_combo.currentData() if self.national else None
        if self.national and not target:
            self._show("No se generó el paquete", "")
            self.error_label.setText("Elija la entidad a la que va el paquete.")
            self.error_label.show()
            return None
        path = self._ask_save("Guardar paquete de intercambio", self.package_name(target), PACKAGE_FILTER)
        if path is None:
            return None
        everything, user = self.all_check.isChecked(), self.ctx.username
        self._start()
        self.ctx.run_write(lambda s: export_package(s, path, all=everything, target=target, user=user), self._exported,
                           lambda f: self._failed("No se generó el paquete", f), label="Generando el paquete…",
                           parent=self)
        return path

    def _exported(self, result) -> None:
        self._set_busy(False)
        total = result.total_records
        text = (f"{plural(total, 'registro', 'registros')} y {plural(result.documents, 'documento', 'documentos')} "
                f"en {result.path} ({result.size_bytes / 1024:,.0f} KB).")
        if result.base_ack:
            text += f"\nLleva lo que no se ha confirmado después del acuse del paquete {result.base_ack}."
        text += ("\nEntregue el archivo a la otra oficina; cuando lo importe, pídale su acuse de recibo." if total else
                 "\nNo hay cambios pendientes de enviar: la otra oficina ya confirmó todo.")
        self._show(f"Paquete {result.sequence} generado para {result.target_label}", text, result.warnings)
        rows = [(SPECS[n].label, str(c)) for n, c in result.tables.items() if c]
        if rows:
            self.export_model.set_rows(rows)
            self._show_counts(self.export_model)
        self.status_message.emit(f"Paquete {result.sequence} guardado en {result.path}.")
        self.reload()

    def choose_package(self) -> None:
        if self.busy:
            return
        path = self._ask_open("Importar paquete de intercambio", PACKAGE_FILTER)
        if path is not None:
            self.preview_package(path)

    def preview_package(self, path: Path) -> None:
        """Verify the package and plan it without writing anything (serialised with the writes)."""
        from models.exchange import import_package

        factory, user = self.ctx.session_factory, self.ctx.username

        def job() -> ImportSummary:
            with factory() as session:  # never committed: the dry run's savepoint is rolled back anyway
                return import_package(session, path, dry_run=True, user=user)

        self._start()
        self.ctx.tasks.run(job, lambda summary: self._previewed(path, summary),
                           lambda f: self._failed("No se puede importar el paquete", f), write=True,
                           label="Revisando el paquete…", parent=self)

    def _previewed(self, path: Path, summary: ImportSummary) -> None:
        self._set_busy(False)
        if summary.already_imported:
            self._show("Este paquete ya se había importado",
                       f"Paquete {summary.info.sequence} de {summary.source_label} («{path.name}»): ya se aplicó; "
                       "no hay nada que guardar.")
            return
        self.pending, self.preview = path, summary
        self._show_summary(summary, f"Vista previa: «{path.name}»",
                           "Todavía no se ha guardado nada. Revise lo que haría el paquete y pulse «Aplicar» para "
                           "guardarlo, o «Cancelar».")
        self.preview_bar.show()
        self.apply_button.setFocus()

    def apply_import(self) -> None:
        """Apply the previewed package for real (write task); the result replaces the preview."""
        from models.exchange import import_package

        path, user = self.pending, self.ctx.username
        if path is None or self.busy:
            return
        self._set_busy(True)
        self.ctx.run_write(lambda s: import_package(s, path, user=user), self._applied,
                           lambda f: self._failed("No se aplicó el paquete", f), label="Aplicando el paquete…",
                           parent=self)

    def _applied(self, summary: ImportSummary) -> None:
        path = self.pending
        self.pending = self.preview = None
        self._set_busy(False)
        if summary.already_imported:
            self._show("Este paquete ya se había importado", "No se cambió nada.")
        else:
            self._show_summary(summary, f"Paquete {summary.info.sequence} aplicado",
                               f"Cambios de «{path.name if path else ''}» guardados.")
            if summary.conflicts:
                self.show_conflicts_button.setText(
                    f"Revisar {plural(summary.conflicts, 'conflicto', 'conflictos')}")
                self.show_conflicts_button.show()
        self.status_message.emit(f"Paquete {summary.info.sequence} de {summary.source_label}: "
                                 f"{summary.applied} aplicados, {summary.conflicts} conflictos, "
                                 f"{summary.rejected} rechazados.")
        self.reload()

    def cancel_import(self) -> None:
        """Drop the previewed package: nothing of it was saved."""
        path = self.pending
        if path is None or self.busy:
            return
        self.pending = self.preview = None
        self._show("Importación cancelada", f"No se guardó nada del paquete «{path.name}».")
        self.status_message.emit("Importación cancelada; no se guardó nada.")

    # ---- acknowledgements -------------------------------------------------------------------------------
    def make_ack(self) -> Path | None:
        """Ask where to save and write the acknowledgement of the packages applied here (write task)."""
        from models.exchange import make_ack

        if self.busy:
            return None
        source = self.ack_combo.currentData() if self.national else None
        path = self._ask_save("Guardar acuse de recibo", self.ack_name(source), ACK_FILTER)
        if path is None:
            return None
        user = self.ctx.username
        self._start()
        self.ctx.run_write(lambda s: make_ack(s, path, source=source, user=user), self._ack_written,
                           lambda f: self._failed("No se generó el acuse", f), label="Generando el acuse…",
                           parent=self)
        return path

    def _ack_written(self, result) -> None:
        self._set_busy(False)
        names = self.office_names()
        if result.entries:
            lines = [f"{names.get(e.office, e.office)}: {'paquete' if len(e.sequences) == 1 else 'paquetes'} "
                     f"{numbers(e.sequences)}" for e in result.entries]
            text = "Confirma:\n" + "\n".join(lines) + f"\n\nArchivo: {result.path}. Entréguelo a la otra oficina."
        else:
            text = ("Todavía no se ha importado ningún paquete que confirmar; el acuse va vacío.\n"
                    f"Archivo: {result.path}.")
        self._show("Acuse de recibo generado", text)
        self.status_message.emit(f"Acuse guardado en {result.path}.")
        self.reload()

    def choose_ack(self) -> None:
        if self.busy:
            return
        path = self._ask_open("Importar acuse de recibo", ACK_FILTER)
        if path is not None:
            self.import_ack_file(path)

    def import_ack_file(self, path: Path) -> None:
        """Read an acknowledgement (write task): the confirmed records leave the next package."""
        from models.exchange import import_ack

        user = self.ctx.username
        self._start()
        self.ctx.run_write(lambda s: import_ack(s, path, user=user), self._ack_imported,
                           lambda f: self._failed("No se importó el acuse", f), label="Leyendo el acuse…",
                           parent=self)

    def _ack_imported(self, summary) -> None:
        self._set_busy(False)
        lines = summary.lines()
        self._show("Acuse importado" if not summary.already_imported else "Este acuse ya se había importado",
                   lines[0], [line.removeprefix("Aviso: ") for line in lines[1:]])
        self.status_message.emit(lines[0])
        self.reload()
