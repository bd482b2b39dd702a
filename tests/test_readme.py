"""The README's set-up commands are the ones CI runs."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_test_command_written_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    extracted = subprocess.run(
        ["bash", ".ci/run"], cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "CI_DRY_RUN": "1"},
    ).stdout.strip()
    assert extracted == ('python3 -m pip install ".[test]" && QT_QPA_PLATFORM=offscreen python3 -m pytest && '
                         'COORDINACION_TEST_BACKEND=postgresql QT_QPA_PLATFORM=offscreen python3 -m pytest -k "not gui"')
    assert f"```\n{extracted}\n```" in readme


def test_readme_install_command_launches_the_installed_entry_point():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "python3 -m pip install . && python3 -m gui" in readme
    assert "--db PATH" in readme and "COORDINACION_DATA_DIR" in readme
