"""Editors shared by the weekend-opening dialogs: the weekday × shift grid, staff and interruption rows,
date boxes with "no date", and per-field Spanish error lines."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, time

from PySide6.QtCore import QDate, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTimeEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from models.enums import ShiftKind, StaffRole
from models.services.weekend import InterruptionData, ShiftData, StaffData

NO_DATE = QDate(1899, 12, 31)
DAY_NAMES = ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo")
KINDS = tuple(k.value for k in ShiftKind)
KIND_HEADERS = {"MATUTINO": "Matutino", "VESPERTINO": "Vespertino", "NOCTURNO": "Nocturno",
                "JORNADA_ACUMULADA": "Jornada acumulada\n(sólo sábado y domingo)"}
DEFAULT_HOURS = {"MATUTINO": (time(8), time(14)), "VESPERTINO": (time(14), time(20)),
                 "NOCTURNO": (time(20), time(8)), "JORNADA_ACUMULADA": (time(8), time(20))}
CONTRACT_TYPES = ("", "BASE", "EVENTUAL", "CONFIANZA", "HONORARIOS", "SUPLENCIA")


# ------------------------------------------------------------------------------------------------
# Small helpers shared by the weekend dialogs
# ------------------------------------------------------------------------------------------------

def date_edit(empty_text: str = "Sin fecha") -> QDateEdit:
    """A dd/MM/yyyy date box with a calendar whose lowest value means "no date"."""
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText(empty_text)
    edit.setDate(NO_DATE)
    return edit


def get_date(edit: QDateEdit) -> date | None:
    qd = edit.date()
    return None if qd == NO_DATE else date(qd.year(), qd.month(), qd.day())


def set_date(edit: QDateEdit, value: date | None) -> None:
    edit.setDate(NO_DATE if value is None else QDate(value.year, value.month, value.day))


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def mark_invalid(widget: QWidget, invalid: bool) -> None:
    """Red border from the style sheet (``[invalid="true"]``)."""
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldError")
    label.setWordWrap(True)
    label.hide()
    return label


def show_message(label: QLabel, message: str | None) -> None:
    label.setText(message or "")
    label.setVisible(bool(message))


def shift_text(weekday: int, kind: str, starts: time | None = None, ends: time | None = None) -> str:
    """«lunes, matutino 08:00-14:00»."""
    text = ShiftData(weekday, kind, starts, ends).label()
    return f"{text} {ShiftData(weekday, kind, starts, ends).hours()}" if starts or ends else text


# ------------------------------------------------------------------------------------------------
# The weekday × shift grid
# ------------------------------------------------------------------------------------------------

class ShiftCell(QWidget):
    """One weekday and shift kind: a check box ("opens") and the start and end hours."""

    changed = Signal()

    def __init__(self, weekday: int, kind: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.weekday, self.kind, self.id = weekday, kind, None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(3)
        self.check = QCheckBox()
        self.check.setToolTip(f"Abre el {DAY_NAMES[weekday].lower()} en turno {ShiftKind(kind).label.lower()}")
        self.check.setAccessibleName(f"{DAY_NAMES[weekday]}, {ShiftKind(kind).label.lower()}")
        self.start, self.end = QTimeEdit(), QTimeEdit()
        starts, ends = DEFAULT_HOURS[kind]
        for edit, value, what in ((self.start, starts, "inicio"), (self.end, ends, "término")):
            edit.setDisplayFormat("HH:mm")
            edit.setTime(QTime(value.hour, value.minute))
            edit.setToolTip(f"Hora de {what}")
            edit.setEnabled(False)
            edit.timeChanged.connect(lambda _t: self.changed.emit())
        row.addWidget(self.check)
        row.addWidget(self.start)
        row.addWidget(QLabel("a"))
        row.addWidget(self.end)
        row.addStretch(1)
        self.check.toggled.connect(self._toggled)

    def _toggled(self, on: bool) -> None:
        self.start.setEnabled(on)
        self.end.setEnabled(on)
        self.changed.emit()

    def is_checked(self) -> bool:
        return self.check.isChecked()

    def value(self) -> ShiftData | None:
        if not self.check.isChecked():
            return None
        s, e = self.start.time(), self.end.time()
        return ShiftData(self.weekday, self.kind, time(s.hour(), s.minute()), time(e.hour(), e.minute()), self.id)

    def set_value(self, shift: ShiftData | None) -> None:
        self.id = shift.id if shift else None
        if shift is not None:
            for edit, value in ((self.start, shift.starts_at), (self.end, shift.ends_at)):
                if value is not None:
                    edit.setTime(QTime(value.hour, value.minute))
        self.check.setChecked(shift is not None)
        self._toggled(shift is not None)

    def set_invalid(self, invalid: bool) -> None:
        for widget in (self.start, self.end):
            mark_invalid(widget, invalid)


class ShiftGrid(QWidget):
    """Monday–Sunday rows × shift-kind columns; an error line under each weekday row."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # The application style sheet marks QLineEdit/QComboBox/QDateEdit; hours need the same red border.
        self.setStyleSheet('QTimeEdit[invalid="true"] { border: 1px solid #b00020; }')
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(3)
        grid.setContentsMargins(4, 4, 4, 4)
        for column, kind in enumerate(KINDS, start=1):
            header = QLabel(KIND_HEADERS[kind])
            header.setObjectName("gridHeader")
            header.setStyleSheet("font-weight: 600;")
            grid.addWidget(header, 0, column)
        self.cells: dict[tuple[int, str], ShiftCell] = {}
        self.day_errors: list[QLabel] = []
        self._dashes: dict[int, QLabel] = {}
        for day in range(7):
            label = QLabel(DAY_NAMES[day])
            label.setStyleSheet("font-weight: 600;")
            grid.addWidget(label, 1 + 2 * day, 0)
            for column, kind in enumerate(KINDS, start=1):
                cell = ShiftCell(day, kind)
                cell.changed.connect(self.changed)
                self.cells[day, kind] = cell
                grid.addWidget(cell, 1 + 2 * day, column)
                if kind == ShiftKind.JORNADA_ACUMULADA and day < 5:
                    # Only on Saturday and Sunday: a dash instead of the editors (shown again only if a stored
                    # record has one on a weekday, so that it can be unchecked).
                    cell.setEnabled(False)
                    cell.hide()
                    dash = QLabel("—")
                    dash.setToolTip("La jornada acumulada es sólo de fin de semana (sábado y domingo).")
                    dash.setStyleSheet("color: #8a8a8a;")
                    grid.addWidget(dash, 1 + 2 * day, column)
                    self._dashes[day] = dash
            err = error_label()
            grid.addWidget(err, 2 + 2 * day, 0, 1, len(KINDS) + 1)
            self.day_errors.append(err)
        grid.setColumnStretch(len(KINDS) + 1, 1)
        grid.setRowStretch(1 + 2 * 7, 1)  # rows keep their height; spare room goes below

    def cell(self, weekday: int, kind: str | ShiftKind) -> ShiftCell:
        return self.cells[weekday, str(kind)]

    def shifts(self) -> list[ShiftData]:
        """Checked cells in weekday, then kind order (the order ``load_schedules`` reads them)."""
        return [v for day in range(7) for kind in KINDS if (v := self.cells[day, kind].value()) is not None]

    def set_shifts(self, shifts: list[ShiftData]) -> None:
        given = {(s.weekday, s.kind): s for s in shifts}
        for key, cell in self.cells.items():
            shift = given.get(key)
            if shift is not None and not cell.isEnabled():  # a stored accumulated shift on a weekday
                cell.setEnabled(True)
                cell.show()
                self._dashes[key[0]].hide()
            cell.set_value(shift)

    def copy_day(self, source: int, targets=range(7)) -> None:
        """Give other weekdays the same shifts and hours as ``source`` (where the kind is allowed)."""
        for day in targets:
            if day == source:
                continue
            for kind in KINDS:
                src, dst = self.cells[source, kind], self.cells[day, kind]
                if not dst.isEnabled():
                    continue
                value = src.value()
                dst.set_value(replace(value, weekday=day, id=dst.id) if value else None)

    def show_errors(self, errors: dict[tuple[int, str] | int, str]) -> None:
        """``errors`` keyed by (weekday, kind) or by weekday: one line under each day's row."""
        per_day: dict[int, list[str]] = {}
        bad: set[tuple[int, str]] = set()
        for key, message in errors.items():
            day = key[0] if isinstance(key, tuple) else key
            per_day.setdefault(day, []).append(message)
            if isinstance(key, tuple):
                bad.add(key)
        for day, label in enumerate(self.day_errors):
            show_message(label, "\n".join(dict.fromkeys(per_day.get(day, []))))
        for key, cell in self.cells.items():
            cell.set_invalid(key in bad)

    def has_errors(self) -> bool:
        return any(not label.isHidden() for label in self.day_errors)


def shift_errors(shifts: list[ShiftData], errors: dict[str, str]) -> tuple[dict, list[str]]:
    """Split ``shifts.N.field`` errors into grid keys (weekday, kind) and messages with no cell."""
    cells: dict[tuple[int, str] | int, str] = {}
    other: list[str] = []
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] != "shifts":
            continue
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        if 0 <= index < len(shifts) and 0 <= shifts[index].weekday <= 6:
            cells[shifts[index].weekday, shifts[index].kind] = message
        else:
            other.append(message)
    return cells, other


# ------------------------------------------------------------------------------------------------
# Staff and interruptions: one row of editors each, with its own error line
# ------------------------------------------------------------------------------------------------

STAFF_WIDTHS = (130, 0, 120, 112, 112, 215, 28)  # 0: stretches
STAFF_HEADERS = ("Función", "Nombre (vacío: vacante)", "Contratación", "Fecha de contratación", "Fecha de baja",
                 "Turno que cubre", "")
STOP_WIDTHS = (112, 112, 0, 28)
STOP_HEADERS = ("Desde", "Hasta", "Motivo", "")


def header_row(texts: tuple[str, ...], widths: tuple[int, ...]) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    for text, width in zip(texts, widths):
        label = QLabel(text)
        label.setStyleSheet("font-weight: 600;")
        label.setWordWrap(True)
        if width:
            label.setFixedWidth(width)
        row.addWidget(label, 0 if width else 1)
    return box


class _EditorRow(QWidget):
    """A row of editors with a remove button and an error line under it."""

    changed = Signal()
    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.fields: dict[str, QWidget] = {}
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip("Quitar esta fila")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self))
        self.error = error_label()

    def _place(self, widgets: list[QWidget], widths: tuple[int, ...]) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(1)
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        for widget, width in zip([*widgets, self.remove_button], widths):
            if width:
                widget.setFixedWidth(width)
            line.addWidget(widget, 0 if width else 1)
        outer.addLayout(line)
        outer.addWidget(self.error)

    def show_errors(self, errors: dict[str, str]) -> None:
        show_message(self.error, "\n".join(dict.fromkeys(errors.values())))
        for name, widget in self.fields.items():
            mark_invalid(widget, name in errors)


class StaffRow(_EditorRow):
    """Role, name (empty: vacancy), contract type, hire and leave dates, the shift covered."""

    def __init__(self, person: StaffData | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.role = QComboBox()
        for value, label in StaffRole.choices():
            self.role.addItem(label, value)
        self.name = QLineEdit()
        self.name.setPlaceholderText("VACANTE")
        self.name.setMaxLength(200)
        self.contract = QComboBox()
        self.contract.setEditable(True)
        self.contract.addItems(CONTRACT_TYPES)
        self.contract.lineEdit().setMaxLength(80)
        self.hired, self.left = date_edit(), date_edit()
        self.left.setToolTip("Último día trabajado (vacío: sigue asignado)")
        self.shift = QComboBox()
        self.shift.setToolTip("«Todos los turnos»: cubre cualquier turno de la unidad")
        self._place([self.role, self.name, self.contract, self.hired, self.left, self.shift], STAFF_WIDTHS)
        self.fields = {"role": self.role, "full_name": self.name, "contract_type": self.contract,
                       "hired_on": self.hired, "left_on": self.left, "shift": self.shift}
        self.id: int | None = None
        self.shift_key: tuple[int, str] | None = None  # the shift this person is tied to (None: all)
        self._choices: list[tuple[int, str] | None] = []
        self.set_shift_choices([])
        if person is not None:
            self.id = person.id
            self.role.setCurrentIndex(max(self.role.findData(person.role), 0))
            self.name.setText(person.full_name)
            self.contract.setCurrentText(person.contract_type)
            set_date(self.hired, person.hired_on)
            set_date(self.left, person.left_on)
        for signal in (self.role.currentIndexChanged, self.name.textChanged, self.contract.currentTextChanged,
                       self.hired.dateChanged, self.left.dateChanged):
            signal.connect(lambda *_: self.changed.emit())
        self.shift.currentIndexChanged.connect(self._shift_chosen)

    def _shift_chosen(self, index: int) -> None:
        if 0 <= index < len(self._choices):
            self.shift_key = self._choices[index]
            self.changed.emit()

    def set_shift_choices(self, shifts: list[ShiftData]) -> None:
        """Offer «Todos los turnos» and every shift of the grid; a tie to a shift no longer there stays
        visible, flagged, until the user picks another (saving it is refused with a message)."""
        self.shift.blockSignals(True)
        self.shift.clear()
        self._choices = [None]
        self.shift.addItem("Todos los turnos")
        for s in shifts:
            self._choices.append((s.weekday, s.kind))
            self.shift.addItem(shift_text(s.weekday, s.kind, s.starts_at, s.ends_at))
        if self.shift_key is not None and self.shift_key not in self._choices:
            self._choices.append(self.shift_key)
            self.shift.addItem(f"⚠ {shift_text(*self.shift_key)} (ya no está en el horario)")
        self.shift.setCurrentIndex(self._choices.index(self.shift_key))
        self.shift.blockSignals(False)

    def choose_shift(self, key: tuple[int, str] | None) -> None:
        """Tie the person to a shift of the grid (None: all shifts)."""
        self.shift.setCurrentIndex(self._choices.index(key))

    def value(self, shift_index: dict[tuple[int, str], int]) -> StaffData:
        # A tie to a shift the grid no longer has points past the end: check_schedule reports it.
        index = None if self.shift_key is None else shift_index.get(self.shift_key, len(shift_index))
        return StaffData(self.role.currentData(), self.name.text(), self.contract.currentText(),
                         get_date(self.hired), get_date(self.left), index, self.id)


class InterruptionRow(_EditorRow):
    """From, to (empty: still interrupted) and the reason."""

    def __init__(self, stop: InterruptionData | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.starts, self.ends = date_edit(), date_edit("Sigue")
        self.ends.setToolTip("Vacío: la unidad sigue sin abrir en fin de semana")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Motivo (obra, falta de personal, contingencia…)")
        self._place([self.starts, self.ends, self.reason], STOP_WIDTHS)
        self.fields = {"starts_on": self.starts, "ends_on": self.ends, "reason": self.reason}
        self.id = stop.id if stop else None
        if stop is not None:
            set_date(self.starts, stop.starts_on)
            set_date(self.ends, stop.ends_on)
            self.reason.setText(stop.reason)
        for signal in (self.starts.dateChanged, self.ends.dateChanged, self.reason.textChanged):
            signal.connect(lambda *_: self.changed.emit())

    def value(self) -> InterruptionData:
        return InterruptionData(get_date(self.starts), get_date(self.ends), self.reason.text(), self.id)


class RowList(QWidget):
    """A header, a growing list of editor rows and an «Agregar» button."""

    changed = Signal()  # any edit
    rows_changed = Signal()  # a row was added or removed

    def __init__(self, header: QWidget, make_row, add_text: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._make_row = make_row
        self.rows: list[_EditorRow] = []
        outer = QVBoxLayout(self)
        outer.addWidget(header)
        self._rows_box = QVBoxLayout()
        self._rows_box.setSpacing(4)
        outer.addLayout(self._rows_box)
        self.empty_label = QLabel("Sin registros.")
        self.empty_label.setObjectName("formHint")
        outer.addWidget(self.empty_label)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(add_text)
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        outer.addLayout(buttons)
        outer.addStretch(1)

    def add_row(self, item=None, focus: bool = False) -> _EditorRow:
        row = self._make_row(item)
        row.changed.connect(self.changed)
        row.remove_requested.connect(self.remove_row)
        self.rows.append(row)
        self._rows_box.addWidget(row)
        self.empty_label.setVisible(False)
        if focus:
            next(iter(row.fields.values())).setFocus()
        self.rows_changed.emit()
        self.changed.emit()
        return row

    def remove_row(self, row: _EditorRow) -> None:
        if row in self.rows:
            self.rows.remove(row)
            self._rows_box.removeWidget(row)
            row.hide()
            row.deleteLater()
            self.empty_label.setVisible(not self.rows)
            self.rows_changed.emit()
            self.changed.emit()

    def show_errors(self, errors: dict[int, dict[str, str]]) -> None:
        for i, row in enumerate(self.rows):
            row.show_errors(errors.get(i, {}))


def row_errors(errors: dict[str, str], prefix: str) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == prefix and len(parts) == 3 and parts[1].isdigit():
            out.setdefault(int(parts[1]), {})[parts[2]] = message
    return out
