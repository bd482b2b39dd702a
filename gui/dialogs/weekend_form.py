"""A unit's weekend-opening record: viable, start date, the weekday × shift grid, staff and interruptions.

Errors (from ``check_schedule`` before saving, or the service's ``ValidationError``) show in Spanish next to
the field they concern: under the weekday row of the grid, under the staff or interruption row. The form
holds plain ``ScheduleData`` only; it saves through the task runner with ``save_schedule``.
"""
from __future__ import annotations

import html
from dataclasses import replace
from datetime import date

from PySide6.QtCore import QByteArray, QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from gui.context import AppContext
from gui.dialogs.weekend_editors import (
    STAFF_HEADERS,
    STAFF_WIDTHS,
    STOP_HEADERS,
    STOP_WIDTHS,
    InterruptionRow,
    RowList,
    ShiftGrid,
    StaffRow,
    date_edit,
    error_label,
    get_date,
    header_row,
    mark_invalid,
    row_errors,
    set_date,
    shift_errors,
    show_message,
)
from gui.settings import Setting
from gui.tasks import TaskFailure
from models.services import weekend as svc
from models.services.establishments import ConcurrencyError, NotFoundError
from models.services.weekend import ScheduleData
from models.validation import ValidationError

FORM_GEOMETRY = Setting("fin_de_semana/geometria_formulario", QByteArray(), QByteArray)


# ------------------------------------------------------------------------------------------------
# The form
# ------------------------------------------------------------------------------------------------

class WeekendForm(QDialog):
    """Edit a unit's weekend-opening record; emits ``saved(previous, saved)`` after the commit."""

    saved = Signal(object, object)  # ScheduleData as opened, ScheduleData as stored

    def __init__(self, ctx: AppContext, data: ScheduleData, as_of: date | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.original = data
        self.as_of = as_of or date.today()
        self.discard_box: QMessageBox | None = None
        self.message_box: QMessageBox | None = None
        self.setWindowTitle(f"Apertura en fin de semana — {data.clues} {data.name}".strip())
        self.setModal(True)
        self._build()
        self._load(data)
        self._initial = self.collect()
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(80)
        self._status_timer.timeout.connect(self.update_status)
        for signal in (self.grid.changed, self.staff.changed, self.stops.changed, self.viable.toggled,
                       self.since.dateChanged, self.notes.textChanged):
            signal.connect(lambda *_: self._status_timer.start())
        self.grid.changed.connect(self._refresh_shift_choices)
        self.update_status()
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        geometry = ctx.settings.get(FORM_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1010, 660)

    # ---- layout -----------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        heading = QLabel(f"<b>{html.escape(self.original.clues)}</b> — {html.escape(self.original.name)}")
        heading.setObjectName("pageSubtitle")
        outer.addWidget(heading)
        if self.original.id is None:
            hint = QLabel("Esta unidad aún no tiene registro de apertura en fin de semana; se crea al guardar.")
            hint.setObjectName("formHint")
            outer.addWidget(hint)

        top = QFormLayout()
        self.viable = QCheckBox("Unidad viable para abrir los 7 días (forma parte de la meta)")
        top.addRow("Programa:", self.viable)
        since_box = QWidget()
        since_layout = QVBoxLayout(since_box)
        since_layout.setContentsMargins(0, 0, 0, 0)
        since_layout.setSpacing(2)
        since_row = QHBoxLayout()
        self.since = date_edit()
        self.since.setToolTip("Fecha desde la que la unidad abre sábado y domingo")
        since_row.addWidget(self.since)
        self.since_today = QPushButton("Hoy")
        self.since_today.setToolTip("Poner la fecha de hoy")
        self.since_today.clicked.connect(lambda: self.since.setDate(QDate.currentDate()))
        since_row.addWidget(self.since_today)
        since_row.addStretch(1)
        since_layout.addLayout(since_row)
        self.since_error = error_label()
        since_layout.addWidget(self.since_error)
        top.addRow("Abre en fin de semana desde:", since_box)
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("Observaciones (opcional)")
        top.addRow("Notas:", self.notes)
        outer.addLayout(top)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        outer.addWidget(self.status)

        self.tabs = QTabWidget()
        grid_page = QWidget()
        grid_layout = QVBoxLayout(grid_page)
        self.grid = ShiftGrid()
        grid_scroll = QScrollArea()
        grid_scroll.setWidgetResizable(True)
        grid_scroll.setWidget(self.grid)
        grid_layout.addWidget(grid_scroll, 1)
        copy_row = QHBoxLayout()
        self.copy_monday_button = QPushButton("Copiar el lunes a todos los días")
        self.copy_monday_button.setToolTip("Los mismos turnos y horarios del lunes, de martes a domingo")
        self.copy_monday_button.clicked.connect(lambda: self.grid.copy_day(0))
        self.copy_weekday_button = QPushButton("Copiar el lunes de martes a viernes")
        self.copy_weekday_button.clicked.connect(lambda: self.grid.copy_day(0, range(1, 5)))
        copy_row.addWidget(self.copy_monday_button)
        copy_row.addWidget(self.copy_weekday_button)
        copy_row.addStretch(1)
        grid_layout.addLayout(copy_row)
        self.grid_error = error_label()
        grid_layout.addWidget(self.grid_error)
        self.tabs.addTab(grid_page, "Turnos")

        self.staff = RowList(header_row(STAFF_HEADERS, STAFF_WIDTHS), lambda p: StaffRow(p), "Agregar &personal")
        self.staff.add_button.setToolTip("Agregar un médico(a), enfermera(o) u otro personal (deje el nombre "
                                         "vacío para una vacante)")
        self.staff.rows_changed.connect(self._refresh_shift_choices)
        self.tabs.addTab(self._scrolled(self.staff), "Personal")
        self.stops = RowList(header_row(STOP_HEADERS, STOP_WIDTHS), lambda i: InterruptionRow(i),
                             "Agregar &interrupción")
        self.tabs.addTab(self._scrolled(self.stops), "Interrupciones")
        outer.addWidget(self.tabs, 1)

        self.general_error = error_label()
        outer.addWidget(self.general_error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Guardar")
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip("Guardar (Ctrl+S)")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancelar")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.staff.rows_changed.connect(self._update_tab_titles)
        self.stops.rows_changed.connect(self._update_tab_titles)

    @staticmethod
    def _scrolled(widget: QWidget) -> QScrollArea:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setWidget(widget)
        return area

    def _update_tab_titles(self, errors: dict[str, str] | None = None) -> None:
        errors = errors if isinstance(errors, dict) else getattr(self, "_last_errors", {})
        prefixes = ("shifts", "staff", "interruptions")
        counts = ("", f" ({len(self.staff.rows)})", f" ({len(self.stops.rows)})")
        for i, (name, prefix, count) in enumerate(zip(("Turnos", "Personal", "Interrupciones"), prefixes, counts)):
            bad = any(k.split(".")[0] == prefix for k in errors)
            self.tabs.setTabText(i, f"{name}{count}{'  ⚠' if bad else ''}")
            self.tabs.tabBar().setTabTextColor(i, Qt.GlobalColor.darkRed if bad else self.palette().windowText().color())

    # ---- data in and out ---------------------------------------------------------------------------------
    def _load(self, data: ScheduleData) -> None:
        self.viable.setChecked(bool(data.viable))
        set_date(self.since, data.weekend_since)
        self.notes.setText(data.notes)
        self.grid.set_shifts(data.shifts)
        for person in data.staff:
            row = self.staff.add_row(person)
            if person.shift is not None and 0 <= person.shift < len(data.shifts):
                s = data.shifts[person.shift]
                row.shift_key = (s.weekday, s.kind)
        for stop in data.interruptions:
            self.stops.add_row(stop)
        self._refresh_shift_choices()
        self._update_tab_titles({})

    def _refresh_shift_choices(self) -> None:
        shifts = self.grid.shifts()
        for row in self.staff.rows:
            row.set_shift_choices(shifts)

    def collect(self) -> ScheduleData:
        """The form's values as a ``ScheduleData`` (ids and version kept from the record as opened)."""
        shifts = self.grid.shifts()
        index = {(s.weekday, s.kind): i for i, s in enumerate(shifts)}
        return replace(
            self.original,
            viable=self.viable.isChecked(),
            weekend_since=get_date(self.since),
            notes=self.notes.text(),
            shifts=shifts,
            staff=[row.value(index) for row in self.staff.rows],
            interruptions=[row.value() for row in self.stops.rows],
        )

    def is_dirty(self) -> bool:
        return not svc.same_schedule(svc.clean(self._initial), svc.clean(self.collect()))

    def update_status(self) -> None:
        """What the unit would lack on the cut-off date with the values as they are now."""
        self._status_timer.stop()
        reasons = svc.why_not_open(self.collect(), self.as_of)
        day = self.as_of.strftime("%d/%m/%Y")
        if not reasons:
            self.status.setText(f"<span style='color:#235b4e'>✔ Con estos datos, al {day} la unidad "
                                "<b>abre los 7 días</b>.</span>")
        else:
            items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons)
            self.status.setText(f"<span style='color:#8a4b00'>Con estos datos, al {day} la unidad "
                                f"<b>no cuenta como abierta los 7 días</b>:</span><ul style='margin:0'>{items}</ul>")

    # ---- errors ------------------------------------------------------------------------------------------
    def show_errors(self, errors: dict[str, str]) -> None:
        """Each message next to its field; the first tab with a problem comes to the front."""
        self._last_errors = dict(errors)
        shifts = self.grid.shifts()
        cells, loose = shift_errors(shifts, errors)
        self.grid.show_errors(cells)
        show_message(self.grid_error, "\n".join(loose))
        show_message(self.since_error, errors.get("weekend_since"))
        mark_invalid(self.since, "weekend_since" in errors)
        self.staff.show_errors(row_errors(errors, "staff"))
        self.stops.show_errors(row_errors(errors, "interruptions"))
        known = ("weekend_since", "shifts.", "staff.", "interruptions.")
        general = [m for k, m in errors.items() if not k.startswith(known)]
        show_message(self.general_error, "\n".join(general))
        self._update_tab_titles(errors)
        for i, prefix in enumerate(("shifts", "staff", "interruptions")):
            if any(k.split(".")[0] == prefix for k in errors):
                if "weekend_since" not in errors:
                    self.tabs.setCurrentIndex(i)
                break
        if "weekend_since" in errors:
            self.since.setFocus()

    def errors_shown(self) -> list[str]:
        """Every error message the form shows now (for tests and the status line)."""
        labels = [self.since_error, self.grid_error, self.general_error, *self.grid.day_errors,
                  *(r.error for r in self.staff.rows), *(r.error for r in self.stops.rows)]
        return [label.text() for label in labels if not label.isHidden() and label.text()]

    # ---- saving ------------------------------------------------------------------------------------------
    def save(self) -> None:
        data = self.collect()
        errors = svc.check_schedule(svc.clean(data))
        self.show_errors(errors)
        if errors:
            return
        self.save_button.setEnabled(False)
        user = self.ctx.username
        previous = self.original
        self.ctx.run_write(lambda s: svc.save_schedule(s, data, user), lambda saved: self._saved(previous, saved),
                           self._failed)

    def _saved(self, previous: ScheduleData, saved: ScheduleData) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(previous, saved)
        self._remember_geometry()
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self.save_button.setEnabled(True)
        exc = failure.exception
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, (ConcurrencyError, NotFoundError)):
            box = QMessageBox(QMessageBox.Icon.Warning, "No se guardó", str(exc), QMessageBox.StandardButton.Ok, self)
            self.message_box = box
            box.open()
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)

    def _remember_geometry(self) -> None:
        self.ctx.settings.set(FORM_GEOMETRY, self.saveGeometry())

    def reject(self) -> None:
        """Cancel/Escape: ask before throwing away changes (without blocking: the answer arrives later)."""
        if not self.is_dirty():
            self._remember_geometry()
            super().reject()
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Descartar cambios", "Hay cambios sin guardar. ¿Desea descartarlos?",
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Discard).setText("Descartar")
        box.button(QMessageBox.StandardButton.Cancel).setText("Seguir editando")
        self.discard_box = box
        box.finished.connect(self._discard_answered)
        box.open()

    def _discard_answered(self, result: int) -> None:
        box, self.discard_box = self.discard_box, None
        if box is not None and box.standardButton(box.clickedButton()) == QMessageBox.StandardButton.Discard:
            self._remember_geometry()
            QDialog.reject(self)

    def discard(self) -> None:
        """Close without saving and without asking."""
        self._remember_geometry()
        QDialog.reject(self)
