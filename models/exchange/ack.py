"""Acknowledgements: the receiving office confirms which packages it applied, so the sender's next package
carries only what the receiver does not hold yet."""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import ExchangePackage, ExchangeSync
from models.entities.exchange import ACK, PACKAGE, RECEIVED, SENT
from models.exchange import ledger
from models.exchange.package import (
    ACK_FILE,
    E_CORRUPT,
    E_ORIGIN,
    E_SAME_OFFICE,
    E_WRONG_STATE,
    KIND_ACK,
    NATIONAL,
    PackageError,
    PendingFile,
    load_package,
    new_manifest,
    write_container,
)
from models.exchange.tables import SPECS
from models.exchange.wire import member_of
from models.paths import current_username
from models.services import audit, users

ALL_OFFICES = "*"
E_NOT_OURS = "ajeno"


@dataclass
class AckEntry:
    """The packages of one source office (installation) that the acknowledging office applied."""

    office: str
    office_id: str
    sequences: list[int]


@dataclass
class AckResult:
    """What ``make_ack`` wrote."""

    path: Path
    target_office: str
    entries: list[AckEntry]

    def lines(self) -> list[str]:
        if not self.entries:
            return [f"Acuse escrito en {self.path}; todavía no se ha importado ningún paquete que confirmar."]
        out = [f"Acuse escrito en {self.path}:"]
        for entry in self.entries:
            numbers = ", ".join(str(n) for n in entry.sequences)
            out.append(f"  {entry.office}: paquetes {numbers}")
        return out


@dataclass
class AckImportSummary:
    """What importing an acknowledgement did."""

    issuer_label: str
    already_imported: bool = False
    confirmed: list[int] = field(default_factory=list)  # package numbers newly confirmed
    records_confirmed: int = 0
    unknown: list[int] = field(default_factory=list)  # numbers this office never sent

    def lines(self) -> list[str]:
        if self.already_imported:
            return [f"El acuse de {self.issuer_label} ya se había importado; no se cambió nada."]
        if not self.confirmed:
            out = [f"El acuse de {self.issuer_label} no confirma paquetes nuevos."]
        else:
            numbers = ", ".join(str(n) for n in self.confirmed)
            out = [f"{self.issuer_label[:1].upper()}{self.issuer_label[1:]} confirmó los paquetes {numbers} "
                   f"({self.records_confirmed} registros): el siguiente paquete sólo llevará cambios posteriores."]
        if self.unknown:
            out.append("Aviso: el acuse menciona paquetes que esta oficina no registró: "
                       + ", ".join(str(n) for n in self.unknown) + ".")
        return out


def make_ack(session: Session, out_path: str | Path, *, source: str | None = None,
             user: str | None = None) -> AckResult:
    """Write an acknowledgement of every package applied here (at the national office: from every state, or
    from ``source``, a state's INEGI code). Lists, per package, the records not applied (conflicts, waiting,
    rejected) so the sender keeps offering them. Never commits."""
    user = user or current_username()
    current = ledger.current_office(session)
    own_code = ledger.office_code(current)
    own_id = ledger.office_id(session)
    target = NATIONAL if not current.is_national else ALL_OFFICES
    query = select(ExchangePackage).where(ExchangePackage.direction == RECEIVED, ExchangePackage.kind == PACKAGE)
    if source is not None and current.is_national:
        from models.services import office as office_svc

        state = office_svc.find_state(session, source)
        if state is None:
            raise PackageError(E_WRONG_STATE, f"Entidad desconocida: {source}.")
        target = state.inegi_code
        query = query.where(ExchangePackage.source_office == state.inegi_code)
    grouped: dict[str, dict] = {}
    for row in session.scalars(query.order_by(ExchangePackage.source_office_id, ExchangePackage.sequence)):
        entry = grouped.setdefault(row.source_office_id, {"office": row.source_office, "office_id": row.source_office_id,
                                                          "sequences": [], "not_applied": {}})
        if row.sequence not in entry["sequences"]:
            entry["sequences"].append(row.sequence)
        details = json.loads(row.details_json or "{}")
        if details.get("not_applied"):
            entry["not_applied"].setdefault(str(row.sequence), []).extend(details["not_applied"])
    body = {"acknowledgements": list(grouped.values())}
    manifest = new_manifest(KIND_ACK, schema_version=_schema_version(), source_office=own_code,
                            source_office_id=own_id, source_label=current.label, target_office=target)
    data = json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")
    path, digest, _size = write_container(Path(out_path), manifest, [PendingFile(ACK_FILE, data=data)])
    now = utcnow()
    session.add(ExchangePackage(
        package_uuid=manifest["package_id"], direction=SENT, kind=ACK, source_office=own_code, source_office_id=own_id,
        target_office=target, sequence=None, base_ack=0, created_at=now, processed_at=now, processed_by=user[:80],
        file_name=path.name[:255], file_sha256=digest, records=sum(len(e["sequences"]) for e in grouped.values()),
        details_json=json.dumps({"acknowledged": {e["office"]: e["sequences"] for e in grouped.values()}})))
    session.flush()
    audit.record(session, user, "exportar_acuse", "acuse_intercambio", manifest["package_id"], None,
                 {"destino": target, "paquetes": {e["office"]: e["sequences"] for e in grouped.values()}})
    entries = [AckEntry(e["office"], e["office_id"], e["sequences"]) for e in grouped.values()]
    return AckResult(path, target, entries)


def _schema_version() -> int:
    from models.schema import SCHEMA_VERSION

    return SCHEMA_VERSION


def import_ack(session: Session, path: str | Path, *, user: str | None = None) -> AckImportSummary:
    """Read an acknowledgement from the office this one sends to and mark the confirmed packages (and the
    records they carried, unless changed here since) as delivered. Idempotent. Never commits."""
    user = user or current_username()
    pkg = load_package(path, expect_kind=KIND_ACK)
    info = pkg.info
    current = ledger.current_office(session)
    own_code = ledger.office_code(current)
    own_id = ledger.office_id(session, create=False)
    issuer = ledger.office_label(session, info.source_office)
    if own_id is not None and info.source_office_id == own_id:
        raise PackageError(E_SAME_OFFICE, "El acuse lo generó esta misma oficina: se importa en la oficina que envió "
                                          "los paquetes. No se cambió nada.")
    if current.is_national == (info.source_office == NATIONAL):
        expected = "las coordinaciones estatales" if current.is_national else "la oficina nacional"
        raise PackageError(E_ORIGIN, f"Esta oficina sólo recibe acuses de {expected}; éste lo generó {issuer}. "
                                     "No se cambió nada.")
    if info.target_office not in (own_code, ALL_OFFICES):
        raise PackageError(E_WRONG_STATE, f"El acuse es para {ledger.office_label(session, info.target_office)}, no "
                                          f"para {current.label}. No se cambió nada.")
    scope = ledger.state_id_of(session, info.source_office) if current.is_national else current.state.id
    users.require(session, user, users.IMPORT, scope)
    summary = AckImportSummary(issuer)
    if ledger.already_received(session, info.package_id):
        summary.already_imported = True
        return summary
    try:
        body = json.loads(pkg.other[ACK_FILE].decode("utf-8"))
        entries = body["acknowledgements"]
        mine = next((e for e in entries if e.get("office_id") == own_id), None)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise PackageError(E_CORRUPT, "El acuse está dañado: no se puede leer su contenido. No se cambió nada.") from None
    if mine is None:
        raise PackageError(E_NOT_OURS, f"El acuse de {issuer} no confirma ningún paquete de esta oficina (se generó "
                                       "para otra instalación o antes de recibir sus paquetes). No se cambió nada.")
    peer = info.source_office
    not_applied = {int(k): set(v) for k, v in (mine.get("not_applied") or {}).items()}
    sent = {row.sequence: row for row in session.scalars(select(ExchangePackage).where(
        ExchangePackage.direction == SENT, ExchangePackage.kind == PACKAGE, ExchangePackage.target_office == peer))}
    now = utcnow()
    for number in sorted(int(n) for n in mine.get("sequences", [])):
        row = sent.get(number)
        if row is None:
            summary.unknown.append(number)
            continue
        if row.acknowledged_at is not None:
            continue
        row.acknowledged_at = now
        summary.confirmed.append(number)
        carried = json.loads(zlib.decompress(row.sent_records).decode("utf-8")) if row.sent_records else {}
        summary.records_confirmed += _mark_known(session, peer, carried, not_applied.get(number, set()))
    session.add(ExchangePackage(
        package_uuid=info.package_id, direction=RECEIVED, kind=ACK, source_office=info.source_office,
        source_office_id=info.source_office_id, target_office=info.target_office, sequence=None, base_ack=0,
        created_at=info.created_at, processed_at=now, processed_by=user[:80], file_name=info.path.name[:255],
        file_sha256=info.file_sha256, records=len(summary.confirmed),
        details_json=json.dumps({"confirmed": summary.confirmed, "unknown": summary.unknown})))
    session.flush()
    audit.record(session, user, "importar_acuse", "acuse_intercambio", info.package_id, None,
                 {"origen": peer, "confirmados": summary.confirmed, "registros": summary.records_confirmed})
    return summary


def _mark_known(session: Session, peer: str, carried: dict[str, list], skip: set[str]) -> int:
    """The peer holds what this package carried: set ``known_hash`` where the record has not changed since."""
    marked = 0
    conn = session.connection()
    sync_t = ExchangeSync.__table__
    for table_name, items in carried.items():
        spec = SPECS.get(table_name)
        if spec is None:
            continue
        wanted = {u: (version, digest) for u, version, digest in items if u not in skip}
        if not wanted:
            continue
        current: dict[str, int] = {}
        for condition in member_of(session, spec.table.c.uuid, wanted):
            current.update(session.execute(select(spec.table.c.uuid, spec.table.c.version).where(condition)).all())
        confirmed = {u: (d, v) for u, (v, d) in wanted.items() if current.get(u) == v}
        if not confirmed:
            continue
        existing = set()
        for condition in member_of(session, ExchangeSync.record_uuid, confirmed):
            existing.update(session.scalars(select(ExchangeSync.record_uuid).where(
                ExchangeSync.peer == peer, condition)))
        new = [{"peer": peer, "record_uuid": u, "table_name": table_name, "recv_version": None, "common_hash": None,
                "common_version": None, "known_hash": d, "known_version": v}
               for u, (d, v) in confirmed.items() if u not in existing]
        old = [{"k_peer": peer, "k_uuid": u, "p_known": d, "p_known_version": v}
               for u, (d, v) in confirmed.items() if u in existing]
        if new:
            session.execute(insert(sync_t), new)
        if old:
            conn.execute(update(sync_t).where(sync_t.c.peer == bindparam("k_peer"),
                                              sync_t.c.record_uuid == bindparam("k_uuid")).values(
                known_hash=bindparam("p_known"), known_version=bindparam("p_known_version")), old)
        marked += len(confirmed)
    return marked
