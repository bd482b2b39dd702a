"""Sign-in dialogs: the first start creates the administrator; later starts sign in, with the delay after
failed attempts shown in the dialog, and the signed-in user's role decides what the UI offers."""
from __future__ import annotations

from gui.app import create_application
from gui.context import AppContext
from gui.dialogs.sign_in_dialog import FirstAdminDialog, SignInDialog
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.enums import UserRole
from models.services import users

PASSWORD = "Bienestar-2026"


def test_first_start_creates_the_administrator_and_checks_the_repeat(qtbot, factory, bc):
    create_application([])
    dialog = FirstAdminDialog(factory, username="jefa")
    qtbot.addWidget(dialog)
    dialog.full_name.setText("Laura Gómez")
    dialog.password.setText(PASSWORD)
    dialog.repeat.setText(PASSWORD + "x")
    dialog.try_accept()
    assert dialog.error.text() == "Las contraseñas no coinciden." and dialog.user is None
    dialog.repeat.setText(PASSWORD)
    dialog.try_accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert dialog.user.username == "jefa" and dialog.user.role == UserRole.ADMINISTRADOR.value
    with factory() as s:
        assert users.has_users(s)


def test_sign_in_shows_the_refusal_and_then_lets_the_right_password_in(qtbot, factory, bc, tmp_path):
    create_application([])
    with factory.begin() as s:
        users.create_first_admin(s, "admin", "", PASSWORD)
        users.add_user(s, "admin", "ana", "Ana", UserRole.CAPTURISTA, bc.id, PASSWORD)
    dialog = SignInDialog(factory, "Coordinación Estatal Baja California", username="ana")
    qtbot.addWidget(dialog)
    dialog.password.setText("equivocada")
    dialog.try_accept()
    assert dialog.error.text() == "Usuario o contraseña incorrectos." and dialog.password.text() == ""
    dialog.password.setText(PASSWORD)
    dialog.try_accept()
    assert dialog.result() == dialog.DialogCode.Accepted and dialog.user.username == "ana"
    ctx = AppContext(factory, Settings(tmp_path / "prefs.ini"), TaskRunner(synchronous=True), None,
                     None, dialog.user.username, dialog.user)
    assert ctx.can(users.EDIT, bc.id) and not ctx.can(users.RETIRE, bc.id) and not ctx.can(users.USERS)


def test_users_dialog_adds_resets_and_deactivates_through_the_services(qtbot, factory, bc, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from gui.dialogs.users_dialog import NewUserDialog, UsersDialog

    create_application([])
    with factory.begin() as s:
        users.create_first_admin(s, "admin", "Administración", PASSWORD)
    dialog = UsersDialog(factory, "admin", bc.id)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == 1
    new = NewUserDialog(dialog.states, bc.id, dialog)
    new.username.setText("luis")
    new.full_name.setText("Luis Ibáñez")
    new.password.setText("corta")
    new.repeat.setText("corta")
    assert not dialog.save_new(new) and "al menos 8" in new.error.text()
    new.password.setText(PASSWORD)
    new.repeat.setText(PASSWORD)
    assert dialog.save_new(new)
    assert dialog.table.rowCount() == 2 and dialog.table.item(1, 2).text() == "Capturista"
    assert dialog.table.item(1, 3).text() == "Baja California"
    assert dialog.reset_password("luis", "Otra-clave-22")
    assert users.sign_in(factory, "luis", "Otra-clave-22").username == "luis"
    dialog.table.selectRow(1)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.toggle_selected()
    assert dialog.table.item(1, 4).text() == "Desactivado"
    dialog.table.selectRow(0)
    assert not dialog.toggle_button.isEnabled()  # an administrator cannot deactivate themself here
    other = UsersDialog(factory, "luis", bc.id)  # a deactivated (or non-admin) actor is refused by the service
    qtbot.addWidget(other)
    assert not other.reset_password("admin", "Cualquier-1") and "no existe o está desactivado" in other.message.text()


def test_the_window_hides_what_the_role_may_not_do(qtbot, factory, bc, window_db_path, tmp_path):
    from gui.main_window import MainWindow

    create_application([])
    with factory.begin() as s:
        users.create_first_admin(s, "admin", "", PASSWORD)
        users.add_user(s, "admin", "consulta", "", UserRole.CONSULTA, bc.id, PASSWORD)
        users.add_user(s, "admin", "captura", "", UserRole.CAPTURISTA, bc.id, PASSWORD)
    with factory() as s:
        office = __import__("models.services.office", fromlist=["x"]).get_office(s)

    def window(name):
        info = users.sign_in(factory, name, PASSWORD)
        ctx = AppContext(factory, Settings(tmp_path / f"{name}.ini"), TaskRunner(synchronous=True), office, window_db_path,
                         info.username, info)
        w = MainWindow(ctx)
        qtbot.addWidget(w)
        return w

    reader = window("consulta")
    assert not reader.establishments.new_action.isVisible() and not reader.establishments.retire_action.isVisible()
    assert not reader.weekend.target_action.isVisible() and not reader.authorisations.import_button.isVisibleTo(reader)
    assert not reader.reports.signatories_button.isVisibleTo(reader) and not reader.users_action.isVisible()
    assert reader.establishments.export_action.isVisible()  # consulting and printing stay
    capturer = window("captura")
    assert capturer.establishments.new_action.isVisible() and capturer.establishments.import_action.isVisible()
    assert not capturer.establishments.retire_action.isVisible() and not capturer.weekend.target_action.isVisible()
    admin = window("admin")
    assert admin.users_action.isVisible() and admin.establishments.retire_action.isVisible()
