"""Conflicts: a record changed here and at the other office since their last exchange.

Both versions are kept until a person keeps the local one, takes the incoming one, or merges them field by
field. The decision is written as a new version of the record (so it travels on the next package, based on
the incoming version, and the other office applies it without a new conflict) and is audited.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import ExchangeConflict
from models.entities.exchange import OPEN, RESOLVED
from models.exchange import ledger
from models.exchange.summary import label_of
from models.exchange.tables import SPECS
from models.exchange.wire import (
    WireError,
    content_hash,
    converter,
    dumps_line,
    ids_for_uuids,
    load_local,
    parse_timestamp,
    record_hash,
)
from models.paths import current_username
from models.services import audit, users

LOCAL = "local"
INCOMING = "incoming"
DELETED_FIELD = "deleted_at"


class ConflictError(ValueError):
    """A conflict cannot be resolved as asked (Spanish message)."""


@dataclass
class FieldDiff:
    """One field of a conflict, with both values as they travel (foreign keys as uuids)."""

    name: str
    local: object
    incoming: object

    @property
    def differs(self) -> bool:
        return self.local != self.incoming


@dataclass
class ConflictInfo:
    """A conflict as the list and the resolution dialog show it."""

    id: int
    table: str
    table_label: str
    record_uuid: str
    label: str
    peer: str
    peer_label: str
    detected_at: datetime
    updated_at: datetime
    local_version: int
    incoming_version: int
    local_changed_by: str
    incoming_changed_by: str
    status: str
    resolution: str | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    fields: list[FieldDiff] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.status == OPEN

    @property
    def differing(self) -> list[FieldDiff]:
        return [f for f in self.fields if f.differs]


def _fields(local: dict, incoming: dict) -> list[FieldDiff]:
    names = list(local["data"])
    out = [FieldDiff(n, local["data"].get(n), incoming["data"].get(n)) for n in names]
    out.append(FieldDiff(DELETED_FIELD, local.get(DELETED_FIELD), incoming.get(DELETED_FIELD)))
    return out


def _current_local(session: Session, conflict: ExchangeConflict) -> dict:
    spec = SPECS[conflict.table_name]
    found = load_local(session, spec, [conflict.record_uuid]).get(conflict.record_uuid)
    return found[1] if found else json.loads(conflict.local_json)


def _info(session: Session, conflict: ExchangeConflict, labels: dict[str, str]) -> ConflictInfo:
    spec = SPECS[conflict.table_name]
    incoming = json.loads(conflict.incoming_json)
    local = _current_local(session, conflict) if conflict.status == OPEN else json.loads(conflict.local_json)
    if conflict.peer not in labels:
        labels[conflict.peer] = ledger.office_label(session, conflict.peer)
    return ConflictInfo(
        id=conflict.id, table=conflict.table_name, table_label=spec.label, record_uuid=conflict.record_uuid,
        label=label_of(spec, local["data"], conflict.record_uuid), peer=conflict.peer,
        peer_label=labels[conflict.peer], detected_at=conflict.detected_at, updated_at=conflict.updated_at,
        local_version=local["version"], incoming_version=incoming["version"],
        local_changed_by=local.get("changed_by", ""), incoming_changed_by=incoming.get("changed_by", ""),
        status=conflict.status, resolution=conflict.resolution, resolved_by=conflict.resolved_by,
        resolved_at=conflict.resolved_at, fields=_fields(local, incoming))


def list_conflicts(session: Session, *, include_resolved: bool = False) -> list[ConflictInfo]:
    """Open conflicts (and the resolved ones with ``include_resolved``), oldest first."""
    query = select(ExchangeConflict).order_by(ExchangeConflict.id)
    if not include_resolved:
        query = query.where(ExchangeConflict.status == OPEN)
    labels: dict[str, str] = {}
    return [_info(session, c, labels) for c in session.scalars(query)]


def get_conflict(session: Session, conflict_id: int) -> ConflictInfo:
    conflict = session.get(ExchangeConflict, conflict_id)
    if conflict is None:
        raise ConflictError(f"No existe el conflicto {conflict_id}.")
    return _info(session, conflict, {})


def _merge(local: dict, incoming: dict, choice) -> tuple[dict, str]:
    """(resulting wire record content, resolution name) for a choice."""
    if choice == LOCAL:
        return local, LOCAL
    if choice == INCOMING:
        return incoming, INCOMING
    if not isinstance(choice, dict):
        raise ConflictError("Elija «local», «incoming» o una combinación campo por campo.")
    known = set(local["data"]) | {DELETED_FIELD}
    unknown = sorted(set(choice) - known)
    if unknown:
        raise ConflictError(f"Campos desconocidos en la combinación: {', '.join(unknown)}.")
    bad = sorted(k for k, v in choice.items() if v not in (LOCAL, INCOMING))
    if bad:
        raise ConflictError(f"Para cada campo elija «local» o «incoming» ({', '.join(bad)}).")
    data = {name: (incoming if choice.get(name) == INCOMING else local)["data"].get(name) for name in local["data"]}
    deleted = (incoming if choice.get(DELETED_FIELD) == INCOMING else local).get(DELETED_FIELD)
    return {"data": data, DELETED_FIELD: deleted}, "combinada"


def resolve_conflict(session: Session, conflict_id: int, choice, user: str | None = None) -> ConflictInfo:
    """Decide a conflict: ``"local"``, ``"incoming"`` or ``{field: "local" | "incoming"}`` (unlisted fields keep
    the local value). Writes the result as a new version, records the decision in the audit trail and closes
    the conflict. Raises ConflictError (Spanish) when it cannot. Never commits."""
    user = user or current_username()
    conflict = session.get(ExchangeConflict, conflict_id)
    if conflict is None:
        raise ConflictError(f"No existe el conflicto {conflict_id}.")
    if conflict.status != OPEN:
        raise ConflictError(f"El conflicto {conflict_id} ya se resolvió ({conflict.resolution}, {conflict.resolved_by}).")
    spec = SPECS[conflict.table_name]
    found = load_local(session, spec, [conflict.record_uuid]).get(conflict.record_uuid)
    if found is None:
        raise ConflictError("El registro del conflicto ya no existe en esta base de datos.")
    local_id, local = found
    incoming = json.loads(conflict.incoming_json)
    result, resolution = _merge(local, incoming, choice)
    state_id = None
    if "state_uuid" in local["data"]:
        state_id = ids_for_uuids(session, "states", [local["data"]["state_uuid"]]).get(local["data"]["state_uuid"])
    users.require(session, user, users.EDIT, state_id)
    values: dict = {}
    try:
        for column in spec.data_columns:
            fk = spec.foreign_keys.get(column.name)
            if fk is None:
                values[column.name] = converter(spec, column.name)(result["data"][column.name])
                continue
            ref = result["data"][fk.wire]
            if ref is None:
                values[column.name] = None
                continue
            found_id = ids_for_uuids(session, fk.parent, [ref]).get(ref)
            if found_id is None:
                raise ConflictError(f"La versión elegida hace referencia a un registro de «{SPECS[fk.parent].label}» "
                                    "que no existe en esta oficina; elija la otra versión para ese campo.")
            values[column.name] = found_id
        deleted_at = parse_timestamp(result.get(DELETED_FIELD), DELETED_FIELD)
    except WireError as exc:
        raise ConflictError(f"La versión elegida tiene un dato no válido: {exc}.") from None
    now = utcnow()
    version = max(local["version"], incoming["version"]) + 1
    table = spec.table
    savepoint = session.begin_nested()
    try:
        session.connection().execute(
            update(table).where(table.c.id == bindparam("k_id")).values(
                {**{c: bindparam(f"p_{c}") for c in values}, "version": bindparam("p_version"),
                 "updated_at": bindparam("p_updated_at"), "changed_by": bindparam("p_changed_by"),
                 "deleted_at": bindparam("p_deleted_at")}),
            [{"k_id": local_id, **{f"p_{c}": v for c, v in values.items()}, "p_version": version,
              "p_updated_at": now, "p_changed_by": user[:80], "p_deleted_at": deleted_at}])
    except IntegrityError as exc:
        savepoint.rollback()
        raise ConflictError("La versión elegida repite una clave que ya usa otro registro de esta oficina "
                            f"({exc.orig}); elija otra combinación.") from None
    savepoint.commit()
    incoming_hash = record_hash(incoming)
    state = ledger.load_sync(session, conflict.peer, [conflict.record_uuid]).get(conflict.record_uuid)
    recv = incoming["version"] if state is None or state.recv_version is None else max(state.recv_version,
                                                                                           incoming["version"])
    # The decision always travels (no known version), even when it equals what the other office holds: its new
    # version makes any older package of this office still on its way recognisable as stale there.
    same_as_incoming = content_hash(result["data"], result.get(DELETED_FIELD)) == incoming_hash
    ledger.save_sync(session, conflict.peer,
                     {conflict.record_uuid: (spec.name, ledger.SyncState(
                         recv_version=recv, common_hash=incoming_hash,
                         common_version=version if same_as_incoming else None))},
                     {conflict.record_uuid} if state is not None else set())
    result_record = dict(local, version=version, changed_by=user, data=result["data"],
                         deleted_at=result.get(DELETED_FIELD), updated_at=now.isoformat())
    conflict.status = RESOLVED
    conflict.resolution = resolution
    conflict.resolved_by = user[:80]
    conflict.resolved_at = now
    conflict.updated_at = now
    conflict.local_json = dumps_line(local)
    conflict.result_json = dumps_line(result_record)
    session.flush()
    before = {"local": local["data"], "entrante": incoming["data"], "local_eliminado": local.get(DELETED_FIELD),
              "entrante_eliminado": incoming.get(DELETED_FIELD)}
    after = {"conflicto": conflict.id, "eleccion": choice if isinstance(choice, str) else dict(choice),
             "resultado": result["data"], "eliminado": result.get(DELETED_FIELD), "version": version,
             "origen": conflict.peer}
    audit.record(session, user, "resolver_conflicto", f"intercambio:{spec.name}", conflict.record_uuid, before, after)
    session.expire_all()
    return _info(session, conflict, {})
