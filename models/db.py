"""Engine and session factory. Nothing here runs at import time: callers build the engine.

The database is a SQLite file by default; the national office may give a PostgreSQL URL instead
(``postgresql://usuario:clave@servidor/base``, driven by psycopg 3), with the same models and migrations.

SQLite settings (documented choice, see README "Datos y respaldo"):
- ``foreign_keys=ON`` on every connection (SQLite leaves them off otherwise).
- ``busy_timeout`` so a second reader/writer waits instead of failing at once.
- ``journal_mode=WAL`` with ``synchronous=FULL`` on a local disk: a power cut never corrupts the file
  and a committed transaction is durable. WAL does not work on network shares, so a database on a
  UNC path or mapped network drive uses the rollback journal (``DELETE``) instead.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 10_000


def is_network_path(path: Path) -> bool:
    """Best-effort detection of a database on a network share (UNC path or mapped network drive)."""
    text = str(path)
    if text.startswith("\\\\") or text.startswith("//"):
        return True
    if os.name == "nt" and len(text) >= 2 and text[1] == ":":
        try:
            import ctypes

            DRIVE_REMOTE = 4
            return ctypes.windll.kernel32.GetDriveTypeW(text[:2] + "\\") == DRIVE_REMOTE  # type: ignore[attr-defined]
        except Exception:  # pragma: no cover - only on Windows
            return False
    return False


def sqlite_url(path: Path | str) -> str:
    """SQLAlchemy URL for a SQLite file."""
    return f"sqlite+pysqlite:///{Path(path)}"


def is_url(db: Path | str) -> bool:
    """A database given as a URL (PostgreSQL, or any SQLAlchemy URL) rather than a file path."""
    return "://" in str(db)


def normalise_url(text: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (SQLAlchemy would otherwise pick psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix):]
    return text


def describe_url(db: Path | str) -> str:
    """A database fit to show or log: a file path as it is, a URL with its password replaced by asterisks."""
    from sqlalchemy.engine import make_url

    if not is_url(db):
        return str(db)
    return make_url(normalise_url(str(db))).render_as_string(hide_password=True)


def make_engine(db: Path | str, *, echo: bool = False) -> Engine:
    """Build an engine for a SQLite file path or a database URL, with the app's connection settings."""
    text = str(db)
    if is_url(text):
        url = normalise_url(text)
        path = None
    else:
        path = Path(text).expanduser().resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = sqlite_url(path)
    # pre-ping: a server connection that dropped while the app sat idle is replaced, not reported as an error
    engine = create_engine(url, echo=echo, pool_pre_ping=not url.startswith("sqlite"))
    if engine.dialect.name == "sqlite":
        journal = "DELETE" if path is not None and is_network_path(path) else "WAL"

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record) -> None:
            # Let SQLAlchemy, not the driver, open transactions: pysqlite otherwise runs DDL outside any
            # transaction, so a failed schema upgrade would leave half its ALTERs applied.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if path is not None:
                cur.execute(f"PRAGMA journal_mode={journal}")
                cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory; sessions keep loaded values after commit so DTOs can be built from them."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def sqlite_file_of(engine: Engine) -> Path | None:
    """The database file behind a SQLite engine, or None (memory database or another backend)."""
    if engine.dialect.name != "sqlite":
        return None
    db = engine.url.database
    if not db or db == ":memory:":
        return None
    return Path(db)
