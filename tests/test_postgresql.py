"""The national consolidation database on PostgreSQL (issue 8): the same models and migrations as SQLite.

These need the test server of tests/pg.py (``.ci/run`` starts one); the exchange suites also run on it
through the ``backend`` fixture.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from models.db import describe_url, make_engine, normalise_url
from models.schema import SCHEMA_VERSION, SchemaError, describe_sqlite_schema, ensure_database, ensure_schema, \
    read_schema_version
from tests import pg


@pytest.fixture
def server():
    pg.require_server()
    yield
    pg.drop_databases()


def _columns(engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        found = inspect(conn)
        return {t: {c["name"] for c in found.get_columns(t)} for t in found.get_table_names()}


def test_a_postgresql_url_means_psycopg_and_is_shown_without_its_password():
    assert normalise_url("postgresql://ana:secreta@servidor/nacional") == "postgresql+psycopg://ana:secreta@servidor/nacional"
    assert normalise_url("postgres://ana@servidor/nacional").startswith("postgresql+psycopg://")
    assert "secreta" not in describe_url("postgresql://ana:secreta@servidor/nacional")
    assert describe_url("C:/datos/coordinacion.sqlite3") == "C:/datos/coordinacion.sqlite3"


def test_the_same_models_create_the_same_tables_and_columns_and_catalogue(server, tmp_path):
    server_engine = make_engine(pg.empty_database())
    status = ensure_database(server_engine)
    assert status.created and status.catalog_inserted > 0
    file_engine = make_engine(tmp_path / "igual.sqlite3")
    file_status = ensure_database(file_engine)
    assert _columns(server_engine) == _columns(file_engine)
    assert status.catalog_inserted == file_status.catalog_inserted
    with server_engine.connect() as conn:
        assert read_schema_version(conn) == SCHEMA_VERSION
        assert conn.execute(text("SELECT count(*) FROM states")).scalar() == 32
    again = ensure_database(server_engine)  # every start: nothing to create or load
    assert not again.created and again.catalog_inserted == again.catalog_updated == 0
    server_engine.dispose()


def test_creating_a_server_database_leaves_later_sqlite_databases_whole(server):
    """The establishments ⇄ zones foreign-key cycle is closed with ALTER on PostgreSQL; that must not make a
    SQLite database created afterwards in the same process lose the foreign key."""
    def fresh() -> dict:
        engine = make_engine(Path(tempfile.mkdtemp(prefix="ce-sqlite-")) / "nueva.sqlite3")
        ensure_schema(engine)
        with engine.connect() as conn:
            described = describe_sqlite_schema(conn)
        engine.dispose()
        return described

    before = fresh()
    engine = make_engine(pg.empty_database())
    ensure_schema(engine)
    engine.dispose()
    after = fresh()
    assert ("establishments", "coordinating_establishment_id", "id") in after["zones"]["foreign_keys"]
    assert after == before


def test_an_upgrade_step_runs_in_one_transaction_on_the_server(server):
    engine = make_engine(pg.new_database())

    def step(conn):
        conn.exec_driver_sql("ALTER TABLE establishments ADD COLUMN extra TEXT DEFAULT 'nuevo'")
        raise RuntimeError("fallo a la mitad")

    with pytest.raises(RuntimeError):
        ensure_schema(engine, target=SCHEMA_VERSION + 1, steps={SCHEMA_VERSION: step})
    assert "extra" not in _columns(engine)["establishments"]  # PostgreSQL rolls the DDL back too

    created, found, backup = ensure_schema(engine, target=SCHEMA_VERSION + 1, steps={
        SCHEMA_VERSION: lambda conn: conn.exec_driver_sql("ALTER TABLE establishments ADD COLUMN extra TEXT")})
    assert (created, found, backup) == (False, SCHEMA_VERSION, None)  # no file to copy: the server's backups
    assert "extra" in _columns(engine)["establishments"]
    with pytest.raises(SchemaError, match="versión más nueva"):
        ensure_database(engine)  # this app knows SCHEMA_VERSION only
    engine.dispose()


def test_a_server_database_with_other_tables_is_refused(server):
    url = pg.empty_database()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE cosas (id INTEGER)"))
    with pytest.raises(SchemaError, match="no es una base de datos"):
        ensure_database(engine)
    engine.dispose()


def test_a_large_package_is_copied_whole_and_leaves_fresh_planner_statistics(tmp_path, server):
    """A package of thousands of records goes in through COPY with every value as sent, and the server's
    statistics describe the new rows at once (not only when autovacuum gets to them): the next package is
    planned for the real table sizes."""
    from sqlalchemy import insert

    from models.entities import Establishment
    from models.exchange.importer import ANALYZE_FROM
    from tests.test_exchange_support import Office, state_id

    state, national = Office(tmp_path, "bc", "02"), Office(tmp_path, "nacional", None, "postgresql")
    count = ANALYZE_FROM + 200
    with state.session() as s:
        bc = state_id(s, "02")
        s.execute(insert(Establishment), [
            {"clues": f"BCIMB{n:06d}", "name": f"Unidad {n}", "state_id": bc, "institution_code": "IMB",
             "level_of_care": "PRIMER", "changed_by": "ana"} for n in range(1, count + 1)])
    summary = national.import_(state.export())
    assert summary.applied == count
    assert national.content("02") == state.content("02")  # rows written by COPY hold exactly what was sent
    with national.engine.connect() as conn:
        estimated = conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'establishments'")).scalar()
    assert estimated >= count  # never analysed would be -1; analysed before the import, a few dozen
