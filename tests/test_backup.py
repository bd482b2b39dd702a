"""Backups: round trip, refusal of damaged backups, rotation, integrity/audit check, and the headless commands."""
from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gui import cli
from gui.cli_admin import add_admin
from models.db import make_engine
from models.schema import SCHEMA_VERSION
from models.services import backup
from models.services import establishments as svc
from tests.helpers import new_establishment, table_dump


def run_cli(monkeypatch, capsys, *argv: str) -> tuple[int, str, str]:
    """Parse and run a subcommand in-process through the app's own parser (with the admin commands added)."""
    if add_admin not in cli.REGISTRARS:
        monkeypatch.setattr(cli, "REGISTRARS", [*cli.REGISTRARS, add_admin])
    args = cli.build_parser().parse_args(list(argv))
    code = cli.run_headless(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def filled(engine, factory, bc):
    """A database with two establishments and three audit entries."""
    first = new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    new_establishment(factory, bc.id, "BCIMB000734", "HG Tijuana", "SEGUNDO")
    with factory.begin() as s:
        svc.update_establishment(s, replace(first, name="HG de Mexicali"), "ana")
    return engine


def damage(path: Path, how: str) -> None:
    data = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(bytes(data[: len(data) // 3]))
    elif how == "garbage-pages":
        page = int.from_bytes(data[16:18], "big") or 65536
        for start in range(2 * page, len(data), 3 * page):  # keep the header, scribble over b-tree pages
            data[start:start + page // 2] = b"\xa5" * (page // 2)
        path.write_bytes(bytes(data))
    elif how == "not-a-database":
        path.write_bytes(b"CLUES,NOMBRE\n" * 500)
    elif how == "empty":
        path.write_bytes(b"")


def test_backup_then_restore_gives_back_exactly_the_backed_up_data(filled, factory, bc, db_path, tmp_path):
    before = table_dump(filled)
    out = backup.backup_to(db_path, tmp_path / "respaldos" / "copia.sqlite3")
    assert backup.verify_backup(out).ok and backup.verify_backup(out).schema_version == SCHEMA_VERSION
    new_establishment(factory, bc.id, "BCIMB000010", "HG Ensenada", "SEGUNDO")  # made after the backup
    after_edit = table_dump(filled)
    assert after_edit != before
    filled.dispose()
    result = backup.restore(out, db_path, now=datetime(2026, 11, 23, 9, 30))
    assert result.previous_copy == tmp_path / "coordinacion.antes-de-restaurar-20261123-093000.sqlite3"
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(str(db_path) + suffix).exists()
    restored = make_engine(db_path)
    kept = make_engine(result.previous_copy)
    try:
        assert table_dump(restored) == before
        assert table_dump(kept) == after_edit  # the replaced file's data, WAL contents included
        assert backup.check(db_path).ok
    finally:
        restored.dispose()
        kept.dispose()


def test_backup_is_consistent_while_a_write_transaction_is_open(filled, db_path, tmp_path):
    before = table_dump(filled)
    with filled.connect() as conn:
        conn.exec_driver_sql("UPDATE establishments SET name = 'A MEDIO ESCRIBIR'")  # opens the transaction
        out = backup.backup_to(db_path, tmp_path / "copia.sqlite3")
        conn.rollback()
    copy = make_engine(out)
    try:
        assert table_dump(copy) == before
    finally:
        copy.dispose()


@pytest.mark.parametrize("how", ["truncated", "garbage-pages", "not-a-database", "empty"])
def test_a_damaged_backup_is_refused_and_the_current_database_is_untouched(filled, db_path, tmp_path, how):
    out = backup.backup_to(db_path, tmp_path / "copia.sqlite3")
    damage(out, how)
    assert not backup.verify_backup(out).ok
    before = table_dump(filled)
    filled.dispose()
    files_before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(backup.BackupError) as err:
        backup.restore(out, db_path)
    assert "No se restauró" in str(err.value) and "no se modificó" in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == files_before  # no copy, no temp file left behind
    assert table_dump(filled) == before


def test_restore_command_needs_yes_and_refuses_a_damaged_backup(filled, db_path, tmp_path, monkeypatch, capsys):
    out = tmp_path / "copia.sqlite3"
    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(db_path), "backup", "--out", str(out))
    assert code == 0 and "verificado" in stdout
    before = table_dump(filled)
    filled.dispose()

    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(db_path), "restore", str(out))
    assert code == 2 and "--yes" in stdout
    assert not list(tmp_path.glob("*antes-de-restaurar*"))

    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(db_path), "restore", str(out), "--yes")
    assert code == 0 and "restaurada" in stdout
    assert len(list(tmp_path.glob("coordinacion.antes-de-restaurar-*.sqlite3"))) == 1
    assert table_dump(filled) == before

    damage(out, "truncated")
    code, _, stderr = run_cli(monkeypatch, capsys, "--db", str(db_path), "restore", str(out), "--yes")
    assert code == 1 and "no es válido" in stderr
    assert table_dump(filled) == before


def test_backup_command_into_a_folder_rotates(filled, db_path, tmp_path, monkeypatch, capsys):
    folder = tmp_path / "usb"
    folder.mkdir()
    (folder / "notas.txt").write_text("no es un respaldo")
    for day in range(10):
        backup.backup_to(db_path, folder / backup.backup_file_name(datetime(2026, 11, 1 + day, 18, 0)))
    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(db_path), "backup", "--folder", str(folder))
    assert code == 0 and "eliminado" in stdout
    names = sorted(p.name for p in folder.iterdir())
    assert "notas.txt" in names
    assert len(backup.rotated_backups(folder)) <= 1 + 7 + 4 + 12


def test_backup_command_fails_plainly_without_a_database(tmp_path, monkeypatch, capsys):
    code, _, stderr = run_cli(monkeypatch, capsys, "--db", str(tmp_path / "no-existe.sqlite3"),
                              "backup", "--out", str(tmp_path / "x.sqlite3"))
    assert code == 1 and "No existe la base de datos" in stderr
    assert not (tmp_path / "no-existe.sqlite3").exists()


# --- rotation ---------------------------------------------------------------------------------------------

def test_rotation_keeps_seven_daily_four_weekly_twelve_monthly():
    start = datetime(2025, 1, 1, 18, 0)
    times = [start + timedelta(days=d) for d in range(500)]  # one backup a day, 2025-01-01 … 2026-05-15
    times += [t.replace(hour=9) for t in times[-3:]]  # and a morning one on the last three days
    keep = backup.backups_to_keep(times)
    assert len(times) == 503
    newest = max(times)
    assert newest == datetime(2026, 5, 15, 18, 0)
    daily = {newest - timedelta(days=d) for d in range(7)}  # the evening backup of each of the last 7 days
    # the newest of each of the last 4 ISO weeks (they end on Sunday): May 15, 10 (both daily already), 3, April 26
    sundays = {datetime(2026, 5, 10, 18), datetime(2026, 5, 3, 18), datetime(2026, 4, 26, 18)}
    month_ends = {datetime(2026, 4, 30, 18), datetime(2026, 3, 31, 18), datetime(2026, 2, 28, 18),
                  datetime(2026, 1, 31, 18), datetime(2025, 12, 31, 18), datetime(2025, 11, 30, 18),
                  datetime(2025, 10, 31, 18), datetime(2025, 9, 30, 18), datetime(2025, 8, 31, 18),
                  datetime(2025, 7, 31, 18), datetime(2025, 6, 30, 18)}
    assert keep == daily | sundays | month_ends  # May's newest is the newest overall, already a daily one
    assert len(keep) == 7 + 2 + 11
    assert all(t.hour == 18 for t in keep)  # the newest of each day, never the morning one


def test_rotation_counts_periods_that_have_backups_not_calendar_days():
    times = [datetime(2026, 1, 5, 8), datetime(2026, 3, 1, 8), datetime(2026, 3, 1, 20)]
    assert backup.backups_to_keep(times) == {datetime(2026, 1, 5, 8), datetime(2026, 3, 1, 20)}
    assert backup.backups_to_keep([]) == set()
    one = backup.RetentionPolicy(daily=1, weekly=0, monthly=0)
    assert backup.backups_to_keep(times, one) == {datetime(2026, 3, 1, 20)}


def test_backup_names_round_trip_and_other_files_are_ignored():
    when = datetime(2026, 11, 23, 7, 5, 9)
    assert backup.backup_file_name(when) == "respaldo-20261123-070509.sqlite3"
    assert backup.backup_time("respaldo-20261123-070509.sqlite3") == when
    assert backup.backup_time("respaldo-20261123-070509-2.sqlite3") == when
    for other in ("coordinacion.sqlite3", "respaldo-2026.sqlite3", "respaldo-20261399-000000.sqlite3", "notas.txt"):
        assert backup.backup_time(other) is None


def test_backup_to_folder_writes_a_timestamped_verified_file_and_rotates(filled, db_path, tmp_path):
    folder = tmp_path / "respaldos"
    policy = backup.RetentionPolicy(daily=2, weekly=0, monthly=0)
    results = [backup.backup_to_folder(db_path, folder, policy=policy, now=datetime(2026, 11, d, 12)) for d in (20, 21, 22)]
    assert results[-1].path.name == "respaldo-20261122-120000.sqlite3"
    assert [p.name for p in results[-1].removed] == ["respaldo-20261120-120000.sqlite3"]
    assert sorted(p.name for p in folder.iterdir()) == ["respaldo-20261121-120000.sqlite3", "respaldo-20261122-120000.sqlite3"]
    same_second = backup.backup_to_folder(db_path, folder, policy=policy, now=datetime(2026, 11, 22, 12))
    assert same_second.path.name == "respaldo-20261122-120000-2.sqlite3"


# --- check --------------------------------------------------------------------------------------------------

def test_check_reports_exactly_the_audit_entry_edited_in_the_file(filled, db_path, monkeypatch, capsys):
    assert backup.check(db_path).ok
    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(db_path), "check")
    assert code == 0 and "Sin problemas" in stdout
    filled.dispose()
    raw = sqlite3.connect(str(db_path))
    with raw:
        ids = [r[0] for r in raw.execute("SELECT id FROM audit_entries ORDER BY id")]
        assert len(ids) == 3
        raw.execute("UPDATE audit_entries SET after_json = replace(after_json, 'Tijuana', 'Tecate') WHERE id = ?", (ids[1],))
    raw.close()
    result = backup.check(db_path)
    assert (result.integrity, result.foreign_keys, result.audit_bad_ids) == ([], [], [ids[1]])
    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(db_path), "check")
    assert code == 1
    assert f"entrada n.º {ids[1]} " in stdout
    assert all(f"n.º {i} " not in stdout for i in ids if i != ids[1])


def test_check_reports_a_deleted_audit_entry_and_broken_references(filled, db_path, monkeypatch, capsys):
    filled.dispose()
    raw = sqlite3.connect(str(db_path))
    with raw:
        raw.execute("DELETE FROM audit_entries WHERE id = 2")
        raw.execute("PRAGMA foreign_keys=OFF")
    with raw:
        raw.execute("UPDATE establishments SET state_id = 999 WHERE clues = 'BCIMB000734'")
    raw.close()
    result = backup.check(db_path)
    assert result.audit_bad_ids == [3]  # the entry after the gap no longer links to its predecessor
    assert [(t, p) for t, _rowid, p in result.foreign_keys] == [("establishments", "states")]
    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(db_path), "check")
    assert code == 1 and "Referencia rota" in stdout and "n.º 3 " in stdout


def test_check_of_a_damaged_file_says_so_instead_of_crashing(filled, db_path, tmp_path, monkeypatch, capsys):
    copy = backup.backup_to(db_path, tmp_path / "danada.sqlite3")
    damage(copy, "garbage-pages")
    result = backup.check(copy)
    assert not result.ok and (result.integrity or result.errors)
    code, stdout, _ = run_cli(monkeypatch, capsys, "--db", str(copy), "check")
    assert code == 1 and stdout.strip()


# ------------------------------------------------------------------------------------------------ documents

@pytest.fixture
def with_documents(filled, factory, bc, tmp_path):
    """Two scanned documents attached to a licence of HG Mexicali; returns their stored paths."""
    from datetime import date as D

    from models.enums import AuthorisationStatus as S
    from models.services import authorisations as auth_svc
    from models.services import documents as docs

    from sqlalchemy import select

    from models.entities import Establishment

    paths = []
    with factory.begin() as s:
        est_id = s.scalars(select(Establishment.id).where(Establishment.clues == "BCIMB000355")).one()
        data = auth_svc.AuthorisationData(est_id, "LIC_SAN", status=S.INGRESADA.value, submitted_on=D(2024, 1, 10))
        auth_id = auth_svc.create_authorisation(s, data, "ana", on=D(2024, 1, 10), today=D(2024, 6, 30)).id
    for i in range(2):
        scan = tmp_path / f"escaneo-{i}.pdf"
        scan.write_bytes(b"%PDF-1.4\n" + bytes([i]) * 2000 + b"\n%%EOF\n")
        with factory.begin() as s:
            paths.append(docs.document_path(docs.attach_document(s, auth_id, scan, "ana")))
    return paths


def test_backups_carry_the_attached_documents_and_restore_puts_back_a_lost_one(with_documents, engine, db_path,
                                                                              tmp_path):
    folder = tmp_path / "usb"
    first = backup.backup_to_folder(db_path, folder, now=datetime(2026, 11, 20, 18, 0))
    assert (first.documents.copied, first.documents.already, first.documents.problems) == (2, 0, [])
    for path in with_documents:
        assert (folder / "documentos" / path.name).read_bytes() == path.read_bytes()
    second = backup.backup_to_folder(db_path, folder, now=datetime(2026, 11, 21, 18, 0))
    assert (second.documents.copied, second.documents.already) == (0, 2)  # nothing copied twice

    lost, altered = with_documents
    lost.unlink()
    altered.write_bytes(b"%PDF-1.4 otra cosa")
    engine.dispose()
    result = backup.restore(second.path, db_path)
    assert result.documents.copied == 2 and not result.documents.problems
    assert lost.is_file() and altered.read_bytes().startswith(b"%PDF-1.4\n\x01")


def test_a_tampered_document_in_the_backup_folder_is_not_restored(with_documents, engine, db_path, tmp_path):
    folder = tmp_path / "usb"
    made = backup.backup_to_folder(db_path, folder)
    copy = folder / "documentos" / with_documents[0].name
    copy.write_bytes(copy.read_bytes().replace(b"\x00" * 10, b"\x07" * 10, 1))
    with_documents[0].unlink()
    engine.dispose()
    result = backup.restore(made.path, db_path)
    assert result.documents.copied == 0 and len(result.documents.problems) == 1
    assert "alterado" in result.documents.problems[0]
    assert not with_documents[0].exists()  # a tampered copy never replaces the original


def test_rotation_drops_documents_no_kept_backup_references(with_documents, db_path, tmp_path):
    folder = tmp_path / "usb"
    backup.backup_to_folder(db_path, folder)
    stray = folder / "documentos" / "00000000-0000-0000-0000-000000000000.pdf"
    stray.write_bytes(b"%PDF-1.4 de un respaldo ya rotado")
    backup.backup_to_folder(db_path, folder)
    assert not stray.exists()
    assert all((folder / "documentos" / p.name).exists() for p in with_documents)
