"""Dialogs of the sanitary-authorisations page: new procedure, change of status (only the transitions allowed
by ``TRANSITIONS``), add a service, add a responsable sanitario, and the "required" override. Errors show in
Spanish next to each field; nothing is saved until the service accepts it. Window-modal: open with ``open()``."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from gui.context import AppContext
from gui.tasks import TaskFailure
from models.enums import AuthorisationStatus as S
from models.services import authorisations as svc
from models.validation import ValidationError

NO_DATE = QDate(1899, 12, 31)


def date_edit(value: date | None = None, optional: bool = True) -> QDateEdit:
    """A dd/MM/yyyy date editor; optional ones show «Sin fecha» for no date."""
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    if optional:
        edit.setMinimumDate(NO_DATE)
        edit.setSpecialValueText("Sin fecha")
    else:
        edit.setMinimumDate(QDate(1950, 1, 1))
    set_date(edit, value)
    return edit


def get_date(edit: QDateEdit) -> date | None:
    qd = edit.date()
    return None if qd == NO_DATE else date(qd.year(), qd.month(), qd.day())


def set_date(edit: QDateEdit, value: date | None) -> None:
    edit.setDate(NO_DATE if value is None else QDate(value.year, value.month, value.day))


class FormDialog(QDialog):
    """A form whose fields carry their own error label; subclasses build fields and implement ``work``."""

    saved = Signal(object)
    heading = ""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle(title)
        self.setModal(True)
        self.setMinimumWidth(520)
        self._errors: dict[str, QLabel] = {}
        self._inputs: dict[str, QWidget] = {}
        self.message_box: QMessageBox | None = None
        outer = QVBoxLayout(self)
        if self.heading:
            head = QLabel(self.heading)
            head.setWordWrap(True)
            outer.addWidget(head)
        self.form = QFormLayout()
        outer.addLayout(self.form)
        self.general_error = QLabel()
        self.general_error.setObjectName("fieldError")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        outer.addWidget(self.general_error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("&Guardar")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("&Cancelar")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)

    def field(self, name: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(widget)
        if hint:
            h = QLabel(hint)
            h.setObjectName("formHint")
            h.setWordWrap(True)
            v.addWidget(h)
        err = QLabel()
        err.setObjectName("fieldError")
        err.setStyleSheet("color: #9a1b1b;")
        err.setWordWrap(True)
        err.hide()
        v.addWidget(err)
        self.form.addRow(label, box)
        self._errors[name] = err
        self._inputs[name] = widget
        return widget

    def errors(self) -> dict[str, str]:
        """The errors shown now, by field ("" for the general one)."""
        out = {name: label.text() for name, label in self._errors.items() if not label.isHidden()}
        if not self.general_error.isHidden():
            out[""] = self.general_error.text()
        return out

    def show_errors(self, errors: dict[str, str]) -> None:
        for label in self._errors.values():
            label.hide()
        unplaced = []
        for name, message in errors.items():
            label = self._errors.get(name)
            if label is None:
                unplaced.append(message)
            else:
                label.setText(message)
                label.show()
        self.general_error.setText("\n".join(unplaced))
        self.general_error.setVisible(bool(unplaced))
        first = next((self._inputs[n] for n in errors if n in self._inputs), None)
        if first is not None:
            first.setFocus()

    def work(self, session, user: str):  # pragma: no cover - each dialog implements it
        raise NotImplementedError

    def local_errors(self) -> dict[str, str]:
        return {}

    def save(self) -> None:
        errors = self.local_errors()
        if errors:
            self.show_errors(errors)
            return
        self.save_button.setEnabled(False)
        user = self.ctx.username
        self.ctx.run_write(lambda s: self.work(s, user), self._saved, self._failed)

    def _saved(self, result) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(result)
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self.save_button.setEnabled(True)
        exc = failure.exception
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, (svc.ConcurrencyError, svc.NotFoundError)):
            self.show_errors({"": str(exc)})
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)


class NewProcedureDialog(FormDialog):
    """Register a procedure of an establishment (it starts as *Requerida*); emits ``saved(AuthorisationData)``."""

    def __init__(self, ctx: AppContext, establishment_id: int, establishment_label: str,
                 types: list[tuple[str, str]], authorities: list[tuple[str, str]],
                 services: list[svc.ServiceData], type_code: str | None = None, parent: QWidget | None = None):
        self.heading = f"Establecimiento: {establishment_label}"
        super().__init__(ctx, "Nuevo trámite de autorización", parent)
        self.establishment_id = establishment_id
        self.type_combo = QComboBox()
        self.type_combo.addItem("Seleccione…", "")
        for code, name in types:
            self.type_combo.addItem(f"{name} ({code})", code)
        if type_code:
            self.type_combo.setCurrentIndex(max(self.type_combo.findData(type_code), 0))
        self.field("type_code", "Tipo de autorización:", self.type_combo)
        self.authority_combo = QComboBox()
        self.authority_combo.addItem("La del tipo de autorización", None)
        for code, name in authorities:
            self.authority_combo.addItem(f"{code} — {name}", code)
        self.field("authority_code", "Autoridad:", self.authority_combo)
        self.service_combo = QComboBox()
        self.service_combo.addItem("(todo el establecimiento)", None)
        for s in services:
            self.service_combo.addItem(f"{s.service_name} ({s.service_code})", s.id)
        self.field("service_id", "Servicio:", self.service_combo, "Sólo si la autorización es de un servicio")
        self.folio = QLineEdit()
        self.folio.setMaxLength(60)
        self.field("folio", "Folio:", self.folio)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(70)
        self.field("notes", "Notas:", self.notes)
        self.comment = QLineEdit()
        self.field("comment", "Comentario:", self.comment, "Queda en el historial del trámite")

    def local_errors(self) -> dict[str, str]:
        return {} if self.type_combo.currentData() else {"type_code": "Seleccione el tipo de autorización."}

    def data(self) -> svc.AuthorisationData:
        return svc.AuthorisationData(self.establishment_id, self.type_combo.currentData() or "",
                                     self.authority_combo.currentData(), self.service_combo.currentData(),
                                     self.folio.text(), notes=self.notes.toPlainText())

    def work(self, session, user: str):
        return svc.create_authorisation(session, self.data(), user, comment=self.comment.text())


class ChangeStatusDialog(FormDialog):
    """Move a procedure to one of the statuses ``TRANSITIONS`` allows from its current one, with the date of the
    change, the procedure's dates and a comment; emits ``saved(AuthorisationData)``."""

    def __init__(self, ctx: AppContext, data: svc.AuthorisationData, label: str, parent: QWidget | None = None,
                 today: date | None = None):
        current = S(data.status)
        self.heading = f"{label}\nEstado actual: {current.label}"
        super().__init__(ctx, "Cambiar estado del trámite", parent)
        self.data_ = data
        self.today = today or date.today()
        self.status_combo = QComboBox()
        self.status_combo.addItem("Seleccione…", "")
        for status in S:  # catalogue order, only the allowed ones
            if svc.can_transition(current, status):
                self.status_combo.addItem(status.label, status.value)
        self.field("status", "Nuevo estado:", self.status_combo)
        self.occurred_on = date_edit(self.today, optional=False)
        self.field("occurred_on", "Fecha del cambio:", self.occurred_on)
        self.submitted_on = date_edit(data.submitted_on)
        self.field("submitted_on", "Fecha de ingreso:", self.submitted_on)
        self.granted_on = date_edit(data.granted_on)
        self.field("granted_on", "Fecha de otorgamiento:", self.granted_on)
        self.expires_on = date_edit(data.expires_on)
        self.field("expires_on", "Fecha de vencimiento:", self.expires_on, "«Sin fecha» si no vence")
        self.comment = QPlainTextEdit()
        self.comment.setTabChangesFocus(True)
        self.comment.setFixedHeight(70)
        self.field("comment", "Comentario:", self.comment,
                   "Observaciones o prevención de la autoridad, motivo de «No aplica» o «Revocada»")

    def allowed_statuses(self) -> list[str]:
        """The status codes offered (never the current one nor a forbidden one)."""
        return [self.status_combo.itemData(i) for i in range(1, self.status_combo.count())]

    def choose(self, status: S | str) -> bool:
        index = self.status_combo.findData(S(status).value)
        if index > 0:
            self.status_combo.setCurrentIndex(index)
        return index > 0

    def local_errors(self) -> dict[str, str]:
        return {} if self.status_combo.currentData() else {"status": "Seleccione el nuevo estado del trámite."}

    def work(self, session, user: str):
        d = self.data_
        occurred = get_date(self.occurred_on) or self.today
        return svc.change_status(session, d.id, self.status_combo.currentData(), occurred, user,
                                 self.comment.toPlainText(), submitted_on=get_date(self.submitted_on),
                                 granted_on=get_date(self.granted_on), expires_on=get_date(self.expires_on),
                                 version=d.version, today=self.today)


class ServiceDialog(FormDialog):
    """Add a service (catalogue) to an establishment; emits ``saved(ServiceData)``."""

    def __init__(self, ctx: AppContext, establishment_id: int, establishment_label: str,
                 service_types: list[tuple[str, str]], existing: set[str], parent: QWidget | None = None):
        self.heading = f"Establecimiento: {establishment_label}"
        super().__init__(ctx, "Agregar servicio", parent)
        self.establishment_id = establishment_id
        self.service_combo = QComboBox()
        self.service_combo.addItem("Seleccione…", "")
        for code, name in service_types:
            if code not in existing:
                self.service_combo.addItem(f"{name} ({code})", code)
        self.field("service_code", "Servicio:", self.service_combo)
        self.notes = QLineEdit()
        self.field("notes", "Notas:", self.notes)

    def choose(self, code: str) -> bool:
        index = self.service_combo.findData(code)
        if index > 0:
            self.service_combo.setCurrentIndex(index)
        return index > 0

    def local_errors(self) -> dict[str, str]:
        return {} if self.service_combo.currentData() else {"service_code": "Seleccione el servicio."}

    def work(self, session, user: str):
        return svc.add_service(session, self.establishment_id, self.service_combo.currentData(), user,
                               self.notes.text())


class ResponsableDialog(FormDialog):
    """Register the responsable sanitario of a service for a period; emits ``saved(ResponsableData)``."""

    def __init__(self, ctx: AppContext, service: svc.ServiceData, parent: QWidget | None = None):
        self.heading = f"Servicio: {service.service_name} ({service.service_code})"
        super().__init__(ctx, "Agregar responsable sanitario", parent)
        self.service = service
        self.full_name = QLineEdit()
        self.full_name.setMaxLength(200)
        self.field("full_name", "Nombre completo:", self.full_name)
        self.profession = QLineEdit()
        self.profession.setMaxLength(120)
        self.profession.setPlaceholderText("p. ej. Médico cirujano")
        self.field("profession", "Profesión:", self.profession)
        self.cedula = QLineEdit()
        self.cedula.setMaxLength(10)
        self.field("cedula_profesional", "Cédula profesional:", self.cedula, "Sólo dígitos (entre 4 y 10)")
        self.valid_from = date_edit(date.today())
        self.field("valid_from", "Desde:", self.valid_from)
        self.valid_to = date_edit(None)
        self.field("valid_to", "Hasta:", self.valid_to, "«Sin fecha» mientras siga en el cargo")

    def work(self, session, user: str):
        data = svc.ResponsableData(self.service.id, self.full_name.text(), self.profession.text(),
                                   self.cedula.text().strip(), get_date(self.valid_from), get_date(self.valid_to))
        return svc.add_responsable(session, data, user)


class OverrideDialog(FormDialog):
    """Override (or go back to the rule) whether an establishment requires a type; emits ``saved(Requirement)``."""

    def __init__(self, ctx: AppContext, requirement: svc.Requirement, establishment_label: str,
                 parent: QWidget | None = None):
        rule = requirement.default_reason or "Por regla no es requerida."
        self.heading = f"{establishment_label}\n{requirement.type_name}: {rule}"
        super().__init__(ctx, "¿Es requerida?", parent)
        self.requirement = requirement
        self.choice = QComboBox()
        self.choice.addItem("Según la regla del tipo", None)
        self.choice.addItem("Sí es requerida", True)
        self.choice.addItem("No es requerida", False)
        self.choice.setCurrentIndex({None: 0, True: 1, False: 2}[requirement.override])
        self.field("required", "Requerida:", self.choice)
        self.reason = QLineEdit(requirement.override_reason)
        self.field("override_reason", "Motivo:", self.reason)

    def work(self, session, user: str):
        r = self.requirement
        return svc.set_required_override(session, r.establishment_id, r.type_code, self.choice.currentData(),
                                         self.reason.text(), user)
