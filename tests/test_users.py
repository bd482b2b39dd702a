"""Users, sign-in and permissions, checked at the service level (not only in the widgets), and the headless
``users`` commands with the sign-in every command runs once users exist."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from gui.cli import build_parser, run_headless
from models.entities import AuditEntry, User
from models.enums import UserRole
from models.services import establishments as est_svc
from models.services import office as office_svc
from models.services import report_settings as rs
from models.services import users
from models.services import weekend as wk
from tests.helpers import new_establishment

PASSWORD = "Bienestar-2026"


@pytest.fixture
def team(factory, bc):
    """An administrator, and one user of each other role scoped to Baja California."""
    with factory.begin() as s:
        users.create_first_admin(s, "admin", "Administración", PASSWORD)
        for name, role in (("coord", UserRole.COORDINADOR), ("captura", UserRole.CAPTURISTA),
                           ("consulta", UserRole.CONSULTA)):
            users.add_user(s, "admin", name, f"Usuario {name}", role, bc.id, PASSWORD)
    return bc


def sonora(factory):
    with factory() as s:
        return office_svc.find_state(s, "SR").id


def test_setup_mode_allows_everything_until_the_first_administrator_exists(factory, bc):
    with factory.begin() as s:
        assert not users.has_users(s)
        users.require(s, "cualquiera", users.RETIRE, bc.id)  # no exception: nobody to check against
        admin = users.create_first_admin(s, "admin", "Administración", PASSWORD)
    assert admin.role == UserRole.ADMINISTRADOR.value and admin.state_id is None
    with factory.begin() as s, pytest.raises(PermissionError, match="Ya existe un administrador"):
        users.create_first_admin(s, "otro", "", PASSWORD)
    with factory.begin() as s, pytest.raises(PermissionError, match="no existe"):
        users.require(s, "cualquiera", users.EDIT, bc.id)


def test_capturer_creates_and_edits_but_cannot_retire_set_targets_or_settings(factory, team):
    est = new_establishment(factory, team.id, "BCIMB000101", "CS Mexicali", "PRIMER", user="admin")
    with factory.begin() as s:
        created = est_svc.create_establishment(s, replace(est, id=None, uuid=None, version=None, clues="BCIMB000102",
                                                          name="CS San Felipe"), "captura")
        est_svc.update_establishment(s, replace(created, name="CS SAN FELIPE"), "captura")
    with factory.begin() as s, pytest.raises(PermissionError, match="Capturista.*dar de baja"):
        est_svc.retire_establishment(s, created.id, "duplicado", date(2026, 1, 5), "captura")
    with factory.begin() as s, pytest.raises(PermissionError, match="fijar metas"):
        wk.set_target(s, team.id, 50, "captura", office_svc.Office(None))
    with factory.begin() as s, pytest.raises(PermissionError, match="configuración"):
        rs.set_signatories(s, [rs.Signatory("Elaboró", "X")], "captura")
    with factory() as s:  # the refused retirement changed nothing
        assert est_svc.get_establishment(s, created.id).retired is False


def test_read_only_user_cannot_write_anything(factory, team):
    est = new_establishment(factory, team.id, "BCIMB000101", "CS Mexicali", "PRIMER", user="admin")
    with factory.begin() as s, pytest.raises(PermissionError, match="Solo consulta"):
        est_svc.update_establishment(s, replace(est, name="otro"), "consulta")
    with factory.begin() as s, pytest.raises(PermissionError, match="Solo consulta"):
        est_svc.create_establishment(s, replace(est, id=None, uuid=None, version=None, clues="BCIMB000103"), "consulta")


def test_coordinator_retires_in_their_state_but_not_in_another(factory, team):
    est = new_establishment(factory, team.id, "BCIMB000101", "CS Mexicali", "PRIMER", user="admin")
    other = new_establishment(factory, sonora(factory), "SRIMB000101", "CS Hermosillo", "PRIMER", user="admin")
    with factory.begin() as s:
        est_svc.retire_establishment(s, est.id, "cierre", date(2026, 1, 5), "coord")
        rs.set_signatories(s, [rs.Signatory("Elaboró", "Ana")], "coord")
    with factory.begin() as s, pytest.raises(PermissionError, match="otra entidad.*Sonora"):
        est_svc.retire_establishment(s, other.id, "cierre", date(2026, 1, 5), "coord")
    with factory.begin() as s, pytest.raises(PermissionError, match="administrar usuarios"):
        users.add_user(s, "coord", "nuevo", "", UserRole.CAPTURISTA, team.id, PASSWORD)


def test_a_state_user_cannot_move_a_record_into_another_state(factory, team):
    est = new_establishment(factory, team.id, "BCIMB000101", "CS Mexicali", "PRIMER", user="admin")
    with factory.begin() as s, pytest.raises(PermissionError, match="otra entidad"):
        est_svc.update_establishment(s, replace(est, state_id=sonora(factory)), "captura")


def test_passwords_are_hashed_with_scrypt_and_never_stored_or_audited_in_clear(factory, team):
    with factory() as s:
        stored = s.scalars(select(User.password_hash).where(User.username == "captura")).one()
        audit_text = " ".join(f"{e.before_json} {e.after_json}" for e in s.scalars(select(AuditEntry)))
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert PASSWORD not in audit_text
    assert users.check_password(PASSWORD, stored) and not users.check_password(PASSWORD + "x", stored)


def test_failed_sign_ins_delay_the_next_try_and_a_success_resets_them(factory, team):
    now = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    for _ in range(users.FREE_ATTEMPTS - 1):
        with pytest.raises(users.AuthError, match="incorrectos.$"):
            users.sign_in(factory, "captura", "equivocada", now)
    with pytest.raises(users.AuthError, match="Espere 5 segundos"):
        users.sign_in(factory, "captura", "equivocada", now)
    with pytest.raises(users.AuthError, match="Demasiados intentos"):  # even the right password waits
        users.sign_in(factory, "captura", PASSWORD, now + timedelta(seconds=2))
    with pytest.raises(users.AuthError, match="Espere 10 segundos"):  # the delay doubles
        users.sign_in(factory, "captura", "equivocada", now + timedelta(seconds=6))
    info = users.sign_in(factory, "captura", PASSWORD, now + timedelta(seconds=17))
    assert info.username == "captura" and info.can(users.EDIT, team.id) and not info.can(users.RETIRE, team.id)
    with factory() as s:
        user = users.find_user(s, "captura")
        assert user.failed_attempts == 0 and user.locked_until is None


def test_unknown_user_and_wrong_password_get_the_same_message(factory, team):
    with pytest.raises(users.AuthError) as unknown:
        users.sign_in(factory, "nadie", PASSWORD)
    with pytest.raises(users.AuthError) as wrong:
        users.sign_in(factory, "consulta", "equivocada")
    assert str(unknown.value) == str(wrong.value) == "Usuario o contraseña incorrectos."


def test_password_change_and_administrator_reset(factory, team):
    with factory.begin() as s, pytest.raises(ValueError, match="al menos 8"):
        users.change_password(s, "captura", PASSWORD, "corta")
    with factory.begin() as s:
        users.change_password(s, "captura", PASSWORD, "Nueva-clave-1")
    assert users.sign_in(factory, "captura", "Nueva-clave-1").username == "captura"
    with factory.begin() as s, pytest.raises(PermissionError):
        users.reset_password(s, "coord", "captura", "Otra-clave-22")
    with factory.begin() as s:
        users.reset_password(s, "admin", "captura", "Otra-clave-22")
    assert users.sign_in(factory, "captura", "Otra-clave-22").username == "captura"


def run(argv, capsys):
    code = run_headless(build_parser().parse_args(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_headless_users_and_sign_in(db_path, factory, bc, monkeypatch, capsys):
    db = ["--db", str(db_path)]
    monkeypatch.setenv("COORDINACION_NEW_PASSWORD", PASSWORD)
    assert run([*db, "users", "add", "admin", "--name", "Administración"], capsys)[0] == 0  # setup mode: first admin
    code, _, err = run([*db, "users", "list"], capsys)
    assert code == 5 and "COORDINACION_PASSWORD" in err  # now every command needs a sign-in
    monkeypatch.setenv("COORDINACION_PASSWORD", "equivocada")
    code, _, err = run([*db, "--user", "admin", "users", "list"], capsys)
    assert code == 5 and "incorrectos" in err
    monkeypatch.setenv("COORDINACION_PASSWORD", PASSWORD)
    code, out, _ = run([*db, "--user", "admin", "users", "add", "ana", "--role", "CAPTURISTA", "--state", "BC",
                        "--name", "Ana Pérez"], capsys)
    assert code == 0 and "Usuario «ana» creado (Capturista)" in out
    code, out, _ = run([*db, "--user", "admin", "users", "list"], capsys)
    assert "ana" in out and "Capturista" in out and "Baja California" in out
    code, _, err = run([*db, "--user", "ana", "users", "add", "luis"], capsys)
    assert code == 2 and "administrar usuarios" in err  # the service refuses, not just the UI
