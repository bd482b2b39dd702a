"""Builds the real main window on a test database, with the synchronous task runner."""
from __future__ import annotations

from pathlib import Path

from gui.app import create_application
from gui.context import AppContext
from gui.main_window import MainWindow
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.services import office as office_svc


def build_window(qtbot, factory, db_path: Path, settings_path: Path, username: str = "capturista") -> MainWindow:
    create_application([])
    with factory() as session:
        office = office_svc.get_office(session)
    ctx = AppContext(factory, Settings(settings_path), TaskRunner(synchronous=True), office, db_path, username)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    return window
