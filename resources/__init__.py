"""Data files (icons, stylesheet, fonts). ``resource_path`` finds them from source and from a frozen build."""
from __future__ import annotations

import sys
from pathlib import Path


def resource_dir() -> Path:
    """This folder, or its copy inside a PyInstaller bundle (``sys._MEIPASS/resources``)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """Absolute path of a resource file, e.g. ``resource_path("icons/app.svg")``."""
    return resource_dir() / name
