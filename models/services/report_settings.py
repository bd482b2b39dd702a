"""Per-office report settings: the signature block (Elaboró / Revisó / Vo. Bo.) printed under every report.

Stored as JSON in ``app_meta`` so it travels with the database (and its backups). Plain data only; no Qt.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from models.entities import AppMeta
from models.services import audit, users

SIGNATORIES_KEY = "report_signatories"
ROLES = ("Elaboró", "Revisó", "Vo. Bo.")
MAX_TEXT = 120


@dataclass(frozen=True)
class Signatory:
    """One box of the signature block: «Elaboró», «Revisó» or «Vo. Bo.», with a name and a post."""

    role: str
    name: str = ""
    post: str = ""


DEFAULT_SIGNATORIES = tuple(Signatory(role) for role in ROLES)


def get_signatories(session: Session) -> tuple[Signatory, ...]:
    """The office's three signatories (empty names and posts until someone sets them)."""
    meta = session.get(AppMeta, SIGNATORIES_KEY)
    if meta is None:
        return DEFAULT_SIGNATORIES
    stored = {item.get("role"): item for item in json.loads(meta.value)}
    return tuple(Signatory(role, stored.get(role, {}).get("name", ""), stored.get(role, {}).get("post", ""))
                 for role in ROLES)


def check_signatories(signatories: list[Signatory]) -> dict[str, str]:
    """Field errors keyed ``"<role>.name"`` / ``"<role>.post"``, in Spanish."""
    errors: dict[str, str] = {}
    for s in signatories:
        if s.role not in ROLES:
            errors[f"{s.role}.role"] = f"Firma desconocida: {s.role!r} (use {', '.join(ROLES)})."
        for key, value in (("name", s.name), ("post", s.post)):
            if len(value.strip()) > MAX_TEXT:
                label = "El nombre" if key == "name" else "El cargo"
                errors[f"{s.role}.{key}"] = f"{label} de «{s.role}» excede {MAX_TEXT} caracteres."
    return errors


def set_signatories(session: Session, signatories: list[Signatory], user: str) -> tuple[Signatory, ...]:
    """Replace the signature block (audited); raises ValueError with every field error joined."""
    users.require(session, user, users.SETTINGS)
    errors = check_signatories(signatories)
    if errors:
        raise ValueError(" ".join(errors.values()))
    before = get_signatories(session)
    cleaned = [Signatory(s.role, " ".join(s.name.split()), " ".join(s.post.split())) for s in signatories]
    value = json.dumps([asdict(s) for s in cleaned], ensure_ascii=False)
    meta = session.get(AppMeta, SIGNATORIES_KEY)
    if meta is None:
        session.add(AppMeta(key=SIGNATORIES_KEY, value=value))
    else:
        meta.value = value
    session.flush()
    after = get_signatories(session)
    audit.record(session, user, "update", "report_signatories", None,
                 {"signatories": [asdict(s) for s in before]}, {"signatories": [asdict(s) for s in after]})
    return after
