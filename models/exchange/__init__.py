"""Offline data exchange between state offices and the national office (issue 8). No Qt.

The package format is described in ``models/exchange/FORMAT.md``. Services take a session and never commit:

- :func:`export_package` writes a ``.cepkg`` with what the other office does not hold yet;
- :func:`inspect_package` verifies a file on its own; :func:`verify_package` also checks it belongs here;
- :func:`import_package` applies one (``dry_run`` to preview), :func:`make_ack` / :func:`import_ack`
  confirm delivery so the next package carries only newer changes;
- :func:`list_conflicts` / :func:`resolve_conflict` show and decide conflicts;
- :func:`list_packages` is the history of packages and acknowledgements sent and received.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import ExchangePackage
from models.exchange.ack import AckImportSummary, AckResult, import_ack, make_ack
from models.exchange.conflicts import (
    INCOMING,
    LOCAL,
    ConflictError,
    ConflictInfo,
    FieldDiff,
    get_conflict,
    list_conflicts,
    resolve_conflict,
)
from models.exchange.export import ExportResult, export_package
from models.exchange.importer import ImportSummary, RecordNote, TableCounts, check_package, import_package
from models.exchange.package import FORMAT_VERSION, PackageError, PackageInfo, inspect_package, load_package


def verify_package(session: Session, path: str | Path) -> PackageInfo:
    """Everything ``import_package`` checks before applying anything: integrity, format and schema versions,
    origin and destination. Raises PackageError (Spanish message, ``code``) or returns the package's header."""
    info = load_package(path).info
    check_package(session, info)
    return info


@dataclass
class PackageLogEntry:
    """One line of the exchange history."""

    id: int
    direction: str  # "enviado" | "recibido"
    kind: str  # "paquete" | "acuse"
    source_office: str
    target_office: str
    sequence: int | None
    processed_at: datetime
    processed_by: str
    file_name: str
    records: int
    applied: int
    unchanged: int
    conflicts: int
    deferred: int
    rejected: int
    acknowledged_at: datetime | None
    missing_sequences: list[int]


def list_packages(session: Session) -> list[PackageLogEntry]:
    """Packages and acknowledgements sent and received, newest first."""
    out = []
    for row in session.scalars(select(ExchangePackage).order_by(ExchangePackage.id.desc())):
        try:
            details = json.loads(row.details_json or "{}")
        except ValueError:
            details = {}
        out.append(PackageLogEntry(row.id, row.direction, row.kind, row.source_office, row.target_office, row.sequence,
                                   row.processed_at, row.processed_by, row.file_name, row.records, row.applied,
                                   row.unchanged, row.conflicts, row.deferred, row.rejected, row.acknowledged_at,
                                   list(details.get("missing_sequences", []))))
    return out


__all__ = [
    "FORMAT_VERSION", "INCOMING", "LOCAL", "AckImportSummary", "AckResult", "ConflictError", "ConflictInfo",
    "ExportResult", "FieldDiff", "ImportSummary", "PackageError", "PackageInfo", "PackageLogEntry", "RecordNote",
    "TableCounts", "export_package", "get_conflict", "import_ack", "import_package", "inspect_package",
    "list_conflicts", "list_packages", "make_ack", "resolve_conflict", "verify_package",
]
