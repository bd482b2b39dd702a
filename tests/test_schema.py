"""Schema versioning: the models match the released snapshot, upgrades back up first and keep all data."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from models.db import make_engine
from models.schema import (
    SCHEMA_VERSION,
    SchemaError,
    describe_sqlite_schema,
    ensure_database,
    ensure_schema,
    read_schema_version,
)
from tests.conftest import DATA

SNAPSHOTS = sorted(DATA.glob("schema_v*.sql"), key=lambda p: int(p.stem.split("_v")[1]))


def _db_from_snapshot(snapshot: Path, path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(snapshot.read_text(encoding="utf-8"))
    # A state and an establishment written with plain SQL, as an office running that version would have them.
    conn.execute(
        "INSERT INTO states (id, inegi_code, name, short_name, clues_prefix, adhered, uuid, created_at, updated_at,"
        " changed_by, version) VALUES (2, '02', 'Baja California', 'Baja California', 'BC', 1, 'u-state',"
        " '2024-01-01 00:00:00', '2024-01-01 00:00:00', 'x', 1)"
    )
    conn.execute(
        "INSERT INTO establishments (id, clues, name, state_id, institution_code, establishment_type, subtypology,"
        " level_of_care, municipality_code, municipality, locality_code, locality, jurisdiction, address, postal_code,"
        " operating_status, retirement_reason, notes, uuid, created_at, updated_at, changed_by, version)"
        " VALUES (1, 'BCIMB000355', 'Hospital General Mexicali', 2, 'IMB', '', '', 'SEGUNDO', '002', 'Mexicali', '',"
        " 'Mexicali', '', '', '', 'EN_OPERACION', '', 'dato previo', 'u-est', '2024-01-01 00:00:00',"
        " '2024-01-01 00:00:00', 'x', 3)"
    )
    conn.commit()
    conn.close()
    return path


def _fresh_description(tmp_path: Path) -> dict:
    engine = make_engine(tmp_path / "fresh.sqlite3")
    ensure_schema(engine)
    with engine.connect() as conn:
        return describe_sqlite_schema(conn)


@pytest.mark.sqlite_only  # the released snapshots are SQLite files
def test_there_is_a_snapshot_of_the_current_schema_version():
    assert SNAPSHOTS and SNAPSHOTS[-1].name == f"schema_v{SCHEMA_VERSION}.sql"


@pytest.mark.sqlite_only  # the released snapshots are SQLite files
def test_models_match_the_snapshot_of_the_current_version(tmp_path):
    """If this fails, the models changed: bump SCHEMA_VERSION, add an upgrade step and a new snapshot."""
    snap_db = _db_from_snapshot(SNAPSHOTS[-1], tmp_path / "snap.sqlite3")
    engine = make_engine(snap_db)
    with engine.connect() as conn:
        assert describe_sqlite_schema(conn) == _fresh_description(tmp_path)


@pytest.mark.sqlite_only  # the released snapshots are SQLite files
@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda p: p.stem)
def test_upgrading_a_released_database_keeps_its_data_and_reaches_the_current_schema(snapshot, tmp_path):
    path = _db_from_snapshot(snapshot, tmp_path / "old.sqlite3")
    engine = make_engine(path)
    status = ensure_database(engine)
    assert status.to_version == SCHEMA_VERSION
    with engine.connect() as conn:
        assert read_schema_version(conn) == SCHEMA_VERSION
        row = conn.execute(text("SELECT clues, name, notes, version, uuid FROM establishments WHERE id = 1")).one()
        assert tuple(row) == ("BCIMB000355", "Hospital General Mexicali", "dato previo", 3, "u-est")
        assert describe_sqlite_schema(conn) == _fresh_description(tmp_path)
        assert conn.execute(text("SELECT count(*) FROM states")).scalar() == 32  # catalogue completed in place


def _add_column(conn):
    conn.exec_driver_sql("ALTER TABLE establishments ADD COLUMN extra TEXT DEFAULT 'nuevo'")


def test_upgrade_step_backs_up_the_file_first_and_keeps_data(engine, factory, db_path, bc):
    from tests.helpers import new_establishment

    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    created, found, backup = ensure_schema(engine, target=SCHEMA_VERSION + 1, steps={SCHEMA_VERSION: _add_column})
    assert (created, found) == (False, SCHEMA_VERSION)
    assert backup is not None and backup.exists() and backup != db_path
    with engine.connect() as conn:
        assert read_schema_version(conn) == SCHEMA_VERSION + 1
        assert tuple(conn.execute(text("SELECT clues, extra FROM establishments")).one()) == ("BCIMB000355", "nuevo")
    with sqlite3.connect(backup) as old:
        assert old.execute("SELECT value FROM app_meta WHERE key='schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert old.execute("SELECT clues FROM establishments").fetchall() == [("BCIMB000355",)]


def test_a_failing_upgrade_step_changes_nothing(engine, factory, bc):
    from tests.helpers import new_establishment, table_dump

    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    before = table_dump(engine)

    def broken(conn):
        _add_column(conn)
        conn.exec_driver_sql("UPDATE establishments SET name = 'a medias'")
        raise RuntimeError("fallo a la mitad")

    with pytest.raises(RuntimeError):
        ensure_schema(engine, target=SCHEMA_VERSION + 1, steps={SCHEMA_VERSION: broken})
    assert table_dump(engine) == before
    with engine.connect() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("establishments")]
        assert "extra" not in columns


def test_a_database_from_a_newer_version_is_refused_in_spanish(engine):
    with engine.begin() as conn:
        conn.execute(text("UPDATE app_meta SET value = :v WHERE key = 'schema_version'"), {"v": str(SCHEMA_VERSION + 5)})
    with pytest.raises(SchemaError, match="versión más nueva"):
        ensure_database(engine)


@pytest.mark.sqlite_only  # the released snapshots are SQLite files
def test_a_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "otro.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE cosas (id INTEGER)")
    with pytest.raises(SchemaError, match="no es una base de datos"):
        ensure_database(make_engine(path))
