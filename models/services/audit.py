"""Append-only audit trail, each entry chained to the previous one by a SHA-256 hash."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import AuditEntry

GENESIS_HASH = "0" * 64


def _json(values: dict | None) -> str | None:
    if values is None:
        return None
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def entry_digest(previous_hash: str, occurred_at: datetime, username: str, action: str, entity: str,
                 entity_uuid: str | None, before_json: str | None, after_json: str | None) -> str:
    """Hash of one entry's content and the previous entry's hash."""
    payload = json.dumps(
        [previous_hash, occurred_at.isoformat(), username, action, entity, entity_uuid, before_json, after_json],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(session: Session, username: str, action: str, entity: str, entity_uuid: str | None,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Append one audit entry in the caller's transaction."""
    previous = session.scalars(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    previous = previous or GENESIS_HASH
    occurred_at = utcnow()
    before_json, after_json = _json(before), _json(after)
    entry = AuditEntry(
        occurred_at=occurred_at,
        username=username,
        action=action,
        entity=entity,
        entity_uuid=entity_uuid,
        before_json=before_json,
        after_json=after_json,
        previous_hash=previous,
        entry_hash=entry_digest(previous, occurred_at, username, action, entity, entity_uuid, before_json, after_json),
    )
    session.add(entry)
    session.flush()
    return entry


def verify_chain(session: Session) -> list[int]:
    """Ids of entries whose hash or link does not match (an edited, inserted or deleted entry). Empty when intact."""
    bad: list[int] = []
    previous = GENESIS_HASH
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        expected = entry_digest(previous, entry.occurred_at, entry.username, entry.action, entry.entity,
                                entry.entity_uuid, entry.before_json, entry.after_json)
        if entry.previous_hash != previous or entry.entry_hash != expected:
            bad.append(entry.id)
        previous = entry.entry_hash
    return bad


# ------------------------------------------------------------------------------------------------ reading

SEARCH_LIMIT = 5000


@dataclass(frozen=True)
class AuditRow:
    """One audit entry as the audit page and the history panels show it (plain data)."""

    id: int
    occurred_at: datetime
    username: str
    action: str
    entity: str
    entity_uuid: str | None
    before: dict | None
    after: dict | None

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) of every field the entry mentions."""
        before, after = self.before or {}, self.after or {}
        return [(k, before.get(k), after.get(k)) for k in dict.fromkeys([*before, *after])]


def _row(entry: AuditEntry) -> AuditRow:
    return AuditRow(entry.id, entry.occurred_at, entry.username, entry.action, entry.entity, entry.entity_uuid,
                    json.loads(entry.before_json) if entry.before_json else None,
                    json.loads(entry.after_json) if entry.after_json else None)


def search(session: Session, *, username: str | None = None, start: datetime | None = None,
           end: datetime | None = None, text: str = "", entity_uuid: str | None = None,
           limit: int = SEARCH_LIMIT) -> tuple[list[AuditRow], bool]:
    """Entries newest first, filtered by user, time range [start, end), record uuid and free text (matched in
    the entity, the uuid and the before/after values, e.g. a CLUES). Returns (rows, truncated)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if username:
        query = query.where(AuditEntry.username == username)
    if start is not None:
        query = query.where(AuditEntry.occurred_at >= start)
    if end is not None:
        query = query.where(AuditEntry.occurred_at < end)
    if entity_uuid:
        query = query.where(AuditEntry.entity_uuid == entity_uuid)
    for word in text.split():
        like = f"%{word}%"
        query = query.where(AuditEntry.entity.ilike(like) | AuditEntry.entity_uuid.ilike(like)
                            | AuditEntry.before_json.ilike(like) | AuditEntry.after_json.ilike(like)
                            | AuditEntry.action.ilike(like) | AuditEntry.entity_uuid.in_(_records_of_clues(word)))
    entries = list(session.scalars(query.limit(limit + 1)))
    return [_row(e) for e in entries[:limit]], len(entries) > limit


def _records_of_clues(word: str):
    """Uuids of the establishment with this CLUES and of its authorisations (their entries name no CLUES)."""
    from sqlalchemy import union

    from models.entities import Authorisation, Establishment

    est = select(Establishment.id).where(Establishment.clues == word.upper()).scalar_subquery()
    return union(select(Establishment.uuid).where(Establishment.clues == word.upper()),
                 select(Authorisation.uuid).where(Authorisation.establishment_id == est))


def history(session: Session, entity_uuid: str) -> list[AuditRow]:
    """Every entry of one record, oldest first (the history panel of a record)."""
    query = select(AuditEntry).where(AuditEntry.entity_uuid == entity_uuid).order_by(AuditEntry.id)
    return [_row(e) for e in session.scalars(query)]


def usernames(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.username).distinct().order_by(AuditEntry.username)))
