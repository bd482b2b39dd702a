"""Benchmark: the weekend-opening rollout figures for the whole country.

Builds 9,000 viable-or-not fixed first-level units across the 23 adhered states (in proportion to their
targets), plus hospitals and mobile units that must not count, with a year of weekly history: start
dates spread over the year, doctors hired and leaving (and replaced after a gap), vacancies, staff tied
to one shift, missing Sunday shifts, interruptions of one to four weeks and a few open-ended ones.
Prints the time to compute the national summary (23 states + block and overall totals), the
53-week series, and the unit list with reasons. Target (issue 5): under 1 s each.

    python3 bench/weekend.py [--units 9000] [--db PATH]
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AS_OF = date(2026, 11, 22)  # a Sunday
START = AS_OF - timedelta(weeks=52)


def fill(db: Path, units: int) -> tuple[float, dict[str, int]]:
    from sqlalchemy import insert, select

    from models.db import make_engine, make_session_factory
    from models.entities import (Establishment, State, Typology, WeekendInterruption, WeekendRecord, WeekendShift,
                                 WeekendStaff, WeekendTarget)
    from models.schema import ensure_database
    from models.services import office

    engine = make_engine(db)
    ensure_database(engine)
    factory = make_session_factory(engine)
    rng = random.Random(2026)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    tables: dict[str, list[dict]] = {"establishments": [], "records": [], "shifts": [], "staff": [], "stops": []}

    def tracked() -> dict:
        return {"uuid": str(uuid.uuid4()), "created_at": now, "updated_at": now, "changed_by": "bench", "version": 1,
                "deleted_at": None}

    def day_in_year() -> date:
        return START + timedelta(days=rng.randrange(0, 365))

    with factory.begin() as s:
        office.set_office(s, None)
        states = list(s.execute(select(State.id, State.clues_prefix).where(State.adhered.is_(True))))
        targets = dict(s.execute(select(WeekendTarget.state_id, WeekendTarget.units_target)).all())
        umm = s.scalars(select(Typology.id).where(Typology.code == "UMM")).one()
        total_target = sum(targets[sid] for sid, _p in states)
        est_id = record_id = shift_id = 0
        for state_id, prefix in states:
            share = round(units * targets[state_id] / total_target)
            for k in range(share + share // 10):  # +10 %: hospitals and mobile units that must not count
                est_id += 1
                kind = "fixed" if k < share else rng.choice(["hospital", "umm"])
                tables["establishments"].append({
                    "id": est_id, "clues": f"{prefix}IMB{est_id:06d}", "name": f"Unidad {est_id}", "state_id": state_id,
                    "institution_code": "IMB", "level_of_care": "SEGUNDO" if kind == "hospital" else "PRIMER",
                    "typology_id": umm if kind == "umm" else None, "operating_status": "EN_OPERACION", **tracked()})
                record_id += 1
                since = None if rng.random() < 0.05 else day_in_year() + timedelta(days=30 if rng.random() < 0.03 else 0)
                tables["records"].append({"id": record_id, "establishment_id": est_id, "viable": rng.random() < 0.92,
                                          "weekend_since": since, "notes": "", **tracked()})
                day_shifts: dict[int, list[int]] = {}
                for weekday in range(7):
                    if weekday == 6 and rng.random() < 0.08:
                        continue  # no Sunday shift
                    kinds = ["MATUTINO", "VESPERTINO"] if weekday < 5 else ["JORNADA_ACUMULADA"]
                    for kind_ in kinds:
                        shift_id += 1
                        start, end = {"MATUTINO": ("08:00:00", "14:00:00"), "VESPERTINO": ("14:00:00", "20:00:00"),
                                      "JORNADA_ACUMULADA": ("08:00:00", "20:00:00")}[kind_]
                        tables["shifts"].append({"id": shift_id, "record_id": record_id, "weekday": weekday,
                                                 "kind": kind_, "starts_at": datetime.strptime(start, "%H:%M:%S").time(),
                                                 "ends_at": datetime.strptime(end, "%H:%M:%S").time(), **tracked()})
                        day_shifts.setdefault(weekday, []).append(shift_id)
                for _doctor in range(rng.choice([1, 2, 2, 3])):
                    hired = (since or day_in_year()) - timedelta(days=rng.randrange(0, 20))
                    tied = None
                    if rng.random() < 0.15 and 6 in day_shifts:
                        tied = day_shifts[6][0]  # a Sunday-only doctor
                    left = None
                    if rng.random() < 0.3:
                        left = hired + timedelta(days=rng.randrange(20, 200))
                        gap = timedelta(days=rng.randrange(0, 30))
                        tables["staff"].append({"record_id": record_id, "shift_id": tied, "role": "MEDICO",
                                                "full_name": f"Dr. {rng.randrange(10**6)}", "contract_type": "EVENTUAL",
                                                "hired_on": left + gap, "left_on": None, **tracked()})
                    tables["staff"].append({"record_id": record_id, "shift_id": tied, "role": "MEDICO",
                                            "full_name": f"Dra. {rng.randrange(10**6)}", "contract_type": "BASE",
                                            "hired_on": hired, "left_on": left, **tracked()})
                tables["staff"].append({"record_id": record_id, "shift_id": None, "role": "ENFERMERIA",
                                        "full_name": "" if rng.random() < 0.1 else f"Enf. {rng.randrange(10**6)}",
                                        "contract_type": "EVENTUAL", "hired_on": None, "left_on": None, **tracked()})
                if rng.random() < 0.1:
                    begin = day_in_year()
                    end = None if rng.random() < 0.15 else begin + timedelta(days=rng.randrange(1, 28))
                    tables["stops"].append({"record_id": record_id, "starts_on": begin, "ends_on": end,
                                            "reason": rng.choice(["obra", "falta de insumos", "inseguridad"]), **tracked()})
        for entity, key in ((Establishment, "establishments"), (WeekendRecord, "records"), (WeekendShift, "shifts"),
                            (WeekendStaff, "staff"), (WeekendInterruption, "stops")):
            rows = tables[key]
            for i in range(0, len(rows), 10_000):
                s.execute(insert(entity), rows[i:i + 10_000])
    return time.perf_counter() - started, {k: len(v) for k, v in tables.items()}


def timed(label: str, fn, repeat: int = 3):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    print(f"{label}: first {times[0] * 1000:.0f} ms, best {min(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=9_000)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ["COORDINACION_DATA_DIR"] = tmp.name
    db = args.db or Path(tmp.name) / "bench.sqlite3"
    if not db.exists():
        seconds, counts = fill(db, args.units)
        print(f"fill database in {seconds:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

    from models.db import make_engine, make_session_factory
    from models.services import weekend

    factory = make_session_factory(make_engine(db))
    with factory() as session:
        rows = timed("national summary (23 states, block and overall totals)",
                     lambda: weekend.rollout_summary(session, AS_OF))
        series = timed(f"open-7-days series, {len(weekend.sundays(START, AS_OF))} weekly points",
                       lambda: weekend.open_series(session, None, START, AS_OF))
        units = timed("unit list with reasons (national)", lambda: weekend.list_units(session, AS_OF))
        veracruz = next(r.state_id for r in rows if r.inegi_code == "30")
        timed("one state's summary (Veracruz)", lambda: weekend.rollout_summary(session, AS_OF, veracruz))
    total = rows[-1]
    print(f"overall: {total.viable:,} viable, {total.open_units:,} open 7 days of target {total.target:,} "
          f"= {total.progress}%; doctors {total.doctors_assigned:,} of {total.doctors_needed:,}")
    for r in rows:
        if r.level == "block":
            print(f"  {r.label}: {r.open_units:,} / {r.target:,} = {r.progress}%")
    print(f"series: {series[0].week_end} {series[0].open_units:,} → {series[-1].week_end} {series[-1].open_units:,}")
    print(f"units listed: {len(units):,}; viable not open: {sum(1 for u in units if u.viable and not u.open_7_days):,}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
