"""Weekend opening (7-day care): the open-7-days rule, schedules, bulk edits, rollout figures, targets,
the roster import and the headless summary."""
from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, text

from gui.cli_weekend import SUMMARY_HEADERS, add_weekend, summary_rows
from models.entities import (
    AuditEntry,
    Establishment,
    State,
    Typology,
    WeekendInterruption,
    WeekendRecord,
    WeekendShift,
    WeekendStaff,
    WeekendTarget,
)
from models.importing import weekend as importer
from models.importing.export import write_template
from models.importing.plan import ImportCancelled, Progress
from models.importing.reader import read_sheet
from models.importing.runner import plan_file, read_for
from models.services import audit
from models.services import office as office_svc
from models.services import weekend as svc
from models.services.establishments import ConcurrencyError
from models.validation import ValidationError
from tests.helpers import assert_file_intact, new_establishment, sync_id_sequences, table_dump

D = date
DATA = Path(__file__).parent / "data" / "weekend"
ROSTER = DATA / "roster_bc.xlsx"
M, JA, N = "MATUTINO", "JORNADA_ACUMULADA", "NOCTURNO"


def _make_files():
    spec = importlib.util.spec_from_file_location("weekend_make_files", DATA / "make_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def shift(day: int, kind: str = M, start: int = 8, end: int = 14) -> svc.ShiftData:
    return svc.ShiftData(day, kind, time(start), time(end % 24))


def week(since=D(2024, 3, 2), days=range(7), hired=D(2024, 3, 1), left=None, doctor=True, **extra) -> svc.ScheduleData:
    """A unit with a morning shift on ``days`` and (unless ``doctor`` is False) a doctor covering them all."""
    staff = [svc.StaffData("MEDICO", "Dra. Ana López", "EVENTUAL", hired, left)] if doctor else []
    return svc.ScheduleData(0, True, since, shifts=[shift(d) for d in days], staff=staff, **extra)


# ------------------------------------------------------------------------------------------------
# The rule, one unit at a time
# ------------------------------------------------------------------------------------------------

WEDNESDAY = D(2024, 3, 6)  # week of Monday 4 – Sunday 10 March 2024


def test_a_unit_staffed_every_day_is_open():
    assert svc.why_not_open(week(), WEDNESDAY) == []
    assert svc.is_open(week(), WEDNESDAY)


def test_a_missing_sunday_shift_keeps_it_closed():
    assert svc.why_not_open(week(days=range(6)), WEDNESDAY) == ["Sin turno definido el domingo"]


def test_a_shift_without_an_active_doctor_does_not_count():
    unit = week(doctor=False)
    unit.staff = [svc.StaffData("MEDICO", "Dr. Semana", hired_on=D(2024, 1, 1), shift=i) for i in range(6)]  # Mon–Sat
    unit.staff += [svc.StaffData("ENFERMERIA", "Enf. Domingo", hired_on=D(2024, 1, 1), shift=6),
                   svc.StaffData("MEDICO", "", shift=6)]  # a nurse and a vacancy on Sunday
    assert svc.why_not_open(unit, WEDNESDAY) == ["Sin médico el domingo"]
    unit.staff.append(svc.StaffData("MEDICO", "Dra. Domingo", hired_on=D(2024, 3, 1), shift=6))
    assert svc.why_not_open(unit, WEDNESDAY) == []
    assert svc.why_not_open(week(doctor=False), WEDNESDAY) == ["Sin médico ningún día"]
    assert svc.why_not_open(week(days=[0, 1, 2, 3, 4], doctor=False), WEDNESDAY) == [
        "Sin turno definido el sábado y el domingo", "Sin médico el lunes, el martes, el miércoles, el jueves y el viernes"]


def test_an_interruption_on_saturday_only_closes_that_whole_week():
    unit = week(interruptions=[svc.InterruptionData(D(2024, 3, 9), D(2024, 3, 9), "obra")])
    assert svc.why_not_open(unit, WEDNESDAY) == ["Interrumpida del 09/03/2024 al 09/03/2024: obra"]
    assert svc.why_not_open(unit, D(2024, 3, 10)) != []  # Sunday of the same week
    assert svc.why_not_open(unit, D(2024, 3, 3)) == []  # the week before
    assert svc.why_not_open(unit, D(2024, 3, 11)) == []  # the week after
    open_ended = week(interruptions=[svc.InterruptionData(D(2024, 3, 2), None, "")])
    assert svc.why_not_open(open_ended, D(2025, 1, 1)) == ["Interrumpida desde el 02/03/2024"]


def test_a_start_date_in_the_future_and_an_as_of_date_before_the_start():
    assert svc.why_not_open(week(since=D(2026, 12, 1)), D(2026, 11, 23)) == ["Abre en fin de semana a partir del 01/12/2026"]
    unit = week(since=D(2024, 3, 2))
    assert svc.why_not_open(unit, D(2024, 3, 1)) == ["Abre en fin de semana a partir del 02/03/2024"]
    assert svc.why_not_open(unit, D(2024, 3, 2)) == []  # the start date itself counts
    assert svc.why_not_open(week(since=None), WEDNESDAY) == ["Sin fecha de inicio de apertura en fin de semana"]


def test_staff_count_from_their_hire_date_until_the_day_they_leave():
    unit = week(hired=D(2024, 3, 5), left=D(2024, 5, 31))
    assert svc.why_not_open(unit, D(2024, 3, 4)) == ["Sin médico ningún día"]
    assert svc.is_open(unit, D(2024, 3, 5)) and svc.is_open(unit, D(2024, 5, 31))
    assert not svc.is_open(unit, D(2024, 6, 1))


def test_a_unit_not_viable_or_without_shifts_lists_every_reason():
    unit = week(since=None, days=[], doctor=False)
    unit.viable = False
    assert svc.why_not_open(unit, WEDNESDAY) == [
        "No está marcada como viable para la apertura en fin de semana",
        "Sin fecha de inicio de apertura en fin de semana", "Sin turnos definidos"]


def test_progress_is_rounded_half_up_to_one_decimal():
    assert svc.progress_percent(152, 218) == 69.7
    assert svc.progress_percent(1, 8) == 12.5 and svc.progress_percent(1, 16) == 6.3  # 6.25 → 6.3, not 6.2
    assert svc.progress_percent(5, None) is None and svc.progress_percent(5, 0) is None


# ------------------------------------------------------------------------------------------------
# Saving a schedule
# ------------------------------------------------------------------------------------------------

def typology_id(factory, code: str) -> int:
    with factory() as s:
        return s.scalars(select(Typology.id).where(Typology.code == code)).one()


@pytest.fixture
def unit_id(factory, bc) -> int:
    return new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido").id


def save(factory, data: svc.ScheduleData, user: str = "capturista", today: date | None = None) -> svc.ScheduleData:
    with factory.begin() as s:
        return svc.save_schedule(s, data, user, today)


def test_save_and_read_back_a_whole_schedule(factory, unit_id):
    data = week(days=range(5))
    data.establishment_id = unit_id
    data.shifts += [shift(5, JA, 8, 20), shift(6, JA, 8, 20), shift(6, N, 20, 8)]
    data.staff.append(svc.StaffData("MEDICO", "Dr. Noche", "BASE", D(2024, 2, 1), shift=7))
    data.interruptions = [svc.InterruptionData(D(2024, 4, 1), D(2024, 4, 14), "  obra  ")]
    stored = save(factory, data)
    assert stored.id is not None and stored.version == 1 and stored.clues == "BCIMB000101"
    assert [(s.weekday, s.kind) for s in stored.shifts][-3:] == [(5, JA), (6, N), (6, JA)]
    night = next(p for p in stored.staff if p.full_name == "Dr. Noche")
    assert stored.shifts[night.shift].kind == N and stored.shifts[night.shift].weekday == 6
    assert stored.interruptions[0].reason == "obra"
    with factory() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.entity, entry.entity_uuid) == ("crear", "apertura_fin_de_semana", stored.uuid)
        assert "domingo, nocturno 20:00-08:00" in entry.after_json
        assert audit.verify_chain(s) == []


def test_saving_an_unchanged_schedule_writes_nothing(engine, factory, unit_id):
    data = week()
    data.establishment_id = unit_id
    stored = save(factory, data)
    before = table_dump(engine)
    assert save(factory, stored).version == stored.version
    assert table_dump(engine) == before


def test_an_edit_keeps_row_identities_and_staff_shift_links(factory, unit_id):
    data = week()
    data.establishment_id = unit_id
    data.staff.append(svc.StaffData("MEDICO", "Dr. Domingo", hired_on=D(2024, 1, 1), shift=6))
    stored = save(factory, data)
    sunday_id = stored.shifts[6].id
    edited = svc.ScheduleData(**{**stored.__dict__, "shifts": [svc.ShiftData(**{**s.__dict__}) for s in stored.shifts]})
    edited.shifts[6].ends_at = time(15)
    again = save(factory, edited)
    assert again.version == stored.version + 1
    assert again.shifts[6].id == sunday_id and again.shifts[6].ends_at == time(15)
    assert next(p for p in again.staff if p.full_name == "Dr. Domingo").shift == 6
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(WeekendShift)) == 7  # updated in place, none retired


def test_a_doctor_listed_on_two_shifts_counts_once(factory, bc, unit_id):
    data = week(doctor=False)
    data.establishment_id = unit_id
    data.staff = [svc.StaffData("MEDICO", "Dr. Doble", hired_on=D(2024, 1, 1), shift=5),
                  svc.StaffData("MEDICO", "DR.  DOBLE", hired_on=D(2024, 1, 1), shift=6),
                  svc.StaffData("MEDICO", "Dra. Semana", hired_on=D(2024, 1, 1))]
    save(factory, data)
    with factory() as s:
        [unit] = svc.list_units(s, WEDNESDAY, bc.id)
        [row] = [r for r in svc.rollout_summary(s, WEDNESDAY, bc.id) if r.level == "state"]
    assert unit.open_7_days and unit.doctors == 2 and row.doctors_assigned == 2


def test_every_problem_is_reported_at_once(factory, unit_id):
    data = svc.ScheduleData(unit_id, True, D(2024, 3, 2), shifts=[
        shift(0, M, 14, 8),          # 0: morning ending before it starts
        shift(1, N, 20, 8),          # 1: a night shift may cross midnight
        shift(2, JA, 8, 20),         # 2: accumulated weekend shift on a Wednesday
        shift(3, "VESPERTINO", 14, 0),  # 3: ends at midnight: fine
        svc.ShiftData(4, M, None, time(14)),  # 4: no start time
    ], staff=[
        svc.StaffData("MEDICO", "Dr. Futuro", hired_on=D(2099, 1, 1)),
        svc.StaffData("MEDICO", "Dra. Baja", hired_on=D(2024, 5, 1), left_on=D(2024, 4, 1)),
        svc.StaffData("ENFERMERIA", "", hired_on=D(2024, 1, 1)),
        svc.StaffData("MEDICO", "Dr. Turno", shift=9),
    ], interruptions=[svc.InterruptionData(D(2024, 5, 10), D(2024, 5, 1), "obra"),
                      svc.InterruptionData(D(2024, 6, 1), None, "")])
    with pytest.raises(ValidationError) as caught:
        save(factory, data, today=D(2024, 7, 1))
    assert set(caught.value.errors) == {
        "shifts.0.ends_at", "shifts.2.kind", "shifts.4.starts_at", "staff.0.hired_on", "staff.1.left_on",
        "staff.2.hired_on", "staff.3.shift", "interruptions.0.ends_on", "interruptions.1.reason"}
    assert caught.value.errors["shifts.0.ends_at"] == (
        "Turno lunes, matutino: termina (08:00) antes de empezar (14:00); sólo el turno nocturno puede pasar de la "
        "medianoche.")
    assert "posterior a hoy (01/07/2024)" in caught.value.errors["staff.0.hired_on"]


def test_hospitals_and_mobile_units_cannot_have_a_weekend_record(factory, bc):
    hospital = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    umm = new_establishment(factory, bc.id, "BCIMB000200", "UMM Tecate", typology_id=typology_id(factory, "UMM"))
    for est, words in ((hospital, "segundo nivel"), (umm, "unidad médica móvil")):
        with pytest.raises(ValidationError) as caught:
            save(factory, svc.ScheduleData(est.id))
        assert words in caught.value.errors["establishment_id"]


def test_a_stale_form_is_refused(factory, unit_id):
    stored = save(factory, svc.ScheduleData(unit_id, weekend_since=D(2024, 3, 2)))
    save(factory, svc.ScheduleData(**{**stored.__dict__, "weekend_since": D(2024, 3, 9)}), user="otra")
    with pytest.raises(ConcurrencyError):
        save(factory, svc.ScheduleData(**{**stored.__dict__, "viable": False}))


# ------------------------------------------------------------------------------------------------
# Bulk operations
# ------------------------------------------------------------------------------------------------

def test_bulk_schedule_and_start_date_for_many_units(factory, bc):
    ids = [new_establishment(factory, bc.id, f"BCIMB00030{i}", f"CS {i}").id for i in range(3)]
    with factory.begin() as s:
        changed = svc.bulk_set_shifts(s, ids, [shift(d) for d in range(5)] + [shift(5, JA, 8, 20), shift(6, JA, 8, 20)],
                                      "jefa")
        assert changed == 3
        assert svc.bulk_set_start_date(s, ids, D(2024, 6, 1), "jefa") == 3
        assert svc.bulk_set_start_date(s, ids, D(2024, 6, 1), "jefa") == 0  # already so: nothing written
    with factory() as s:
        stored = svc.load_schedules(s, ids)
        assert all(len(x.shifts) == 7 and x.weekend_since == D(2024, 6, 1) for x in stored.values())
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "apertura_fin_de_semana")) == 6


def test_bulk_operations_are_all_or_nothing(engine, factory, bc):
    ok = new_establishment(factory, bc.id, "BCIMB000301", "CS bien").id
    tied = new_establishment(factory, bc.id, "BCIMB000302", "CS con médico de domingo").id
    hospital = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General", "SEGUNDO").id
    data = week()
    data.establishment_id = tied
    data.staff.append(svc.StaffData("MEDICO", "Dr. Domingo", hired_on=D(2024, 1, 1), shift=6))
    save(factory, data)
    before = table_dump(engine)
    with pytest.raises(ValidationError) as caught:
        with factory.begin() as s:
            svc.bulk_set_shifts(s, [ok, tied, hospital], [shift(d) for d in range(6)], "jefa")
    assert set(caught.value.errors) == {"BCIMB000302", "BCIMB000355"}
    assert "Dr. Domingo" in caught.value.errors["BCIMB000302"] and "domingo" in caught.value.errors["BCIMB000302"]
    with pytest.raises(ValidationError) as caught:
        with factory.begin() as s:
            svc.bulk_set_start_date(s, [ok, hospital], D(1999, 1, 1), "jefa")
    assert set(caught.value.errors) == {"BCIMB000301", "BCIMB000355"}
    assert table_dump(engine) == before


# ------------------------------------------------------------------------------------------------
# The rule for many units agrees with the rule for one
# ------------------------------------------------------------------------------------------------

def test_bulk_figures_agree_with_the_single_unit_rule(factory, bc):
    rng = random.Random(5)
    ids = [new_establishment(factory, bc.id, f"BCIMB000{400 + i}", f"CS {i}").id for i in range(40)]
    for est_id in ids:
        shifts = [shift(d, rng.choice([M, "VESPERTINO"])) for d in range(7) if rng.random() < 0.93]
        staff = []
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            hired = D(2024, 1, 1) + timedelta(days=rng.randrange(0, 200))
            left = hired + timedelta(days=rng.randrange(0, 120)) if rng.random() < 0.4 else None
            where = rng.randrange(len(shifts)) if shifts and rng.random() < 0.3 else None
            staff.append(svc.StaffData(rng.choice(["MEDICO", "MEDICO", "ENFERMERIA"]),
                                       "" if rng.random() < 0.15 else f"Persona {rng.randrange(10**6)}",
                                       hired_on=hired if rng.random() < 0.9 else None, left_on=left, shift=where))
            if not staff[-1].full_name:
                staff[-1].hired_on = staff[-1].left_on = None
        stops = []
        if rng.random() < 0.3:
            start = D(2024, 1, 1) + timedelta(days=rng.randrange(0, 250))
            stops.append(svc.InterruptionData(start, start + timedelta(days=rng.randrange(0, 20))
                                              if rng.random() < 0.8 else None, "obra"))
        since = D(2024, 1, 1) + timedelta(days=rng.randrange(0, 200)) if rng.random() < 0.9 else None
        save(factory, svc.ScheduleData(est_id, rng.random() < 0.85, since, shifts=shifts, staff=staff,
                                       interruptions=stops), today=D(2025, 1, 1))
    opened = 0
    with factory() as s:
        schedules = svc.load_schedules(s, ids)
        for day in [D(2024, 1, 1) + timedelta(days=11 * k) for k in range(30)]:
            units = {u.establishment_id: u for u in svc.list_units(s, day, bc.id)}
            for est_id in ids:
                expected = svc.why_not_open(schedules[est_id], day)
                assert list(units[est_id].reasons) == expected, (est_id, day)
                assert units[est_id].open_7_days == (not expected)
                opened += not expected
            total = svc.rollout_summary(s, day, bc.id)[0]
            assert total.open_units == sum(u.open_7_days for u in units.values())
    assert opened > 50  # the data exercises both outcomes


# ------------------------------------------------------------------------------------------------
# Rollout figures: one state per block, published targets
# ------------------------------------------------------------------------------------------------

AS_OF = D(2024, 6, 30)  # a Sunday, the report's cut-off


class _Builder:
    """Inserts units with their schedules straight into the tables (hundreds of units in milliseconds)."""

    def __init__(self, session):
        self.s = session
        self.next = {t: (session.scalar(select(func.max(t.id))) or 0) + 1 for t in (Establishment, WeekendRecord)}
        self.umm = session.scalars(select(Typology.id).where(Typology.code == "UMM")).one()

    def add(self, state_id: int, prefix: str, count: int, *, viable=True, since=D(2024, 3, 2), days=range(7),
            left=None, stop=None, level="PRIMER", mobile=False) -> None:
        establishments, records, shifts, staff, stops = [], [], [], [], []
        for _ in range(count):
            est, rec = self.next[Establishment], self.next[WeekendRecord]
            self.next[Establishment] += 1
            self.next[WeekendRecord] += 1
            establishments.append({"id": est, "clues": f"{prefix}IMB{est:06d}", "name": f"Unidad {est}",
                                   "state_id": state_id, "level_of_care": level,
                                   "typology_id": self.umm if mobile else None})
            records.append({"id": rec, "establishment_id": est, "viable": viable, "weekend_since": since})
            shifts += [{"record_id": rec, "weekday": d, "kind": M, "starts_at": time(8), "ends_at": time(14)}
                       for d in days]
            staff.append({"record_id": rec, "role": "MEDICO", "full_name": f"Dr. {est}", "hired_on": D(2024, 3, 1),
                          "left_on": left})
            staff.append({"record_id": rec, "role": "ENFERMERIA", "full_name": f"Enf. {est}", "hired_on": D(2024, 3, 1)})
            if stop:
                stops.append({"record_id": rec, "starts_on": stop[0], "ends_on": stop[1], "reason": "obra"})
        for entity, rows in ((Establishment, establishments), (WeekendRecord, records), (WeekendShift, shifts),
                             (WeekendStaff, staff), (WeekendInterruption, stops)):
            if rows:
                self.s.execute(insert(entity), rows)
        sync_id_sequences(self.s, Establishment, WeekendRecord)


@pytest.fixture
def rollout(factory):
    """Sonora (block 1), Ciudad de México (block 2) and Oaxaca (block 3) with a known number of open units."""
    with factory.begin() as s:
        ids = dict(s.execute(select(State.inegi_code, State.id)).all())
        b = _Builder(s)
        b.add(ids["26"], "SR", 152)                                     # open
        b.add(ids["26"], "SR", 20, days=range(6))                       # viable, no Sunday shift
        b.add(ids["26"], "SR", 5, viable=False)                         # complete but not viable
        b.add(ids["26"], "SR", 3, level="SEGUNDO")                      # hospitals never count
        b.add(ids["26"], "SR", 2, mobile=True)                          # mobile units never count
        b.add(ids["09"], "DF", 158)                                     # open
        b.add(ids["09"], "DF", 10, left=D(2024, 5, 31))                 # their doctor left
        b.add(ids["20"], "OC", 413)                                     # open
        b.add(ids["20"], "OC", 7, stop=(D(2024, 6, 29), D(2024, 7, 2)))  # interrupted that weekend
        b.add(ids["20"], "OC", 4, since=D(2024, 7, 1))                  # start planned after the cut-off
    return ids


def test_one_state_per_block_reproduces_the_published_progress(factory, rollout):
    with factory() as s:
        rows = svc.rollout_summary(s, AS_OF)
    states = {r.inegi_code: r for r in rows if r.level == "state"}
    assert len(states) == 23
    assert [r.label for r in rows if r.block == 1] == [
        "Baja California", "Baja California Sur", "Campeche", "Colima", "Quintana Roo", "Sonora", "Zacatecas",
        "Total Bloque 1"]
    sonora, cdmx, oaxaca = states["26"], states["09"], states["20"]
    assert (sonora.target, sonora.viable, sonora.open_units, sonora.progress) == (218, 172, 152, 69.7)
    assert (cdmx.target, cdmx.viable, cdmx.open_units, cdmx.progress) == (211, 168, 158, 74.9)
    assert (oaxaca.target, oaxaca.viable, oaxaca.open_units, oaxaca.progress) == (748, 424, 413, 55.2)
    assert (sonora.doctors_assigned, cdmx.doctors_assigned, oaxaca.doctors_assigned) == (172, 158, 424)
    assert (sonora.doctors_needed, cdmx.doctors_needed, oaxaca.doctors_needed) == (218, 211, 748)
    assert states["02"].progress == 0.0 and states["02"].viable == 0
    totals = {r.label: r for r in rows if r.level != "state"}
    # Totals come from the rows' counts: 152/911, 158/2,734, 413/4,632, 723/8,277 — not averaged percentages.
    assert [(t.target, t.open_units, t.progress) for t in totals.values()] == [
        (911, 152, 16.7), (2734, 158, 5.8), (4632, 413, 8.9), (8277, 723, 8.7)]
    for label, block in (("Total Bloque 1", 1), ("Total Bloque 2", 2), ("Total Bloque 3", 3)):
        members = [r for r in rows if r.level == "state" and r.block == block]
        assert totals[label].viable == sum(r.viable for r in members)
        assert totals[label].doctors_assigned == sum(r.doctors_assigned for r in members)
    assert totals["Total"].viable == 172 + 168 + 424 and totals["Total"].doctors_needed == 8277
    assert rows[-1].label == "Total"


def test_one_state_summary_and_the_weekly_series(factory, rollout):
    with factory() as s:
        rows = svc.rollout_summary(s, AS_OF, rollout["20"])
        assert [(r.level, r.label, r.open_units, r.progress) for r in rows] == [
            ("state", "Oaxaca", 413, 55.2), ("block", "Total Bloque 3", 413, 55.2), ("total", "Total", 413, 55.2)]
        series = svc.open_series(s, None, D(2024, 2, 24), D(2024, 7, 7))
        oaxaca = svc.open_series(s, rollout["20"], D(2024, 6, 30), D(2024, 7, 7))
    assert series[0] == svc.SeriesPoint(D(2024, 2, 25), 0, 8277)
    assert series[1].week_end == D(2024, 3, 3) and series[1].open_units == 152 + 158 + 10 + 413 + 7
    by_week = {p.week_end: p.open_units for p in series}
    assert by_week[D(2024, 6, 2)] == 723 + 7  # the interruption is four weeks later
    assert by_week[D(2024, 6, 30)] == 723
    assert by_week[D(2024, 7, 7)] == 723 + 4  # the planned units opened; the interruption still touches the week
    assert [(p.week_end, p.open_units, p.target) for p in oaxaca] == [(D(2024, 6, 30), 413, 748), (D(2024, 7, 7), 417, 748)]


def test_pending_units_say_what_they_lack(factory, rollout):
    with factory() as s:
        pending = svc.pending_units(s, AS_OF, rollout["20"])
    assert len(pending) == 11
    reasons = {u.reasons for u in pending}
    assert reasons == {("Interrumpida del 29/06/2024 al 02/07/2024: obra",),
                       ("Abre en fin de semana a partir del 01/07/2024",)}


# ------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------

def test_only_the_national_office_edits_targets_and_the_history_is_kept(factory, bc):
    with factory.begin() as s:
        state_office = office_svc.get_office(s)
        with pytest.raises(svc.NotNationalOfficeError, match="Sólo la oficina nacional"):
            svc.set_target(s, bc.id, 120, "coordinador", state_office)
        with pytest.raises(PermissionError):
            svc.set_target(s, bc.id, 120, "coordinador", None)
        national = office_svc.set_office(s, None)
        with pytest.raises(ValidationError) as caught:
            svc.set_target(s, bc.id, 0, "upece", national, effective_from=D(2024, 1, 1))
        assert set(caught.value.errors) == {"units_target"}
        with pytest.raises(ValidationError, match="publicada en el catálogo"):
            svc.set_target(s, bc.id, 120, "upece", national, effective_from=D(2024, 1, 1))
        changed = svc.set_target(s, bc.id, 120, "upece", national, doctors=90, effective_from=D(2024, 7, 1),
                                 reason="Se sumaron 13 unidades rurales")
        assert (changed.units_target, changed.doctors_target, changed.from_catalogue) == (120, 90, False)
        again = svc.set_target(s, bc.id, 125, "upece", national, effective_from=D(2024, 7, 1), reason="corrección")
        assert again.id == changed.id  # same day: that day's row is edited
    with factory() as s:
        history = svc.target_history(s, bc.id)
        assert [(t.effective_from, t.units_target, t.from_catalogue, t.changed_by) for t in history] == [
            (D(2024, 1, 1), 107, True, "sistema"), (D(2024, 7, 1), 125, False, "upece")]
        assert svc.current_target(s, bc.id, D(2024, 6, 30)).units_target == 107
        assert svc.current_target(s, bc.id, D(2024, 7, 1)).units_target == 125
        assert svc.current_target(s, bc.id, D(2023, 12, 31)) is None
        june = svc.rollout_summary(s, D(2024, 6, 30), bc.id)[0]
        july = svc.rollout_summary(s, D(2024, 7, 7), bc.id)[0]
        assert (june.target, june.doctors_needed, july.target, july.doctors_needed) == (107, 107, 125, 125)  # no doctors figure: one per unit
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity == "meta_fin_de_semana")
                            .order_by(AuditEntry.id)).all()
        assert len(entries) == 2 and '"unidades": 107' in entries[0].before_json
        assert '"unidades": 120' in entries[1].before_json and '"unidades": 125' in entries[1].after_json
        assert s.scalar(select(func.count()).select_from(WeekendTarget)) == 24


# ------------------------------------------------------------------------------------------------
# Import of the state's roster
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def roster_units(factory, bc):
    """The units roster_bc.xlsx names (see tests/data/weekend/make_files.py)."""
    umm = typology_id(factory, "UMM")
    ids = {}
    for i in range(101, 111):
        ids[f"BCIMB000{i}"] = new_establishment(factory, bc.id, f"BCIMB000{i}", f"CS {i}",
                                                typology_id=umm if i == 107 else None).id
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    new_establishment(factory, 26, "SRIMB000001", "CS Hermosillo")
    return ids


def run_import(factory, path, state_id, progress=None, overwrite=False):
    with factory.begin() as s:
        plan = plan_file(s, "weekend", path, None, state_id)
        importer.KIND.applier(s, plan, "capturista", overwrite_conflicts=overwrite, progress=progress or Progress())
    return plan


def test_the_roster_imports_valid_rows_and_reports_each_error_with_its_row(factory, bc, roster_units):
    plan = run_import(factory, ROSTER, bc.id)
    assert [p.key for p in plan.new] == ["BCIMB000101", "BCIMB000102", "BCIMB000103", "BCIMB000104"]
    assert plan.skipped_other_state == 1
    assert [(i.row, i.column) for i in plan.rejected] == [
        (8, "CLUES"), (9, "CLUES"), (10, "MARTES"), (11, "VIABLE"), (11, "LUNES"), (11, "FECHA DE CONTRATACION"),
        (13, "CLUES"), (14, "CLUES"), (15, "TIPO DE CONTRATACION"), (16, "LUNES"), (17, "MIERCOLES")]
    reasons = {(i.row, i.column): i.reason for i in plan.rejected}
    assert "segundo nivel" in reasons[8, "CLUES"] and "no está registrada" in reasons[9, "CLUES"]
    assert "termina (08:00) antes de empezar (14:00)" in reasons[10, "MARTES"]
    assert reasons[11, "LUNES"] == "Hora imposible «25:00»."
    assert "no puede ser posterior a hoy" in reasons[11, "FECHA DE CONTRATACION"]
    assert "unidad médica móvil" in reasons[13, "CLUES"] and "fila 4" in reasons[14, "CLUES"]
    assert "2 personas" in reasons[15, "TIPO DE CONTRATACION"] and "«X»" in reasons[16, "LUNES"]
    assert "sábado o domingo" in reasons[17, "MIERCOLES"]
    assert any(line.startswith("Fila 11, columna VIABLE") for line in plan.summary_lines())
    with factory() as s:
        stored = svc.load_schedules(s, [roster_units[c] for c in ("BCIMB000101", "BCIMB000102", "BCIMB000103",
                                                                   "BCIMB000104")])
    florido, pinos, sauzal, valle = stored.values()
    assert svc.why_not_open(florido, D(2024, 6, 30)) == []
    assert sorted((p.role, p.full_name, p.contract_type, p.hired_on) for p in florido.staff) == [
        ("ENFERMERIA", "ENF. MARÍA GÓMEZ", "EVENTUAL", D(2024, 3, 1)),
        ("MEDICO", "DR. JUAN PÉREZ SOTO", "EVENTUAL", D(2024, 3, 1)),
        ("MEDICO", "DRA. ANA LÓPEZ RUIZ", "EVENTUAL", D(2024, 3, 1))]
    assert svc.why_not_open(pinos, D(2024, 6, 30)) == ["Sin turno definido el domingo"]
    assert len(pinos.shifts) == 11 and pinos.weekend_since == D(2024, 1, 15)
    assert sorted((p.role, p.full_name, p.contract_type, p.hired_on) for p in pinos.staff) == [
        ("ENFERMERIA", "", "EVENTUAL", None), ("MEDICO", "", "EVENTUAL", None),
        ("MEDICO", "DR. LUIS MARTÍNEZ", "BASE", D(2024, 1, 15))]
    assert not sauzal.viable and sauzal.shifts == []
    assert valle.weekend_since == D(2030, 6, 1) and {(s.kind, s.starts_at, s.ends_at) for s in valle.shifts} == {
        (N, time(20), time(8))}


def test_reimporting_the_roster_changes_nothing(engine, factory, bc, roster_units):
    run_import(factory, ROSTER, bc.id)
    before = table_dump(engine)
    plan = run_import(factory, ROSTER, bc.id)
    assert (len(plan.new), len(plan.updated), len(plan.unchanged)) == (0, 0, 4)
    assert table_dump(engine) == before  # not even an audit entry


def test_a_retired_record_comes_back_instead_of_a_duplicate(factory, bc, roster_units):
    run_import(factory, ROSTER, bc.id)
    florido = roster_units["BCIMB000101"]
    with factory.begin() as s:
        s.execute(text("UPDATE weekend_records SET deleted_at = '2024-07-01 00:00:00.000000' "
                       "WHERE establishment_id = :e"), {"e": florido})
    plan = run_import(factory, ROSTER, bc.id)
    assert [p.key for p in plan.new] == ["BCIMB000101"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(WeekendRecord)
                        .where(WeekendRecord.establishment_id == florido, WeekendRecord.deleted_at.is_(None))) == 1
        assert svc.is_open(svc.get_schedule(s, florido), D(2024, 6, 30))


def test_a_crash_half_way_leaves_the_database_exactly_as_it_was(engine, factory, bc, roster_units):
    before = table_dump(engine)

    def explode(done, total, stage):
        if stage == "Guardando" and done >= 2:
            raise RuntimeError("corte de luz simulado")

    with pytest.raises(RuntimeError, match="corte de luz"):
        run_import(factory, ROSTER, bc.id, progress=Progress(explode))
    assert table_dump(engine) == before
    assert_file_intact(engine)


def test_cancelling_the_import_rolls_everything_back(engine, factory, bc, roster_units):
    before = table_dump(engine)
    progress = Progress(lambda done, total, stage: progress.cancel() if stage == "Guardando" and done else None)
    with pytest.raises(ImportCancelled):
        run_import(factory, ROSTER, bc.id, progress=progress)
    assert table_dump(engine) == before


def test_a_new_roster_records_who_left_and_who_arrived(factory, bc, roster_units, tmp_path):
    run_import(factory, ROSTER, bc.id)
    files = _make_files()
    rows = [list(r) for r in files.ROWS[:4]]
    rows[0][11] = "DRA. ANA LÓPEZ RUIZ; DR. NUEVO GARCÍA"  # Juan Pérez is gone, Nuevo García arrived
    rows[0][14] = "01/03/2024; 01/06/2024; 01/03/2024"  # doctors, then the nurse
    rows[0][13] = "EVENTUAL"
    rows[1][9] = "M 08:00-14:00"  # Pinos now opens on Sunday
    path = files.write_roster(tmp_path / "roster_julio.xlsx", rows)
    today = D(2024, 7, 1)
    with factory.begin() as s:
        sheet, mapping = read_for("weekend", path)
        plan = importer.plan_import(s, sheet, mapping, bc.id, None, today=today)
        assert [u.key for u in plan.updated] == ["BCIMB000101", "BCIMB000102"] and len(plan.unchanged) == 2
        assert plan.updated[0].changes == {"doctors": (
            "DR. JUAN PÉREZ SOTO (EVENTUAL, 01/03/2024); DRA. ANA LÓPEZ RUIZ (EVENTUAL, 01/03/2024)",
            "DR. NUEVO GARCÍA (EVENTUAL, 01/06/2024); DRA. ANA LÓPEZ RUIZ (EVENTUAL, 01/03/2024)")}
        assert plan.updated[1].changes == {"sunday": ("", "M 08:00-14:00")}
        importer.apply_import(s, plan, "capturista")
    with factory() as s:
        florido = svc.get_schedule(s, roster_units["BCIMB000101"])
        pinos = svc.get_schedule(s, roster_units["BCIMB000102"])
        again = importer.plan_import(s, *read_for("weekend", path), bc.id, None, today=today)
    juan = next(p for p in florido.staff if "JUAN" in p.full_name)
    assert juan.left_on == D(2024, 6, 30)  # kept as history
    assert len([p for p in florido.staff if p.role == "MEDICO"]) == 3
    assert svc.is_open(pinos, D(2024, 7, 7))
    assert (len(again.updated), len(again.unchanged)) == (0, 4)


def test_staff_tied_to_a_shift_the_file_drops_are_untied_with_a_warning(factory, bc, roster_units, tmp_path):
    run_import(factory, ROSTER, bc.id)
    with factory.begin() as s:
        florido = svc.get_schedule(s, roster_units["BCIMB000101"])
        ana = next(p for p in florido.staff if "ANA" in p.full_name)
        ana.shift = next(i for i, x in enumerate(florido.shifts) if x.weekday == 0)  # Monday morning only
        svc.save_schedule(s, florido, "jefa")
    files = _make_files()
    rows = [list(files.ROWS[0])]
    rows[0][3] = "V 14:00-20:00"  # Monday is now an afternoon shift
    path = files.write_roster(tmp_path / "roster_lunes.xlsx", rows)
    with factory.begin() as s:
        plan = importer.plan_import(s, *read_for("weekend", path), bc.id, None)
        assert [(w.row, w.column) for w in plan.warnings] == [(4, "LUNES")]
        assert "DRA. ANA LÓPEZ RUIZ" in plan.warnings[0].reason and "lunes, matutino" in plan.warnings[0].reason
        assert plan.updated[0].changes == {"monday": ("M 08:00-14:00", "V 14:00-20:00")}
        importer.apply_import(s, plan, "capturista")
    with factory() as s:
        florido = svc.get_schedule(s, roster_units["BCIMB000101"])
    assert next(p for p in florido.staff if "ANA" in p.full_name).shift is None


def test_a_unit_edited_in_the_office_after_the_file_date_is_a_conflict(factory, bc, roster_units):
    run_import(factory, ROSTER, bc.id)
    with factory.begin() as s:
        florido = svc.get_schedule(s, roster_units["BCIMB000101"])
        svc.save_schedule(s, svc.ScheduleData(**{**florido.__dict__, "weekend_since": D(2024, 3, 9)}), "jefa")
    with factory() as s:
        sheet, mapping = read_for("weekend", ROSTER)
        plan = importer.plan_import(s, sheet, mapping, bc.id, datetime(2024, 7, 1, tzinfo=timezone.utc))
    [conflict] = plan.updated
    assert conflict.key == "BCIMB000101" and not conflict.changes
    assert conflict.conflicts == {"weekend_since": ("09/03/2024", "02/03/2024")}
    run_import(factory, ROSTER, bc.id)  # the file's date is today: not a conflict any more, applied


def test_the_template_explains_the_format(tmp_path):
    path = tmp_path / "plantilla.xlsx"
    write_template("weekend", path)
    headers = read_sheet(path, "Datos", importer.KIND.known_headers()).headers
    assert headers[:4] == ["CLUES", "NOMBRE DE LA UNIDAD", "VIABLE", "LUNES"] and "FECHA DE CONTRATACION" in headers
    instructions = " ".join(read_sheet(path, "Instrucciones").headers + [
        str(c) for row in read_sheet(path, "Instrucciones").rows for c in row if c])
    assert "M 08:00-14:00" in instructions and "VACANTE" in instructions
    assert importer.parse_day("m 8-14 / N 20:00 a 08:00", 0) == [shift(0, M, 8, 14), shift(0, N, 20, 8)]
    assert importer.parse_day("Matutino 07:30–15:00", 1) == [svc.ShiftData(1, M, time(7, 30), time(15))]
    assert importer.parse_day("NO ABRE", 6) == [] and importer.parse_day(None, 6) == []
    with pytest.raises(importer.CellError, match="no es un turno"):
        importer.parse_day("mañana", 0)


# ------------------------------------------------------------------------------------------------
# Headless summary
# ------------------------------------------------------------------------------------------------

def run_cli(db: Path, *argv: str, capsys) -> tuple[int, str]:
    """The registrar wired into an argparse parser shaped like gui.cli's, run in-process."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    add_weekend(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--db", str(db), *argv])
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_summary_prints_state_rows_and_totals(db_path, factory, rollout, capsys):
    with factory.begin() as s:
        office_svc.set_office(s, None)
    code, out = run_cli(db_path, "weekend", "summary", "--as-of", "2024-06-30", capsys=capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(SUMMARY_HEADERS) and len(rows) == 23 + 3 + 1
    sonora = next(r for r in rows if r["ENTIDAD"] == "Sonora")
    assert (sonora["BLOQUE"], sonora["META"], sonora["VIABLES"], sonora["ABIERTAS 7 DIAS"], sonora["AVANCE %"]) == (
        "1", "218", "172", "152", "69.7")
    assert [(r["ENTIDAD"], r["META"], r["ABIERTAS 7 DIAS"], r["AVANCE %"]) for r in rows if r["TIPO"] != "ENTIDAD"] == [
        ("Total Bloque 1", "911", "152", "16.7"), ("Total Bloque 2", "2734", "158", "5.8"),
        ("Total Bloque 3", "4632", "413", "8.9"), ("Total", "8277", "723", "8.7")]
    code, out = run_cli(db_path, "weekend", "summary", "--state", "OC", "--as-of", "2024-06-30", "--format", "json",
                        capsys=capsys)
    records = json.loads(out)
    assert [(r["TIPO"], r["ENTIDAD"], r["AVANCE %"]) for r in records] == [
        ("ENTIDAD", "Oaxaca", "55.2"), ("TOTAL BLOQUE", "Total Bloque 3", "55.2"), ("TOTAL", "Total", "55.2")]
    code, out = run_cli(db_path, "weekend", "pending", "--state", "Oaxaca", "--as-of", "2024-06-30", capsys=capsys)
    assert code == 0 and len(list(csv.DictReader(io.StringIO(out)))) == 11


def test_cli_defaults_to_the_office_state_and_rejects_an_unknown_one(db_path, factory, bc, capsys):
    code, out = run_cli(db_path, "weekend", "summary", "--as-of", "2024-06-30", capsys=capsys)
    assert code == 0 and [r[3] for r in csv.reader(io.StringIO(out))][1:] == [
        "Baja California", "Total Bloque 1", "Total"]
    code, out = run_cli(db_path, "weekend", "summary", "--state", "Atlántida", capsys=capsys)
    assert code == 2 and "Entidad desconocida: Atlántida" in out


def test_summary_rows_format_empty_targets_as_blank():
    row = svc.RolloutRow("state", None, "Yucatán", 31, "31", None, 3, 1, None, 1, None)
    assert summary_rows([row]) == [["ENTIDAD", "", "31", "Yucatán", "", 3, 1, "", 1, ""]]
