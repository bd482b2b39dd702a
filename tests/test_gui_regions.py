"""The Regions page («Regionalización») driven in the real window: regions, zones, assignment (dialog and drag and
drop), the coordinating hospital, retiring a zone, the consistency panel, ESZ, the referral network, import."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, QUrl
from PySide6.QtWidgets import QToolButton, QWizard

from gui.dialogs.region_dialogs import MemberDialog, NameDialog, PickDialog, RetireDialog
from gui.item_models.regions import REGION, UNIT, ZONE
from models.entities import Establishment, SupervisionAssignment, SupervisionTeamMember, Zone
from models.services import office as office_svc
from models.services import regions as svc
from tests.gui_helpers import build_window
from tests.helpers import new_establishment
from tests.test_regions import BC_ESTABLISHMENTS

DATA = Path(__file__).parent / "data" / "regions"
USER = "coordinador"
MOVE = Qt.DropAction.MoveAction
B = QWizard.WizardButton


@pytest.fixture
def units(factory, bc) -> dict[str, int]:
    """Baja California hospitals BCIMB000010–40 (second level) and units BCIMB000101–107 (first level), with
    coordinates; CLUES → id."""
    return {clues: new_establishment(factory, bc.id, clues, name, level, latitude=lat, longitude=lon, **extra).id
            for clues, name, level, lat, lon, extra in BC_ESTABLISHMENTS if clues != "BCIMB000108"}


@pytest.fixture
def window(qtbot, factory, window_db_path, tmp_path, bc, units):
    return build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")


def open_page(window):
    window.nav.setCurrentRow(window.pages.index(window.regions))
    page = window.regions
    assert page.isVisible() and page.loaded
    return page


def structure(factory, state_id: int, zones: dict[str, list[int]], region: str = "Región I Mexicali") -> dict[str, int]:
    """A region with zones and their establishments, written through the services; zone name → id."""
    with factory.begin() as s:
        region_id = svc.create_region(s, state_id, region, USER).id
        ids = {}
        for name, members in zones.items():
            ids[name] = svc.create_zone(s, region_id, name, USER).id
            if members:
                svc.assign_establishments(s, ids[name], members, USER)
        return ids


def db_zone(factory, establishment_id: int) -> int | None:
    with factory() as s:
        return s.get(Establishment, establishment_id).zone_id


def registered(page, key: str) -> int:
    return next(c.registered for c in page.consistency.figures_model.rows if c.key == key)


def select_unassigned(page, ids: list[int]) -> None:
    selection = QItemSelection()
    for establishment_id in ids:
        index = page.unassigned_model.index(page.unassigned_model.row_of_id(establishment_id), 0)
        selection.select(index, index)
    page.unassigned.selectionModel().select(
        selection, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)


def tree_children(page, kind: str, node_id: int) -> list[str]:
    """CLUES of the establishments under a zone, as the tree shows them."""
    model = page.tree_model
    parent = model.index_of(kind, node_id)
    return [model.index(r, 1, parent).data() for r in range(model.rowCount(parent))]


def test_create_region_and_zone_assign_three_set_coordinator_and_see_consistency(qtbot, window, factory, units):
    page = open_page(window)
    assert window.nav.item(window.pages.index(page)).text() == "Regionalización"
    assert page.consistency.check_text("zones_without_coordinator") == "✔ Zonas sin hospital coordinador: ninguna"
    assert registered(page, "regions") == 0 and not page.new_zone_action.isEnabled()

    page.new_region_action.trigger()
    dialog = page.dialog
    assert isinstance(dialog, NameDialog) and dialog.isVisible()
    dialog.name.setText("Región I Mexicali")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert page.dialog is None and not dialog.isVisible()
    assert page.last_status == "Región «Región I Mexicali» registrada."
    assert registered(page, "regions") == 1
    assert page.consistency.check_text("regions_without_zones") == "⚠ Regiones sin zonas: 1"

    page.new_zone_action.trigger()
    dialog = page.dialog
    assert dialog.choice.currentText() == "Región I Mexicali"  # the selected region
    qtbot.keyClicks(dialog.name, "ZSM Mexicali")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert page.dialog is None
    zone_id = page.tree_model.item(page.tree.currentIndex()).id  # the new zone is selected
    assert registered(page, "zones") == 1 and registered(page, "coordinating_hospitals") == 0
    assert page.consistency.check_text("zones_without_coordinator") == "⚠ Zonas sin hospital coordinador: 1"
    assert page.consistency.check_text("regions_without_zones") == "✔ Regiones sin zonas: ninguna"
    assert page.tree_model.index_of(ZONE, zone_id, 3).data() == "⚠ Sin coordinador"
    assert f'href="zone:{zone_id}"' in page.consistency.checks.toHtml()
    page.select_node(REGION, page.tree_model.tree.regions[0].id)
    page.consistency.checks.anchorClicked.emit(QUrl(f"zone:{zone_id}"))  # a click on the zone's name in the check
    assert page.tree_model.item(page.tree.currentIndex()).id == zone_id

    # Three first-level units found in the «sin zona» list without accents or capitals, multi-selected.
    page.search.setText("centro de salud")
    page.apply_search()
    assert page.unassigned_model.rowCount() == 7 and "7 de 11 establecimientos" == page.unassigned_count.text()
    chosen = [units["BCIMB000101"], units["BCIMB000102"], units["BCIMB000103"]]
    select_unassigned(page, chosen)
    assert page.assign_action.isEnabled() and page.assign_button.isEnabled()
    page.assign_action.trigger()
    dialog = page.dialog
    assert isinstance(dialog, PickDialog) and dialog.values() == [zone_id]  # the zone selected in the tree
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert [db_zone(factory, i) for i in chosen] == [zone_id] * 3
    assert page.last_status == "3 establecimientos asignados a «ZSM Mexicali»."
    assert tree_children(page, ZONE, zone_id) == ["BCIMB000101", "BCIMB000102", "BCIMB000103"]
    assert page.unassigned_model.rowCount() == 4
    assert page.unassigned_count.text() == "4 de 8 establecimientos"  # the search is kept

    # The coordinating hospital, chosen among the state's hospitals.
    page.select_node(ZONE, zone_id)
    page.coordinator_action.trigger()
    dialog = page.dialog
    assert [c.label for c in dialog.model.rows][:2] == ["Ninguno (la zona queda sin hospital coordinador)",
                                                       "HOSPITAL GENERAL ENSENADA"]
    assert len(dialog.model.rows) == 5  # «ninguno» + the four hospitals; no first-level unit is offered
    dialog.search.setText("general mexicali")
    assert dialog.model.rowCount() == 1
    dialog.select(units["BCIMB000010"])
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    with factory() as s:
        assert s.get(Zone, zone_id).coordinating_establishment_id == units["BCIMB000010"]
    assert db_zone(factory, units["BCIMB000010"]) == zone_id  # a hospital with no zone joins the zone
    assert registered(page, "coordinating_hospitals") == 1
    assert page.consistency.check_text("zones_without_coordinator") == "✔ Zonas sin hospital coordinador: ninguna"
    assert tree_children(page, ZONE, zone_id)[0] == "BCIMB000010"  # coordinator first, marked
    assert page.tree_model.index_of(UNIT, units["BCIMB000010"], 3).data() == "★ Coordinador"
    assert page.tree_model.index_of(ZONE, zone_id, 3).data() == "Coordina BCIMB000010"

    # Ctrl+Z takes back the coordinator (and the hospital leaves the zone it joined).
    assert page.undo_action.text() == "Deshacer: cambiar el hospital coordinador de «ZSM Mexicali»"
    page.undo_action.trigger()
    assert db_zone(factory, units["BCIMB000010"]) is None
    assert page.consistency.check_text("zones_without_coordinator") == "⚠ Zonas sin hospital coordinador: 1"
    page.undo_action.trigger()  # and the assignment
    assert [db_zone(factory, i) for i in chosen] == [None] * 3
    assert page.unassigned_model.total == 11


def test_drag_and_drop_assigns_moves_and_unassigns(qtbot, window, factory, bc, units):
    zones = structure(factory, bc.id, {"ZSM Mexicali": [], "ZSM San Felipe": [units["BCIMB000102"]]})
    page = open_page(window)
    tree, unassigned = page.tree_model, page.unassigned_model
    mexicali = tree.index_of(ZONE, zones["ZSM Mexicali"])

    # From the «sin zona» list onto a zone.
    moved = [units["BCIMB000101"], units["BCIMB000107"]]
    mime = unassigned.mimeData([unassigned.index(unassigned.row_of_id(i), c) for i in moved for c in (0, 1)])
    assert tree.canDropMimeData(mime, MOVE, -1, 0, mexicali)
    assert not tree.canDropMimeData(mime, MOVE, -1, 0, tree.index_of(REGION, tree.tree.regions[0].id))
    assert tree.dropMimeData(mime, MOVE, -1, 0, mexicali)
    qtbot.waitUntil(lambda: [db_zone(factory, i) for i in moved] == [zones["ZSM Mexicali"]] * 2)
    assert tree_children(page, ZONE, zones["ZSM Mexicali"]) == ["BCIMB000101", "BCIMB000107"]
    assert unassigned.row_of_id(moved[0]) is None

    # From one zone onto an establishment of another zone: it goes to that zone.
    mime = tree.mimeData([tree.index_of(UNIT, units["BCIMB000101"])])
    target = tree.index_of(UNIT, units["BCIMB000102"])
    assert tree.dropMimeData(mime, MOVE, -1, 0, target)
    qtbot.waitUntil(lambda: db_zone(factory, units["BCIMB000101"]) == zones["ZSM San Felipe"])
    assert page.last_status == "1 establecimiento asignado a «ZSM San Felipe»."
    # Dropping on its own zone does nothing.
    mime = tree.mimeData([tree.index_of(UNIT, units["BCIMB000101"])])
    assert not tree.dropMimeData(mime, MOVE, -1, 0, tree.index_of(ZONE, zones["ZSM San Felipe"]))

    # From the tree back to the «sin zona» list.
    mime = tree.mimeData([tree.index_of(UNIT, units["BCIMB000107"])])
    assert unassigned.canDropMimeData(mime, MOVE, -1, -1, QModelIndex())
    assert not unassigned.canDropMimeData(unassigned.mimeData([unassigned.index(0, 0)]), MOVE, -1, -1, QModelIndex())
    assert unassigned.dropMimeData(mime, MOVE, -1, -1, QModelIndex())
    qtbot.waitUntil(lambda: db_zone(factory, units["BCIMB000107"]) is None)
    assert unassigned.row_of_id(units["BCIMB000107"]) is not None

    page.undo_action.trigger()
    assert db_zone(factory, units["BCIMB000107"]) == zones["ZSM Mexicali"]
    page.undo_action.trigger()
    assert db_zone(factory, units["BCIMB000101"]) == zones["ZSM Mexicali"]

    # The establishments list shows the new zones when it is shown again.
    window.nav.setCurrentRow(window.pages.index(window.establishments))
    listing = window.establishments.model
    assert listing.value("zones", listing.row_of_id(units["BCIMB000101"])) == "ZSM Mexicali"


def test_retire_zone_with_establishments_moves_them_in_one_step_and_undo_brings_them_back(qtbot, window, factory, bc, units):
    members = [units["BCIMB000101"], units["BCIMB000102"], units["BCIMB000010"]]
    zones = structure(factory, bc.id, {"ZSM Mexicali": members, "ZSM Valle": [units["BCIMB000107"]]})
    with factory.begin() as s:
        svc.set_coordinator(s, zones["ZSM Mexicali"], units["BCIMB000010"], USER)
    page = open_page(window)
    assert page.select_node(ZONE, zones["ZSM Mexicali"])
    page.retire_action.trigger()
    dialog = page.dialog
    assert isinstance(dialog, RetireDialog)
    assert dialog.message.text() == "¿Dar de baja la zona «ZSM Mexicali»? Tiene 3 establecimientos: indique a dónde pasan."
    assert dialog.move_radio.isChecked() and dialog.target.currentData() == zones["ZSM Valle"]
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert page.dialog is None
    with factory() as s:
        assert s.get(Zone, zones["ZSM Mexicali"]).deleted_at is not None
    assert [db_zone(factory, i) for i in members] == [zones["ZSM Valle"]] * 3
    assert page.last_status == "Zona «ZSM Mexicali» dada de baja; 3 establecimientos pasaron a «ZSM Valle»."
    assert not page.tree_model.index_of(ZONE, zones["ZSM Mexicali"]).isValid()
    assert len(tree_children(page, ZONE, zones["ZSM Valle"])) == 4

    page.undo_action.trigger()
    assert [db_zone(factory, i) for i in members] == [zones["ZSM Mexicali"]] * 3
    with factory() as s:
        zone = s.get(Zone, zones["ZSM Mexicali"])
        assert zone.deleted_at is None and zone.coordinating_establishment_id == units["BCIMB000010"]

    # Leaving them without zone instead.
    page.select_node(ZONE, zones["ZSM Mexicali"])
    page.retire_action.trigger()
    page.dialog.none_radio.setChecked(True)
    page.dialog.submit()
    assert [db_zone(factory, i) for i in members] == [None] * 3
    assert page.unassigned_model.total == 10


def test_first_level_unit_refused_as_coordinator_with_the_spanish_message(qtbot, window, factory, bc, units):
    zones = structure(factory, bc.id, {"ZSM Mexicali": [units["BCIMB000101"]], "ZSM Tijuana": [units["BCIMB000020"]]})
    page = open_page(window)
    assert not page.message_bar.isVisible()
    page.select_node(UNIT, units["BCIMB000101"])
    page.coordinator_action.trigger()
    assert page.message_bar.isVisible()
    assert page.message.text() == ("⚠ BCIMB000101 CENTRO DE SALUD MEXICALI CENTRO es una unidad de primer nivel: una zona la "
                                   "coordina un hospital de segundo o tercer nivel.")
    with factory() as s:
        assert s.get(Zone, zones["ZSM Mexicali"]).coordinating_establishment_id is None

    # Through the dialog, a hospital of another zone is refused inside the dialog, which stays open.
    page.select_node(ZONE, zones["ZSM Mexicali"])
    page.coordinator_action.trigger()
    dialog = page.dialog
    row = next(c for c in dialog.model.rows if c.id == units["BCIMB000020"])
    assert row.extra == "zona «ZSM Tijuana»"
    dialog.select(units["BCIMB000020"])
    dialog.submit()
    assert dialog.isVisible() and page.dialog is dialog
    assert "pertenece a la zona «ZSM Tijuana»: asígnelo antes a esta zona." in dialog.error.text()
    dialog.select(units["BCIMB000040"])
    dialog.submit()
    assert not dialog.isVisible() and not page.message_bar.isVisible()  # a success clears the warning


def test_rename_with_f2_duplicate_name_refused_in_the_dialog_and_undo(qtbot, window, factory, bc, units):
    zones = structure(factory, bc.id, {"ZSM Mexicali": [], "ZSM Tijuana": []})
    page = open_page(window)
    page.select_node(ZONE, zones["ZSM Mexicali"])
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page.tree.setFocus()
    qtbot.keyClick(page.tree, Qt.Key.Key_F2)
    dialog = page.dialog
    assert isinstance(dialog, NameDialog) and dialog.name.text() == "ZSM Mexicali"
    dialog.name.setText("zsm  tijuana")
    dialog.submit()
    assert dialog.isVisible() and "Ya existe la zona «ZSM Tijuana» en la región «Región I Mexicali»." in dialog.error.text()
    dialog.name.setText("ZSM Mexicali Centro")
    dialog.submit()
    assert page.last_status == "La zona «ZSM Mexicali» ahora se llama «ZSM Mexicali Centro»."
    assert page.tree_model.index_of(ZONE, zones["ZSM Mexicali"]).data() == "ZSM Mexicali Centro · 0 establecimientos"
    page.undo_action.trigger()
    assert page.tree_model.index_of(ZONE, zones["ZSM Mexicali"]).data().startswith("ZSM Mexicali ·")
    assert page.last_status == "Deshecho: renombrar la zona «ZSM Mexicali»."


def test_supervision_teams_members_and_supervised_establishments(qtbot, window, factory, bc, units):
    structure(factory, bc.id, {"ZSM Mexicali": [units["BCIMB000101"], units["BCIMB000102"]]})
    page = open_page(window)
    page.tabs.setCurrentIndex(1)
    panel = page.teams_panel
    assert panel.region.currentText() == "Región I Mexicali"
    assert "todavía no tiene equipos" in panel.note.text()
    qtbot.mouseClick(panel.new_team_button, Qt.MouseButton.LeftButton)
    page.dialog.name.setText("ESZ Mexicali 1")
    page.dialog.submit()
    assert panel.team_model.rowCount() == 1 and panel.current_team().team.name == "ESZ Mexicali 1"

    qtbot.mouseClick(panel.add_member_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert isinstance(dialog, MemberDialog)
    dialog.full_name.setText("Dra. María López")
    dialog.role.setText("Supervisora médica zonal")
    dialog.phone.setText("12")
    dialog.submit()
    assert dialog.isVisible() and "al menos 7 dígitos" in dialog._errors["phone"].text()
    dialog.phone.setText("686 555 1234")
    dialog.submit()
    assert not dialog.isVisible()
    assert [(m.full_name, m.role, m.phone) for m in panel.member_model.rows] == [
        ("Dra. María López", "Supervisora médica zonal", "686 555 1234")]

    qtbot.mouseClick(panel.add_units_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert [c.detail for c in dialog.model.rows[:2]] == ["BCIMB000101", "BCIMB000102"]  # its region's first
    dialog.view.selectAll()
    dialog.submit()
    assert panel.unit_model.total == 11
    assert panel.team_model.index(0, 2).data() == "11"
    panel.unit_view.selectRow(0)
    qtbot.mouseClick(panel.remove_units_button, Qt.MouseButton.LeftButton)
    assert panel.unit_model.total == 10
    with factory() as s:
        assert s.query(SupervisionAssignment).filter(SupervisionAssignment.deleted_at.is_(None)).count() == 10

    panel.member_view.selectRow(0)
    qtbot.mouseClick(panel.remove_member_button, Qt.MouseButton.LeftButton)
    assert panel.member_model.total == 0
    page.undo_action.trigger()  # the member comes back
    assert [m.full_name for m in panel.member_model.rows] == ["Dra. María López"]
    with factory() as s:
        assert s.query(SupervisionTeamMember).filter(SupervisionTeamMember.deleted_at.is_(None)).count() == 1


def test_referral_network_far_list_and_suggestion(qtbot, window, factory, bc, units):
    # San Felipe's unit in a zone coordinated from Tijuana: ~280 km away; Mexicali's hospitals are nearer.
    zones = structure(factory, bc.id, {"ZSM Tijuana": [units["BCIMB000102"], units["BCIMB000103"]]})
    with factory.begin() as s:
        svc.set_coordinator(s, zones["ZSM Tijuana"], units["BCIMB000020"], USER)
    page = open_page(window)
    page.tabs.setCurrentIndex(2)
    panel = page.referrals_panel
    assert panel.model.total == 7  # first-level units only
    assert panel.threshold.value() == 60
    assert panel.far_ids() == [units["BCIMB000102"]]
    row = panel.row_of(units["BCIMB000102"])
    assert row.is_default and row.hospital_clues == "BCIMB000020" and 250 < row.distance_km < 300
    index = panel.model.index(panel.model.row_of_key(units["BCIMB000102"]), 5)
    assert index.data().startswith("⚠ ") and index.data(Qt.ItemDataRole.BackgroundRole) is not None
    panel.threshold.setValue(300)
    assert panel.far_ids() == [] and "0 unidades a más de 300 km" in panel.far_count.text()
    panel.threshold.setValue(60)

    assert panel.select(units["BCIMB000102"])
    assert panel.suggestion.text().startswith("Sugerencia (el más cercano): BCIMB0000")
    qtbot.mouseClick(panel.suggest_button, Qt.MouseButton.LeftButton)
    row = panel.row_of(units["BCIMB000102"])
    assert not row.is_default and row.hospital_clues in ("BCIMB000010", "BCIMB000040") and row.distance_km < 200
    assert panel.model.index(panel.model.row_of_key(row.establishment_id), 4).data() == "Asignado"
    assert page.last_status == "Se aplicó el hospital más cercano a 1 unidad."
    page.undo_action.trigger()
    assert panel.row_of(units["BCIMB000102"]).is_default

    # An explicit choice through the dialog, and back to the default.
    panel.select(units["BCIMB000103"])
    qtbot.mouseClick(panel.change_button, Qt.MouseButton.LeftButton)
    dialog = page.dialog
    assert dialog.values() == [None]  # currently the default
    dialog.select(units["BCIMB000030"])
    dialog.submit()
    assert panel.row_of(units["BCIMB000103"]).hospital_clues == "BCIMB000030"
    panel.select(units["BCIMB000103"])
    qtbot.mouseClick(panel.default_button, Qt.MouseButton.LeftButton)
    assert panel.row_of(units["BCIMB000103"]).is_default


def test_import_assignments_through_the_wizard_reloads_the_tree(qtbot, window, factory, units):
    page = open_page(window)
    page.search.setText("x")  # any undo step is dropped after an import; make one first
    page.new_region_action.trigger()
    page.dialog.name.setText("Región de prueba")
    page.dialog.submit()
    assert page.undo_action.isEnabled()
    wizard = page.open_import_wizard()
    assert wizard.kind.key == "regions" and wizard.isVisible()
    qtbot.keyClicks(wizard.file_page.path_edit, str(DATA / "asignacion_bc.xlsx"))
    qtbot.keyClick(wizard.file_page.path_edit, Qt.Key.Key_Return)
    for _ in range(3):
        qtbot.mouseClick(wizard.button(B.NextButton), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wizard.button(B.CommitButton), Qt.MouseButton.LeftButton)
    assert wizard.currentPage() is wizard.result_page
    names = [r.name for r in page.tree_model.tree.regions]
    assert names == ["Región de prueba", "REGIÓN I MEXICALI", "REGIÓN II TIJUANA", "REGIÓN III ENSENADA"]
    assert not page.undo_action.isEnabled()
    assert page.last_status == "Importación de asignaciones terminada."
    qtbot.mouseClick(wizard.button(B.FinishButton), Qt.MouseButton.LeftButton)


def test_national_office_chooses_the_state(qtbot, factory, window_db_path, tmp_path):
    with factory.begin() as s:
        office_svc.set_office(s, None)
        sonora = office_svc.find_state(s, "SR")
    new_establishment(factory, 2, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    new_establishment(factory, sonora.id, "SRIMB000001", "Hospital General del Estado", "SEGUNDO")
    window = build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")
    page = open_page(window)
    combo = page.state_combo
    assert combo is not None and combo.currentText() == "Baja California"  # adhered states first
    assert page.unassigned_model.unit_at(0).clues == "BCIMB000355"
    combo.setCurrentIndex(combo.findText("Sonora"))
    assert page.unassigned_model.unit_at(0).clues == "SRIMB000001" and page.unassigned_model.total == 1
    assert page.consistency.report.state_name == "Sonora"
    window.close()
    again = build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")
    assert open_page(again).state_combo.currentText() == "Sonora"  # remembered


def test_models_pass_qtmodeltester_and_the_toolbar_fits(qtmodeltester, window, factory, bc, units):
    zones = structure(factory, bc.id, {"ZSM Mexicali": [units["BCIMB000101"], units["BCIMB000010"]], "ZSM Vacía": []})
    with factory.begin() as s:
        svc.set_coordinator(s, zones["ZSM Mexicali"], units["BCIMB000010"], USER)
    page = open_page(window)
    qtmodeltester.check(page.tree_model)
    qtmodeltester.check(page.unassigned_model)
    qtmodeltester.check(page.consistency.figures_model)
    qtmodeltester.check(page.referrals_panel.model)
    extension = page.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert extension is None or not extension.isVisible()  # no action hidden behind »
    assert [a.shortcut().toString() for a in (page.rename_action, page.retire_action, page.undo_action,
                                              page.reload_action)] == ["F2", "Del", "Ctrl+Z", "F5"]


def test_layout_is_remembered(qtbot, factory, window_db_path, tmp_path, bc, units):
    prefs = tmp_path / "prefs.ini"
    first = build_window(qtbot, factory, window_db_path, prefs)
    page = open_page(first)
    page.search.setText("tecate")
    page.referrals_panel.threshold.setValue(45)
    page.tabs.setCurrentIndex(2)
    first.close()
    second = build_window(qtbot, factory, window_db_path, prefs)
    assert second.stack.currentWidget() is second.dashboard  # the window always opens on «Inicio»
    page = open_page(second)  # read when shown, with the layout it had
    assert page.search.text() == "tecate" and page.unassigned_model.rowCount() == 1
    assert page.referrals_panel.threshold.value() == 45 and page.tabs.currentIndex() == 2
