"""«Bitácora»: the audit trail, filtered by user, dates and text (a CLUES, a folio, a record key), with the
before/after values of the selected entry and the verification of the hash chain. Read-only."""
from __future__ import annotations

import json
from datetime import datetime, time, timezone

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from gui.context import AppContext
from models.services import audit

HEADERS = ("Fecha y hora", "Usuario", "Acción", "Registro", "Clave del registro")
ALL_USERS = "Todos los usuarios"


def _local(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().strftime("%d/%m/%Y %H:%M:%S")


def _value(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class AuditModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[audit.AuditRow] = []

    def set_rows(self, rows: list[audit.AuditRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()):  # noqa: N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()):  # noqa: N802
        return len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or not index.isValid():
            return None
        r = self.rows[index.row()]
        return (_local(r.occurred_at), r.username, r.action.replace("_", " "), r.entity.replace("_", " "),
                r.entity_uuid or "")[index.column()]


class AuditPage(QWidget):
    """The audit trail page."""

    title = "Bitácora"
    status_message = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self._loaded = False
        layout = QVBoxLayout(self)
        heading = QLabel("Bitácora de auditoría")
        heading.setObjectName("pageTitle")
        layout.addWidget(heading)
        bar = QHBoxLayout()
        self.user = QComboBox()
        self.user.addItem(ALL_USERS, None)
        self.date_from = QDateEdit(QDate.currentDate().addMonths(-1))
        self.date_to = QDateEdit(QDate.currentDate())
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
        self.text = QLineEdit()
        self.text.setPlaceholderText("Buscar: CLUES, folio, clave del registro, acción…")
        self.text.setClearButtonEnabled(True)
        self.verify_button = QPushButton("&Verificar la cadena")
        for label, widget in (("Usuario:", self.user), ("Del:", self.date_from), ("al:", self.date_to)):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.text, 1)
        bar.addWidget(self.verify_button)
        layout.addLayout(bar)
        self.summary = QLabel("")
        layout.addWidget(self.summary)
        splitter = QSplitter(Qt.Orientation.Vertical)
        self.model = AuditModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.verticalHeader().setVisible(False)
        self.details = QTextBrowser()
        splitter.addWidget(self.view)
        splitter.addWidget(self.details)
        splitter.setSizes([420, 200])
        layout.addWidget(splitter, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.reload)
        self.text.textChanged.connect(self._debounce.start)
        self.user.currentIndexChanged.connect(self.reload)
        self.date_from.dateChanged.connect(self.reload)
        self.date_to.dateChanged.connect(self.reload)
        self.view.selectionModel().currentRowChanged.connect(self._show_details)
        self.verify_button.clicked.connect(self.verify)

    def save_settings(self) -> None:
        """Nothing to remember between sessions (the main window calls this on every page at close)."""

    def showEvent(self, event):  # noqa: N802
        super().showEvent(event)
        if not self._loaded:
            self._loaded = True
            self.reload()

    def _range(self) -> tuple[datetime, datetime]:
        start = datetime.combine(self.date_from.date().toPython(), time.min).astimezone(timezone.utc)
        end = datetime.combine(self.date_to.date().addDays(1).toPython(), time.min).astimezone(timezone.utc)
        return start, end

    def reload(self) -> None:
        username, (start, end), text = self.user.currentData(), self._range(), self.text.text()

        def work(session):
            return audit.search(session, username=username, start=start, end=end, text=text), audit.usernames(session)

        self.ctx.run_read(work, self._loaded_rows)

    def _loaded_rows(self, result) -> None:
        (rows, truncated), names = result
        current = self.user.currentData()
        self.user.blockSignals(True)
        self.user.clear()
        self.user.addItem(ALL_USERS, None)
        for name in names:
            self.user.addItem(name, name)
        self.user.setCurrentIndex(max(0, self.user.findData(current)) if current else 0)
        self.user.blockSignals(False)
        self.model.set_rows(rows)
        self.view.resizeColumnsToContents()
        self.summary.setText(f"{len(rows):,} entradas" + (f" (se muestran las {audit.SEARCH_LIMIT:,} más recientes; "
                                                           "acote la búsqueda)" if truncated else ""))
        self.details.clear()

    def _show_details(self, current: QModelIndex, _previous=None) -> None:
        if not current.isValid():
            self.details.clear()
            return
        r = self.model.rows[current.row()]
        lines = [f"<b>{r.action.replace('_', ' ').capitalize()}</b> de {r.entity.replace('_', ' ')} por "
                 f"<b>{r.username}</b>, {_local(r.occurred_at)} (entrada n.º {r.id})"]
        changes = r.changes()
        if changes:
            lines.append("<table cellpadding='3'><tr><th align='left'>Campo</th><th align='left'>Antes</th>"
                         "<th align='left'>Después</th></tr>")
            for name, before, after in changes:
                lines.append(f"<tr><td>{name}</td><td>{_value(before)}</td><td>{_value(after)}</td></tr>")
            lines.append("</table>")
        else:
            lines.append("<p>Sin valores registrados.</p>")
        self.details.setHtml("".join(lines))

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.ctx.run_read(audit.verify_chain, self._verified, label="Verificando la bitácora…", parent=self)

    def _verified(self, bad: list[int]) -> None:
        self.verify_button.setEnabled(True)
        if bad:
            text = ("La cadena de la bitácora NO está íntegra: las entradas n.º " + ", ".join(map(str, bad[:20]))
                    + (" …" if len(bad) > 20 else "") + " fueron alteradas, insertadas o les falta la anterior.")
        else:
            text = "La cadena de la bitácora está íntegra: ninguna entrada fue alterada ni eliminada."
        self.summary.setText(text)
        self.status_message.emit(text)
