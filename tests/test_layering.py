"""models/ and reports/ import no Qt; the headless subcommands run without loading Qt."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def _modules(package: str) -> list[str]:
    pkg_dir = ROOT / package
    names = [package]
    for info in pkgutil.walk_packages([str(pkg_dir)], prefix=f"{package}."):
        names.append(info.name)
    return names


def test_models_and_reports_import_no_pyside6():
    modules = _modules("models") + _modules("reports")
    assert "models.services.establishments" in modules
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "bad = [m for m in sys.modules if m.startswith('PySide6') or m.startswith('shiboken')]\n"
    code += "assert not bad, bad\nprint('ok')\n"
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_models_import_no_reportlab():
    code = (
        "import importlib, sys\n"
        + "".join(f"importlib.import_module({m!r})\n" for m in _modules("models"))
        + "assert not [m for m in sys.modules if m.startswith('reportlab')]\nprint('ok')\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr


def test_headless_subcommands_load_no_qt(tmp_path):
    db = tmp_path / "h.sqlite3"
    code = (
        "import sys\nfrom gui.__main__ import main\n"
        f"rc = main(['--db', {str(db)!r}, 'init', '--state', 'BC'])\n"
        f"rc += main(['--db', {str(db)!r}, 'establishments', 'list'])\n"
        "assert rc == 0, rc\n"
        "bad = [m for m in sys.modules if m.startswith('PySide6')]\n"
        "assert not bad, bad\nprint('ok')\n"
    )
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")
