"""Rows as they travel: JSON values, foreign keys as uuids, a content hash.

A wire record is a plain dict::

    {"uuid": "…", "version": 3, "created_at": "…", "updated_at": "…", "changed_by": "ana",
     "deleted_at": null, "base": "<hash or null>", "data": {"clues": "BCIMB000355", "state_uuid": "…", …}}

The content hash covers ``data`` and ``deleted_at`` (what a person changed), not the bookkeeping
(version, timestamps, author): two offices holding the same content have the same hash.
"""
from __future__ import annotations

import enum
import gc
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Enum, Float, Integer, Select, String, Text, Time, select
from sqlalchemy.orm import Session

from models.base import Base, UTCDateTime
from models.exchange.tables import TableSpec

CHUNK = 900  # bound parameters per IN (…) query, under SQLite's historical limit of 999


class WireError(ValueError):
    """A value in a package cannot be stored in its column (Spanish message)."""


@contextmanager
def no_gc():
    """Pause the cyclic garbage collector: tens of thousands of small dicts would trigger it over and over
    (measured: exporting 30,000 records takes half the time without it)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def member_of(session: Session, column, values: Iterable) -> Iterator:
    """Conditions "``column`` is one of ``values``", batched for the backend: SQLite takes at most CHUNK bound
    parameters per statement, so ``IN`` lists of that size; PostgreSQL takes the whole list as one array
    parameter (``= ANY``): one query, nothing rendered per value (imports of 30,000 records spent ~2 s
    rendering and parsing ``IN`` lists there)."""
    values = list(values)
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        yield column == any_(bindparam(None, values, type_=ARRAY(column.type)))
        return
    for part in chunks(values):
        yield column.in_(part)


# Below this many rows executemany is as quick as COPY and simpler.
COPY_FROM = 500


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """Insert many rows (all with the same keys). On PostgreSQL a large batch goes through COPY, several times
    quicker than executemany there; the columns' Python defaults and bind conversions are applied as an ORM
    insert would. Elsewhere (SQLite) a plain executemany."""
    if not rows:
        return
    conn = session.connection()
    keys = list(rows[0])
    if conn.dialect.name != "postgresql" or len(rows) < COPY_FROM or any(len(r) != len(keys) for r in rows):
        conn.execute(table.insert(), rows)
        return
    dialect = conn.dialect
    filled: dict[str, Any] = {}
    for column in table.columns:
        if column.name in rows[0] or column.default is None or column.primary_key:
            continue
        arg = column.default.arg
        filled[column.name] = arg(None) if callable(arg) else arg
    names = keys + list(filled)
    processors = [table.c[name].type.bind_processor(dialect) for name in names]
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    extra = tuple(filled.values())
    cursor = conn.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                values = [row[k] for k in keys]
                values.extend(extra)
                copy.write_row([p(v) if p is not None and v is not None else v for p, v in zip(processors, values)])
    finally:
        cursor.close()


def to_json_value(value: Any) -> Any:
    """A database value as JSON: ISO dates and times (UTC for timestamps), enum values."""
    if value is None or isinstance(value, (bool, int, float, str)) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    raise TypeError(f"value of type {type(value).__name__} cannot travel")


def parse_timestamp(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise WireError(f"el campo «{name}» debe ser una fecha y hora ISO 8601")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WireError(f"el campo «{name}» no es una fecha y hora válida ({value!r})") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def _converter(column) -> Callable[[Any], Any]:
    """JSON → Python value for one column, raising WireError with the column named."""
    name = column.name
    kind = column.type
    nullable = column.nullable

    def need(ok: bool, what: str, value: Any) -> None:
        if not ok:
            raise WireError(f"el campo «{name}» debe ser {what} (llegó {value!r})")

    if isinstance(kind, Enum) and kind.enum_class is not None:
        enum_cls = kind.enum_class

        def conv(value):
            try:
                return enum_cls(value)
            except ValueError:
                raise WireError(f"el campo «{name}» tiene un valor desconocido ({value!r})") from None
    elif isinstance(kind, UTCDateTime) or isinstance(kind, DateTime):
        def conv(value):
            return parse_timestamp(value, name)
    elif isinstance(kind, Date):
        def conv(value):
            need(isinstance(value, str), "una fecha AAAA-MM-DD", value)
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise WireError(f"el campo «{name}» no es una fecha válida ({value!r})") from None
    elif isinstance(kind, Time):
        def conv(value):
            need(isinstance(value, str), "una hora HH:MM:SS", value)
            try:
                return time.fromisoformat(value)
            except ValueError:
                raise WireError(f"el campo «{name}» no es una hora válida ({value!r})") from None
    elif isinstance(kind, Boolean):
        def conv(value):
            need(isinstance(value, bool), "verdadero o falso", value)
            return value
    elif isinstance(kind, Integer):
        def conv(value):
            need(isinstance(value, int) and not isinstance(value, bool), "un número entero", value)
            return value
    elif isinstance(kind, Float):
        def conv(value):
            need(isinstance(value, (int, float)) and not isinstance(value, bool), "un número", value)
            return float(value)
    elif isinstance(kind, (String, Text)):
        def conv(value):
            need(isinstance(value, str), "texto", value)
            return value
    else:  # pragma: no cover - every travelling column type is listed above
        raise TypeError(f"unsupported column type {kind!r} for {name}")

    def checked(value):
        if value is None:
            if not nullable:
                raise WireError(f"el campo «{name}» es obligatorio y llegó vacío")
            return None
        return conv(value)

    # JSON values stored as they are (no conversion): the importer checks their type inline, faster
    checked.plain = (str if isinstance(kind, (String, Text)) and not isinstance(kind, Enum) else
                     int if isinstance(kind, Integer) else bool if isinstance(kind, Boolean) else None)
    return checked


_CONVERTERS: dict[tuple[str, str], Callable[[Any], Any]] = {}


def converter(spec: TableSpec, column_name: str) -> Callable[[Any], Any]:
    key = (spec.name, column_name)
    if key not in _CONVERTERS:
        _CONVERTERS[key] = _converter(spec.table.c[column_name])
    return _CONVERTERS[key]


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def canonical(data: dict) -> str:
    """The canonical JSON of a record's data: sorted keys, no spaces, UTF-8 text (not ASCII escapes)."""
    return _CANONICAL.encode(data)


def hash_canonical(data_json: str, deleted_at: str | None) -> str:
    """First 128 bits (32 hex digits) of SHA-256 over the canonical data, a newline and ``deleted_at``."""
    return hashlib.sha256(f"{data_json}\n{deleted_at or ''}".encode("utf-8")).hexdigest()[:32]


def content_hash(data: dict, deleted_at: str | None) -> str:
    """The content hash of a record: its data and its deletion, not its bookkeeping."""
    return hash_canonical(canonical(data), deleted_at)


def record_hash(record: dict) -> str:
    return content_hash(record["data"], record.get("deleted_at"))


def wire_select(spec: TableSpec) -> Select:
    """SELECT of a table's rows with every foreign key replaced by the parent's uuid (outer joins)."""
    t = spec.table
    columns = [t.c.id, t.c.uuid, t.c.version, t.c.created_at, t.c.updated_at, t.c.changed_by, t.c.deleted_at]
    source = t
    for column in spec.data_columns:
        fk = spec.foreign_keys.get(column.name)
        if fk is None:
            columns.append(column)
            continue
        parent = Base.metadata.tables[fk.parent].alias(f"fk_{column.name}")
        source = source.outerjoin(parent, parent.c.id == column)
        columns.append(parent.c.uuid.label(fk.wire))
    return select(*columns).select_from(source)


def scope_column(spec: TableSpec, query: Select) -> tuple[Select, Any]:
    """Add the joins from a state table to its state; returns the query and the ``state_id`` column."""
    current = spec.table
    for i, (column, parent_name) in enumerate(spec.scope):
        parent = Base.metadata.tables[parent_name].alias(f"scope_{i}")
        query = query.join(parent, parent.c.id == current.c[column])
        current = parent
    return query, current.c.state_id


def _iso_date(value):
    return None if value is None else value.isoformat()


def _iso_timestamp(value):
    if value is None:
        return None
    return (value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)).isoformat()


def _enum_value(value):
    return None if value is None else value.value


_JSON_CONVERTERS: dict[str, list] = {}


def _json_converters(spec: TableSpec) -> list:
    """Per data column: None when the database value is already JSON, else the function that makes it so."""
    if spec.name not in _JSON_CONVERTERS:
        out = []
        for column in spec.data_columns:
            kind = column.type
            if column.name in spec.foreign_keys:
                out.append(None)
            elif isinstance(kind, Enum) and kind.enum_class is not None:
                out.append(_enum_value)
            elif isinstance(kind, (UTCDateTime, DateTime)):
                out.append(_iso_timestamp)
            elif isinstance(kind, (Date, Time)):
                out.append(_iso_date)
            else:
                out.append(None)
        _JSON_CONVERTERS[spec.name] = out
    return _JSON_CONVERTERS[spec.name]


class WireRow:
    """One local row in wire form, with its canonical data JSON and content hash computed once."""

    __slots__ = ("id", "uuid", "version", "meta", "data", "data_json", "hash")

    def __init__(self, local_id: int, uuid: str, version: int, meta: dict, data: dict):
        self.id = local_id
        self.uuid = uuid
        self.version = version
        self.meta = meta
        self.data = data
        self.data_json = canonical(data)
        self.hash = hash_canonical(self.data_json, meta["deleted_at"])

    def record(self) -> dict:
        """The wire record as a dict (without ``base``)."""
        return {"uuid": self.uuid, "version": self.version, **self.meta, "data": self.data}

    def line(self, base: str | None, base_version: int | None) -> str:
        """The JSON Lines line of this record, reusing the canonical data JSON."""
        head = _COMPACT.encode({"uuid": self.uuid, "version": self.version, **self.meta, "base": base,
                                "base_version": base_version})
        return f'{head[:-1]},"data":{self.data_json}}}'


def wire_rows(spec: TableSpec, rows: Iterable, keep: Callable[[str, int], bool] | None = None) -> Iterator[WireRow]:
    """:class:`WireRow` for rows of :func:`wire_select`; ``keep(uuid, version)`` skips rows before converting."""
    names = spec.wire_fields
    convert = list(zip(names, _json_converters(spec)))
    for row in rows:
        if keep is not None and not keep(row[1], row[2]):
            continue
        values = row[7:]
        data = {name: (value if fn is None else fn(value)) for (name, fn), value in zip(convert, values)}
        meta = {"created_at": _iso_timestamp(row[3]), "updated_at": _iso_timestamp(row[4]), "changed_by": row[5],
                "deleted_at": _iso_timestamp(row[6])}
        yield WireRow(row[0], row[1], row[2], meta, data)


def rows_to_wire(spec: TableSpec, rows: Iterable) -> Iterator[tuple[int, dict]]:
    """(local id, wire record without ``base``) for rows of :func:`wire_select`."""
    for row in wire_rows(spec, rows):
        yield row.id, row.record()


def load_local_rows(session: Session, spec: TableSpec, uuids: list[str]) -> dict[str, WireRow]:
    """Local rows with the given uuids, as ``uuid → WireRow``."""
    out: dict[str, WireRow] = {}
    base = wire_select(spec)
    for condition in member_of(session, spec.table.c.uuid, uuids):
        for row in wire_rows(spec, session.execute(base.where(condition))):
            out[row.uuid] = row
    return out


def load_local(session: Session, spec: TableSpec, uuids: list[str]) -> dict[str, tuple[int, dict]]:
    """Local rows with the given uuids, as ``uuid → (id, wire record)``."""
    out: dict[str, tuple[int, dict]] = {}
    base = wire_select(spec)
    for condition in member_of(session, spec.table.c.uuid, uuids):
        rows = session.execute(base.where(condition)).all()
        for local_id, record in rows_to_wire(spec, rows):
            out[record["uuid"]] = (local_id, record)
    return out


def ids_for_uuids(session: Session, table_name: str, uuids: Iterable[str]) -> dict[str, int]:
    """``uuid → id`` of the local rows of a table."""
    table = Base.metadata.tables[table_name]
    wanted = sorted(set(uuids))
    out: dict[str, int] = {}
    for condition in member_of(session, table.c.uuid, wanted):
        out.update(session.execute(select(table.c.uuid, table.c.id).where(condition)).all())
    return out


def dumps_line(record: dict) -> str:
    return _COMPACT.encode(record)
