"""«Firmas de los reportes»: the signature block (Elaboró / Revisó / Vo. Bo.) printed under every report, with a
name and a post for each; stored in the office's database through ``report_settings``."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from gui.context import AppContext
from gui.tasks import TaskFailure
from models.services import report_settings as rs

PLACEHOLDERS = {
    "Elaboró": ("Nombre de quien elabora", "Cargo, p. ej. Jefa de Departamento de Planeación"),
    "Revisó": ("Nombre de quien revisa", "Cargo, p. ej. Subdirector de Servicios de Salud"),
    "Vo. Bo.": ("Nombre de quien da el visto bueno", "Cargo, p. ej. Coordinador Estatal"),
}


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldError")
    label.setWordWrap(True)
    label.hide()
    return label


def _mark_invalid(widget: QWidget, invalid: bool) -> None:
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class SignatoriesDialog(QDialog):
    """Edits the three signatories in one write; ``saved(tuple[Signatory, ...])`` after it is stored."""

    saved = Signal(object)

    def __init__(self, ctx: AppContext, current: tuple[rs.Signatory, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Firmas de los reportes")
        self.setModal(True)
        layout = QVBoxLayout(self)
        intro = QLabel("Se imprimen al pie de cada reporte, en este orden. Un nombre vacío deja sólo la línea para "
                       "firmar. Se guardan en la base de datos de la oficina (viajan con sus respaldos).")
        intro.setObjectName("formHint")
        intro.setWordWrap(True)
        layout.addWidget(intro)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        for column, text in ((1, "Nombre"), (2, "Cargo")):
            heading = QLabel(f"<b>{text}</b>")
            grid.addWidget(heading, 0, column)
        by_role = {s.role: s for s in current}
        self.names: dict[str, QLineEdit] = {}
        self.posts: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        row = 1
        for role in rs.ROLES:
            signatory = by_role.get(role, rs.Signatory(role))
            name, post = QLineEdit(signatory.name), QLineEdit(signatory.post)
            name.setPlaceholderText(PLACEHOLDERS[role][0])
            post.setPlaceholderText(PLACEHOLDERS[role][1])
            name.setMinimumWidth(260)
            post.setMinimumWidth(260)
            label = QLabel(f"{role}:")
            label.setBuddy(name)
            grid.addWidget(label, row, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            grid.addWidget(name, row, 1)
            grid.addWidget(post, row, 2)
            error = _error_label()
            grid.addWidget(error, row + 1, 1, 1, 2)
            self.names[role], self.posts[role], self.errors[role] = name, post, error
            for edit in (name, post):
                edit.textEdited.connect(lambda _t: self._live_check())
            row += 2
        layout.addLayout(grid)
        self.message = _error_label()
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Guardar")
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Guardar las firmas (Ctrl+S)")
        self.save_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancelar")
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        self._checked_once = False
        self.resize(720, self.sizeHint().height())

    def signatories(self) -> list[rs.Signatory]:
        """The three signatories as typed."""
        return [rs.Signatory(role, self.names[role].text(), self.posts[role].text()) for role in rs.ROLES]

    def show_errors(self, errors: dict[str, str]) -> None:
        """Show ``check_signatories`` messages under their row and outline the fields."""
        for role in rs.ROLES:
            messages = [m for key, m in errors.items() if key.startswith(f"{role}.")]
            self.errors[role].setText(" ".join(messages))
            self.errors[role].setVisible(bool(messages))
            _mark_invalid(self.names[role], f"{role}.name" in errors)
            _mark_invalid(self.posts[role], f"{role}.post" in errors)

    def error_text(self) -> str:
        """Every message shown (for tests and screen readers)."""
        labels = [*self.errors.values(), self.message]
        return " ".join(label.text() for label in labels if label.isVisibleTo(self) and label.text())

    def _live_check(self) -> None:
        if self._checked_once:  # after a refused save, messages follow the typing
            self.show_errors(rs.check_signatories(self.signatories()))

    def save(self) -> None:
        """Validate, then write in one transaction; the dialog closes when it is stored."""
        signatories = self.signatories()
        errors = rs.check_signatories(signatories)
        self._checked_once = True
        self.show_errors(errors)
        self.message.hide()
        if errors or not self.save_button.isEnabled():
            return
        self.save_button.setEnabled(False)
        user = self.ctx.username
        self.ctx.run_write(lambda s: rs.set_signatories(s, signatories, user), self._saved, self._failed)

    def _saved(self, stored: tuple[rs.Signatory, ...]) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(stored)
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self.save_button.setEnabled(True)
        if isinstance(failure.exception, (ValueError, PermissionError)):  # invalid text; role without permission
            self.message.setText(str(failure.exception))
            self.message.show()
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)
