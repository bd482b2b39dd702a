"""Regions page («Regionalización»): the Region → Zone → establishment tree, the establishments with no zone,
and tabs for the supervision teams (ESZ) and the referral network, with the consistency panel beside the tree.

Every read and write goes through the task runner; after each change the whole state is read again in one
background read (tree, consistency, teams, referral network: a few tens of ms for 3,000 establishments),
keeping the user's expanded nodes, selection and scroll position.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui import settings as S
from gui.context import AppContext
from gui.dialogs.import_wizard import ImportWizard
from gui.item_models.regions import REGION, UNIT, ZONE, RegionTreeModel, UnitListModel
from gui.pages.region_commands import StructureCommands, UndoSpec, plural
from gui.pages.region_panels import ConsistencyPanel, ReferralsPanel, hint_label, make_table, section_title
from gui.pages.region_teams import TeamsPanel
from gui.tasks import TaskFailure
from models.services import office as office_svc
from models.services import referrals as ref_svc
from models.services import region_figures as fig_svc
from models.services import regions as svc
from models.services.establishments import ConcurrencyError, NotFoundError
from models.text import format_int
from models.validation import ValidationError

SEARCH_DELAY_MS = 120
TAB_STRUCTURE, TAB_TEAMS, TAB_REFERRALS = 0, 1, 2


@dataclass
class Snapshot:
    """Everything the page shows for one state, read in one background job."""

    state_id: int
    tree: svc.RegionTree
    report: fig_svc.ConsistencyReport
    teams: list[svc.TeamDetail]
    referrals: list[ref_svc.ReferralRow]


@dataclass
class UndoStep:
    """The last change and how to reverse it (one write transaction)."""

    label: str
    work: Callable[[Session], object]


def read_snapshot(session: Session, state_id: int) -> Snapshot:
    """The page's data for one state."""
    return Snapshot(state_id, svc.load_tree(session, state_id), fig_svc.consistency(session, state_id),
                    svc.list_teams(session, state_id), ref_svc.referral_network(session, state_id))


class RegionsPage(StructureCommands, QWidget):
    """Regions, zones and their establishments; supervision teams; referral network; consistency."""

    status_message = Signal(str)
    data_changed = Signal()  # something was written (other pages showing regions may be stale)
    title = "Regionalización"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.state_id: int | None = ctx.office.state.id if ctx.office.state else None
        self.snapshot: Snapshot | None = None
        self.loaded = False
        self.dialog = None
        self.import_wizard: ImportWizard | None = None
        self.last_status = ""
        self._undo: list[UndoStep] = []
        self._generation = 0
        self._after_reload: list[Callable[[], object]] = []
        self._zones: dict[int, tuple[str, str]] = {}  # zone id → (zone name, region name)
        self._first_load = True
        self.tree_model = RegionTreeModel(self)
        self.unassigned_model = UnitListModel(self)
        self._build()
        self._restore_settings()
        if ctx.office.is_national:
            self.ctx.run_read(lambda s: office_svc.list_states(s), self._states_loaded, self.failed)

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        header = QHBoxLayout()
        title = QLabel("Regionalización")
        title.setObjectName("pageTitle")
        header.addWidget(title)
        header.addStretch(1)
        self.state_combo: QComboBox | None = None
        if self.ctx.office.is_national:
            header.addWidget(QLabel("Entidad:"))
            self.state_combo = QComboBox()
            self.state_combo.setMinimumWidth(220)
            self.state_combo.currentIndexChanged.connect(self._state_chosen)
            header.addWidget(self.state_combo)
        else:
            subtitle = QLabel(self.ctx.office.label)
            subtitle.setObjectName("pageSubtitle")
            header.addWidget(subtitle)
        layout.addLayout(header)

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        page_wide = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.new_region_action = self._action("Nueva región…", "Ctrl+Shift+N", self.new_region,
                                              "Registrar una región operativa (Ctrl+Mayús+N)", page_wide)
        self.new_zone_action = self._action("Nueva zona…", "Ctrl+N", self.new_zone,
                                            "Registrar una zona de servicios médicos en una región (Ctrl+N)", page_wide)
        self.rename_action = self._action("Renombrar…", "F2", self.rename_selected,
                                          "Cambiar el nombre de la región o zona seleccionada (F2)")
        self.retire_action = self._action("Dar de baja…", QKeySequence.StandardKey.Delete, self.retire_selected,
                                          "Dar de baja la región o zona seleccionada (Supr)")
        self.toolbar.addSeparator()
        self.coordinator_action = self._action("Definir hospital coordinador…", "Ctrl+Shift+H", self.set_coordinator,
                                               "Elegir el hospital (2.º o 3.er nivel) que coordina la zona (Ctrl+Mayús+H)",
                                               page_wide, icon_text="Hospital coordinador…")
        self.assign_action = self._action("Asignar a zona…", "Ctrl+Shift+A", self.assign_selected,
                                          "Asignar los establecimientos seleccionados a una zona (Ctrl+Mayús+A)", page_wide)
        self.unassign_action = self._action("Quitar de la zona", "Ctrl+Shift+X", self.unassign_selected,
                                            "Dejar sin zona los establecimientos seleccionados en el árbol (Ctrl+Mayús+X)",
                                            page_wide)
        self.toolbar.addSeparator()
        self.import_action = self._action("Importar asignaciones…", "Ctrl+I", self.open_import_wizard,
                                          "Importar la lista de asignaciones CLUES → región, zona y referencia (Ctrl+I)",
                                          page_wide, icon_text="Importar…")
        self.undo_action = self._action("Deshacer", QKeySequence.StandardKey.Undo, self.undo,
                                        "Deshacer el último cambio (Ctrl+Z)", page_wide)
        self.reload_action = self._action("Actualizar", QKeySequence.StandardKey.Refresh, self.reload,
                                          "Volver a leer la regionalización (F5)", page_wide)
        layout.addWidget(self.toolbar)

        self.message_bar = QFrame()
        self.message_bar.setObjectName("messageBar")
        self.message_bar.setStyleSheet("QFrame#messageBar { background: #fdecea; border: 1px solid #e0a8a2; border-radius: 3px; }"
                                       "QFrame#messageBar QLabel { color: #7a1010; }")
        bar = QHBoxLayout(self.message_bar)
        bar.setContentsMargins(8, 4, 4, 4)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.message, 1)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Cerrar el aviso")
        close.setAutoRaise(True)
        close.clicked.connect(self.message_bar.hide)
        bar.addWidget(close)
        self.message_bar.hide()
        layout.addWidget(self.message_bar)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_structure(), "Regiones y zonas")
        self.teams_panel = TeamsPanel(self)
        self.tabs.addTab(self.teams_panel, "Equipos de supervisión (ESZ)")
        self.referrals_panel = ReferralsPanel(self)
        self.tabs.addTab(self.referrals_panel, "Red de referencia")
        layout.addWidget(self.tabs, 1)
        self._update_actions()

    def _build_structure(self) -> QWidget:
        self.tree = QTreeView()
        self.tree.setObjectName("regionsTree")
        self.tree.setModel(self.tree_model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setDropIndicatorShown(True)
        self.tree.setAutoExpandDelay(600)
        self.tree.setIndentation(16)
        self.tree.setStyleSheet("QTreeView { background: #ffffff; alternate-background-color: #f1f4f3; "
                                "selection-background-color: #cfe3dc; selection-color: #000000; }")
        header = self.tree.header()
        header.setStretchLastSection(True)  # names keep their width; a narrow window scrolls sideways instead
        for column, width in ((0, 285), (1, 100), (2, 75), (3, 150)):
            self.tree.setColumnWidth(column, width)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for action in (self.rename_action, self.retire_action, self.coordinator_action, self.assign_action,
                       self.unassign_action):
            self.tree.addAction(action)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Buscar por CLUES o nombre (sin importar acentos)…")
        self.search.setClearButtonEnabled(True)
        self.unassigned = make_table(self.unassigned_model)
        self.unassigned.setColumnWidth(0, 110)
        self.unassigned.setColumnWidth(2, 105)
        self.unassigned.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.unassigned.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.unassigned.setDropIndicatorShown(False)
        self.unassigned_count = QLabel("")
        self.unassigned_count.setObjectName("countLabel")
        self.assign_button = QPushButton("Asignar a zona…")
        self.assign_button.setAutoDefault(False)
        self.assign_button.clicked.connect(self.assign_selected)

        upper = QWidget()
        up = QVBoxLayout(upper)
        up.setContentsMargins(0, 0, 0, 0)
        self.tree_title = section_title("Regiones operativas, zonas y establecimientos")
        up.addWidget(self.tree_title)
        up.addWidget(self.tree, 1)
        lower = QWidget()
        low = QVBoxLayout(lower)
        low.setContentsMargins(0, 4, 0, 0)
        head = QHBoxLayout()
        head.addWidget(section_title("Establecimientos sin zona"))
        head.addStretch(1)
        head.addWidget(self.unassigned_count)
        low.addLayout(head)
        low.addWidget(self.search)
        low.addWidget(self.unassigned, 1)
        foot = QHBoxLayout()
        foot.addWidget(hint_label("Arrástrelos a una zona del árbol, o selecciónelos y use «Asignar a zona…». "
                                  "Para quitar uno de su zona, arrástrelo aquí."), 1)
        foot.addWidget(self.assign_button)
        low.addLayout(foot)
        self.left_splitter = QSplitter(Qt.Orientation.Vertical)
        self.left_splitter.addWidget(upper)
        self.left_splitter.addWidget(lower)
        self.left_splitter.setStretchFactor(0, 3)
        self.left_splitter.setStretchFactor(1, 2)
        self.left_splitter.setChildrenCollapsible(False)
        self.left_splitter.setMinimumWidth(420)

        self.consistency = ConsistencyPanel()
        self.consistency.locate.connect(self.locate)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.left_splitter)
        self.splitter.addWidget(self.consistency)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([630, 450])

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.search.returnPressed.connect(self.apply_search)
        self.tree.selectionModel().selectionChanged.connect(lambda sel, _d: self._selection_changed(sel, self.unassigned))
        self.unassigned.selectionModel().selectionChanged.connect(lambda sel, _d: self._selection_changed(sel, self.tree))
        self.tree.selectionModel().currentChanged.connect(lambda current, _p: self._current_changed(current))
        self.tree.doubleClicked.connect(self._double_clicked)
        self.tree_model.assign_requested.connect(lambda zone_id, ids: QTimer.singleShot(0, lambda: self.assign(zone_id, ids)))
        self.unassigned_model.unassign_requested.connect(lambda ids: QTimer.singleShot(0, lambda: self.unassign(ids)))
        return self.splitter

    def _action(self, text: str, shortcut, slot, tip: str, context=Qt.ShortcutContext.WidgetShortcut,
                icon_text: str = "") -> QAction:
        """A toolbar action. Page-wide shortcuts work anywhere on the page; the others (F2, Supr) only in the
        tree, where the region or zone they act on is selected."""
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut) if isinstance(shortcut, str) else shortcut)
        action.setShortcutContext(context)
        if icon_text:
            action.setIconText(icon_text)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        if context == Qt.ShortcutContext.WidgetWithChildrenShortcut:
            self.addAction(action)
        return action

    # ---- settings ---------------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        st = self.ctx.settings
        for splitter, setting in ((self.splitter, S.REG_SPLITTER), (self.left_splitter, S.REG_LEFT_SPLITTER)):
            state = st.get(setting)
            if not state.isEmpty():
                splitter.restoreState(state)
        header = st.get(S.REG_TREE_HEADER)
        if not header.isEmpty():
            self.tree.header().restoreState(header)
        self.search.setText(st.get(S.REG_SEARCH))
        self.apply_search()
        self.referrals_panel.threshold.setValue(st.get(S.REG_FAR_KM))
        self.tabs.setCurrentIndex(min(max(st.get(S.REG_TAB), 0), self.tabs.count() - 1))

    def save_settings(self) -> None:
        st = self.ctx.settings
        st.set(S.REG_SPLITTER, self.splitter.saveState())
        st.set(S.REG_LEFT_SPLITTER, self.left_splitter.saveState())
        st.set(S.REG_TREE_HEADER, self.tree.header().saveState())
        st.set(S.REG_SEARCH, self.search.text())
        st.set(S.REG_FAR_KM, self.referrals_panel.threshold.value())
        st.set(S.REG_TAB, self.tabs.currentIndex())
        if self.state_combo is not None and self.state_combo.currentData() is not None:
            st.set(S.REG_STATE, self.state_combo.currentData()[1])

    # ---- the state (national office) --------------------------------------------------------------------
    def _states_loaded(self, states: list[office_svc.StateInfo]) -> None:
        combo = self.state_combo
        remembered = self.ctx.settings.get(S.REG_STATE)
        combo.blockSignals(True)
        for state in [s for s in states if s.adhered] + [s for s in states if not s.adhered]:
            combo.addItem(state.name + ("" if state.adhered else " (no adherida)"), (state.id, state.inegi_code))
        index = next((i for i in range(combo.count()) if combo.itemData(i)[1] == remembered), 0)
        combo.setCurrentIndex(index)
        combo.blockSignals(False)
        self._state_chosen()

    def _state_chosen(self) -> None:
        data = self.state_combo.currentData() if self.state_combo else None
        if data is None or data[0] == self.state_id:
            return
        self.state_id = data[0]
        self._undo.clear()
        self._first_load = True
        self.reload()

    # ---- loading ----------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not event.spontaneous():
            self.reload()  # other pages may have changed establishments since

    def reload(self) -> None:
        """Read the state's regions, zones, teams, referral network and consistency (off the UI thread)."""
        state_id = self.state_id
        if state_id is None:
            return
        self._generation += 1
        generation = self._generation
        self.ctx.run_read(lambda s: read_snapshot(s, state_id), lambda snap: self._loaded(generation, snap),
                          self.failed, label="Cargando la regionalización…", parent=self)

    def after_reload(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the next reload has been shown."""
        self._after_reload.append(callback)

    def _loaded(self, generation: int, snap: Snapshot) -> None:
        if generation != self._generation or snap.state_id != self.state_id:
            return  # an older read finished after a newer one was started
        view = self._view_state()
        self.snapshot = snap
        self._zones = {z.id: (z.name, r.name) for r in snap.tree.regions for z in r.zones}
        self.tree_model.set_tree(snap.tree)
        self.unassigned_model.set_units(snap.tree.unassigned)
        self._restore_view_state(view)
        self.consistency.set_report(snap.report)
        self.teams_panel.set_data([(r.id, r.name) for r in snap.tree.regions], snap.teams)
        self.referrals_panel.set_rows(snap.referrals)
        self.loaded = True
        self._update_counts()
        self._update_actions()
        callbacks, self._after_reload = self._after_reload, []
        for callback in callbacks:
            callback()

    def _view_state(self) -> dict:
        model = self.tree_model
        expanded = set()
        for region, zone in model.zones():
            if self.tree.isExpanded(model.index_of(ZONE, zone.id)):
                expanded.add((ZONE, zone.id))
        for region in model.tree.regions if model.tree else []:
            if self.tree.isExpanded(model.index_of(REGION, region.id)):
                expanded.add((REGION, region.id))
        current = self.tree.currentIndex()
        node = model.node(current)
        return {"expanded": expanded, "current": (node.kind, node.id) if node else None,
                "selected": self.tree_selected_units(), "scroll": self.tree.verticalScrollBar().value()}

    def _restore_view_state(self, view: dict) -> None:
        model = self.tree_model
        if self._first_load:
            self._first_load = False
            for region in model.tree.regions:
                self.tree.expand(model.index_of(REGION, region.id))
        for kind, node_id in view["expanded"]:
            index = model.index_of(kind, node_id)
            if index.isValid():
                self.tree.expand(index)
        selection = self.tree.selectionModel()
        if view["current"]:
            index = model.index_of(*view["current"])
            if index.isValid():
                selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for unit_id in view["selected"]:
            index = model.index_of(UNIT, unit_id)
            if index.isValid():
                selection.select(index, flags)
        self.tree.verticalScrollBar().setValue(view["scroll"])

    def _update_counts(self) -> None:
        total, shown = self.unassigned_model.total, self.unassigned_model.rowCount()
        text = plural(total, "establecimiento", "establecimientos")
        self.unassigned_count.setText(text if shown == total else f"{format_int(shown)} de {text}")
        tree = self.snapshot.tree if self.snapshot else None
        if tree is not None:
            zones = sum(len(r.zones) for r in tree.regions)
            units = sum(len(z.establishments) for r in tree.regions for z in r.zones)
            self.tree_title.setText(f"{plural(len(tree.regions), 'región', 'regiones')}, {plural(zones, 'zona', 'zonas')}, "
                                    f"{plural(units, 'establecimiento asignado', 'establecimientos asignados')}")

    def apply_search(self) -> None:
        self._search_timer.stop()
        self.unassigned_model.set_search(self.search.text())
        self._update_counts()
        self._update_actions()

    def show_filtered(self, filter: dict) -> None:
        """The home dashboard's «sin zona» figure: ``{"unassigned": True}`` shows the establishments without zone
        (structure tab, search cleared, the list focused)."""
        if filter.get("unassigned"):
            self.tabs.setCurrentIndex(TAB_STRUCTURE)
            self.search.clear()
            self.apply_search()
            self.unassigned.setFocus()

    # ---- lookups used by the panels ---------------------------------------------------------------------
    def zone_name(self, zone_id: int | None) -> str:
        if zone_id is None or zone_id not in self._zones:
            return "— sin zona"
        return self._zones[zone_id][0]

    def tree_regions(self) -> list[svc.RegionNode]:
        return self.snapshot.tree.regions if self.snapshot else []

    def all_units(self) -> list[svc.UnitNode]:
        """Every active establishment of the state, each with its zone id."""
        if self.snapshot is None:
            return []
        tree = self.snapshot.tree
        return [u for r in tree.regions for z in r.zones for u in z.establishments] + list(tree.unassigned)

    # ---- selection --------------------------------------------------------------------------------------
    def _selection_changed(self, selected, other) -> None:
        if not selected.isEmpty():
            other.selectionModel().clearSelection()  # one selection at a time: the actions act on it
        self._update_actions()

    def _current_changed(self, current: QModelIndex) -> None:
        region = self.tree_model.region_of(current)
        if region is not None:
            self.teams_panel.set_region(region.id)
        self._update_actions()

    def current_node(self) -> tuple[str | None, object]:
        index = self.tree.currentIndex()
        return self.tree_model.kind(index), self.tree_model.item(index)

    def tree_selected_units(self) -> list[int]:
        model = self.tree_model
        return [model.node(i).id for i in self.tree.selectionModel().selectedRows() if model.kind(i) == UNIT]

    def list_selected_units(self) -> list[int]:
        rows = sorted({i.row() for i in self.unassigned.selectionModel().selectedRows()})
        return [self.unassigned_model.unit_at(r).id for r in rows]

    def selected_unit_ids(self) -> list[int]:
        return self.list_selected_units() or self.tree_selected_units()

    def select_node(self, kind: str, node_id: int) -> bool:
        """Show a region, zone or assigned establishment in the tree (or an unassigned one in the list)."""
        index = self.tree_model.index_of(kind, node_id)
        if not index.isValid():
            row = self.unassigned_model.row_of_id(node_id) if kind == UNIT else None
            if row is None:
                return False
            self.unassigned.selectRow(row)
            self.unassigned.scrollTo(self.unassigned_model.index(row, 0))
            return True
        parent = index.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.tree.scrollTo(index)
        return True

    def locate(self, kind: str, node_id: int) -> None:
        if self.select_node({"zone": ZONE, "region": REGION, "unit": UNIT}[kind], node_id):
            self.tabs.setCurrentIndex(TAB_STRUCTURE)

    def _double_clicked(self, index: QModelIndex) -> None:
        if self.tree_model.kind(index) in (REGION, ZONE) and index.column() != 0:
            self.rename_selected()

    def _update_actions(self) -> None:
        kind, _item = self.current_node()
        has_state = self.state_id is not None and self.loaded
        regions = bool(self.snapshot and self.snapshot.tree.regions)
        zones = bool(self.tree_model.zones())
        self.new_region_action.setEnabled(has_state)
        self.new_zone_action.setEnabled(has_state and regions)
        self.rename_action.setEnabled(has_state and kind in (REGION, ZONE))
        self.retire_action.setEnabled(has_state and kind in (REGION, ZONE))
        self.coordinator_action.setEnabled(has_state and kind in (ZONE, UNIT))
        units = bool(self.selected_unit_ids())
        self.assign_action.setEnabled(has_state and units and zones)
        self.assign_button.setEnabled(has_state and bool(self.list_selected_units()) and zones)
        self.unassign_action.setEnabled(has_state and bool(self.tree_selected_units()))
        self.import_action.setEnabled(self.state_id is not None)
        self.undo_action.setEnabled(bool(self._undo))
        self.undo_action.setText(f"Deshacer: {self._undo[-1].label}" if self._undo else "Deshacer")
        self.undo_action.setIconText("Deshacer")

    # ---- running changes --------------------------------------------------------------------------------
    def open_dialog(self, dialog) -> None:
        """Open a form window-modally without blocking; it stays reachable as ``self.dialog``."""
        self.dialog = dialog
        dialog.finished.connect(lambda _r, d=dialog: self.dialog is d and setattr(self, "dialog", None))
        dialog.open()

    def change(self, work: Callable[[Session], object], message: str | Callable[[object], str], *,
               undo: UndoSpec | Callable[[object], UndoSpec] = None, dialog=None,
               then: Callable[[object], object] | None = None) -> None:
        """Write in one transaction; then close the dialog, remember how to undo, say what happened and reload.
        A refusal (ValidationError) is shown in the dialog, or in the page's message bar."""

        def done(result) -> None:
            if dialog is not None:
                dialog.accept()
            step = undo(result) if callable(undo) else undo
            if step is not None:
                self._undo.append(UndoStep(*step))
                del self._undo[:-30]
            self.message_bar.hide()
            self.status(message(result) if callable(message) else message)
            if then is not None:
                then(result)
            self.data_changed.emit()
            self.reload()

        self.ctx.run_write(work, done, lambda failure: self.failed(failure, dialog))

    def status(self, text: str) -> None:
        self.last_status = text
        self.status_message.emit(text)

    def show_message(self, text: str) -> None:
        """A refusal or warning in Spanish, in the bar above the tabs (non-blocking)."""
        self.message.setText("⚠ " + text)
        self.message_bar.show()

    def failed(self, failure: TaskFailure, dialog=None) -> None:
        exc = failure.exception
        if isinstance(exc, ValidationError):
            if dialog is not None and dialog.isVisible():
                dialog.show_errors(exc.errors)
            else:
                self.show_message(" ".join(dict.fromkeys(exc.errors.values())))
        elif isinstance(exc, (ConcurrencyError, NotFoundError)):
            if dialog is not None and dialog.isVisible():
                dialog.show_error(str(exc))
            self.show_message(str(exc))
            self.reload()
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)

    def undo(self) -> None:
        if not self._undo:
            return
        step = self._undo.pop()
        self._update_actions()

        def done(_result) -> None:
            self.message_bar.hide()
            self.status(f"Deshecho: {step.label}.")
            self.data_changed.emit()
            self.reload()

        self.ctx.run_write(step.work, done, self.failed)

    # ---- import -----------------------------------------------------------------------------------------
    def open_import_wizard(self) -> ImportWizard:
        """The import wizard for the assignment list (window-modal, not blocking); reloads after an import."""
        wizard = ImportWizard(self.ctx, "regions", self)
        self.import_wizard = wizard
        wizard.imported.connect(self._imported)
        wizard.finished.connect(lambda _r, w=wizard: self.import_wizard is w and setattr(self, "import_wizard", None))
        wizard.open()
        return wizard

    def _imported(self, _counts: dict) -> None:
        self.status("Importación de asignaciones terminada.")
        self._undo.clear()  # an import cannot be undone; older steps would silently fight it
        self._update_actions()
        self.data_changed.emit()
        self.reload()
