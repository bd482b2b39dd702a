"""SQLite settings: foreign keys enforced, WAL journal, durable sync."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from models.db import is_network_path
from models.entities import Establishment
from models.enums import LevelOfCare


def test_foreign_keys_are_enforced(factory):
    with pytest.raises(IntegrityError):
        with factory.begin() as s:
            s.add(Establishment(clues="BCIMB000001", name="X", state_id=999, level_of_care=LevelOfCare.PRIMER))


def test_check_constraints_reject_unknown_level(engine):
    with pytest.raises(IntegrityError):
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO establishments (clues, name, state_id, institution_code, establishment_type, subtypology,"
                " level_of_care, municipality_code, municipality, locality_code, locality, jurisdiction, address,"
                " postal_code, operating_status, retirement_reason, notes, uuid, created_at, updated_at, changed_by,"
                " version) VALUES ('BCIMB000001','X',2,'IMB','','','CUARTO','','','','','','','','EN_OPERACION','','',"
                " 'u1', '2024-01-01', '2024-01-01', 't', 1)"
            ))


@pytest.mark.sqlite_only
def test_pragmas_are_set_on_every_connection(engine):
    for _ in range(3):
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_unc_paths_count_as_network_paths():
    from pathlib import PureWindowsPath

    assert is_network_path(PureWindowsPath(r"\\servidor\datos\coordinacion.sqlite3"))
    assert not is_network_path(PureWindowsPath(r"C:\datos\coordinacion.sqlite3"))
