"""Crash safety of the desktop session: one window per database, the start-up integrity check that offers the
newest good backup, automatic daily/closing backups, and «Restaurar…» from the menu."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from gui import backups as B
from gui import settings as S
from gui.app import create_application
from gui.context import AppContext
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.services import backup
from tests.helpers import new_establishment, table_dump

HOLDER = textwrap.dedent("""
    import sys, time
    from PySide6.QtCore import QLockFile
    lock = QLockFile(sys.argv[1])
    lock.setStaleLockTime(0)
    assert lock.tryLock(1000)
    print("locked", flush=True)
    time.sleep(60)
""")


def hold_lock(db: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(B.lock_path(db))], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_window_on_the_same_database_is_refused_with_a_clear_message(db_path):
    holder = hold_lock(db_path)
    try:
        lock, reason = B.acquire_instance_lock(db_path)
        assert lock is None
        assert "ya está abierta en otra ventana" in reason and f"proceso {holder.pid}" in reason
    finally:
        holder.kill()
        holder.wait()


def test_a_lock_left_by_a_crashed_window_is_taken_over(db_path):
    holder = hold_lock(db_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert B.lock_path(db_path).exists()  # the crash left its lock file behind
    lock, reason = B.acquire_instance_lock(db_path)
    assert lock is not None and reason == ""
    again, _ = B.acquire_instance_lock(db_path)  # and now this window holds it
    assert again is None
    lock.unlock()


# ------------------------------------------------------------------------------------------------ start-up

@pytest.fixture
def backed_up(engine, factory, bc, db_path, tmp_path):
    """A database with one establishment, a good backup of it in a folder, then a later edit."""
    new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    folder = tmp_path / "respaldos"
    made = backup.backup_to_folder(db_path, folder, now=datetime(2026, 11, 20, 18, 0))
    expected = table_dump(engine)
    new_establishment(factory, bc.id, "BCIMB000734", "HG Tijuana", "SEGUNDO")
    engine.dispose()
    return folder, made.path, expected


def scribble(db: Path) -> None:
    data = bytearray(db.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for start in range(2 * page, len(data), 2 * page):
        data[start:start + page // 2] = b"\xa5" * (page // 2)
    db.write_bytes(bytes(data))
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


def test_a_sound_database_opens_without_asking(backed_up, db_path):
    folder, _, _ = backed_up
    asked = []
    assert B.recover_if_damaged(db_path, folder, lambda t: asked.append(t) or True, asked.append) == B.OK
    assert asked == []


def test_a_damaged_database_offers_the_newest_good_backup_and_restores_it(backed_up, db_path, engine):
    folder, good, expected = backed_up
    bad = folder / backup.backup_file_name(datetime(2026, 11, 22, 9, 0))  # newer, but not a database
    bad.write_bytes(b"no soy una base de datos" * 100)
    scribble(db_path)
    questions, notes = [], []
    outcome = B.recover_if_damaged(db_path, folder, lambda text: questions.append(text) or True, notes.append)
    assert outcome == B.RESTORED
    assert "está dañada" in questions[0] and "20/11/2026 18:00" in questions[0]  # the good one, not the newer bad one
    assert "Se restauró el respaldo del 20/11/2026 18:00" in notes[0]
    assert backup.quick_check(db_path) == []
    assert table_dump(engine) == expected
    assert list(db_path.parent.glob("*antes-de-restaurar*"))  # the damaged file was kept aside


def test_declining_the_restore_leaves_the_damaged_file_alone(backed_up, db_path):
    folder, _, _ = backed_up
    scribble(db_path)
    before = db_path.read_bytes()
    assert B.recover_if_damaged(db_path, folder, lambda text: False, lambda text: None) == B.ABORT
    assert db_path.read_bytes() == before


def test_a_damaged_database_without_backups_says_where_it_looked(backed_up, db_path, tmp_path):
    scribble(db_path)
    notes = []
    empty = tmp_path / "vacia"
    assert B.recover_if_damaged(db_path, empty, lambda text: True, notes.append) == B.ABORT
    assert "No hay respaldos válidos" in notes[0] and str(empty) in notes[0]


# ------------------------------------------------------------------------------------------------ automatic

@pytest.fixture
def controller(qtbot, engine, factory, bc, db_path, tmp_path):
    create_application([])
    new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    settings = Settings(tmp_path / "prefs.ini")
    settings.set(S.BACKUP_DIR, str(tmp_path / "usb"))
    with factory() as session:
        from models.services import office as office_svc

        office = office_svc.get_office(session)
    ctx = AppContext(factory, settings, TaskRunner(synchronous=True), office, db_path, "ana")
    return B.BackupController(ctx, None)


def test_the_daily_backup_is_taken_when_none_is_a_day_old(controller, tmp_path):
    folder = tmp_path / "usb"
    assert controller.folder == folder and controller.is_due()
    messages = []
    controller.finished.connect(messages.append)
    controller.backup_if_due()
    assert len(backup.rotated_backups(folder)) == 1 and "Respaldo guardado en" in messages[0]
    assert not controller.is_due()
    controller.backup_if_due()  # not due again the same day
    assert len(backup.rotated_backups(folder)) == 1
    assert controller.is_due(datetime.now() + timedelta(days=1, minutes=1))


def test_the_closing_backup_is_verified_and_named_by_date(controller, tmp_path):
    text = controller.backup_at_close()
    [path] = backup.rotated_backups(tmp_path / "usb")
    assert text == f"Respaldo guardado en {path}."
    assert backup.verify_backup(path).ok


def test_restore_from_the_menu_replaces_the_database_after_confirmation(controller, factory, bc, db_path, engine,
                                                                      monkeypatch):
    made = backup.backup_to_folder(db_path, controller.folder)
    expected = table_dump(engine)
    new_establishment(factory, bc.id, "BCIMB000734", "HG Tijuana", "SEGUNDO")
    shown = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: shown.append(text))
    assert controller.restore_from(made.path)
    assert "Base de datos restaurada" in shown[0] and controller.skip_close_backup
    assert table_dump(engine) == expected


def test_restore_of_an_invalid_file_is_refused_and_changes_nothing(controller, db_path, engine, tmp_path, monkeypatch):
    bogus = tmp_path / "respaldo-falso.sqlite3"
    bogus.write_bytes(b"CLUES,NOMBRE\n" * 100)
    before = table_dump(engine)
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warnings.append(text))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: pytest.fail("must not ask to confirm"))
    assert not controller.restore_from(bogus)
    assert "el respaldo no es válido" in warnings[0]
    assert table_dump(engine) == before
