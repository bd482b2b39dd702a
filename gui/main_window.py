"""The shell: menus, navigation, page stack and status bar. It composes pages and holds no domain logic."""
from __future__ import annotations

from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QMainWindow, QMessageBox, QStackedWidget, QWidget

from gui import __version__
from gui import settings as S
from gui.context import AppContext
from gui.pages.authorisations import AuthorisationsPage
from gui.pages.dashboard import DashboardPage
from gui.pages.establishments import EstablishmentsPage
from gui.pages.regions import RegionsPage
from gui.pages.weekend import WeekendPage


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
        self.pages = [self.dashboard, self.establishments, self.regions, self.weekend, self.authorisations]
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
        self.busy_label = QLabel("")
        self.statusBar().addPermanentWidget(self.busy_label)
        office = QLabel(f"{ctx.office.label}  ·  {ctx.db_path or ''}")
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
        quit_action = QAction("&Salir", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        records = bar.addMenu("&Registros")
        page = self.establishments
        for action in (page.new_action, page.edit_action, page.retire_action, page.restore_action, None,
                       page.import_action, page.import_equivalences_action, page.export_action, None,
                       page.undo_action, page.reload_action):
            if action is None:
                records.addSeparator()
            else:
                records.addAction(action)
        help_menu = bar.addMenu("A&yuda")
        about = QAction("&Acerca de Coordinación Estatal", self)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)

    def show_about(self) -> None:
        from models.paths import data_dir
        from models.schema import SCHEMA_VERSION

        QMessageBox.about(
            self,
            "Acerca de Coordinación Estatal",
            f"<b>Coordinación Estatal</b> {__version__}<br>IMSS-BIENESTAR<br><br>"
            f"Base de datos: {self.ctx.db_path}<br>Versión de esquema: {SCHEMA_VERSION}<br>"
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
