"""Benchmark: offline exchange packages (issue 8).

Each adhered state office has 10,000 establishments and 10,000 sanitary authorisations (with one history
event each); it exports everything, and the national office imports the 23 packages into one consolidated
database. Prints the time of every export and import, the package sizes, a repeated import (must change
nothing) and the acknowledged re-export (must be empty). Targets (issue 8): export under 5 s, each import
under 10 s.

    python3 bench/exchange.py [--states 23] [--establishments 10000] [--dir DIR] [--national-db URL]

``--national-db postgresql://usuario@servidor/base`` keeps the national database on a PostgreSQL server (an
empty database: the schema is created there); the state offices stay on SQLite files.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build_state(db: Path, inegi: str, count: int) -> float:
    """A state office database with ``count`` establishments and as many authorisations. Returns seconds."""
    import random

    from sqlalchemy import insert, select

    from models.db import make_engine, make_session_factory
    from models.entities import Authorisation, AuthorisationEvent, AuthorisationType, Establishment, State
    from models.enums import AuthorisationStatus, LevelOfCare
    from models.schema import ensure_database
    from models.services import office

    started = time.perf_counter()
    engine = make_engine(db)
    ensure_database(engine)
    factory = make_session_factory(engine)
    rng = random.Random(int(inegi))
    now = datetime.now(timezone.utc)

    def tracked() -> dict:
        return {"uuid": str(uuid.uuid4()), "created_at": now, "updated_at": now, "changed_by": "bench", "version": 1,
                "deleted_at": None}

    with factory.begin() as s:
        office.set_office(s, inegi)
        state = s.scalars(select(State).where(State.inegi_code == inegi)).one()
        types = list(s.scalars(select(AuthorisationType.id)))
        levels = [LevelOfCare.PRIMER] * 8 + [LevelOfCare.SEGUNDO, LevelOfCare.TERCER]
        establishments = [dict(tracked(), id=i + 1, clues=f"{state.clues_prefix}IMB{i + 1:06d}",
                               name=f"Unidad de salud {i + 1} de {state.short_name}", state_id=state.id,
                               institution_code="IMB", level_of_care=rng.choice(levels),
                               municipality_code=f"{rng.randrange(1, 120):03d}", municipality=f"Municipio {rng.randrange(120)}",
                               locality=f"Localidad {rng.randrange(3000)}", address=f"Calle {rng.randrange(500)} s/n",
                               postal_code=f"{rng.randrange(10000, 99999)}",
                               latitude=round(rng.uniform(14.5, 32.7), 6), longitude=round(rng.uniform(-117, -86.7), 6),
                               operation_started_on=date(1990, 1, 1) + timedelta(days=rng.randrange(12000)),
                               deleted_at=now if rng.random() < 0.02 else None)
                          for i in range(count)]
        s.execute(insert(Establishment), establishments)
        statuses = list(AuthorisationStatus)
        authorisations, events = [], []
        for i in range(count):
            status = rng.choice(statuses)
            submitted = date(2023, 1, 1) + timedelta(days=rng.randrange(600))
            authorisations.append(dict(tracked(), id=i + 1, establishment_id=rng.randrange(1, count + 1),
                                       type_id=rng.choice(types), status=status, folio=f"F-{inegi}-{i + 1:06d}",
                                       submitted_on=submitted, notes="Expediente integrado" if i % 3 else ""))
            events.append(dict(tracked(), authorisation_id=i + 1, from_status=None, to_status=status,
                               occurred_on=submitted, comment=""))
        s.execute(insert(Authorisation), authorisations)
        s.execute(insert(AuthorisationEvent), events)
    engine.dispose()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=23, help="how many state offices (default 23)")
    parser.add_argument("--establishments", type=int, default=10_000, help="establishments (and authorisations) per state")
    parser.add_argument("--dir", help="working folder (default: a temporary one)")
    parser.add_argument("--national-db", help="national database URL (default: a SQLite file in the folder)")
    args = parser.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="bench-exchange-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("COORDINACION_DATA_DIR", str(work / "datos"))

    from sqlalchemy import func, select

    from models import exchange
    from models.db import make_engine, make_session_factory
    from models.entities import Authorisation, Establishment, State
    from models.schema import ensure_database
    from models.services import office

    national_engine = make_engine(args.national_db or work / "nacional.sqlite3")
    ensure_database(national_engine)
    national = make_session_factory(national_engine)
    with national.begin() as s:
        office.set_office(s, None)
        states = list(s.scalars(select(State.inegi_code).where(State.adhered.is_(True)).order_by(State.inegi_code)))
    states = states[: args.states]
    print(f"{len(states)} entidades × {args.establishments:,} establecimientos y {args.establishments:,} autorizaciones "
          f"(+ {args.establishments:,} eventos) — carpeta {work}")
    exports, imports, sizes, builds = [], [], [], []
    packages = {}
    for inegi in states:
        db = work / f"estado-{inegi}.sqlite3"
        builds.append(build_state(db, inegi, args.establishments))
        factory = make_session_factory(make_engine(db))
        out = work / f"estado-{inegi}.cepkg"
        started = time.perf_counter()
        with factory.begin() as s:
            result = exchange.export_package(s, out, user="bench")
        exports.append(time.perf_counter() - started)
        sizes.append(result.size_bytes)
        packages[inegi] = (factory, out)
        started = time.perf_counter()
        with national.begin() as s:
            summary = exchange.import_package(s, out, user="bench")
        imports.append(time.perf_counter() - started)
        assert summary.applied == result.total_records and summary.rejected == 0, summary.lines()
        print(f"  {inegi}: exportar {exports[-1]:5.2f} s ({result.total_records:,} registros, "
              f"{result.size_bytes / 1e6:.1f} MB)  importar {imports[-1]:5.2f} s", flush=True)

    first = states[0]
    factory, out = packages[first]
    started = time.perf_counter()
    with national.begin() as s:
        again = exchange.import_package(s, out, user="bench")
    repeat = time.perf_counter() - started
    assert again.already_imported
    ack = work / "acuse.cepkg"
    started = time.perf_counter()
    with national.begin() as s:
        exchange.make_ack(s, ack, source=first, user="bench")
    with factory.begin() as s:
        exchange.import_ack(s, ack, user="bench")
    ack_time = time.perf_counter() - started
    started = time.perf_counter()
    with factory.begin() as s:
        empty = exchange.export_package(s, work / "vacio.cepkg", user="bench")
    empty_time = time.perf_counter() - started
    with national() as s:
        est = s.scalar(select(func.count()).select_from(Establishment))
        auth = s.scalar(select(func.count()).select_from(Authorisation))

    def line(name: str, values: list[float], target: float | None = None) -> str:
        text = (f"{name}: mediana {statistics.median(values):.2f} s, mínimo {min(values):.2f} s, "
                f"máximo {max(values):.2f} s")
        if target is not None:
            text += f" (meta < {target:.0f} s: {'cumple' if max(values) < target else 'NO CUMPLE'})"
        return text

    print()
    print(line("Generar cada base estatal", builds))
    print(line("Exportar todo (una entidad)", exports, 5))
    print(line("Importar en la oficina nacional (cada paquete)", imports, 10))
    if args.national_db:
        with national() as s:
            size = s.scalar(select(func.pg_database_size(func.current_database()))) \
                if national_engine.dialect.name == "postgresql" else 0
        where = f"{national_engine.dialect.name}, {size / 1e6:.0f} MB"
    else:
        where = f"SQLite, {(work / 'nacional.sqlite3').stat().st_size / 1e6:.0f} MB"
    print(f"Importar los {len(states)} paquetes: {sum(imports):.1f} s; base nacional: {est:,} establecimientos, "
          f"{auth:,} autorizaciones ({where})")
    print(f"Tamaño de cada paquete: {statistics.median(sizes) / 1e6:.1f} MB (mediana)")
    print(f"Importar otra vez el mismo paquete: {repeat:.2f} s (no cambia nada)")
    print(f"Acuse (generar en la nacional e importar en la entidad): {ack_time:.2f} s; "
          f"exportación siguiente: {empty.total_records} registros en {empty_time:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
