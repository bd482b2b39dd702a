"""Weekend-opening dialogs besides the unit form: bulk schedule, bulk start date (all or nothing) and the
national office's target editor with the history of target changes."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui.context import AppContext
from gui.dialogs.weekend_editors import (
    ShiftGrid,
    date_edit,
    error_label,
    get_date,
    mark_invalid,
    set_date,
    shift_errors,
    show_message,
)
from gui.item_models.weekend import TargetHistoryModel, dmy
from gui.tasks import TaskFailure
from models.services import weekend as svc
from models.services.office import StateInfo
from models.services.weekend import ScheduleData, ShiftData, TargetInfo
from models.text import format_int
from models.validation import ValidationError

MAX_LISTED = 12  # CLUES named in the "applies to" line before «y N más»


def clues_list(clues: list[str]) -> str:
    """«BCIMB000101, BCIMB000102 y 3 más»."""
    shown = ", ".join(clues[:MAX_LISTED])
    return shown if len(clues) <= MAX_LISTED else f"{shown} y {format_int(len(clues) - MAX_LISTED)} más"


def failed_units_text(errors: dict[str, str]) -> str:
    """The Spanish message of an all-or-nothing bulk change that was refused, one line per CLUES."""
    lines = [f"No se aplicó el cambio a ninguna unidad (no se guardó nada). "
             f"{'La unidad siguiente impide' if len(errors) == 1 else f'Las {len(errors)} unidades siguientes impiden'} "
             "aplicarlo; corríjalas o quítelas de la selección:"]
    lines += [f"• {clues}: {message}" for clues, message in errors.items()]
    return "\n".join(lines)


class _BulkDialog(QDialog):
    """Applies one change to many units in one transaction; on refusal lists every failing CLUES.

    Emits ``applied(changed, previous)``: how many units changed and their schedules as they were (undo)."""

    applied = Signal(int, object)

    def __init__(self, ctx: AppContext, ids: list[int], clues: list[str], title: str, what: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.ids = list(ids)
        self.clues = list(clues)
        self.setWindowTitle(title)
        self.setModal(True)
        self.layout_ = QVBoxLayout(self)
        intro = QLabel(f"{what} <b>{format_int(len(ids))} {'unidad' if len(ids) == 1 else 'unidades'}</b>: "
                       f"{clues_list(self.clues)}.")
        intro.setWordWrap(True)
        self.layout_.addWidget(intro)
        self.body = QVBoxLayout()
        self.layout_.addLayout(self.body)
        self.failures = QPlainTextEdit()
        self.failures.setReadOnly(True)
        self.failures.setObjectName("bulkFailures")
        self.failures.setStyleSheet("QPlainTextEdit#bulkFailures { color: #b00020; background: #fff6f6; }")
        self.failures.setMaximumHeight(170)
        self.failures.hide()
        self.layout_.addWidget(self.failures)
        self.layout_.addStretch(1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.button(QDialogButtonBox.StandardButton.Apply)
        self.apply_button.setText("Aplicar a todas")
        self.apply_button.setObjectName("primary")
        self.apply_button.setToolTip("Aplicar (Ctrl+S)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancelar")
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.apply)

    def apply(self) -> None:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def run(self, change: Callable[[Session, list[int], str], int]) -> None:
        """Run ``change(session, ids, user)`` in one write transaction, keeping the schedules as they were."""
        ids, user = self.ids, self.ctx.username
        self.apply_button.setEnabled(False)

        def work(session: Session):
            previous = svc.load_schedules(session, ids)
            return change(session, ids, user), previous

        self.ctx.run_write(work, self._done, self._failed)

    def _done(self, result) -> None:
        self.apply_button.setEnabled(True)
        changed, previous = result
        self.applied.emit(changed, previous)
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self.apply_button.setEnabled(True)
        if isinstance(failure.exception, ValidationError):
            self.show_failures(failure.exception.errors)
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)

    def show_failures(self, errors: dict[str, str]) -> None:
        self.failures.setPlainText(failed_units_text(errors) if errors else "")
        self.failures.setVisible(bool(errors))

    def failure_text(self) -> str:
        return self.failures.toPlainText() if self.failures.isVisible() else ""


class BulkShiftsDialog(_BulkDialog):
    """«Aplicar horario…»: the same shifts for every selected unit (their staff stay)."""

    def __init__(self, ctx: AppContext, ids: list[int], clues: list[str], parent: QWidget | None = None):
        super().__init__(ctx, ids, clues, "Aplicar el mismo horario", "Se reemplazan los turnos de", parent)
        hint = QLabel("El personal y las interrupciones de cada unidad se conservan. Si alguien está asignado a un "
                      "turno que este horario quita, no se aplica a ninguna unidad hasta reasignarlo.")
        hint.setObjectName("formHint")
        hint.setWordWrap(True)
        self.body.addWidget(hint)
        self.grid = ShiftGrid()
        for day in range(7):  # the usual case to start from: a morning shift every day
            self.grid.cell(day, "MATUTINO").check.setChecked(True)
        self.body.addWidget(self.grid)
        row = QHBoxLayout()
        self.copy_monday_button = QPushButton("Copiar el lunes a todos los días")
        self.copy_monday_button.clicked.connect(lambda: self.grid.copy_day(0))
        row.addWidget(self.copy_monday_button)
        row.addStretch(1)
        self.body.addLayout(row)
        self.grid_error = error_label()
        self.body.addWidget(self.grid_error)
        self.resize(900, 480)

    def shifts(self) -> list[ShiftData]:
        return self.grid.shifts()

    def apply(self) -> None:
        shifts = self.shifts()
        errors = svc.check_schedule(ScheduleData(0, shifts=shifts))
        cells, loose = shift_errors(shifts, errors)
        if not shifts:
            loose.append("Marque al menos un turno: un horario vacío dejaría a las unidades sin turnos.")
        self.grid.show_errors(cells)
        show_message(self.grid_error, "\n".join(loose))
        if cells or loose:
            return
        self.run(lambda s, ids, user: svc.bulk_set_shifts(s, ids, shifts, user))


class BulkStartDateDialog(_BulkDialog):
    """«Fecha de inicio…»: the same weekend start date for every selected unit."""

    def __init__(self, ctx: AppContext, ids: list[int], clues: list[str], initial: date | None = None,
                 parent: QWidget | None = None):
        super().__init__(ctx, ids, clues, "Fecha de inicio en bloque", "Se cambia la fecha de inicio de", parent)
        row = QHBoxLayout()
        row.addWidget(QLabel("Abre en fin de semana desde:"))
        self.date = date_edit("Sin fecha (quitarla)")
        self.date.setMinimumWidth(170)
        set_date(self.date, initial or date.today())
        row.addWidget(self.date)
        row.addStretch(1)
        self.body.addLayout(row)
        hint = QLabel("Una unidad cuenta como abierta los 7 días sólo a partir de esta fecha.")
        hint.setObjectName("formHint")
        self.body.addWidget(hint)
        self.resize(640, 220)

    def set_value(self, value: date | None) -> None:
        set_date(self.date, value)

    def apply(self) -> None:
        value = get_date(self.date)
        self.run(lambda s, ids, user: svc.bulk_set_start_date(s, ids, value, user))


class TargetDialog(QDialog):
    """«Editar meta…» (national office only): a state's target of units and doctors from a date on, with
    the history of its targets. Each save adds a row to the history; the dialog stays open to show it."""

    saved = Signal(object)  # TargetInfo

    def __init__(self, ctx: AppContext, states: list[StateInfo], state_id: int | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Meta de apertura en fin de semana")
        self.setModal(True)
        self.setStyleSheet('QSpinBox[invalid="true"] { border: 1px solid #b00020; }')
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self._errors: dict[str, QLabel] = {}
        self._inputs: dict[str, QWidget] = {}
        self.state = QComboBox()
        for s in states:
            self.state.addItem(f"{s.name} (Bloque {s.weekend_block})" if s.weekend_block else s.name, s.id)
        self._field(form, "state_id", "Entidad:", self.state)
        self.units = QSpinBox()
        self.units.setRange(1, 100_000)
        self.units.setGroupSeparatorShown(True)
        self._field(form, "units_target", "Meta de unidades:", self.units)
        self.doctors = QSpinBox()
        self.doctors.setRange(-1, 100_000)
        self.doctors.setSpecialValueText("Una por unidad (sin cifra propia)")
        self.doctors.setGroupSeparatorShown(True)
        self._field(form, "doctors_target", "Meta de médicos:", self.doctors)
        self.effective = QDateEdit(QDate.currentDate())
        self.effective.setCalendarPopup(True)
        self.effective.setDisplayFormat("dd/MM/yyyy")
        self._field(form, "effective_from", "Vigente desde:", self.effective)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Motivo del cambio (oficio, acuerdo, corrección…)")
        self.reason.setMaxLength(1000)
        self._field(form, "reason", "Motivo:", self.reason)
        for widget in (self.state, self.units, self.doctors, self.effective):
            widget.setMaximumWidth(340)
        self.reason.setMaximumWidth(640)
        layout.addLayout(form)
        self.general = error_label()
        layout.addWidget(self.general)
        self.confirmation = QLabel()
        self.confirmation.setStyleSheet("color: #235b4e;")
        self.confirmation.setWordWrap(True)
        layout.addWidget(self.confirmation)

        self.history_title = QLabel("Historial de metas")
        self.history_title.setStyleSheet("font-weight: 600;")
        layout.addWidget(self.history_title)
        self.history = TargetHistoryModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_view.verticalHeader().hide()
        self.history_view.setWordWrap(False)
        header = self.history_view.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate(TargetHistoryModel.widths):
            self.history_view.setColumnWidth(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        layout.addWidget(self.history_view, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Guardar meta")
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Guardar (Ctrl+S)")
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Cerrar")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        self.resize(1100, 560)

        if state_id is not None:
            self.state.setCurrentIndex(max(self.state.findData(state_id), 0))
        self.state.currentIndexChanged.connect(lambda _i: self.load_history())
        self.load_history()

    def _field(self, form: QFormLayout, name: str, label: str, widget: QWidget) -> None:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(widget)
        err = error_label()
        v.addWidget(err)
        form.addRow(label, box)
        self._errors[name] = err
        self._inputs[name] = widget

    def state_id(self) -> int | None:
        return self.state.currentData()

    def load_history(self, then_fill: bool = True) -> None:
        """Read the state's target history (off the UI thread) and put the target in force in the fields."""
        state_id = self.state_id()
        if state_id is None:
            return
        name = self.state.currentText()

        def work(session: Session):
            return svc.target_history(session, state_id), svc.current_target(session, state_id)

        def done(result) -> None:
            history, current = result
            if self.state_id() != state_id:
                return  # another state was chosen meanwhile
            self.history.set_rows(history)
            self.history_title.setText(f"Historial de metas — {name}")
            if then_fill and current is not None:
                self.units.setValue(current.units_target)
                self.doctors.setValue(-1 if current.doctors_target is None else current.doctors_target)

        self.ctx.run_read(work, done, self._failed)

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, label in self._errors.items():
            show_message(label, errors.get(name))
            mark_invalid(self._inputs[name], name in errors)
        show_message(self.general, "\n".join(m for k, m in errors.items() if k not in self._errors))

    def save(self) -> None:
        state_id = self.state_id()
        units = self.units.value()
        doctors = None if self.doctors.value() < 0 else self.doctors.value()
        qd = self.effective.date()
        effective = date(qd.year(), qd.month(), qd.day())
        reason = self.reason.text()
        user, office = self.ctx.username, self.ctx.office
        self.show_errors({})
        self.confirmation.clear()
        self.save_button.setEnabled(False)

        def work(session: Session) -> TargetInfo:
            return svc.set_target(session, state_id, units, user, office, doctors=doctors,
                                  effective_from=effective, reason=reason)

        self.ctx.run_write(work, lambda info: self._saved(info, effective), self._failed)

    def _saved(self, info: TargetInfo, requested: date) -> None:
        self.save_button.setEnabled(True)
        if info.effective_from != requested:
            self.confirmation.setText(f"Sin cambios: la meta vigente desde el {dmy(info.effective_from)} ya es "
                                      f"de {format_int(info.units_target)} unidades.")
            return
        self.confirmation.setText(f"Meta guardada: {format_int(info.units_target)} unidades desde el "
                                  f"{dmy(info.effective_from)}.")
        self.reason.clear()
        self.saved.emit(info)
        self.load_history(then_fill=False)

    def _failed(self, failure: TaskFailure) -> None:
        self.save_button.setEnabled(True)
        exc = failure.exception
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, svc.NotNationalOfficeError):
            self.show_errors({"general": str(exc)})
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)

