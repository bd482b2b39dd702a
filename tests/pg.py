"""A real PostgreSQL server for the tests that must pass on both backends (issue 8: national consolidation).

``COORDINACION_TEST_PG`` is the URL of a maintenance database on a server where the test user may create
databases (``.ci/run`` starts one and sets it). Without it the PostgreSQL variants are skipped, unless
``COORDINACION_REQUIRE_PG=1`` (set by CI), which turns the skip into a failure: CI can never pass by not
testing PostgreSQL.

Each test database is a copy of a template built once per run with ``ensure_database`` (schema and
catalogue), so a new database costs a file copy on the server, and is dropped when the test ends.
"""
from __future__ import annotations

import itertools
import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models.db import normalise_url

PG_ENV = "COORDINACION_TEST_PG"
REQUIRE_ENV = "COORDINACION_REQUIRE_PG"

_counter = itertools.count(1)
_state: dict = {}


def admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    return normalise_url(url) if url else None


def require_server() -> str:
    """The admin URL, or skip (fail under CI) when there is no server."""
    url = admin_url()
    if url is None:
        message = f"sin servidor PostgreSQL: defina {PG_ENV} (lo hace .ci/run)"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(message)
        pytest.skip(message)
    return url


def _admin():
    if "admin" not in _state:
        _state["admin"] = create_engine(require_server(), isolation_level="AUTOCOMMIT")
    return _state["admin"]


def _url_for(name: str) -> str:
    return make_url(require_server()).set(database=name).render_as_string(hide_password=False)


def _template() -> str:
    """Name of this run's template database (schema + catalogue), built on first use."""
    if "template" not in _state:
        from models.db import make_engine
        from models.schema import ensure_database

        name = f"ce_plantilla_{os.getpid()}"
        with _admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE template0'))
        engine = make_engine(_url_for(name))
        ensure_database(engine)
        engine.dispose()  # CREATE DATABASE … TEMPLATE needs it with no open connection
        _state["template"] = name
    return _state["template"]


def _create(prefix: str, template: str) -> str:
    name = f"{prefix}_{os.getpid()}_{next(_counter)}"
    with _admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE "{template}"'))
    _state.setdefault("created", []).append(name)
    return _url_for(name)


def new_database() -> str:
    """URL of a new database holding the schema and the catalogue (dropped by :func:`drop_databases`)."""
    return _create("ce_prueba", _template())


def empty_database() -> str:
    """URL of a new database with nothing in it (to test creating the schema there)."""
    require_server()
    return _create("ce_vacia", "template0")


def drop_databases() -> None:
    """Drop the databases the finished test created (connections left open are cut: WITH (FORCE))."""
    names = _state.pop("created", [])
    if not names:
        return
    with _admin().connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def drop_template() -> None:
    if "template" in _state:
        with _admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_state.pop("template")}" WITH (FORCE)'))
    if "admin" in _state:
        _state.pop("admin").dispose()
