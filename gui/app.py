"""QApplication set-up (names, es-MX locale, Qt's Spanish translations, style) and the GUI start sequence."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from gui import __version__
from gui.context import AppContext
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.paths import data_dir
from resources import resource_path

log = logging.getLogger(__name__)


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists) speaking Spanish (Mexico)."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName("Coordinación Estatal")
    app.setOrganizationName("IMSS-BIENESTAR")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(QIcon(str(resource_path("icons/app.svg"))))
    QLocale.setDefault(QLocale(QLocale.Language.Spanish, QLocale.Country.Mexico))
    if not getattr(app, "_ce_translators", None):
        translators = []
        translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        for name in ("qtbase_es", "qt_es"):
            translator = QTranslator(app)
            if translator.load(name, translations):
                app.installTranslator(translator)
                translators.append(translator)
        app._ce_translators = translators  # keep them alive
        style = resource_path("style.qss")
        if style.exists():
            app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def open_context(db: str | Path, *, synchronous: bool = False, settings_path: Path | None = None):
    """Open (create/upgrade) the database and build the context; office may still be unset (None)."""
    from models.db import make_engine, make_session_factory, sqlite_file_of
    from models.schema import ensure_database
    from models.services import office as office_svc

    engine = make_engine(db)
    ensure_database(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        office = office_svc.get_office(session)
        states = office_svc.list_states(session)
    settings = Settings(settings_path or (data_dir() / "preferencias.ini"))
    tasks = TaskRunner(synchronous=synchronous)
    # None for a server database (PostgreSQL): no file to lock, check or back up from here
    return factory, settings, tasks, office, states, sqlite_file_of(engine)


def choose_office(factory, states) -> object | None:
    """First start: ask which state this office is; store it. None if the user cancels."""
    from gui.dialogs.office_dialog import NATIONAL_CHOICE, OfficeDialog
    from models.services import office as office_svc

    dialog = OfficeDialog(states)
    if dialog.exec() != OfficeDialog.DialogCode.Accepted:
        return None
    choice = dialog.choice()
    with factory.begin() as session:
        return office_svc.set_office(session, None if choice == NATIONAL_CHOICE else choice)


def sign_in(factory, office):
    """Sign-in at start; a database without users first creates its administrator. None if cancelled."""
    from gui.dialogs.sign_in_dialog import FirstAdminDialog, SignInDialog
    from models.paths import current_username
    from models.services import users

    with factory() as session:
        first = not users.has_users(session)
    dialog = FirstAdminDialog(factory, username=current_username()) if first else \
        SignInDialog(factory, office.label, username=current_username())
    if dialog.exec() != dialog.DialogCode.Accepted:
        return None
    return dialog.user


def configure_logging() -> Path | None:
    """Log to stderr and to ``registro.log`` in the data folder (a windowed app on Windows has no console)."""
    from logging.handlers import RotatingFileHandler

    handlers: list[logging.Handler] = [logging.StreamHandler()]
    log_file: Path | None = data_dir() / "registro.log"
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(RotatingFileHandler(log_file, maxBytes=1_000_000, backupCount=3, encoding="utf-8"))
    except OSError:  # read-only profile: keep going with stderr only
        log_file = None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=handlers)
    return log_file


def run_gui(args: argparse.Namespace) -> int:
    """Start the desktop application on ``args.db``."""
    from gui.dialogs.error_dialog import install_excepthook
    from gui.main_window import MainWindow
    from models.schema import SchemaError

    from gui.backups import ABORT, acquire_instance_lock, backup_folder, recover_if_damaged
    from models.db import describe_url, is_url

    configure_logging()
    app = create_application()
    install_excepthook()
    db_file = Path(args.db)
    lock = None
    if not is_url(args.db):  # a SQLite file: one window per database, and the start-up integrity check
        lock, reason = acquire_instance_lock(db_file)
        if lock is None:
            QMessageBox.warning(None, "Coordinación Estatal", reason)
            return 4
        folder = backup_folder(Settings(data_dir() / "preferencias.ini"))
        ask = lambda text: QMessageBox.question(None, "Coordinación Estatal", text) == QMessageBox.StandardButton.Yes  # noqa: E731
        tell = lambda text: QMessageBox.information(None, "Coordinación Estatal", text)  # noqa: E731
        if recover_if_damaged(db_file, folder, ask, tell) == ABORT:
            return 3
    try:
        factory, settings, tasks, office, states, db_path = open_context(args.db)
    except SchemaError as exc:
        QMessageBox.critical(None, "Coordinación Estatal", str(exc))
        return 3
    except Exception as exc:  # noqa: BLE001 - a damaged or unreadable file must not show a traceback
        log.exception("Cannot open database")
        QMessageBox.critical(None, "Coordinación Estatal", f"No se pudo abrir la base de datos {describe_url(args.db)}:\n{exc}")
        return 3
    if office is None:
        office = choose_office(factory, states)
        if office is None:
            return 0
    user = sign_in(factory, office)
    if user is None:
        return 0
    os.environ["COORDINACION_USER"] = user.username  # models.paths.current_username() names the signed-in user
    ctx = AppContext(factory, settings, tasks, office, db_path, user.username, user, describe_url(args.db))
    window = MainWindow(ctx)
    backups = getattr(window, "backups", None)
    if backups is not None:
        backups.start()
    window.show()
    code = app.exec()
    tasks.wait(60_000)
    if backups is not None and not backups.skip_close_backup:
        backups.backup_at_close()
    if lock is not None:
        lock.unlock()
    return code
