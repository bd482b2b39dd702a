"""Item models of the Regions page: the Region → Zone → establishment tree, the unassigned list (both
sources and targets of drag and drop), and a small read-only table model over DTO lists.

The tree keeps its nodes in one flat list and puts a node's position in that list in ``internalId``, so
``index()`` and ``parent()`` are list look-ups: a state with 3,000 establishments is rebuilt in a few
milliseconds and the view only asks for what it shows.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractItemModel, QAbstractTableModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from models.enums import LevelOfCare
from models.services.regions import RegionTree, UnitNode
from models.text import fold, fold_raw

MIME_TYPE = "application/x-coordinacion-establecimientos"
ID_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2
REGION, ZONE, UNIT = "region", "zone", "unit"
SOURCE_TREE, SOURCE_UNASSIGNED = "arbol", "sin-zona"
COORDINATOR_NOTE = "★ Coordinador"
NO_COORDINATOR_NOTE = "⚠ Sin coordinador"
_LEVEL_LABELS = {m.value: m.label for m in LevelOfCare}
_SHORT_LEVELS = {"PRIMER": "1.er nivel", "SEGUNDO": "2.º nivel", "TERCER": "3.er nivel"}
_WARNING_BRUSH = QBrush(QColor("#8a4b00"))
_MUTED_BRUSH = QBrush(QColor("#5f5f5f"))
Index = QModelIndex | QPersistentModelIndex


def level_label(value: str) -> str:
    """Spanish label of a level-of-care value ("PRIMER" → "Primer nivel")."""
    return _LEVEL_LABELS.get(value, value)


def short_level(value: str) -> str:
    """Level of care as a narrow column shows it ("SEGUNDO" → "2.º nivel")."""
    return _SHORT_LEVELS.get(value) or level_label(value)


def encode_ids(source: str, ids: Sequence[int]) -> QMimeData:
    """Drag payload: where the establishments come from and their ids."""
    mime = QMimeData()
    mime.setData(MIME_TYPE, f"{source}:{','.join(str(i) for i in ids)}".encode("ascii"))
    return mime


def decode_ids(mime: QMimeData | None) -> tuple[str, list[int]] | None:
    """(source, ids) of a drag payload made by :func:`encode_ids`, or None."""
    if mime is None or not mime.hasFormat(MIME_TYPE):
        return None
    text = bytes(mime.data(MIME_TYPE).data()).decode("ascii", "ignore")
    source, _sep, ids = text.partition(":")
    try:
        return source, [int(i) for i in ids.split(",") if i]
    except ValueError:
        return None


@dataclass
class _Node:
    kind: str
    id: int
    parent: int  # position of the parent node, -1 for a region
    row: int
    data: object
    children: list[int] = field(default_factory=list)


class RegionTreeModel(QAbstractItemModel):
    """Regions → zones → establishments of one state. Establishments can be dragged onto a zone (or onto an
    establishment of that zone); a drop emits ``assign_requested(zone_id, ids)`` and changes nothing by itself."""

    assign_requested = Signal(int, list)
    headers = ("Región / zona / establecimiento", "CLUES", "Nivel", "Observaciones")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._nodes: list[_Node] = []
        self._roots: list[int] = []
        self._by_key: dict[tuple[str, int], int] = {}
        self.tree: RegionTree | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    # ---- content ---------------------------------------------------------------------------------------
    def set_tree(self, tree: RegionTree | None) -> None:
        """Replace the whole tree (one model reset)."""
        self.beginResetModel()
        self.tree = tree
        self._nodes, self._roots, self._by_key = [], [], {}
        for region in tree.regions if tree else []:
            r = self._add(REGION, region.id, -1, region, self._roots)
            for zone in region.zones:
                z = self._add(ZONE, zone.id, r, zone, self._nodes[r].children)
                for unit in zone.establishments:
                    self._add(UNIT, unit.id, z, unit, self._nodes[z].children)
        self.endResetModel()

    def _add(self, kind: str, node_id: int, parent: int, data, siblings: list[int]) -> int:
        position = len(self._nodes)
        self._nodes.append(_Node(kind, node_id, parent, len(siblings), data))
        siblings.append(position)
        self._by_key[(kind, node_id)] = position
        return position

    def node(self, index: Index) -> _Node | None:
        return self._nodes[index.internalId()] if index.isValid() else None

    def kind(self, index: Index) -> str | None:
        node = self.node(index)
        return node.kind if node else None

    def item(self, index: Index):
        """The DTO (RegionNode, ZoneNode or UnitNode) behind an index."""
        node = self.node(index)
        return node.data if node else None

    def index_of(self, kind: str, node_id: int, column: int = 0) -> QModelIndex:
        position = self._by_key.get((kind, node_id))
        if position is None:
            return QModelIndex()
        return self.createIndex(self._nodes[position].row, column, position)

    def zone_of(self, index: Index):
        """The ZoneNode an index is (or belongs to), None for a region or nothing."""
        node = self.node(index)
        if node is None or node.kind == REGION:
            return None
        return node.data if node.kind == ZONE else self._nodes[node.parent].data

    def region_of(self, index: Index):
        """The RegionNode an index is in, or None."""
        node = self.node(index)
        while node is not None and node.kind != REGION:
            node = self._nodes[node.parent]
        return node.data if node else None

    def zones(self) -> list[tuple[object, object]]:
        """(region, zone) pairs in tree order."""
        return [(r, z) for r in (self.tree.regions if self.tree else []) for z in r.zones]

    def unit_zone(self) -> dict[int, int]:
        """Establishment id → zone id of every establishment in the tree."""
        return {n.id: self._nodes[n.parent].id for n in self._nodes if n.kind == UNIT}

    # ---- structure -------------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        siblings = self._nodes[parent.internalId()].children if parent.isValid() else self._roots
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        if not (0 <= row < len(siblings) and 0 <= column < len(self.headers)):
            return QModelIndex()
        return self.createIndex(row, column, siblings[row])

    def parent(self, index: Index | None = None):  # type: ignore[override]
        if index is None:  # QObject.parent()
            return super().parent()
        if not index.isValid():
            return QModelIndex()
        up = self._nodes[index.internalId()].parent
        if up < 0:
            return QModelIndex()
        return self.createIndex(self._nodes[up].row, 0, up)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        if not parent.isValid():
            return len(self._roots)
        if parent.column() != 0:
            return 0
        return len(self._nodes[parent.internalId()].children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return len(self.headers)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008, N802
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    # ---- cells -----------------------------------------------------------------------------------------
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node = self._nodes[index.internalId()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(node, column)
        if role == ID_ROLE:
            return node.id
        if role == KIND_ROLE:
            return node.kind
        if role == Qt.ItemDataRole.FontRole:
            if node.kind == REGION or (node.kind == UNIT and self._is_coordinator(node)):
                return self._bold
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if node.kind == ZONE and column == 3 and node.data.coordinating_establishment_id is None:
                return _WARNING_BRUSH
            if node.kind != UNIT and column == 3:
                return _MUTED_BRUSH
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tip(node, column)
        return None

    def _tip(self, node: _Node, column: int) -> str | None:
        d = node.data
        if node.kind == UNIT:
            coordinator = " · hospital coordinador de la zona" if self._is_coordinator(node) else ""
            return f"{d.clues} · {d.name} · {level_label(d.level)}{coordinator}"
        if node.kind == ZONE and column == 3:
            if d.coordinating_establishment_id is None:
                return "La zona no tiene hospital coordinador"
            return f"Hospital coordinador: {d.coordinating_clues} {d.coordinating_name}"
        return self._text(node, column) or None

    def _is_coordinator(self, node: _Node) -> bool:
        return self._nodes[node.parent].data.coordinating_establishment_id == node.id

    def _text(self, node: _Node, column: int) -> str:
        d = node.data
        if node.kind == UNIT:
            if column == 0:
                return d.name
            if column == 1:
                return d.clues
            if column == 2:
                return short_level(d.level)
            return COORDINATOR_NOTE if self._is_coordinator(node) else ""
        if node.kind == ZONE:
            if column == 0:
                return f"{d.name} · {_count(len(d.establishments), 'establecimiento', 'establecimientos')}"
            if column == 1:
                return d.code
            if column == 2:
                return ""
            if d.coordinating_establishment_id is None:
                return NO_COORDINATOR_NOTE
            return f"Coordina {d.coordinating_clues}"
        if column == 0:
            return f"{d.name} · {_count(len(d.zones), 'zona', 'zonas')}"
        if column == 1:
            return d.code
        if column == 2:
            return ""
        return _count(d.teams, "equipo ESZ", "equipos ESZ")

    # ---- drag and drop ---------------------------------------------------------------------------------
    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        kind = self._nodes[index.internalId()].kind
        if kind == UNIT:
            flags |= Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled
        elif kind == ZONE:
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData | None:  # noqa: N802
        ids = list(dict.fromkeys(self._nodes[i.internalId()].id for i in indexes
                                 if i.isValid() and self._nodes[i.internalId()].kind == UNIT))
        return encode_ids(SOURCE_TREE, ids) if ids else None

    def _drop_zone(self, row: int, parent: Index):
        if not parent.isValid():
            return None
        node = self._nodes[parent.internalId()]
        if node.kind == ZONE:
            return node.data
        if node.kind == UNIT and row == -1:
            return self._nodes[node.parent].data
        return None

    def canDropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        return decode_ids(data) is not None and self._drop_zone(row, parent) is not None

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        """Establishments dropped on a zone: ask for the assignment (the page writes it and reloads)."""
        decoded = decode_ids(data)
        zone = self._drop_zone(row, parent)
        if decoded is None or zone is None or action == Qt.DropAction.IgnoreAction:
            return False
        ids = [i for i in decoded[1] if (UNIT, i) not in self._by_key
               or self._nodes[self._nodes[self._by_key[(UNIT, i)]].parent].id != zone.id]
        if ids:
            self.assign_requested.emit(zone.id, ids)
        return bool(ids)


class UnitListModel(QAbstractTableModel):
    """Establishments with no zone, filtered by a folded search (CLUES, name). Rows can be dragged onto the
    tree; establishments dragged here from the tree emit ``unassign_requested(ids)``."""

    unassign_requested = Signal(list)
    headers = ("CLUES", "Nombre de la unidad", "Nivel")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._all: list[UnitNode] = []
        self._haystack: list[str] = []
        self._rows: list[UnitNode] = []
        self._needle = ""

    def set_units(self, units: list[UnitNode]) -> None:
        self._all = list(units)
        text = fold_raw("\n".join(f"{u.clues} {u.name}".replace("\n", " ") for u in self._all))
        self._haystack = text.split("\n") if self._all else []
        self._apply()

    def set_search(self, text: str) -> None:
        needle = fold(text)
        if needle != self._needle:
            self._needle = needle
            self._apply()

    def _apply(self) -> None:
        self.beginResetModel()
        if self._needle:
            words = self._needle.split()
            self._rows = [u for u, hay in zip(self._all, self._haystack) if all(w in hay for w in words)]
        else:
            self._rows = list(self._all)
        self.endResetModel()

    @property
    def total(self) -> int:
        return len(self._all)

    def unit_at(self, row: int) -> UnitNode:
        return self._rows[row]

    def row_of_id(self, unit_id: int) -> int | None:
        return next((r for r, u in enumerate(self._rows) if u.id == unit_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.headers):
            return self.headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        unit = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (unit.clues, unit.name, level_label(unit.level))[index.column()]
        if role == ID_ROLE:
            return unit.id
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return unit.name
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
                | Qt.ItemFlag.ItemIsDropEnabled)  # dropped on a row or between rows: same meaning

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction | Qt.DropAction.CopyAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData | None:  # noqa: N802
        ids = list(dict.fromkeys(self._rows[i.row()].id for i in indexes if i.isValid()))
        return encode_ids(SOURCE_UNASSIGNED, ids) if ids else None

    def canDropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        decoded = decode_ids(data)
        return decoded is not None and decoded[0] == SOURCE_TREE

    def dropMimeData(self, data, action, row, column, parent) -> bool:  # noqa: N802
        """Establishments dropped here from the tree: ask to take them out of their zone."""
        decoded = decode_ids(data)
        if decoded is None or decoded[0] != SOURCE_TREE or not decoded[1] or action == Qt.DropAction.IgnoreAction:
            return False
        self.unassign_requested.emit(decoded[1])
        return True


@dataclass(frozen=True)
class TableColumn:
    """A column of a :class:`RowsTableModel`: header, text of a row, alignment, width and a tooltip (by default
    the text itself)."""

    header: str
    text: Callable[[object], str]
    align_right: bool = False
    width: int = 120
    tip: Callable[[object], str] | None = None


class RowsTableModel(QAbstractTableModel):
    """Read-only table over a list of DTOs, optionally filtered by a folded search over its texts.

    ``highlight(row) -> (background, foreground) | None`` colours rows that need attention; the columns
    say the same in words, so colour is never the only signal."""

    def __init__(self, columns: Sequence[TableColumn], key: Callable[[object], int] | None = None,
                 highlight: Callable[[object], tuple[QColor | None, QColor | None] | None] | None = None, parent=None):
        super().__init__(parent)
        self.columns = list(columns)
        self._key = key
        self._highlight = highlight
        self._all: list = []
        self._haystack: list[str] = []
        self._rows: list = []
        self._needle = ""

    def set_rows(self, rows: Sequence) -> None:
        self._all = list(rows)
        self._haystack = []
        self._apply()

    def set_search(self, text: str) -> None:
        needle = fold(text)
        if needle != self._needle:
            self._needle = needle
            self._apply()

    def _apply(self) -> None:
        self.beginResetModel()
        if self._needle:
            if not self._haystack and self._all:
                joined = "\n".join(" ".join(c.text(r) for c in self.columns).replace("\n", " ") for r in self._all)
                self._haystack = fold_raw(joined).split("\n")
            words = self._needle.split()
            self._rows = [r for r, hay in zip(self._all, self._haystack) if all(w in hay for w in words)]
        else:
            self._rows = list(self._all)
        self.endResetModel()

    def refresh(self) -> None:
        """Tell the views every cell may read differently (texts computed from outside state changed)."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(self.columns) - 1))

    @property
    def rows(self) -> list:
        return list(self._rows)

    @property
    def total(self) -> int:
        return len(self._all)

    def row_at(self, row: int):
        return self._rows[row]

    def row_of_key(self, key: int) -> int | None:
        if self._key is None:
            return None
        return next((i for i, r in enumerate(self._rows) if self._key(r) == key), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.columns):
            return self.columns[section].header
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (column.tip or column.text)(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == ID_ROLE and self._key is not None:
            return self._key(row)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and self._highlight is not None:
            colours = self._highlight(row)
            if colours:
                colour = colours[0] if role == Qt.ItemDataRole.BackgroundRole else colours[1]
                return QBrush(colour) if colour is not None else None
        return None


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"
