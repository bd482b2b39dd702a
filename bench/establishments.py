"""Benchmark: the establishments page with 100,000 establishments (the whole country and more).

Prints: time to fill the database, time to load the list page (query + model + first filter, what the
user waits for), and per-keystroke filter times while typing realistic searches.
Targets (issue 2): page load < 1 s, median keystroke < 50 ms on a 2-core machine.

    python bench/establishments.py [--rows 100000] [--db PATH]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TYPES = ["Centro de Salud", "Centro de Salud Rural", "Unidad Médica Móvil", "Hospital General", "Hospital Comunitario",
         "Casa de Salud", "UNEME", "Centro de Salud con Servicios Ampliados"]
PLACES = ["San José", "Santa María", "Querétaro", "Ñuñoa", "El Álamo", "San Martín", "Tepeyac", "La Purísima",
          "Benito Juárez", "Emiliano Zapata", "Hidalgo", "Morelos", "Guadalupe", "San Andrés", "Tlacotalpan",
          "Xochimilco", "Cuauhtémoc", "Los Reyes", "Ojo de Agua", "Río Grande"]
MUNICIPALITIES = [f"{p} {s}" for p in PLACES for s in ("", "de Juárez", "del Río")]


def fill(db: Path, rows: int) -> float:
    from sqlalchemy import insert, select

    from models.db import make_engine, make_session_factory
    from models.entities import Establishment, State
    from models.schema import ensure_database
    from models.services import office

    engine = make_engine(db)
    ensure_database(engine)
    factory = make_session_factory(engine)
    rng = random.Random(2024)
    started = time.perf_counter()
    with factory.begin() as s:
        office.set_office(s, None)
        states = list(s.execute(select(State.id, State.clues_prefix)))
        now = datetime.now(timezone.utc)
        batch = []
        for i in range(rows):
            state_id, prefix = states[i % len(states)]
            level = rng.choice(["PRIMER"] * 8 + ["SEGUNDO", "TERCER"])
            batch.append({
                "clues": f"{prefix}IMB{i:06d}", "name": f"{rng.choice(TYPES)} {rng.choice(PLACES)} {i % 997}",
                "state_id": state_id, "institution_code": "IMB", "level_of_care": level,
                "municipality": rng.choice(MUNICIPALITIES).strip(), "locality": rng.choice(PLACES),
                "operating_status": rng.choice(["EN_OPERACION"] * 9 + ["CERRADO_TEMPORALMENTE"]),
                "uuid": str(uuid.uuid4()), "created_at": now, "updated_at": now, "changed_by": "bench", "version": 1,
                "deleted_at": now if rng.random() < 0.02 else None,
            })
            if len(batch) == 10_000:
                s.execute(insert(Establishment), batch)
                batch = []
        if batch:
            s.execute(insert(Establishment), batch)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ["COORDINACION_DATA_DIR"] = tmp.name
    db = args.db or Path(tmp.name) / "bench.sqlite3"
    if not db.exists():
        print(f"fill database: {args.rows:,} establishments in {fill(db, args.rows):.2f} s")

    from gui.app import create_application, open_context
    from gui.context import AppContext
    from gui.pages.establishments import EstablishmentsPage

    app = create_application([])
    factory, settings, tasks, office, _states, path = open_context(db, synchronous=True)
    ctx = AppContext(factory, settings, tasks, office, path)
    page = EstablishmentsPage(ctx)
    page.resize(1200, 700)
    page.show()
    app.processEvents()

    loads = []
    for _ in range(3):
        started = time.perf_counter()
        page.reload()  # synchronous runner: query + model build + filters, as the user waits for it
        app.processEvents()
        loads.append(time.perf_counter() - started)
    print(f"page load ({page.model.rowCount():,} rows, {page.proxy.rowCount():,} active shown): "
          f"best {min(loads) * 1000:.0f} ms, worst {max(loads) * 1000:.0f} ms")

    times = []
    for query in ["centro de salud", "queretaro", "nunoa", "hospital general san", "oc", "imb0123", "zzz"]:
        for k in range(1, len(query) + 1):
            started = time.perf_counter()
            page.proxy.set_search(query[:k])
            app.processEvents()  # the view repaints the visible rows
            times.append(time.perf_counter() - started)
        for k in range(len(query) - 1, -1, -1):  # backspace to empty
            started = time.perf_counter()
            page.proxy.set_search(query[:k])
            app.processEvents()
            times.append(time.perf_counter() - started)
    times.sort()
    print(f"filter keystrokes: {len(times)} measured, median {statistics.median(times) * 1000:.1f} ms, "
          f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms")

    started = time.perf_counter()
    page.level_filter.setCurrentIndex(page.level_filter.findData("SEGUNDO"))
    app.processEvents()
    print(f"level filter change: {(time.perf_counter() - started) * 1000:.1f} ms ({page.proxy.rowCount():,} rows)")
    for column in (1, 4):
        started = time.perf_counter()
        page.view.sortByColumn(column, page.proxy.sort_order())
        app.processEvents()
        print(f"sort by column {column} (first time, builds ranks): {(time.perf_counter() - started) * 1000:.1f} ms")
    tmp.cleanup()


if __name__ == "__main__":
    main()
