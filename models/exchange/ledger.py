"""This office's identity and the exchange bookkeeping: sequences, acknowledgements, per-peer record state."""
from __future__ import annotations

import uuid as uuid_mod
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from models.entities import AppMeta, ExchangeConflict, ExchangePackage, ExchangeSync, State
from models.entities.exchange import ACK, OPEN, PACKAGE, RECEIVED, SENT
from models.exchange.package import E_NO_OFFICE, NATIONAL, PackageError
from models.exchange.wire import insert_rows, member_of
from models.services import office as office_svc

OFFICE_ID_KEY = "office_id"


def office_id(session: Session, *, create: bool = True) -> str | None:
    """This database's stable office id (a uuid in ``app_meta``), created the first time it is needed."""
    meta = session.get(AppMeta, OFFICE_ID_KEY)
    if meta is not None:
        return meta.value
    if not create:
        return None
    value = str(uuid_mod.uuid4())
    session.add(AppMeta(key=OFFICE_ID_KEY, value=value))
    session.flush()
    return value


def current_office(session: Session) -> office_svc.Office:
    """The configured office, or PackageError when none has been chosen yet."""
    current = office_svc.get_office(session)
    if current is None:
        raise PackageError(E_NO_OFFICE, "Configure primero qué oficina es esta base de datos (una entidad o la "
                                        "oficina nacional) con «coordinacion init --state …» o «--national».")
    return current


def office_code(current: office_svc.Office) -> str:
    return NATIONAL if current.is_national else current.state.inegi_code  # type: ignore[union-attr]


def office_label(session: Session, code: str) -> str:
    """«la oficina nacional» or «la Coordinación Estatal Baja California»."""
    if code == NATIONAL:
        return "la oficina nacional"
    state = session.scalars(select(State).where(State.inegi_code == code)).one_or_none()
    return f"la Coordinación Estatal {state.short_name}" if state else f"la entidad con clave {code}"


def state_id_of(session: Session, code: str) -> int | None:
    return session.scalars(select(State.id).where(State.inegi_code == code)).one_or_none()


# ------------------------------------------------------------------------------------------------ sequences

def next_sequence(session: Session, target: str) -> int:
    """The next package number for a target office (each target has its own series, starting at 1)."""
    last = session.scalar(select(func.max(ExchangePackage.sequence)).where(
        ExchangePackage.direction == SENT, ExchangePackage.kind == PACKAGE, ExchangePackage.target_office == target))
    return (last or 0) + 1


def last_acknowledged(session: Session, target: str) -> int:
    """The highest package number the target office has acknowledged (0 if none)."""
    last = session.scalar(select(func.max(ExchangePackage.sequence)).where(
        ExchangePackage.direction == SENT, ExchangePackage.kind == PACKAGE, ExchangePackage.target_office == target,
        ExchangePackage.acknowledged_at.is_not(None)))
    return last or 0


def applied_sequences(session: Session, source_office_id: str) -> set[int]:
    """Package numbers already applied from one source office (installation)."""
    return set(session.scalars(select(ExchangePackage.sequence).where(
        ExchangePackage.direction == RECEIVED, ExchangePackage.kind == PACKAGE,
        ExchangePackage.source_office_id == source_office_id)))


def already_received(session: Session, package_uuid: str) -> bool:
    return session.scalar(select(func.count()).select_from(ExchangePackage).where(
        ExchangePackage.direction == RECEIVED, ExchangePackage.package_uuid == package_uuid)) > 0


def missing_sequences(applied: set[int]) -> list[int]:
    """Numbers below the highest applied one that never arrived."""
    if not applied:
        return []
    return [n for n in range(1, max(applied) + 1) if n not in applied]


# ------------------------------------------------------------------------------------------------ sync state

@dataclass
class SyncState:
    """What is known about one record at one peer (see ``ExchangeSync``)."""

    recv_version: int | None = None
    common_hash: str | None = None
    common_version: int | None = None
    known_hash: str | None = None
    known_version: int | None = None


_SYNC_FIELDS = ("recv_version", "common_hash", "common_version", "known_hash", "known_version")


def _sync_columns():
    s = ExchangeSync
    return [s.record_uuid, s.recv_version, s.common_hash, s.common_version, s.known_hash, s.known_version]


def load_sync(session: Session, peer: str, uuids: list[str]) -> dict[str, SyncState]:
    out: dict[str, SyncState] = {}
    s = ExchangeSync
    for condition in member_of(session, s.record_uuid, uuids):
        for row in session.execute(select(*_sync_columns()).where(s.peer == peer, condition)):
            out[row[0]] = SyncState(*row[1:])
    return out


def load_sync_table(session: Session, peer: str, table_name: str) -> dict[str, SyncState]:
    s = ExchangeSync
    return {row[0]: SyncState(*row[1:]) for row in session.execute(
        select(*_sync_columns()).where(s.peer == peer, s.table_name == table_name))}


def uuids_with_sync(session: Session, uuids: list[str]) -> set[str]:
    """Which of these records have ever been exchanged with any office."""
    out: set[str] = set()
    for condition in member_of(session, ExchangeSync.record_uuid, uuids):
        out.update(session.scalars(select(ExchangeSync.record_uuid).where(condition)))
    return out


def save_sync(session: Session, peer: str, rows: dict[str, tuple[str, SyncState]], existing: set[str]) -> None:
    """Write sync states: ``rows`` maps uuid → (table name, state); ``existing`` are the uuids already stored."""
    t = ExchangeSync.__table__
    new = [{"peer": peer, "record_uuid": u, "table_name": table, **{f: getattr(st, f) for f in _SYNC_FIELDS}}
           for u, (table, st) in rows.items() if u not in existing]
    old = [{"k_peer": peer, "k_uuid": u, **{f"p_{f}": getattr(st, f) for f in _SYNC_FIELDS}}
           for u, (table, st) in rows.items() if u in existing]
    if new:
        insert_rows(session, t, new)
    if old:
        stmt = update(t).where(t.c.peer == bindparam("k_peer"), t.c.record_uuid == bindparam("k_uuid")).values(
            {f: bindparam(f"p_{f}") for f in _SYNC_FIELDS})
        session.connection().execute(stmt, old)


def forget_known(session: Session, peer: str, uuids: list[str]) -> None:
    """The peer may now hold another version of these records (one is on its way): stop skipping them."""
    t = ExchangeSync.__table__
    for condition in member_of(session, t.c.record_uuid, uuids):
        session.execute(update(t).where(t.c.peer == peer, condition).values(
            known_hash=None, known_version=None))


def open_conflicts(session: Session, uuids: list[str] | None = None) -> dict[str, int]:
    """``record uuid → conflict id`` of the open conflicts (all, or among ``uuids``)."""
    c = ExchangeConflict
    query = select(c.record_uuid, c.id).where(c.status == OPEN)
    if uuids is None:
        return dict(session.execute(query).all())
    out: dict[str, int] = {}
    for condition in member_of(session, c.record_uuid, uuids):
        out.update(session.execute(query.where(condition)).all())
    return out


__all__ = ["ACK", "PACKAGE", "RECEIVED", "SENT", "NATIONAL"]
