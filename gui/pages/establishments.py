"""Establishments page: the registry of the office's health establishments."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import settings as S
from gui.context import AppContext
from gui.dialogs.establishment_form import EstablishmentForm
from gui.dialogs.import_wizard import ImportWizard
from gui.dialogs.retire_dialog import RetireDialog
from gui.item_models.columnar import ColumnarFilterProxy
from gui.item_models.establishments import EstablishmentTableModel
from gui.tasks import TaskFailure
from models.enums import LevelOfCare, OperatingStatus
from models.services import establishments as svc
from models.services import office as office_svc
from models.text import format_int

SEARCH_DELAY_MS = 120
NO_REGION = "\x00sin-region"
EXPORT_FILTERS = {"Libro de Excel (*.xlsx)": ".xlsx", "CSV UTF-8, separado por comas (*.csv)": ".csv"}


@dataclass
class UndoStep:
    """What the last change was and how to reverse it (runs in one write transaction)."""

    label: str
    work: Callable[[Session], int]  # returns the establishment id to refresh


class EstablishmentsPage(QWidget):
    """List with as-you-type search and filters; create, edit, retire, restore, undo."""

    status_message = Signal(str)
    title = "Establecimientos"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.state_id = ctx.office.state.id if ctx.office.state else None
        self.model = EstablishmentTableModel(national=ctx.office.is_national, parent=self)
        self.proxy = ColumnarFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.loaded = False
        self.form: EstablishmentForm | None = None
        self.retire_dialog: RetireDialog | None = None
        self.import_wizard: ImportWizard | None = None
        self.message_box: QMessageBox | None = None
        self._undo: list[UndoStep] = []
        self._states: list[office_svc.StateInfo] = []
        self._build()
        self._restore_settings()

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel("Establecimientos de salud")
        title.setObjectName("pageTitle")
        header.addWidget(title)
        header.addStretch(1)
        self.subtitle = QLabel(self.ctx.office.label)
        self.subtitle.setObjectName("pageSubtitle")
        header.addWidget(self.subtitle)
        layout.addLayout(header)

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_action = self._action("&Nuevo…", QKeySequence.StandardKey.New, self.new_establishment,
                                       "Registrar un establecimiento (Ctrl+N)")
        self.edit_action = self._action("&Editar…", QKeySequence("Ctrl+E"), self.edit_selected,
                                        "Editar el establecimiento seleccionado (Ctrl+E o doble clic)")
        self.retire_action = self._action("Dar de &baja…", QKeySequence.StandardKey.Delete, self.retire_selected,
                                          "Dar de baja el establecimiento seleccionado (Supr)")
        self.restore_action = self._action("&Restaurar", QKeySequence("Ctrl+R"), self.restore_selected,
                                           "Reactivar un establecimiento dado de baja (Ctrl+R)")
        self.toolbar.addSeparator()
        self.import_action = self._action("&Importar…", QKeySequence("Ctrl+I"), lambda: self.open_import_wizard(),
                                          "Importar establecimientos desde el catálogo CLUES o una hoja de cálculo (Ctrl+I)")
        self.import_equivalences_action = self._action(
            "Importar e&quivalencias de CLUES…", QKeySequence(), lambda: self.open_import_wizard("equivalences"),
            "Importar la tabla de equivalencias de CLUES (SSA → IMSS-BIENESTAR)", toolbar=False)
        self.export_action = self._action("E&xportar…", QKeySequence("Ctrl+Shift+E"), self.ask_export,
                                          "Exportar a Excel o CSV los establecimientos que muestra la lista (Ctrl+Mayús+E)")
        self.toolbar.addSeparator()
        self.undo_action = self._action("&Deshacer", QKeySequence.StandardKey.Undo, self.undo, "Deshacer el último cambio (Ctrl+Z)")
        self.reload_action = self._action("&Actualizar", QKeySequence.StandardKey.Refresh, self.reload, "Volver a leer la lista (F5)")
        self.history_action = self._action("&Historial…", QKeySequence("Ctrl+H"), self.show_history,
                                           "Cambios registrados del establecimiento seleccionado (Ctrl+H)", toolbar=False)
        actions_row = QHBoxLayout()
        actions_row.addWidget(self.toolbar)  # its natural width: no action hidden behind »
        self.search = QLineEdit()
        self.search.setPlaceholderText("Buscar por CLUES, nombre, municipio o localidad (Ctrl+F)…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(240)
        actions_row.addWidget(self.search, 1)
        layout.addLayout(actions_row)

        filters = QHBoxLayout()
        self.level_filter = self._combo("Todos los niveles")
        for value, label in LevelOfCare.choices():
            self.level_filter.addItem(label, value)
        self.typology_filter = self._combo("Todas las tipologías")
        self.status_filter = self._combo("Todos los estatus")
        for value, label in OperatingStatus.choices():
            self.status_filter.addItem(label, value)
        self.region_filter = self._combo("Todas las regiones")
        for combo in (self.level_filter, self.typology_filter, self.status_filter, self.region_filter):
            filters.addWidget(combo, 1)
        self.show_retired = QCheckBox("Mostrar dados de baja")
        filters.addWidget(self.show_retired)
        self.clear_filters_button = QPushButton("Limpiar filtros")
        filters.addWidget(self.clear_filters_button)
        layout.addLayout(filters)

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
        layout.addWidget(self.view, 1)

        footer = QHBoxLayout()
        self.count_label = QLabel("Cargando establecimientos…")
        self.count_label.setObjectName("countLabel")
        footer.addWidget(self.count_label)
        footer.addStretch(1)
        layout.addLayout(footer)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.apply_search)
        find = QAction(self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: (self.search.setFocus(), self.search.selectAll()))
        self.addAction(find)
        for combo, attr in ((self.level_filter, "levels"), (self.typology_filter, "typologies"),
                            (self.status_filter, "statuses"), (self.region_filter, "regions")):
            combo.currentIndexChanged.connect(lambda _i, c=combo, a=attr: self._combo_changed(c, a))
        self.show_retired.toggled.connect(self._retired_toggled)
        self.clear_filters_button.clicked.connect(self.clear_filters)
        self.view.doubleClicked.connect(lambda _index: self.edit_selected())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_actions())
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)
        self._retired_toggled(self.show_retired.isChecked())
        self._update_actions()

    def _action(self, text: str, shortcut, slot, tip: str, toolbar: bool = True) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        if toolbar:
            self.toolbar.addAction(action)
        self.addAction(action)
        return action

    def _combo(self, all_label: str) -> QComboBox:
        combo = QComboBox()
        combo.addItem(all_label, "")
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(6)
        return combo

    # ---- settings ---------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        st = self.ctx.settings
        header = st.get(S.EST_HEADER)
        if not header.isEmpty():
            self.view.horizontalHeader().restoreState(header)
        self.show_retired.setChecked(st.get(S.EST_SHOW_RETIRED))
        self.search.setText(st.get(S.EST_SEARCH))
        self._pending_filters = {
            self.level_filter: st.get(S.EST_LEVEL),
            self.typology_filter: st.get(S.EST_TYPOLOGY),
            self.status_filter: st.get(S.EST_STATUS),
            self.region_filter: st.get(S.EST_REGION),
        }
        order = Qt.SortOrder(st.get(S.EST_SORT_ORDER))
        self.view.sortByColumn(st.get(S.EST_SORT_COLUMN), order)

    def save_settings(self) -> None:
        st = self.ctx.settings
        st.set(S.EST_HEADER, self.view.horizontalHeader().saveState())
        st.set(S.EST_SEARCH, self.search.text())
        st.set(S.EST_LEVEL, self.level_filter.currentData() or "")
        st.set(S.EST_TYPOLOGY, self.typology_filter.currentData() or "")
        st.set(S.EST_STATUS, self.status_filter.currentData() or "")
        st.set(S.EST_REGION, self.region_filter.currentData() or "")
        st.set(S.EST_SHOW_RETIRED, self.show_retired.isChecked())
        st.set(S.EST_SORT_COLUMN, max(self.proxy.sort_column(), 0))
        st.set(S.EST_SORT_ORDER, self.proxy.sort_order().value)

    # ---- loading ----------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the whole list (off the UI thread)."""
        state_id = self.state_id
        model = self.model
        sort_column = max(self.proxy.sort_column(), 0)
        self.count_label.setText("Cargando establecimientos…")

        def work(session: Session):
            table = svc.load_table(session, state_id)
            prepared = model.prepare(table, (sort_column,))  # heavy part, still off the UI thread
            typologies = sorted({t for t in table.typologies if t})
            regions = sorted({r for r in table.regions if r})
            return prepared, typologies, regions, office_svc.list_states(session)

        self.ctx.run_read(work, self._loaded, self._failed, label="Cargando establecimientos…", parent=self)

    def _loaded(self, result) -> None:
        prepared, typologies, regions, states = result
        self._states = states
        self.model.set_prepared(prepared)
        self._fill_value_filter(self.typology_filter, typologies)
        self._fill_value_filter(self.region_filter, regions)
        if regions:
            self.region_filter.addItem("(sin región)", NO_REGION)
        if self._pending_filters:
            for combo, value in self._pending_filters.items():
                index = combo.findData(value) if value else 0
                combo.setCurrentIndex(max(index, 0))
            self._pending_filters = {}
        self.apply_search()
        self.loaded = True
        self._update_count()

    def _fill_value_filter(self, combo: QComboBox, values: list[str]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 1:
            combo.removeItem(1)
        for value in values:
            combo.addItem(value, value)
        combo.setCurrentIndex(max(combo.findData(current), 0) if current else 0)
        combo.blockSignals(False)

    # ---- filtering --------------------------------------------------------------------------------------
    def apply_search(self) -> None:
        self._search_timer.stop()
        self.proxy.set_search(self.search.text())

    def _combo_changed(self, combo: QComboBox, attr: str) -> None:
        value = combo.currentData()
        self.proxy.set_equals(attr, "" if value == NO_REGION else (value or None))

    def _retired_toggled(self, show: bool) -> None:
        self.proxy.set_mask("retired", None if show else EstablishmentTableModel.active_mask)

    def clear_filters(self) -> None:
        self.search.clear()
        self.apply_search()
        for combo in (self.level_filter, self.typology_filter, self.status_filter, self.region_filter):
            combo.setCurrentIndex(0)
        self.show_retired.setChecked(False)

    def show_filtered(self, filter: dict) -> None:
        """Show the list with only ``filter`` applied (the home dashboard's figures): ``{"level": "PRIMER"}``
        keeps one level of care, ``{}`` every active establishment. The search and other filters are cleared."""
        self._pending_filters = {}  # the remembered filters must not come back when a load in progress ends
        self.clear_filters()
        level = filter.get("level")
        if level:
            self.level_filter.setCurrentIndex(max(self.level_filter.findData(level), 0))

    def _update_count(self) -> None:
        if self.model.rowCount() == 0 and not self.loaded:
            return
        active = self.model.active_count()
        shown = self.proxy.rowCount()
        self.count_label.setText(
            f"Mostrando {format_int(shown)} de {format_int(active)} establecimientos activos"
            + (f" ({format_int(self.model.rowCount() - active)} dados de baja)" if self.model.rowCount() > active else "")
        )

    # ---- selection --------------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.id_at(self.proxy.source_row(r)) for r in rows]

    def current_id(self) -> int | None:
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def select_id(self, establishment_id: int) -> bool:
        """Select and show a row by establishment id; False when the current filters hide it."""
        src_row = self.model.row_of_id(establishment_id)
        if src_row is None:
            return False
        proxy_index = self.proxy.mapFromSource(self.model.index(src_row, 0))
        if not proxy_index.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(
            proxy_index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(proxy_index)
        return True

    def _update_actions(self) -> None:
        one = self.current_id()
        retired = one is not None and self.model.value("retired", self.model.row_of_id(one))
        self.edit_action.setEnabled(one is not None)
        self.retire_action.setEnabled(one is not None and not retired)
        self.restore_action.setEnabled(one is not None and retired)
        self.undo_action.setEnabled(bool(self._undo))
        self.undo_action.setText(f"&Deshacer: {self._undo[-1].label}" if self._undo else "&Deshacer")

    # ---- commands ---------------------------------------------------------------------------------------
    def _with_form_options(self, then: Callable[[svc.FormOptions, list[office_svc.StateInfo]], None],
                           state_id: int | None) -> None:
        target = state_id or self.state_id

        def work(session: Session):
            states = self._states or office_svc.list_states(session)
            options = svc.form_options(session, target) if target else svc.FormOptions([], [], [], [])
            return options, states

        self.ctx.run_read(work, lambda result: then(*result), self._failed)

    def _form_states(self, states: list[office_svc.StateInfo]) -> list[office_svc.StateInfo]:
        if self.ctx.office.state is not None:
            return [self.ctx.office.state]
        return [s for s in states if s.adhered] + [s for s in states if not s.adhered]

    def new_establishment(self) -> None:
        def open_form(options, states):
            self._open_form(EstablishmentForm(self.ctx, options, self._form_states(states), None, self))

        default_state = self.state_id or next((s.id for s in self._states if s.adhered), None)
        self._with_form_options(open_form, default_state)

    def show_history(self) -> None:
        """The audit entries of the selected establishment, in a dialog."""
        from gui.dialogs.history_dialog import HistoryDialog
        from models.services import audit

        establishment_id = self.current_id()
        if establishment_id is None:
            return

        def work(session: Session):
            data = svc.get_establishment(session, establishment_id)
            return data, audit.history(session, data.uuid)

        def show(result):
            data, rows = result
            self.history_dialog = HistoryDialog(f"{data.clues} {data.name}", rows, self)
            self.history_dialog.open()

        self.ctx.run_read(work, show, self._failed)

    def edit_selected(self) -> None:
        establishment_id = self.current_id()
        if establishment_id is None:
            return

        def work(session: Session):
            data = svc.get_establishment(session, establishment_id)
            return data, svc.form_options(session, data.state_id), self._states or office_svc.list_states(session)

        def open_form(result):
            data, options, states = result
            self._open_form(EstablishmentForm(self.ctx, options, self._form_states(states), data, self))

        self.ctx.run_read(work, open_form, self._failed)

    def _open_form(self, form: EstablishmentForm) -> None:
        self.form = form
        form.saved.connect(self._form_saved)
        form.finished.connect(lambda _r: setattr(self, "form", None))
        form.open()

    def _form_saved(self, previous: svc.EstablishmentData | None, saved: svc.EstablishmentData) -> None:
        user = self.ctx.username
        if previous is None:
            self._push_undo(f"registrar {saved.clues}",
                            lambda s: (svc.retire_establishment(s, saved.id, "Registro deshecho", _today(), user), saved.id)[1])
            self.status_message.emit(f"Establecimiento {saved.clues} registrado.")
        else:
            def revert(s: Session) -> int:
                current = svc.get_establishment(s, saved.id)
                svc.update_establishment(s, _replace_version(previous, current.version), user)
                return saved.id

            self._push_undo(f"modificar {saved.clues}", revert)
            self.status_message.emit(f"Cambios de {saved.clues} guardados.")
        self.refresh_rows([saved.id], select=saved.id)

    def retire_selected(self) -> None:
        establishment_id = self.current_id()
        if establishment_id is None:
            return
        row = self.model.row_of_id(establishment_id)
        if self.model.value("retired", row):
            return
        dialog = RetireDialog(self.model.value("clues", row), self.model.value("names", row), self)
        self.retire_dialog = dialog
        dialog.accepted.connect(lambda: self._retire(establishment_id, *dialog.values()))
        dialog.finished.connect(lambda _r: setattr(self, "retire_dialog", None))
        dialog.open()

    def _retire(self, establishment_id: int, reason: str, on) -> None:
        user = self.ctx.username
        clues = self.model.value("clues", self.model.row_of_id(establishment_id))

        def done(previous_status: str) -> None:
            self._push_undo(f"dar de baja {clues}",
                            lambda s: (svc.restore_establishment(s, establishment_id, user, previous_status), establishment_id)[1])
            self.status_message.emit(f"{clues} dado de baja. Puede deshacerlo con Ctrl+Z.")
            self.refresh_rows([establishment_id])

        self.ctx.run_write(lambda s: svc.retire_establishment(s, establishment_id, reason, on, user), done, self._failed)

    def restore_selected(self) -> None:
        establishment_id = self.current_id()
        if establishment_id is None or not self.model.value("retired", self.model.row_of_id(establishment_id)):
            return
        user = self.ctx.username

        def done(data: svc.EstablishmentData) -> None:
            self._push_undo(f"restaurar {data.clues}",
                            lambda s: (svc.retire_establishment(s, establishment_id, "Restauración deshecha", _today(), user), establishment_id)[1])
            self.status_message.emit(f"{data.clues} restaurado (en operación).")
            self.refresh_rows([establishment_id], select=establishment_id)

        self.ctx.run_write(lambda s: svc.restore_establishment(s, establishment_id, user), done, self._failed)

    def _push_undo(self, label: str, work: Callable[[Session], int]) -> None:
        self._undo.append(UndoStep(label, work))
        del self._undo[:-20]
        self._update_actions()

    def undo(self) -> None:
        if not self._undo:
            return
        step = self._undo.pop()
        self._update_actions()

        def done(establishment_id: int) -> None:
            self.status_message.emit(f"Deshecho: {step.label}.")
            self.refresh_rows([establishment_id], select=establishment_id)

        self.ctx.run_write(step.work, done, self._failed)

    def refresh_rows(self, ids: list[int], select: int | None = None) -> None:
        """Re-read some rows after a change and keep the user's place."""
        state_id = self.state_id

        def done(rows: svc.EstablishmentTable) -> None:
            keep = select if select is not None else self.current_id()
            self.model.upsert(rows)
            self._update_count()
            if keep is not None and not self.select_id(keep) and select is not None:
                self.status_message.emit("El registro guardado no coincide con los filtros actuales.")
            self._update_actions()

        self.ctx.run_read(lambda s: svc.load_table(s, state_id, ids), done, self._failed)

    # ---- import and export ------------------------------------------------------------------------------
    def open_import_wizard(self, kind_key: str = "establishments") -> ImportWizard:
        """Open the import wizard (window-modal, not blocking); the list reloads after a committed import."""
        wizard = ImportWizard(self.ctx, kind_key, self)
        self.import_wizard = wizard
        wizard.imported.connect(self._imported)
        wizard.finished.connect(lambda _r, w=wizard: self.import_wizard is w and setattr(self, "import_wizard", None))
        wizard.open()
        return wizard

    def _imported(self, counts: dict[str, int]) -> None:
        parts = [f"{format_int(counts.get('nuevos', 0))} nuevos"] if "nuevos" in counts else []
        parts.append(f"{format_int(counts.get('actualizados', 0))} actualizados")
        if counts.get("rechazados"):
            parts.append(f"{format_int(counts['rechazados'])} filas rechazadas")
        self.status_message.emit("Importación terminada: " + ", ".join(parts) + ".")
        self._undo.clear()  # an import cannot be undone, and older steps would silently revert imported values
        self._update_actions()
        self.reload()

    def visible_ids(self) -> list[int]:
        """Ids of the rows the list shows, in the order shown (current search, filters and sort)."""
        ids = self.model.id_at
        return [ids(int(row)) for row in self.proxy.visible_source_rows()]

    def ask_export(self) -> None:
        folder = self.ctx.settings.get(S.EXPORT_DIR)
        scope = self.ctx.office.state.clues_prefix if self.ctx.office.state else "nacional"
        name = f"establecimientos_{scope}_{_today():%Y-%m-%d}.xlsx"
        path, chosen = QFileDialog.getSaveFileName(self, "Exportar establecimientos",
                                                   str(Path(folder) / name) if folder else name,
                                                   ";;".join(EXPORT_FILTERS))
        if not path:
            return
        if Path(path).suffix.lower() not in (".xlsx", ".csv"):
            path += EXPORT_FILTERS.get(chosen, ".xlsx")
        self.ctx.settings.set(S.EXPORT_DIR, str(Path(path).parent))
        self.export_to(path)

    def export_to(self, path: str | Path) -> bool:
        """Write the visible rows, in the visible order, to ``path`` (.xlsx or .csv) in the background."""
        from models.importing.export import export_establishments

        ids = self.visible_ids()
        if not ids:
            self.status_message.emit("No hay establecimientos que exportar con la búsqueda y los filtros actuales.")
            return False
        shown = str(Path(path))

        def done(count: int) -> None:
            self.status_message.emit(f"Se exportaron {format_int(count)} establecimientos a {shown}")

        def failed(failure: TaskFailure) -> None:
            if isinstance(failure.exception, (OSError, ValueError)):
                self._warn(f"No se pudo escribir «{shown}». Si el archivo está abierto en otro programa, "
                           f"ciérrelo e intente de nuevo.\n\n{failure.exception}")
            else:
                self._failed(failure)

        user = self.ctx.username
        self.ctx.run_write(lambda s: export_establishments(s, path, ids, user=user), done, failed,
                           label="Exportando establecimientos…", parent=self)
        return True

    def _warn(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Establecimientos", text, QMessageBox.StandardButton.Ok, self)
        self.message_box = box
        box.open()

    def _failed(self, failure: TaskFailure) -> None:
        exc = failure.exception
        if isinstance(exc, (svc.ConcurrencyError, svc.NotFoundError)):
            QMessageBox.warning(self, "Establecimientos", str(exc))
            self.reload()
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)


def _today() -> date:
    return date.today()


def _replace_version(data: svc.EstablishmentData, version: int) -> svc.EstablishmentData:
    return replace(data, version=version)
