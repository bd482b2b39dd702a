"""Sign-in at start, and the first start's «create the administrator» form. Both check through
``models.services.users`` (the failed-attempt delay and the audit live there), in the caller's database."""
from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from models.services import users


class _Form(QDialog):
    def __init__(self, title: str, heading: str, hint: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        label = QLabel(heading)
        label.setObjectName("pageTitle")
        layout.addWidget(label)
        text = QLabel(hint)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.error = QLabel("")
        self.error.setObjectName("errorLabel")
        self.error.setStyleSheet("color: #9F2241;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _line(self, label: str, password: bool = False) -> QLineEdit:
        edit = QLineEdit()
        if password:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.form.addRow(label, edit)
        return edit

    def try_accept(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class SignInDialog(_Form):
    """«Iniciar sesión»: user name and password; ``user`` holds the signed-in user after acceptance."""

    def __init__(self, factory, office_label: str, parent: QWidget | None = None, username: str = ""):
        super().__init__("Iniciar sesión", "Coordinación Estatal", f"{office_label}\nEscriba su usuario y contraseña.",
                         parent)
        self.factory = factory
        self.user: users.UserInfo | None = None
        self.username = self._line("&Usuario:")
        self.username.setText(username)
        self.password = self._line("&Contraseña:", password=True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Entrar")
        (self.password if username else self.username).setFocus()
        self.resize(420, self.sizeHint().height())

    def try_accept(self) -> None:
        try:
            self.user = users.sign_in(self.factory, self.username.text(), self.password.text())
        except users.AuthError as exc:
            self.error.setText(str(exc))
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()


class FirstAdminDialog(_Form):
    """First start (or a database without users): create the administrator, who then is signed in."""

    def __init__(self, factory, parent: QWidget | None = None, username: str = ""):
        super().__init__("Crear administrador", "Cree el usuario administrador",
                         "Esta base de datos todavía no tiene usuarios. El administrador da de alta a las demás "
                         "personas (coordinación, captura y consulta) y puede restablecer sus contraseñas.", parent)
        self.factory = factory
        self.user: users.UserInfo | None = None
        self.username = self._line("&Usuario:")
        self.username.setText(username)
        self.full_name = self._line("&Nombre completo:")
        self.password = self._line("&Contraseña:", password=True)
        self.repeat = self._line("&Repita la contraseña:", password=True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Crear y entrar")
        self.resize(460, self.sizeHint().height())

    def try_accept(self) -> None:
        if self.password.text() != self.repeat.text():
            self.error.setText("Las contraseñas no coinciden.")
            return
        try:
            with self.factory.begin() as session:
                self.user = users.create_first_admin(session, self.username.text(), self.full_name.text(),
                                                     self.password.text())
        except (ValueError, PermissionError) as exc:
            self.error.setText(str(exc))
            return
        self.accept()
