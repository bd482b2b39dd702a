"""Item model of the establishments list."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QBrush, QColor

from gui.item_models.columnar import Column, ColumnarTableModel
from models.enums import LevelOfCare, OperatingStatus

_LEVEL_LABELS = {m.value: m.label for m in LevelOfCare}
_STATUS_LABELS = {m.value: m.label for m in OperatingStatus}
_RETIRED_BRUSH = QBrush(QColor("#8a8a8a"))

STATE_COLUMN = Column("states", "Entidad", width=130)


def level_label(value: str) -> str:
    return _LEVEL_LABELS.get(value, value)


def status_label(value: str) -> str:
    return _STATUS_LABELS.get(value, value)


class EstablishmentTableModel(ColumnarTableModel):
    """Establishments of the office's state (or all states, with an extra column, for the national office)."""

    base_columns = (
        Column("clues", "CLUES", width=110),
        Column("names", "Nombre de la unidad", width=300),
        Column("typologies", "Tipología", width=180),
        Column("levels", "Nivel de atención", level_label, width=135),
        Column("municipalities", "Municipio", width=150),
        Column("localities", "Localidad", width=170),
        Column("statuses", "Estatus de operación", status_label, width=165),
        Column("regions", "Región operativa", width=140),
        Column("zones", "Zona (ZSM)", width=140),
        Column("previous_clues", "CLUES anterior", width=110),
    )
    search_attrs = ("clues", "names", "municipalities", "localities", "previous_clues")

    def __init__(self, national: bool = False, parent=None):
        self.columns = self.base_columns + ((STATE_COLUMN,) if national else ())
        super().__init__(parent)

    def row_foreground(self, row: int):
        return _RETIRED_BRUSH if self._data.retired[row] else None

    def active_mask(self) -> np.ndarray:
        """True for establishments not retired (cached until the rows change)."""
        if "_active" not in self._categories:
            self._categories["_active"] = ~np.asarray(self._data.retired if self._data else [], dtype=bool)
        return self._categories["_active"]

    def active_count(self) -> int:
        if "_active_count" not in self._categories:
            self._categories["_active_count"] = int(self.active_mask().sum())
        return self._categories["_active_count"]

    def column_of(self, attr: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.attr == attr)
