"""Writing packages: a state office's changes for the national office, or the national office's for one state."""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import ExchangePackage
from models.entities.exchange import PACKAGE, SENT
from models.exchange import ledger
from models.exchange.package import (
    DOCS_DIR,
    E_WRONG_STATE,
    KIND_PACKAGE,
    NATIONAL,
    TABLES_DIR,
    PackageError,
    PendingFile,
    new_manifest,
    write_container,
)
from models.exchange.tables import DOCUMENTS_TABLE, SPECS, tables_for
from models.exchange.wire import no_gc, scope_column, wire_rows, wire_select
from models.paths import current_username
from models.services import audit


@dataclass
class ExportResult:
    """What an export wrote."""

    path: Path
    package_id: str
    sequence: int
    target_office: str
    target_label: str
    base_ack: int
    tables: dict[str, int]
    documents: int
    size_bytes: int
    file_sha256: str
    warnings: list[str] = field(default_factory=list)

    @property
    def total_records(self) -> int:
        return sum(self.tables.values())

    def lines(self) -> list[str]:
        """Spanish summary for the command line and the GUI."""
        out = [f"Paquete {self.sequence} para {self.target_label}: {self.total_records} registros"
               f" y {self.documents} documentos en {self.path} ({self.size_bytes / 1024:.0f} KB)."]
        if self.base_ack:
            out.append(f"Contiene los cambios que no se han confirmado después del acuse del paquete {self.base_ack}.")
        for name, count in self.tables.items():
            if count:
                out.append(f"  {SPECS[name].label}: {count}")
        out.extend(f"Aviso: {w}" for w in self.warnings)
        return out


def _target(session: Session, current, target: str | None) -> tuple[str, int | None]:
    """(peer office code, state id whose records travel) for this office and the requested target."""
    if current.is_national:
        if not target or target == NATIONAL:
            raise PackageError(E_WRONG_STATE, "En la oficina nacional indique para qué entidad es el paquete.")
        from models.services import office as office_svc

        state = office_svc.find_state(session, target)
        if state is None:
            raise PackageError(E_WRONG_STATE, f"Entidad desconocida: {target}.")
        return state.inegi_code, state.id
    if target not in (None, NATIONAL):
        state = current.state
        if target.strip().upper() not in (state.inegi_code, state.clues_prefix):
            raise PackageError(E_WRONG_STATE, "Una coordinación estatal sólo envía paquetes a la oficina nacional.")
    return NATIONAL, current.state.id


@dataclass
class _Context:
    """Who writes the package, for whom, and what it must leave out."""

    current: object  # models.services.office.Office
    own_code: str
    own_id: str
    peer: str
    scope_state: int
    sequence: int
    base_ack: int
    held: set[str]  # records with an open conflict
    everything: bool
    user: str


def export_package(session: Session, out_path: str | Path, *, all: bool = False, target: str | None = None,  # noqa: A002
                   user: str | None = None) -> ExportResult:
    """Write a package with every record the target office is not known to hold (``all``: every record).

    A state office writes its own state's records for the national office; the national office writes the
    catalogue and one state's records for that state (``target``: INEGI code, CLUES prefix or name).
    Records with an open conflict wait until it is resolved. The package and what it carried are logged,
    so the target's acknowledgement can mark them as delivered. Never commits.
    """
    current = ledger.current_office(session)
    peer, scope_state = _target(session, current, target)
    ctx = _Context(current=current, own_code=ledger.office_code(current), own_id=ledger.office_id(session),
                   peer=peer, scope_state=scope_state, sequence=ledger.next_sequence(session, peer),
                   base_ack=ledger.last_acknowledged(session, peer), held=set(ledger.open_conflicts(session)),
                   everything=all, user=user or current_username())
    with no_gc():
        return _export(session, Path(out_path), ctx)


def _table_lines(session: Session, spec, ctx: _Context, unsure: list[str]) -> tuple[list[str], list, list[dict]]:
    """(JSON lines, [uuid, version, hash] carried, document records) of one table."""
    query = wire_select(spec)
    if spec.state_scoped:
        query, state_col = scope_column(spec, query)
        query = query.where(state_col == ctx.scope_state)
    query = query.order_by(spec.table.c.id)
    sync = ledger.load_sync_table(session, ctx.peer, spec.name)

    def keep(uuid: str, version: int) -> bool:
        if uuid in ctx.held:
            return False
        state = sync.get(uuid)
        return ctx.everything or state is None or state.known_version != version  # unchanged since the peer had it

    lines: list[str] = []
    carried: list = []
    documents: list[dict] = []
    for row in wire_rows(spec, session.execute(query), keep):
        state = sync.get(row.uuid)
        if state is not None and state.known_hash == row.hash:
            if not ctx.everything:
                continue
        elif state is not None and state.known_hash is not None:
            unsure.append(row.uuid)  # once this version is on its way the peer may hold either
        lines.append(row.line(state.common_hash, state.common_version) if state else row.line(None, None))
        carried.append([row.uuid, row.version, row.hash])
        if spec.name == DOCUMENTS_TABLE:
            documents.append(row.record())
    return lines, carried, documents


def _export(session: Session, out_path: Path, ctx: _Context) -> ExportResult:
    files: list[PendingFile] = []
    unsure: list[str] = []
    counts: dict[str, int] = {}
    sent: dict[str, list] = {}
    documents: list[dict] = []
    for spec in tables_for(ctx.current.is_national):
        lines, sent[spec.name], docs = _table_lines(session, spec, ctx, unsure)
        counts[spec.name] = len(lines)
        documents.extend(docs)
        files.append(PendingFile(f"{TABLES_DIR}{spec.name}.jsonl", data="".join(f"{x}\n" for x in lines).encode("utf-8"),
                                 table=spec.name, records=len(lines)))
    ledger.forget_known(session, ctx.peer, unsure)
    warnings = _document_files(documents, files)
    manifest = new_manifest(KIND_PACKAGE, schema_version=_schema_version(), source_office=ctx.own_code,
                            source_office_id=ctx.own_id, source_label=ctx.current.label, target_office=ctx.peer,
                            sequence=ctx.sequence, base_ack=ctx.base_ack)
    path, digest, size = write_container(out_path, manifest, files)
    now = utcnow()
    total = sum(counts.values())
    document_count = len(files) - len(counts)
    session.add(ExchangePackage(
        package_uuid=manifest["package_id"], direction=SENT, kind=PACKAGE, source_office=ctx.own_code,
        source_office_id=ctx.own_id, target_office=ctx.peer, sequence=ctx.sequence, base_ack=ctx.base_ack,
        created_at=now, processed_at=now, processed_by=ctx.user[:80], file_name=path.name[:255], file_sha256=digest,
        records=total, details_json=json.dumps({"tables": counts, "warnings": warnings}, ensure_ascii=False),
        sent_records=zlib.compress(json.dumps(sent, separators=(",", ":")).encode("utf-8"), 1),
    ))
    session.flush()
    audit.record(session, ctx.user, "exportar_paquete", "paquete_intercambio", manifest["package_id"], None,
                 {"destino": ctx.peer, "secuencia": ctx.sequence, "registros": total, "documentos": document_count,
                  "archivo": path.name, "sha256": digest, "todo": ctx.everything})
    return ExportResult(path, manifest["package_id"], ctx.sequence, ctx.peer, ledger.office_label(session, ctx.peer),
                        ctx.base_ack, counts, document_count, size, digest, warnings)


def _schema_version() -> int:
    from models.schema import SCHEMA_VERSION

    return SCHEMA_VERSION


def _document_files(records: list[dict], files: list[PendingFile]) -> list[str]:
    """Add the files of the documents that travel; warn about missing or damaged ones (they travel without)."""
    from models.services.documents import DocumentError, document_path, file_sha256

    warnings = []
    seen = set()
    for record in records:
        data = record["data"]
        try:
            path = document_path(SimpleNamespace(stored_name=data["stored_name"]))
        except DocumentError as exc:
            warnings.append(str(exc))
            continue
        if path.name in seen:
            continue
        name = data.get("original_name") or path.name
        if not path.is_file():
            warnings.append(f"No se encontró el archivo del documento «{name}»; el registro viaja sin archivo.")
            continue
        digest = file_sha256(path)
        if digest != data.get("sha256"):
            warnings.append(f"El archivo del documento «{name}» fue modificado o está dañado (su SHA-256 no "
                            "coincide); el registro viaja sin archivo.")
            continue
        seen.add(path.name)
        files.append(PendingFile(f"{DOCS_DIR}{path.name}", source=path, sha256=digest))
    return warnings

