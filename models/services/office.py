"""Which state this office is (or the national office), and the state catalogue."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import AppMeta, State

OFFICE_META_KEY = "office_state"
NATIONAL = "NACIONAL"


@dataclass(frozen=True)
class StateInfo:
    """A state as the UI and reports need it."""

    id: int
    inegi_code: str
    name: str
    short_name: str
    clues_prefix: str
    adhered: bool
    weekend_block: int | None


@dataclass(frozen=True)
class Office:
    """The office this database belongs to: one state, or national (``state`` is None)."""

    state: StateInfo | None

    @property
    def is_national(self) -> bool:
        return self.state is None

    @property
    def label(self) -> str:
        if self.state is None:
            return "Oficina nacional (todas las entidades)"
        return f"Coordinación Estatal {self.state.short_name}"


def _info(state: State) -> StateInfo:
    block = state.weekend_block.number if state.weekend_block else None
    return StateInfo(state.id, state.inegi_code, state.name, state.short_name, state.clues_prefix, state.adhered, block)


def list_states(session: Session, adhered_only: bool = False) -> list[StateInfo]:
    """States by INEGI code."""
    query = select(State).where(State.deleted_at.is_(None)).order_by(State.inegi_code)
    if adhered_only:
        query = query.where(State.adhered.is_(True))
    return [_info(s) for s in session.scalars(query)]


def find_state(session: Session, key: str) -> StateInfo | None:
    """A state by INEGI code ("2" or "02"), CLUES prefix ("BC") or name, ignoring case."""
    key = key.strip()
    if key.isdigit():
        state = session.scalars(select(State).where(State.inegi_code == key.zfill(2))).one_or_none()
    else:
        state = session.scalars(select(State).where(State.clues_prefix == key.upper())).one_or_none()
        if state is None:
            from models.text import fold

            wanted = fold(key)
            state = next((s for s in session.scalars(select(State)) if wanted in (fold(s.name), fold(s.short_name))), None)
    return _info(state) if state else None


def get_office(session: Session) -> Office | None:
    """The configured office, or None before the first start has chosen one."""
    meta = session.get(AppMeta, OFFICE_META_KEY)
    if meta is None:
        return None
    if meta.value == NATIONAL:
        return Office(None)
    state = session.scalars(select(State).where(State.inegi_code == meta.value)).one()
    return Office(_info(state))


def set_office(session: Session, inegi_code: str | None) -> Office:
    """Set this database's office: a state's INEGI code, or None for the national office."""
    value = NATIONAL if inegi_code is None else inegi_code
    if inegi_code is not None and session.scalars(select(State).where(State.inegi_code == inegi_code)).one_or_none() is None:
        raise ValueError(f"Entidad desconocida: {inegi_code}")
    meta = session.get(AppMeta, OFFICE_META_KEY)
    if meta is None:
        session.add(AppMeta(key=OFFICE_META_KEY, value=value))
    else:
        meta.value = value
    session.flush()
    return get_office(session)  # type: ignore[return-value]
