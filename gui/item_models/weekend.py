"""Item models of the weekend-opening page: the rollout summary, the unit list and the target history."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from gui.item_models.columnar import Column, ColumnarTableModel
from models.services.weekend import RolloutRow, TargetInfo, UnitStatus
from models.text import format_int

_TOTAL_BRUSH = QBrush(QColor("#e8ecea"))
_GRAND_TOTAL_BRUSH = QBrush(QColor("#d5e3de"))
_MUTED_BRUSH = QBrush(QColor("#8a8a8a"))
_PENDING_BRUSH = QBrush(QColor("#9a1b1b"))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_CENTER = int(Qt.AlignmentFlag.AlignCenter)


def dmy(value: date | None) -> str:
    """«02/03/2024»; empty for no date."""
    return value.strftime("%d/%m/%Y") if value else ""


def percent_text(value: float | None) -> str:
    """«69.7 %»; «—» when there is no target to measure against."""
    return "—" if value is None else f"{value:.1f} %"


def local_time_text(value) -> str:
    """A stored UTC time as local «dd/mm/aaaa hh:mm» (SQLite returns it without a time zone)."""
    if not isinstance(value, datetime):
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone().strftime("%d/%m/%Y %H:%M")


def optional_int(value: int | None) -> str:
    return "—" if value is None else format_int(value)


def progress_formula(row: RolloutRow) -> str:
    """«abiertas / meta = 152 / 218 = 69.7 %», or why there is no figure."""
    if not row.target:
        return f"abiertas / meta = {format_int(row.open_units)} / (sin meta vigente): no se calcula el avance"
    return (f"abiertas / meta = {format_int(row.open_units)} / {format_int(row.target)} = "
            f"{percent_text(row.progress)}")


def doctors_formula(row: RolloutRow) -> str:
    """«Médicos asignados / necesarios = 15 / 107»."""
    return f"Médicos asignados / necesarios = {format_int(row.doctors_assigned)} / {optional_int(row.doctors_needed)}"


# ------------------------------------------------------------------------------------------------
# Rollout summary (a few dozen rows: a plain table model)
# ------------------------------------------------------------------------------------------------

class SummaryTableModel(QAbstractTableModel):
    """States by block with target, viable, open 7 days, progress and doctors; block and overall totals in bold."""

    headers = ("Bloque", "Entidad", "Meta", "Viables", "Abiertas\n7 días", "Avance", "Médicos\nasignados",
               "Médicos\nnecesarios")
    widths = (58, 140, 62, 60, 70, 64, 80, 80)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[RolloutRow] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: Sequence[RolloutRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> RolloutRow | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def _text(self, r: RolloutRow, column: int) -> str:
        if column == 0:
            return str(r.block) if r.block is not None and r.level != "total" else ""
        if column == 1:
            return r.label
        if column == 2:
            return optional_int(r.target)
        if column == 3:
            return format_int(r.viable)
        if column == 4:
            return format_int(r.open_units)
        if column == 5:
            return percent_text(r.progress)
        if column == 6:
            return format_int(r.doctors_assigned)
        return optional_int(r.doctors_needed)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        r = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 5:
                return progress_formula(r)
            if column in (6, 7):
                return doctors_formula(r)
            return self._text(r, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _CENTER if column == 0 else (_RIGHT if column >= 2 else None)
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if r.level != "state" else None
        if role == Qt.ItemDataRole.BackgroundRole:
            return _GRAND_TOTAL_BRUSH if r.level == "total" else (_TOTAL_BRUSH if r.level == "block" else None)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return str(section + 1)


# ------------------------------------------------------------------------------------------------
# Unit list (up to ~9,000 units for the national office: the columnar model and numpy proxy)
# ------------------------------------------------------------------------------------------------

@dataclass
class UnitColumns:
    """The unit list as columns (what ColumnarTableModel shows and the proxy filters)."""

    ids: list[int] = field(default_factory=list)
    clues: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    viable: list[str] = field(default_factory=list)
    open_7: list[str] = field(default_factory=list)
    since: list[str] = field(default_factory=list)
    days: list[str] = field(default_factory=list)
    doctors: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    since_key: list[int] = field(default_factory=list)  # day number, for sorting (no date: last)
    doctors_key: list[int] = field(default_factory=list)
    pending: list[bool] = field(default_factory=list)  # viable, registered and not open 7 days
    muted: list[bool] = field(default_factory=list)  # not part of the programme (not viable or no record)

    @classmethod
    def from_units(cls, units: Sequence[UnitStatus], state_names: dict[int, str] | None = None) -> UnitColumns:
        out = cls()
        names = state_names or {}
        for u in units:
            pending = u.registered and u.viable and not u.open_7_days
            out.ids.append(u.establishment_id)
            out.clues.append(u.clues)
            out.names.append(u.name)
            out.states.append(names.get(u.state_id, ""))
            out.viable.append("Sí" if u.viable else ("No" if u.registered else "Sin registro"))
            out.open_7.append("Sí" if u.open_7_days else "No")
            out.since.append(dmy(u.weekend_since))
            out.days.append(u.days)
            out.doctors.append(format_int(u.doctors))
            out.reasons.append("; ".join(u.reasons) if pending else "")
            out.since_key.append(u.weekend_since.toordinal() if u.weekend_since else 10**7)
            out.doctors_key.append(u.doctors)
            out.pending.append(pending)
            out.muted.append(not (u.registered and u.viable))
        return out


class UnitTableModel(ColumnarTableModel):
    """First-level fixed units with viable flag, open 7 days, start date, days, doctors and what they lack."""

    base_columns = (
        Column("clues", "CLUES", width=110),
        Column("names", "Nombre de la unidad", width=240),
        Column("viable", "Viable", width=80),
        Column("open_7", "Abre 7 días", width=85),
        Column("since", "Inicio", width=88),
        Column("days", "Días con turno", width=120),
        Column("doctors", "Médicos", width=65),
        Column("reasons", "Qué le falta", width=300),
    )
    state_column = Column("states", "Entidad", width=120)
    search_attrs = ("clues", "names", "reasons", "states")
    _numeric_sort = {"since": "since_key", "doctors": "doctors_key"}

    def __init__(self, national: bool = False, parent=None):
        cols = list(self.base_columns)
        if national:
            cols.insert(2, self.state_column)
        self.columns = tuple(cols)
        super().__init__(parent)

    def column_of(self, attr: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.attr == attr)

    def sort_ranks(self, column: int) -> np.ndarray:
        """Dates and counts sort by value, not by their text."""
        attr = self.columns[column].attr if 0 <= column < len(self.columns) else ""
        key_attr = self._numeric_sort.get(attr)
        if key_attr is None:
            return super().sort_ranks(column)
        if column not in self._ranks:
            keys = np.asarray(getattr(self._data, key_attr) if self._data else [], dtype=np.int64)
            ranks = np.empty(keys.size, dtype=np.int64)
            ranks[np.argsort(keys, kind="stable")] = np.arange(keys.size, dtype=np.int64)
            self._ranks[column] = ranks
        return self._ranks[column]

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if index.isValid() and role == Qt.ItemDataRole.TextAlignmentRole:
            attr = self.columns[index.column()].attr
            return _RIGHT if attr == "doctors" else (_CENTER if attr in ("viable", "open_7") else None)
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole and self._data is not None:
            if self.columns[index.column()].attr == "reasons" and self._data.pending[index.row()]:
                return _PENDING_BRUSH
        return super().data(index, role)

    def row_foreground(self, row: int):
        return _MUTED_BRUSH if self._data.muted[row] else None

    def pending_mask(self) -> np.ndarray:
        """True for viable units not open 7 days (the «Sólo pendientes» filter)."""
        if "_pending" not in self._categories:
            self._categories["_pending"] = np.asarray(self._data.pending if self._data else [], dtype=bool)
        return self._categories["_pending"]

    def pending_count(self) -> int:
        return int(self.pending_mask().sum())


# ------------------------------------------------------------------------------------------------
# Target history
# ------------------------------------------------------------------------------------------------

class TargetHistoryModel(QAbstractTableModel):
    """A state's targets, newest first: the catalogue's and the national office's changes."""

    headers = ("Vigente desde", "Meta de unidades", "Meta de médicos", "Origen", "Motivo", "Modificó", "Registrado")
    widths = (110, 130, 150, 260, 200, 110, 130)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[TargetInfo] = []

    def set_rows(self, rows: Sequence[TargetInfo]) -> None:
        self.beginResetModel()
        self.rows = sorted(rows, key=lambda t: t.effective_from, reverse=True)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        t = self.rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == 0:
                return dmy(t.effective_from)
            if column == 1:
                return format_int(t.units_target)
            if column == 2:
                return "Una por unidad" if t.doctors_target is None else format_int(t.doctors_target)
            if column == 3:
                return f"Catálogo: {t.source}" if t.from_catalogue else (t.source or "Oficina nacional")
            if column == 4:
                return t.reason
            if column == 5:
                return t.changed_by
            return local_time_text(t.changed_at)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2):
            return _RIGHT
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section] if 0 <= section < len(self.headers) else None
        return str(section + 1)
