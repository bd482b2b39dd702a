"""Shared fixtures: offscreen Qt, a fresh SQLite file per test, a private data folder per test."""
from __future__ import annotations

import os
from pathlib import Path

DATA = Path(__file__).parent / "data"

# Offscreen Qt, with a 1600×900 virtual monitor (the plugin's default screen is 800×800, smaller than
# the window's minimum width, which would distort geometry tests and screenshots).
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={DATA / 'offscreen_screen.json'}"

import pytest  # noqa: E402

from models.db import make_engine, make_session_factory  # noqa: E402
from models.schema import ensure_database  # noqa: E402
from models.services import office as office_svc  # noqa: E402


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path, monkeypatch) -> Path:
    """Every test gets its own data folder (settings, default database)."""
    folder = tmp_path / "datos"
    monkeypatch.setenv("COORDINACION_DATA_DIR", str(folder))
    # a headless sign-in sets the acting user for the process; never let it leak into the next test
    monkeypatch.delenv("COORDINACION_USER", raising=False)
    monkeypatch.delenv("COORDINACION_PASSWORD", raising=False)
    return folder


ON_POSTGRESQL = os.environ.get("COORDINACION_TEST_BACKEND") == "postgresql"


@pytest.fixture
def db_path(tmp_path) -> Path:
    """The SQLite file of the test's database. A test that needs the file itself (backups, the CLI on a path)
    is skipped when the suite runs on PostgreSQL (``COORDINACION_TEST_BACKEND=postgresql``)."""
    if ON_POSTGRESQL:
        pytest.skip("usa el archivo SQLite (la prueba corre también con SQLite)")
    return tmp_path / "coordinacion.sqlite3"


@pytest.fixture
def window_db_path(tmp_path) -> Path | None:
    """What a window's context is given as its database file: the SQLite file, or None on PostgreSQL (a server
    database has no file to lock or back up), so the GUI tests run on both."""
    return None if ON_POSTGRESQL else tmp_path / "coordinacion.sqlite3"


@pytest.fixture
def engine(request):
    """The test's database: a new SQLite file, or with ``COORDINACION_TEST_BACKEND=postgresql`` a new database on
    the PostgreSQL server of tests/pg.py (to run the whole domain suite there: the national office may use it)."""
    if ON_POSTGRESQL:
        from tests import pg

        eng = make_engine(pg.new_database())
        yield eng
        eng.dispose()
        pg.drop_databases()
        return
    eng = make_engine(request.getfixturevalue("db_path"))
    ensure_database(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine):
    return make_session_factory(engine)


@pytest.fixture
def bc(factory) -> office_svc.StateInfo:
    """Baja California, and this database set up as its office."""
    with factory.begin() as session:
        office_svc.set_office(session, "02")
        return office_svc.find_state(session, "BC")


class UnexpectedErrorDialog(AssertionError):
    """An error dialog opened during a test that did not expect one (it would block offscreen forever)."""


@pytest.fixture(autouse=True)
def fail_on_error_dialog(monkeypatch):
    """Turn the modal error box into a test failure carrying the message and the traceback."""
    try:
        import gui.dialogs.error_dialog as error_dialog
    except ImportError:  # pragma: no cover - Qt not installed; non-GUI tests still run
        return

    def raise_instead(parent, message, details=""):
        raise UnexpectedErrorDialog(f"{message}\n{details}")

    monkeypatch.setattr(error_dialog, "show_error", raise_instead)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    """Run the test on the embedded SQLite file and on a real PostgreSQL server (tests/pg.py)."""
    if request.param == "postgresql":
        from tests import pg

        pg.require_server()
        yield request.param
        pg.drop_databases()
    else:
        yield request.param


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL pass keep only the tests that meet the database through the ``engine`` fixture: the
    rest (pure functions, the SQLite file, tests with their own ``backend`` parameter, which the ordinary pass
    already runs on both) would only repeat the ordinary pass."""
    if not ON_POSTGRESQL:
        return
    keep, drop = [], []
    for item in items:
        names = getattr(item, "fixturenames", ())
        (keep if "engine" in names and "backend" not in names else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_runtest_setup(item):
    if ON_POSTGRESQL and item.get_closest_marker("sqlite_only"):
        pytest.skip("propio de SQLite")


def pytest_sessionfinish(session, exitstatus):
    import sys

    pg = sys.modules.get("tests.pg")
    if pg is not None:
        pg.drop_template()
