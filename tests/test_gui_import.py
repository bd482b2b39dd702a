"""The import wizard and the export, driven in the real window on a Querétaro office with the real test files."""
from __future__ import annotations

import csv
import os
import shutil
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from sqlalchemy import select

from gui.dialogs.import_wizard import NOT_IMPORTED, ImportWizard
from gui.tasks import TaskFailure, TaskRunner
from models.entities import Establishment
from models.services import establishments as svc
from models.services import office as office_svc
from tests.gui_helpers import build_window
from tests.helpers import new_establishment, table_dump

DATA = Path(__file__).parent / "data" / "import"
QRO_CLUES = ["QTIMB000012", "QTIMB000027", "QTIMB000035", "QTIMB000041", "QTIMB000058"]
B = QWizard.WizardButton


@pytest.fixture
def qro(factory) -> office_svc.StateInfo:
    """Querétaro (INEGI 22, CLUES prefix QT), and this database set up as its office."""
    with factory.begin() as session:
        office_svc.set_office(session, "22")
        return office_svc.find_state(session, "22")


@pytest.fixture
def window(qtbot, factory, window_db_path, tmp_path, qro):
    return build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")


def click(qtbot, wizard: ImportWizard, which: QWizard.WizardButton) -> None:
    button = wizard.button(which)
    assert button.isVisible() and button.isEnabled(), f"{button.text()} is not available"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def open_file(qtbot, page, path: Path, kind: str = "establishments") -> ImportWizard:
    """Open the wizard and type the file's path like a user (Enter reads it)."""
    wizard = page.open_import_wizard(kind)
    assert wizard.isVisible() and wizard.currentPage() is wizard.file_page
    assert not wizard.button(B.NextButton).isEnabled()  # no file yet
    qtbot.keyClicks(wizard.file_page.path_edit, str(path))
    qtbot.keyClick(wizard.file_page.path_edit, Qt.Key.Key_Return)
    return wizard


def to_validation(qtbot, wizard: ImportWizard) -> None:
    for page in (wizard.preview_page, wizard.mapping_page, wizard.validation_page):
        click(qtbot, wizard, B.NextButton)
        assert wizard.currentPage() is page


def counts(wizard: ImportWizard) -> dict[str, str]:
    return {key: label.text() for key, label in wizard.validation_page.count_labels.items()}


def stored(factory) -> dict[str, Establishment]:
    with factory() as session:
        return {e.clues: e for e in session.scalars(select(Establishment))}


def old_copy(name: str, folder: Path) -> Path:
    """The file with a modification date in 2024, so this office's edits of today are later than the file."""
    target = folder / name
    shutil.copy(DATA / name, target)
    stamp = datetime(2024, 7, 1, tzinfo=timezone.utc).timestamp()
    os.utime(target, (stamp, stamp))
    return target


def test_wizard_imports_the_querétaro_catalogue_end_to_end(qtbot, window, factory):
    page = window.establishments
    records = window.menuBar().actions()[1].menu().actions()
    assert [a.text() for a in records if a.text()][4:7] == ["&Importar…", "Importar e&quivalencias de CLUES…", "E&xportar…"]
    assert page.import_action.shortcut().toString() == "Ctrl+I"
    assert page.export_action.shortcut().toString() == "Ctrl+Shift+E"

    wizard = open_file(qtbot, page, DATA / "clues_qro.xlsx")
    file_page = wizard.file_page
    assert [file_page.sheet_combo.itemText(i) for i in range(file_page.sheet_combo.count())] == ["CLUES", "Notas"]
    assert file_page.sheet_combo.isEnabled()
    assert "fila 1" in file_page.status.text() and "5 filas con datos" in file_page.status.text()

    click(qtbot, wizard, B.NextButton)
    preview = wizard.preview_page
    assert preview.model.rowCount() == 5
    assert preview.model.headerData(0, Qt.Orientation.Horizontal) == "A · CLUES"
    assert [preview.model.headerData(r, Qt.Orientation.Vertical) for r in range(5)] == ["2", "3", "4", "5", "6"]
    assert preview.model.index(0, 13).data() == "CENTRO DE SALUD LA CAÑADA"
    assert "fila 1" in preview.info.text()

    click(qtbot, wizard, B.NextButton)
    combos = wizard.mapping_page.combos
    prefilled = {key: combos[key].currentData() for key in ("clues", "name", "state_code", "municipality_code", "latitude")}
    assert prefilled == {"clues": 0, "name": 13, "state_code": 3, "municipality_code": 5, "latitude": 19}
    assert combos["previous_clues"].currentData() == NOT_IMPORTED  # the file has no such column
    # A required field left unmapped blocks the way on, and says which.
    combos["clues"].setCurrentIndex(combos["clues"].findData(NOT_IMPORTED))
    assert not wizard.button(B.NextButton).isEnabled()
    assert "«CLUES»" in wizard.mapping_page.message.text()
    combos["clues"].setCurrentIndex(combos["clues"].findData(0))
    assert wizard.button(B.NextButton).isEnabled()

    click(qtbot, wizard, B.NextButton)
    assert counts(wizard) == {"nuevos": "5", "actualizados": "0", "sin_cambios": "0", "rechazados": "0",
                              "omitidos_otra_entidad": "0", "conflictos": "0"}
    assert "se registrarán 5 nuevos" in wizard.validation_page.message.text()
    assert stored(factory) == {}  # validating writes nothing
    assert wizard.button(B.CommitButton).text() == "&Importar"

    click(qtbot, wizard, B.CommitButton)
    assert wizard.currentPage() is wizard.result_page
    assert "<b>5</b> registros nuevos" in wizard.result_page.summary.text()
    assert page.proxy.rowCount() == 5  # the list reloaded behind the wizard
    assert window.statusBar().currentMessage().startswith("Importación terminada: 5 nuevos")
    click(qtbot, wizard, B.FinishButton)
    assert not wizard.isVisible() and page.import_wizard is None

    rows = stored(factory)
    assert sorted(rows) == QRO_CLUES
    assert rows["QTIMB000012"].name == "CENTRO DE SALUD LA CAÑADA"
    assert all(e.changed_by == "capturista (importación)" for e in rows.values())
    assert sorted(page.proxy.index(r, 0).data() for r in range(5)) == QRO_CLUES


def test_sheet_without_data_and_unreadable_files_keep_next_disabled(qtbot, window, tmp_path):
    wizard = open_file(qtbot, window.establishments, DATA / "clues_qro.xlsx")
    file_page = wizard.file_page
    file_page.sheet_combo.setCurrentIndex(file_page.sheet_combo.findText("Notas"))
    assert "no hay filas de datos" in file_page.status.text()
    assert not wizard.button(B.NextButton).isEnabled()
    file_page.sheet_combo.setCurrentIndex(file_page.sheet_combo.findText("CLUES"))
    assert wizard.button(B.NextButton).isEnabled()

    pdf = tmp_path / "oficio.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    file_page.set_file(pdf)
    assert "no es una hoja de cálculo" in file_page.status.text()
    assert not wizard.button(B.NextButton).isEnabled()
    file_page.set_file(tmp_path / "no-existe.xlsx")
    assert "No existe el archivo" in file_page.status.text()
    assert not wizard.button(B.NextButton).isEnabled()
    file_page.set_file(f'"{DATA / "clues_qro_latin1.csv"}"')  # Windows' "Copy as path" adds quotes
    assert "5 filas con datos" in file_page.status.text() and not file_page.sheet_combo.isEnabled()
    assert wizard.button(B.NextButton).isEnabled()
    wizard.reject()


def test_messy_file_lists_rejected_rows_and_saves_them(qtbot, window, factory, tmp_path):
    wizard = open_file(qtbot, window.establishments, DATA / "clues_messy.xlsx")
    click(qtbot, wizard, B.NextButton)
    assert "fila 4" in wizard.preview_page.info.text()
    assert wizard.preview_page.model.headerData(0, Qt.Orientation.Vertical) == "5"
    click(qtbot, wizard, B.NextButton)
    click(qtbot, wizard, B.NextButton)
    assert counts(wizard) == {"nuevos": "3", "actualizados": "0", "sin_cambios": "0", "rechazados": "3",
                              "omitidos_otra_entidad": "1", "conflictos": "0"}
    validation = wizard.validation_page
    assert validation.rejected_model.column(0) == ["7", "9", "10"]
    assert validation.rejected_model.column(1) == ["Clues", "Latitud", "NOMBRE DE LA UNIDAD"]
    assert "fila 5" in validation.rejected_model.column(2)[0]
    assert validation.tabs.tabText(0) == "Rechazadas (3)" and validation.tabs.currentIndex() == 0

    target = tmp_path / "rechazadas.xlsx"
    validation.save_rejected_to(target)
    assert validation.rejected_status.text() == f"Se guardaron 3 filas rechazadas en {target}"
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("FILA", "COLUMNA", "MOTIVO", "Clues")
    assert [r[0] for r in rows[1:]] == [7, 9, 10]
    assert rows[2][3] == "QTIMB000103" and "México" in rows[2][2]

    click(qtbot, wizard, B.CommitButton)
    assert sorted(stored(factory)) == ["QTIMB000101", "QTIMB000102", "QTIMB000105"]


def test_cancel_during_validation_and_during_import_saves_nothing(qtbot, window, factory, engine):
    page = window.establishments
    wizard = open_file(qtbot, page, DATA / "clues_qro.xlsx")
    validation = wizard.validation_page
    reports: list[tuple[int, int, str]] = []

    def cancel_at(stage: str):
        def slot(done: int, total: int, reported_stage: str) -> None:
            reports.append((done, total, reported_stage))
            if reported_stage == stage and validation.cancel_button.isEnabled():
                validation.cancel_button.click()  # the user presses "Cancelar" while it works
        return slot

    slot = cancel_at("Validando filas")
    wizard.progress_reported.connect(slot)
    to_validation(qtbot, wizard)
    assert reports and reports[0][2] == "Validando filas"
    assert "Validación cancelada" in validation.message.text()
    assert wizard.plan is None and not wizard.button(B.CommitButton).isEnabled()
    assert validation.revalidate_button.isVisibleTo(wizard)
    wizard.progress_reported.disconnect(slot)
    validation.revalidate_button.click()
    assert counts(wizard)["nuevos"] == "5" and wizard.button(B.CommitButton).isEnabled()

    before = table_dump(engine)
    reports.clear()
    slot = cancel_at("Guardando")
    wizard.progress_reported.connect(slot)
    click(qtbot, wizard, B.CommitButton)
    assert ("Guardando" in {stage for _d, _t, stage in reports})
    assert wizard.currentPage() is validation
    assert "Importación cancelada" in validation.message.text()
    assert table_dump(engine) == before  # nothing written, not even the audit entry
    assert page.proxy.rowCount() == 0

    wizard.progress_reported.disconnect(slot)
    click(qtbot, wizard, B.CommitButton)  # the same plan can still be imported
    assert sorted(stored(factory)) == QRO_CLUES


def test_fields_edited_in_this_office_are_kept_unless_overwrite_is_ticked(qtbot, window, factory, qro, tmp_path):
    new_establishment(factory, qro.id, "QTIMB000012", "NOMBRE LOCAL", "PRIMER")
    wizard = open_file(qtbot, window.establishments, old_copy("clues_qro.xlsx", tmp_path))
    to_validation(qtbot, wizard)
    validation = wizard.validation_page
    assert (counts(wizard)["nuevos"], counts(wizard)["actualizados"], counts(wizard)["conflictos"]) == ("4", "1", "1")
    conflicts = validation.conflicts_model
    names = [conflicts.index(r, 2).data() for r in range(conflicts.rowCount())]
    row = names.index("NOMBRE DE LA UNIDAD")
    assert [conflicts.index(row, c).data() for c in (0, 1, 3, 4)] == ["2", "QTIMB000012", "NOMBRE LOCAL",
                                                                       "CENTRO DE SALUD LA CAÑADA"]
    assert validation.tabs.currentIndex() == 3 and validation.overwrite.isEnabled()
    assert not validation.overwrite.isChecked()
    click(qtbot, wizard, B.CommitButton)
    assert "<b>1</b> registro editado en esta oficina conservó sus valores" in wizard.result_page.summary.text()
    rows = stored(factory)
    assert len(rows) == 5 and rows["QTIMB000012"].name == "NOMBRE LOCAL"


def test_a_failed_import_shows_why_and_saves_nothing(qtbot, window, factory, qro, tmp_path):
    data = new_establishment(factory, qro.id, "QTIMB000012", "NOMBRE LOCAL", "PRIMER")
    wizard = open_file(qtbot, window.establishments, old_copy("clues_qro.xlsx", tmp_path))
    to_validation(qtbot, wizard)
    validation = wizard.validation_page
    validation.overwrite.setChecked(True)
    with factory.begin() as session:  # someone edits the record between validation and import
        current = svc.get_establishment(session, data.id)
        svc.update_establishment(session, replace(current, notes="editado en otra ventana"), "otra persona")

    click(qtbot, wizard, B.CommitButton)
    assert wizard.currentPage() is validation
    assert "se modificó después de validar" in validation.message.text()
    assert not wizard.button(B.CommitButton).isEnabled() and validation.revalidate_button.isVisibleTo(wizard)
    rows = stored(factory)
    assert list(rows) == ["QTIMB000012"] and rows["QTIMB000012"].name == "NOMBRE LOCAL"  # the 4 new ones too

    validation.revalidate_button.click()
    validation.overwrite.setChecked(True)
    click(qtbot, wizard, B.CommitButton)
    rows = stored(factory)
    assert len(rows) == 5 and rows["QTIMB000012"].name == "CENTRO DE SALUD LA CAÑADA"
    assert rows["QTIMB000012"].notes == "editado en otra ventana"  # a field the file does not bring


def test_export_writes_the_visible_rows_in_the_visible_order(qtbot, window, factory, qro, tmp_path):
    for clues, name in (("QTIMB000001", "Centro de Salud Amealco"), ("QTIMB000002", "Centro de Salud Colón"),
                        ("QTIMB000003", "Hospital General Querétaro"), ("QTIMB000004", "Centro de Salud Jalpan")):
        new_establishment(factory, qro.id, clues, name, "PRIMER")
    retired = new_establishment(factory, qro.id, "QTIMB000005", "Centro de Salud Cerrado", "PRIMER")
    with factory.begin() as session:
        svc.retire_establishment(session, retired.id, "Cierre definitivo", datetime(2024, 1, 1).date(), "prueba")
    page = window.establishments
    page.reload()
    page.search.setText("centro de salud")
    page.apply_search()
    page.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    visible = [(page.proxy.index(r, 0).data(), page.proxy.index(r, 1).data()) for r in range(page.proxy.rowCount())]
    assert visible == [("QTIMB000004", "Centro de Salud Jalpan"), ("QTIMB000002", "Centro de Salud Colón"),
                       ("QTIMB000001", "Centro de Salud Amealco")]

    target = tmp_path / "lista.xlsx"
    assert page.export_to(target)
    assert window.statusBar().currentMessage() == f"Se exportaron 3 establecimientos a {target}"
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("CLUES", "CLUES ANTERIOR", "NOMBRE DE LA UNIDAD")
    assert [(r[0], r[2]) for r in rows[1:]] == visible

    target = tmp_path / "lista.csv"
    assert page.export_to(target)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [(r[0], r[2]) for r in rows[1:]] == visible

    page.search.setText("no hay tal cosa")
    page.apply_search()
    assert not page.export_to(tmp_path / "vacia.xlsx")
    assert not (tmp_path / "vacia.xlsx").exists()
    assert "No hay establecimientos que exportar" in window.statusBar().currentMessage()


def test_template_download_writes_the_headers(qtbot, window, tmp_path):
    wizard = window.establishments.open_import_wizard()
    target = tmp_path / "plantilla.xlsx"
    wizard.file_page.save_template_to(target)
    assert wizard.file_page.template_status.text() == f"Plantilla guardada en {target}"
    book = openpyxl.load_workbook(target)
    headers = next(book["Datos"].iter_rows(values_only=True))
    assert headers[:3] == ("CLUES", "CLUES ANTERIOR", "NOMBRE DE LA UNIDAD")
    wizard.reject()


def test_equivalences_wizard_links_the_previous_clues(qtbot, factory, window_db_path, tmp_path, bc):
    existing = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    window = build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")
    page = window.establishments
    page.import_equivalences_action.trigger()
    wizard = page.import_wizard
    assert wizard.kind.key == "equivalences" and "equivalencias" in wizard.windowTitle().lower()
    qtbot.keyClicks(wizard.file_page.path_edit, str(DATA / "equivalencias_bc.xlsx"))
    qtbot.keyClick(wizard.file_page.path_edit, Qt.Key.Key_Return)
    to_validation(qtbot, wizard)
    assert (counts(wizard)["actualizados"], counts(wizard)["rechazados"]) == ("1", "3")
    changes = wizard.validation_page.changes_model
    assert [changes.index(0, c).data() for c in range(5)] == ["2", "BCIMB000355", "CLUES ANTERIOR", "(vacío)", "BCSSA000440"]
    click(qtbot, wizard, B.CommitButton)
    with factory() as session:
        assert session.get(Establishment, existing.id).previous_clues == "BCSSA000440"


def test_background_progress_arrives_on_the_ui_thread_and_cancel_stops_the_job(qtbot, qapp):
    runner = TaskRunner()  # the real, threaded runner
    ui_thread = threading.get_ident()
    seen: list[tuple[int, int]] = []
    outcome: list[object] = []
    holder: dict = {}

    def job(progress) -> str:
        for i in range(2000):
            progress.report(i, 2000, "Prueba")
            time.sleep(0.002)
        return "terminado"

    def on_progress(done: int, total: int, stage: str) -> None:
        seen.append((done, threading.get_ident()))
        if done >= 3:
            holder["progress"].cancel()

    holder["progress"] = runner.run_progress(job, outcome.append, outcome.append, on_progress)
    qtbot.waitUntil(lambda: bool(outcome), timeout=10_000)
    failure = outcome[0]
    assert isinstance(failure, TaskFailure) and failure.cancelled
    assert seen and {thread for _done, thread in seen} == {ui_thread}
    assert max(done for done, _thread in seen) < 1999  # it stopped early

    outcome.clear()
    seen.clear()
    runner.run_progress(lambda p: [p.report(i, 3, "Prueba") for i in range(3)] and "listo", outcome.append, None,
                        lambda done, total, stage: seen.append((done, total)))
    qtbot.waitUntil(lambda: bool(outcome), timeout=10_000)
    assert outcome == ["listo"] and seen == [(0, 3), (1, 3), (2, 3)]
    assert runner.wait(5000) and runner.idle
