"""Where the app keeps its data: the user's data folder (platformdirs), overridable for tests and portable use."""
from __future__ import annotations

import getpass
import os
from pathlib import Path

APP_NAME = "CoordinacionEstatal"
APP_AUTHOR = "IMSS-BIENESTAR"
DATA_DIR_ENV = "COORDINACION_DATA_DIR"
DB_FILENAME = "coordinacion.sqlite3"


def data_dir() -> Path:
    """The data folder: ``$COORDINACION_DATA_DIR`` if set, else the platform's user data directory."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))


def default_db_path() -> Path:
    """The embedded default database file."""
    return data_dir() / DB_FILENAME


def current_username() -> str:
    """Who is acting: the signed-in user (``COORDINACION_USER``, set after sign-in), else the operating-system user."""
    signed_in = os.environ.get("COORDINACION_USER", "").strip()
    if signed_in:
        return signed_in
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some sandboxes
        return "usuario"
