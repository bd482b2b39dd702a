"""The real main window driven with pytest-qt: create, find, edit, validate, retire, restore, undo."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from gui.dialogs.establishment_form import EstablishmentForm
from gui.dialogs.office_dialog import NATIONAL_CHOICE, OfficeDialog
from models.entities import Establishment
from models.services import office as office_svc
from tests.gui_helpers import build_window
from tests.helpers import new_establishment


@pytest.fixture
def window(qtbot, factory, window_db_path, tmp_path, bc):
    return build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")


def type_text(qtbot, line_edit, text: str) -> None:
    """Type like a user. QTest can only synthesise ASCII keys, so accented text is inserted as typed input."""
    if text.isascii():
        qtbot.keyClicks(line_edit, text)
    else:
        line_edit.setFocus()
        line_edit.insert(text)


def fill_new_form(qtbot, page, clues: str, name: str, level_label: str = "Primer nivel") -> EstablishmentForm:
    page.new_action.trigger()
    form = page.form
    assert isinstance(form, EstablishmentForm) and form.isVisible()
    type_text(qtbot, form.clues, clues)
    type_text(qtbot, form.name, name)
    form.level.setCurrentIndex(form.level.findText(level_label))
    type_text(qtbot, form.municipality, "Querétaro")
    type_text(qtbot, form.locality, "Santiago de Querétaro")
    return form


def search(qtbot, page, text: str) -> None:
    page.search.clear()
    qtbot.keyClicks(page.search, text)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)


def test_catalogue_is_loaded_and_the_window_speaks_spanish(window):
    assert "Baja California" in window.windowTitle()
    assert window.establishments.count_label.text() == "Mostrando 0 de 0 establecimientos activos"
    assert [a.text() for a in window.menuBar().actions()] == ["&Archivo", "&Registros", "A&yuda"]


def test_create_find_edit_and_retire_an_establishment(qtbot, window, factory):
    page = window.establishments
    form = fill_new_form(qtbot, page, "bcimb001234", "Centro de Salud Querétaro Norte")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.result() == QDialog.DialogCode.Accepted and page.form is None
    with factory() as s:
        obj = s.query(Establishment).one()
        assert (obj.clues, obj.name, obj.municipality, obj.changed_by) == (
            "BCIMB001234", "Centro de Salud Querétaro Norte", "Querétaro", "capturista")
    new_establishment(factory, obj.state_id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    page.reload()
    assert page.proxy.rowCount() == 2

    # Found by part of its name typed without accents or capitals.
    search(qtbot, page, "queretaro nor")
    assert page.proxy.rowCount() == 1
    assert page.proxy.index(0, 1).data() == "Centro de Salud Querétaro Norte"
    search(qtbot, page, "mexicali")
    assert page.proxy.index(0, 0).data() == "BCIMB000355"

    # Edit through the form.
    search(qtbot, page, "1234")
    page.view.selectRow(0)
    page.edit_action.trigger()
    form = page.form
    assert form.clues.text() == "BCIMB001234"
    form.name.clear()
    type_text(qtbot, form.name, "Centro de Salud Querétaro Norte II")
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    qtbot.keyClick(form.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S saves
    assert page.form is None
    assert page.proxy.index(0, 1).data() == "Centro de Salud Querétaro Norte II"
    with factory() as s:
        assert s.get(Establishment, obj.id).version == 2

    # Retire with confirmation: it disappears, and comes back on demand, greyed.
    assert page.select_id(obj.id)
    page.retire_action.trigger()
    dialog = page.retire_dialog
    assert "BCIMB001234" in dialog.findChild(type(page.count_label)).text()
    dialog.accept()
    assert page.proxy.rowCount() == 0
    with factory() as s:
        assert s.get(Establishment, obj.id).deleted_at is not None
    page.show_retired.setChecked(True)
    assert page.proxy.rowCount() == 1
    assert page.proxy.index(0, 6).data() == "Baja (fuera de operación)"
    assert page.proxy.index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert "1 dados de baja" in page.count_label.text()


def test_bad_clues_shows_a_message_next_to_the_field_and_saves_nothing(qtbot, window, factory):
    page = window.establishments
    form = fill_new_form(qtbot, page, "SRIMB000001", "Centro de Salud Prueba")
    error = form._errors["clues"]
    assert error.isVisible() and "prefijo «BC»" in error.text()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible() and "prefijo «BC»" in error.text()
    form.clues.clear()
    qtbot.keyClicks(form.clues, "BCIMB00001")
    form.latitude.setText("norte")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    assert "número decimal" in form._errors["latitude"].text()
    form.latitude.setText("")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "11 caracteres" in form._errors["clues"].text()
    with factory() as s:
        assert s.query(Establishment).count() == 0
    QDialog.reject(form)


def test_duplicate_clues_is_reported_under_the_field(qtbot, window, factory, bc):
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    page = window.establishments
    form = fill_new_form(qtbot, page, "BCIMB000355", "Otro")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.isVisible()
    assert "ya está registrada para «Hospital General Mexicali»" in form._errors["clues"].text()
    QDialog.reject(form)


def test_undo_reverts_edit_then_retirement(qtbot, window, factory, bc):
    data = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    page = window.establishments
    page.reload()
    page.select_id(data.id)
    page.edit_action.trigger()
    page.form.name.setText("Nombre equivocado")
    qtbot.mouseClick(page.form.save_button, Qt.MouseButton.LeftButton)
    page.select_id(data.id)
    page.retire_action.trigger()
    page.retire_dialog.accept()
    assert page.undo_action.text() == "&Deshacer: dar de baja BCIMB000355"
    page.undo_action.trigger()
    with factory() as s:
        obj = s.get(Establishment, data.id)
        assert obj.deleted_at is None and obj.name == "Nombre equivocado"
    page.undo_action.trigger()
    with factory() as s:
        assert s.get(Establishment, data.id).name == "Hospital General Mexicali"
    assert not page.undo_action.isEnabled()


def test_restore_brings_back_a_retired_establishment(qtbot, window, factory, bc):
    data = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    page = window.establishments
    page.reload()
    page.select_id(data.id)
    page.retire_action.trigger()
    page.retire_dialog.accept()
    page.show_retired.setChecked(True)
    assert page.select_id(data.id)
    assert page.restore_action.isEnabled() and not page.retire_action.isEnabled()
    page.restore_action.trigger()
    page.show_retired.setChecked(False)
    assert page.proxy.rowCount() == 1
    assert page.proxy.index(0, 6).data() == "En operación"


def test_page_proxy_passes_qtmodeltester(qtmodeltester, window, factory, bc):
    for i in range(30):
        new_establishment(factory, bc.id, f"BCIMB{i:06d}", f"Centro de Salud {i}", "PRIMER")
    page = window.establishments
    page.reload()
    search_text = "salud 1"
    page.proxy.set_search(search_text)
    qtmodeltester.check(page.proxy)
    qtmodeltester.check(page.model)


def test_filters_columns_and_geometry_are_remembered(qtbot, factory, window_db_path, tmp_path, bc):
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    prefs = tmp_path / "prefs.ini"
    first = build_window(qtbot, factory, window_db_path, prefs)
    page = first.establishments
    page.search.setText("mexicali")
    page.level_filter.setCurrentIndex(page.level_filter.findData("SEGUNDO"))
    page.show_retired.setChecked(True)
    page.view.setColumnWidth(1, 333)
    page.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    first.resize(1111, 666)
    first.close()

    second = build_window(qtbot, factory, window_db_path, prefs)
    page = second.establishments
    assert page.search.text() == "mexicali"
    assert page.level_filter.currentData() == "SEGUNDO"
    assert page.show_retired.isChecked()
    assert page.view.columnWidth(1) == 333
    assert page.proxy.sort_column() == 1 and page.proxy.sort_order() == Qt.SortOrder.DescendingOrder
    assert (second.width(), second.height()) == (1111, 666)
    assert page.proxy.rowCount() == 1


def test_first_start_dialog_offers_the_adhered_states_and_the_national_office(qapp, factory):
    with factory() as s:
        states = office_svc.list_states(s)
    dialog = OfficeDialog(states)
    labels = [dialog.combo.itemText(i) for i in range(dialog.combo.count())]
    assert labels[0].startswith("Seleccione")
    assert sum("no adherida" in label for label in labels) == 9
    assert "Ciudad de México (DF)" in labels
    ok = dialog.buttons.buttons()[0]
    assert not ok.isEnabled()
    dialog.combo.setCurrentIndex(dialog.combo.findData(NATIONAL_CHOICE))
    assert ok.isEnabled() and dialog.choice() == NATIONAL_CHOICE


def test_national_office_sees_every_state_with_a_state_column(qtbot, factory, window_db_path, tmp_path):
    with factory.begin() as s:
        office_svc.set_office(s, None)
    new_establishment(factory, 2, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    new_establishment(factory, 26, "SRIMB000001", "Hospital General del Estado", "SEGUNDO")
    window = build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")
    page = window.establishments
    assert page.proxy.rowCount() == 2
    assert page.model.headerData(page.model.columnCount() - 1, Qt.Orientation.Horizontal) == "Entidad"


def test_history_shows_every_change_of_the_selected_establishment(qtbot, window, factory, bc):
    from dataclasses import replace

    from models.services import establishments as est_svc
    from tests.helpers import new_establishment

    data = new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO", user="ana")
    with factory.begin() as s:
        est_svc.update_establishment(s, replace(data, name="HOSPITAL GENERAL MEXICALI"), "luis")
    page = window.establishments
    page.reload()
    assert page.select_id(data.id)
    page.history_action.trigger()
    text = page.history_dialog.browser.toPlainText()
    assert "crear por ana" in text and "modificar por luis" in text
    assert "HG Mexicali" in text and "HOSPITAL GENERAL MEXICALI" in text
    assert page.history_dialog.windowTitle() == "Historial — BCIMB000355 HOSPITAL GENERAL MEXICALI"
    page.history_dialog.close()
