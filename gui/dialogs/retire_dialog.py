"""Confirmation before retiring (soft-deleting) an establishment, with reason and date."""
from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

RETIREMENT_REASONS = (
    "Cierre definitivo",
    "Registro duplicado",
    "Transferido a otra institución",
    "Sustituido por otra unidad",
    "Captura errónea",
)


class RetireDialog(QDialog):
    """Asks for the reason and date; the retirement can be undone (Restaurar)."""

    def __init__(self, clues: str, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Dar de baja establecimiento")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"¿Dar de baja <b>{name}</b> ({clues})?<br>"
            "Dejará de aparecer en la lista y en los reportes, pero conserva su historial "
            "y puede restaurarse después."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(RETIREMENT_REASONS)
        form.addRow("Motivo de la baja:", self.reason)
        self.on = QDateEdit(QDate.currentDate())
        self.on.setCalendarPopup(True)
        self.on.setDisplayFormat("dd/MM/yyyy")
        self.on.setMaximumDate(QDate.currentDate())
        form.addRow("Fecha de la baja:", self.on)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Dar de baja")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Cancelar")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> tuple[str, date]:
        qd = self.on.date()
        return self.reason.currentText().strip(), date(qd.year(), qd.month(), qd.day())
