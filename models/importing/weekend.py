"""Import a state's weekend-opening roster (7-day care): one row per unit.

Format (the template's Instrucciones sheet says the same):

- ``CLUES`` of a fixed first-level unit already registered; ``VIABLE`` SÍ/NO;
- one column per day, ``LUNES`` … ``DOMINGO``: the shifts of that day as code and hours, several
  separated by «;» — ``M 08:00-14:00; V 14:00-20:00``. Codes: M matutino, V vespertino, N nocturno
  (may end the next day: ``N 20:00-08:00``), JA jornada acumulada (sábado y domingo). An empty day
  does not open (when the row fills any day); a row with every day empty keeps the stored schedule;
- ``FECHA DE INICIO``: since when the unit opens on weekends (a future date means planned);
- ``MEDICO(S)`` and ``ENFERMERA(S)``: the people currently assigned, separated by «;», ``VACANTE``
  for a vacancy, ``NINGUNO`` for none. Empty: staff left as stored. People stored but no longer
  listed are recorded as having left yesterday (their history stays); those listed for the first
  time are added; staff tied to a shift in the app keep their shift;
- ``TIPO DE CONTRATACION`` and ``FECHA DE CONTRATACION``: one value for everybody in the row, or one
  per person separated by «;», doctors first then nurses, vacancies included (leave a vacancy's date
  empty). A hire date cannot be in the future.

Every row is checked with the same rules as the form (``models.services.weekend.check_schedule``);
rows of another state are skipped unless the office is national. Applying writes in the caller's
transaction, all or nothing; re-importing the same file changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from models.entities import Establishment, State, WeekendRecord
from models.enums import ShiftKind
from models.importing.cells import CellError, is_blank, to_date, to_text
from models.importing.establishments import IMPORT_MARK
from models.importing.plan import NO_PROGRESS, ImportPlan, PlannedRow, PlannedUpdate, Progress, RowIssue
from models.importing.reader import SheetData
from models.importing.spec import FieldSpec, ImportKind, Mapping, register
from models.services import audit
from models.services import weekend as svc
from models.services.establishments import ConcurrencyError
from models.text import fold, tidy
from models.validation import normalize_clues, validate_clues
from models.services import users

DAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_HEADERS = ("LUNES", "MARTES", "MIÉRCOLES", "JUEVES", "VIERNES", "SÁBADO", "DOMINGO")
SHIFT_CODES = {ShiftKind.MATUTINO.value: "M", ShiftKind.VESPERTINO.value: "V", ShiftKind.NOCTURNO.value: "N",
               ShiftKind.JORNADA_ACUMULADA.value: "JA"}
_CODES = {
    "m": "MATUTINO", "mat": "MATUTINO", "matutino": "MATUTINO", "manana": "MATUTINO",
    "v": "VESPERTINO", "ves": "VESPERTINO", "vesp": "VESPERTINO", "vespertino": "VESPERTINO", "tarde": "VESPERTINO",
    "n": "NOCTURNO", "noc": "NOCTURNO", "nocturno": "NOCTURNO", "noche": "NOCTURNO",
    "ja": "JORNADA_ACUMULADA", "j a": "JORNADA_ACUMULADA", "jafs": "JORNADA_ACUMULADA",
    "acumulada": "JORNADA_ACUMULADA", "jornada acumulada": "JORNADA_ACUMULADA",
    "jornada acumulada de fin de semana": "JORNADA_ACUMULADA",
}
_SHIFT = re.compile(
    r"^(?P<code>[a-z][a-z .]*?)\s*(?P<h1>\d{1,2})(?:[:.](?P<m1>\d{2}))?\s*(?:hrs?|h)?\s*(?:-|a|al)\s*"
    r"(?P<h2>\d{1,2})(?:[:.](?P<m2>\d{2}))?\s*(?:hrs?|h|horas)?$")
_YES = {"si", "s", "1", "x", "verdadero", "true", "viable"}
_NO = {"no", "n", "0", "falso", "false", "no viable"}
_VACANCY = {"vacante", "vacancia", "por contratar", "plaza vacante"}
_NONE = {"ninguno", "ninguna", "sin personal", "nadie"}
_CLOSED = {"-", "no", "no abre", "cerrado", "cerrada", "sin turno", "ninguno"}  # a day written as closed
EXAMPLE_WEEKDAY = "M 08:00-14:00; V 14:00-20:00"

F = FieldSpec
_day_fields = tuple(
    F(key, header, f"Turnos del {day}: código y horario, varios separados por «;» (M matutino, V vespertino, "
      f"N nocturno, JA jornada acumulada sólo sábado y domingo). Vacío o NO ABRE: ese día no abre.",
      (header[:3], f"TURNOS {header}", f"HORARIO {header}"),
      example="JA 08:00-20:00" if key in ("saturday", "sunday") else EXAMPLE_WEEKDAY)
    for key, header, day in zip(DAY_FIELDS, DAY_HEADERS, svc.WEEKDAYS)
)
KIND = ImportKind(
    key="weekend",
    title="Apertura en fin de semana (plantilla de personal y turnos)",
    fields=(
        F("clues", "CLUES", "CLUES de la unidad fija de primer nivel (ya registrada en Establecimientos).",
          ("CLAVE CLUES", "CLUES IMB", "CLUES UNIDAD"), required=True, example="BCIMB000101"),
        F("name", "NOMBRE DE LA UNIDAD", "Sólo informativo (no se importa).", ("NOMBRE UNIDAD", "UNIDAD", "NOMBRE"),
          example="CENTRO DE SALUD EL FLORIDO"),
        F("viable", "VIABLE", "SÍ si la unidad forma parte del programa de atención los 7 días; NO si no. "
          "Vacío: se conserva (SÍ para una unidad nueva).", ("ES VIABLE", "VIABLE 7 DIAS", "VIABILIDAD"),
          allowed=("SÍ", "NO"), example="SÍ"),
        *_day_fields,
        F("weekend_since", "FECHA DE INICIO", "Fecha desde la que la unidad abre en fin de semana (dd/mm/aaaa); "
          "una fecha futura indica apertura programada.",
          ("FECHA DE INICIO FIN DE SEMANA", "FECHA INICIO", "INICIO DE APERTURA", "FECHA DE APERTURA"),
          example="02/03/2024"),
        F("doctors", "MEDICO(S)", "Médicos asignados a los turnos de fin de semana, separados por «;». "
          "VACANTE para una plaza sin ocupar; NINGUNO si no hay. Vacío: se conserva lo registrado.",
          ("MEDICOS", "MEDICO", "NOMBRE DEL MEDICO", "MEDICOS ASIGNADOS"), example="DRA. ANA LÓPEZ RUIZ; VACANTE"),
        F("nurses", "ENFERMERA(S)", "Personal de enfermería asignado, separado por «;» (VACANTE, NINGUNO).",
          ("ENFERMERAS", "ENFERMERA", "ENFERMERIA", "PERSONAL DE ENFERMERIA", "ENFERMEROS"),
          example="ENF. MARÍA GÓMEZ"),
        F("contract_type", "TIPO DE CONTRATACION", "Un valor para todo el personal de la fila, o uno por persona "
          "separados por «;» (primero médicos, luego enfermería, vacantes incluidas).",
          ("TIPO DE CONTRATO", "CONTRATACION", "TIPO CONTRATACION"), example="EVENTUAL; BASE; EVENTUAL"),
        F("hired_on", "FECHA DE CONTRATACION", "Fecha de contratación (dd/mm/aaaa, no futura): una para todos, o "
          "una por persona separadas por «;» en el mismo orden (vacía para una vacante).",
          ("FECHA DE CONTRATO", "FECHA DE INGRESO", "FECHA CONTRATACION"), example="01/03/2024; ; 15/04/2024"),
    ),
    instructions=(
        "Una fila por unidad fija de primer nivel (no unidades móviles ni hospitales), identificada por su CLUES.",
        "Turnos: en cada día (LUNES … DOMINGO) escriba el código y el horario, p. ej. «M 08:00-14:00»; varios turnos "
        "separados por «;». Códigos: M matutino, V vespertino, N nocturno (puede terminar al día siguiente, "
        "«N 20:00-08:00»), JA jornada acumulada (sólo sábado y domingo).",
        "Si la fila llena algún día, los días vacíos quedan sin turno; si todos los días están vacíos se conserva "
        "el horario registrado.",
        "MEDICO(S) y ENFERMERA(S): nombres separados por «;»; VACANTE para una plaza sin ocupar; NINGUNO si no hay. "
        "Quien estaba registrado y ya no aparece queda con fecha de baja de ayer (su historial se conserva).",
        "TIPO DE CONTRATACION y FECHA DE CONTRATACION: un valor para todos, o uno por persona separados por «;» "
        "(médicos primero, luego enfermería). La fecha de contratación no puede ser futura.",
        "Una unidad cuenta como «abierta 7 días» cuando cada día tiene un turno con médico activo, ya pasó su "
        "fecha de inicio y no está interrumpida esa semana.",
        "La importación se aplica completa o no se aplica; las filas con errores se informan con su número.",
    ),
)


@dataclass
class WeekendPlan(ImportPlan):
    """An ImportPlan that also carries the schedule each accepted row will store (by row number)."""

    schedules: dict[int, svc.ScheduleData] = field(default_factory=dict)
    establishment_of: dict[int, int] = field(default_factory=dict)  # row number → establishment id


# ------------------------------------------------------------------------------------------------
# Cells
# ------------------------------------------------------------------------------------------------

def parse_viable(value: Any) -> bool | None:
    """SÍ/NO (also S/N, 1/0, X); None when blank."""
    text = to_text(value)
    if not text:
        return None
    key = fold(text)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise CellError(f"«{text}» no es SÍ ni NO.")


def _clock(hours: str, minutes: str | None, shown: str) -> time:
    h, m = int(hours), int(minutes or 0)
    if h == 24 and m == 0:
        return svc.MIDNIGHT
    if h > 23 or m > 59:
        raise CellError(f"Hora imposible «{shown}».")
    return time(h, m)


def parse_day(value: Any, weekday: int) -> list[svc.ShiftData]:
    """The shifts written in one day's cell («M 08:00-14:00; V 14:00-20:00»); [] when blank or «NO ABRE»."""
    text = to_text(value)
    if not text:
        return []
    shifts = []
    for part in re.split(r"[;\n|/]+", text.replace("–", "-").replace("—", "-")):
        part = part.strip()
        if not part:
            continue
        folded = " ".join(fold(part).split())
        if folded in _CLOSED:
            continue
        match = _SHIFT.match(folded)
        if match is None:
            raise CellError(f"«{part}» no es un turno: escriba el código y el horario, p. ej. «M 08:00-14:00» "
                            "(M matutino, V vespertino, N nocturno, JA jornada acumulada).")
        kind = _CODES.get(match["code"].strip(" ."))
        if kind is None:
            raise CellError(f"«{match['code'].strip().upper()}» no es un código de turno (use M, V, N o JA).")
        start = _clock(match["h1"], match["m1"], f"{match['h1']}:{match['m1'] or '00'}")
        end = _clock(match["h2"], match["m2"], f"{match['h2']}:{match['m2'] or '00'}")
        shifts.append(svc.ShiftData(weekday, kind, start, end))
    return shifts


def parse_people(value: Any) -> list[str] | None:
    """Names separated by «;» ("" for VACANTE); [] for NINGUNO; None when blank (keep what is stored)."""
    text = to_text(value)
    if not text:
        return None
    parts = [tidy(p) for p in re.split(r"[;\n|]+", text) if tidy(p)]
    if len(parts) == 1 and fold(parts[0]) in _NONE:
        return []
    if any(fold(p) in _NONE for p in parts):
        raise CellError("NINGUNO no se combina con nombres.")
    return ["" if fold(p) in _VACANCY else p for p in parts]


def _split(value: Any) -> list[Any] | None:
    """A cell as a list of values separated by «;» (a real date cell is one value); None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, (date, datetime)) or hasattr(value, "to_pydatetime"):
        return [value]
    text = to_text(value)
    return [p.strip() for p in re.split(r"[;\n|]", text)] if text else None


def parse_hire_dates(value: Any, today: date) -> list[date | None] | None:
    """Hire dates (dd/mm/aaaa), not in the future; one or a list separated by «;»."""
    parts = _split(value)
    if parts is None:
        return None
    out = []
    for part in parts:
        parsed = to_date(part) if not is_blank(part) else None
        if parsed is not None and parsed > today:
            raise CellError(f"La fecha de contratación {parsed:%d/%m/%Y} no puede ser posterior a hoy ({today:%d/%m/%Y}).")
        if parsed is not None and parsed.year < 1900:
            raise CellError(f"«{to_text(part)}» no es una fecha de contratación válida.")
        out.append(parsed)
    return out


def parse_since(value: Any) -> date | None:
    parsed = to_date(value)
    if parsed is not None and parsed.year < 2000:
        raise CellError("La fecha de inicio no puede ser anterior al 01/01/2000.")
    return parsed


# ------------------------------------------------------------------------------------------------
# Building a row's schedule from the stored one
# ------------------------------------------------------------------------------------------------

def _shift_text(shifts: list[svc.ShiftData]) -> str:
    return "; ".join(f"{SHIFT_CODES.get(s.kind, s.kind)} {s.hours()}" for s in shifts)


def _person_text(p: svc.StaffData) -> str:
    details = ", ".join(x for x in (p.contract_type, p.hired_on.strftime("%d/%m/%Y") if p.hired_on else "") if x)
    return (p.full_name or "VACANTE") + (f" ({details})" if details else "")


def display(data: svc.ScheduleData, today: date) -> dict[str, str]:
    """A schedule as the import summary shows it, by field key."""
    out = {"viable": "SÍ" if data.viable else "NO",
           "weekend_since": data.weekend_since.strftime("%d/%m/%Y") if data.weekend_since else ""}
    for day, key in enumerate(DAY_FIELDS):
        out[key] = _shift_text([s for s in data.shifts if s.weekday == day])
    for key, role in (("doctors", "MEDICO"), ("nurses", "ENFERMERIA")):
        people = [p for p in data.staff if p.role == role and (p.left_on is None or p.left_on >= today)]
        out[key] = "; ".join(_person_text(p) for p in sorted(people, key=lambda p: (p.is_vacancy, fold(p.full_name))))
    return out


def _merge_role(current: list[svc.StaffData], role: str, people: list[str],
                details: list[tuple[str | None, date | None]], today: date) -> list[svc.StaffData]:
    """The staff of one role after the roster: matched by name, newcomers added, the absent ones leave."""
    history = [p for p in current if p.left_on is not None and p.left_on < today and not p.is_vacancy]
    unmatched = [p for p in current if not any(p is h for h in history)]
    out = list(history)
    for name, (contract, hired) in zip(people, details):
        found = next((i for i, p in enumerate(unmatched) if fold(p.full_name) == fold(name)), None)
        if found is not None:
            found = unmatched.pop(found)
            out.append(replace(found, contract_type=contract or found.contract_type,
                               hired_on=hired or found.hired_on))
        else:
            out.append(svc.StaffData(role, name, contract or "", hired if name else None))
    yesterday = today - timedelta(days=1)
    for p in unmatched:
        if p.is_vacancy or (p.hired_on is not None and p.hired_on > yesterday):
            continue  # a vacancy no longer listed, or someone hired today and already gone: dropped
        out.append(replace(p, left_on=yesterday if p.left_on is None or p.left_on > yesterday else p.left_on))
    return out


class _Row:
    """One row's parsed cells and the problems found, by field key."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []
        self.warnings: list[tuple[str, str]] = []

    def parse(self, key: str, fn, *args) -> Any:
        try:
            return fn(*args)
        except CellError as exc:
            self.errors.append((key, str(exc)))
            return None


def _build(row: _Row, current: svc.ScheduleData, cells: dict[str, Any], today: date
           ) -> tuple[svc.ScheduleData, dict[int, str], dict[int, str]] | None:
    """The schedule the row asks for, or None (with errors in ``row``). Also which column each shift and
    staff entry came from, to put a validation message on the right column."""
    viable = row.parse("viable", parse_viable, cells.get("viable"))
    since = row.parse("weekend_since", parse_since, cells.get("weekend_since"))
    day_shifts: dict[int, list[svc.ShiftData]] = {}
    for day, key in enumerate(DAY_FIELDS):
        if key in cells:
            parsed = row.parse(key, parse_day, cells[key], day)
            day_shifts[day] = parsed or []
    people = {key: row.parse(key, parse_people, cells.get(key)) for key in ("doctors", "nurses")}
    contracts = row.parse("contract_type", _split, cells.get("contract_type"))
    hires = row.parse("hired_on", parse_hire_dates, cells.get("hired_on"), today)
    if row.errors:
        return None
    data = replace(current, viable=current.viable if viable is None else viable,
                   weekend_since=since or current.weekend_since)
    shift_origin: dict[int, str] = {}
    if any(day_shifts.values()):
        kept = [s for s in current.shifts if s.weekday not in day_shifts]
        new_shifts = kept + [s for day in sorted(day_shifts) for s in day_shifts[day]]
        remapped, orphans = svc.replace_shifts(current, new_shifts)
        for person, old in orphans:
            row.warnings.append((DAY_FIELDS[old.weekday], f"{_person_text(person)} estaba asignado al turno "
                                 f"{old.label()}, que el archivo elimina; queda asignado a todos los turnos."))
        data = replace(data, shifts=remapped.shifts, staff=remapped.staff)
        shift_origin = {i: DAY_FIELDS[s.weekday] for i, s in enumerate(data.shifts) if s.weekday in day_shifts}
    listed = [(key, role, people[key]) for key, role in (("doctors", "MEDICO"), ("nurses", "ENFERMERIA"))
              if people[key] is not None]
    count = sum(len(names) for _key, _role, names in listed)
    for key, values in (("contract_type", contracts), ("hired_on", hires)):
        if values is not None and len(values) > 1 and len(values) != count:
            row.errors.append((key, f"Hay {count} personas en MEDICO(S) y ENFERMERA(S) pero {len(values)} valores "
                                    "separados por «;»: escriba uno para todos o uno por persona."))
    if row.errors:
        return None
    staff_origin: dict[int, str] = {}
    if listed:
        replaced_roles = {role for _key, role, _names in listed}
        staff = [p for p in data.staff if p.role not in replaced_roles]
        position = 0
        for key, role, names in listed:
            details = []
            for name in names:
                contract = contracts[0] if contracts and len(contracts) == 1 else (contracts[position] if contracts else None)
                hired = hires[0] if hires and len(hires) == 1 else (hires[position] if hires else None)
                if hired is not None and not name and hires and len(hires) > 1:
                    row.errors.append(("hired_on", f"La persona {position + 1} de la fila es una VACANTE: deje vacía "
                                                   "su fecha de contratación."))
                details.append((contract or None, hired if name else None))
                position += 1
            merged = _merge_role([p for p in data.staff if p.role == role], role, names, details, today)
            for p in merged:
                staff_origin[len(staff)] = key
                staff.append(p)
        data = replace(data, staff=staff)
    if row.errors:
        return None
    return data, shift_origin, staff_origin


# ------------------------------------------------------------------------------------------------
# Plan and apply
# ------------------------------------------------------------------------------------------------

def _parse_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


def _column_for_error(key: str, shift_origin: dict[int, str], staff_origin: dict[int, str]) -> str:
    parts = key.split(".")
    if parts[0] == "shifts":
        return shift_origin.get(int(parts[1]), "clues")
    if parts[0] == "staff":
        origin = staff_origin.get(int(parts[1]), "clues")
        if origin != "clues" and parts[-1] in ("hired_on", "contract_type"):
            return parts[-1]
        return origin
    return key if key in ("viable", "weekend_since") else "clues"


def plan_import(session: Session, sheet: SheetData, mapping: Mapping, office_state_id: int | None,
                file_date: datetime | None = None, progress: Progress = NO_PROGRESS,
                today: date | None = None) -> WeekendPlan:
    """Validate every row and decide what it would do; writes nothing."""
    today = today or date.today()
    column_of = {key: index for key, index in mapping.items() if index is not None}
    labels = KIND.labels()
    plan = WeekendPlan(KIND.key, sheet.source + (f" — hoja «{sheet.sheet}»" if sheet.sheet else ""),
                       list(sheet.headers), total_rows=len(sheet.rows), field_labels=labels)
    file_date = _parse_utc(file_date)

    def label(key: str) -> str:
        return sheet.headers[column_of[key]] if key in column_of else labels.get(key, key)

    prefixes = dict(session.execute(select(State.clues_prefix, State.id)).all())
    wanted = {normalize_clues(to_text(cells[column_of["clues"]])) for cells in sheet.rows} if "clues" in column_of else set()
    e, r = Establishment.__table__, WeekendRecord.__table__
    units: dict[str, Any] = {}
    wanted_list = sorted(w for w in wanted if w)
    for start in range(0, len(wanted_list), 900):
        query = (select(e.c.id, e.c.clues, r.c.id.label("rid"), r.c.version, r.c.updated_at, r.c.changed_by)
                 .select_from(e.outerjoin(r, and_(r.c.establishment_id == e.c.id, r.c.deleted_at.is_(None))))
                 .where(e.c.clues.in_(wanted_list[start:start + 900])))
        units.update({row.clues: row for row in session.execute(query)})
    eligibility = svc.eligibility(session, [u.id for u in units.values()])
    schedules = svc.load_schedules(session, [u.id for u in units.values() if eligibility[u.id] is None])
    total = len(sheet.rows)
    progress.report(0, total, "Validando filas")
    seen: dict[str, int] = {}
    for n, (cells_row, row_no) in enumerate(zip(sheet.rows, sheet.row_numbers)):
        if n % 200 == 0 and n:
            progress.report(n, total, "Validando filas")
        cells = {key: cells_row[index] if index < len(cells_row) else None for key, index in column_of.items()}
        row = _Row()
        clues = normalize_clues(to_text(cells.get("clues")))
        message = validate_clues(clues, None)
        if message is None and clues[:2] not in prefixes:
            message = f"El prefijo «{clues[:2]}» de la CLUES no corresponde a ninguna entidad."
        if message is None and office_state_id is not None and prefixes[clues[:2]] != office_state_id:
            plan.skipped_other_state += 1
            continue
        unit = None
        if message:
            row.errors.append(("clues", message))
        elif clues in seen:
            row.errors.append(("clues", f"La CLUES {clues} está repetida en el archivo (ya aparece en la fila {seen[clues]})."))
        else:
            seen[clues] = row_no
            unit = units.get(clues)
            if unit is None:
                row.errors.append(("clues", f"La CLUES {clues} no está registrada: dé de alta la unidad en "
                                            "Establecimientos antes de cargar su apertura en fin de semana."))
            elif eligibility[unit.id]:
                row.errors.append(("clues", eligibility[unit.id]))
        built = None
        if unit is not None and not row.errors:
            current = schedules[unit.id]
            built = _build(row, current, cells, today)
            if built is not None:
                data, shift_origin, staff_origin = built
                data = svc.clean(data)
                for key, reason in svc.check_schedule(data, today).items():
                    row.errors.append((_column_for_error(key, shift_origin, staff_origin), reason))
        for key, reason in row.warnings:
            plan.warnings.append(RowIssue(row_no, label(key), reason))
        if row.errors or built is None:
            for key, reason in row.errors:
                plan.reject(row_no, label(key), reason, list(cells_row))
            continue
        if current.id is not None and svc.same_schedule(current, data):
            plan.unchanged.append(clues)
            continue
        plan.schedules[row_no] = data
        plan.establishment_of[row_no] = unit.id
        after = display(data, today)
        if current.id is None:
            plan.new.append(PlannedRow(row_no, clues, after))
            continue
        before = display(current, today)
        changes = {k: (before[k], after[k]) for k in after if before[k] != after[k]}
        if not changes:
            changes = {"clues": ("", "cambios en turnos o personal asignado a turnos")}
        planned = PlannedUpdate(row_no, clues, unit.rid, unit.version, changes)
        edited_after = (file_date is not None and not (unit.changed_by or "").endswith(IMPORT_MARK)
                        and (_parse_utc(unit.updated_at) or file_date) > file_date)
        if edited_after and any(old for old, _new in changes.values()):
            # edited in this office after the file's date: a schedule is applied whole, so the whole row waits
            # for the user's say-so (unless the office had left every changed field empty)
            planned.conflicts, planned.changes = changes, {}
        plan.updated.append(planned)
    progress.report(total, total, "Validando filas")
    return plan


def apply_import(session: Session, plan: WeekendPlan, user: str, overwrite_conflicts: bool = False,
                 progress: Progress = NO_PROGRESS) -> dict[str, int]:
    """Write the plan in the caller's transaction (all or nothing); refuses if a unit changed since the plan."""
    users.require(session, user, users.IMPORT)
    updates = [u for u in plan.updated if u.changes or (overwrite_conflicts and u.conflicts)]
    counts = {
        "nuevos": len(plan.new), "actualizados": len(updates), "sin_cambios": len(plan.unchanged),
        "rechazados": len(plan.rejected_rows), "omitidos_otra_entidad": plan.skipped_other_state,
        "conflictos_sobrescritos": sum(1 for u in updates if u.conflicts) if overwrite_conflicts else 0,
    }
    rows = [p.row for p in plan.new] + [u.row for u in updates]
    total = len(rows)
    progress.report(0, total, "Guardando")
    if not rows:
        return counts
    expected = {u.row: u.version for u in updates}
    current = svc.load_schedules(session, [plan.establishment_of[row] for row in rows])
    for row in rows:
        now = current[plan.establishment_of[row]]
        if now.version != expected.get(row):  # a new row expects no record (version None)
            raise ConcurrencyError(f"La apertura en fin de semana de {now.clues} se modificó después de validar "
                                   "el archivo. Vuelva a validar la importación.")
    who = user + IMPORT_MARK
    # Units with no record yet: bulk inserts, one summary audit entry (like the establishments import).
    created = [plan.schedules[p.row] for p in plan.new]
    rest = svc.insert_new_schedules(session, created, who, lambda done: progress.report(done, total, "Guardando"))
    done = len(created) - len(rest)
    # Changed units (and any new one the fast path left): one write and one audit entry each.
    later = {id(d) for d in rest}
    for row in [p.row for p in plan.new if id(plan.schedules[p.row]) in later] + [u.row for u in updates]:
        svc.write_schedule(session, current[plan.establishment_of[row]], plan.schedules[row], user, "importar",
                           changed_by=who)
        done += 1
        progress.report(done, total, "Guardando")
    created_keys = [p.key for p in plan.new]
    audit.record(session, user, "importar", "apertura_fin_de_semana", None, None,
                 {"archivo": plan.source, **counts, "clues_nuevas": created_keys})
    progress.report(total, total, "Guardando")
    return counts


KIND = register(ImportKind(KIND.key, KIND.title, KIND.fields, KIND.instructions, plan_import, apply_import))
