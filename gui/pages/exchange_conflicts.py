"""«Intercambio» support: a plain table model, Spanish formatting of exchange data, and the «Conflictos» panel
(a list of conflicts; the selected one as a field table where a person keeps the local version, takes the
incoming one or merges them field by field, after a confirmation). Used by ``gui.pages.exchange``.

The decision itself is ``models.exchange.resolve_conflict`` (audited there); this module only shows both
versions readably (Spanish field names, referenced records by name, enumerations by label) and asks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from PySide6.QtCore import QAbstractTableModel, QByteArray, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import Boolean, Date, DateTime, Enum, Time
from sqlalchemy.orm import Session

from gui.context import AppContext
from gui.settings import Setting
from gui.tasks import TaskFailure
from models.exchange import INCOMING, LOCAL, ConflictError, list_conflicts

CONFLICTS_SPLITTER = Setting("intercambio/divisor_conflictos", QByteArray(), QByteArray)  # list / details
DELETED_FIELD = "deleted_at"
CHOSEN = QColor("#dff0e8")  # the version a field will take
EXPECTED_ERRORS = (ConflictError, PermissionError)

# Spanish names of the fields that travel (wire names: foreign keys as ``…_uuid``); others show as they are.
FIELD_LABELS = {
    "added_at": "Agregado el", "address": "Domicilio", "adhered": "Adherida", "adhered_on": "Adherida desde",
    "authorisation_uuid": "Autorización", "authority_uuid": "Autoridad sanitaria",
    "cedula_profesional": "Cédula profesional",
    "clues": "CLUES", "clues_prefix": "Prefijo CLUES", "code": "Clave", "comment": "Comentario",
    "contract_type": "Tipo de contratación", "coordinating_establishment_uuid": "Unidad coordinadora",
    "coordinating_hospitals": "Hospitales coordinadores", "default_authority_uuid": "Autoridad por omisión",
    "default_level": "Nivel por omisión", "doctors_target": "Meta de médicos", "effective_from": "Vigente desde",
    "ends_at": "Hora de término", "ends_on": "Termina el", "establishment_type": "Tipo de establecimiento",
    "establishment_uuid": "Establecimiento", "expires": "Vence", "expires_on": "Vence el", "folio": "Folio",
    "from_status": "Estatus anterior", "full_name": "Nombre completo", "granted_on": "Otorgada el",
    "hired_on": "Contratado el", "inegi_code": "Clave INEGI", "institution_code": "Institución",
    "is_mobile": "Unidad móvil", "jurisdiction": "Jurisdicción", "kind": "Turno", "latitude": "Latitud",
    "left_on": "Baja el", "level_of_care": "Nivel de atención", "locality": "Localidad",
    "locality_code": "Clave de localidad", "longitude": "Longitud", "municipality": "Municipio",
    "municipality_code": "Clave de municipio", "name": "Nombre", "notes": "Observaciones", "number": "Número",
    "occurred_on": "Fecha", "operating_status": "Estatus de operación", "operation_started_on": "Inicio de operación",
    "original_name": "Nombre del archivo", "other_hospitals": "Otros hospitales",
    "override_reason": "Motivo de la excepción", "period_end": "Fin del periodo", "period_start": "Inicio del periodo",
    "phone": "Teléfono", "postal_code": "Código postal", "previous_clues": "CLUES anterior", "profession": "Profesión",
    "reason": "Motivo", "record_uuid": "Registro de fin de semana",
    "referral_establishment_uuid": "Hospital de referencia",
    "region_uuid": "Región", "regions": "Regiones", "required_for_levels": "Requerida para los niveles",
    "required_for_service_code": "Requerida para el servicio", "required_override": "Requerida (excepción)",
    "retirement_reason": "Motivo de la baja", "role": "Función", "service_type_uuid": "Tipo de servicio",
    "service_uuid": "Servicio", "sha256": "SHA-256", "shift_uuid": "Turno", "short_name": "Nombre corto",
    "size_bytes": "Tamaño (bytes)", "source": "Fuente", "starts_at": "Hora de inicio", "starts_on": "Inicia el",
    "state_uuid": "Entidad", "status": "Estatus", "status_changed_on": "Cambio de estatus",
    "stored_name": "Archivo guardado", "submitted_on": "Ingresada el", "subtypology": "Subtipología",
    "supervision_teams": "Equipos de supervisión", "team_uuid": "Equipo", "to_status": "Estatus nuevo",
    "type_uuid": "Tipo de autorización", "typology_uuid": "Tipología", "units_target": "Meta de unidades",
    "uses_ionising_radiation": "Usa radiación ionizante", "valid_from": "Vigente desde", "valid_to": "Vigente hasta",
    "viable": "Viable", "weekday": "Día", "weekend_block_uuid": "Bloque de fin de semana",
    "weekend_since": "Abre en fin de semana desde", "zone_uuid": "Zona", "zones": "Zonas",
    DELETED_FIELD: "Dado de baja",
}
WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
RESOLUTIONS = {LOCAL: "se conservó la versión local", INCOMING: "se tomó la versión entrante",
               "combinada": "combinación campo por campo"}
SHORT_RESOLUTIONS = {LOCAL: "local", INCOMING: "entrante", "combinada": "combinada"}


# ------------------------------------------------------------------------------------------------ formatting

def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """A stored UTC moment in the computer's local time, «23/11/2026 08:02»."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")


def numbers(values) -> str:
    """[2, 3, 5] → «2, 3 y 5»."""
    items = [str(v) for v in values]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " y " + items[-1]


class RowsModel(QAbstractTableModel):
    """Read-only table over rows of display strings (plain data, computed beforehand). Columns listed in
    ``numeric`` are right-aligned; ``muted`` rows are shown in grey; ``tips`` gives a tooltip per row."""

    def __init__(self, headers: tuple[str, ...], numeric: tuple[int, ...] = (), parent=None):
        super().__init__(parent)
        self.headers = headers
        self.numeric = set(numeric)
        self.rows: list[tuple[str, ...]] = []
        self.muted: set[int] = set()
        self.bold: set[int] = set()
        self.tips: list[str] = []

    def set_rows(self, rows: list[tuple[str, ...]], *, muted=(), bold=(), tips: list[str] | None = None) -> None:
        self.beginResetModel()
        self.rows = [tuple(r) for r in rows]
        self.muted, self.bold, self.tips = set(muted), set(bold), list(tips or [])
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        horizontal = orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers)
        if horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.rows[row][column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column in self.numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and row in self.muted:
            return QBrush(QColor("#707070"))
        if role == Qt.ItemDataRole.FontRole and row in self.bold:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and row < len(self.tips) and self.tips[row]:
            return self.tips[row]
        return None


def table_view(model: QAbstractTableModel, stretch: int | None = None) -> QTableView:
    """A read-only, row-selecting table view in the application's style."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 10)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    if stretch is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def fit_rows(view: QTableView, max_rows: int = 14) -> None:
    """Make a short table only as tall as its rows (up to ``max_rows``; beyond that it scrolls)."""
    model = view.model()
    shown = min(model.rowCount() if model else 0, max_rows)
    rows = sum(view.rowHeight(r) or view.verticalHeader().defaultSectionSize() for r in range(shown))
    bar = view.horizontalScrollBar().sizeHint().height() if view.horizontalScrollBar().isVisible() else 0
    height = view.horizontalHeader().sizeHint().height() + rows + 2 * view.frameWidth() + bar + 2
    view.setMaximumHeight(height)
    view.setMinimumHeight(min(height, 150))


# ------------------------------------------------------------------------------------------------ conflict DTOs

@dataclass
class FieldRow:
    """One field of a conflict, both values as Spanish text."""

    name: str  # wire name, what resolve_conflict expects
    label: str
    local: str
    incoming: str
    differs: bool


@dataclass
class ConflictRow:
    """A conflict ready to show (computed in the worker thread; plain data)."""

    id: int
    table_label: str
    label: str
    peer_label: str
    detected_at: datetime
    local_version: int
    incoming_version: int
    local_changed_by: str
    incoming_changed_by: str
    open: bool
    resolution: str | None
    resolved_by: str | None
    resolved_at: datetime | None
    fields: list[FieldRow] = field(default_factory=list)

    @property
    def differing(self) -> list[FieldRow]:
        return [f for f in self.fields if f.differs]

    @property
    def peer_name(self) -> str:
        """«la Coordinación Estatal Baja California» → «Baja California»; «la oficina nacional» stays."""
        prefix = "la Coordinación Estatal "
        return self.peer_label[len(prefix):] if self.peer_label.startswith(prefix) else self.peer_label


def _value_text(value, column, enum_labels: dict, refs: dict[str, str] | None) -> str:
    """A wire value as Spanish text: names of referenced records, enumeration labels, dd/mm/yyyy dates, Sí/No."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    if refs is not None and isinstance(value, str) and value in refs:
        return refs[value]
    if column is not None:
        kind = column.type
        if isinstance(kind, Enum) and value in enum_labels:
            return enum_labels[value]
        if isinstance(kind, Date) and isinstance(value, str):
            try:
                return date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                return value
        if isinstance(kind, Time) and isinstance(value, str):
            return value[:5]
        if isinstance(kind, DateTime) and isinstance(value, str):
            try:
                return local_time(datetime.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(kind, Boolean):
            return "Sí" if value else "No"
    return str(value)


def _reference_labels(session: Session, specs, infos) -> dict[str, str]:
    """Names of the records the foreign-key fields point to (``uuid → label``), one query per parent table."""
    from models.exchange.summary import label_of
    from models.exchange.tables import SPECS
    from models.exchange.wire import load_local

    wanted: dict[str, set[str]] = {}
    for info, table_spec in zip(infos, specs):
        by_wire = {fk.wire: fk.parent for fk in table_spec.foreign_keys.values()}
        for f in info.fields:
            parent = by_wire.get(f.name)
            if parent is None:
                continue
            for value in (f.local, f.incoming):
                if isinstance(value, str):
                    wanted.setdefault(parent, set()).add(value)
    labels: dict[str, str] = {}
    for parent, uuids in wanted.items():
        found = load_local(session, SPECS[parent], sorted(uuids))
        for uuid in uuids:
            if uuid in found:
                labels[uuid] = label_of(SPECS[parent], found[uuid][1]["data"], uuid)
            else:
                labels[uuid] = f"(registro que no existe aquí: {uuid[:8]}…)"
    return labels


def load_conflicts(session: Session, include_resolved: bool = False) -> list[ConflictRow]:
    """The conflicts as the panel shows them (worker thread)."""
    from models.exchange.tables import SPECS

    infos = list_conflicts(session, include_resolved=include_resolved)
    specs = [SPECS[i.table] for i in infos]
    refs = _reference_labels(session, specs, infos) if infos else {}
    out = []
    for info, spec in zip(infos, specs):
        columns = {spec.wire_name(c.name): c for c in spec.data_columns}
        fk_fields = {fk.wire for fk in spec.foreign_keys.values()}
        rows = []
        for f in info.fields:
            column = columns.get(f.name)
            enum_labels = {}
            if column is not None and isinstance(column.type, Enum) and column.type.enum_class is not None:
                enum_labels = {m.value: getattr(m, "label", m.value) for m in column.type.enum_class}
            if f.name == DELETED_FIELD:
                local = f"Sí, el {local_time(datetime.fromisoformat(f.local))}" if f.local else "No (activo)"
                incoming = f"Sí, el {local_time(datetime.fromisoformat(f.incoming))}" if f.incoming else "No (activo)"
            elif f.name == "weekday" and isinstance(f.local, int) and isinstance(f.incoming, int):
                local, incoming = (WEEKDAYS[v % 7] for v in (f.local, f.incoming))
            else:
                names = refs if f.name in fk_fields else None
                local = _value_text(f.local, column, enum_labels, names)
                incoming = _value_text(f.incoming, column, enum_labels, names)
            label = FIELD_LABELS.get(f.name, f.name.replace("_", " "))
            rows.append(FieldRow(f.name, label, local, incoming, f.differs))
        out.append(ConflictRow(info.id, info.table_label, info.label, info.peer_label, info.detected_at,
                               info.local_version, info.incoming_version, info.local_changed_by,
                               info.incoming_changed_by, info.open, info.resolution, info.resolved_by,
                               info.resolved_at, rows))
    return out


# ------------------------------------------------------------------------------------------------ field choices

class ConflictFieldsModel(QAbstractTableModel):
    """Campo | Versión local | Versión entrante. On a field that differs, the two value cells are a pair of
    exclusive check boxes: the checked one is the version the field takes (highlighted)."""

    HEADERS = ("Campo", "Versión local", "Versión entrante")
    choice_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[FieldRow] = []
        self.choice: dict[str, str] = {}  # differing field → LOCAL | INCOMING
        self.editable = False
        self.conflict_id: int | None = None

    def set_conflict(self, conflict: ConflictRow | None, show_equal: bool = False) -> None:
        self.beginResetModel()
        self.rows = [] if conflict is None else [f for f in conflict.fields if f.differs or show_equal]
        if conflict is None or not conflict.open:
            self.choice, self.editable = {}, False
        else:
            kept = self.choice if conflict.id == self.conflict_id else {}  # a new reading of the same one
            self.choice = {f.name: kept.get(f.name, LOCAL) for f in conflict.differing}
            self.editable = True
        self.conflict_id = None if conflict is None else conflict.id
        self.endResetModel()

    def set_all(self, side: str) -> None:
        for name in self.choice:
            self.choice[name] = side
        if self.rows:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self.rows) - 1, 2))
        self.choice_changed.emit()

    def rowCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 3:
            return self.HEADERS[section]
        return None

    def _side(self, column: int) -> str | None:
        return {1: LOCAL, 2: INCOMING}.get(column)

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        row = self.rows[index.row()]
        if self.editable and row.differs and self._side(index.column()):
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        row, column = self.rows[index.row()], index.column()
        side = self._side(column)
        chosen = side is not None and self.choice.get(row.name) == side
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.label, row.local, row.incoming)[column]
        if role == Qt.ItemDataRole.CheckStateRole and side and self.editable and row.differs:
            return Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.BackgroundRole and chosen:
            return QBrush(CHOSEN)
        if role == Qt.ItemDataRole.ForegroundRole and (not row.differs or (side and self.editable and not chosen)):
            return QBrush(QColor("#707070"))
        if role == Qt.ItemDataRole.FontRole and column == 0 and row.differs:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 0:
                return f"{row.label} ({row.name})" + ("" if row.differs else ": igual en las dos versiones")
            return (row.label, row.local, row.incoming)[column]
        return None

    def choose(self, index: QModelIndex) -> bool:
        """A click anywhere on a value cell takes that version for the field (like a radio button)."""
        return self.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):  # noqa: N802
        """Checking a value cell chooses that version for the field; unchecking it chooses the other one."""
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        row, side = self.rows[index.row()], self._side(index.column())
        if not (self.editable and row.differs and side):
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        other = INCOMING if side == LOCAL else LOCAL
        self.choice[row.name] = side if checked else other
        self.dataChanged.emit(self.index(index.row(), 1), self.index(index.row(), 2))
        self.choice_changed.emit()
        return True


# ------------------------------------------------------------------------------------------------ the panel

class ConflictsPanel(QWidget):
    """«Conflictos»: open conflicts (and, on demand, resolved ones); the selected one field by field."""

    count_changed = Signal(int)  # open conflicts
    status_message = Signal(str)

    LIST_HEADERS = ("N.º", "Tabla", "Registro", "Oficina", "Detectado", "Campos distintos", "Estado")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.conflicts: list[ConflictRow] = []
        self.open_count = 0
        self.confirm_box: QMessageBox | None = None
        self._pending_choice = None
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.count_label = QLabel("")
        self.count_label.setObjectName("countLabel")
        self.show_resolved = QCheckBox("Mostrar &resueltos")
        self.show_resolved.setToolTip("Incluir en la lista los conflictos ya decididos, con quién y cómo los resolvió")
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.show_resolved)
        layout.addLayout(bar)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.list_model = RowsModel(self.LIST_HEADERS, numeric=(0, 5), parent=self)
        self.list_view = table_view(self.list_model, stretch=2)
        self.splitter.addWidget(self.list_view)

        details = QWidget()
        dv = QVBoxLayout(details)
        dv.setContentsMargins(0, 6, 0, 0)
        self.heading = QLabel("Elija un conflicto de la lista para ver las dos versiones.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        dv.addWidget(self.heading)
        self.hint = QLabel("En cada campo pulse la versión que debe quedar (queda marcada y resaltada) y luego "
                           "«Aplicar combinación», o conserve una versión completa. La decisión queda en la bitácora "
                           "y viaja a la otra oficina en el siguiente paquete.")
        self.hint.setObjectName("formHint")
        self.hint.setWordWrap(True)
        dv.addWidget(self.hint)
        self.show_equal = QCheckBox("Mostrar también los campos &iguales")
        dv.addWidget(self.show_equal)
        self.fields_model = ConflictFieldsModel(self)
        self.fields_view = table_view(self.fields_model)
        self.fields_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.fields_view.setWordWrap(True)
        header = self.fields_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        dv.addWidget(self.fields_view, 1)
        self.error_label = QLabel()
        self.error_label.setObjectName("fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        dv.addWidget(self.error_label)
        buttons = QHBoxLayout()
        self.keep_local_button = QPushButton("Conservar &local")
        self.keep_local_button.setToolTip("Quedarse con la versión de esta oficina en todos los campos")
        self.take_incoming_button = QPushButton("Tomar &entrante")
        self.take_incoming_button.setToolTip("Quedarse con la versión de la otra oficina en todos los campos")
        self.merge_button = QPushButton("Aplicar &combinación")
        self.merge_button.setObjectName("primary")
        self.merge_button.setToolTip("Guardar, campo por campo, la versión marcada en la tabla")
        buttons.addStretch(1)
        for button in (self.keep_local_button, self.take_incoming_button, self.merge_button):
            buttons.addWidget(button)
        dv.addLayout(buttons)
        self.splitter.addWidget(details)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([220, 420])
        layout.addWidget(self.splitter, 1)

        self.show_resolved.toggled.connect(lambda _on: self.reload())
        self.show_equal.toggled.connect(lambda _on: self._show_selected())
        self.fields_view.clicked.connect(self.fields_model.choose)
        self.list_view.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_selected())
        self.keep_local_button.clicked.connect(lambda: self.ask(LOCAL))
        self.take_incoming_button.clicked.connect(lambda: self.ask(INCOMING))
        self.merge_button.clicked.connect(lambda: self.ask(dict(self.fields_model.choice)))
        self._update_buttons()

    def restore_settings(self) -> None:
        state = self.ctx.settings.get(CONFLICTS_SPLITTER)
        if not state.isEmpty():
            self.splitter.restoreState(state)

    def save_settings(self) -> None:
        self.ctx.settings.set(CONFLICTS_SPLITTER, self.splitter.saveState())

    # ---- loading ----------------------------------------------------------------------------------------
    def reload(self, select_id: int | None = None) -> None:
        """Read the conflicts again (worker thread), keeping the selection when it is still listed."""
        include = self.show_resolved.isChecked()
        keep = select_id if select_id is not None else self.selected_id()
        self.ctx.run_read(lambda s: load_conflicts(s, include_resolved=include),
                          lambda rows: self._loaded(rows, include, keep), self._failed)

    def _loaded(self, rows: list[ConflictRow], include_resolved: bool, keep: int | None) -> None:
        self.open_count = sum(1 for r in rows if r.open)
        self.conflicts = rows
        table, muted, tips = [], [], []
        for i, c in enumerate(self.conflicts):
            if c.open:
                state = "Pendiente"
            else:
                state = (f"Resuelto ({SHORT_RESOLUTIONS.get(c.resolution, c.resolution)}) por {c.resolved_by} "
                         f"el {local_time(c.resolved_at)}")
                muted.append(i)
            table.append((str(c.id), c.table_label, c.label, c.peer_name, local_time(c.detected_at),
                          str(len(c.differing)), state))
            tips.append(f"Versión local {c.local_version} ({c.local_changed_by}); versión entrante "
                        f"{c.incoming_version} ({c.incoming_changed_by})")
        self.list_model.set_rows(table, muted=muted, tips=tips)
        self.list_view.resizeColumnsToContents()
        resolved = len(rows) - self.open_count
        text = ("No hay conflictos pendientes." if not self.open_count else
                "1 conflicto pendiente de decidir." if self.open_count == 1 else
                f"{self.open_count} conflictos pendientes de decidir.")
        if include_resolved and resolved:
            text += f" {resolved} resuelto{'s' if resolved != 1 else ''}."
        self.count_label.setText(text)
        ids = [c.id for c in self.conflicts]
        if keep in ids:
            self.list_view.selectRow(ids.index(keep))
        elif ids:
            self.list_view.selectRow(0)
        self._show_selected()
        self.count_changed.emit(self.open_count)

    def selected_id(self) -> int | None:
        conflict = self.selected()
        return conflict.id if conflict else None

    def selected(self) -> ConflictRow | None:
        index = self.list_view.selectionModel().currentIndex()
        if not index.isValid() or index.row() >= len(self.conflicts):
            return None
        return self.conflicts[index.row()]

    def select_conflict(self, conflict_id: int) -> bool:
        ids = [c.id for c in self.conflicts]
        if conflict_id not in ids:
            return False
        self.list_view.selectRow(ids.index(conflict_id))
        return True

    def _show_selected(self) -> None:
        c = self.selected()
        self.error_label.hide()
        if c is None:
            self.heading.setText("No hay conflictos que mostrar." if not self.conflicts else
                                 "Elija un conflicto de la lista para ver las dos versiones.")
            self.fields_model.set_conflict(None)
            self._update_buttons()
            return
        head = (f"<b>Conflicto n.º {c.id} · {c.table_label}: {c.label}</b><br>"
                f"Versión local {c.local_version}, modificada por {c.local_changed_by or '—'} · "
                f"versión entrante de {c.peer_name} {c.incoming_version}, "
                f"modificada por {c.incoming_changed_by or '—'}")
        if not c.open:
            head += (f"<br>Resuelto el {local_time(c.resolved_at)} por {c.resolved_by}: "
                     f"{RESOLUTIONS.get(c.resolution, c.resolution)}.")
        self.heading.setText(head)
        self.hint.setVisible(c.open)
        self.fields_model.set_conflict(c, self.show_equal.isChecked())
        self.fields_view.resizeRowsToContents()
        self._update_buttons()

    def _update_buttons(self) -> None:
        c = self.selected()
        enabled = c is not None and c.open and self.confirm_box is None
        for button in (self.keep_local_button, self.take_incoming_button, self.merge_button):
            button.setEnabled(enabled)

    # ---- deciding ---------------------------------------------------------------------------------------
    def describe(self, conflict: ConflictRow, choice) -> str:
        """The confirmation question for a choice, in Spanish."""
        what = f"«{conflict.label}» ({conflict.table_label})"
        if choice == LOCAL:
            head = f"¿Conservar la versión local de {what}?"
        elif choice == INCOMING:
            head = f"¿Tomar la versión de {conflict.peer_name} para {what}?"
        else:
            by_name = {f.name: f for f in conflict.fields}
            parts = []
            for name, side in choice.items():
                f = by_name.get(name)
                if f is not None:
                    value = f.incoming if side == INCOMING else f.local
                    parts.append(f"• {f.label}: {value} ({'entrante' if side == INCOMING else 'local'})")
            head = f"¿Guardar esta combinación para {what}?\n\n" + "\n".join(parts)
        return (head + "\n\nEl resultado se guarda como una nueva versión del registro, la decisión queda en la "
                f"bitácora y viaja a {conflict.peer_name} en el siguiente paquete.")

    def ask(self, choice) -> QMessageBox | None:
        """Confirm a decision without blocking: the answer arrives in ``_answered``."""
        conflict = self.selected()
        if conflict is None or not conflict.open or self.confirm_box is not None:
            return None
        box = QMessageBox(QMessageBox.Icon.Question, "Resolver conflicto", self.describe(conflict, choice),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.button(QMessageBox.StandardButton.Yes).setText("Resolver")
        box.button(QMessageBox.StandardButton.Cancel).setText("Cancelar")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm_box = box
        self._pending_choice = (conflict.id, choice)
        box.finished.connect(self._answered)
        self._update_buttons()
        box.open()
        return box

    def _answered(self, _result: int) -> None:
        box, self.confirm_box = self.confirm_box, None
        pending, self._pending_choice = self._pending_choice, None
        yes = box is not None and box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Yes
        if box is not None:
            box.deleteLater()
        self._update_buttons()
        if yes and pending is not None:
            self.resolve(*pending)

    def resolve(self, conflict_id: int, choice) -> None:
        """Write the decision (write task); then read the list again."""
        from models.exchange import resolve_conflict

        user = self.ctx.username
        for button in (self.keep_local_button, self.take_incoming_button, self.merge_button):
            button.setEnabled(False)
        self.ctx.run_write(lambda s: resolve_conflict(s, conflict_id, choice, user=user), self._resolved,
                           self._failed, label="Guardando la decisión…", parent=self)

    def _resolved(self, info) -> None:
        how = {LOCAL: "se conservó la versión local", INCOMING: f"se tomó la versión de {info.peer_label}"}.get(
            info.resolution, "se guardó la combinación elegida")
        self.status_message.emit(f"Conflicto n.º {info.id} resuelto ({info.table_label}: {info.label}): {how}.")
        self.reload()

    def _failed(self, failure: TaskFailure) -> None:
        self._update_buttons()
        if isinstance(failure.exception, EXPECTED_ERRORS):
            self.error_label.setText(str(failure.exception))
            self.error_label.show()
            self.status_message.emit(str(failure.exception))
            return
        from gui.dialogs.error_dialog import show_failure

        show_failure(self, failure)
