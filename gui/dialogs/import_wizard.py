"""Import wizard: choose a file and sheet, preview it, map its columns, validate, then import all or nothing.

Every slow step runs in the task runner: reading the file, validating (with progress and "Cancelar") and
applying (one write transaction, with progress and "Cancelar"; a cancelled or failed import saves nothing).
The wizard holds plain data only (``SheetData``, ``ImportPlan``, counts), never a session.
"""
from __future__ import annotations

import html
import logging
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from sqlalchemy.orm import Session

from gui import settings as S
from gui.context import AppContext
from gui.tasks import TaskFailure
from models.importing.plan import ImportPlan, Progress
from models.importing.reader import ReadError, SheetData
from models.importing.spec import ImportKind, get_kind, guess_mapping, missing_required
from models.text import format_int

log = logging.getLogger(__name__)

PREVIEW_ROWS = 20
NOT_IMPORTED = -1
READ_DELAY_MS = 400
OPEN_FILTER = (
    "Hojas de cálculo (*.xlsx *.xlsm *.xls *.ods *.csv *.txt);;Libros de Excel (*.xlsx *.xlsm *.xls);;"
    "OpenDocument (*.ods);;Texto separado por comas (*.csv *.txt);;Todos los archivos (*)"
)
TEMPLATE_NAMES = {"establishments": "plantilla_establecimientos.xlsx", "equivalences": "plantilla_equivalencias_clues.xlsx"}
COUNT_CAPTIONS = (  # key in the wizard's counts, caption
    ("nuevos", "Nuevos"),
    ("actualizados", "Actualizados"),
    ("sin_cambios", "Sin cambios"),
    ("rechazados", "Rechazados"),
    ("omitidos_otra_entidad", "Omitidos (otra entidad)"),
    ("conflictos", "Conflictos"),
)
RESULT_LABELS = {  # count key: (singular, plural)
    "nuevos": ("registro nuevo", "registros nuevos"),
    "actualizados": ("registro actualizado", "registros actualizados"),
    "sin_cambios": ("fila sin cambios", "filas sin cambios"),
    "rechazados": ("fila rechazada (no se importó)", "filas rechazadas (no se importaron)"),
    "omitidos_otra_entidad": ("fila de otra entidad omitida", "filas de otra entidad omitidas"),
    "conflictos_sobrescritos": ("registro editado en esta oficina sobrescrito",
                                "registros editados en esta oficina sobrescritos"),
}
PAGE_STYLE = """
QLabel#statNumber { font-size: 18pt; font-weight: 600; color: #235b4e; }
QLabel#statNumber[alert="true"] { color: #b00020; }
QLabel#statCaption { color: #404040; }
QLabel#wizardError { color: #b00020; }
QLabel#wizardOk { color: #235b4e; }
"""


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class TextTableModel(QAbstractTableModel):
    """Read-only rows of text with column headers and optional row labels (spreadsheet row numbers)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._headers: list[str] = []
        self._rows: list[list[str]] = []
        self._row_labels: list[str] | None = None

    def set_rows(self, headers: list[str], rows: list[list[str]], row_labels: list[str] | None = None) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [list(r) + [""] * (len(headers) - len(r)) for r in rows]
        self._row_labels = row_labels
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._rows[index.row()][index.column()]
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        if self._row_labels is not None and 0 <= section < len(self._row_labels):
            return self._row_labels[section]
        return str(section + 1)

    def column(self, column: int) -> list[str]:
        return [row[column] for row in self._rows]


def _table(model: TextTableModel, row_numbers: bool = False) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAlternatingRowColors(True)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setWordWrap(False)
    view.verticalHeader().setDefaultSectionSize(22)
    view.verticalHeader().setVisible(row_numbers)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setHighlightSections(False)
    return view


def _message(label: QLabel, text: str, error: bool = False) -> None:
    label.setObjectName("wizardError" if error else "wizardOk" if text else "")
    label.style().unpolish(label)
    label.style().polish(label)
    label.setText(text)


class _PathEdit(QLineEdit):
    """The first Enter reads the file (instead of pressing "Siguiente"); once it is read, Enter goes on."""

    def __init__(self, is_read):
        super().__init__()
        self._is_read = is_read

    def keyPressEvent(self, event) -> None:  # noqa: N802
        was_read = self._is_read()
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not was_read:
            event.accept()  # not passed on to the wizard's default button


# ---- pages ----------------------------------------------------------------------------------------------
class FilePage(QWizardPage):
    """(a) The file and the sheet; the file is read in the background as soon as it is chosen."""

    def __init__(self, wizard: ImportWizard):
        super().__init__()
        self.w = wizard
        self.setTitle("Archivo que se importa")
        self.setSubTitle(f"{wizard.kind.title}: elija un archivo .xlsx, .xls, .ods o .csv.")
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.path_edit = _PathEdit(lambda: self.w.data is not None)
        self.path_edit.setPlaceholderText("Ruta del archivo, o pulse «Examinar…»")
        self.path_edit.setClearButtonEnabled(True)
        path_label = QLabel("&Archivo:")
        path_label.setBuddy(self.path_edit)
        self.browse_button = QPushButton("&Examinar…")
        grid.addWidget(path_label, 0, 0)
        grid.addWidget(self.path_edit, 0, 1)
        grid.addWidget(self.browse_button, 0, 2)
        self.sheet_combo = QComboBox()
        self.sheet_combo.setEnabled(False)
        self.sheet_combo.setMinimumContentsLength(20)
        sheet_label = QLabel("&Hoja:")
        sheet_label.setBuddy(self.sheet_combo)
        grid.addWidget(sheet_label, 1, 0)
        grid.addWidget(self.sheet_combo, 1, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.reading = QProgressBar()
        self.reading.setRange(0, 0)
        self.reading.setMaximumHeight(10)
        self.reading.setTextVisible(False)
        self.reading.hide()
        layout.addWidget(self.reading)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        layout.addSpacing(8)
        help_title = QLabel("<b>Cómo debe ser el archivo</b>")
        layout.addWidget(help_title)
        instructions = QLabel("<ul style='margin-left:-20px'>" + "".join(
            f"<li>{line}</li>" for line in wizard.kind.instructions) + "</ul>")
        instructions.setWordWrap(True)
        instructions.setObjectName("formHint")
        layout.addWidget(instructions)
        template_row = QHBoxLayout()
        self.template_button = QPushButton("Descargar &plantilla…")
        self.template_button.setToolTip("Guardar un libro de Excel vacío con los encabezados, un ejemplo y las instrucciones")
        template_row.addWidget(self.template_button)
        self.template_status = QLabel()
        self.template_status.setWordWrap(True)
        template_row.addWidget(self.template_status, 1)
        layout.addLayout(template_row)
        layout.addStretch(1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(READ_DELAY_MS)
        self._timer.timeout.connect(self.load)
        self._token = 0
        self._loaded: tuple[str, str | None] | None = None  # (path, sheet) of wizard.data
        self.path_edit.textChanged.connect(self._path_edited)
        self.path_edit.editingFinished.connect(self.load)
        self.path_edit.returnPressed.connect(self.load)
        self.browse_button.clicked.connect(self.browse)
        self.sheet_combo.currentIndexChanged.connect(lambda _i: self.load())
        self.template_button.clicked.connect(self.ask_template)

    # -- reading
    def path(self) -> str:
        return self.path_edit.text().strip().strip('"').strip()

    def set_file(self, path: str | Path) -> None:
        """Choose a file and read it now (the browse button and the tests use it)."""
        self.path_edit.setText(str(path))
        self.load()

    def _path_edited(self, _text: str) -> None:
        self._token += 1  # a read still running is now stale
        self._loaded = None
        self.w.data = None
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.blockSignals(False)
        self.sheet_combo.setEnabled(False)
        self.reading.hide()
        _message(self.status, "")
        self._timer.start()
        self.completeChanged.emit()

    def load(self) -> None:
        """Read the chosen sheet (the first one for a new file) off the UI thread."""
        self._timer.stop()
        path = self.path()
        if not path:
            return
        sheet = self.sheet_combo.currentText() if self.sheet_combo.count() else None
        if self._loaded == (path, sheet) and self.w.data is not None:
            return
        self._token += 1
        token = self._token
        self._loaded = None
        self.w.data = None
        self.completeChanged.emit()
        self.reading.show()
        _message(self.status, f"Leyendo «{Path(path).name}»…")
        known = self.w.kind.known_headers()

        def work():
            from models.importing.reader import list_sheets, read_sheet

            sheets = list_sheets(path)
            chosen = sheet if sheet in sheets else (sheets[0] if sheets else None)
            return sheets, chosen, read_sheet(path, chosen, known)

        self.w.ctx.tasks.run(work, lambda r: self._read(token, path, *r), lambda f: self._read_failed(token, f))

    def _read(self, token: int, path: str, sheets: list[str], sheet: str | None, data: SheetData) -> None:
        if token != self._token:
            return
        self.reading.hide()
        self.sheet_combo.blockSignals(True)
        self.sheet_combo.clear()
        self.sheet_combo.addItems(sheets)
        self.sheet_combo.setCurrentIndex(max(self.sheet_combo.findText(sheet or ""), 0))
        self.sheet_combo.setEnabled(len(sheets) > 1)
        self.sheet_combo.blockSignals(False)
        self._loaded = (path, sheet)
        where = f"Hoja «{sheet}»: e" if sheet else "E"
        if not data.rows:
            _message(self.status, f"{where}ncabezados en la fila {data.header_row}, pero no hay filas de datos debajo. "
                     + ("Elija otra hoja." if len(sheets) > 1 else "Revise el archivo."), error=True)
            self.w.data = None
        else:
            _message(self.status, f"{where}ncabezados en la fila {data.header_row}; "
                     f"{format_int(len(data.rows))} {'fila' if len(data.rows) == 1 else 'filas'} con datos.")
            self.w.data = data
            self.w.file_path = path
        self.completeChanged.emit()

    def _read_failed(self, token: int, failure: TaskFailure) -> None:
        if token != self._token:
            return
        self.reading.hide()
        exc = failure.exception
        text = str(exc) if isinstance(exc, (ReadError, OSError)) else f"No se pudo leer el archivo: {exc}"
        _message(self.status, text, error=True)
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        return self.w.data is not None

    # -- file dialogs
    def browse(self) -> None:
        start = self.path() or self.w.ctx.settings.get(S.IMPORT_DIR)
        path, _filter = QFileDialog.getOpenFileName(self, "Elegir el archivo que se importa", start, OPEN_FILTER)
        if path:
            self.w.ctx.settings.set(S.IMPORT_DIR, str(Path(path).parent))
            self.set_file(path)

    def ask_template(self) -> None:
        folder = self.w.ctx.settings.get(S.EXPORT_DIR) or self.w.ctx.settings.get(S.IMPORT_DIR)
        start = str(Path(folder) / self.template_name()) if folder else self.template_name()
        path, _filter = QFileDialog.getSaveFileName(self, "Guardar la plantilla", start, "Libro de Excel (*.xlsx)")
        if path:
            if not path.lower().endswith(".xlsx"):
                path += ".xlsx"
            self.w.ctx.settings.set(S.EXPORT_DIR, str(Path(path).parent))
            self.save_template_to(path)

    def template_name(self) -> str:
        return TEMPLATE_NAMES.get(self.w.kind.key, f"plantilla_{self.w.kind.key}.xlsx")

    def save_template_to(self, path: str | Path) -> None:
        """Write the blank template for this kind of import (in the background)."""
        from models.importing.export import write_template

        key = self.w.kind.key
        _message(self.template_status, "Guardando la plantilla…")

        def failed(failure: TaskFailure) -> None:
            _message(self.template_status, f"No se pudo guardar la plantilla: {failure.exception}", error=True)

        self.w.ctx.tasks.run(lambda: write_template(key, path),
                             lambda _r: _message(self.template_status, f"Plantilla guardada en {path}"), failed)


class PreviewPage(QWizardPage):
    """(b) The first rows as read, under the detected headers, with their spreadsheet row numbers."""

    def __init__(self, wizard: ImportWizard):
        super().__init__()
        self.w = wizard
        self.setTitle("Vista previa")
        self.setSubTitle("Compruebe que los encabezados y los datos se leyeron bien.")
        layout = QVBoxLayout(self)
        self.info = QLabel()
        self.info.setWordWrap(True)
        layout.addWidget(self.info)
        self.model = TextTableModel(self)
        self.view = _table(self.model, row_numbers=True)
        self.view.horizontalHeader().setStretchLastSection(False)
        layout.addWidget(self.view, 1)
        hint = QLabel("Los números a la izquierda son las filas de la hoja de cálculo. Si los encabezados no son "
                      "los correctos, corrija el archivo (la fila de encabezados es la que nombra más columnas conocidas).")
        hint.setWordWrap(True)
        hint.setObjectName("formHint")
        layout.addWidget(hint)

    def initializePage(self) -> None:  # noqa: N802
        data = self.w.data
        assert data is not None
        shown = min(PREVIEW_ROWS, len(data.rows))
        where = f"de la hoja «{data.sheet}» " if data.sheet else ""
        self.info.setText(
            f"Encabezados detectados en la <b>fila {data.header_row}</b> {where}de «{data.source}». "
            f"{format_int(len(data.rows))} filas con datos"
            + (f"; se muestran las primeras {shown}." if shown < len(data.rows) else ".")
        )
        self.model.set_rows(
            [f"{column_letter(i)} · {h}" for i, h in enumerate(data.headers)], data.preview(PREVIEW_ROWS),
            [str(n) for n in data.row_numbers[:shown]],
        )
        self.view.resizeColumnsToContents()
        for i in range(self.model.columnCount()):
            self.view.setColumnWidth(i, min(max(self.view.columnWidth(i), 60), 260))


class MappingPage(QWizardPage):
    """(c) Which column of the file feeds each field; guessed from the headers, editable."""

    def __init__(self, wizard: ImportWizard):
        super().__init__()
        self.w = wizard
        self.setTitle("Columnas")
        self.setSubTitle("Indique qué columna del archivo corresponde a cada dato. Los marcados con * son obligatorios.")
        layout = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        self.grid = QGridLayout(body)
        self.grid.setColumnStretch(1, 2)
        self.grid.setColumnStretch(2, 3)
        self.grid.setVerticalSpacing(4)
        self.combos: dict[str, QComboBox] = {}
        for row, spec in enumerate(wizard.kind.fields):
            label = QLabel(f"{spec.header}{' *' if spec.required else ''}")
            if spec.required:
                label.setStyleSheet("font-weight: 600;")
            label.setToolTip(spec.description)
            combo = QComboBox()
            combo.setToolTip(spec.description)
            combo.setMinimumContentsLength(24)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            label.setBuddy(combo)
            description = QLabel(spec.description)
            description.setObjectName("formHint")
            description.setWordWrap(True)
            self.grid.addWidget(label, row, 0)
            self.grid.addWidget(combo, row, 1)
            self.grid.addWidget(description, row, 2)
            self.combos[spec.key] = combo
            combo.currentIndexChanged.connect(self._changed)
        self.grid.setRowStretch(len(wizard.kind.fields), 1)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.unused = QLabel()
        self.unused.setWordWrap(True)
        self.unused.setObjectName("formHint")
        layout.addWidget(self.unused)
        self._built_for: SheetData | None = None

    def initializePage(self) -> None:  # noqa: N802
        data = self.w.data
        assert data is not None
        if self._built_for is data:
            return  # back and forth on the same sheet keeps the user's choices
        self._built_for = data
        guess = guess_mapping(self.w.kind, data.headers)
        for key, combo in self.combos.items():
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("(no importar)", NOT_IMPORTED)
            for i, header in enumerate(data.headers):
                combo.addItem(f"{column_letter(i)} · {header}", i)
            index = guess.get(key)
            combo.setCurrentIndex(combo.findData(index) if index is not None else 0)
            combo.blockSignals(False)
        self._changed()

    def mapping(self) -> dict[str, int | None]:
        result: dict[str, int | None] = {}
        for key, combo in self.combos.items():
            value = combo.currentData()
            result[key] = None if value is None or value == NOT_IMPORTED else int(value)
        return result

    def problems(self) -> list[str]:
        """Why the mapping cannot be used yet (Spanish sentences); empty when it can."""
        mapping = self.mapping()
        problems = []
        missing = missing_required(self.w.kind, mapping)
        if missing:
            problems.append("Falta elegir la columna de " + ", ".join(f"«{m}»" for m in missing) + ".")
        headers = self._built_for.headers if self._built_for else []
        used: dict[int, list[str]] = {}
        for key, index in mapping.items():
            if index is not None:
                used.setdefault(index, []).append(self.w.kind.field(key).header)
        for index, names in sorted(used.items()):
            if len(names) > 1:
                problems.append(f"La columna {column_letter(index)} («{headers[index]}») está elegida para "
                                f"{' y '.join(names)}; cada columna puede usarse una sola vez.")
        return problems

    def _changed(self, *_args) -> None:
        problems = self.problems()
        _message(self.message, " ".join(problems) if problems else "Correspondencia completa.", error=bool(problems))
        for key, combo in self.combos.items():
            unmapped = self.w.kind.field(key).required and combo.currentData() == NOT_IMPORTED
            combo.setProperty("invalid", "true" if unmapped else "false")
            combo.style().unpolish(combo)
            combo.style().polish(combo)
        if self._built_for is not None:
            mapped = {i for i in self.mapping().values() if i is not None}
            unused = [f"{column_letter(i)} · {h}" for i, h in enumerate(self._built_for.headers) if i not in mapped]
            self.unused.setText("Columnas del archivo que no se importan: " + ", ".join(unused) + "." if unused else "")
        self.completeChanged.emit()

    def isComplete(self) -> bool:  # noqa: N802
        return self._built_for is not None and not self.problems()

    def validatePage(self) -> bool:  # noqa: N802
        self.w.mapping = self.mapping()
        return True


class ValidationPage(QWizardPage):
    """(d) Validation against the database (nothing written) and its summary; "Importar" applies it."""

    def __init__(self, wizard: ImportWizard):
        super().__init__()
        self.w = wizard
        self.setTitle("Validación")
        self.setSubTitle("Revise lo que hará la importación. No se guarda nada hasta pulsar «Importar».")
        self.setCommitPage(True)
        layout = QVBoxLayout(self)
        self.stage = QLabel()
        layout.addWidget(self.stage)
        progress_row = QHBoxLayout()
        self.bar = QProgressBar()
        self.bar.setFormat("%p %")
        progress_row.addWidget(self.bar, 1)
        self.cancel_button = QPushButton("&Cancelar")
        self.cancel_button.setToolTip("Detener la validación o la importación; no se guarda nada")
        self.cancel_button.clicked.connect(self.w.cancel_task)
        progress_row.addWidget(self.cancel_button)
        self.revalidate_button = QPushButton("&Volver a validar")
        self.revalidate_button.clicked.connect(self.validate)
        progress_row.addWidget(self.revalidate_button)
        layout.addLayout(progress_row)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        layout.addSpacing(4)

        self.results = QWidget()
        results = QVBoxLayout(self.results)
        results.setContentsMargins(0, 0, 0, 0)
        stats = QGridLayout()
        stats.setHorizontalSpacing(18)
        self.count_labels: dict[str, QLabel] = {}
        for column, (key, caption) in enumerate(COUNT_CAPTIONS):
            number = QLabel("0")
            number.setObjectName("statNumber")
            number.setAlignment(Qt.AlignmentFlag.AlignCenter)
            text = QLabel(caption)
            text.setObjectName("statCaption")
            text.setAlignment(Qt.AlignmentFlag.AlignCenter)
            stats.addWidget(number, 0, column)
            stats.addWidget(text, 1, column)
            self.count_labels[key] = number
        results.addLayout(stats)

        self.tabs = QTabWidget()
        self.rejected_model = TextTableModel(self)
        self.warnings_model = TextTableModel(self)
        self.changes_model = TextTableModel(self)
        self.conflicts_model = TextTableModel(self)
        rejected_tab = QWidget()
        rv = QVBoxLayout(rejected_tab)
        self.rejected_view = _table(self.rejected_model)
        rv.addWidget(self.rejected_view, 1)
        row = QHBoxLayout()
        self.save_rejected_button = QPushButton("&Guardar filas rechazadas…")
        self.save_rejected_button.setToolTip("Guardar las filas rechazadas, con el motivo, en un libro de Excel para corregirlas")
        self.save_rejected_button.clicked.connect(self.ask_save_rejected)
        row.addWidget(self.save_rejected_button)
        self.rejected_status = QLabel()
        self.rejected_status.setWordWrap(True)
        row.addWidget(self.rejected_status, 1)
        rv.addLayout(row)
        self.tabs.addTab(rejected_tab, "Rechazadas")
        self.warnings_view = _table(self.warnings_model)
        self.tabs.addTab(self.warnings_view, "Avisos")
        self.changes_view = _table(self.changes_model)
        self.tabs.addTab(self.changes_view, "Cambios")
        conflicts_tab = QWidget()
        cv = QVBoxLayout(conflicts_tab)
        explain = QLabel("Estos registros se editaron en esta oficina después de la fecha del archivo. Si no marca la "
                         "casilla, esos campos conservan el valor de esta oficina.")
        explain.setWordWrap(True)
        cv.addWidget(explain)
        self.conflicts_view = _table(self.conflicts_model)
        cv.addWidget(self.conflicts_view, 1)
        self.overwrite = QCheckBox("&Sobrescribir también los campos editados en esta oficina")
        cv.addWidget(self.overwrite)
        self.tabs.addTab(conflicts_tab, "Conflictos")
        results.addWidget(self.tabs, 1)
        layout.addWidget(self.results, 1)
        layout.addStretch(0)  # takes the space while the results are hidden (see _set_results_visible)
        self._layout = layout
        self._show_idle()

    # -- validation
    def initializePage(self) -> None:  # noqa: N802
        self.validate()

    def cleanupPage(self) -> None:  # noqa: N802
        self.w.cancel_task()
        self.w.plan = None

    def validate(self) -> None:
        """Run the planner in the background, with progress and "Cancelar"."""
        w = self.w
        if w.busy or w.data is None or w.mapping is None:
            return
        w.plan = None
        self.set_results_visible(False)
        self.revalidate_button.hide()
        _message(self.message, "")
        kind, data, mapping, state_id = w.kind, w.data, dict(w.mapping), w.office_state_id
        file_date = w.file_date()

        def work(progress: Progress) -> tuple[ImportPlan, dict[str, list[list[str]]]]:
            def read(session: Session) -> tuple[ImportPlan, dict[str, list[list[str]]]]:
                plan = kind.planner(session, data, mapping, state_id, file_date, progress=progress)
                return plan, summary_tables(plan)  # the tables' text is built here, off the UI thread

            return w.ctx.read(read)()

        w.start_task(work, self._validated, self._validation_failed, "Validando filas")

    def _validated(self, result: tuple[ImportPlan, dict[str, list[list[str]]]]) -> None:
        plan, tables = result
        self.w.plan = plan
        self._show_plan(plan, tables)
        self._show_idle()

    def _validation_failed(self, failure: TaskFailure) -> None:
        self._show_idle()
        if failure.cancelled:
            _message(self.message, "Validación cancelada. Pulse «Volver a validar» para empezar de nuevo.", error=True)
        else:
            _message(self.message, f"No se pudo validar el archivo: {failure.exception}", error=True)
            self.w.report_unexpected(failure)
        self.revalidate_button.show()

    def _show_plan(self, plan: ImportPlan, tables: dict[str, list[list[str]]]) -> None:
        counts = {
            "nuevos": len(plan.new), "actualizados": len(plan.updated), "sin_cambios": len(plan.unchanged),
            "rechazados": len(plan.rejected_rows), "omitidos_otra_entidad": plan.skipped_other_state,
            "conflictos": plan.conflict_count,
        }
        for key, label in self.count_labels.items():
            label.setText(format_int(counts[key]))
            label.setProperty("alert", "true" if key in ("rechazados", "conflictos") and counts[key] else "false")
            label.style().unpolish(label)
            label.style().polish(label)
        self.set_results_visible(True)
        changes, conflicts = tables["changes"], tables["conflicts"]
        self.rejected_model.set_rows(["Fila", "Columna", "Motivo"], tables["rejected"])
        self.warnings_model.set_rows(["Fila", "Columna", "Aviso"], tables["warnings"])
        self.changes_model.set_rows(["Fila", "Clave", "Campo", "Valor actual", "Valor del archivo"], changes)
        self.conflicts_model.set_rows(["Fila", "Clave", "Campo", "En esta oficina", "En el archivo"], conflicts)
        for view, widths in ((self.rejected_view, (60, 170)), (self.warnings_view, (60, 170)),
                             (self.changes_view, (50, 110, 250, 200)), (self.conflicts_view, (50, 110, 250, 200))):
            for i, width in enumerate(widths):
                view.setColumnWidth(i, width)
        self.tabs.setTabText(0, f"Rechazadas ({format_int(len(plan.rejected_rows))})")
        self.tabs.setTabText(1, f"Avisos ({format_int(len(plan.warnings))})")
        self.tabs.setTabText(2, f"Cambios ({format_int(sum(1 for u in plan.updated if u.changes))})")
        self.tabs.setTabText(3, f"Conflictos ({format_int(plan.conflict_count)})")
        self.save_rejected_button.setEnabled(bool(plan.rejected_rows))
        self.overwrite.setEnabled(bool(conflicts))
        self.overwrite.setChecked(False)
        _message(self.rejected_status, "" if plan.rejected_rows else "No hay filas rechazadas.")
        first_useful = next((i for i, n in enumerate((len(plan.rejected), len(plan.warnings), len(changes), len(conflicts))) if n), 0)
        self.tabs.setCurrentIndex(3 if conflicts else first_useful)
        if plan.has_changes:
            parts = []
            if plan.new:
                parts.append(f"se registrarán {format_int(len(plan.new))} nuevos")
            changed = sum(1 for u in plan.updated if u.changes)
            if changed:
                parts.append(f"se actualizarán {format_int(changed)}")
            if plan.conflict_count:
                parts.append(f"{format_int(plan.conflict_count)} tienen campos editados en esta oficina "
                             "(vea «Conflictos»)")
            text = "Listo para importar: " + "; ".join(parts) + "."
            if plan.rejected_rows:
                text += f" Las {format_int(len(plan.rejected_rows))} filas rechazadas no se importan."
            _message(self.message, text + " Pulse «Importar» para guardar (todo o nada).")
        elif plan.skipped_other_state and not (plan.unchanged or plan.rejected_rows):
            state = self.w.ctx.office.state
            _message(self.message, "No hay nada que importar: todas las filas son de otra entidad"
                     + (f" (esta oficina sólo importa las de {state.name})." if state else "."), error=True)
        else:
            _message(self.message, "No hay nada que importar: el archivo no trae registros nuevos ni cambios.",
                     error=bool(plan.rejected_rows))

    def set_results_visible(self, visible: bool) -> None:
        self.results.setVisible(visible)
        self._layout.setStretch(self._layout.count() - 1, 0 if visible else 1)

    # -- busy state
    def show_progress(self, done: int, total: int, stage: str) -> None:
        self.bar.setRange(0, max(total, 0))
        self.bar.setValue(min(done, total) if total else 0)
        self.stage.setText(f"{stage}: {format_int(done)} de {format_int(total)}…" if total else f"{stage}…")

    def show_busy(self, stage: str) -> None:
        self.bar.setRange(0, 0)
        self.bar.show()
        self.stage.setText(f"{stage}…")
        self.stage.show()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.revalidate_button.hide()

    def _show_idle(self) -> None:
        self.bar.hide()
        self.stage.hide()
        self.cancel_button.hide()

    def isComplete(self) -> bool:  # noqa: N802
        plan = self.w.plan
        return plan is not None and plan.has_changes and not self.w.busy

    def validatePage(self) -> bool:  # noqa: N802
        """"Importar": apply in one write transaction; the wizard moves on once it has been committed."""
        if self.w.counts is None and not self.w.busy:
            self.w.apply(self.overwrite.isChecked())
        return self.w.counts is not None

    # -- rejected rows
    def ask_save_rejected(self) -> None:
        if self.w.plan is None:
            return
        folder = self.w.ctx.settings.get(S.EXPORT_DIR) or self.w.ctx.settings.get(S.IMPORT_DIR)
        name = f"{Path(self.w.file_path or 'archivo').stem}_rechazadas.xlsx"
        path, _filter = QFileDialog.getSaveFileName(self, "Guardar filas rechazadas",
                                                    str(Path(folder) / name) if folder else name,
                                                    "Libro de Excel (*.xlsx);;CSV UTF-8 (*.csv)")
        if path:
            if Path(path).suffix.lower() not in (".xlsx", ".csv"):
                path += ".xlsx"
            self.w.ctx.settings.set(S.EXPORT_DIR, str(Path(path).parent))
            self.save_rejected_to(path)

    def save_rejected_to(self, path: str | Path) -> None:
        """Write the rejected rows (row, column, reason and the original cells) in the background."""
        from models.importing.export import write_rejected

        plan = self.w.plan
        if plan is None:
            return
        _message(self.rejected_status, "Guardando…")

        def done(count: int) -> None:
            _message(self.rejected_status, f"Se guardaron {format_int(count)} filas rechazadas en {path}")

        def failed(failure: TaskFailure) -> None:
            _message(self.rejected_status, f"No se pudo guardar el archivo: {failure.exception}", error=True)

        self.w.ctx.tasks.run(lambda: write_rejected(plan, path), done, failed)


class ResultPage(QWizardPage):
    """(e) What the import saved."""

    def __init__(self, wizard: ImportWizard):
        super().__init__()
        self.w = wizard
        self.setTitle("Importación terminada")
        self.setSubTitle("Los cambios se guardaron en la base de datos.")
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802
        counts = self.w.counts or {}
        source = self.w.plan.source if self.w.plan else ""
        lines = []
        for key, value in counts.items():
            if value or key in ("nuevos", "actualizados"):
                one, many = RESULT_LABELS.get(key, (key.replace("_", " "),) * 2)
                lines.append(f"<li><b>{format_int(value)}</b> {one if value == 1 else many}</li>")
        kept = self.w.plan.conflict_count if self.w.plan and not self.w.overwrite_used else 0
        if kept:
            text = ("registro editado en esta oficina conservó sus valores" if kept == 1
                    else "registros editados en esta oficina conservaron sus valores")
            lines.append(f"<li><b>{format_int(kept)}</b> {text}</li>")
        self.summary.setText(f"Se importó el archivo {html.escape(source)}:<ul>{''.join(lines)}</ul>")


def summary_tables(plan: ImportPlan) -> dict[str, list[list[str]]]:
    """The validation page's tables as text: rejected rows, warnings, changes and conflicts (one line per field)."""
    labels = {**get_kind("establishments").labels(), **plan.field_labels}  # updates change establishment fields
    tables: dict[str, list[list[str]]] = {
        "rejected": [[str(i.row), i.column, i.reason] for i in plan.rejected],
        "warnings": [[str(i.row), i.column, i.reason] for i in plan.warnings],
        "changes": [],
        "conflicts": [],
    }
    for update in plan.updated:
        for table, fields in (("changes", update.changes), ("conflicts", update.conflicts)):
            for name, (old, new) in fields.items():
                tables[table].append([str(update.row), update.key, _field_label(labels, name),
                                      plan.show(name, old), plan.show(name, new)])
    return tables


def _field_label(labels: dict[str, str], name: str) -> str:
    if name in labels:
        return labels[name]
    if name.endswith("_id") and name[:-3] in labels:
        return labels[name[:-3]]
    return name


# ---- the wizard -----------------------------------------------------------------------------------------
class ImportWizard(QWizard):
    """Import one kind of data (``"establishments"``, ``"equivalences"``) from a spreadsheet.

    Emits ``imported(counts)`` once the import is committed. ``progress_reported(done, total, stage)``
    mirrors every progress report of validation and import (the tests cancel from it).
    """

    imported = Signal(dict)
    progress_reported = Signal(int, int, str)

    def __init__(self, ctx: AppContext, kind_key: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.kind: ImportKind = get_kind(kind_key)
        self.office_state_id = ctx.office.state.id if ctx.office.state else None
        self.file_path: str | None = None
        self.data: SheetData | None = None
        self.mapping: dict[str, int | None] | None = None
        self.plan: ImportPlan | None = None
        self.counts: dict[str, int] | None = None
        self.overwrite_used = False
        self.busy = False
        self._progress: Progress | None = None
        self._in_validate = False
        self._delete_when_idle = False
        self.setWindowTitle(f"Importar — {self.kind.title}")
        self.setStyleSheet(PAGE_STYLE)
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setButtonText(QWizard.WizardButton.BackButton, "< &Atrás")
        self.setButtonText(QWizard.WizardButton.NextButton, "&Siguiente >")
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Importar")
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Cerrar")
        self.setButtonText(QWizard.WizardButton.CancelButton, "Cerrar sin importar")
        self.file_page = FilePage(self)
        self.preview_page = PreviewPage(self)
        self.mapping_page = MappingPage(self)
        self.validation_page = ValidationPage(self)
        self.result_page = ResultPage(self)
        for page in (self.file_page, self.preview_page, self.mapping_page, self.validation_page, self.result_page):
            self.addPage(page)
        self.setMinimumSize(820, 600)
        geometry = ctx.settings.get(S.IMPORT_WIZARD_GEOMETRY)
        if not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(940, 680)

    def file_date(self):
        """The file's modification time (UTC): local edits after it are conflicts."""
        from models.importing.runner import file_date

        try:
            return file_date(self.file_path) if self.file_path else None
        except OSError:
            return None

    # ---- background work with progress and cancel ------------------------------------------------------
    def start_task(self, work, on_done, on_error, stage: str, *, write: bool = False) -> None:
        """Run ``work(progress)`` with the validation page's progress bar and "Cancelar" button."""
        self._set_busy(True)
        self.validation_page.show_busy(stage)

        def finish(callback, payload) -> None:
            self._progress = None
            self.busy = False
            callback(payload)
            self._set_busy(False)  # after the callback: Next/Importar depend on what it stored
            self._idle()

        def done(result) -> None:
            finish(on_done, result)

        def failed(failure: TaskFailure) -> None:
            finish(on_error, failure)

        def job(progress: Progress):
            self._progress = progress  # reachable by "Cancelar" at once (the synchronous runner returns at the end)
            return work(progress)

        progress = self.ctx.tasks.run_progress(job, done, failed, self._reported, write=write)
        if self.busy:
            self._progress = progress

    def _reported(self, done: int, total: int, stage: str) -> None:
        if self.busy:
            self.validation_page.show_progress(done, total, stage)
            self.progress_reported.emit(done, total, stage)

    def cancel_task(self) -> None:
        """Stop the running validation or import; the job stops at its next progress report."""
        if self._progress is not None:
            self._progress.cancel()
            self.validation_page.cancel_button.setEnabled(False)
            self.validation_page.stage.setText("Cancelando…")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        page = self.currentPage()
        if page is not None:
            page.completeChanged.emit()  # re-evaluates Next/Importar (and resets Back)
        if busy:
            self.button(QWizard.WizardButton.BackButton).setEnabled(False)

    def _idle(self) -> None:
        if self._delete_when_idle and not self.busy:
            self.deleteLater()

    # ---- applying -------------------------------------------------------------------------------------
    def apply(self, overwrite: bool) -> None:
        """Apply the validated plan in one write transaction (commit, or roll back on error or cancel)."""
        plan, kind, user = self.plan, self.kind, self.ctx.username
        if plan is None:
            return
        ctx = self.ctx
        self.overwrite_used = overwrite

        def work(progress: Progress) -> dict[str, int]:
            def transaction(session: Session) -> dict[str, int]:
                total = len(plan.new) + len(plan.updated)
                progress.report(0, total, "Guardando")
                counts = kind.applier(session, plan, user, overwrite_conflicts=overwrite, progress=progress)
                progress.report(total, total, "Guardando")  # a cancel up to here still rolls back
                return counts

            return ctx.write(transaction)()

        self._in_validate = True
        try:
            self.start_task(work, self._applied, self._apply_failed, "Guardando", write=True)
        finally:
            self._in_validate = False

    def _applied(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.imported.emit(counts)
        if not self._in_validate and self.isVisible():
            self.next()  # asynchronous: validatePage returned False; now it will return True

    def _apply_failed(self, failure: TaskFailure) -> None:
        from models.services.establishments import ConcurrencyError

        page = self.validation_page
        exc = failure.exception
        if failure.cancelled:
            _message(page.message, "Importación cancelada: no se guardó ningún cambio. Puede volver a pulsar «Importar».",
                     error=True)
            return
        if isinstance(exc, ConcurrencyError):
            _message(page.message, f"No se importó nada: {exc}", error=True)
        else:
            _message(page.message, f"No se pudo importar; no se guardó ningún cambio.\n{exc}", error=True)
            self.report_unexpected(failure)
        self.plan = None  # stale: the database changed or the plan cannot be applied; validate again
        page.set_results_visible(False)
        page.revalidate_button.show()
        page.completeChanged.emit()

    def report_unexpected(self, failure: TaskFailure) -> None:
        """Programming errors also get the error dialog with the technical details (and the log)."""
        from models.importing.reader import ReadError
        from models.services.establishments import ConcurrencyError

        if not isinstance(failure.exception, (ReadError, ConcurrencyError, OSError, ValueError)):
            from gui.dialogs import error_dialog

            error_dialog.show_failure(self, failure)

    # ---- closing --------------------------------------------------------------------------------------
    def done(self, result: int) -> None:
        """Closing (Cerrar, Escape, Cerrar sin importar) cancels any running job, which then rolls back."""
        self.cancel_task()
        self.ctx.settings.set(S.IMPORT_WIZARD_GEOMETRY, self.saveGeometry())
        super().done(result)
        self._delete_when_idle = True
        self._idle()
