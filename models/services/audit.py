"""Append-only audit trail, each entry chained to the previous one by a SHA-256 hash."""
from __future__ import annotations

import hashlib
import json
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
