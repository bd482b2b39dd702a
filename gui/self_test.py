"""``coordinacion [--db PATH] --self-test``: start the GUI offscreen on a database, build the main window, exit.

It checks what a frozen build can lose and the tests of the source tree cannot see: Qt's platform and
icon plugins, the Qt modules the app uses, Qt's Spanish translations, the stylesheet and icon, the
reference catalogue (read while the database is opened). ``installer/smoke_test.sh`` runs it on the
bundle. Prints one line per check; exit code 0 when everything passed, 1 otherwise. Writes nothing but
the database it opens (preferences go to a temporary folder).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path


def run_self_test(args: argparse.Namespace) -> int:
    """Run the checks; return the exit code."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # The Qt modules the app uses, imported here so a bundle carries them and so a missing library shows up.
    import PySide6.QtCharts  # noqa: F401
    import PySide6.QtPdf  # noqa: F401
    import PySide6.QtPdfWidgets  # noqa: F401
    import PySide6.QtPrintSupport  # noqa: F401
    import PySide6.QtSvg  # noqa: F401
    from PySide6.QtCore import QCoreApplication, QLibraryInfo

    from gui.app import create_application, open_context
    from gui.context import AppContext
    from gui.main_window import MainWindow
    from models.db import describe_url
    from models.services.office import Office
    from resources import resource_path

    problems: list[str] = []
    app = create_application([sys.argv[0]])
    translations = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    loaded = len(getattr(app, "_ce_translators", []))
    cancel = QCoreApplication.translate("QPlatformTheme", "Cancel")  # the standard button's text
    print(f"Traducciones de Qt: {loaded} cargadas de {translations}; «Cancel» se muestra «{cancel}»")
    if not loaded or cancel == "Cancel":
        problems.append(f"no se cargaron las traducciones de Qt al español (qtbase_es) de {translations}")
    for name in ("style.qss", "icons/app.svg"):
        if not resource_path(name).is_file():
            problems.append(f"falta el recurso {resource_path(name)}")
    if app.windowIcon().pixmap(32, 32).isNull():
        problems.append("el icono SVG no se puede dibujar (¿falta el plugin iconengines/qsvgicon?)")
    with tempfile.TemporaryDirectory() as tmp:
        factory, settings, tasks, office, states, db_path = open_context(
            args.db, synchronous=True, settings_path=Path(tmp) / "preferencias.ini"
        )
        print(f"Base de datos: {describe_url(args.db)} ({len(states)} entidades en el catálogo)")
        if len(states) != 32:
            problems.append(f"el catálogo tiene {len(states)} entidades, se esperaban 32")
        window = MainWindow(AppContext(factory, settings, tasks, office or Office(None), db_path,
                                       db_label=describe_url(args.db)))
        window.show()
        app.processEvents()
        print(f"Ventana principal: {window.windowTitle()} (plataforma Qt: {app.platformName()})")
        window.close()
        app.processEvents()
        del window
    for problem in problems:
        print(f"Error: {problem}", file=sys.stderr)
    print("Prueba de arranque: " + ("correcta" if not problems else f"{len(problems)} problema(s)"))
    return 1 if problems else 0
