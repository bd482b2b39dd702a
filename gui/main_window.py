"""The shell: menus, navigation, page stack and status bar. It composes pages and holds no domain logic."""
from __future__ import annotations

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QMessageBox, QStackedWidget, QWidget

from gui import __version__
from gui import settings as S
from gui.context import AppContext
from gui.backups import BackupController
from gui.pages.audit import AuditPage
from gui.pages.authorisations import AuthorisationsPage
from gui.pages.dashboard import DashboardPage
from gui.pages.establishments import EstablishmentsPage
from gui.pages.exchange import ExchangePage
from gui.pages.regions import RegionsPage
from gui.pages.reports import ReportsPage
from gui.pages.weekend import WeekendPage
from models.services import users as U

# What each role may see: (page attribute, widget or action attribute, permission). The services refuse the
# same operations on their own (models.services.users.require); hiding them here only keeps the UI honest.
GUARDED = (
    ("establishments", "new_action", U.EDIT), ("establishments", "edit_action", U.EDIT),
    ("establishments", "undo_action", U.EDIT), ("establishments", "retire_action", U.RETIRE),
    ("establishments", "restore_action", U.RETIRE), ("establishments", "import_action", U.IMPORT),
    ("establishments", "import_equivalences_action", U.IMPORT),
    ("regions", "new_region_action", U.EDIT), ("regions", "new_zone_action", U.EDIT),
    ("regions", "rename_action", U.EDIT), ("regions", "coordinator_action", U.EDIT),
    ("regions", "assign_action", U.EDIT), ("regions", "assign_button", U.EDIT), ("regions", "unassign_action", U.EDIT),
    ("regions", "undo_action", U.EDIT), ("regions", "retire_action", U.RETIRE), ("regions", "import_action", U.IMPORT),
    ("weekend", "edit_action", U.EDIT), ("weekend", "bulk_shifts_action", U.EDIT),
    ("weekend", "bulk_start_action", U.EDIT), ("weekend", "undo_action", U.EDIT),
    ("weekend", "target_action", U.TARGETS), ("weekend", "import_action", U.IMPORT),
    ("authorisations", "new_procedure_button", U.EDIT), ("authorisations", "change_status_button", U.EDIT),
    ("authorisations", "override_button", U.EDIT), ("authorisations", "attach_button", U.EDIT),
    ("authorisations", "add_service_button", U.EDIT), ("authorisations", "add_responsable_button", U.EDIT),
    ("authorisations", "import_button", U.IMPORT),
    ("reports", "signatories_button", U.SETTINGS),
    # Intercambio: generating a package or an acknowledgement changes no data (like exporting a list), so every role
    # may; importing one writes records (IMPORT) and deciding a conflict writes the chosen version (EDIT).
    ("exchange", "receive_box", U.IMPORT), ("exchange", "import_button", U.IMPORT),
    ("exchange", "apply_button", U.IMPORT), ("exchange", "import_ack_button", U.IMPORT),
    ("exchange", "keep_local_button", U.EDIT), ("exchange", "take_incoming_button", U.EDIT),
    ("exchange", "merge_button", U.EDIT),
    ("backups", "restore_action", U.SETTINGS), ("backups", "folder_action", U.SETTINGS),
)


class MainWindow(QMainWindow):
    """Main window of Coordinación Estatal."""

    def __init__(self, ctx: AppContext):
        super().__init__()
        self.ctx = ctx
        self.setWindowTitle(f"Coordinación Estatal — {ctx.office.label}")
        self.resize(1280, 780)
        self.dashboard = DashboardPage(ctx, self)  # «Inicio»: recalculates each time it is shown
        self.establishments = EstablishmentsPage(ctx, self)
        self.regions = RegionsPage(ctx, self)  # reads its data each time it is shown
        self.weekend = WeekendPage(ctx, self)  # computes the first time it is shown
        self.authorisations = AuthorisationsPage(ctx, self)
        self.reports = ReportsPage(ctx, self)
        self.exchange = ExchangePage(ctx, self)  # reads its history and conflicts each time it is shown
        self.audit = AuditPage(ctx, self)  # reads the trail the first time it is shown
        self.pages = [self.dashboard, self.establishments, self.regions, self.weekend, self.authorisations,
                      self.reports, self.exchange, self.audit]
        self.backups = BackupController(ctx, self)  # daily and closing backups; started by gui.app.run_gui
        # Where the dashboard's figures lead: open_list(key, filter) → that page's show_filtered(filter).
        self.list_pages = {"establishments": self.establishments, "regions": self.regions, "weekend": self.weekend,
                           "authorisations": self.authorisations}
        self._establishments_stale = False

        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(175)
        self.stack = QStackedWidget()
        for page in self.pages:
            self.nav.addItem(page.title)
            self.stack.addWidget(page)
            page.status_message.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.nav.currentRowChanged.connect(self._page_shown)
        # region and zone columns of the establishments list change when the Regions page writes
        self.regions.data_changed.connect(lambda: setattr(self, "_establishments_stale", True))
        self.dashboard.open_list.connect(self.open_list)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

        self._build_menus()
        self.apply_permissions()
        self.backups.finished.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.busy_label = QLabel("")
        self.statusBar().addPermanentWidget(self.busy_label)
        who = f"{ctx.user.username} ({ctx.user.role_label})  ·  " if ctx.user else ""
        office = QLabel(f"{who}{ctx.office.label}  ·  {ctx.database_label}")
        office.setObjectName("pageSubtitle")
        self.statusBar().addPermanentWidget(office)
        ctx.tasks.busy_changed.connect(lambda busy: self.busy_label.setText("Trabajando…" if busy else ""))

        geometry = ctx.settings.get(S.WINDOW_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = ctx.settings.get(S.WINDOW_STATE)
        if not state.isEmpty():
            self.restoreState(state)
        # The window always opens on «Inicio» (issue 7: "a home dashboard opens first"), not on the last page
        # shown; each page still remembers its own filters, splitters and tabs.
        self.nav.setCurrentRow(self.pages.index(self.dashboard))
        self.establishments.reload()

    def _page_shown(self, row: int) -> None:
        if self.pages[row] is self.establishments and self._establishments_stale:
            self._establishments_stale = False
            self.establishments.reload()

    def show_page(self, page: QWidget) -> None:
        """Make ``page`` the current one (navigation list and stack)."""
        self.nav.setCurrentRow(self.pages.index(page))

    def open_list(self, target: str, filter: dict) -> None:
        """A figure of «Inicio» was clicked: apply its filter on the target page, then show that page. The filter
        goes first so that a page computing on its first showing computes once, already filtered."""
        page = self.list_pages.get(target)
        if page is None:
            return
        page.show_filtered(filter)
        self.show_page(page)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&Archivo")
        for action in self.backups.actions:
            file_menu.addAction(action)
        file_menu.addSeparator()
        self.users_action = QAction("&Usuarios…", self)
        self.users_action.triggered.connect(self.show_users)
        self.users_action.setVisible(self.ctx.user is not None and self.ctx.can(U.USERS))
        file_menu.addAction(self.users_action)
        self.password_action = QAction("Cambiar mi &contraseña…", self)
        self.password_action.triggered.connect(self.change_password)
        self.password_action.setVisible(self.ctx.user is not None)
        file_menu.addAction(self.password_action)
        file_menu.addSeparator()
        quit_action = QAction("&Salir", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        records = bar.addMenu("&Registros")
        page = self.establishments
        for action in (page.new_action, page.edit_action, page.retire_action, page.restore_action, None,
                       page.import_action, page.import_equivalences_action, page.export_action, None,
                       page.undo_action, page.history_action, page.reload_action):
            if action is None:
                records.addSeparator()
            else:
                records.addAction(action)
        help_menu = bar.addMenu("A&yuda")
        about = QAction("&Acerca de Coordinación Estatal", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def apply_permissions(self) -> None:
        """Hide what the signed-in user's role may not do (nothing is hidden in setup mode)."""
        state = self.ctx.office.state.id if self.ctx.office.state else None
        for owner, name, permission in GUARDED:
            item = getattr(getattr(self, owner, None), name, None)
            if item is not None and not self.ctx.can(permission, state):
                item.setVisible(False)

    def show_users(self) -> None:
        from gui.dialogs.users_dialog import UsersDialog

        state = self.ctx.office.state.id if self.ctx.office.state else None
        dialog = UsersDialog(self.ctx.session_factory, self.ctx.username, state, self)
        dialog.open()

    def change_password(self) -> None:
        from PySide6.QtWidgets import QInputDialog, QLineEdit

        old, ok = QInputDialog.getText(self, "Cambiar contraseña", "Contraseña actual:", QLineEdit.EchoMode.Password)
        if not ok:
            return
        new, ok = QInputDialog.getText(self, "Cambiar contraseña", "Contraseña nueva (8 caracteres o más):",
                                       QLineEdit.EchoMode.Password)
        if not ok:
            return
        self.ctx.run_write(lambda s: U.change_password(s, self.ctx.username, old, new),
                           lambda _: self.statusBar().showMessage("Contraseña cambiada.", 8000),
                           lambda failure: QMessageBox.warning(self, "Cambiar contraseña", str(failure.exception)))

    def show_about(self) -> None:
        from models.paths import data_dir
        from models.schema import SCHEMA_VERSION

        QMessageBox.about(
            self,
            "Acerca de Coordinación Estatal",
            f"<b>Coordinación Estatal</b> {__version__}<br>IMSS-BIENESTAR<br><br>"
            f"Base de datos: {self.ctx.database_label}<br>Versión de esquema: {SCHEMA_VERSION}<br>"
            f"Carpeta de datos: {data_dir()}",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        settings = self.ctx.settings
        settings.set(S.WINDOW_GEOMETRY, self.saveGeometry())
        settings.set(S.WINDOW_STATE, self.saveState())
        for page in self.pages:
            page.save_settings()
        settings.sync()
        self.ctx.tasks.wait()
        super().closeEvent(event)
