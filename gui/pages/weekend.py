"""Weekend-opening (7-day care) page: progress against the target, the weekly chart, the unit list with what
each pending unit lacks, the unit form, bulk changes, targets (national office) and the roster import."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from PySide6.QtCore import QByteArray, QDate, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui.context import AppContext
from gui.dialogs.import_wizard import ImportWizard
from gui.dialogs.weekend_dialogs import BulkShiftsDialog, BulkStartDateDialog, TargetDialog
from gui.dialogs.weekend_form import WeekendForm
from gui.item_models.columnar import PreparedColumns
from gui.item_models.weekend import UnitColumns, UnitTableModel, dmy
from gui.pages.weekend_panels import ProgressChart, RolloutPanel, UnitListPanel, pending_breakdown
from gui.settings import Setting
from gui.tasks import TaskFailure
from models.services import office as office_svc
from models.services import weekend as svc
from models.services.establishments import ConcurrencyError, NotFoundError
from models.services.weekend import RolloutRow, ScheduleData, SeriesPoint
from models.text import format_int

SPLITTER = Setting("fin_de_semana/divisor", QByteArray(), QByteArray)
TOP_SPLITTER = Setting("fin_de_semana/divisor_superior", QByteArray(), QByteArray)
UNITS_HEADER = Setting("fin_de_semana/encabezado_unidades", QByteArray(), QByteArray)
SEARCH = Setting("fin_de_semana/busqueda", "", str)
PENDING_ONLY = Setting("fin_de_semana/solo_pendientes", False, bool)
STATE = Setting("fin_de_semana/entidad", 0, int)  # national office: 0 = all states
SORT_COLUMN = Setting("fin_de_semana/orden_columna", 0, int)
SORT_ORDER = Setting("fin_de_semana/orden_sentido", 0, int)
AS_OF_DELAY_MS = 300
ALL_STATES = 0


@dataclass
class Snapshot:
    """Everything the page shows for one state (or all) on one date; built off the UI thread."""

    as_of: date
    state_id: int | None
    rows: list[RolloutRow]
    series: list[SeriesPoint]
    series_start: date
    prepared: PreparedColumns
    states: list[office_svc.StateInfo] = field(default_factory=list)
    pending: tuple[int, list[tuple[str, str, int]]] = (0, [])


@dataclass
class UndoStep:
    """Schedules as they were before a change; undoing writes them back (one transaction)."""

    label: str
    previous: list[ScheduleData]


def load_snapshot(session: Session, as_of: date, state_id: int | None, model: UnitTableModel,
                  sort_column: int, national: bool) -> Snapshot:
    """Summary, weekly series and unit list (the heavy part of the page), for the worker thread."""
    states = office_svc.list_states(session, adhered_only=True) if national else []
    rows = svc.rollout_summary(session, as_of, state_id)
    units = svc.list_units(session, as_of, state_id)
    starts = [u.weekend_since for u in units if u.registered and u.weekend_since and u.weekend_since <= as_of]
    start = min([date(as_of.year, 1, 1), *starts])
    series = svc.open_series(session, state_id, start, as_of)
    focus = next((r for r in rows if r.level == "total"), None)
    if focus is not None and (not series or series[-1].week_end != as_of):
        series.append(SeriesPoint(as_of, focus.open_units, focus.target))  # the chart ends on the cut-off date
    names = {s.id: s.short_name for s in states}
    prepared = model.prepare(UnitColumns.from_units(units, names), (sort_column,))
    return Snapshot(as_of, state_id, rows, series, start, prepared, states, pending_breakdown(units))


class WeekendPage(QWidget):
    """Apertura en fin de semana: how far the state is against its target, and what each unit lacks."""

    status_message = Signal(str)
    title = "Fin de semana"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.national = ctx.office.is_national
        self.state_id: int | None = ctx.office.state.id if ctx.office.state else None
        if self.national:
            self.state_id = ctx.settings.get(STATE) or None
        self.snapshot: Snapshot | None = None
        self.form: WeekendForm | None = None
        self.bulk_dialog: BulkShiftsDialog | BulkStartDateDialog | None = None
        self.target_dialog: TargetDialog | None = None
        self.import_wizard: ImportWizard | None = None
        self.message_box: QMessageBox | None = None
        self._undo: list[UndoStep] = []
        self._states: list[office_svc.StateInfo] = []
        self._generation = 0
        self._build()
        self._restore_settings()

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel("Apertura en fin de semana")
        title.setObjectName("pageTitle")
        header.addWidget(title)
        header.addStretch(1)
        if not self.national:
            subtitle = QLabel(self.ctx.office.label)
            subtitle.setObjectName("pageSubtitle")
            header.addWidget(subtitle)
            header.addSpacing(16)
        layout.addLayout(header)

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.edit_action = self._action("&Editar horario…", QKeySequence("Ctrl+E"), self.edit_selected,
                                        "Editar el horario, el personal y las interrupciones de la unidad "
                                        "seleccionada (Ctrl+E, Intro o doble clic)")
        self.bulk_shifts_action = self._action("Aplicar &horario…", QKeySequence("Ctrl+Shift+H"), self.bulk_shifts,
                                               "Dar el mismo horario a todas las unidades seleccionadas (Ctrl+Mayús+H)")
        self.bulk_start_action = self._action("&Fecha de inicio…", QKeySequence("Ctrl+Shift+D"), self.bulk_start_date,
                                              "Dar la misma fecha de inicio a todas las unidades seleccionadas "
                                              "(Ctrl+Mayús+D)")
        self.toolbar.addSeparator()
        self.target_action = self._action("Editar &meta…", QKeySequence("Ctrl+M"), self.edit_target,
                                          "Cambiar la meta de unidades de una entidad y ver su historial; sólo la "
                                          "oficina nacional (Ctrl+M)")
        self.target_action.setVisible(self.national)
        self.target_action.setEnabled(self.national)
        self.import_action = self._action("&Importar plantilla…", QKeySequence("Ctrl+I"), self.open_import_wizard,
                                          "Cargar la plantilla de turnos y personal de fin de semana desde una hoja "
                                          "de cálculo (Ctrl+I)")
        self.toolbar.addSeparator()
        self.undo_action = self._action("&Deshacer", QKeySequence.StandardKey.Undo, self.undo,
                                        "Deshacer el último cambio (Ctrl+Z)")
        self.reload_action = self._action("&Actualizar", QKeySequence.StandardKey.Refresh, self.reload,
                                          "Volver a calcular el avance y la lista (F5)")
        # What is shown (state, cut-off date) sits in the title row; the actions get the whole next row.
        self.state_combo = QComboBox()
        self.state_combo.setMinimumContentsLength(20)
        self.state_combo.setToolTip("Entidad que se muestra (Todas: las entidades adheridas, por bloque)")
        if self.national:
            header.addWidget(self._buddy("&Entidad:", self.state_combo))
            header.addWidget(self.state_combo)
            header.addSpacing(12)
            self.state_combo.addItem("Todas las entidades", ALL_STATES)
        else:
            self.state_combo.hide()
        self.as_of_edit = QDateEdit(QDate.currentDate())
        self.as_of_edit.setCalendarPopup(True)
        self.as_of_edit.setDisplayFormat("dd/MM/yyyy")
        self.as_of_edit.setMinimumDate(QDate(2000, 1, 1))
        self.as_of_edit.setToolTip("Fecha a la que se calcula el avance (por omisión, hoy)")
        header.addWidget(self._buddy("Fecha de &corte:", self.as_of_edit))
        header.addWidget(self.as_of_edit)
        layout.addWidget(self.toolbar)

        self.rollout = RolloutPanel()
        self.chart = ProgressChart()
        self.units = UnitListPanel(self.national)
        self.top_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.top_splitter.setChildrenCollapsible(False)
        self.top_splitter.addWidget(self.rollout)
        self.top_splitter.addWidget(self.chart)
        self.top_splitter.setStretchFactor(0, 1 if not self.national else 3)
        self.top_splitter.setStretchFactor(1, 1 if not self.national else 2)
        self.top_splitter.setSizes([640, 760] if not self.national else [840, 560])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.top_splitter)
        self.splitter.addWidget(self.units)
        self.splitter.setSizes([330, 420] if not self.national else [430, 320])
        layout.addWidget(self.splitter, 1)
        # What tests and the main window reach directly.
        self.model, self.proxy, self.view = self.units.model, self.units.proxy, self.units.view
        self.search, self.pending_only, self.count_label = self.units.search, self.units.pending_only, self.units.count_label
        self.summary, self.formula_label = self.rollout.summary, self.rollout.formula_label

        self._as_of_timer = QTimer(self)
        self._as_of_timer.setSingleShot(True)
        self._as_of_timer.setInterval(AS_OF_DELAY_MS)
        self._as_of_timer.timeout.connect(self.reload)
        self.as_of_edit.dateChanged.connect(lambda _d: self._as_of_timer.start())
        self.state_combo.currentIndexChanged.connect(self._state_chosen)
        self.rollout.drill_down.connect(lambda state_id: self.national and self.set_state(state_id))
        self.rollout.search_requested.connect(self.show_pending_matching)
        self.units.edit_requested.connect(self.edit_selected)
        self.units.selection_changed.connect(self._update_actions)
        self._update_actions()

    def _action(self, text: str, shortcut, slot, tip: str) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.toolbar.addAction(action)
        self.addAction(action)
        return action

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    def showEvent(self, event) -> None:  # noqa: N802
        """The first time the page is shown it calculates (the window may build it without showing it)."""
        super().showEvent(event)
        if self._generation == 0:
            self.reload()

    # ---- settings ---------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        st = self.ctx.settings
        for splitter, setting in ((self.splitter, SPLITTER), (self.top_splitter, TOP_SPLITTER)):
            state = st.get(setting)
            if not state.isEmpty():
                splitter.restoreState(state)
        header = st.get(UNITS_HEADER)
        if not header.isEmpty():
            self.view.horizontalHeader().restoreState(header)
        self.search.setText(st.get(SEARCH))
        self.pending_only.setChecked(st.get(PENDING_ONLY))
        self.view.sortByColumn(st.get(SORT_COLUMN), Qt.SortOrder(st.get(SORT_ORDER)))

    def save_settings(self) -> None:
        st = self.ctx.settings
        st.set(SPLITTER, self.splitter.saveState())
        st.set(TOP_SPLITTER, self.top_splitter.saveState())
        st.set(UNITS_HEADER, self.view.horizontalHeader().saveState())
        st.set(SEARCH, self.search.text())
        st.set(PENDING_ONLY, self.pending_only.isChecked())
        st.set(SORT_COLUMN, max(self.proxy.sort_column(), 0))
        st.set(SORT_ORDER, self.proxy.sort_order().value)
        if self.national:
            st.set(STATE, self.state_id or ALL_STATES)

    # ---- loading ----------------------------------------------------------------------------------------
    def as_of(self) -> date:
        qd = self.as_of_edit.date()
        return date(qd.year(), qd.month(), qd.day())

    def set_as_of(self, value: date) -> None:
        """Change the cut-off date and recalculate at once."""
        self.as_of_edit.blockSignals(True)
        self.as_of_edit.setDate(QDate(value.year, value.month, value.day))
        self.as_of_edit.blockSignals(False)
        self.reload()

    def set_state(self, state_id: int | None) -> None:
        """National office: show one state (None: all) and recalculate."""
        self.state_id = state_id
        index = self.state_combo.findData(state_id or ALL_STATES)
        if index >= 0:
            self.state_combo.blockSignals(True)
            self.state_combo.setCurrentIndex(index)
            self.state_combo.blockSignals(False)
        self.reload()

    def reload(self) -> None:
        """Recalculate summary, chart and unit list for the state and cut-off date (off the UI thread)."""
        self._as_of_timer.stop()
        self._generation += 1
        generation = self._generation
        as_of, state_id, national, model = self.as_of(), self.state_id, self.national, self.model
        sort_column = max(self.proxy.sort_column(), 0)
        self.count_label.setText("Calculando…")

        def work(session: Session) -> Snapshot:
            return load_snapshot(session, as_of, state_id, model, sort_column, national)

        def done(snapshot: Snapshot) -> None:
            if generation == self._generation:  # a newer request (date or state changed) supersedes this one
                self._loaded(snapshot)

        self.ctx.run_read(work, done, self._failed, label="Calculando el avance de apertura en fin de semana…",
                          parent=self)

    def _loaded(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        if self.national and snapshot.states and not self._states:
            self._fill_states(snapshot.states)
        self._states = snapshot.states or self._states
        # One state: its row alone (the service's block and overall totals would repeat it under a block label).
        rows = [r for r in snapshot.rows if r.level == "state"] if snapshot.state_id is not None else snapshot.rows
        self.rollout.show_rows(rows, snapshot.as_of, self.national)
        self.rollout.show_pending(*snapshot.pending)
        self.chart.set_points(snapshot.series, snapshot.series_start, self._chart_title(snapshot))
        self.units.set_prepared(snapshot.prepared)
        self._update_actions()

    def _fill_states(self, states: list[office_svc.StateInfo]) -> None:
        """«Todas las entidades», then each block's heading (not selectable) and its states."""
        combo = self.state_combo
        combo.blockSignals(True)
        model = QStandardItemModel(combo)
        everything = QStandardItem("Todas las entidades")
        everything.setData(ALL_STATES, Qt.ItemDataRole.UserRole)
        model.appendRow(everything)
        for block in [*sorted({s.weekend_block for s in states if s.weekend_block}), None]:
            members = sorted((s for s in states if s.weekend_block == block), key=lambda s: s.short_name)
            if not members:
                continue
            heading = QStandardItem(f"Bloque {block}" if block else "Sin bloque")
            heading.setFlags(Qt.ItemFlag.NoItemFlags)
            font = heading.font()
            font.setBold(True)
            heading.setFont(font)
            model.appendRow(heading)
            for s in members:
                item = QStandardItem(f"    {s.short_name}")
                item.setData(s.id, Qt.ItemDataRole.UserRole)
                model.appendRow(item)
        combo.setModel(model)
        combo.setCurrentIndex(max(combo.findData(self.state_id or ALL_STATES), 0))
        combo.blockSignals(False)

    def _chart_title(self, snapshot: Snapshot) -> str:
        if snapshot.state_id is None and self.national:
            return "Todas las entidades adheridas"
        return next((r.label for r in snapshot.rows if r.level == "state"), "")

    def _state_chosen(self, _index: int) -> None:
        value = self.state_combo.currentData(Qt.ItemDataRole.UserRole)
        if value is None:
            return  # a block heading
        self.state_id = value or None
        self.reload()

    def focus_row(self) -> RolloutRow | None:
        """The summary row whose figures the page shows at the top (the state, or the overall total)."""
        return self.rollout.focus_row()

    def apply_search(self) -> None:
        """Filter the list by the search box now (typing filters after a short pause)."""
        self.units.apply_search()

    def show_pending_matching(self, words: str) -> None:
        """Only the pending units whose missing items contain ``words``."""
        self.pending_only.setChecked(True)
        self.search.setText(words)
        self.units.apply_search()

    def show_filtered(self, filter: dict) -> None:
        """The home dashboard's figures: ``{"pending": True}`` lists only the pending units, ``{}`` every unit, with
        the search cleared; ``"state_id"`` (national office) picks the state shown (None: all). Recalculates."""
        self.search.clear()
        self.pending_only.setChecked(bool(filter.get("pending")))
        if self.national and "state_id" in filter:
            self.set_state(filter["state_id"])
        else:
            self.reload()
        self.apply_search()

    # ---- selection --------------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        return self.units.selected_ids()

    def current_id(self) -> int | None:
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def select_ids(self, ids: list[int]) -> int:
        """Select these units in the list (those the filters show); returns how many."""
        count = self.units.select_ids(ids)
        self._update_actions()
        return count

    def select_id(self, establishment_id: int) -> bool:
        return self.select_ids([establishment_id]) == 1

    def unit_row(self, establishment_id: int) -> dict[str, str] | None:
        """The unit's row as the list shows it (column header → text), or None when it is not listed."""
        return self.units.unit_row(establishment_id)

    def visible_clues(self) -> list[str]:
        return self.units.visible_clues()

    def _update_actions(self) -> None:
        ids = self.selected_ids()
        self.edit_action.setEnabled(len(ids) == 1)
        self.bulk_shifts_action.setEnabled(bool(ids))
        self.bulk_start_action.setEnabled(bool(ids))
        self.undo_action.setEnabled(bool(self._undo))
        self.undo_action.setText(f"&Deshacer: {self._undo[-1].label}" if self._undo else "&Deshacer")

    # ---- the unit form ----------------------------------------------------------------------------------
    def edit_selected(self) -> None:
        establishment_id = self.current_id()
        if establishment_id is None:
            return
        if self.form is not None and self.form.isVisible():
            self.form.raise_()
            self.form.activateWindow()
            return
        as_of = self.as_of()
        self.ctx.run_read(lambda s: svc.get_schedule(s, establishment_id),
                          lambda data: self._open_form(WeekendForm(self.ctx, data, as_of, self)), self._failed)

    def _open_form(self, form: WeekendForm) -> None:
        self.form = form
        form.saved.connect(self._form_saved)
        form.finished.connect(lambda _r, f=form: self._closed(f, "form"))
        form.open()

    def _closed(self, dialog: QWidget, attr: str) -> None:
        """A dialog closed: forget it and free it (each opening builds a new one)."""
        if getattr(self, attr) is dialog:
            setattr(self, attr, None)
        dialog.deleteLater()

    def _form_saved(self, previous: ScheduleData, saved: ScheduleData) -> None:
        if previous.id is not None:
            self._push_undo(f"horario de {saved.clues}", [previous])
        verdict = "abre los 7 días" if svc.is_open(saved, self.as_of()) else "aún no abre los 7 días"
        self.status_message.emit(f"Apertura en fin de semana de {saved.clues} guardada: {verdict}.")
        self.reload()

    # ---- bulk changes -----------------------------------------------------------------------------------
    def bulk_shifts(self) -> BulkShiftsDialog | None:
        """«Aplicar horario…» for the selected units (window-modal, not blocking)."""
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = BulkShiftsDialog(self.ctx, ids, self.units.clues_of(ids), self)
        return self._open_bulk(dialog, "horario")

    def bulk_start_date(self) -> BulkStartDateDialog | None:
        """«Fecha de inicio…» for the selected units (window-modal, not blocking)."""
        ids = self.selected_ids()
        if not ids:
            return None
        dialog = BulkStartDateDialog(self.ctx, ids, self.units.clues_of(ids), date.today(), self)
        return self._open_bulk(dialog, "fecha de inicio")

    def _open_bulk(self, dialog, what: str):
        self.bulk_dialog = dialog
        count = len(dialog.ids)
        dialog.applied.connect(lambda changed, previous: self._bulk_applied(what, count, changed, previous))
        dialog.finished.connect(lambda _r, d=dialog: self._closed(d, "bulk_dialog"))
        dialog.open()
        return dialog

    def _bulk_applied(self, what: str, count: int, changed: int, previous: dict[int, ScheduleData]) -> None:
        if changed and all(p.id is not None for p in previous.values()):
            self._push_undo(f"{what} de {format_int(count)} unidades", list(previous.values()))
        elif changed:
            self._undo.clear()  # records were created: writing older schedules back would not remove them
            self._update_actions()
        done = "Horario aplicado" if what == "horario" else "Fecha de inicio aplicada"
        self.status_message.emit(f"{done} a {format_int(count)} {'unidad' if count == 1 else 'unidades'} "
                                 f"({format_int(changed)} con cambios).")
        self.reload()

    # ---- undo -------------------------------------------------------------------------------------------
    def _push_undo(self, label: str, previous: list[ScheduleData]) -> None:
        self._undo.append(UndoStep(label, previous))
        del self._undo[:-20]
        self._update_actions()

    def undo(self) -> None:
        """Write back the schedules as they were before the last change (one transaction)."""
        if not self._undo:
            return
        step = self._undo.pop()
        self._update_actions()
        user = self.ctx.username

        def work(session: Session) -> int:
            current = svc.load_schedules(session, [p.establishment_id for p in step.previous])
            return sum(svc.write_schedule(session, current[p.establishment_id], svc.clean(p), user, "deshacer")
                       for p in step.previous)

        def done(_changed: int) -> None:
            self.status_message.emit(f"Deshecho: {step.label}.")
            self.reload()

        self.ctx.run_write(work, done, self._failed)

    # ---- targets and import -----------------------------------------------------------------------------
    def edit_target(self) -> TargetDialog | None:
        """National office only: the target editor for the state shown (or the summary row chosen)."""
        if not self.national:
            return None
        focus = self.focus_row()
        state_id = self.state_id or (focus.state_id if focus else None)
        dialog = TargetDialog(self.ctx, self._states, state_id, self)
        self.target_dialog = dialog
        dialog.saved.connect(self._target_saved)
        dialog.finished.connect(lambda _r, d=dialog: self._closed(d, "target_dialog"))
        dialog.open()
        return dialog

    def _target_saved(self, info: svc.TargetInfo) -> None:
        name = next((s.short_name for s in self._states if s.id == info.state_id), "")
        self.status_message.emit(f"Meta de {name}: {format_int(info.units_target)} unidades desde el "
                                 f"{dmy(info.effective_from)}.")
        self.reload()

    def open_import_wizard(self) -> ImportWizard:
        """The roster import (window-modal, not blocking); the page recalculates after a committed import."""
        wizard = ImportWizard(self.ctx, "weekend", self)
        self.import_wizard = wizard
        wizard.imported.connect(self._imported)
        wizard.finished.connect(lambda _r, w=wizard: self.import_wizard is w and setattr(self, "import_wizard", None))
        wizard.open()
        return wizard

    def _imported(self, counts: dict[str, int]) -> None:
        parts = [f"{format_int(counts.get('nuevos', 0))} nuevos", f"{format_int(counts.get('actualizados', 0))} actualizados"]
        if counts.get("rechazados"):
            parts.append(f"{format_int(counts['rechazados'])} filas rechazadas")
        self.status_message.emit("Plantilla de fin de semana importada: " + ", ".join(parts) + ".")
        self._undo.clear()  # older steps would silently revert imported values
        self._update_actions()
        self.reload()

    # ---- errors -----------------------------------------------------------------------------------------
    def _failed(self, failure: TaskFailure) -> None:
        exc = failure.exception
        if isinstance(exc, (ConcurrencyError, NotFoundError)):
            box = QMessageBox(QMessageBox.Icon.Warning, "Apertura en fin de semana", str(exc),
                              QMessageBox.StandardButton.Ok, self)
            self.message_box = box
            box.open()
            self.reload()
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)
