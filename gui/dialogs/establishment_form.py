"""Form to create or edit an establishment. Errors show in Spanish under each field; nothing is saved until valid."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from gui.context import AppContext
from gui.tasks import TaskFailure
from models.enums import LevelOfCare, OperatingStatus
from models.services import establishments as svc
from models.services.establishments import ACTIVE_STATUSES, ESTABLISHMENT_TYPES, EstablishmentData, FormOptions
from models.services.office import StateInfo
from models.validation import ValidationError, normalize_clues, validate_clues

NO_DATE = QDate(1899, 12, 31)


def _date_edit() -> QDateEdit:
    edit = QDateEdit()
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("dd/MM/yyyy")
    edit.setMinimumDate(NO_DATE)
    edit.setSpecialValueText("Sin fecha")
    edit.setDate(NO_DATE)
    return edit


def _get_date(edit: QDateEdit) -> date | None:
    qd = edit.date()
    return None if qd == NO_DATE else date(qd.year(), qd.month(), qd.day())


def _set_date(edit: QDateEdit, value: date | None) -> None:
    edit.setDate(NO_DATE if value is None else QDate(value.year, value.month, value.day))


def parse_decimal(text: str) -> float | None:
    """A coordinate typed with a point or a comma; empty is None. Raises ValueError on anything else."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    return float(text)


class EstablishmentForm(QDialog):
    """Create (``data`` None) or edit an establishment; emits ``saved(previous, saved)`` after a commit."""

    saved = Signal(object, object)  # previous EstablishmentData or None, saved EstablishmentData

    def __init__(self, ctx: AppContext, options: FormOptions, states: list[StateInfo],
                 data: EstablishmentData | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.options = options
        self.states = {s.id: s for s in states}
        self.original = data
        self.setWindowTitle("Editar establecimiento" if data else "Nuevo establecimiento")
        self.setModal(True)
        self._errors: dict[str, QLabel] = {}
        self._inputs: dict[str, QWidget] = {}
        self._build()
        self._load(data)
        self._initial = self._snapshot()
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)

    # ---- layout -----------------------------------------------------------------------------------------
    def _field(self, form: QFormLayout, name: str, label: str, widget: QWidget, hint: str = "") -> None:
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        v.addWidget(widget)
        if hint:
            h = QLabel(hint)
            h.setObjectName("formHint")
            v.addWidget(h)
        err = QLabel()
        err.setObjectName("fieldError")
        err.setWordWrap(True)
        err.hide()
        v.addWidget(err)
        form.addRow(label, box)
        self._errors[name] = err
        self._inputs[name] = widget

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        grid = QGridLayout()
        outer.addLayout(grid)

        ident = QGroupBox("Identificación")
        f1 = QFormLayout(ident)
        self.state_combo = QComboBox()
        for state in self.states.values():
            self.state_combo.addItem(state.name, state.id)
        if len(self.states) == 1:
            self.state_combo.setEnabled(False)
        self._field(f1, "state_id", "Entidad:", self.state_combo)
        self.clues = QLineEdit()
        self.clues.setMaxLength(13)
        first_state = next(iter(self.states.values()), None)
        self.clues.setPlaceholderText(f"p. ej. {first_state.clues_prefix if first_state else 'BC'}IMB000355")
        self._field(f1, "clues", "CLUES:", self.clues, "2 letras de la entidad, 3 de la institución y 6 dígitos")
        self.previous_clues = QLineEdit()
        self.previous_clues.setMaxLength(13)
        self.previous_clues.setPlaceholderText("CLUES de la Secretaría de Salud, si fue transferida")
        self._field(f1, "previous_clues", "CLUES anterior:", self.previous_clues)
        self.name = QLineEdit()
        self.name.setMaxLength(250)
        self._field(f1, "name", "Nombre de la unidad:", self.name)
        self.type_combo = QComboBox()
        self.type_combo.setEditable(True)
        self.type_combo.addItem("")
        self.type_combo.addItems(ESTABLISHMENT_TYPES)
        self._field(f1, "establishment_type", "Tipo de establecimiento:", self.type_combo)
        self.typology = QComboBox()
        self.typology.addItem("(sin tipología)", None)
        for typ_id, name, _level in self.options.typologies:
            self.typology.addItem(name, typ_id)
        self._field(f1, "typology_id", "Tipología:", self.typology)
        self.level = QComboBox()
        self.level.addItem("Seleccione…", "")
        for value, label in LevelOfCare.choices():
            self.level.addItem(label, value)
        self._field(f1, "level_of_care", "Nivel de atención:", self.level)
        grid.addWidget(ident, 0, 0)

        place = QGroupBox("Ubicación")
        f2 = QFormLayout(place)
        self.municipality = QLineEdit()
        self._field(f2, "municipality", "Municipio:", self.municipality)
        self.locality = QLineEdit()
        self._field(f2, "locality", "Localidad:", self.locality)
        self.address = QLineEdit()
        self._field(f2, "address", "Domicilio:", self.address)
        self.postal_code = QLineEdit()
        self.postal_code.setMaxLength(5)
        self.postal_code.setInputMask("")
        self._field(f2, "postal_code", "Código postal:", self.postal_code)
        self.latitude = QLineEdit()
        self.latitude.setPlaceholderText("p. ej. 32.6245")
        self._field(f2, "latitude", "Latitud:", self.latitude)
        self.longitude = QLineEdit()
        self.longitude.setPlaceholderText("p. ej. -115.4523")
        self._field(f2, "longitude", "Longitud:", self.longitude, "Grados decimales; al oeste es negativa")
        grid.addWidget(place, 0, 1)

        op = QGroupBox("Operación y organización")
        f3 = QFormLayout(op)
        self.status = QComboBox()
        for status in ACTIVE_STATUSES:
            self.status.addItem(status.label, status.value)
        self._field(f3, "operating_status", "Estatus de operación:", self.status)
        self.status_changed_on = _date_edit()
        self._field(f3, "status_changed_on", "Último cambio de estatus:", self.status_changed_on)
        self.operation_started_on = _date_edit()
        self._field(f3, "operation_started_on", "Inicio de operación:", self.operation_started_on)
        self.region = QComboBox()
        self.region.addItem("(sin región)", None)
        for choice in self.options.regions:
            self.region.addItem(choice.label, choice.id)
        self.zone = QComboBox()
        self._field(f3, "region_id", "Región operativa:", self.region)
        self._field(f3, "zone_id", "Zona de servicios médicos:", self.zone)
        if not self.options.regions:
            self.region.setEnabled(False)
            self.region.setToolTip("Aún no hay regiones operativas registradas para esta entidad.")
        self.region.currentIndexChanged.connect(self._fill_zones)
        self._fill_zones()
        grid.addWidget(op, 1, 0)

        notes_box = QGroupBox("Notas")
        f4 = QFormLayout(notes_box)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self._field(f4, "notes", "", self.notes)
        grid.addWidget(notes_box, 1, 1)

        self.general_error = QLabel()
        self.general_error.setObjectName("fieldError")
        self.general_error.setWordWrap(True)
        self.general_error.hide()
        outer.addWidget(self.general_error)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Guardar")
        self.save_button.setObjectName("primary")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancelar")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

        self.clues.textEdited.connect(self._check_clues_live)
        self.state_combo.currentIndexChanged.connect(self._check_clues_live)
        self.typology.currentIndexChanged.connect(self._typology_changed)

    # ---- behaviour -------------------------------------------------------------------------------------
    def _fill_zones(self) -> None:
        region_id = self.region.currentData()
        current = self.zone.currentData()
        self.zone.clear()
        self.zone.addItem("(sin zona)", None)
        for zone_id, zone_region, name in self.options.zones:
            if zone_region == region_id:
                self.zone.addItem(name, zone_id)
        self.zone.setEnabled(self.zone.count() > 1)
        index = self.zone.findData(current)
        self.zone.setCurrentIndex(max(index, 0))

    def _typology_changed(self) -> None:
        typ_id = self.typology.currentData()
        default = next((lvl for t_id, _n, lvl in self.options.typologies if t_id == typ_id), None)
        if default and not self.level.currentData():
            self.level.setCurrentIndex(self.level.findData(default))

    def _check_clues_live(self) -> None:
        """Shape and prefix are checked while typing; uniqueness when saving."""
        text = normalize_clues(self.clues.text())
        state = self.states.get(self.state_combo.currentData())
        message = validate_clues(text, state.clues_prefix if state else None) if len(text) >= 11 else None
        self._show_error("clues", message)

    def _show_error(self, name: str, message: str | None) -> None:
        label = self._errors.get(name)
        widget = self._inputs.get(name)
        if label is None:
            return
        label.setText(message or "")
        label.setVisible(bool(message))
        if widget is not None:
            widget.setProperty("invalid", bool(message))
            widget.style().unpolish(widget)
            widget.style().polish(widget)

    def show_errors(self, errors: dict[str, str]) -> None:
        """Put each message under its field and focus the first bad field."""
        for name in self._errors:
            self._show_error(name, errors.get(name))
        unknown = [msg for key, msg in errors.items() if key not in self._errors]
        self.general_error.setText("\n".join(unknown))
        self.general_error.setVisible(bool(unknown))
        for name in self._errors:
            if name in errors:
                self._inputs[name].setFocus()
                break

    def _load(self, data: EstablishmentData | None) -> None:
        if data is None:
            if self.ctx.office.state is not None:
                self.state_combo.setCurrentIndex(self.state_combo.findData(self.ctx.office.state.id))
            return
        self.state_combo.setCurrentIndex(self.state_combo.findData(data.state_id))
        self.clues.setText(data.clues)
        self.previous_clues.setText(data.previous_clues)
        self.name.setText(data.name)
        self.type_combo.setCurrentText(data.establishment_type)
        self.typology.setCurrentIndex(max(self.typology.findData(data.typology_id), 0))
        self.level.setCurrentIndex(max(self.level.findData(data.level_of_care), 0))
        self.municipality.setText(data.municipality)
        self.locality.setText(data.locality)
        self.address.setText(data.address)
        self.postal_code.setText(data.postal_code)
        self.latitude.setText("" if data.latitude is None else f"{data.latitude:.6f}".rstrip("0").rstrip("."))
        self.longitude.setText("" if data.longitude is None else f"{data.longitude:.6f}".rstrip("0").rstrip("."))
        if data.retired:
            self.status.addItem(OperatingStatus.BAJA.label, OperatingStatus.BAJA.value)
            self.status.setEnabled(False)
            self.status.setToolTip("Dado de baja: use «Restaurar» para reactivarlo.")
        self.status.setCurrentIndex(max(self.status.findData(data.operating_status), 0))
        _set_date(self.status_changed_on, data.status_changed_on)
        _set_date(self.operation_started_on, data.operation_started_on)
        self.region.setCurrentIndex(max(self.region.findData(data.region_id), 0))
        self._fill_zones()
        self.zone.setCurrentIndex(max(self.zone.findData(data.zone_id), 0))
        self.notes.setPlainText(data.notes)

    def collect(self) -> tuple[EstablishmentData | None, dict[str, str]]:
        """The form's values as data, or the local (parse) errors."""
        errors: dict[str, str] = {}
        coords: dict[str, float | None] = {}
        for name, edit in (("latitude", self.latitude), ("longitude", self.longitude)):
            try:
                coords[name] = parse_decimal(edit.text())
            except ValueError:
                errors[name] = "Escriba un número decimal, p. ej. 19.4326 o -99.1332."
        if errors:
            return None, errors
        base = self.original or EstablishmentData(state_id=0, clues="", name="", level_of_care="")
        data = replace(
            base,
            state_id=self.state_combo.currentData() or 0,
            clues=self.clues.text(),
            previous_clues=self.previous_clues.text(),
            name=self.name.text(),
            establishment_type=self.type_combo.currentText(),
            typology_id=self.typology.currentData(),
            level_of_care=self.level.currentData() or "",
            municipality=self.municipality.text(),
            locality=self.locality.text(),
            address=self.address.text(),
            postal_code=self.postal_code.text().strip(),
            latitude=coords["latitude"],
            longitude=coords["longitude"],
            operating_status=self.status.currentData(),
            status_changed_on=_get_date(self.status_changed_on),
            operation_started_on=_get_date(self.operation_started_on),
            region_id=self.region.currentData(),
            zone_id=self.zone.currentData(),
            notes=self.notes.toPlainText(),
        )
        return data, {}

    def _snapshot(self) -> tuple:
        data, errors = self.collect()
        return (data, tuple(sorted(errors.items())))

    def is_dirty(self) -> bool:
        return self._snapshot() != self._initial

    def save(self) -> None:
        data, errors = self.collect()
        if errors:
            self.show_errors(errors)
            return
        self.save_button.setEnabled(False)
        user = self.ctx.username
        previous = self.original
        if previous is None:
            work = lambda s: svc.create_establishment(s, data, user)  # noqa: E731
        else:
            work = lambda s: svc.update_establishment(s, data, user)  # noqa: E731
        self.ctx.run_write(work, lambda saved: self._saved(previous, saved), self._failed)

    def _saved(self, previous: EstablishmentData | None, saved: EstablishmentData) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit(previous, saved)
        self.accept()

    def _failed(self, failure: TaskFailure) -> None:
        self.save_button.setEnabled(True)
        exc = failure.exception
        if isinstance(exc, ValidationError):
            self.show_errors(exc.errors)
        elif isinstance(exc, (svc.ConcurrencyError, svc.NotFoundError)):
            QMessageBox.warning(self, "No se guardó", str(exc))
        else:
            from gui.dialogs.error_dialog import show_failure

            show_failure(self, failure)

    def reject(self) -> None:
        if self.is_dirty():
            answer = QMessageBox.question(
                self, "Descartar cambios", "Hay cambios sin guardar. ¿Desea descartarlos?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()
