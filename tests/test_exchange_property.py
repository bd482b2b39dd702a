"""Property-style test: two state offices and the national office edit at random, exchange packages and
acknowledgements in random order with duplicates and losses, resolve some conflicts, then settle.

At the end every record holds the same content in the state office and the national office unless it is an
open conflict, and every conflict is listed exactly once, holding the other office's current version.
"""
from __future__ import annotations

import json
import random
from datetime import date

import pytest
from sqlalchemy import select

from models import exchange as ex
from models.base import utcnow
from models.entities import Authorisation, AuthorisationType, Authority, Establishment, Institution, WeekendTarget
from models.enums import AuthorisationStatus
from models.exchange.tables import SPECS
from models.exchange.wire import record_hash
from tests.test_exchange_support import Office, add_establishment, state_id

STATES = {"02": "BC", "26": "SR"}


def _establishments(s, code: str, *, live_only: bool = False) -> list[Establishment]:
    query = select(Establishment).where(Establishment.state_id == state_id(s, code)).order_by(Establishment.id)
    if live_only:
        query = query.where(Establishment.deleted_at.is_(None))
    return list(s.scalars(query))


def _authorisations(s, code: str) -> list[Authorisation]:
    return list(s.scalars(select(Authorisation).join(Establishment, Authorisation.establishment_id == Establishment.id)
                          .where(Establishment.state_id == state_id(s, code)).order_by(Authorisation.id)))


class World:
    def __init__(self, tmp_path, rng: random.Random, backend: str = "sqlite"):
        self.rng = rng
        self.national = Office(tmp_path, "nacional", None, backend)
        self.states = {code: Office(tmp_path, f"estado-{code}", code, backend) for code in STATES}
        self.outbox: list[tuple[Office, Office, object]] = []  # (from, to, path): packages in transit
        self.serial = 0
        self.created_conflicts = self.resolved = self.rejected = 0
        self.customised: dict[str, set[str]] = {}  # catalogue rows a state changed for itself

    def office(self, code):
        return self.states[code]

    # ------------------------------------------------------------------ edits

    def _new_clues(self, code: str, at_national: bool) -> str:
        self.serial += 1
        return f"{STATES[code]}IMB{(500000 if at_national else 0) + self.serial:06d}"

    def edit(self, at: Office, code: str) -> None:
        rng = self.rng
        at_national = at is self.national
        with at.session() as s:
            ests = _establishments(s, code)
            roll = rng.random()
            if not ests or roll < 0.2:
                add_establishment(s, code, self._new_clues(code, at_national), f"Unidad {self.serial}",
                                  user=at.name)
            elif roll < 0.45:
                est = rng.choice(ests)
                est.name = f"{est.name.split(' /')[0]} / {at.name} {rng.randrange(1000)}"
                est.changed_by = at.name
            elif roll < 0.6:
                est = rng.choice(ests)
                est.notes = f"nota {rng.randrange(100)} de {at.name}"
                est.changed_by = at.name
            elif roll < 0.7:
                est = rng.choice(ests)
                est.deleted_at = None if est.deleted_at else utcnow()
                est.changed_by = at.name
            elif roll < 0.85:
                live = _establishments(s, code, live_only=True) or ests
                type_id = s.scalars(select(AuthorisationType.id).order_by(AuthorisationType.id)).first()
                s.add(Authorisation(establishment_id=rng.choice(live).id, type_id=type_id, changed_by=at.name,
                                    folio=f"F-{self.serial}-{rng.randrange(1000)}"))
            else:
                auths = _authorisations(s, code)
                if auths:
                    auth = rng.choice(auths)
                    auth.status = rng.choice(list(AuthorisationStatus))
                    auth.submitted_on = date(2024, 1, 1 + rng.randrange(28))
                    auth.changed_by = at.name

    def edit_catalogue(self, at: Office) -> None:
        rng = self.rng
        with at.session() as s:
            if at is self.national and rng.random() < 0.5:
                inst = rng.choice(list(s.scalars(select(Institution).order_by(Institution.id))))
                inst.name = f"{inst.name.split(' #')[0]} #{rng.randrange(100)}"
                inst.changed_by = at.name
            elif at is self.national:
                code = rng.choice(list(STATES))
                s.add(WeekendTarget(state_id=state_id(s, code), units_target=rng.randrange(50, 500),
                                    effective_from=date(2025, 1, 1 + self.serial % 28) if self.serial < 28 else
                                    date(2025, 2, 1 + self.serial % 28), source="Oficina nacional",
                                    changed_by=at.name))
                self.serial += 1
            else:  # a state's own customisation of a catalogue row: it stays local until the national office
                # changes that row too, which makes it a conflict at the state
                authority = rng.choice(list(s.scalars(select(Authority).order_by(Authority.id))))
                authority.name = f"{authority.name.split(' #')[0]} #{rng.randrange(100)}"
                authority.changed_by = at.name
                self.customised.setdefault(at.state, set()).add(authority.uuid)

    # ------------------------------------------------------------------ exchanges

    def export(self, sender: Office, receiver: Office) -> None:
        target = None if sender is not self.national else receiver.state
        self.outbox.append((sender, receiver, sender.export(target=target, all=self.rng.random() < 0.1)))

    def deliver(self) -> None:
        if not self.outbox:
            return
        index = self.rng.randrange(len(self.outbox))
        sender, receiver, path = self.outbox[index]
        if self.rng.random() < 0.6:  # sometimes it stays around and arrives again (a duplicate)
            self.outbox.pop(index)
        summary = receiver.import_(path)
        self.created_conflicts += summary.conflicts
        self.rejected += summary.rejected

    def ack(self, receiver: Office, sender: Office) -> None:
        try:
            receiver.ack_to(sender, **({"source": sender.state} if receiver is self.national else {}))
        except ex.PackageError as exc:  # nothing received from that sender yet
            assert exc.code == "ajeno", exc

    def resolve_some(self) -> None:
        for office in [self.national, *self.states.values()]:
            conflicts = office.conflicts()
            if conflicts and self.rng.random() < 0.5:
                conflict = self.rng.choice(conflicts)
                choice = self.rng.choice(["local", "incoming", {"name": "incoming"}])
                if isinstance(choice, dict) and "name" not in {f.name for f in conflict.fields}:
                    choice = "incoming"
                with office.session() as s:
                    ex.resolve_conflict(s, conflict.id, choice, "decide")
                self.resolved += 1
                if office is not self.national and choice != "incoming":
                    self.customised.setdefault(office.state, set()).add(conflict.record_uuid)

    def step(self) -> None:
        rng = self.rng
        code = rng.choice(list(STATES))
        state = self.states[code]
        roll = rng.random()
        if roll < 0.28:
            self.edit(state, code)
        elif roll < 0.43:
            self.edit(self.national, code)
        elif roll < 0.47:
            self.edit_catalogue(rng.choice([self.national, self.national, state]))
        elif roll < 0.60:
            self.export(state, self.national)
        elif roll < 0.68:
            self.export(self.national, state)
        elif roll < 0.88:
            self.deliver()
        elif roll < 0.95:
            if rng.random() < 0.5:
                self.ack(self.national, state)
            else:
                self.ack(state, self.national)
        else:
            self.resolve_some()

    def settle(self) -> None:
        """Everything in transit arrives; then full rounds of packages and acknowledgements."""
        while self.outbox:
            sender, receiver, path = self.outbox.pop()
            summary = receiver.import_(path)
            self.created_conflicts += summary.conflicts
            self.rejected += summary.rejected
        for _round in range(3):
            for code, state in self.states.items():
                summary = self.national.import_(state.export())
                self.rejected += summary.rejected
                self.created_conflicts += summary.conflicts
                self.ack(self.national, state)
                summary = state.import_(self.national.export(target=code))
                self.rejected += summary.rejected
                self.created_conflicts += summary.conflicts
                self.ack(state, self.national)


def _open_conflicts(office: Office) -> dict[str, ex.ConflictInfo]:
    conflicts = office.conflicts()
    uuids = [c.record_uuid for c in conflicts]
    assert len(uuids) == len(set(uuids)), "a conflict is listed more than once"
    return {c.record_uuid: c for c in conflicts}


def _check(world: World) -> None:
    national = world.national
    national_conflicts = _open_conflicts(national)
    for conflict in national_conflicts.values():
        assert SPECS[conflict.table].state_scoped  # catalogue conflicts are never kept at the national office
    for code, state in world.states.items():
        state_conflicts = _open_conflicts(state)
        for conflict in state_conflicts.values():
            assert not SPECS[conflict.table].state_scoped  # a state's records conflict only at the national office
        at_state, at_national = state.content(code, catalog=True), national.content(code, catalog=True)
        for table, spec in SPECS.items():
            left, right = at_state[table], at_national[table]
            assert set(left) == set(right), (code, table)
            for uuid in left:
                if left[uuid] == right[uuid]:
                    continue
                keeper = national_conflicts if spec.state_scoped else state_conflicts
                if not spec.state_scoped and uuid not in keeper:
                    assert uuid in world.customised.get(code, set()), (code, table, uuid)
                    continue
                assert uuid in keeper, (code, table, uuid)
                conflict = keeper[uuid]
                other = left if keeper is national_conflicts else right
                with (national if keeper is national_conflicts else state).session() as s:
                    from models.entities import ExchangeConflict

                    stored = s.get(ExchangeConflict, conflict.id)
                    assert record_hash(json.loads(stored.incoming_json)) == other[uuid]  # the other side's current


@pytest.mark.parametrize("seed", [2026, 8])
def test_random_edits_and_exchanges_converge(tmp_path, seed, backend):
    world = World(tmp_path, random.Random(seed), backend)
    for code in STATES:  # a first network in each state, already known to the national office
        for _ in range(4):
            world.edit(world.states[code], code)
    for _ in range(110):
        world.step()
    world.settle()
    _check(world)
    assert world.rejected == 0
    assert world.created_conflicts > 0  # the run did exercise conflicts
