"""Item models of the sanitary-authorisations page: the compliance table (published shape) and plain row lists
(drill-down, alerts, requirements, procedures, history, services, responsables)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from models.enums import AuthorisationStatus
from models.services.authorisations import SummaryRow
from models.text import format_int

_TOTAL_BRUSH = QBrush(QColor("#d5e3de"))
_ALERT_BRUSH = QBrush(QColor("#9a1b1b"))
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_STATUS_LABELS = {m.value: m.label for m in AuthorisationStatus}


def dmy(value: date | None) -> str:
    """«02/03/2024»; empty for no date."""
    return value.strftime("%d/%m/%Y") if value else ""


def status_label(value: str | None) -> str:
    """«Integrando expediente» for ``INTEGRANDO_EXPEDIENTE``; «Sin iniciar» when there is no procedure."""
    return _STATUS_LABELS.get(value, value) if value else "Sin iniciar"


def percent_text(value: float | None) -> str:
    """«0.91 %» (two decimals, as published); «—» when nothing is required."""
    return "—" if value is None else f"{value:.2f} %"


@dataclass(frozen=True)
class Col:
    """A column of a ``RowsModel``: header, how to show a row, right-aligned or not."""

    header: str
    text: Callable[[Any], str]
    right: bool = False
    tip: str = ""


class RowsModel(QAbstractTableModel):
    """Read-only list of objects (dataclasses) shown through ``Col`` definitions; ``row_object(i)`` gives one back."""

    def __init__(self, columns: Sequence[Col], parent=None, alert: Callable[[Any], bool] | None = None):
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self._alert = alert

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_object(self, row: int) -> Any:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        obj, col = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(obj)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.right:
            return _RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and self._alert is not None and self._alert(obj):
            return _ALERT_BRUSH
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].header
        if role == Qt.ItemDataRole.ToolTipRole and self.columns[section].tip:
            return self.columns[section].tip
        return None

    def texts(self) -> list[dict[str, str]]:
        """Every row as shown (header → text), for tests and copies."""
        return [{c.header: c.text(r) for c in self.columns} for r in self.rows]


# ------------------------------------------------------------------------------------------------
# The compliance table

COMPLIANCE_FLAGS = (None, None, "required", "current", "in_process", "obtained", "not_started", None, None)
"""Which compliance flag each column counts (drill-down); None for columns that are not counts."""


class ComplianceTableModel(QAbstractTableModel):
    """Per authorisation type: requeridas, vigentes, en trámite, obtenidas en el periodo, sin iniciar, % (computed),
    % vigentes, and the total row (computed from the summed counts, never from summed percentages)."""

    headers = ("Clave", "Autorización", "Requeridas", "Vigentes", "En trámite", "Obtenidas en el periodo",
               "Sin iniciar", "Estatus %", "Vigentes %")
    tips = ("", "", "Autorizaciones requeridas a los establecimientos activos",
            "Otorgadas cuya vigencia no ha terminado", "Ingresadas o en trámite ante la autoridad",
            "Otorgadas con fecha de otorgamiento dentro del periodo", "Requeridas sin trámite iniciado",
            "Obtenidas en el periodo ÷ requeridas × 100", "Vigentes ÷ requeridas × 100")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[SummaryRow] = []

    def set_rows(self, rows: Sequence[SummaryRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def cell_text(self, row: int, column: int) -> str:
        r = self.rows[row]
        values = (r.type_code, r.label, r.required, r.current, r.in_process, r.obtained, r.not_started)
        if column < 2:
            return values[column]
        if column < 7:
            return format_int(values[column])
        return percent_text(r.percent if column == 7 else r.current_percent)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        r = self.rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return _RIGHT
        if role == Qt.ItemDataRole.BackgroundRole and r.is_total:
            return _TOTAL_BRUSH
        if role == Qt.ItemDataRole.FontRole and r.is_total:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 7:
                return f"{format_int(r.obtained)} ÷ {format_int(r.required)} × 100 = {percent_text(r.percent)}"
            if column == 8:
                return f"{format_int(r.current)} ÷ {format_int(r.required)} × 100 = {percent_text(r.current_percent)}"
            if COMPLIANCE_FLAGS[column]:
                return "Doble clic: ver los establecimientos de esta cifra"
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole and self.tips[section]:
            return self.tips[section]
        return None

    def row_of(self, type_code: str) -> SummaryRow | None:
        """The row of a type code ("" for the total row)."""
        return next((r for r in self.rows if r.type_code == type_code), None)

    def texts(self) -> list[dict[str, str]]:
        return [{h: self.cell_text(i, c) for c, h in enumerate(self.headers)} for i in range(len(self.rows))]
