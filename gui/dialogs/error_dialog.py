"""Readable error dialogs: a Spanish sentence first, the technical details behind a button."""
from __future__ import annotations

import logging
import sys
import traceback

from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from gui.tasks import TaskFailure

log = logging.getLogger(__name__)


def show_error(parent: QWidget | None, message: str, details: str = "") -> None:
    """A modal error box with an optional "Mostrar detalles…" section."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Coordinación Estatal")
    box.setText(message)
    if details:
        box.setDetailedText(details)
    box.exec()


def show_failure(parent: QWidget | None, failure: TaskFailure) -> None:
    """Report a failed background task."""
    show_error(
        parent,
        "No se pudo completar la operación. No se guardó ningún cambio parcial.\n\n" + str(failure.exception),
        failure.traceback,
    )


def install_excepthook() -> None:
    """Log any uncaught exception and show it as a dialog instead of crashing silently."""

    def hook(exc_type, exc, tb):
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.critical("Uncaught exception:\n%s", details)
        if QApplication.instance() is not None:
            show_error(
                QApplication.activeWindow(),
                "Ocurrió un error inesperado. Los datos guardados no se perdieron; "
                "si el problema continúa, envíe los detalles a soporte.",
                details,
            )
        else:  # pragma: no cover
            sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = hook
