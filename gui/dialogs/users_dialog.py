"""«Usuarios…» (administrators): the list of users, add one, reset a password, activate or deactivate.

Every change goes through ``models.services.users`` with the signed-in administrator as the actor, so the
permission check and the audit entry happen in the service, in one transaction per change.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.enums import UserRole
from models.services import office as office_svc
from models.services import users

COLUMNS = ("Usuario", "Nombre", "Rol", "Entidad", "Estado")


class NewUserDialog(QDialog):
    """The fields of a new user; the caller saves them."""

    def __init__(self, states: list[office_svc.StateInfo], default_state: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Nuevo usuario")
        form = QFormLayout(self)
        self.username = QLineEdit()
        self.full_name = QLineEdit()
        self.role = QComboBox()
        for role in UserRole:
            self.role.addItem(role.label, role.value)
        self.role.setCurrentIndex(self.role.findData(UserRole.CAPTURISTA.value))
        self.state = QComboBox()
        self.state.addItem("Nacional (todas las entidades)", None)
        for s in states:
            self.state.addItem(s.name, s.id)
        if default_state is not None:
            self.state.setCurrentIndex(self.state.findData(default_state))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        for label, widget in (("&Usuario:", self.username), ("&Nombre completo:", self.full_name), ("&Rol:", self.role),
                              ("&Entidad:", self.state), ("&Contraseña:", self.password),
                              ("R&epita la contraseña:", self.repeat)):
            form.addRow(label, widget)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #9F2241;")
        self.error.setWordWrap(True)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class UsersDialog(QDialog):
    """Administration of the users of this database."""

    def __init__(self, factory, actor: str, office_state: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.factory, self.actor, self.office_state = factory, actor, office_state
        self.setWindowTitle("Usuarios")
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        layout.addWidget(self.table)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Agregar…")
        self.reset_button = QPushButton("&Restablecer contraseña…")
        self.toggle_button = QPushButton("&Desactivar")
        close = QPushButton("Cerrar")
        for b in (self.add_button, self.reset_button, self.toggle_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)
        self.add_button.clicked.connect(self.add_user)
        self.reset_button.clicked.connect(self.reset_selected)
        self.toggle_button.clicked.connect(self.toggle_selected)
        close.clicked.connect(self.accept)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        with factory() as session:
            self.states = office_svc.list_states(session, adhered_only=True)
        self.reload()

    def reload(self) -> None:
        names = {s.id: s.short_name for s in self.states}
        with self.factory() as session:
            self.rows = users.list_users(session)
        self.table.setRowCount(len(self.rows))
        for r, u in enumerate(self.rows):
            values = (u.username, u.full_name, u.role_label, names.get(u.state_id, "Nacional"),
                      "Activo" if u.active else "Desactivado")
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self._selection_changed()

    def selected(self) -> users.UserInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        user = self.selected()
        self.reset_button.setEnabled(user is not None)
        self.toggle_button.setEnabled(user is not None and user.username.lower() != self.actor.lower())
        self.toggle_button.setText("&Activar" if user is not None and not user.active else "&Desactivar")

    def _do(self, work, done_text: str) -> bool:
        try:
            with self.factory.begin() as session:
                work(session)
        except (ValueError, PermissionError) as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(done_text)
        self.reload()
        return True

    def save_new(self, dialog: NewUserDialog) -> bool:
        if dialog.password.text() != dialog.repeat.text():
            dialog.error.setText("Las contraseñas no coinciden.")
            return False
        name = dialog.username.text().strip()
        ok = self._do(lambda s: users.add_user(s, self.actor, name, dialog.full_name.text(), dialog.role.currentData(),
                                               dialog.state.currentData(), dialog.password.text()),
                      f"Usuario «{name}» creado.")
        if not ok:
            dialog.error.setText(self.message.text())
        return ok

    def add_user(self) -> None:
        dialog = NewUserDialog(self.states, self.office_state, self)
        while dialog.exec() == QDialog.DialogCode.Accepted:
            if self.save_new(dialog):
                return

    def reset_password(self, username: str, password: str) -> bool:
        return self._do(lambda s: users.reset_password(s, self.actor, username, password),
                        f"Contraseña de «{username}» restablecida.")

    def reset_selected(self) -> None:
        from PySide6.QtWidgets import QInputDialog

        user = self.selected()
        if user is None:
            return
        password, ok = QInputDialog.getText(self, "Restablecer contraseña", f"Contraseña nueva de «{user.username}»:",
                                            QLineEdit.EchoMode.Password)
        if ok:
            self.reset_password(user.username, password)

    def toggle_selected(self) -> None:
        user = self.selected()
        if user is None:
            return
        if user.active and QMessageBox.question(
                self, "Desactivar usuario", f"¿Desactivar a «{user.username}»? Ya no podrá iniciar sesión.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No) != QMessageBox.StandardButton.Yes:
            return
        self._do(lambda s: users.set_active(s, self.actor, user.username, not user.active),
                 f"«{user.username}» {'activado' if not user.active else 'desactivado'}.")
