"""What an import will do, as plain data (it crosses from the worker thread to the wizard)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ImportCancelled(Exception):
    """The user cancelled; the caller rolls the transaction back."""

    def __init__(self) -> None:
        super().__init__("Importación cancelada: no se guardó ningún cambio.")


class Progress:
    """Progress reports and cancellation for long work; ``report`` may be called from a worker thread."""

    def __init__(self, callback: Callable[[int, int, str], None] | None = None):
        self._callback = callback
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def report(self, done: int, total: int, stage: str = "") -> None:
        """Raise ImportCancelled if cancelled, else pass the figures on."""
        if self._cancel.is_set():
            raise ImportCancelled()
        if self._callback is not None:
            self._callback(done, total, stage)


NO_PROGRESS = Progress()


@dataclass
class RowIssue:
    """A problem with one row: spreadsheet row number, column header (or field label) and the reason."""

    row: int
    column: str
    reason: str


@dataclass
class PlannedRow:
    """A row that will create a record: its spreadsheet row and the values to store."""

    row: int
    key: str
    values: dict[str, Any]


@dataclass
class PlannedUpdate:
    """A row that changes an existing record. ``conflicts`` are changes to a record the user edited after
    the file's date: shown in the summary and applied only when the user says so."""

    row: int
    key: str
    record_id: int
    version: int
    changes: dict[str, tuple[Any, Any]]
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class ImportPlan:
    """Everything an import would do. Built by a kind's ``plan``; applied by its ``apply``."""

    kind: str
    source: str
    headers: list[str]
    total_rows: int = 0
    new: list[PlannedRow] = field(default_factory=list)
    updated: list[PlannedUpdate] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[RowIssue] = field(default_factory=list)
    rejected_rows: dict[int, list[Any]] = field(default_factory=dict)  # row number → original cells
    warnings: list[RowIssue] = field(default_factory=list)
    skipped_other_state: int = 0
    field_labels: dict[str, str] = field(default_factory=dict)
    value_names: dict[str, dict[Any, str]] = field(default_factory=dict)  # e.g. typology id → name

    def show(self, key: str, value: Any) -> str:
        """A planned value as the user reads it (names instead of ids, dd/mm/yyyy dates)."""
        names = self.value_names.get(key)
        if names is not None and value in names:
            return names[value]
        return _show(value)

    @property
    def conflict_count(self) -> int:
        return sum(1 for u in self.updated if u.conflicts)

    @property
    def has_changes(self) -> bool:
        return bool(self.new or any(u.changes or u.conflicts for u in self.updated))

    def reject(self, row: int, column: str, reason: str, cells: list[Any]) -> None:
        self.rejected.append(RowIssue(row, column, reason))
        self.rejected_rows.setdefault(row, cells)

    def summary_lines(self) -> list[str]:
        """The summary in Spanish, as the CLI prints it and the wizard shows it."""
        from models.text import format_int

        lines = [
            f"Archivo: {self.source}",
            f"Filas con datos: {format_int(self.total_rows)}",
            f"  Nuevos: {format_int(len(self.new))}",
            f"  Actualizados: {format_int(len(self.updated))}",
            f"  Sin cambios: {format_int(len(self.unchanged))}",
            f"  Rechazados: {format_int(len(self.rejected_rows))}",
        ]
        if self.skipped_other_state:
            lines.append(f"  Omitidos (otra entidad): {format_int(self.skipped_other_state)}")
        if self.conflict_count:
            lines.append(
                f"  Editados en esta oficina después de la fecha del archivo: {format_int(self.conflict_count)} "
                "(esos campos se conservan salvo que se indique sobrescribirlos)"
            )
        for issue in self.rejected:
            lines.append(f"Fila {issue.row}, columna {issue.column}: {issue.reason}")
        for issue in self.warnings:
            lines.append(f"Aviso — fila {issue.row}, columna {issue.column}: {issue.reason}")
        for update in self.updated:
            for name, (old, new) in update.conflicts.items():
                label = self.field_labels.get(name, name)
                lines.append(
                    f"Conflicto — fila {update.row}, {update.key}, {label}: en esta oficina «{self.show(name, old)}», "
                    f"en el archivo «{self.show(name, new)}»"
                )
        return lines


def _show(value: Any) -> str:
    from datetime import date

    if value is None or value == "":
        return "(vacío)"
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)
