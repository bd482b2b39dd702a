"""Benchmark: generation time of every PDF report over a national-size database.

Builds, in a temporary SQLite file, 23 adhered states (``--states N`` for fewer) each with 3,000 establishments
(first-level units, mobile units, hospitals, support units), 3,000 sanitary authorisations at every stage of
their procedure, operating regions with zones, coordinating hospitals and supervision teams, and weekend-opening
schedules for the fixed first-level units (shifts, doctors hired and leaving, vacancies, interruptions) sized to
each state's target. Then times ``reports.catalog.generate`` for each report: the state report of the state with
the largest target, the national report, compliance / weekend / regions for that state and for the whole
country, and the establishment card of a hospital. Prints figures only, no assertions.

Targets (issue 7): state report under 3 s, national report under 15 s, on a 2-core machine.

    python3 bench/reports.py [--states 23] [--establishments 3000] [--repeat 1] [--db PATH] [--out DIR]
"""
from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, time as clock, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

AS_OF = date(2026, 10, 31)          # cut-off: a month end, as the offices print them
HISTORY = AS_OF - timedelta(days=540)
STATE_TARGET_S, NATIONAL_TARGET_S = 3.0, 15.0

PLACES = ["San José", "Santa María", "El Álamo", "San Martín", "Tepeyac", "La Purísima", "Benito Juárez",
          "Emiliano Zapata", "Hidalgo", "Morelos", "Guadalupe", "San Andrés", "Tlacotalpan", "Cuauhtémoc",
          "Los Reyes", "Ojo de Agua", "Río Grande", "Ñuñoa", "Santiago", "La Esperanza"]
# (level, typology code, name stem, weight)
KINDS = [("PRIMER", "CS", "CENTRO DE SALUD", 52), ("PRIMER", "CSR", "CENTRO DE SALUD RURAL", 18),
         ("PRIMER", "USPN", "UNIDAD DE SALUD DE PRIMER NIVEL", 8), ("PRIMER", "UMM", "UNIDAD MÉDICA MÓVIL", 6),
         ("PRIMER", "UNEME", "UNEME", 2), ("SEGUNDO", "HG", "HOSPITAL GENERAL", 4),
         ("SEGUNDO", "HC", "HOSPITAL COMUNITARIO", 5), ("SEGUNDO", "HMI", "HOSPITAL MATERNO INFANTIL", 1),
         ("TERCER", "HRAE", "HOSPITAL REGIONAL DE ALTA ESPECIALIDAD", 1), ("NO_APLICA", "ALB", "ALBERGUE", 3)]
STATUSES = [("REQUERIDA", 35), ("INTEGRANDO_EXPEDIENTE", 14), ("INGRESADA", 9), ("EN_TRAMITE", 9), ("OTORGADA", 5),
            ("VIGENTE", 20), ("POR_VENCER", 3), ("VENCIDA", 3), ("REVOCADA", 1), ("NO_APLICA", 1)]


def fill(db: Path, n_states: int, per_state: int) -> tuple[float, dict[str, int]]:
    """Create the schema and the catalogue, then bulk-insert every table (Core inserts, one transaction)."""
    from sqlalchemy import bindparam, insert, select, update

    from models.db import make_engine, make_session_factory
    from models.entities import (Authorisation, AuthorisationType, Authority, Establishment, Region, State,
                                 SupervisionTeam, SupervisionTeamMember, Typology, WeekendInterruption, WeekendRecord,
                                 WeekendShift, WeekendStaff, WeekendTarget, Zone)
    from models.schema import ensure_database
    from models.services import office

    engine = make_engine(db)
    ensure_database(engine)
    factory = make_session_factory(engine)
    rng = random.Random(2026)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    names = ("establishments", "regions", "zones", "teams", "members", "records", "shifts", "staff", "stops",
             "authorisations")
    t: dict[str, list[dict]] = {k: [] for k in names}
    ids = dict.fromkeys(names, 0)
    coordinators: list[dict] = []

    def tracked() -> dict:
        return {"uuid": str(uuid.uuid4()), "created_at": now, "updated_at": now, "changed_by": "bench", "version": 1,
                "deleted_at": None}

    def new(table: str, **values) -> int:
        ids[table] += 1
        t[table].append({"id": ids[table], **values, **tracked()})
        return ids[table]

    def day_between(a: date, b: date) -> date:
        return a + timedelta(days=rng.randrange(0, max(1, (b - a).days)))

    with factory.begin() as s:
        office.set_office(s, None)
        states = list(s.execute(select(State.id, State.clues_prefix, State.short_name).where(State.adhered.is_(True))
                                .order_by(State.inegi_code)))[:n_states]
        targets = dict(s.execute(select(WeekendTarget.state_id, WeekendTarget.units_target)).all())
        typology = dict(s.execute(select(Typology.code, Typology.id)).all())
        auth_type = dict(s.execute(select(AuthorisationType.code, AuthorisationType.id)).all())
        cofepris = s.scalars(select(Authority.id).where(Authority.code == "COFEPRIS")).one()
        kinds = [k for k in KINDS for _ in range(k[3])]
        for state_id, prefix, _name in states:
            # establishments
            units: list[tuple[int, str]] = []          # (id, level) of this state
            fixed_first: list[int] = []
            hospitals: list[int] = []
            for k in range(per_state):
                level, code, stem, _w = rng.choice(kinds)
                est = ids["establishments"] + 1
                new("establishments", clues=f"{prefix}IMB{est:06d}", name=f"{stem} {rng.choice(PLACES).upper()} {k % 97}",
                    state_id=state_id, institution_code="IMB", level_of_care=level, typology_id=typology[code],
                    municipality=rng.choice(PLACES), locality=rng.choice(PLACES), operating_status="EN_OPERACION",
                    operation_started_on=day_between(date(1985, 1, 1), date(2023, 12, 31)), region_id=None,
                    zone_id=None)
                units.append((est, level))
                if level == "PRIMER" and code != "UMM":
                    fixed_first.append(est)
                if level in ("SEGUNDO", "TERCER"):
                    hospitals.append(est)
            # regions → zones (a hospital coordinates each) → establishments; a team per region
            zones: list[tuple[int, int]] = []          # (zone id, region id)
            coordinator_zone: dict[int, tuple[int, int]] = {}
            n_regions = rng.randint(5, 8)
            for r in range(n_regions):
                region = new("regions", state_id=state_id, code=f"RO{r + 1}", name=f"Región {r + 1} {rng.choice(PLACES)}",
                             notes="")
                team = new("teams", region_id=region, name=f"ESZ Región {r + 1}", notes="")
                for m in range(3):
                    new("members", team_id=team, full_name=f"Supervisor {m + 1} región {r + 1}", role="Supervisión",
                        phone="")
                for z in range(rng.randint(3, 5)):
                    zone = new("zones", region_id=region, code=f"ZSM{len(zones) + 1}",
                               name=f"ZSM {len(zones) + 1} {rng.choice(PLACES)}", coordinating_establishment_id=None,
                               notes="")
                    if len(zones) < len(hospitals):  # set once the establishments exist (circular foreign keys)
                        coordinators.append({"zone": zone, "hospital": hospitals[len(zones)]})
                        coordinator_zone[hospitals[len(zones)]] = (zone, region)
                    zones.append((zone, region))
            first = len(t["establishments"]) - per_state
            for i, row in enumerate(t["establishments"][first:]):
                zone = coordinator_zone.get(row["id"])
                if zone is None and rng.random() < 0.96:
                    zone = zones[i % len(zones)]
                if zone is not None:
                    row["zone_id"], row["region_id"] = zone
            # weekend opening: viable units sized to the state's target, most of them open
            target = targets.get(state_id, 100)
            rng.shuffle(fixed_first)
            viable = fixed_first[:min(len(fixed_first), round(target * rng.uniform(1.05, 1.25)))]
            for est in fixed_first[len(viable):]:
                if rng.random() < 0.3:
                    new("records", establishment_id=est, viable=False, weekend_since=None, notes="")
            for est in viable:
                since = None if rng.random() < 0.04 else day_between(HISTORY, AS_OF + timedelta(days=20))
                record = new("records", establishment_id=est, viable=True, weekend_since=since, notes="")
                sunday = None
                for weekday in range(7):
                    if weekday == 6 and rng.random() < 0.06:
                        continue
                    for kind, start, end in ([("MATUTINO", 8, 14), ("VESPERTINO", 14, 20)] if weekday < 5
                                             else [("JORNADA_ACUMULADA", 8, 20)]):
                        shift = new("shifts", record_id=record, weekday=weekday, kind=kind, starts_at=clock(start),
                                    ends_at=clock(end))
                        sunday = shift if weekday == 6 else sunday
                for _doctor in range(rng.choice([0, 1, 1, 2, 2, 3]) if rng.random() < 0.12 else rng.choice([1, 2, 2])):
                    hired = (since or day_between(HISTORY, AS_OF)) - timedelta(days=rng.randrange(0, 20))
                    tied = sunday if sunday and rng.random() < 0.1 else None
                    left = None
                    if rng.random() < 0.2:
                        left = hired + timedelta(days=rng.randrange(30, 300))
                        if rng.random() < 0.7:  # replaced after a gap
                            new("staff", record_id=record, shift_id=tied, role="MEDICO",
                                full_name=f"Dr. {rng.randrange(10**6)}", contract_type="EVENTUAL",
                                hired_on=left + timedelta(days=rng.randrange(0, 40)), left_on=None)
                    new("staff", record_id=record, shift_id=tied, role="MEDICO", full_name=f"Dra. {rng.randrange(10**6)}",
                        contract_type="BASE", hired_on=hired, left_on=left)
                new("staff", record_id=record, shift_id=None, role="ENFERMERIA",
                    full_name="" if rng.random() < 0.1 else f"Enf. {rng.randrange(10**6)}", contract_type="EVENTUAL",
                    hired_on=None, left_on=None)
                if rng.random() < 0.06:
                    begin = day_between(HISTORY, AS_OF)
                    end = None if rng.random() < 0.2 else begin + timedelta(days=rng.randrange(1, 40))
                    new("stops", record_id=record, starts_on=begin, ends_on=end,
                        reason=rng.choice(["obra", "falta de insumos", "inseguridad", "lluvias"]))
            # sanitary authorisations: one procedure per establishment, at every stage
            statuses = [st for st, w in STATUSES for _ in range(w)]
            for est, level in units:
                status = rng.choice(statuses)
                submitted = granted = expires = None
                if status not in ("REQUERIDA", "INTEGRANDO_EXPEDIENTE", "NO_APLICA"):
                    submitted = day_between(HISTORY, AS_OF - timedelta(days=30))
                if status in ("OTORGADA", "VIGENTE", "POR_VENCER", "VENCIDA", "REVOCADA"):
                    granted = day_between(submitted, AS_OF - timedelta(days=5))
                if status == "POR_VENCER":
                    expires = AS_OF + timedelta(days=rng.randrange(1, 60))
                elif status == "VENCIDA":
                    expires = day_between(granted, AS_OF)
                new("authorisations", establishment_id=est, service_id=None,
                    type_id=auth_type["LIC_SAN" if level in ("SEGUNDO", "TERCER") else "AVISO_FUNC"],
                    authority_id=cofepris, status=status, required_override=None, override_reason="",
                    folio=f"F-{rng.randrange(10**8):08d}" if submitted else "", submitted_on=submitted,
                    granted_on=granted, expires_on=expires,
                    notes="Sin observaciones" if status == "NO_APLICA" else "")
        order = [(Region, "regions"), (Zone, "zones"), (Establishment, "establishments"), (SupervisionTeam, "teams"),
                 (SupervisionTeamMember, "members"), (WeekendRecord, "records"), (WeekendShift, "shifts"),
                 (WeekendStaff, "staff"), (WeekendInterruption, "stops"), (Authorisation, "authorisations")]
        connection = s.connection()  # Core executemany: the ORM's bulk insert would split the batches
        for entity, key in order:
            rows = t[key]
            for i in range(0, len(rows), 10_000):
                connection.execute(insert(entity.__table__), rows[i:i + 10_000])
        z = Zone.__table__
        connection.execute(update(z).where(z.c.id == bindparam("zone")).values(coordinating_establishment_id=bindparam("hospital")),
                  coordinators)
    engine.dispose()
    return time.perf_counter() - started, {k: len(v) for k, v in t.items()}


def page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", type=int, default=23, help="adhered states to fill (1–23; 23 by default)")
    parser.add_argument("--establishments", type=int, default=3_000, help="establishments (and authorisations) per state")
    parser.add_argument("--repeat", type=int, default=1, help="runs per report (the best is printed too)")
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file instead of a temporary one")
    parser.add_argument("--out", type=Path, help="also write each PDF into this folder")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    os.environ["COORDINACION_DATA_DIR"] = tmp.name
    db = args.db or Path(tmp.name) / "bench.sqlite3"
    if not db.exists():
        seconds, counts = fill(db, max(1, min(23, args.states)), args.establishments)
        print(f"fill database in {seconds:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))

    from sqlalchemy import func, select

    from models.db import make_engine, make_session_factory
    from models.entities import Establishment, State, WeekendTarget
    from reports.catalog import REPORT_KINDS, ReportRequest, generate

    factory = make_session_factory(make_engine(db))
    with factory() as s:
        populated = select(Establishment.state_id).group_by(Establishment.state_id)
        state_id, state_name, target = s.execute(
            select(State.id, State.short_name, WeekendTarget.units_target)
            .join(WeekendTarget, WeekendTarget.state_id == State.id).where(State.id.in_(populated))
            .order_by(WeekendTarget.units_target.desc())).first()
        n_states = s.scalar(select(func.count()).select_from(populated.subquery()))
        hospital = s.scalar(select(Establishment.clues).where(Establishment.state_id == state_id,
                                                              Establishment.level_of_care == "SEGUNDO")
                            .order_by(Establishment.id))
        per_state = s.scalar(select(func.count()).where(Establishment.state_id == state_id))
    print(f"state: {state_name} ({per_state:,} establishments, weekend target {target:,}); national: {n_states} states; "
          f"cut-off {AS_OF}")
    period = (AS_OF.replace(month=1, day=1), AS_OF)
    runs = [
        ("state", "Informe de situación estatal", state_id, None, STATE_TARGET_S),
        ("national", "Informe nacional consolidado", None, None, NATIONAL_TARGET_S),
        ("compliance", "Cumplimiento sanitario, entidad", state_id, None, STATE_TARGET_S),
        ("compliance", "Cumplimiento sanitario, nacional", None, None, NATIONAL_TARGET_S),
        ("weekend", "Fin de semana, entidad", state_id, None, STATE_TARGET_S),
        ("weekend", "Fin de semana, nacional", None, None, NATIONAL_TARGET_S),
        ("regions", "Regionalización, entidad", state_id, None, STATE_TARGET_S),
        ("regions", "Regionalización, nacional", None, None, NATIONAL_TARGET_S),
        ("establishment", f"Ficha del establecimiento ({hospital})", None, hospital, STATE_TARGET_S),
    ]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    print(f"{'report':<48} {'first':>8} {'best':>8}  {'target':>8}  pages")
    for kind, label, scope, clues, target_s in runs:
        try:
            REPORT_KINDS[kind].module()  # a report still being written is not importable yet
        except ImportError:
            print(f"{label:<48} {'pendiente':>8}")
            continue
        request = ReportRequest(kind, AS_OF, scope, clues, *(period if REPORT_KINDS[kind].has_period else (None, None)))
        times, data = [], b""
        for _ in range(max(1, args.repeat)):
            with factory() as s:
                started = time.perf_counter()
                data = generate(s, request)
                times.append(time.perf_counter() - started)
        verdict = "ok" if min(times) < target_s else "LENTO"
        print(f"{label:<48} {times[0]:7.2f}s {min(times):7.2f}s  < {target_s:4.0f} s  {page_count(data):5d}  {verdict}")
        if args.out:
            name = f"{kind}_{'nacional' if scope is None and clues is None else clues or 'entidad'}.pdf"
            (args.out / name).write_bytes(data)
    tmp.cleanup()


if __name__ == "__main__":
    main()
