"""Headless commands: init and establishments list."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from gui.__main__ import main
from models.db import make_engine, make_session_factory
from tests.helpers import new_establishment


def test_init_creates_the_database_with_the_catalogue_and_office(tmp_path, capsys):
    db = tmp_path / "nueva.sqlite3"
    assert main(["--db", str(db), "init", "--state", "Sonora"]) == 0
    out = capsys.readouterr().out
    assert "Base de datos creada" in out and "Coordinación Estatal Sonora" in out
    assert main(["--db", str(db), "init"]) == 0
    out = capsys.readouterr().out
    assert "al día" in out and "0 registros nuevos, 0 actualizados" in out


def test_init_rejects_an_unknown_state(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "x.sqlite3"), "init", "--state", "Atlántida"]) == 2
    assert "Entidad desconocida" in capsys.readouterr().err


def _seed(db):
    main(["--db", str(db), "init", "--state", "BC"])
    factory = make_session_factory(make_engine(db))
    new_establishment(factory, 2, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO", municipality="Mexicali")
    new_establishment(factory, 26, "SRIMB000001", "Hospital General del Estado", "SEGUNDO")


def test_list_prints_csv_filtered_by_state(tmp_path, capsys):
    db = tmp_path / "l.sqlite3"
    _seed(db)
    capsys.readouterr()
    assert main(["--db", str(db), "establishments", "list", "--state", "02"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["CLUES"] for r in rows] == ["BCIMB000355"]
    assert rows[0]["MUNICIPIO"] == "Mexicali" and rows[0]["NIVEL"] == "SEGUNDO"


def test_list_prints_json_for_all_states(tmp_path, capsys):
    db = tmp_path / "j.sqlite3"
    _seed(db)
    capsys.readouterr()
    assert main(["--db", str(db), "establishments", "list", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert {r["CLUES"] for r in records} == {"BCIMB000355", "SRIMB000001"}
    assert {r["ENTIDAD"] for r in records} == {"Baja California", "Sonora"}


def test_entry_point_runs_as_a_module_with_version(tmp_path):
    result = subprocess.run([sys.executable, "-m", "gui", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "Coordinación Estatal" in result.stdout
