"""Forms of the Regions page. None of them writes: each emits ``submitted(...)`` and stays open; the page runs
the write and then closes it (``accept()``) or shows the service's Spanish message inside it
(``show_error``/``show_errors``). They are opened with ``open()`` (window-modal, never a blocking exec)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from gui.item_models.regions import RowsTableModel, TableColumn


class FormDialog(QDialog):
    """Base: a body, a general error line and OK/Cancel, where OK emits ``submitted`` instead of closing."""

    submitted = Signal(object)

    def __init__(self, title: str, ok_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.body = QVBoxLayout()
        self.layout_.addLayout(self.body, 1)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setObjectName("primary")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancelar")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)

    def values(self) -> object:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def submit(self) -> None:
        """Emit the values (the page writes them); a local check may refuse first."""
        message = self.check()
        if message:
            self.show_error(message)
            return
        self.show_error("")
        self.submitted.emit(self.values())

    def check(self) -> str:
        """A Spanish message when the form cannot be sent as it is, else empty."""
        return ""

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self._fit_height()

    def _fit_height(self) -> None:
        """Grow (never shrink) to show messages that just appeared, wrapped at the current width."""
        layout = self.layout()
        layout.activate()
        needed = layout.heightForWidth(self.width()) if layout.hasHeightForWidth() else layout.sizeHint().height()
        if needed > self.height():
            self.resize(self.width(), needed)

    def show_errors(self, errors: dict[str, str]) -> None:
        self.show_error("\n".join(dict.fromkeys(errors.values())))


class NameDialog(FormDialog):
    """Name (and optional key) of a region, zone or team; optionally the region it goes in."""

    def __init__(self, title: str, label: str, name: str = "", *, code: str | None = None,
                 choices: Sequence[tuple[int, str]] = (), choice_label: str = "", current_choice: int | None = None,
                 ok_text: str = "Guardar", hint: str = "", parent: QWidget | None = None):
        super().__init__(title, ok_text, parent)
        form = QFormLayout()
        self.choice: QComboBox | None = None
        if choices:
            self.choice = QComboBox()
            for value, text in choices:
                self.choice.addItem(text, value)
            if current_choice is not None:
                self.choice.setCurrentIndex(max(self.choice.findData(current_choice), 0))
            form.addRow(choice_label, self.choice)
        self.name = QLineEdit(name)
        self.name.setMinimumWidth(320)
        self.name.setMaxLength(120)
        form.addRow(label, self.name)
        self.code: QLineEdit | None = None
        if code is not None:
            self.code = QLineEdit(code)
            self.code.setMaxLength(20)
            self.code.setPlaceholderText("opcional")
            form.addRow("Clave:", self.code)
        self.body.addLayout(form)
        if hint:
            note = QLabel(hint)
            note.setObjectName("formHint")
            note.setWordWrap(True)
            self.body.addWidget(note)
        self.name.selectAll()
        self.name.setFocus()

    def check(self) -> str:
        return "" if self.name.text().strip() else "Escriba el nombre."

    def values(self) -> tuple[str, str, int | None]:
        """(name, key, chosen id)."""
        return (self.name.text(), self.code.text() if self.code else "",
                self.choice.currentData() if self.choice else None)


class RetireDialog(FormDialog):
    """Confirmation before retiring a region or zone, asking where its contents go when it has any."""

    def __init__(self, title: str, text: str, *, targets: Sequence[tuple[int, str]] = (), move_label: str = "",
                 none_label: str = "", ask: bool = True, parent: QWidget | None = None):
        super().__init__(title, "Dar de baja", parent)
        self.message = QLabel(text)
        self.message.setWordWrap(True)
        self.message.setMinimumWidth(420)
        self.body.addWidget(self.message)
        self.move_radio = QRadioButton(move_label)
        self.none_radio = QRadioButton(none_label)
        self.target = QComboBox()
        self.ask = ask
        if ask:
            group = QButtonGroup(self)
            for radio in (self.move_radio, self.none_radio):
                group.addButton(radio)
            for value, label in targets:
                self.target.addItem(label, value)
            self.body.addWidget(self.move_radio)
            row = QVBoxLayout()
            row.setContentsMargins(24, 0, 0, 0)
            row.addWidget(self.target)
            self.body.addLayout(row)
            if none_label:
                self.body.addWidget(self.none_radio)
            else:
                self.none_radio.hide()
            self.move_radio.setEnabled(bool(targets))
            self.target.setEnabled(bool(targets))
            (self.move_radio if targets else self.none_radio).setChecked(True)
            self.move_radio.toggled.connect(self.target.setEnabled)
        note = QLabel("Se puede deshacer con Ctrl+Z mientras la página siga abierta.")
        note.setObjectName("formHint")
        self.body.addWidget(note)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)

    def check(self) -> str:
        if self.ask and not (self.move_radio.isChecked() or self.none_radio.isChecked()):
            return "Indique a dónde pasan."
        if self.ask and self.move_radio.isChecked() and self.target.currentData() is None:
            return "Elija el destino."
        return ""

    def values(self) -> int | None:
        """The target id, or None (no target: leave unassigned / retire with it)."""
        if self.ask and self.move_radio.isChecked():
            return self.target.currentData()
        return None


@dataclass(frozen=True)
class Choice:
    """One row of a :class:`PickDialog`: an id (None is a valid choice, e.g. «ninguno»), label and detail."""

    id: int | None
    label: str
    detail: str = ""
    extra: str = ""


class PickDialog(FormDialog):
    """Pick one (or several) rows of a searchable list: a hospital, a zone, establishments."""

    def __init__(self, title: str, prompt: str, choices: Sequence[Choice], *, multi: bool = False,
                 headers: tuple[str, str, str] = ("Nombre", "Detalle", ""), current: int | None = None,
                 ok_text: str = "Aceptar", parent: QWidget | None = None):
        super().__init__(title, ok_text, parent)
        label = QLabel(prompt)
        label.setWordWrap(True)
        self.body.addWidget(label)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Buscar…")
        self.search.setClearButtonEnabled(True)
        self.body.addWidget(self.search)
        columns = [TableColumn(headers[0], lambda c: c.label, width=300), TableColumn(headers[1], lambda c: c.detail, width=190)]
        if headers[2]:
            columns.append(TableColumn(headers[2], lambda c: c.extra, width=190))
        self.model = RowsTableModel(columns, key=lambda c: c.id if c.id is not None else -1, parent=self)
        self.model.set_rows(choices)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection if multi
                                   else QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        header.setHighlightSections(False)
        for i, column in enumerate(columns):
            self.view.setColumnWidth(i, column.width)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.body.addWidget(self.view, 1)
        self.search.textChanged.connect(self.model.set_search)
        self.view.doubleClicked.connect(lambda _i: self.submit())
        self.resize(max(640, sum(c.width for c in columns) + 70), 480)
        if current is not None:
            self.select(current)
        elif self.model.rowCount():
            self.view.selectRow(0)
        self.search.setFocus()

    def select(self, choice_id: int | None) -> bool:
        row = self.model.row_of_key(choice_id if choice_id is not None else -1)
        if row is None:
            return False
        index = self.model.index(row, 0)
        self.view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.view.scrollTo(index)
        return True

    def chosen(self) -> list[Choice]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [self.model.row_at(r) for r in rows]

    def check(self) -> str:
        return "" if self.chosen() else "Elija una opción de la lista."

    def values(self) -> list[int | None]:
        return [c.id for c in self.chosen()]


class MemberDialog(FormDialog):
    """A supervision-team member: name, role and phone, each with its message under it."""

    def __init__(self, title: str, full_name: str = "", role: str = "", phone: str = "", parent: QWidget | None = None):
        super().__init__(title, "Guardar", parent)
        form = QFormLayout()
        self.full_name = QLineEdit(full_name)
        self.full_name.setMinimumWidth(320)
        self.role = QLineEdit(role)
        self.role.setPlaceholderText("p. ej. Supervisor médico zonal")
        self.phone = QLineEdit(phone)
        self.phone.setPlaceholderText("p. ej. 686 555 1234 ext. 12")
        self._errors: dict[str, QLabel] = {}
        for key, label, edit in (("full_name", "Nombre completo:", self.full_name), ("role", "Cargo:", self.role),
                                 ("phone", "Teléfono:", self.phone)):
            form.addRow(label, edit)
            err = QLabel("")
            err.setObjectName("fieldError")
            err.setWordWrap(True)
            err.hide()
            form.addRow("", err)
            self._errors[key] = err
        self.body.addLayout(form)
        self.full_name.setFocus()

    def check(self) -> str:
        return "" if self.full_name.text().strip() else "Escriba el nombre del integrante."

    def show_errors(self, errors: dict[str, str]) -> None:
        for key, label in self._errors.items():
            label.setText(errors.get(key, ""))
            label.setVisible(key in errors)
        other = [m for k, m in errors.items() if k not in self._errors]
        self.show_error("\n".join(other))

    def values(self) -> tuple[str, str, str]:
        return self.full_name.text(), self.role.text(), self.phone.text()
