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
from operator import itemgetter
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
from models.services import audit, users
from models.services.establishments import ConcurrencyError
from models.text import fold
from models.validation import (
    normalize_clues,
    validate_clues,
    validate_coordinates,
    validate_optional_text,
    validate_past_date,
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
        self.typology_names: dict[int, str] = {}
        for t in session.execute(select(Typology.id, Typology.code, Typology.name, Typology.default_level)):
            self.typology_names[t.id] = t.name
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


def _sql_value(value: Any) -> Any:
    """A value as SQLAlchemy's SQLite types store it (naive UTC timestamps, ISO dates)."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


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


class _Bad:
    """A cell that failed to parse: the Spanish reason."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


class _Warn:
    """A cell that parsed to nothing, with a warning (e.g. an unknown typology)."""

    __slots__ = ("reason",)

    def __init__(self, reason: str):
        self.reason = reason


def _parse_column(values: list[Any], parse) -> tuple[list[Any], dict[int, _Bad | _Warn]]:
    """Parse a whole column, once per distinct value (catalogue columns repeat a lot: municipality, level…).

    Returns the parsed values (None where a cell failed) and the failures by row position.
    """
    memo: dict[Any, Any] = {}
    out: list[Any] = []
    failed: dict[int, _Bad | _Warn] = {}
    append = out.append
    for n, value in enumerate(values):
        try:
            result = memo[value]
        except (KeyError, TypeError):
            try:
                result = parse(value)
            except CellError as exc:
                result = _Bad(str(exc))
            try:
                memo[value] = result
            except TypeError:  # unhashable cell
                pass
        if result.__class__ is _Bad or result.__class__ is _Warn:
            failed[n] = result
            result = None
        append(result)
    return out, failed


def _parsers(look: _Lookups, today_: date) -> dict[str, Any]:
    """One parser per field: cell → stored value (None or "" when blank), _Bad or _Warn."""

    def clues(value):
        code = normalize_clues(to_text(value))
        message = validate_clues(code, None, look.institutions)
        if message:
            return _Bad(message) if code else ("", None)
        found = look.states_by_prefix.get(code[:2])
        if found is None:
            return _Bad(f"El prefijo «{code[:2]}» de la CLUES no corresponde a ninguna entidad.")
        return code, found[0]

    def previous(value):
        code = normalize_clues(to_text(value))
        if not code:
            return ""
        message = validate_clues(code, None)
        return _Bad(message.replace("La CLUES", "La CLUES anterior")) if message else code

    def state(value):
        text = to_text(value)
        if not text:
            return None
        found = look.states_by_text.get(fold(text))
        return found if found is not None else _Bad(f"No se reconoce la entidad «{text}».")

    def state_code(value):
        text = to_text(value)
        if not text:
            return None
        found = look.states_by_text.get(text.lstrip("0")) or look.states_by_text.get(text.zfill(2))
        return found if found is not None else _Bad(f"No se reconoce la entidad «{text}».")

    def limited(what: str, limit: int):
        def parse(value):
            text = to_text(value)
            message = validate_optional_text(text, what, limit)
            return _Bad(message) if message else text
        return parse

    def code(digits: int):
        return lambda value: to_code(value, digits)

    def typology(value):
        text = to_text(value)
        if not text:
            return None
        found = look.typologies.get(fold(text))
        return found if found is not None else _Warn(f"La tipología «{text}» no está en el catálogo; se importa sin tipología.")

    def level(value):
        text = to_text(value)
        if not text:
            return None
        found = _LEVELS.get(fold(text))
        return found if found is not None else _Bad(
            f"«{text}» no es un nivel de atención (primer, segundo, tercer nivel o no aplica).")

    def status(value):
        text = to_text(value)
        if not text:
            return None
        found = _STATUSES.get(fold(text).replace("(", "").replace(")", ""))
        return found if found is not None else _Bad(f"«{text}» no es un estatus de operación reconocido.")

    def day(what: str):
        def parse(value):
            parsed = to_date(value)
            message = validate_past_date(parsed, what, today_)
            return _Bad(message) if message else parsed
        return parse

    parsers: dict[str, Any] = {
        "clues": clues, "previous_clues": previous, "state": state, "state_code": state_code,
        "typology": typology, "level_of_care": level, "operating_status": status,
        "latitude": to_float, "longitude": to_float, "address": to_text, "notes": to_text,
    }
    for key, (what, limit) in _TEXT_LIMITS.items():
        parsers[key] = limited(what, limit)
    for key, digits in _CODES.items():
        parsers[key] = code(digits)
    for key, what in _DATES.items():
        parsers[key] = day(what)
    return parsers


def plan_import(session: Session, sheet: SheetData, mapping: Mapping, office_state_id: int | None,
                file_date: datetime | None = None, progress: Progress = NO_PROGRESS) -> ImportPlan:
    """Validate every row and decide what it would do; writes nothing.

    Cells are parsed column by column (each distinct value once), then each row is assembled, checked
    across columns (duplicates, state, coordinates) and compared with the stored record.
    """
    look = _Lookups(session)
    by_clues, by_previous, by_id, names = _existing(session)
    col = {name: i for i, name in enumerate(names)}
    headers = sheet.headers
    column_of = {key: index for key, index in mapping.items() if index is not None}
    label = {key: headers[index] for key, index in column_of.items()}
    labels = KIND.labels()
    plan = ImportPlan(KIND.key, sheet.source + (f" — hoja «{sheet.sheet}»" if sheet.sheet else ""), list(headers),
                      total_rows=len(sheet.rows), field_labels=labels)
    plan.value_names = {
        "typology_id": look.typology_names, "state_id": look.state_names,
        "level_of_care": {m.value: m.label for m in LevelOfCare},
        "operating_status": {m.value: m.label for m in OperatingStatus},
    }
    file_date = _parse_utc(file_date)
    total = len(sheet.rows)
    progress.report(0, total, "Validando filas")
    parsers = _parsers(look, date.today())
    blank = [None] * total
    parsed: dict[str, list[Any]] = {}
    cell_errors: dict[int, list[tuple[str, str]]] = {}
    warnings: dict[int, list[tuple[str, str]]] = {}
    for key, index in column_of.items():
        if key in parsers:
            parsed[key], failed = _parse_column([r[index] for r in sheet.rows], parsers[key])
            for n, problem in failed.items():
                (warnings if problem.__class__ is _Warn else cell_errors).setdefault(n, []).append((key, problem.reason))
    clues_col = parsed.get("clues", blank)
    name_col = parsed.get("name", blank)  # required: always mapped (runner and wizard check it)
    state_cols = [(k, parsed[k]) for k in ("state_code", "state") if k in parsed]
    previous_col = parsed.get("previous_clues")
    lat_col, lon_col = parsed.get("latitude"), parsed.get("longitude")
    typology_col = parsed.get("typology")
    simple = [(k, parsed[k]) for k in (
        "municipality", "locality", "establishment_type", "subtypology", "jurisdiction", "address", "notes",
        "municipality_code", "locality_code", "postal_code", "level_of_care", "operating_status",
        "status_changed_on", "operation_started_on",
    ) if k in parsed]

    def column_label(key: str) -> str:
        return label.get(key) or labels.get(key, key)

    seen_clues: dict[str, int] = {}
    seen_records: dict[int, int] = {}
    seen_previous: dict[str, int] = {}
    clues_at, version_at, changed_by_at, updated_at = col["clues"], col["version"], col["changed_by"], col["updated_at"]
    stored_keys = [(k, col[k]) for k in _STORED]

    for n in range(total):
        if n % 5000 == 0 and n:
            progress.report(n, total, "Validando filas")
        row_no = sheet.row_numbers[n]
        errors: list[tuple[str, str]] = list(cell_errors.get(n, ()))
        values: dict[str, Any] = {}

        # --- CLUES and state first: does the row belong to this office at all?
        clues, state_id = clues_col[n] or ("", None)
        stated_state = None
        for _key, values_of in state_cols:
            if values_of[n] is not None:
                stated_state = values_of[n]
                break
        row_state = state_id if state_id is not None else stated_state
        if office_state_id is not None and row_state is not None and row_state != office_state_id:
            plan.skipped_other_state += 1
            continue
        if not clues:
            if not any(key == "clues" for key, _reason in errors):
                errors.append(("clues", "La CLUES es obligatoria."))
        else:
            if stated_state is not None and stated_state != state_id:
                errors.append(("state" if "state" in column_of else "state_code",
                               f"La CLUES {clues} es de {look.state_names[state_id]}, "  # type: ignore[index]
                               f"pero la fila dice {look.state_names[stated_state]}."))
            first = seen_clues.get(clues)
            if first is not None:
                errors.append(("clues", f"La CLUES {clues} está repetida en el archivo (ya aparece en la fila {first})."))
            else:
                seen_clues[clues] = row_no
        values["clues"] = clues
        values["state_id"] = state_id

        name = name_col[n]
        if name:
            values["name"] = name
        elif n not in cell_errors or not any(key == "name" for key, _reason in errors):
            errors.append(("name", "El nombre de la unidad es obligatorio."))
        for key, values_of in simple:
            got = values_of[n]
            if got is not None and got != "":
                values[key] = got

        previous = ""
        if previous_col is not None and previous_col[n]:
            if previous_col[n] == clues:
                errors.append(("previous_clues", "La CLUES anterior debe ser distinta de la CLUES actual."))
            else:
                previous = values["previous_clues"] = previous_col[n]

        if n in warnings:
            plan.warnings.extend(RowIssue(row_no, column_label(key), reason) for key, reason in warnings[n])
        if typology_col is not None and typology_col[n] is not None:
            values["typology_id"], typology_level = typology_col[n]
            if "level_of_care" not in values and typology_level:
                values["level_of_care"] = typology_level

        if lat_col is not None and lon_col is not None:
            lat, lon = lat_col[n], lon_col[n]
            if (lat is not None or lon is not None) and not any(k in ("latitude", "longitude") for k, _r in errors):
                problems = validate_coordinates(lat, lon)
                if problems:
                    errors.extend(problems.items())
                else:
                    values["latitude"], values["longitude"] = lat, lon

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
                errors.append(("clues", f"La fila {first} ya actualiza este mismo establecimiento ({record[clues_at]})."))
            seen_records.setdefault(record[0], row_no)
        if previous:
            owner = by_previous.get(previous)
            if owner is not None and (record is None or owner != record[0]):
                errors.append(("previous_clues", f"La CLUES anterior {previous} ya está asignada a {by_id[owner][clues_at]}."))
            elif previous in by_clues and (record is None or by_clues[previous][0] != record[0]):
                errors.append(("previous_clues", f"{previous} es la CLUES actual de otro establecimiento."))
            first = seen_previous.get(previous)
            if first is not None:
                errors.append(("previous_clues", f"La CLUES anterior {previous} está repetida en el archivo (fila {first})."))
            seen_previous.setdefault(previous, row_no)

        if record is None and "level_of_care" not in values and not errors:
            errors.append(("level_of_care", "Falta el nivel de atención (y la tipología no lo indica)."))

        if errors:
            cells = list(sheet.rows[n])
            for key, reason in errors:
                plan.reject(row_no, column_label(key), reason, cells)
            continue

        if record is None:
            values.setdefault("operating_status", OperatingStatus.EN_OPERACION.value)
            plan.new.append(PlannedRow(row_no, clues, values))
            continue

        if matched_by_previous_key:
            del values["clues"]
        changes = {}
        for key, at in stored_keys:
            if key not in values:
                continue
            new = values[key]
            old = record[at]
            if key in _DATES and isinstance(old, str):
                old = date.fromisoformat(old[:10])  # raw cursor: SQLite keeps dates as text
            if old != new and not _same(old, new):
                changes[key] = (old, new)
        if not changes:
            plan.unchanged.append(record[clues_at])
            continue
        update_ = PlannedUpdate(row_no, record[clues_at], record[0], record[version_at], changes)
        edited_after = (
            file_date is not None
            and not (record[changed_by_at] or "").endswith(IMPORT_MARK)
            and (_parse_utc(record[updated_at]) or file_date) > file_date
        )
        if edited_after:  # fields this office had filled in keep their value unless the user overwrites
            update_.conflicts = {k: v for k, v in changes.items() if v[0] is not None and v[0] != ""}
            update_.changes = {k: v for k, v in changes.items() if k not in update_.conflicts}
        plan.updated.append(update_)
    progress.report(total, total, "Validando filas")
    return plan


def apply_import(session: Session, plan: ImportPlan, user: str, overwrite_conflicts: bool = False,
                 progress: Progress = NO_PROGRESS) -> dict[str, int]:
    """Write the plan in the caller's transaction. Refuses if a record changed since the plan was made."""
    users.require(session, user, users.IMPORT)
    e = Establishment.__table__
    updates = [u for u in plan.updated if u.changes or (overwrite_conflicts and u.conflicts)]
    counts = {
        "nuevos": len(plan.new), "actualizados": len(updates), "sin_cambios": len(plan.unchanged),
        "rechazados": len(plan.rejected_rows), "omitidos_otra_entidad": plan.skipped_other_state,
        "conflictos_sobrescritos": sum(1 for u in updates if u.conflicts) if overwrite_conflicts else 0,
    }
    total = len(plan.new) + len(updates)
    progress.report(0, total, "Guardando")
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
    done = 0
    # New rows go straight to the driver as tuples (SQLAlchemy's per-row parameter processing costs more
    # than SQLite's own work at 50,000 rows); values are converted here exactly as the ORM stores them.
    columns = [c for c in e.columns if c.name != "id"]
    defaults = {c.name: (c.default.arg if c.default is not None and not callable(c.default.arg) else None)
                for c in columns}
    defaults.update(typology_id=None, previous_clues=None, retirement_reason="")
    for c in columns:
        if defaults[c.name] is None and not c.nullable and c.name not in _STORED and c.name not in (
                "uuid", "created_at", "updated_at", "changed_by", "version", "institution_code"):
            raise RuntimeError(f"apply_import does not know how to fill establishments.{c.name}")
    connection = session.connection()
    # SQLite's driver takes ISO text as SQLAlchemy would store it; a server driver (psycopg) takes the objects
    as_text = connection.dialect.name == "sqlite"
    stamp = _sql_value(now) if as_text else now.replace(tzinfo=None)
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {e.name} ({', '.join(c.name for c in columns)}) "
           f"VALUES ({', '.join(mark for _ in columns)})")
    batch: list[tuple] = []
    row_of = itemgetter(*(c.name for c in columns))
    for planned in plan.new:
        values = {**defaults, **planned.values}
        retired = values.get("operating_status") == OperatingStatus.BAJA.value
        values.update(uuid=str(uuid.uuid4()), created_at=stamp, updated_at=stamp, changed_by=who, version=1,
                      deleted_at=stamp if retired else None, institution_code=planned.key[2:5])
        if as_text:
            for key in _DATES:
                if values[key] is not None:
                    values[key] = values[key].isoformat()
        batch.append(row_of(values))
        done += 1
        if len(batch) == PROGRESS_EVERY:
            connection.exec_driver_sql(sql, batch)
            batch = []
            progress.report(done, total, "Guardando")
    if batch:
        connection.exec_driver_sql(sql, batch)
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
    progress.report(total, total, "Guardando")  # last chance to cancel before the caller commits
    return counts


KIND = register(ImportKind(KIND.key, KIND.title, KIND.fields, KIND.instructions, plan_import, apply_import))

