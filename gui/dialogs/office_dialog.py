"""First start: which state is this office (or the national office)."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from models.services.office import StateInfo

NATIONAL_CHOICE = "NACIONAL"


class OfficeDialog(QDialog):
    """Choose the office's state; the choice is stored in the database."""

    def __init__(self, states: list[StateInfo], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Configuración inicial")
        layout = QVBoxLayout(self)
        title = QLabel("¿Qué coordinación es esta oficina?")
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        hint = QLabel(
            "La aplicación mostrará y validará los establecimientos de la entidad elegida. "
            "La oficina nacional ve todas las entidades."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.combo = QComboBox()
        self.combo.addItem("Seleccione la entidad…", None)
        for state in states:
            if state.adhered:
                self.combo.addItem(f"{state.name} ({state.clues_prefix})", state.inegi_code)
        self.combo.addItem("Oficina nacional (todas las entidades)", NATIONAL_CHOICE)
        self.combo.insertSeparator(self.combo.count())
        for state in states:
            if not state.adhered:
                self.combo.addItem(f"{state.name} ({state.clues_prefix}) — no adherida", state.inegi_code)
        layout.addWidget(self.combo)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Continuar")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.combo.currentIndexChanged.connect(self._update_ok)
        self._update_ok()
        self.resize(460, self.sizeHint().height())

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.combo.currentData() is not None)

    def choice(self) -> str | None:
        """INEGI code of the chosen state, ``NATIONAL_CHOICE``, or None when nothing was chosen."""
        return self.combo.currentData()
