"""What importing a package did: counts per table, the records that were not simply applied, gaps."""
from __future__ import annotations

from dataclasses import dataclass, field

from models.exchange.package import PackageInfo
from models.exchange.tables import TableSpec

OUTCOME_CONFLICT, OUTCOME_DEFERRED, OUTCOME_REJECTED = "conflicto", "en_espera", "rechazado"


@dataclass
class TableCounts:
    """Outcome counts of one table."""

    applied: int = 0
    unchanged: int = 0
    conflicts: int = 0
    deferred: int = 0
    rejected: int = 0


@dataclass
class RecordNote:
    """A record that was not simply applied: a conflict, one waiting for the national office, or a rejection."""

    table: str
    table_label: str
    uuid: str
    label: str
    outcome: str
    message: str


@dataclass
class ImportSummary:
    """What importing a package did (or, with ``dry_run``, would do)."""

    info: PackageInfo
    source_label: str
    dry_run: bool = False
    already_imported: bool = False
    applied: int = 0
    unchanged: int = 0
    conflicts: int = 0
    deferred: int = 0
    rejected: int = 0
    tables: dict[str, TableCounts] = field(default_factory=dict)
    notes: list[RecordNote] = field(default_factory=list)
    missing_sequences: list[int] = field(default_factory=list)
    gap_covered: bool = True
    documents_written: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.applied + self.unchanged + self.conflicts + self.deferred + self.rejected

    def lines(self) -> list[str]:
        """Spanish summary for the command line and the GUI."""
        info = self.info
        head = f"Paquete {info.sequence} de {self.source_label} ({info.total_records} registros, {info.documents} documentos)"
        if self.already_imported:
            return [f"{head}: ya se había importado; no se cambió nada."]
        out = [head + (": simulación, no se guardó nada." if self.dry_run else ":"),
               f"  aplicados: {self.applied}", f"  sin cambios: {self.unchanged}",
               f"  conflictos: {self.conflicts}"]
        if self.deferred:
            out.append(f"  en espera de la oficina nacional: {self.deferred}")
        out.append(f"  rechazados: {self.rejected}")
        if self.missing_sequences:
            numbers = ", ".join(str(n) for n in self.missing_sequences)
            if self.gap_covered:
                out.append(f"Faltan los paquetes {numbers} de esta oficina; sus cambios vienen incluidos en este "
                           "(cada paquete lleva todo lo que no se ha confirmado con un acuse).")
            else:
                out.append(f"Faltan los paquetes {numbers} de esta oficina y su origen los da por recibidos: "
                           "pida un paquete completo (exportar con --all).")
        for note in self.notes[:50]:
            out.append(f"  [{note.outcome}] {note.table_label}: {note.label} — {note.message}")
        if len(self.notes) > 50:
            out.append(f"  … y {len(self.notes) - 50} más.")
        out.extend(f"Aviso: {w}" for w in self.warnings)
        return out


@dataclass
class ImportContext:
    """Where a verified package comes from, as this office sees it."""

    peer: str  # the source office's code: a state's INEGI code or NACIONAL
    peer_label: str
    local_national: bool
    scope_state_id: int


def label_of(spec: TableSpec, data: dict, uuid: str) -> str:
    """A short human label of a record (CLUES and name, folio, person…), or the start of its uuid."""
    parts = [str(data.get(f)) for f in spec.label_fields if data.get(f) not in (None, "")]
    return " · ".join(parts) if parts else uuid[:8]
