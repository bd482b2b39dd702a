"""Schema version and ordered upgrade steps; the database file is backed up before any upgrade.

A new database is created from the models at ``SCHEMA_VERSION``. An older one is copied first (SQLite
online backup API, consistent even while open), then upgraded step by step inside one transaction:
if any step fails nothing is changed. ``tests/data/schema_vN.sql`` holds a snapshot of every released
schema; a test fails when the models drift from the snapshot of the current version, so a model
change cannot ship without a version bump and an upgrade step.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
)

import models.entities  # noqa: F401 - registers every table on Base.metadata
from models.base import NAMING_CONVENTION, Base
from models.catalog import CATALOG_VERSION, load_catalog, stored_catalog_version
from models.db import make_session_factory, sqlite_file_of

SCHEMA_VERSION = 2
SCHEMA_META_KEY = "schema_version"

UpgradeStep = Callable[[Connection], None]


def _v1_to_v2(conn: Connection) -> None:
    """Version 2 adds the exchange bookkeeping (issue 8): packages sent/received, per-peer record state, conflicts.

    The tables are spelled out here, frozen as they were released, rather than taken from the current
    models: a later change to the models must come with its own step, and this one must keep producing
    the version-2 shape.
    """
    meta = MetaData(naming_convention=NAMING_CONVENTION)
    Table(
        "exchange_packages", meta,
        Column("id", Integer, primary_key=True),
        Column("package_uuid", String(36), nullable=False),
        Column("direction", String(10), nullable=False),
        Column("kind", String(10), nullable=False),
        Column("source_office", String(8), nullable=False),
        Column("source_office_id", String(36), nullable=False, index=True),
        Column("target_office", String(8), nullable=False),
        Column("sequence", Integer),
        Column("base_ack", Integer, nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("processed_at", DateTime, nullable=False),
        Column("processed_by", String(80), nullable=False),
        Column("file_name", String(255), nullable=False),
        Column("file_sha256", String(64), nullable=False),
        Column("records", Integer, nullable=False),
        Column("applied", Integer, nullable=False),
        Column("unchanged", Integer, nullable=False),
        Column("conflicts", Integer, nullable=False),
        Column("deferred", Integer, nullable=False),
        Column("rejected", Integer, nullable=False),
        Column("details_json", Text, nullable=False),
        Column("sent_records", LargeBinary),
        Column("acknowledged_at", DateTime),
        UniqueConstraint("direction", "package_uuid", name="uq_exchange_packages_direction_uuid"),
    )
    Table(
        "exchange_sync", meta,
        Column("peer", String(8), primary_key=True),
        Column("record_uuid", String(36), primary_key=True),
        Column("table_name", String(60), nullable=False),
        Column("recv_version", Integer),
        Column("common_hash", String(32)),
        Column("common_version", Integer),
        Column("known_hash", String(32)),
        Column("known_version", Integer),
        Index("ix_exchange_sync_peer_table", "peer", "table_name"),
    )
    Table(
        "exchange_conflicts", meta,
        Column("id", Integer, primary_key=True),
        Column("table_name", String(60), nullable=False),
        Column("record_uuid", String(36), nullable=False, index=True),
        Column("peer", String(8), nullable=False),
        Column("source_office_id", String(36), nullable=False),
        Column("package_sequence", Integer, nullable=False),
        Column("local_version", Integer, nullable=False),
        Column("incoming_version", Integer, nullable=False),
        Column("local_json", Text, nullable=False),
        Column("incoming_json", Text, nullable=False),
        Column("detected_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("status", String(10), nullable=False),
        Column("resolution", String(20)),
        Column("resolved_by", String(80)),
        Column("resolved_at", DateTime),
        Column("result_json", Text),
    )
    meta.create_all(conn)


# Step N upgrades a database from version N to N + 1. Add new steps at the end; never edit a released one.
UPGRADE_STEPS: dict[int, UpgradeStep] = {1: _v1_to_v2}


class SchemaError(Exception):
    """The database cannot be opened by this version of the app (message in Spanish)."""


@dataclass
class DatabaseStatus:
    """What ``ensure_database`` found and did."""

    created: bool
    from_version: int
    to_version: int
    backup_path: Path | None
    catalog_inserted: int
    catalog_updated: int


def read_schema_version(conn: Connection) -> int | None:
    """The stored schema version, or None for an empty database."""
    if not inspect(conn).has_table("app_meta"):
        return None
    value = conn.execute(text("SELECT value FROM app_meta WHERE key = :k"), {"k": SCHEMA_META_KEY}).scalar()
    return int(value) if value is not None else None


def _write_schema_version(conn: Connection, version: int) -> None:
    updated = conn.execute(text("UPDATE app_meta SET value = :v WHERE key = :k"), {"v": str(version), "k": SCHEMA_META_KEY})
    if updated.rowcount == 0:
        conn.execute(text("INSERT INTO app_meta (key, value) VALUES (:k, :v)"), {"k": SCHEMA_META_KEY, "v": str(version)})


def backup_sqlite_file(source: Path, destination: Path) -> Path:
    """Consistent copy of a SQLite database with the online backup API (safe while it is open)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(destination))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return destination


def upgrade_backup_path(db_file: Path, from_version: int) -> Path:
    """Where the pre-upgrade copy goes: beside the database, named after the old version and the time."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return db_file.with_name(f"{db_file.stem}.antes-v{from_version}-{stamp}{db_file.suffix or '.sqlite3'}")


def _create_tables(conn: Connection) -> None:
    """Create every table of the models. On a server (PostgreSQL) from a copy of the metadata: there the
    establishments ⇄ zones foreign-key cycle is closed with ALTER TABLE, and SQLAlchemy then marks that shared
    constraint "not inline" for good, so a SQLite database created later in the same process would lack it."""
    if conn.dialect.name == "sqlite":
        Base.metadata.create_all(conn)
        return
    copy = MetaData(naming_convention=NAMING_CONVENTION)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(copy)
    copy.create_all(conn)


def ensure_schema(
    engine: Engine,
    *,
    target: int = SCHEMA_VERSION,
    steps: Mapping[int, UpgradeStep] | None = None,
) -> tuple[bool, int, Path | None]:
    """Create or upgrade the schema. Returns (created, version found, backup path)."""
    steps = UPGRADE_STEPS if steps is None else steps
    with engine.connect() as conn:
        found = read_schema_version(conn)
        has_tables = bool(inspect(conn).get_table_names())
    if found is None:
        if has_tables:
            raise SchemaError("El archivo no es una base de datos de Coordinación Estatal (no tiene versión de esquema).")
        with engine.begin() as conn:
            _create_tables(conn)
            _write_schema_version(conn, target)
        return True, target, None
    if found > target:
        raise SchemaError(
            f"La base de datos es de una versión más nueva de la aplicación (esquema {found}; "
            f"esta versión conoce hasta el {target}). Actualice la aplicación."
        )
    if found == target:
        return False, found, None
    missing = [v for v in range(found, target) if v not in steps]
    if missing:
        raise SchemaError(f"No hay paso de actualización desde la versión de esquema {missing[0]}.")
    backup = None
    db_file = sqlite_file_of(engine)
    if db_file is not None:
        backup = backup_sqlite_file(db_file, upgrade_backup_path(db_file, found))
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            # Table rebuilds in upgrade steps must not trip foreign keys half-way; checked at the end.
            conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        for version in range(found, target):
            steps[version](conn)
        _write_schema_version(conn, target)
        if engine.dialect.name == "sqlite":
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise SchemaError(f"La actualización dejaría referencias rotas ({len(problems)}); no se aplicó.")
    return False, found, backup


def ensure_database(engine: Engine) -> DatabaseStatus:
    """Create or upgrade the schema, then load or upgrade the reference catalogue. Safe to call at every start."""
    created, found, backup = ensure_schema(engine)
    inserted = updated = 0
    factory = make_session_factory(engine)
    with factory.begin() as session:
        if stored_catalog_version(session) < CATALOG_VERSION:
            result = load_catalog(session)
            inserted, updated = result.inserted, result.updated
    return DatabaseStatus(created, found, SCHEMA_VERSION, backup, inserted, updated)


def describe_sqlite_schema(conn: Connection) -> dict:
    """Order-independent description of a SQLite schema (columns, keys, indexes), to compare two databases."""
    out: dict = {}
    tables = [r[0] for r in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        columns = sorted(
            (r[1], r[2].upper(), r[3], r[5]) for r in conn.exec_driver_sql(f'PRAGMA table_info("{table}")')
        )
        fks = sorted((r[2], r[3], r[4]) for r in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")'))
        indexes = []
        for r in conn.exec_driver_sql(f'PRAGMA index_list("{table}")'):
            cols = tuple(c[2] for c in conn.exec_driver_sql(f'PRAGMA index_info("{r[1]}")'))
            indexes.append((bool(r[2]), cols))
        out[table] = {"columns": columns, "foreign_keys": fks, "indexes": sorted(indexes)}
    return out


def dump_sqlite_schema(conn: Connection) -> str:
    """The DDL of a SQLite database plus its schema version row: the snapshot format of tests/data/schema_vN.sql."""
    statements = [r[0] + ";" for r in conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name")]
    version = read_schema_version(conn)
    statements.append(f"INSERT INTO app_meta (key, value) VALUES ('{SCHEMA_META_KEY}', '{version}');")
    return "\n".join(statements) + "\n"
