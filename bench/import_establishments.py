"""Benchmark: importing a 50,000-row catalogue-shaped .xlsx.

Prints: time to read the file with pandas alone (calamine), the whole import (read + validate + write,
one transaction) into an empty database, and again into the now full database (everything unchanged).
Target (issue 3): the whole import takes at most twice the time of pandas reading the file alone.

    python bench/import_establishments.py [--rows 50000]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HEADERS = ["CLUES", "CLAVE DE LA INSTITUCION", "NOMBRE DE LA INSTITUCION", "CLAVE DE LA ENTIDAD", "ENTIDAD",
           "CLAVE DEL MUNICIPIO", "MUNICIPIO", "CLAVE DE LA LOCALIDAD", "LOCALIDAD", "JURISDICCION",
           "NOMBRE TIPO ESTABLECIMIENTO", "NOMBRE DE TIPOLOGIA", "NOMBRE DE SUBTIPOLOGIA", "NOMBRE DE LA UNIDAD",
           "DOMICILIO", "CODIGO POSTAL", "ESTATUS DE OPERACION", "NIVEL ATENCION", "FECHA DE INICIO DE OPERACION",
           "LATITUD", "LONGITUD"]
TYPOLOGIES = [("CENTRO DE SALUD", "PRIMER NIVEL", "DE CONSULTA EXTERNA"),
              ("CENTRO DE SALUD RURAL", "PRIMER NIVEL", "DE CONSULTA EXTERNA"),
              ("UNIDAD MÉDICA MÓVIL", "PRIMER NIVEL", "DE CONSULTA EXTERNA"),
              ("HOSPITAL GENERAL", "SEGUNDO NIVEL", "DE HOSPITALIZACIÓN"),
              ("HOSPITAL COMUNITARIO", "SEGUNDO NIVEL", "DE HOSPITALIZACIÓN")]
PLACES = ["SAN JOSÉ", "SANTA MARÍA", "QUERÉTARO", "EL ÁLAMO", "SAN MARTÍN", "TEPEYAC", "LA PURÍSIMA", "HIDALGO",
          "MORELOS", "GUADALUPE", "SAN ANDRÉS", "CUAUHTÉMOC", "LOS REYES", "OJO DE AGUA", "RÍO GRANDE"]


def make_file(path: Path, rows: int) -> None:
    from models.importing.export import write_table

    rng = random.Random(7)
    data = []
    for i in range(rows):
        typology, level, kind = rng.choice(TYPOLOGIES)
        place = rng.choice(PLACES)
        data.append([
            f"QTIMB{i:06d}", "IMB", "IMSS-BIENESTAR", 22, "QUERÉTARO", rng.randint(1, 18), place, rng.randint(1, 300),
            place, "JURISDICCIÓN SANITARIA I", kind, typology, "", f"{typology} {place} {i}", f"CALLE {i % 97} S/N",
            76000 + rng.randint(0, 999), "EN OPERACION", level, date(1990 + i % 30, 1 + i % 12, 1 + i % 28),
            round(20.0 + rng.random() * 1.5, 6), round(-100.5 + rng.random() * 1.3, 6),
        ])
    write_table(path, HEADERS, data, sheet="CLUES")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    import pandas as pd

    from models.db import make_engine, make_session_factory
    from models.importing.runner import plan_file
    from models.importing.spec import get_kind
    from models.schema import ensure_database
    from models.services import office

    tmp = Path(tempfile.mkdtemp())
    os.environ["COORDINACION_DATA_DIR"] = str(tmp)
    path = tmp / "catalogo.xlsx"
    started = time.perf_counter()
    make_file(path, args.rows)
    print(f"generated {args.rows:,}-row xlsx ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")

    reads = []
    for _ in range(3):
        started = time.perf_counter()
        pd.read_excel(path, sheet_name="CLUES", header=None, dtype=object, engine="calamine")
        reads.append(time.perf_counter() - started)
    read = min(reads)
    print(f"pandas read alone (calamine): {read:.2f} s")

    engine = make_engine(tmp / "bench.sqlite3")
    ensure_database(engine)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        office.set_office(session, "22")
        state_id = office.find_state(session, "22").id
    kind = get_kind("establishments")
    for label in ("into an empty database", "into the full database (all unchanged)"):
        started = time.perf_counter()
        with factory.begin() as session:
            plan = plan_file(session, "establishments", path, None, state_id)
            planned = time.perf_counter()
            counts = kind.applier(session, plan, "bench")
        total = time.perf_counter() - started
        print(f"whole import {label}: {total:.2f} s = {total / read:.2f}× the pandas read "
              f"(read+validate {planned - started:.2f} s; new {counts['nuevos']:,}, unchanged {counts['sin_cambios']:,}, "
              f"rejected {counts['rechazados']:,})")


if __name__ == "__main__":
    main()
