"""Planning and writing the records of a verified package (see ``importer`` for the rules, FORMAT.md §6).

Every record is planned first (references, state, unique keys, the decision), without writing; then all
writes happen in table order: adoptions, inserts, updates, late references, per-peer sync state,
conflicts, the ledger row and one audit entry.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from models.base import SYSTEM_USER, utcnow
from models.entities import ExchangeConflict, ExchangePackage, State
from models.entities.exchange import OPEN, PACKAGE, RECEIVED, RESOLVED
from models.exchange import ledger
from models.exchange.package import E_CORRUPT, LoadedPackage, PackageError
from models.exchange.summary import (
    OUTCOME_CONFLICT,
    OUTCOME_DEFERRED,
    OUTCOME_REJECTED,
    ImportContext,
    ImportSummary,
    RecordNote,
    TableCounts,
    label_of,
)
from models.exchange.tables import CATALOG, DOCUMENTS_TABLE, ORDER, SPECS, ForeignKey, TableSpec
from models.exchange.wire import (
    WireError,
    WireRow,
    chunks,
    converter,
    dumps_line,
    ids_for_uuids,
    insert_rows,
    load_local_rows,
    member_of,
    parse_timestamp,
    record_hash,
    scope_column,
    to_json_value,
)
from models.services import audit

INSERT, UPDATE, UNCHANGED, STALE, CONFLICT, DEFERRED, REJECT = (
    "insert", "update", "unchanged", "stale", "conflict", "deferred", "reject")
MAX_LOGGED_NOTES = 1000


class _Plan:
    """The decision for one incoming record."""

    __slots__ = ("spec", "rec", "uuid", "h_in", "values", "local_id", "local", "adopt_from", "action", "message",
                 "late", "deps", "dependents", "unique_problem", "conflict_id", "stamps", "new_version")

    def __init__(self, spec: TableSpec, rec: dict):
        self.spec = spec
        self.rec = rec
        self.uuid: str = rec["uuid"]
        self.h_in = ""
        self.values: dict = {}
        self.local_id: int | None = None
        self.local: WireRow | None = None
        self.stamps: tuple = ()
        self.new_version = 0
        self.adopt_from: str | None = None
        self.action = ""
        self.message = ""
        self.late: list[ForeignKey] = []
        self.deps: list[_Plan] = []
        self.dependents: list[_Plan] = []
        self.unique_problem = ""
        self.conflict_id: int | None = None

    @property
    def creates(self) -> bool:
        """True while the record's uuid only exists here once this package is written (insert or adoption)."""
        return self.action != REJECT and (self.local is None or self.adopt_from is not None)


class _MissingParent(Exception):
    def __init__(self, fk: ForeignKey, value: str):
        self.fk, self.value = fk, value


_COLUMN_PLANS: dict[str, list[tuple]] = {}


def _column_plan(spec: TableSpec) -> list[tuple]:
    """(column, wire name, foreign key or None, JSON → value converter or None) per data column."""
    if spec.name not in _COLUMN_PLANS:
        _COLUMN_PLANS[spec.name] = [
            (c, spec.wire_name(c.name), spec.foreign_keys.get(c.name),
             None if c.name in spec.foreign_keys else converter(spec, c.name)) for c in spec.data_columns]
    return _COLUMN_PLANS[spec.name]


def _default_json(column):
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return to_json_value(default.arg)
    return None


class Applier:
    """Plans and writes one package's records in the caller's savepoint."""

    def __init__(self, session: Session, pkg: LoadedPackage, ctx: ImportContext, records: dict[str, list[dict]],
                 user: str, summary: ImportSummary, write_files: bool):
        self.s = session
        self.pkg = pkg
        self.ctx = ctx
        self.records = records
        self.user = user
        self.summary = summary
        self.write_files = write_files
        self.plans: dict[str, dict[str, _Plan]] = {}
        self.ids: dict[str, dict[str, int]] = {name: {} for name in SPECS}  # uuid → local id of existing rows
        self.states: dict[str, int] = dict(session.execute(select(State.uuid, State.id)).all())
        self.plan_state: dict[str, dict[str, int]] = {name: {} for name in SPECS}
        self.local_state: dict[str, dict[str, int]] = {name: {} for name in SPECS}
        self.sync: dict[str, dict[str, ledger.SyncState]] = {}
        self.open: dict[str, int] = {}
        self.adopted = 0

    # ------------------------------------------------------------------------------------------ planning

    def run(self) -> None:
        for name in ORDER:
            if self.records.get(name):
                self._plan_table(SPECS[name], self.records[name])
        self._check_late()
        self._count()
        self._write()

    def _reject(self, plan: _Plan, message: str) -> None:
        if plan.action == REJECT:
            return
        plan.action = REJECT
        plan.message = message
        stack = list(plan.dependents)
        while stack:
            child = stack.pop()
            if child.action != REJECT:
                child.action = REJECT
                child.message = (f"depende de un registro de «{plan.spec.label}» que no se pudo aplicar "
                                 f"({label_of(plan.spec, plan.rec['data'], plan.uuid)})")
                stack.extend(child.dependents)

    def _plan_table(self, spec: TableSpec, recs: list[dict]) -> None:
        uuids = [r["uuid"] for r in recs]
        if len(set(uuids)) != len(uuids):
            raise PackageError(E_CORRUPT, f"El paquete repite registros en la tabla «{spec.name}». No se aplicó nada.")
        plans = {u: _Plan(spec, r) for u, r in zip(uuids, recs)}
        self.plans[spec.name] = plans
        if self.ctx.local_national and spec.flow == CATALOG:
            for plan in plans.values():
                plan.action = REJECT
                plan.message = "los catálogos sólo se actualizan desde la oficina nacional"
            return
        local = load_local_rows(self.s, spec, uuids)
        self.sync[spec.name] = ledger.load_sync(self.s, self.ctx.peer, uuids)
        self.open.update(ledger.open_conflicts(self.s, uuids))
        self._lookup_parents(spec, [r["data"] for r in recs] + [row.data for row in local.values()], late=False)
        columns = _column_plan(spec)
        for plan in plans.values():
            found = local.get(plan.uuid)
            if found is not None:
                plan.local_id, plan.local = found.id, found
            self._prepare(plan, columns)
        self._check_unique(spec, [p for p in plans.values() if p.action != REJECT])
        for plan in plans.values():
            if plan.action != REJECT:
                self._decide(plan)
            if plan.action != REJECT and spec.state_scoped:
                self.plan_state[spec.name][plan.uuid] = self.ctx.scope_state_id

    def _lookup_parents(self, spec: TableSpec, datas: list[dict], *, late: bool) -> None:
        """Find the local ids of referenced parents, and the states of scope parents, in a few queries."""
        for fk in spec.foreign_keys.values():
            if fk.late != late:
                continue
            wanted = {d.get(fk.wire) for d in datas} - {None} - set(self.ids[fk.parent])
            wanted = {u for u in wanted if isinstance(u, str)}
            if wanted:
                self.ids[fk.parent].update(ids_for_uuids(self.s, fk.parent, wanted))
        if late or not spec.scope:
            return
        column, parent_name = spec.scope[0]
        wire = spec.wire_name(column)
        wanted = {d.get(wire) for d in datas} - {None} - set(self.plan_state[parent_name]) \
            - set(self.local_state[parent_name])
        wanted = sorted(u for u in wanted if isinstance(u, str))
        if not wanted:
            return
        pspec = SPECS[parent_name]
        query, state_col = scope_column(pspec, select(pspec.table.c.uuid))
        query = query.add_columns(state_col)
        for condition in member_of(self.s, pspec.table.c.uuid, wanted):
            self.local_state[parent_name].update(self.s.execute(query.where(condition)).all())

    def _state_of(self, spec: TableSpec, data: dict) -> int | None:
        if not spec.scope:
            return self.states.get(data.get("state_uuid"))
        column, parent_name = spec.scope[0]
        parent = data.get(spec.wire_name(column))
        if parent in self.plan_state[parent_name]:
            return self.plan_state[parent_name][parent]
        return self.local_state[parent_name].get(parent)

    def _ref(self, fk: ForeignKey, value: str) -> tuple[bool, _Plan | None]:
        """(resolvable, the package record it depends on when it only exists through this package)."""
        plan = self.plans.get(fk.parent, {}).get(value)
        if plan is not None and plan.creates:
            return True, plan
        return value in self.ids[fk.parent], None

    def _prepare(self, plan: _Plan, columns: list[tuple]) -> None:
        """Complete, convert and check one record's values, references and state."""
        spec, rec = plan.spec, plan.rec
        data = rec["data"]
        if not data.keys() <= spec.wire_field_set:
            unknown = sorted(set(data) - spec.wire_field_set)
            return self._reject(plan, f"trae campos que esta versión no conoce ({', '.join(unknown)})")
        if len(data) != len(spec.wire_fields):
            for column, wire, _fk, _conv in columns:
                if wire not in data:  # a field the sender's version does not have: keep ours, or the default
                    data[wire] = plan.local.data[wire] if plan.local else _default_json(column)
        try:
            if not isinstance(rec.get("version"), int) or rec["version"] < 1:
                raise WireError("la versión del registro no es válida")
            for name in ("created_at", "updated_at"):
                if rec.get(name) is None:
                    raise WireError(f"falta «{name}»")
            plan.stamps = (parse_timestamp(rec["created_at"], "created_at"),
                           parse_timestamp(rec["updated_at"], "updated_at"),
                           parse_timestamp(rec.get("deleted_at"), "deleted_at"))
            if not isinstance(rec.get("changed_by"), str):
                raise WireError("falta quién hizo el cambio («changed_by»)")
            if rec.get("base") is not None and not isinstance(rec["base"], str):
                raise WireError("la versión base no es válida")
            if rec.get("base_version") is not None and type(rec["base_version"]) is not int:
                raise WireError("la versión base no es válida")
            values = plan.values
            for column, wire, fk, conv in columns:
                value = data[wire]
                if fk is not None:
                    if value is None:
                        if not column.nullable:
                            raise WireError(f"el campo «{wire}» es obligatorio y llegó vacío")
                        continue
                    if not isinstance(value, str):
                        raise WireError(f"el campo «{wire}» debe ser un uuid")
                    if fk.late:
                        plan.late.append(fk)
                        continue
                    ok, parent = self._ref(fk, value)
                    if not ok:
                        raise _MissingParent(fk, value)
                    if parent is not None:
                        plan.deps.append(parent)
                        parent.dependents.append(plan)
                    continue
                if type(value) is conv.plain:  # noqa: E721 - exact type: bool is not an int here
                    values[column.name] = value
                else:
                    values[column.name] = conv(value)
        except WireError as exc:
            return self._reject(plan, f"dato no válido: {exc}")
        except _MissingParent as exc:
            return self._reject(plan, f"hace referencia a un registro de «{SPECS[exc.fk.parent].label}» que no "
                                      f"existe en esta oficina ({exc.value})")
        plan.h_in = record_hash(rec)
        if spec.state_scoped:
            if self._state_of(spec, data) != self.ctx.scope_state_id:
                return self._reject(plan, f"pertenece a otra entidad, no a la de {self.ctx.peer_label}")
            if plan.local is not None and self._state_of(spec, plan.local.data) != self.ctx.scope_state_id:
                return self._reject(plan, "en esta oficina el registro pertenece a otra entidad")
        if spec.name == DOCUMENTS_TABLE:
            self._check_document(plan)

    def _check_document(self, plan: _Plan) -> None:
        from models.services.documents import DocumentError, document_path

        data = plan.rec["data"]
        try:
            name = document_path(SimpleNamespace(stored_name=data["stored_name"])).name
        except DocumentError as exc:
            return self._reject(plan, str(exc))
        entry = self.pkg.documents.get(name)
        if entry is not None and entry.sha256 != data["sha256"]:
            return self._reject(plan, f"el archivo «{data['original_name']}» no corresponde al registro (SHA-256 "
                                      "distinto)")

    def _check_unique(self, spec: TableSpec, plans: list[_Plan]) -> None:
        """Unique keys: a clash with another local record refuses the record, or, for a record created
        separately here with the same natural key and never exchanged, identifies the two (adoption)."""
        from sqlalchemy import UniqueConstraint

        table = spec.table
        constraints = [tuple(c.name for c in k.columns) for k in table.constraints
                       if isinstance(k, UniqueConstraint) and [c.name for c in k.columns] != ["uuid"]]
        constraints.sort(key=lambda cols: cols != spec.natural_key)  # the natural key first (adoption)
        in_package = {p.uuid for p in plans}
        synced: set[str] | None = None
        for cols in constraints:
            keyed: dict[tuple, list[_Plan]] = {}
            seen: dict[tuple, _Plan] = {}
            for plan in plans:
                if plan.action == REJECT:
                    continue
                wire_key = tuple(plan.rec["data"][spec.wire_name(c)] for c in cols)
                if any(v is None for v in wire_key):
                    continue
                if wire_key in seen:
                    self._reject(plan, "repite la clave de otro registro del mismo paquete")
                    continue
                seen[wire_key] = plan
                key = []
                for c in cols:
                    if c in spec.foreign_keys:
                        local_id = self.ids[spec.foreign_keys[c].parent].get(plan.rec["data"][spec.wire_name(c)])
                        if local_id is None:
                            break
                        key.append(local_id)
                    else:
                        key.append(plan.values[c])
                else:
                    keyed.setdefault(tuple(key), []).append(plan)
            if not keyed:
                continue
            found: dict[tuple, str] = {}
            keys = list(keyed)
            columns = [table.c[c] for c in cols]
            for part in chunks(keys, 300):
                if len(cols) == 1:
                    condition = columns[0].in_([k[0] for k in part])
                else:
                    condition = tuple_(*columns).in_(part)
                for row in self.s.execute(select(table.c.uuid, *columns).where(condition)):
                    found[tuple(row[1:])] = row[0]
            for key, clashing in keyed.items():
                other = found.get(key)
                if other is None:
                    continue
                for plan in clashing:
                    if other in (plan.uuid, plan.adopt_from):
                        continue
                    fields = ", ".join(f"{c} = {plan.rec['data'][spec.wire_name(c)]}" for c in cols)
                    message = f"ya existe en esta oficina otro registro con la misma clave ({fields})"
                    if plan.local is None and cols == spec.natural_key and other not in in_package:
                        if synced is None:
                            synced = ledger.uuids_with_sync(self.s, [found[k] for k in found]) \
                                | set(ledger.open_conflicts(self.s, list(found.values())))
                        if other not in synced:
                            self._adopt(plan, other)
                            if plan.action != REJECT:
                                continue
                    if plan.local is None:
                        self._reject(plan, message)
                    else:
                        plan.unique_problem = message

    def _adopt(self, plan: _Plan, other: str) -> None:
        local = load_local_rows(self.s, plan.spec, [other])[other]
        plan.local_id, plan.local = local.id, local
        plan.adopt_from = other
        if plan.spec.state_scoped:
            self._lookup_parents(plan.spec, [plan.local.data], late=False)
            if self._state_of(plan.spec, plan.local.data) != self.ctx.scope_state_id:
                plan.local_id, plan.local, plan.adopt_from = None, None, None
                self._reject(plan, "en esta oficina un registro de otra entidad usa la misma clave")
                return
        self.adopted += 1

    def _decide(self, plan: _Plan) -> None:
        spec = plan.spec
        if plan.local is None:
            plan.action = INSERT
        else:
            sync = self.sync[spec.name].get(plan.uuid) if plan.adopt_from is None else None
            h_loc = plan.local.hash
            base = plan.rec.get("base")
            # an echo: the sender has not touched the record since it last agreed with this office
            echo = base is not None and plan.h_in == base and plan.rec.get("base_version") == plan.rec["version"]
            if sync is not None and sync.recv_version is not None and plan.rec["version"] <= sync.recv_version:
                plan.action = STALE  # a repeated or late copy: this version (or a newer one) arrived before
            elif echo:
                # nothing new from the sender; this office's own change, if any, travels the other way. Not
                # "unchanged" even when equal: the copy may predate what this office sent since.
                plan.action = STALE
            elif plan.h_in == h_loc:
                plan.action = UNCHANGED
            elif plan.uuid in self.open:
                plan.action = CONFLICT
                plan.conflict_id = self.open[plan.uuid]
            elif base is not None and base == h_loc:
                plan.action = UPDATE  # the sender saw this office's current version and changed it since
            elif (sync is not None and sync.common_hash == h_loc and sync.common_version == plan.local.version) or (
                    spec.flow == CATALOG and sync is None and plan.local.meta["changed_by"] == SYSTEM_USER):
                # untouched here since the offices last agreed (by version: changed and changed back is a change)
                plan.action = UPDATE
            elif self.ctx.local_national or spec.flow == CATALOG:
                plan.action = CONFLICT
            else:
                plan.action = DEFERRED
        if plan.action in (INSERT, UPDATE) and plan.unique_problem:
            self._reject(plan, plan.unique_problem)

    def _check_late(self) -> None:
        """Late references (to tables later in the order or to the same table), now that every table is planned."""
        for name in ORDER:
            plans = self.plans.get(name)
            if not plans:
                continue
            spec = SPECS[name]
            if not any(fk.late for fk in spec.foreign_keys.values()):
                continue
            self._lookup_parents(spec, [p.rec["data"] for p in plans.values()], late=True)
            for plan in plans.values():
                if plan.action not in (INSERT, UPDATE):
                    continue
                for fk in plan.late:
                    value = plan.rec["data"][fk.wire]
                    ok, parent = self._ref(fk, value)
                    if not ok:
                        self._reject(plan, f"hace referencia a un registro de «{SPECS[fk.parent].label}» que no "
                                           f"existe en esta oficina ({value})")
                        break
                    if parent is not None:
                        parent.dependents.append(plan)

    def _count(self) -> None:
        summary = self.summary
        for name, plans in self.plans.items():
            spec = SPECS[name]
            counts = summary.tables.setdefault(name, TableCounts())
            for plan in plans.values():
                if plan.action in (INSERT, UPDATE):
                    counts.applied += 1
                elif plan.action in (UNCHANGED, STALE):
                    counts.unchanged += 1
                else:
                    label = label_of(spec, plan.rec["data"], plan.uuid)
                    if plan.action == CONFLICT:
                        counts.conflicts += 1
                        message = (f"cambió aquí y en {self.ctx.peer_label} desde el último intercambio; se guardaron "
                                   "las dos versiones como conflicto para que alguien decida")
                        outcome = OUTCOME_CONFLICT
                    elif plan.action == DEFERRED:
                        counts.deferred += 1
                        message = ("cambió aquí y en la oficina nacional; se conserva la versión de esta oficina y "
                                   "la oficina nacional decidirá cuando la reciba")
                        outcome = OUTCOME_DEFERRED
                    else:
                        counts.rejected += 1
                        message = plan.message
                        outcome = OUTCOME_REJECTED
                    summary.notes.append(RecordNote(name, spec.label, plan.uuid, label, outcome, message))
            summary.applied += counts.applied
            summary.unchanged += counts.unchanged
            summary.conflicts += counts.conflicts
            summary.deferred += counts.deferred
            summary.rejected += counts.rejected
        if self.adopted:
            summary.warnings.append(f"{self.adopted} registros creados por separado en esta oficina se identificaron "
                                    "con los del paquete por su clave (p. ej. la CLUES).")

    # ------------------------------------------------------------------------------------------ writing

    def _write(self) -> None:
        now = utcnow()
        conn = self.s.connection()
        if self.write_files:
            self._write_documents()
        for name in ORDER:
            plans = self.plans.get(name)
            if plans:
                self._write_table(SPECS[name], plans, conn)
        for name in ORDER:
            plans = self.plans.get(name)
            if plans:
                self._write_late(SPECS[name], plans, conn)
        for name, plans in self.plans.items():
            self._write_sync(SPECS[name], plans)
        self._write_conflicts(now)
        self._write_log(now)

    def _early_ids(self, plan: _Plan) -> dict:
        out = {}
        for fk in plan.spec.foreign_keys.values():
            if fk.late:
                continue
            value = plan.rec["data"][fk.wire]
            out[fk.column] = None if value is None else self.ids[fk.parent][value]
        return out

    @staticmethod
    def _meta(plan: _Plan) -> dict:
        return {"updated_at": plan.stamps[1], "changed_by": plan.rec["changed_by"][:80], "deleted_at": plan.stamps[2]}

    def _write_table(self, spec: TableSpec, plans: dict[str, _Plan], conn) -> None:
        table = spec.table
        adoptions = [{"k_id": p.local_id, "p_uuid": p.uuid} for p in plans.values()
                     if p.adopt_from is not None and p.action != REJECT]
        if adoptions:
            conn.execute(update(table).where(table.c.id == bindparam("k_id")).values(uuid=bindparam("p_uuid")),
                         adoptions)
            pairs = []
            for plan in plans.values():
                if plan.adopt_from is not None and plan.action != REJECT:
                    self.ids[spec.name][plan.uuid] = plan.local_id
                    pairs.append([plan.adopt_from, plan.uuid])
            audit.record(self.s, self.user, "identificar_registros", f"intercambio:{spec.name}", None, None,
                         {"origen": self.ctx.peer, "uuid_anterior_y_nuevo": pairs})
        inserts = []
        for plan in plans.values():
            if plan.action != INSERT:
                continue
            row = {"uuid": plan.uuid, "version": plan.rec["version"], "created_at": plan.stamps[0], **self._meta(plan),
                   **plan.values, **self._early_ids(plan)}
            for fk in plan.spec.foreign_keys.values():
                if fk.late:
                    row[fk.column] = None
            inserts.append(row)
        if inserts:
            insert_rows(self.s, table, inserts)
            self.ids[spec.name].update(ids_for_uuids(self.s, spec.name, [row["uuid"] for row in inserts]))
        updates = []
        for plan in plans.values():
            if plan.action != UPDATE:
                continue
            values = {**plan.values, **self._early_ids(plan), **self._meta(plan)}
            values["version"] = plan.new_version = max(plan.rec["version"], plan.local.version + 1)
            updates.append({"k_id": plan.local_id, **{f"p_{k}": v for k, v in values.items()}})
            self.ids[spec.name][plan.uuid] = plan.local_id
        if updates:
            columns = [k[2:] for k in updates[0] if k != "k_id"]
            stmt = update(table).where(table.c.id == bindparam("k_id")).values(
                {c: bindparam(f"p_{c}") for c in columns})
            conn.execute(stmt, updates)

    def _write_late(self, spec: TableSpec, plans: dict[str, _Plan], conn) -> None:
        late = [fk for fk in spec.foreign_keys.values() if fk.late]
        if not late:
            return
        rows = []
        for plan in plans.values():
            if plan.action not in (INSERT, UPDATE):
                continue
            row = {"k_id": self.ids[spec.name][plan.uuid]}
            for fk in late:
                value = plan.rec["data"][fk.wire]
                row[f"p_{fk.column}"] = None if value is None else self.ids[fk.parent][value]
            if plan.action == INSERT and all(v is None for k, v in row.items() if k != "k_id"):
                continue  # inserted with these keys empty already
            rows.append(row)
        if rows:
            table = spec.table
            stmt = update(table).where(table.c.id == bindparam("k_id")).values(
                {fk.column: bindparam(f"p_{fk.column}") for fk in late})
            conn.execute(stmt, rows)

    def _write_sync(self, spec: TableSpec, plans: dict[str, _Plan]) -> None:
        existing = self.sync.get(spec.name, {})
        rows: dict[str, tuple[str, ledger.SyncState]] = {}
        for plan in plans.values():
            if plan.action == REJECT:
                continue
            old = existing.get(plan.uuid) if plan.adopt_from is None else None
            state = ledger.SyncState(**vars(old)) if old else ledger.SyncState()
            version = plan.rec["version"]
            if plan.action == STALE and state.recv_version is not None and version <= state.recv_version:
                continue  # nothing learnt; an echo still raises the version seen, so older copies stay stale
            state.recv_version = version if state.recv_version is None else max(state.recv_version, version)
            if plan.action in (INSERT, UPDATE, UNCHANGED):
                local_version = {INSERT: version, UPDATE: plan.new_version}.get(plan.action) or plan.local.version
                state.common_hash = state.known_hash = plan.h_in
                state.common_version = state.known_version = local_version
            elif plan.action in (CONFLICT, DEFERRED):
                # the sender holds another version: this office's own must travel to it, even if it equals
                # something the sender had before
                state.known_hash, state.known_version = plan.h_in, None
            rows[plan.uuid] = (spec.name, state)
        if rows:
            present = {u for u in rows if u in existing}
            ledger.save_sync(self.s, self.ctx.peer, rows, present)

    def _write_conflicts(self, now) -> None:
        info = self.pkg.info
        table = ExchangeConflict.__table__
        new, changed = [], []
        closing = []
        for name, plans in self.plans.items():
            for plan in plans.values():
                if plan.action == CONFLICT:
                    incoming = dumps_line(plan.rec)
                    if plan.conflict_id is not None:
                        changed.append({"k_id": plan.conflict_id, "p_incoming_json": incoming,
                                        "p_incoming_version": plan.rec["version"], "p_updated_at": now,
                                        "p_package_sequence": info.sequence or 0})
                    else:
                        new.append({"table_name": name, "record_uuid": plan.uuid, "peer": self.ctx.peer,
                                    "source_office_id": info.source_office_id, "package_sequence": info.sequence or 0,
                                    "local_version": plan.local.version, "incoming_version": plan.rec["version"],
                                    "local_json": dumps_line(plan.local.record()), "incoming_json": incoming,
                                    "detected_at": now, "updated_at": now, "status": OPEN})
                elif plan.action == UNCHANGED and plan.uuid in self.open:
                    closing.append((name, plan))
        if new:
            self.s.execute(insert(table), new)
        if changed:
            self.s.connection().execute(update(table).where(table.c.id == bindparam("k_id")).values(
                incoming_json=bindparam("p_incoming_json"), incoming_version=bindparam("p_incoming_version"),
                updated_at=bindparam("p_updated_at"), package_sequence=bindparam("p_package_sequence")), changed)
        for name, plan in closing:
            conflict = self.s.get(ExchangeConflict, self.open[plan.uuid])
            conflict.status = RESOLVED
            conflict.resolution = "coinciden"
            conflict.resolved_by = SYSTEM_USER
            conflict.resolved_at = now
            conflict.result_json = dumps_line(plan.rec)
            conflict.updated_at = now
            self.s.flush()
            audit.record(self.s, SYSTEM_USER, "cerrar_conflicto", f"intercambio:{name}", plan.uuid, None,
                         {"conflicto": conflict.id, "motivo": f"la versión de {self.ctx.peer_label} ya coincide"})

    def _write_log(self, now) -> None:
        info = self.pkg.info
        summary = self.summary
        # what this office does not hold as sent (conflicts, waiting, rejected, and old copies of something
        # else): the acknowledgement names them, so the sender does not count them as delivered
        not_applied = [plan.uuid for plans in self.plans.values() for plan in plans.values()
                       if plan.action not in (INSERT, UPDATE, UNCHANGED)
                       and not (plan.action == STALE and plan.local is not None and plan.h_in == plan.local.hash)]
        row = ExchangePackage(
            package_uuid=info.package_id, direction=RECEIVED, kind=PACKAGE, source_office=info.source_office,
            source_office_id=info.source_office_id, target_office=info.target_office, sequence=info.sequence,
            base_ack=info.base_ack, created_at=info.created_at, processed_at=now, processed_by=self.user[:80],
            file_name=info.path.name[:255], file_sha256=info.file_sha256, records=info.total_records,
            applied=summary.applied, unchanged=summary.unchanged, conflicts=summary.conflicts,
            deferred=summary.deferred, rejected=summary.rejected, details_json="")
        applied_before = ledger.applied_sequences(self.s, info.source_office_id)
        if info.sequence in applied_before:
            summary.warnings.append(f"Ya se había importado otro paquete con el número {info.sequence} de esta "
                                    "oficina (¿restauró un respaldo?); los registros repetidos no se aplicaron dos veces.")
        self.s.add(row)
        self.s.flush()
        applied = applied_before | {info.sequence}
        summary.missing_sequences = ledger.missing_sequences(applied)
        summary.gap_covered = all(n > info.base_ack for n in summary.missing_sequences)
        row.details_json = json.dumps({
            "tables": {k: vars(v) for k, v in summary.tables.items()},
            "not_applied": not_applied,
            "notes": [vars(n) for n in summary.notes[:MAX_LOGGED_NOTES]],
            "missing_sequences": summary.missing_sequences,
            "warnings": summary.warnings,
        }, ensure_ascii=False)
        self.s.flush()
        audit.record(self.s, self.user, "importar_paquete", "paquete_intercambio", info.package_id, None,
                     {"origen": info.source_office, "secuencia": info.sequence, "aplicados": summary.applied,
                      "sin_cambios": summary.unchanged, "conflictos": summary.conflicts,
                      "en_espera": summary.deferred, "rechazados": summary.rejected, "sha256": info.file_sha256})

    def _write_documents(self) -> None:
        from models.services.documents import document_path, file_sha256

        plans = self.plans.get(DOCUMENTS_TABLE, {})
        for plan in plans.values():
            if plan.action not in (INSERT, UPDATE):
                continue
            data = plan.rec["data"]
            target = document_path(SimpleNamespace(stored_name=data["stored_name"]))
            if target.is_file() and file_sha256(target) == data["sha256"]:
                continue
            entry = self.pkg.documents.get(target.name)
            if entry is None:
                self.summary.warnings.append(f"El archivo del documento «{data['original_name']}» no venía en el "
                                             "paquete; el registro se aplicó sin archivo.")
                continue
            _copy_verified(self.pkg, target, data["sha256"])
            self.summary.documents_written += 1


def _copy_verified(pkg: LoadedPackage, target: Path, sha256: str) -> None:
    """Extract one document (temporary name, fsync, rename), checking its SHA-256 on the way."""
    import hashlib

    from models.services.documents import TEMP_PREFIX

    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f"{TEMP_PREFIX}{target.name}")
    digest = hashlib.sha256()
    try:
        with pkg.open_document(target.name) as src, open(temp, "wb") as dst:
            for chunk in iter(lambda: src.read(1024 * 1024), b""):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if digest.hexdigest() != sha256:
            raise PackageError(E_CORRUPT, f"El documento «{target.name}» del paquete no coincide con su suma de "
                                          "verificación. No se aplicó nada.")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
