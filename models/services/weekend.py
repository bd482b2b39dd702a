"""Weekend opening (7-day care): unit schedules, the "open 7 days" rule, rollout figures and targets.

**Which units.** Fixed first-level units: level of care PRIMER, typology not mobile (UMM excluded; no
typology counts as fixed), not retired. Every figure counts only those, in adhered states.

**The rule.** A unit is *open 7 days* on a date D when

1. its weekend record is marked viable;
2. ``weekend_since`` is set and on or before D;
3. every weekday, Monday to Sunday, has at least one shift *staffed on D*. A shift is staffed when an
   active doctor covers it (``STAFFING_ROLES``): a staff row tied to a shift (``shift_id``) covers that
   shift only; a row with no shift covers all of the unit's shifts. *Active on D*: a named person (an
   empty name is a vacancy and never counts) with ``hired_on`` empty or <= D and ``left_on`` empty or
   >= D (the day someone leaves is still worked). Nurses and other staff are recorded and listed but do
   not by themselves make a shift staffed: the programme's goal and its hiring figure are doctors;
4. no interruption touches the Monday–Sunday week containing D (an interruption with no end date runs on).

``why_not_open`` applies the rule to one unit and says, in Spanish, what is missing; ``_Roster`` applies
the same rule to thousands of units from a few bulk queries and numpy arrays (a test keeps both equal).

**Doctors needed.** The target's ``doctors_target`` when the catalogue has it; otherwise one doctor per
unit of the target (a unit cannot open without at least one). *Doctors assigned*: distinct active doctors
(by name, per unit) at the state's viable units on the date.

**Targets** are ``WeekendTarget`` rows, each in force from its ``effective_from``; the latest one on or
before a date applies (none before the first). Only the national office adds or edits them; the rows
themselves are the history, and every change is also in the audit trail. The catalogue's own rows are
never edited (a catalogue upgrade would overwrite the edit): a change gets a new effective date.

Services take a Session, never commit, return plain dataclasses and raise ``ValidationError`` with every
problem at once.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Sequence

import numpy as np
from sqlalchemy import and_, distinct, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.catalog import catalog_uuid
from models.entities import (
    Establishment,
    State,
    Typology,
    WeekendBlock,
    WeekendInterruption,
    WeekendRecord,
    WeekendShift,
    WeekendStaff,
    WeekendTarget,
)
from models.enums import LevelOfCare, ShiftKind, StaffRole
from models.services import audit, users
from models.services.establishments import ConcurrencyError, NotFoundError
from models.text import fold, tidy
from models.validation import ValidationError, validate_optional_text, validate_past_date

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
WEEKDAY_CODES = ("L", "M", "Mi", "J", "V", "S", "D")
STAFFING_ROLES = frozenset({StaffRole.MEDICO.value})
AUDIT_ENTITY = "apertura_fin_de_semana"
TARGET_AUDIT_ENTITY = "meta_fin_de_semana"
MIDNIGHT = time(0, 0)
_KIND_ORDER = {k.value: i for i, k in enumerate(ShiftKind)}
_NEVER = 10**9  # a day number later than any date ("no end", "not set")


class NotNationalOfficeError(PermissionError):
    """Only the national office may do this; message in Spanish."""


# ------------------------------------------------------------------------------------------------
# DTOs
# ------------------------------------------------------------------------------------------------

@dataclass
class ShiftData:
    """A shift on one weekday (0 = Monday … 6 = Sunday)."""

    weekday: int
    kind: str
    starts_at: time | None
    ends_at: time | None
    id: int | None = None

    def label(self) -> str:
        """«sábado, jornada acumulada» — for messages."""
        day = WEEKDAYS[self.weekday] if 0 <= self.weekday <= 6 else f"día {self.weekday}"
        kind = ShiftKind(self.kind).label.lower() if self.kind in ShiftKind._value2member_map_ else self.kind
        return f"{day}, {kind}"

    def hours(self) -> str:
        """«08:00-14:00»."""
        return f"{_hhmm(self.starts_at)}-{_hhmm(self.ends_at)}"


@dataclass
class StaffData:
    """A person (or a vacancy: empty name) assigned to the unit's weekend shifts.

    ``shift`` is an index into the schedule's ``shifts`` (None: all the unit's weekend shifts)."""

    role: str
    full_name: str = ""
    contract_type: str = ""
    hired_on: date | None = None
    left_on: date | None = None
    shift: int | None = None
    id: int | None = None

    @property
    def is_vacancy(self) -> bool:
        return not self.full_name.strip()

    def active_on(self, day: date) -> bool:
        """A named person hired by ``day`` who has not left before it."""
        return (not self.is_vacancy and (self.hired_on is None or self.hired_on <= day)
                and (self.left_on is None or self.left_on >= day))


@dataclass
class InterruptionData:
    """A period in which the unit did not open on weekends (``ends_on`` None: still interrupted)."""

    starts_on: date | None
    ends_on: date | None = None
    reason: str = ""
    id: int | None = None


@dataclass
class ScheduleData:
    """A unit's whole weekend-opening record, as the form edits it and ``save_schedule`` stores it."""

    establishment_id: int
    viable: bool = True
    weekend_since: date | None = None
    notes: str = ""
    shifts: list[ShiftData] = field(default_factory=list)
    staff: list[StaffData] = field(default_factory=list)
    interruptions: list[InterruptionData] = field(default_factory=list)
    id: int | None = None  # record id; None while the unit has no record
    uuid: str | None = None
    version: int | None = None  # the record's version when read (concurrency check on save)
    clues: str = ""
    name: str = ""
    state_id: int | None = None


@dataclass(frozen=True)
class UnitStatus:
    """One eligible unit's standing on a date (the rollout page's unit list)."""

    establishment_id: int
    clues: str
    name: str
    state_id: int
    registered: bool
    viable: bool
    weekend_since: date | None
    days: str  # weekdays with a shift: "L M Mi J V S D"
    doctors: int  # active doctors (distinct names)
    open_7_days: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RolloutRow:
    """A row of the rollout table: a state (``level == "state"``), a block total or the overall total."""

    level: str  # "state" | "block" | "total"
    block: int | None
    label: str
    state_id: int | None
    inegi_code: str
    target: int | None
    viable: int
    open_units: int
    progress: float | None  # open ÷ target × 100, one decimal (half up); None without a target
    doctors_assigned: int
    doctors_needed: int | None


@dataclass(frozen=True)
class SeriesPoint:
    """Units open 7 days at a week's Sunday, and the target in force that day."""

    week_end: date
    open_units: int
    target: int | None


@dataclass(frozen=True)
class TargetInfo:
    """A state's target from a date on."""

    id: int
    state_id: int
    units_target: int
    doctors_target: int | None
    effective_from: date
    source: str
    reason: str
    changed_by: str
    changed_at: Any
    from_catalogue: bool


# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------

def _hhmm(value: time | None) -> str:
    return value.strftime("%H:%M") if value is not None else "--:--"


def _dmy(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of the week containing ``day``."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def progress_percent(open_units: int, target: int | None) -> float | None:
    """open ÷ target × 100 rounded half up to one decimal (70.09… → 70.1); None without a target."""
    if not target:
        return None
    value = (Decimal(100 * open_units) / Decimal(target)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return float(value)


def _eligibility_problem(est: Establishment | None, typology: Typology | None) -> str | None:
    if est is None:
        return "El establecimiento ya no existe en la base de datos."
    if est.deleted_at is not None:
        return f"{est.clues} está dado de baja."
    if est.level_of_care != LevelOfCare.PRIMER:
        return (f"{est.clues} es de {est.level_of_care.label.lower()}: la apertura en fin de semana es sólo para "
                "unidades fijas de primer nivel.")
    if typology is not None and typology.is_mobile:
        return f"{est.clues} es una unidad médica móvil: la apertura en fin de semana es sólo para unidades fijas."
    return None


def _eligible_filter(e, t):
    """SQL condition: fixed first-level, not retired (``t`` outer-joined typologies)."""
    return and_(e.c.level_of_care == LevelOfCare.PRIMER, e.c.deleted_at.is_(None),
                or_(t.c.id.is_(None), t.c.is_mobile.is_(False)))


# ------------------------------------------------------------------------------------------------
# Reading schedules
# ------------------------------------------------------------------------------------------------

def load_schedules(session: Session, establishment_ids: Sequence[int]) -> dict[int, ScheduleData]:
    """The schedules of many units at once (four queries per 900 units), by establishment id.

    Units without a record get an empty ``ScheduleData`` (``id`` None, viable by default)."""
    e = Establishment.__table__
    r, s, st, it = (WeekendRecord.__table__, WeekendShift.__table__, WeekendStaff.__table__,
                    WeekendInterruption.__table__)
    out: dict[int, ScheduleData] = {}
    ids = list(dict.fromkeys(establishment_ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        records: dict[int, ScheduleData] = {}
        query = (select(e.c.id, e.c.clues, e.c.name, e.c.state_id, r.c.id.label("rid"), r.c.uuid, r.c.version,
                        r.c.viable, r.c.weekend_since, r.c.notes)
                 .select_from(e.outerjoin(r, and_(r.c.establishment_id == e.c.id, r.c.deleted_at.is_(None))))
                 .where(e.c.id.in_(chunk)))
        for row in session.execute(query):
            data = ScheduleData(establishment_id=row.id, clues=row.clues, name=row.name, state_id=row.state_id)
            if row.rid is not None:
                data.id, data.uuid, data.version = row.rid, row.uuid, row.version
                data.viable, data.weekend_since, data.notes = bool(row.viable), row.weekend_since, row.notes or ""
                records[row.rid] = data
            out[row.id] = data
        if not records:
            continue
        rids = list(records)
        shift_index: dict[int, tuple[int, int]] = {}  # shift id → (record id, index)
        rows = session.execute(select(s.c.id, s.c.record_id, s.c.weekday, s.c.kind, s.c.starts_at, s.c.ends_at)
                               .where(s.c.record_id.in_(rids), s.c.deleted_at.is_(None))).all()
        rows.sort(key=lambda x: (x.record_id, x.weekday, _KIND_ORDER.get(str(x.kind), 9), x.starts_at or MIDNIGHT, x.id))
        for row in rows:
            shifts = records[row.record_id].shifts
            shift_index[row.id] = (row.record_id, len(shifts))
            shifts.append(ShiftData(row.weekday, ShiftKind(row.kind).value, row.starts_at, row.ends_at, row.id))
        rows = session.execute(select(st.c.id, st.c.record_id, st.c.shift_id, st.c.role, st.c.full_name,
                                      st.c.contract_type, st.c.hired_on, st.c.left_on)
                               .where(st.c.record_id.in_(rids), st.c.deleted_at.is_(None))).all()
        rows.sort(key=lambda x: (x.record_id, str(x.role), x.hired_on or date.min, x.full_name, x.id))
        for row in rows:
            owner = shift_index.get(row.shift_id) if row.shift_id is not None else None
            index = owner[1] if owner is not None and owner[0] == row.record_id else None
            records[row.record_id].staff.append(StaffData(StaffRole(row.role).value, row.full_name or "",
                                                          row.contract_type or "", row.hired_on, row.left_on,
                                                          index, row.id))
        rows = session.execute(select(it.c.id, it.c.record_id, it.c.starts_on, it.c.ends_on, it.c.reason)
                               .where(it.c.record_id.in_(rids), it.c.deleted_at.is_(None))).all()
        rows.sort(key=lambda x: (x.record_id, x.starts_on, x.id))
        for row in rows:
            records[row.record_id].interruptions.append(
                InterruptionData(row.starts_on, row.ends_on, row.reason or "", row.id))
    return out


def get_schedule(session: Session, establishment_id: int) -> ScheduleData:
    """One unit's schedule (empty, viable by default, when it has no record yet)."""
    found = load_schedules(session, [establishment_id]).get(establishment_id)
    if found is None:
        raise NotFoundError("El establecimiento ya no existe en la base de datos.")
    return found


# ------------------------------------------------------------------------------------------------
# The rule for one unit
# ------------------------------------------------------------------------------------------------

def _day_coverage(data: ScheduleData, on: date) -> tuple[list[bool], list[bool]]:
    """Per weekday: has a shift; has a shift staffed on ``on``."""
    active = [p for p in data.staff if p.role in STAFFING_ROLES and p.active_on(on)]
    covers_all = any(p.shift is None for p in active)
    staffed_shifts = {p.shift for p in active if p.shift is not None}
    has_shift, staffed = [False] * 7, [False] * 7
    for i, shift in enumerate(data.shifts):
        if 0 <= shift.weekday <= 6:
            has_shift[shift.weekday] = True
            if covers_all or i in staffed_shifts:
                staffed[shift.weekday] = True
    return has_shift, staffed


def _reasons(viable: bool, since: date | None, has_shift: Sequence[bool], staffed: Sequence[bool],
             interruptions: Iterable[tuple[date, date | None, str]], on: date) -> list[str]:
    """What keeps a unit from being open 7 days on ``on`` (empty: it is open)."""
    reasons: list[str] = []
    if not viable:
        reasons.append("No está marcada como viable para la apertura en fin de semana")
    if since is None:
        reasons.append("Sin fecha de inicio de apertura en fin de semana")
    elif since > on:
        reasons.append(f"Abre en fin de semana a partir del {_dmy(since)}")
    if not any(has_shift):
        reasons.append("Sin turnos definidos")
    else:
        no_shift = [d for d in range(7) if not has_shift[d]]
        no_doctor = [d for d in range(7) if has_shift[d] and not staffed[d]]
        if no_shift:
            reasons.append(f"Sin turno definido {_days_text(no_shift)}")
        if len(no_doctor) == 7:
            reasons.append("Sin médico ningún día")
        elif no_doctor:
            reasons.append(f"Sin médico {_days_text(no_doctor)}")
    monday, sunday = week_of(on)
    for start, end, reason in interruptions:
        if start is not None and start <= sunday and (end is None or end >= monday):
            text = f"Interrumpida del {_dmy(start)} al {_dmy(end)}" if end else f"Interrumpida desde el {_dmy(start)}"
            reasons.append(f"{text}: {reason}" if reason.strip() else text)
    return reasons


def _days_text(days: Sequence[int]) -> str:
    """«el domingo», «el sábado y el domingo», «el lunes, el martes y el domingo»."""
    names = [f"el {WEEKDAYS[d]}" for d in days]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} y {names[-1]}"


def why_not_open(schedule: ScheduleData, on: date) -> list[str]:
    """Spanish reasons the unit is not open 7 days on ``on``; an empty list means it is open."""
    has_shift, staffed = _day_coverage(schedule, on)
    return _reasons(schedule.viable, schedule.weekend_since, has_shift, staffed,
                    ((i.starts_on, i.ends_on, i.reason) for i in schedule.interruptions), on)


def is_open(schedule: ScheduleData, on: date) -> bool:
    """True when the unit is open 7 days on ``on``."""
    return not why_not_open(schedule, on)


# ------------------------------------------------------------------------------------------------
# Validation and saving
# ------------------------------------------------------------------------------------------------

def clean(data: ScheduleData) -> ScheduleData:
    """Trimmed text, upper-case-insensitive values left as given."""
    return replace(
        data,
        notes=(data.notes or "").strip(),
        shifts=[replace(s) for s in data.shifts],
        staff=[replace(p, full_name=tidy(p.full_name), contract_type=tidy(p.contract_type)) for p in data.staff],
        interruptions=[replace(i, reason=tidy(i.reason)) for i in data.interruptions],
    )


def check_schedule(data: ScheduleData, today: date | None = None) -> dict[str, str]:
    """Every problem of a (cleaned) schedule, keyed ``weekend_since``, ``shifts.3.ends_at``,
    ``staff.0.hired_on``, ``interruptions.1.ends_on``…; empty when it can be saved. Needs no database."""
    today = today or date.today()
    errors: dict[str, str] = {}
    if data.weekend_since is not None and data.weekend_since.year < 2000:
        errors["weekend_since"] = "La fecha de inicio de apertura en fin de semana no puede ser anterior al 01/01/2000."
    seen: dict[tuple[int, str], int] = {}
    for i, shift in enumerate(data.shifts):
        key = f"shifts.{i}"
        if not 0 <= shift.weekday <= 6:
            errors[f"{key}.weekday"] = f"Turno {i + 1}: el día debe ser de lunes (0) a domingo (6)."
            continue
        if shift.kind not in ShiftKind._value2member_map_:
            errors[f"{key}.kind"] = f"Turno {i + 1} ({WEEKDAYS[shift.weekday]}): seleccione el tipo de turno."
            continue
        where = f"Turno {shift.label()}"
        if shift.kind == ShiftKind.JORNADA_ACUMULADA and shift.weekday < 5:
            errors[f"{key}.kind"] = f"{where}: sólo puede ser sábado o domingo."
        if (shift.weekday, shift.kind) in seen:
            errors[f"{key}.kind"] = f"{where}: está repetido (ya es el turno {seen[shift.weekday, shift.kind] + 1})."
        seen.setdefault((shift.weekday, shift.kind), i)
        if shift.starts_at is None or shift.ends_at is None:
            errors[f"{key}.{'starts_at' if shift.starts_at is None else 'ends_at'}"] = (
                f"{where}: capture la hora de inicio y la de término.")
        elif shift.starts_at == shift.ends_at:
            errors[f"{key}.ends_at"] = f"{where}: la hora de término debe ser distinta de la de inicio."
        elif shift.ends_at < shift.starts_at and shift.ends_at != MIDNIGHT and shift.kind != ShiftKind.NOCTURNO:
            errors[f"{key}.ends_at"] = (
                f"{where}: termina ({_hhmm(shift.ends_at)}) antes de empezar ({_hhmm(shift.starts_at)}); "
                "sólo el turno nocturno puede pasar de la medianoche.")
    seen_people: dict[tuple, int] = {}
    for i, person in enumerate(data.staff):
        key = f"staff.{i}"
        if person.role not in StaffRole._value2member_map_:
            errors[f"{key}.role"] = f"Personal {i + 1}: seleccione si es médico(a), enfermería u otro personal."
            continue
        who = f"{StaffRole(person.role).label} {person.full_name or '(vacante)'}"
        for name, label, limit in (("full_name", "El nombre", 200), ("contract_type", "El tipo de contratación", 80)):
            message = validate_optional_text(getattr(person, name), label, limit)
            if message:
                errors[f"{key}.{name}"] = f"{who}: {message}"
        if person.shift is not None and not 0 <= person.shift < len(data.shifts):
            errors[f"{key}.shift"] = f"{who}: el turno asignado no existe en el horario."
        if person.is_vacancy:
            if person.hired_on is not None or person.left_on is not None:
                errors[f"{key}.hired_on"] = (f"{who}: una vacante no lleva fechas de contratación ni de baja; "
                                             "capture el nombre de la persona contratada.")
            continue
        message = validate_past_date(person.hired_on, "fecha de contratación", today)
        if message:
            errors[f"{key}.hired_on"] = f"{who}: {message}"
        if person.left_on is not None and person.hired_on is not None and person.left_on < person.hired_on:
            errors[f"{key}.left_on"] = f"{who}: la fecha de baja es anterior a la de contratación."
        ident = (person.role, fold(person.full_name), person.shift, person.hired_on)
        if ident in seen_people:
            errors[f"{key}.full_name"] = f"{who}: está repetido (personal {seen_people[ident] + 1})."
        seen_people.setdefault(ident, i)
    periods: list[tuple[date, date, int]] = []
    for i, stop in enumerate(data.interruptions):
        key = f"interruptions.{i}"
        if stop.starts_on is None:
            errors[f"{key}.starts_on"] = f"Interrupción {i + 1}: capture la fecha de inicio."
            continue
        if stop.ends_on is not None and stop.ends_on < stop.starts_on:
            errors[f"{key}.ends_on"] = f"Interrupción del {_dmy(stop.starts_on)}: termina antes de empezar."
            continue
        if not stop.reason.strip():
            errors[f"{key}.reason"] = f"Interrupción del {_dmy(stop.starts_on)}: indique el motivo."
        end = stop.ends_on or date.max
        for other_start, other_end, j in periods:
            if stop.starts_on <= other_end and end >= other_start:
                errors[f"{key}.starts_on"] = (f"La interrupción del {_dmy(stop.starts_on)} se traslapa con la "
                                              f"interrupción {j + 1} (del {_dmy(other_start)}).")
                break
        periods.append((stop.starts_on, end, i))
    return errors


def _canonical(data: ScheduleData) -> tuple:
    """Content of a schedule without ids and order, to tell whether a save changes anything."""
    def shift_key(s: ShiftData | None):
        return None if s is None else (s.weekday, s.kind)

    shifts = sorted((s.weekday, s.kind, s.starts_at, s.ends_at) for s in data.shifts)
    staff = sorted(
        (p.role, p.full_name, p.contract_type, p.hired_on or date.min, p.left_on or date.max,
         shift_key(data.shifts[p.shift]) if p.shift is not None and p.shift < len(data.shifts) else ())
        for p in data.staff)
    stops = sorted((i.starts_on, i.ends_on or date.max, i.reason) for i in data.interruptions)
    return bool(data.viable), data.weekend_since, data.notes, tuple(shifts), tuple(staff), tuple(stops)


def same_schedule(a: ScheduleData, b: ScheduleData) -> bool:
    """True when two schedules hold the same content (ids and order aside): saving one over the other
    would change nothing."""
    return _canonical(a) == _canonical(b)


def audit_values(data: ScheduleData) -> dict:
    """The schedule as the audit trail stores it (readable, Spanish keys)."""
    def shift_text(s: ShiftData) -> str:
        return f"{s.label()} {s.hours()}"

    return {
        "viable": data.viable,
        "inicio_fin_de_semana": data.weekend_since,
        "notas": data.notes,
        "turnos": [shift_text(s) for s in data.shifts],
        "personal": [
            {"rol": p.role, "nombre": p.full_name or "VACANTE", "contratacion": p.contract_type,
             "fecha_contratacion": p.hired_on, "fecha_baja": p.left_on,
             "turno": shift_text(data.shifts[p.shift]) if p.shift is not None else "todos"}
            for p in data.staff
        ],
        "interrupciones": [{"desde": i.starts_on, "hasta": i.ends_on, "motivo": i.reason} for i in data.interruptions],
    }


def write_schedule(session: Session, current: ScheduleData, data: ScheduleData, user: str, action: str,
           changed_by: str | None = None) -> bool:
    """Store an already validated schedule over ``current`` (as ``load_schedules`` read it) and audit it.

    Rows are matched by id, else by content (shift: day and kind; staff: role, name and hire date;
    interruption: start date), so their uuids stay; rows no longer listed are retired (soft delete).
    ``changed_by`` marks the rows (the import uses "usuario (importación)"). Returns False, writing
    nothing, when nothing changes."""
    if _canonical(current) == _canonical(data) and current.id is not None:
        return False
    now = utcnow()
    who = changed_by or user
    with session.no_autoflush:
        record = session.get(WeekendRecord, current.id) if current.id is not None else None
        if record is None:  # a retired record of the unit comes back (one record per establishment)
            record = session.scalars(select(WeekendRecord).where(
                WeekendRecord.establishment_id == data.establishment_id)).one_or_none()
            if record is not None:
                record.deleted_at = None
        fresh = record is None
        if fresh:
            record = WeekendRecord(establishment_id=data.establishment_id, changed_by=who)
            session.add(record)
        record.viable, record.weekend_since, record.notes = bool(data.viable), data.weekend_since, data.notes
        record.changed_by, record.updated_at = who, now  # bumps the record's version on every schedule change

        def live(entity) -> dict[int, Any]:
            if fresh:
                return {}
            return {o.id: o for o in session.scalars(select(entity).where(
                entity.record_id == record.id, entity.deleted_at.is_(None)))}

        def pick(existing: dict[int, Any], item_id: int | None, same) -> Any:
            if item_id is not None and item_id in existing:
                return existing.pop(item_id)
            for key, obj in existing.items():
                if same(obj):
                    return existing.pop(key)
            return None

        live_shifts, live_staff, live_stops = live(WeekendShift), live(WeekendStaff), live(WeekendInterruption)
        shift_objs: list[WeekendShift] = []
        for s in data.shifts:
            obj = pick(live_shifts, s.id, lambda o, s=s: o.weekday == s.weekday and o.kind.value == s.kind)
            if obj is None:
                obj = WeekendShift(record=record, changed_by=who)
                session.add(obj)
            _assign(obj, who, weekday=s.weekday, kind=ShiftKind(s.kind), starts_at=s.starts_at, ends_at=s.ends_at)
            shift_objs.append(obj)
    session.flush()  # ids of the record and its shifts, for the staff's shift links
    with session.no_autoflush:
        for p in data.staff:
            shift_id = shift_objs[p.shift].id if p.shift is not None else None
            obj = pick(live_staff, p.id, lambda o, p=p: (o.role.value == p.role and o.hired_on == p.hired_on
                                                          and fold(o.full_name) == fold(p.full_name)))
            if obj is None:
                obj = WeekendStaff(record=record, changed_by=who)
                session.add(obj)
            _assign(obj, who, role=StaffRole(p.role), full_name=p.full_name, contract_type=p.contract_type,
                    hired_on=p.hired_on, left_on=p.left_on, shift_id=shift_id)
        for i in data.interruptions:
            obj = pick(live_stops, i.id, lambda o, i=i: o.starts_on == i.starts_on)
            if obj is None:
                obj = WeekendInterruption(record=record, changed_by=who)
                session.add(obj)
            _assign(obj, who, starts_on=i.starts_on, ends_on=i.ends_on, reason=i.reason)
        for leftover in (*live_staff.values(), *live_stops.values(), *live_shifts.values()):
            leftover.deleted_at, leftover.changed_by = now, who
    audit.record(session, user, action if current.id is not None else "crear", AUDIT_ENTITY, record.uuid,
                 audit_values(current) if current.id is not None else None, audit_values(data))  # flushes
    return True


def insert_new_schedules(session: Session, schedules: Sequence[ScheduleData], changed_by: str,
                         progress=None) -> list[ScheduleData]:
    """Create the records of units that have none, with a few bulk inserts per 200 units (an import's
    first load of a state's roster). Not audited one by one: the caller records one summary entry.

    Returns the schedules it did not take, for ``write_schedule``: units that have a record (even a
    retired one) and schedules with staff tied to a shift. ``progress(done)`` is called per batch."""
    r, sh, st, it = (WeekendRecord.__table__, WeekendShift.__table__, WeekendStaff.__table__,
                     WeekendInterruption.__table__)
    ids = [d.establishment_id for d in schedules]
    existing: set[int] = set()
    for start in range(0, len(ids), 900):
        existing.update(session.scalars(select(r.c.establishment_id).where(r.c.establishment_id.in_(ids[start:start + 900]))))
    take = [d for d in schedules if d.establishment_id not in existing and all(p.shift is None for p in d.staff)]
    rest = [d for d in schedules if d.establishment_id in existing or any(p.shift is not None for p in d.staff)]
    now = utcnow()
    stamp = {"changed_by": changed_by, "created_at": now, "updated_at": now}
    for start in range(0, len(take), 200):
        batch = take[start:start + 200]
        session.execute(insert(r), [{"establishment_id": d.establishment_id, "viable": bool(d.viable),
                                     "weekend_since": d.weekend_since, "notes": d.notes, **stamp} for d in batch])
        record_of = dict(session.execute(select(r.c.establishment_id, r.c.id).where(
            r.c.establishment_id.in_([d.establishment_id for d in batch]))).all())
        for table, rows in (
            (sh, [{"record_id": record_of[d.establishment_id], "weekday": x.weekday, "kind": ShiftKind(x.kind),
                   "starts_at": x.starts_at, "ends_at": x.ends_at, **stamp} for d in batch for x in d.shifts]),
            (st, [{"record_id": record_of[d.establishment_id], "shift_id": None, "role": StaffRole(p.role),
                   "full_name": p.full_name, "contract_type": p.contract_type, "hired_on": p.hired_on,
                   "left_on": p.left_on, **stamp} for d in batch for p in d.staff]),
            (it, [{"record_id": record_of[d.establishment_id], "starts_on": i.starts_on, "ends_on": i.ends_on,
                   "reason": i.reason, **stamp} for d in batch for i in d.interruptions]),
        ):
            if rows:
                session.execute(insert(table), rows)
        if progress is not None:
            progress(start + len(batch))
    return rest


def _assign(obj: Any, who: str, **values: Any) -> None:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    if changed:
        obj.changed_by = who


def eligibility(session: Session, establishment_ids: Iterable[int]) -> dict[int, str | None]:
    """Per establishment: None when it can have a weekend record, else the Spanish reason."""
    out: dict[int, str | None] = {}
    ids = list(dict.fromkeys(establishment_ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        found = {est.id: est for est in session.scalars(select(Establishment).where(Establishment.id.in_(chunk)))}
        typology_ids = {est.typology_id for est in found.values() if est.typology_id is not None}
        typologies = {t.id: t for t in session.scalars(select(Typology).where(Typology.id.in_(typology_ids)))}
        for i in chunk:
            est = found.get(i)
            out[i] = _eligibility_problem(est, typologies.get(est.typology_id) if est else None)
    return out


def save_schedule(session: Session, data: ScheduleData, user: str, today: date | None = None) -> ScheduleData:
    """Validate and store a unit's whole schedule (creating its record if needed).

    Raises ValidationError with every problem, or ConcurrencyError if the record changed since
    ``data.version`` was read. Nothing is written (nor audited) when nothing changes."""
    users.require_for_establishments(session, user, users.EDIT, [data.establishment_id])
    data = clean(data)
    problem = eligibility(session, [data.establishment_id])[data.establishment_id]
    if problem:
        raise ValidationError({"establishment_id": problem})
    current = get_schedule(session, data.establishment_id)
    if data.version is not None and current.version is not None and data.version != current.version:
        raise ConcurrencyError(f"La apertura en fin de semana de {current.clues} fue modificada después de abrirla. "
                               "Cierre el formulario y vuelva a abrirlo para ver los datos actuales.")
    errors = check_schedule(data, today)
    if errors:
        raise ValidationError(errors)
    write_schedule(session, current, data, user, "modificar")
    return get_schedule(session, data.establishment_id)


# ------------------------------------------------------------------------------------------------
# Bulk operations (all or nothing)
# ------------------------------------------------------------------------------------------------

def _bulk(session: Session, establishment_ids: Sequence[int], user: str, change, action: str,
          today: date | None) -> int:
    """Apply ``change(current) -> new ScheduleData | str (error)`` to many units: validate all, then write all.

    Raises ValidationError keyed by CLUES (every failing unit at once) and writes nothing in that case."""
    users.require_for_establishments(session, user, users.EDIT, establishment_ids)
    if not establishment_ids:
        return 0
    problems_of = eligibility(session, establishment_ids)
    current = load_schedules(session, establishment_ids)
    errors: dict[str, str] = {}
    planned: list[tuple[ScheduleData, ScheduleData]] = []
    for est_id in dict.fromkeys(establishment_ids):
        problem = problems_of.get(est_id)
        now = current.get(est_id)
        label = now.clues if now else str(est_id)
        if problem or now is None:
            errors[label] = problem or "El establecimiento ya no existe en la base de datos."
            continue
        new = change(now)
        if isinstance(new, str):
            errors[label] = new
            continue
        new = clean(new)
        problems = check_schedule(new, today)
        if problems:
            errors[label] = " ".join(dict.fromkeys(problems.values()))
            continue
        planned.append((now, new))
    if errors:
        raise ValidationError(errors)
    return sum(write_schedule(session, now, new, user, action) for now, new in planned)


def replace_shifts(current: ScheduleData, shifts: Sequence[ShiftData]
                   ) -> tuple[ScheduleData, list[tuple[StaffData, ShiftData]]]:
    """``current`` with a new list of shifts. The stored row of the same day and kind is reused (its uuid
    stays) and staff tied to it follow it; staff tied to a shift that disappears are untied (they cover all
    shifts) and returned, each with its old shift, so the caller can refuse or warn."""
    new_shifts = [replace(s, id=None) for s in shifts]
    position = {(s.weekday, s.kind): i for i, s in enumerate(new_shifts)}
    for s in new_shifts:
        old = next((o for o in current.shifts if (o.weekday, o.kind) == (s.weekday, s.kind)), None)
        s.id = old.id if old else None
    staff, orphans = [], []
    for person in current.staff:
        old = current.shifts[person.shift] if person.shift is not None else None
        index = position.get((old.weekday, old.kind)) if old is not None else None
        staff.append(replace(person, shift=index))
        if old is not None and index is None:
            orphans.append((staff[-1], old))
    return replace(current, shifts=new_shifts, staff=staff), orphans


def _same_shifts(current: ScheduleData, shifts: Sequence[ShiftData]) -> ScheduleData | str:
    new, orphans = replace_shifts(current, shifts)
    if orphans:
        person, old = orphans[0]
        return (f"{StaffRole(person.role).label} {person.full_name or '(vacante)'} está asignado al turno "
                f"{old.label()}, que el nuevo horario elimina; reasígnelo antes.")
    return new


def bulk_set_shifts(session: Session, establishment_ids: Sequence[int], shifts: Sequence[ShiftData], user: str,
                    today: date | None = None) -> int:
    """Give many units the same shifts (replacing theirs). All or nothing; returns how many changed."""
    return _bulk(session, establishment_ids, user, lambda now: _same_shifts(now, shifts), "horario_en_bloque", today)


def bulk_set_start_date(session: Session, establishment_ids: Sequence[int], weekend_since: date | None, user: str,
                        today: date | None = None) -> int:
    """Give many units the same weekend start date. All or nothing; returns how many changed."""
    return _bulk(session, establishment_ids, user, lambda now: replace(now, weekend_since=weekend_since),
                 "inicio_en_bloque", today)


def bulk_set_viable(session: Session, establishment_ids: Sequence[int], viable: bool, user: str,
                    today: date | None = None) -> int:
    """Mark many units viable (or not). All or nothing; returns how many changed."""
    return _bulk(session, establishment_ids, user, lambda now: replace(now, viable=viable), "viable_en_bloque", today)


# ------------------------------------------------------------------------------------------------
# The rule for thousands of units: flat arrays from bulk queries
# ------------------------------------------------------------------------------------------------

def _fetch(session: Session, query) -> list[tuple]:
    result = session.connection().execute(query)
    try:
        return result.cursor.fetchall()  # plain tuples (dates as ISO text, booleans as 0/1)
    finally:
        result.close()


class _Days:
    """ISO date text → day number (``date.toordinal``), memoised: the same dates repeat a lot."""

    def __init__(self) -> None:
        self.memo: dict[Any, int] = {}

    def __call__(self, value: Any, missing: int) -> int:
        if value is None:
            return missing
        try:
            return self.memo[value]
        except KeyError:
            number = (value if isinstance(value, date) else date.fromisoformat(str(value)[:10])).toordinal()
            self.memo[value] = number
            return number


class _Roster:
    """Every eligible unit of some states with its schedule, staff and interruptions as numpy arrays.

    Built from four queries; ``evaluate(day)`` then applies the rule to all units with a few vector
    operations (~1 ms for 9,000 units), so a year of weekly points costs well under a second."""

    def __init__(self, session: Session, state_ids: Sequence[int], registered_only: bool = True):
        e, r, t = Establishment.__table__, WeekendRecord.__table__, Typology.__table__
        s, st, it = WeekendShift.__table__, WeekendStaff.__table__, WeekendInterruption.__table__
        days = _Days()
        join = e.outerjoin(t, t.c.id == e.c.typology_id)
        record_on = and_(r.c.establishment_id == e.c.id, r.c.deleted_at.is_(None))
        join = join.join(r, record_on) if registered_only else join.outerjoin(r, record_on)
        in_scope = and_(_eligible_filter(e, t), e.c.state_id.in_(list(state_ids)))
        units = _fetch(session, select(e.c.id, e.c.clues, e.c.name, e.c.state_id, r.c.id, r.c.viable,
                                       r.c.weekend_since).select_from(join).where(in_scope))
        n = self.n = len(units)
        self.establishment_ids = [u[0] for u in units]
        self.clues = [u[1] for u in units]
        self.names = [u[2] for u in units]
        self.state_ids = np.array([u[3] for u in units], dtype=np.int64)
        self.registered = np.array([u[4] is not None for u in units], dtype=bool)
        self.viable = np.array([bool(u[5]) for u in units], dtype=bool)
        self.since = np.array([days(u[6], _NEVER) for u in units], dtype=np.int64)
        index = {u[4]: i for i, u in enumerate(units) if u[4] is not None}
        scoped = (select().select_from(r.join(e, e.c.id == r.c.establishment_id))
                  .where(r.c.deleted_at.is_(None), e.c.state_id.in_(list(state_ids))))

        # Days with a shift, one bit per weekday and unit: SQLite folds 100,000 shifts into one row per unit.
        day_bits = literal(1).op("<<")(s.c.weekday)
        masks = _fetch(session, scoped.add_columns(s.c.record_id, func.sum(distinct(day_bits)))
                       .join(s, s.c.record_id == r.c.id).where(s.c.deleted_at.is_(None)).group_by(s.c.record_id))
        bits = np.zeros(n, dtype=np.int64)
        for record_id, mask in masks:
            if record_id in index:
                bits[index[record_id]] = mask
        self.has_shift = ((bits[:, None] >> np.arange(7)) & 1).astype(bool)

        # Named doctors; the weekday of the shift a doctor is tied to (-1: all the unit's shifts, also when the
        # link points to a retired shift or another unit's, as load_schedules reads it).
        tied_to = and_(s.c.id == st.c.shift_id, s.c.deleted_at.is_(None), s.c.record_id == st.c.record_id)
        staff = _fetch(session, scoped.add_columns(st.c.record_id, s.c.weekday, st.c.role, st.c.full_name,
                                                   st.c.hired_on, st.c.left_on)
                       .join(st, st.c.record_id == r.c.id).outerjoin(s, tied_to).where(st.c.deleted_at.is_(None)))
        staff = [x for x in staff if x[0] in index and x[2] in STAFFING_ROLES and (x[3] or "").strip()]
        self.staff_unit = np.array([index[x[0]] for x in staff], dtype=np.int64)
        self.staff_day = np.array([-1 if x[1] is None else x[1] for x in staff], dtype=np.int64)
        self.hired = np.array([days(x[4], -_NEVER) for x in staff], dtype=np.int64)
        self.left = np.array([days(x[5], _NEVER) for x in staff], dtype=np.int64)
        self.staff_names = [x[3] for x in staff]

        stops = _fetch(session, scoped.add_columns(it.c.record_id, it.c.starts_on, it.c.ends_on, it.c.reason)
                       .join(it, it.c.record_id == r.c.id).where(it.c.deleted_at.is_(None)))
        stops = [x for x in stops if x[0] in index]
        self.stop_unit = np.array([index[x[0]] for x in stops], dtype=np.int64)
        self.stop_start = np.array([days(x[1], _NEVER) for x in stops], dtype=np.int64)
        self.stop_end = np.array([days(x[2], _NEVER) for x in stops], dtype=np.int64)
        self.stop_rows = stops

    def evaluate(self, on: date) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(open 7 days, staffed n×7, interrupted, active doctor mask over staff rows) on a date."""
        day = on.toordinal()
        active = (self.hired <= day) & (self.left >= day)
        covers_all = np.zeros(self.n, dtype=bool)
        covers_all[self.staff_unit[active & (self.staff_day == -1)]] = True
        staffed = self.has_shift & covers_all[:, None]
        tied = active & (self.staff_day >= 0)
        staffed[self.staff_unit[tied], self.staff_day[tied]] = True
        monday = day - on.weekday()
        touching = (self.stop_start <= monday + 6) & (self.stop_end >= monday)
        interrupted = np.zeros(self.n, dtype=bool)
        interrupted[self.stop_unit[touching]] = True
        open_ = self.viable & (self.since <= day) & staffed.all(axis=1) & ~interrupted
        return open_, staffed, interrupted, active

    def doctors(self, active: np.ndarray, units: np.ndarray) -> np.ndarray:
        """Distinct active doctors per unit among ``units`` (bool mask), as a per-unit count. The same name
        twice in one unit (tied to two shifts) is one doctor; case and spacing are ignored, accents are not."""
        keep = np.flatnonzero(active & units[self.staff_unit])
        names = self.staff_names
        people = {(int(u), " ".join(names[i].casefold().split())) for u, i in zip(self.staff_unit[keep].tolist(), keep.tolist())}
        counts = np.zeros(self.n, dtype=np.int64)
        np.add.at(counts, np.array([u for u, _name in people], dtype=np.int64), 1)
        return counts


# ------------------------------------------------------------------------------------------------
# States, targets, summary, series, unit list
# ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _StateRow:
    id: int
    inegi_code: str
    name: str
    block: int | None


def _states(session: Session, state_id: int | None) -> list[_StateRow]:
    """Adhered states (or the one asked for), by block then name; states with no block go last."""
    query = (select(State.id, State.inegi_code, State.short_name, WeekendBlock.number)
             .outerjoin(WeekendBlock, WeekendBlock.id == State.weekend_block_id)
             .where(State.deleted_at.is_(None)))
    query = query.where(State.id == state_id) if state_id is not None else query.where(State.adhered.is_(True))
    rows = [_StateRow(*row) for row in session.execute(query)]
    return sorted(rows, key=lambda s: (s.block is None, s.block or 0, fold(s.name)))


def _targets(session: Session, state_ids: Iterable[int]) -> dict[int, list[WeekendTarget]]:
    out: dict[int, list[WeekendTarget]] = {}
    query = (select(WeekendTarget).where(WeekendTarget.state_id.in_(list(state_ids)),
                                         WeekendTarget.deleted_at.is_(None))
             .order_by(WeekendTarget.effective_from))
    for target in session.scalars(query):
        out.setdefault(target.state_id, []).append(target)
    return out


def _in_force(targets: list[WeekendTarget], on: date) -> WeekendTarget | None:
    found = None
    for target in targets:  # ordered by effective_from
        if target.effective_from <= on:
            found = target
    return found


def _target_info(target: WeekendTarget) -> TargetInfo:
    from_catalogue = target.uuid == catalog_uuid("weekend_targets", f"{target.state_id}|{target.effective_from}")
    return TargetInfo(target.id, target.state_id, target.units_target, target.doctors_target, target.effective_from,
                      target.source or "", target.reason or "", target.changed_by, target.updated_at, from_catalogue)


def current_target(session: Session, state_id: int, on: date | None = None) -> TargetInfo | None:
    """The target in force for a state on a date (today by default)."""
    found = _in_force(_targets(session, [state_id]).get(state_id, []), on or date.today())
    return _target_info(found) if found else None


def target_history(session: Session, state_id: int) -> list[TargetInfo]:
    """Every target a state has had, oldest first: the catalogue's and the national office's changes."""
    return [_target_info(t) for t in _targets(session, [state_id]).get(state_id, [])]


def set_target(session: Session, state_id: int, units: int, user: str, office, *, doctors: int | None = None,
               effective_from: date | None = None, reason: str = "", today: date | None = None) -> TargetInfo:
    """Set a state's target from ``effective_from`` (today by default). National office only.

    Adds a new target row (the earlier ones stay as history); a second change on the same date edits
    that day's row. The catalogue's published rows are never edited. Audited either way."""
    users.require(session, user, users.TARGETS, state_id)
    if office is None or not getattr(office, "is_national", False):
        raise NotNationalOfficeError("Sólo la oficina nacional puede modificar las metas de apertura en fin de semana.")
    effective_from = effective_from or today or date.today()
    errors: dict[str, str] = {}
    state = session.get(State, state_id)
    if state is None or not state.adhered:
        errors["state_id"] = "Seleccione una entidad adherida."
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        errors["units_target"] = "La meta de unidades debe ser un número entero mayor que cero."
    if doctors is not None and (isinstance(doctors, bool) or not isinstance(doctors, int) or doctors < 0):
        errors["doctors_target"] = "La meta de médicos debe ser un número entero (cero o más)."
    if len(reason) > 1000:
        errors["reason"] = "El motivo admite como máximo 1000 caracteres."
    if errors:
        raise ValidationError(errors)
    targets = _targets(session, [state_id]).get(state_id, [])
    same_day = next((t for t in targets if t.effective_from == effective_from), None)
    if same_day is not None and _target_info(same_day).from_catalogue:
        raise ValidationError({"effective_from": (
            f"La meta del {_dmy(effective_from)} es la publicada en el catálogo y no se modifica; "
            "indique otra fecha de vigencia.")})
    previous = _in_force(targets, effective_from)
    if previous is not None and (previous.units_target, previous.doctors_target) == (units, doctors):
        return _target_info(previous)  # nothing changes
    before = None
    if same_day is not None:
        before = {"unidades": same_day.units_target, "medicos": same_day.doctors_target, "motivo": same_day.reason}
        same_day.units_target, same_day.doctors_target, same_day.reason = units, doctors, tidy(reason)
        same_day.changed_by = user
        target = same_day
    else:
        target = WeekendTarget(state_id=state_id, units_target=units, doctors_target=doctors,
                               effective_from=effective_from, source="Oficina nacional", reason=tidy(reason),
                               changed_by=user)
        session.add(target)
        if previous is not None:
            before = {"unidades": previous.units_target, "medicos": previous.doctors_target,
                      "vigente_desde": previous.effective_from}
    session.flush()
    audit.record(session, user, "modificar_meta", TARGET_AUDIT_ENTITY, target.uuid, before,
                 {"entidad": state.short_name, "unidades": units, "medicos": doctors,
                  "vigente_desde": effective_from, "motivo": tidy(reason)})
    return _target_info(target)


def rollout_summary(session: Session, as_of: date, state_id: int | None = None) -> list[RolloutRow]:
    """One row per state (the adhered ones, or ``state_id``) by block, a total row after each block and an
    overall total last. Totals add the rows' counts and compute their own percentage (never an average)."""
    states = _states(session, state_id)
    roster = _Roster(session, [s.id for s in states])
    targets = _targets(session, [s.id for s in states])
    open_, _staffed, _stopped, active = roster.evaluate(as_of)
    doctors = roster.doctors(active, roster.viable)
    position = {s.id: i for i, s in enumerate(states)}
    state_index = np.array([position[x] for x in roster.state_ids.tolist()], dtype=np.int64)
    viable_by = np.bincount(state_index[roster.viable], minlength=len(states))
    open_by = np.bincount(state_index[open_], minlength=len(states))
    doctors_by = np.bincount(state_index, weights=doctors, minlength=len(states)).astype(np.int64)
    rows: list[RolloutRow] = []
    for i, s in enumerate(states):
        target = _in_force(targets.get(s.id, []), as_of)
        units = target.units_target if target else None
        needed = (target.doctors_target if target.doctors_target is not None else units) if target else None
        rows.append(RolloutRow("state", s.block, s.name, s.id, s.inegi_code, units, int(viable_by[i]),
                               int(open_by[i]), progress_percent(int(open_by[i]), units), int(doctors_by[i]), needed))
    out: list[RolloutRow] = []
    blocks = list(dict.fromkeys(r.block for r in rows))
    for block in blocks:
        members = [r for r in rows if r.block == block]
        out.extend(members)
        out.append(_total("block", block, f"Total Bloque {block}" if block else "Total sin bloque", members))
    out.append(_total("total", None, "Total", rows))
    return out


def _total(level: str, block: int | None, label: str, rows: list[RolloutRow]) -> RolloutRow:
    def add(name: str) -> int | None:
        values = [getattr(r, name) for r in rows if getattr(r, name) is not None]
        return sum(values) if values else None

    target = add("target")
    opened = sum(r.open_units for r in rows)
    return RolloutRow(level, block, label, None, "", target, sum(r.viable for r in rows), opened,
                      progress_percent(opened, target), sum(r.doctors_assigned for r in rows), add("doctors_needed"))


def sundays(start: date, end: date) -> list[date]:
    """Every Sunday from ``start`` to ``end`` inclusive."""
    first = start + timedelta(days=(6 - start.weekday()) % 7)
    return [first + timedelta(weeks=k) for k in range(max(0, (end - first).days // 7 + 1))]


def open_series(session: Session, state_id: int | None, start: date, end: date) -> list[SeriesPoint]:
    """Units open 7 days at each Sunday from ``start`` to ``end``, for a state or all adhered states,
    with the total target in force each Sunday (for the progress chart)."""
    states = _states(session, state_id)
    roster = _Roster(session, [s.id for s in states])
    targets = _targets(session, [s.id for s in states])
    points = []
    for sunday in sundays(start, end):
        open_ = roster.evaluate(sunday)[0]
        in_force = [t for s in states if (t := _in_force(targets.get(s.id, []), sunday)) is not None]
        points.append(SeriesPoint(sunday, int(open_.sum()), sum(t.units_target for t in in_force) if in_force else None))
    return points


def list_units(session: Session, as_of: date, state_id: int | None = None) -> list[UnitStatus]:
    """Every eligible unit of a state (or all adhered states), registered or not, with its standing on
    ``as_of`` and, when it is not open 7 days, what it lacks. Ordered by CLUES."""
    states = _states(session, state_id)
    roster = _Roster(session, [s.id for s in states], registered_only=False)
    open_, staffed, _stopped, active = roster.evaluate(as_of)
    doctors = roster.doctors(active, np.ones(roster.n, dtype=bool))
    stops_by_unit: dict[int, list[tuple[date, date | None, str]]] = {}
    for unit, row in zip(roster.stop_unit.tolist(), roster.stop_rows):
        stops_by_unit.setdefault(unit, []).append((_as_date(row[1]), _as_date(row[2]), row[3] or ""))
    out = []
    for i in sorted(range(roster.n), key=roster.clues.__getitem__):
        registered = bool(roster.registered[i])
        since = date.fromordinal(int(roster.since[i])) if roster.since[i] != _NEVER else None
        if not registered:
            reasons: tuple[str, ...] = ("Sin registro de apertura en fin de semana",)
        elif open_[i]:
            reasons = ()
        else:
            reasons = tuple(_reasons(bool(roster.viable[i]), since, roster.has_shift[i].tolist(),
                                     staffed[i].tolist(), stops_by_unit.get(i, ()), as_of))
        days = " ".join(code for d, code in enumerate(WEEKDAY_CODES) if roster.has_shift[i, d])
        out.append(UnitStatus(roster.establishment_ids[i], roster.clues[i], roster.names[i], int(roster.state_ids[i]),
                              registered, bool(roster.viable[i]), since, days, int(doctors[i]), bool(open_[i]), reasons))
    return out


def pending_units(session: Session, as_of: date, state_id: int | None = None) -> list[UnitStatus]:
    """Viable units not open 7 days on ``as_of``, each with what it lacks."""
    return [u for u in list_units(session, as_of, state_id) if u.viable and u.registered and not u.open_7_days]


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
