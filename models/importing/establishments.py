"""Import establishments from the DGIS CLUES catalogue or any list shaped like it.

``plan_import`` validates every row against the database without writing anything; ``apply_import``
writes the plan inside the caller's transaction (all or nothing). Rules:

- rows are matched by CLUES; failing that, by an establishment whose previous (SSA) CLUES is the row's
  CLUES, or whose CLUES is the row's previous CLUES (the record is then renamed to the new key);
- a blank cell never erases what the database has;
- rows of another state are skipped (and counted) unless the office is the national one;
- a record edited in this office after the file's date keeps its values for the fields the file would
  change, unless the user asks to overwrite them; the summary lists every such field.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import Establishment, Institution, State, Typology
from models.enums import LevelOfCare, OperatingStatus
from models.importing.cells import CellError, to_code, to_date, to_float, to_text
from models.importing.plan import NO_PROGRESS, ImportPlan, PlannedRow, PlannedUpdate, Progress, RowIssue
from models.importing.reader import SheetData
from models.importing.spec import FieldSpec, ImportKind, Mapping, register
from models.services import audit
from models.services.establishments import ConcurrencyError
from models.text import fold
from models.validation import (
    normalize_clues,
    validate_clues,
    validate_coordinates,
    validate_optional_text,
    validate_past_date,
    validate_required_text,
)

IMPORT_MARK = " (importación)"
PROGRESS_EVERY = 500

F = FieldSpec
KIND = register(ImportKind(
    key="establishments",
    title="Establecimientos de salud",
    fields=(
        F("clues", "CLUES", "Clave Única de Establecimientos de Salud: 2 letras de la entidad, 3 de la institución y "
          "6 dígitos.", ("CLAVE CLUES", "CLAVE UNICA DE ESTABLECIMIENTOS DE SALUD", "CLUES IMB", "CLUES NUEVA"),
          required=True, example="QTIMB000012"),
        F("previous_clues", "CLUES ANTERIOR", "CLUES de la Secretaría de Salud de la que se transfirió la unidad.",
          ("CLUES ANTERIOR SSA", "CLUES SSA", "CLUES ORIGEN"), example="QTSSA000123"),
        F("name", "NOMBRE DE LA UNIDAD", "Nombre del establecimiento.",
          ("NOMBRE UNIDAD", "NOMBRE DEL ESTABLECIMIENTO", "NOMBRE DE LA UNIDAD MEDICA", "UNIDAD", "NOMBRE"),
          required=True, example="CENTRO DE SALUD LA CAÑADA"),
        F("state", "ENTIDAD", "Nombre de la entidad federativa (se comprueba contra el prefijo de la CLUES).",
          ("NOMBRE DE LA ENTIDAD", "ENTIDAD FEDERATIVA", "ESTADO"), example="QUERÉTARO"),
        F("state_code", "CLAVE DE LA ENTIDAD", "Clave INEGI de la entidad (01 a 32).",
          ("CLAVE ENTIDAD", "CVE ENT", "CVE_ENT"), example="22"),
        F("municipality_code", "CLAVE DEL MUNICIPIO", "Clave INEGI del municipio (3 dígitos).",
          ("CLAVE MUNICIPIO", "CVE MUN", "CVE_MUN"), example="014"),
        F("municipality", "MUNICIPIO", "Nombre del municipio.", ("NOMBRE DEL MUNICIPIO", "NOMBRE MUNICIPIO"),
          example="QUERÉTARO"),
        F("locality_code", "CLAVE DE LA LOCALIDAD", "Clave INEGI de la localidad (4 dígitos).",
          ("CLAVE LOCALIDAD", "CVE LOC", "CVE_LOC"), example="0001"),
        F("locality", "LOCALIDAD", "Nombre de la localidad.", ("NOMBRE DE LA LOCALIDAD", "NOMBRE LOCALIDAD"),
          example="SANTIAGO DE QUERÉTARO"),
        F("jurisdiction", "JURISDICCION", "Jurisdicción sanitaria (dato histórico del catálogo).",
          ("JURISDICCION SANITARIA", "NOMBRE DE LA JURISDICCION"), example="JURISDICCIÓN SANITARIA I"),
        F("establishment_type", "NOMBRE TIPO ESTABLECIMIENTO", "Tipo de establecimiento.",
          ("TIPO DE ESTABLECIMIENTO", "TIPO ESTABLECIMIENTO"), example="DE CONSULTA EXTERNA"),
        F("typology", "NOMBRE DE TIPOLOGIA", "Tipología (Centro de Salud, Hospital General, …).",
          ("TIPOLOGIA", "NOMBRE TIPOLOGIA"), example="CENTRO DE SALUD"),
        F("subtypology", "NOMBRE DE SUBTIPOLOGIA", "Subtipología.", ("SUBTIPOLOGIA", "NOMBRE SUBTIPOLOGIA")),
        F("level_of_care", "NIVEL ATENCION", "Nivel de atención. Si falta, se toma el de la tipología.",
          ("NIVEL DE ATENCION", "NIVEL"), allowed=tuple(m.label for m in LevelOfCare), example="PRIMER NIVEL"),
        F("operating_status", "ESTATUS DE OPERACION", "Estatus de operación. Vacío: en operación.",
          ("ESTATUS", "ESTATUS OPERACION", "ESTADO DE OPERACION"),
          allowed=("EN OPERACION", "FUERA DE OPERACION TEMPORALMENTE", "EN CONSTRUCCION", "FUERA DE OPERACION"),
          example="EN OPERACION"),
        F("status_changed_on", "FECHA DEL ULTIMO CAMBIO DE ESTATUS", "Fecha del último cambio de estatus.",
          ("FECHA ULTIMO CAMBIO DE ESTATUS", "FECHA ULTIMO MOVIMIENTO", "FECHA DE ULTIMO MOVIMIENTO"),
          example="01/07/2024"),
        F("operation_started_on", "FECHA DE INICIO DE OPERACION", "Fecha en que la unidad empezó a operar.",
          ("FECHA INICIO OPERACION", "INICIO DE OPERACION"), example="14/05/2003"),
        F("address", "DOMICILIO", "Calle, número y colonia.", ("DIRECCION", "DOMICILIO COMPLETO")),
        F("postal_code", "CODIGO POSTAL", "Código postal (5 dígitos).", ("CP", "C P", "COD POSTAL"),
          example="76240"),
        F("latitude", "LATITUD", "Grados decimales (norte positiva).", ("LAT",), example="20.6121"),
        F("longitude", "LONGITUD", "Grados decimales (al oeste, negativa).", ("LON", "LONG"), example="-100.3642"),
        F("notes", "NOTAS", "Observaciones de la oficina.", ("OBSERVACIONES", "COMENTARIOS")),
    ),
    instructions=(
        "Una fila por establecimiento; la primera fila con datos lleva los encabezados (pueden ir títulos arriba).",
        "Los encabezados se reconocen sin importar mayúsculas, acentos ni espacios; el asistente permite "
        "corregir la correspondencia de columnas.",
        "CLUES y NOMBRE DE LA UNIDAD son obligatorios; el nivel de atención también, salvo que la tipología lo indique.",
        "Una celda vacía no borra el dato que ya existe en la base.",
        "Las filas de otra entidad se omiten, salvo en la oficina nacional.",
        "Si la CLUES ya existe se actualiza ese establecimiento; si la CLUES del archivo es la anterior (SSA) "
        "de un establecimiento registrado, se actualiza ese establecimiento.",
        "La importación se aplica completa o no se aplica: si una fila tiene errores se informa y no se guarda, "
        "y las filas rechazadas se pueden guardar en un archivo para corregirlas.",
    ),
))

_LEVELS = {
    "primer nivel": "PRIMER", "primer": "PRIMER", "primero": "PRIMER", "1": "PRIMER", "1er nivel": "PRIMER",
    "segundo nivel": "SEGUNDO", "segundo": "SEGUNDO", "2": "SEGUNDO", "2o nivel": "SEGUNDO",
    "tercer nivel": "TERCER", "tercer": "TERCER", "tercero": "TERCER", "3": "TERCER", "3er nivel": "TERCER",
    "no aplica": "NO_APLICA", "n/a": "NO_APLICA", "na": "NO_APLICA",
}
_STATUSES = {
    "en operacion": "EN_OPERACION", "operando": "EN_OPERACION", "activo": "EN_OPERACION", "activa": "EN_OPERACION",
    "fuera de operacion temporalmente": "CERRADO_TEMPORALMENTE", "fuera de operacion temporal": "CERRADO_TEMPORALMENTE",
    "cerrado temporalmente": "CERRADO_TEMPORALMENTE", "cerrada temporalmente": "CERRADO_TEMPORALMENTE",
    "temporalmente cerrado": "CERRADO_TEMPORALMENTE", "en construccion": "EN_CONSTRUCCION", "en obra": "EN_CONSTRUCCION",
    "fuera de operacion": "BAJA", "baja": "BAJA", "dado de baja": "BAJA", "dada de baja": "BAJA",
    "baja fuera de operacion": "BAJA",
}
for _m in LevelOfCare:
    _LEVELS[fold(_m.label)] = _m.value
for _m in OperatingStatus:
    _STATUSES[fold(_m.label).replace("(", "").replace(")", "")] = _m.value

# Fields compared and written as they are (after parsing).
_STORED = (
    "clues", "previous_clues", "name", "state_id", "establishment_type", "typology_id", "subtypology",
    "municipality_code", "municipality", "locality_code", "locality", "jurisdiction", "address", "postal_code",
    "latitude", "longitude", "level_of_care", "operating_status", "status_changed_on", "operation_started_on", "notes",
)
_TEXT_LIMITS = {
    "name": ("El nombre de la unidad", 250), "municipality": ("El municipio", 120), "locality": ("La localidad", 200),
    "establishment_type": ("El tipo de establecimiento", 120), "subtypology": ("La subtipología", 200),
    "jurisdiction": ("La jurisdicción", 120),
}
_CODES = {"municipality_code": 3, "locality_code": 4, "postal_code": 5}
_DATES = {"status_changed_on": "fecha del último cambio de estatus", "operation_started_on": "fecha de inicio de operación"}


class _Lookups:
    """Everything a row is checked against, read once (a plan runs one query per table, not per row)."""

    def __init__(self, session: Session):
        self.states_by_prefix: dict[str, tuple[int, str]] = {}
        self.state_names: dict[int, str] = {}
        self.states_by_text: dict[str, int] = {}
        for s in session.execute(select(State.id, State.inegi_code, State.name, State.short_name, State.clues_prefix)):
            self.states_by_prefix[s.clues_prefix] = (s.id, s.name)
            self.state_names[s.id] = s.name
            for text in (s.inegi_code, str(int(s.inegi_code)), fold(s.name), fold(s.short_name), s.clues_prefix.lower()):
                self.states_by_text[text] = s.id
        self.states_by_text.update({"cdmx": self.states_by_text["09"], "distrito federal": self.states_by_text["09"],
                                    "estado de mexico": self.states_by_text["15"], "coahuila": self.states_by_text["05"]})
        self.institutions = set(session.scalars(select(Institution.code)))
        self.typologies: dict[str, tuple[int, str | None]] = {}
        for t in session.execute(select(Typology.id, Typology.code, Typology.name, Typology.default_level)):
            level = t.default_level.value if t.default_level is not None else None
            self.typologies[fold(t.name)] = (t.id, level)
            self.typologies[fold(t.code)] = (t.id, level)
            if "(" in t.name:
                self.typologies[fold(t.name.split("(")[0])] = (t.id, level)


def _existing(session: Session) -> tuple[dict[str, tuple], dict[str, int], dict[int, tuple], list[str]]:
    """Every establishment (retired ones too): by CLUES, id by previous CLUES, and rows by id."""
    e = Establishment.__table__.c
    columns = [e.id, e.version, e.updated_at, e.changed_by, e.deleted_at] + [
        getattr(e, name) for name in _STORED
    ]
    names = [c.name for c in columns]
    result = session.connection().execute(select(*columns))
    try:
        rows = result.cursor.fetchall()  # plain tuples: 100,000 rows without Row objects
    finally:
        result.close()
    by_id = {r[0]: r for r in rows}
    clues_at, prev_at = names.index("clues"), names.index("previous_clues")
    by_clues = {r[clues_at]: r for r in rows}
    by_previous = {r[prev_at]: r[0] for r in rows if r[prev_at]}
    return by_clues, by_previous, by_id, names


def _parse_utc(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value)).replace(tzinfo=timezone.utc)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) < 1e-9
    if a is None and b == "" or a == "" and b is None:
        return True
    return a == b


def plan_import(session: Session, sheet: SheetData, mapping: Mapping, office_state_id: int | None,
                file_date: datetime | None = None, progress: Progress = NO_PROGRESS) -> ImportPlan:
    """Validate every row and decide what it would do; writes nothing."""
    look = _Lookups(session)
    by_clues, by_previous, by_id, names = _existing(session)
    col = {name: i for i, name in enumerate(names)}
    headers = sheet.headers
    column_of = {key: index for key, index in mapping.items() if index is not None}
    label = {key: headers[index] for key, index in column_of.items()}
    plan = ImportPlan(KIND.key, sheet.source + (f" — hoja «{sheet.sheet}»" if sheet.sheet else ""), list(headers),
                      total_rows=len(sheet.rows), field_labels=KIND.labels())
    seen_clues: dict[str, int] = {}
    seen_records: dict[int, int] = {}
    seen_previous: dict[str, int] = {}
    file_date = _parse_utc(file_date)
    total = len(sheet.rows)

    for n, (cells, row_no) in enumerate(zip(sheet.rows, sheet.row_numbers)):
        if n % PROGRESS_EVERY == 0:
            progress.report(n, total, "Validando filas")
        errors: list[tuple[str, str]] = []  # (field key, reason)
        values: dict[str, Any] = {}

        def cell(key: str) -> Any:
            index = column_of.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        # --- CLUES and state: decide first whether the row belongs to this office at all.
        clues = normalize_clues(to_text(cell("clues")))
        message = validate_clues(clues, None, look.institutions)
        state_id = None
        if message is None:
            found = look.states_by_prefix.get(clues[:2])
            if found is None:
                message = f"El prefijo «{clues[:2]}» de la CLUES no corresponde a ninguna entidad."
            else:
                state_id = found[0]
        stated_state = None
        for key in ("state_code", "state"):
            text = to_text(cell(key))
            if text:
                resolved = look.states_by_text.get(fold(text).lstrip("0") if key == "state_code" else fold(text))
                if resolved is None and key == "state_code":
                    resolved = look.states_by_text.get(text.zfill(2))
                if resolved is None:
                    errors.append((key, f"No se reconoce la entidad «{text}»."))
                elif stated_state is None:
                    stated_state = resolved
        row_state = state_id if state_id is not None else stated_state
        if office_state_id is not None and row_state is not None and row_state != office_state_id:
            plan.skipped_other_state += 1
            continue
        if message:
            errors.append(("clues", message))
        elif stated_state is not None and stated_state != state_id:
            errors.append(("state" if "state" in column_of else "state_code",
                           f"La CLUES {clues} es de {look.state_names[state_id]}, "  # type: ignore[index]
                           f"pero la fila dice {look.state_names[stated_state]}."))
        if clues and not message:
            first = seen_clues.get(clues)
            if first is not None:
                errors.append(("clues", f"La CLUES {clues} está repetida en el archivo (ya aparece en la fila {first})."))
            else:
                seen_clues[clues] = row_no
        values["clues"] = clues
        values["state_id"] = state_id

        # --- plain text
        name = to_text(cell("name"))
        message = validate_required_text(name, "El nombre de la unidad", 250)
        if message:
            errors.append(("name", message))
        values["name"] = name
        for key, (what, limit) in _TEXT_LIMITS.items():
            if key == "name" or key not in column_of:
                continue
            text = to_text(cell(key))
            if text:
                message = validate_optional_text(text, what, limit)
                if message:
                    errors.append((key, message))
                values[key] = text
        if "address" in column_of:
            text = to_text(cell("address"))
            if text:
                values["address"] = text
        if "notes" in column_of:
            text = to_text(cell("notes"))
            if text:
                values["notes"] = text
        for key, digits in _CODES.items():
            if key in column_of:
                try:
                    code = to_code(cell(key), digits)
                except CellError as exc:
                    errors.append((key, str(exc)))
                else:
                    if code:
                        values[key] = code

        previous = normalize_clues(to_text(cell("previous_clues")))
        if previous:
            message = validate_clues(previous, None)
            if message:
                errors.append(("previous_clues", message.replace("La CLUES", "La CLUES anterior")))
            elif previous == clues:
                errors.append(("previous_clues", "La CLUES anterior debe ser distinta de la CLUES actual."))
            else:
                values["previous_clues"] = previous

        # --- catalogue values
        typology_level = None
        text = to_text(cell("typology"))
        if text:
            found_typology = look.typologies.get(fold(text))
            if found_typology is None:
                plan.warnings.append(_issue(row_no, label, "typology",
                                            f"La tipología «{text}» no está en el catálogo; se importa sin tipología."))
            else:
                values["typology_id"], typology_level = found_typology
        text = to_text(cell("level_of_care"))
        if text:
            level = _LEVELS.get(fold(text))
            if level is None:
                errors.append(("level_of_care", f"«{text}» no es un nivel de atención (primer, segundo, tercer nivel o no aplica)."))
            else:
                values["level_of_care"] = level
        elif typology_level:
            values["level_of_care"] = typology_level
        text = to_text(cell("operating_status"))
        if text:
            status = _STATUSES.get(fold(text).replace("(", "").replace(")", ""))
            if status is None:
                errors.append(("operating_status", f"«{text}» no es un estatus de operación reconocido."))
            else:
                values["operating_status"] = status

        # --- numbers and dates
        coordinates: dict[str, float | None] = {}
        for key in ("latitude", "longitude"):
            try:
                coordinates[key] = to_float(cell(key))
            except CellError as exc:
                errors.append((key, str(exc)))
        if len(coordinates) == 2 and (coordinates["latitude"] is not None or coordinates["longitude"] is not None):
            problems = validate_coordinates(coordinates["latitude"], coordinates["longitude"])
            errors.extend(problems.items())
            if not problems:
                values.update(coordinates)
        for key, what in _DATES.items():
            try:
                day = to_date(cell(key))
            except CellError as exc:
                errors.append((key, str(exc)))
                continue
            message = validate_past_date(day, what)
            if message:
                errors.append((key, message))
            elif day is not None:
                values[key] = day

        # --- match against the database
        record = by_clues.get(clues) if clues else None
        matched_by_previous_key = False
        if record is None and clues and clues in by_previous:
            record = by_id[by_previous[clues]]
            matched_by_previous_key = True  # the file still uses the old SSA key: keep the record's key
        if record is None and previous and previous in by_clues:
            record = by_clues[previous]  # the record still has the old key; the file brings the new one
        if record is not None:
            first = seen_records.get(record[0])
            if first is not None and not errors:
                errors.append(("clues", f"La fila {first} ya actualiza este mismo establecimiento ({record[col['clues']]})."))
            seen_records.setdefault(record[0], row_no)
        if previous and "previous_clues" in values:
            owner = by_previous.get(previous)
            if owner is not None and (record is None or owner != record[0]):
                errors.append(("previous_clues", f"La CLUES anterior {previous} ya está asignada a {by_id[owner][col['clues']]}."))
            elif previous in by_clues and (record is None or by_clues[previous][0] != record[0]):
                errors.append(("previous_clues", f"{previous} es la CLUES actual de otro establecimiento."))
            first = seen_previous.get(previous)
            if first is not None:
                errors.append(("previous_clues", f"La CLUES anterior {previous} está repetida en el archivo (fila {first})."))
            seen_previous.setdefault(previous, row_no)

        if record is None and "level_of_care" not in values and not errors:
            errors.append(("level_of_care", "Falta el nivel de atención (y la tipología no lo indica)."))

        if errors:
            for key, reason in errors:
                plan.reject(row_no, label.get(key, KIND.field(key).header if key in KIND.labels() else key), reason, list(cells))
            continue

        if record is None:
            values.setdefault("operating_status", OperatingStatus.EN_OPERACION.value)
            plan.new.append(PlannedRow(row_no, clues, values))
            continue

        if matched_by_previous_key:
            values.pop("clues")
        changes = {}
        for key, new in values.items():
            if key == "state_id" and new is None:
                continue
            old = record[col[key]]
            if key in _DATES and isinstance(old, str):
                old = date.fromisoformat(old[:10])  # raw cursor: SQLite keeps dates as text
            if not _same(old, new):
                changes[key] = (old, new)
        if not changes:
            plan.unchanged.append(record[col["clues"]])
            continue
        update_ = PlannedUpdate(row_no, record[col["clues"]], record[0], record[col["version"]], changes)
        edited_after = (
            file_date is not None
            and not (record[col["changed_by"]] or "").endswith(IMPORT_MARK)
            and (_parse_utc(record[col["updated_at"]]) or file_date) > file_date
        )
        if edited_after:
            update_.conflicts, update_.changes = changes, {}
        plan.updated.append(update_)
    progress.report(total, total, "Validando filas")
    return plan


def _issue(row: int, label: dict[str, str], key: str, reason: str) -> RowIssue:
    return RowIssue(row, label.get(key, KIND.field(key).header), reason)


def apply_import(session: Session, plan: ImportPlan, user: str, overwrite_conflicts: bool = False,
                 progress: Progress = NO_PROGRESS) -> dict[str, int]:
    """Write the plan in the caller's transaction. Refuses if a record changed since the plan was made."""
    e = Establishment.__table__
    updates = [u for u in plan.updated if u.changes or (overwrite_conflicts and u.conflicts)]
    counts = {
        "nuevos": len(plan.new), "actualizados": len(updates), "sin_cambios": len(plan.unchanged),
        "rechazados": len(plan.rejected_rows), "omitidos_otra_entidad": plan.skipped_other_state,
        "conflictos_sobrescritos": sum(1 for u in updates if u.conflicts) if overwrite_conflicts else 0,
    }
    if not plan.new and not updates:
        return counts  # nothing to write: the database (audit trail included) stays exactly as it was
    expected = {u.record_id: u.version for u in updates}
    ids = list(expected)
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        for record_id, version, clues in session.execute(select(e.c.id, e.c.version, e.c.clues).where(e.c.id.in_(chunk))):
            if expected[record_id] != version:
                raise ConcurrencyError(
                    f"El establecimiento {clues} se modificó después de validar el archivo. Vuelva a validar la importación."
                )
    now = utcnow()
    who = user + IMPORT_MARK
    total = len(plan.new) + len(updates)
    done = 0
    batch: list[dict[str, Any]] = []
    for planned in plan.new:
        values = dict(planned.values)
        status = values.get("operating_status", OperatingStatus.EN_OPERACION.value)
        batch.append({
            **{name: "" for name in ("establishment_type", "subtypology", "municipality_code", "municipality",
                                     "locality_code", "locality", "jurisdiction", "address", "postal_code", "notes",
                                     "retirement_reason")},
            "typology_id": None, "latitude": None, "longitude": None, "status_changed_on": None,
            "operation_started_on": None, "previous_clues": None,
            **values,
            "institution_code": planned.key[2:5],
            "uuid": str(uuid.uuid4()), "created_at": now, "updated_at": now, "changed_by": who, "version": 1,
            "deleted_at": now if status == OperatingStatus.BAJA.value else None,
        })
        done += 1
        if len(batch) == PROGRESS_EVERY:
            session.execute(e.insert(), batch)
            batch = []
            progress.report(done, total, "Guardando")
    if batch:
        session.execute(e.insert(), batch)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for planned_update in updates:
        changes = dict(planned_update.changes)
        if overwrite_conflicts:
            changes.update(planned_update.conflicts)
        params = {f"v_{k}": new for k, (_old, new) in changes.items()}
        if "operating_status" in changes:
            retired = changes["operating_status"][1] == OperatingStatus.BAJA.value
            params["v_deleted_at"] = now if retired else None
        if "clues" in changes:
            params["v_institution_code"] = changes["clues"][1][2:5]
        params["b_id"] = planned_update.record_id
        groups.setdefault(tuple(sorted(k for k in params if k != "b_id")), []).append(params)
    for keys, rows in groups.items():
        statement = (
            update(e).where(e.c.id == bindparam("b_id"))
            .values({**{k[2:]: bindparam(k) for k in keys}, "version": e.c.version + 1, "updated_at": now,
                     "changed_by": who})
        )
        for start in range(0, len(rows), PROGRESS_EVERY):
            session.execute(statement, rows[start:start + PROGRESS_EVERY])
            done += len(rows[start:start + PROGRESS_EVERY])
            progress.report(done, total, "Guardando")
    audit.record(session, user, "importar", "establecimientos", None, None, {"archivo": plan.source, **counts})
    session.flush()
    return counts


KIND = register(ImportKind(KIND.key, KIND.title, KIND.fields, KIND.instructions, plan_import, apply_import))

