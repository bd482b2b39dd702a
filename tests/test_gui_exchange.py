"""The «Intercambio» page on real SQLite files of a state office and the national office: export with a save
dialog, import with a preview that writes nothing before «Aplicar», refusals in Spanish, conflicts decided field by
field (audited), and the acknowledgement round trip. File dialogs are replaced by functions returning paths."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStyle, QStyleOptionViewItem
from sqlalchemy import select

from gui.app import create_application
from gui.context import AppContext
from gui.pages.exchange_conflicts import ConflictFieldsModel, RowsModel
from gui.pages.exchange import TAB_CONFLICTS, ExchangePage
from gui.settings import Settings
from gui.tasks import TaskRunner
from models import exchange as ex
from models.entities import AuditEntry
from models.services import audit
from models.services import office as office_svc
from tests.test_exchange_support import Office, add_establishment, build_state_network, establishment


@pytest.fixture
def bc(tmp_path) -> Office:
    return Office(tmp_path, "bc", "02")


@pytest.fixture
def national(tmp_path) -> Office:
    return Office(tmp_path, "nacional", None)


def open_page(qtbot, office: Office, tmp_path: Path, username: str = "jefa") -> ExchangePage:
    create_application([])
    with office.factory() as s:
        info = office_svc.get_office(s)
    ctx = AppContext(office.factory, Settings(tmp_path / f"{office.name}.ini"), TaskRunner(synchronous=True), info,
                     None, username)
    page = ExchangePage(ctx)
    qtbot.addWidget(page)
    page.resize(1400, 820)
    page.show()
    return page


def save_to(monkeypatch, path: Path, suggested: list[str] | None = None) -> None:
    def fake(parent, caption, proposed, filters):
        if suggested is not None:
            suggested.append(proposed)
        return str(path), filters.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))


def open_from(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a: (str(path), "")))


def click_check_box(view, index) -> None:
    """A real mouse click on the check box of a table cell."""
    option = QStyleOptionViewItem()
    view.initViewItemOption(option)
    option.rect = view.visualRect(index)
    option.features |= QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
    box = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, option, view)
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=box.center())


def rows(model) -> list[tuple]:
    return [tuple(model.index(r, c).data() for c in range(model.columnCount())) for r in range(model.rowCount())]


def column(model, header: str) -> list:
    c = model.headers.index(header)
    return [model.index(r, c).data() for r in range(model.rowCount())]


def test_export_from_a_state_writes_a_valid_package_listed_in_the_history(qtbot, bc, tmp_path, monkeypatch,
                                                                          qtmodeltester):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    page = open_page(qtbot, bc, tmp_path)
    assert page.tabs.tabText(TAB_CONFLICTS) == "&Conflictos (0)"
    assert "Todavía no se ha enviado" in page.history_label.text()
    target = tmp_path / "salida" / "paquete_bc.cepkg"
    target.parent.mkdir()
    suggested: list[str] = []
    save_to(monkeypatch, target, suggested)
    messages: list[str] = []
    page.status_message.connect(messages.append)
    page.export_button.click()

    assert Path(suggested[0]).name.startswith("paquete_BC_") and suggested[0].endswith(".cepkg")
    info = ex.inspect_package(target)  # a complete, verified package
    assert info.kind == "paquete" and info.source_office == "02" and info.target_office == "NACIONAL"
    assert info.sequence == 1 and info.tables["establishments"] == 2
    assert page.result_title.text() == "Paquete 1 generado para la oficina nacional"
    assert f"{info.total_records} registros" in page.result_text.text() and not page.error_text()
    assert ("Establecimientos", "2") in rows(page.counts_view.model())
    assert messages[-1] == f"Paquete 1 guardado en {target}."
    history = page.history_model
    assert history.rowCount() == 1
    assert rows(history)[0][1:5] == ("Paquete enviado", "Oficina nacional", "1", str(info.total_records))
    assert column(history, "Estado") == ["Sin acuse"]
    page.history_view.selectRow(0)
    assert page.history_details.text().startswith("«paquete_bc.cepkg»: paquete enviado por jefa el ")
    qtmodeltester.check(history)
    # the next export suggests the last folder
    page.export_button.click()
    assert Path(suggested[1]).parent == target.parent


def test_import_shows_a_preview_writes_nothing_before_apply_then_applies(qtbot, bc, national, tmp_path, monkeypatch,
                                                                         qtmodeltester):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    package = bc.export()
    total = ex.inspect_package(package).total_records
    page = open_page(qtbot, national, tmp_path)
    before = national.dump()
    open_from(monkeypatch, package)
    page.import_button.click()

    assert page.pending == package and page.preview_bar.isVisible() and page.apply_button.isVisible()
    assert page.result_title.text() == f"Vista previa: «{package.name}»"
    assert "Todavía no se ha guardado nada" in page.result_text.text()
    assert f"Aplicados: {total} · Sin cambios: 0 · Conflictos: 0" in page.result_text.text()
    counts = {r[0]: r[1:] for r in rows(page.counts_view.model())}
    assert counts["Establecimientos"] == ("2", "0", "0", "0", "0")
    assert counts["Total"] == (str(total), "0", "0", "0", "0")
    qtmodeltester.check(page.counts_model)
    assert national.dump() == before  # the preview wrote nothing
    assert page.history_model.rowCount() == 0

    page.apply_button.click()
    assert page.pending is None and not page.preview_bar.isVisible()
    assert page.result_title.text() == "Paquete 1 aplicado"
    with national.session() as s:
        assert establishment(s, "BCIMB000355").name == "Hospital General"
    assert rows(page.history_model)[0][1:11] == ("Paquete recibido", "Baja California", "1", str(total), str(total),
                                                 "0", "0", "0", "0", "Aplicado")

    # the same file again: said so, nothing to apply
    page.import_button.click()
    assert page.result_title.text() == "Este paquete ya se había importado" and not page.preview_bar.isVisible()


def test_cancel_after_the_preview_saves_nothing(qtbot, bc, national, tmp_path, monkeypatch):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    package = bc.export()
    page = open_page(qtbot, national, tmp_path)
    before = national.dump()
    open_from(monkeypatch, package)
    page.import_button.click()
    assert page.preview_bar.isVisible()
    page.cancel_import_button.click()
    assert page.pending is None and not page.preview_bar.isVisible()
    assert page.result_title.text() == "Importación cancelada"
    assert national.dump() == before


def test_a_missing_package_is_reported_in_the_preview_and_the_history(qtbot, bc, national, tmp_path, monkeypatch):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    bc.export()  # package 1 never arrives
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000002", "Centro de Salud B")
    second = bc.export()
    page = open_page(qtbot, national, tmp_path)
    open_from(monkeypatch, second)
    page.import_button.click()
    assert page.warnings_label.isVisible()
    assert "Faltan los paquetes 1 de esta oficina; sus cambios vienen incluidos en éste." in page.warnings_label.text()
    page.apply_button.click()
    assert column(page.history_model, "Estado") == ["Faltan los paquetes 1"]
    with national.session() as s:  # cumulative: both establishments arrived anyway
        assert establishment(s, "BCIMB000001") and establishment(s, "BCIMB000002")


def test_a_tampered_package_shows_the_spanish_refusal_and_changes_nothing(qtbot, bc, national, tmp_path,
                                                                          monkeypatch):
    with bc.session() as s:
        for i in range(200):
            add_establishment(s, "02", f"BCIMB{i:06d}", f"Centro de Salud número {i}", notes="x" * (i % 37))
    data = bytearray(bc.export().read_bytes())
    data[len(data) // 3] ^= 0x01
    bad = tmp_path / "alterado.cepkg"
    bad.write_bytes(bytes(data))
    page = open_page(qtbot, national, tmp_path)
    before = national.dump()
    open_from(monkeypatch, bad)
    page.import_button.click()
    assert page.result_title.text() == "No se puede importar el paquete"
    assert "dañado o fue alterado" in page.error_text() and "No se aplicó nada" in page.error_text()
    assert page.pending is None and not page.preview_bar.isVisible()
    assert page.import_button.isEnabled()  # ready for the next try
    assert national.dump() == before

    # a package from the wrong office is refused in Spanish too (an acknowledgement given as a package)
    ack = tmp_path / "acuse.cepkg"
    with bc.session() as s:
        ex.make_ack(s, ack)
    open_from(monkeypatch, ack)
    page.import_button.click()
    assert "es un acuse de recibo, no un paquete" in page.error_text()
    assert national.dump() == before


def _state_and_national_changed_the_same_record(bc: Office, national: Office) -> Path:
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A", municipality="Tecate")
    national.import_(bc.export())
    national.ack_to(bc)
    with bc.session() as s:
        establishment(s, "BCIMB000001").name = "Centro de Salud A (estatal)"
        establishment(s, "BCIMB000001").notes = "ampliación"
    with national.session() as s:
        establishment(s, "BCIMB000001").name = "Centro de Salud A (nacional)"
        establishment(s, "BCIMB000001").municipality = "Tijuana"
    return bc.export()


def test_a_conflict_is_merged_field_by_field_after_confirmation_and_audited(qtbot, bc, national, tmp_path,
                                                                            monkeypatch, qtmodeltester):
    package = _state_and_national_changed_the_same_record(bc, national)
    page = open_page(qtbot, national, tmp_path)
    open_from(monkeypatch, package)
    page.import_button.click()
    assert "Conflictos: 1" in page.result_text.text()
    assert rows(page.notes_model)[0][:3] == ("Conflicto", "Establecimientos",
                                             "BCIMB000001 · Centro de Salud A (estatal)")
    assert page.tabs.tabText(TAB_CONFLICTS) == "&Conflictos (0)"  # the preview created nothing
    page.apply_button.click()
    assert page.tabs.tabText(TAB_CONFLICTS) == "&Conflictos (1)"
    assert page.show_conflicts_button.isVisible() and page.show_conflicts_button.text() == "Revisar 1 conflicto"
    page.show_conflicts_button.click()
    panel = page.conflicts
    assert page.tabs.currentWidget() is panel
    assert rows(panel.list_model)[0][1:7] == ("Establecimientos", "BCIMB000001 · Centro de Salud A (nacional)",
                                              "Baja California", rows(panel.list_model)[0][4], "3", "Pendiente")
    fields = panel.fields_model
    qtmodeltester.check(fields)
    assert [(r[0], r[1], r[2]) for r in rows(fields)] == [
        ("Nombre", "Centro de Salud A (nacional)", "Centro de Salud A (estatal)"),
        ("Municipio", "Tijuana", "Tecate"),
        ("Observaciones", "—", "ampliación"),
    ]
    panel.show_equal.setChecked(True)  # every field, the equal ones greyed and not choosable
    assert fields.rowCount() > 3 and ("Entidad", "Baja California", "Baja California") in rows(fields)
    clues = [r for r in range(fields.rowCount()) if fields.index(r, 0).data() == "CLUES"][0]
    assert not fields.flags(fields.index(clues, 1)) & Qt.ItemFlag.ItemIsUserCheckable
    panel.show_equal.setChecked(False)

    # by default every differing field keeps the local value; the person takes the incoming name (a click on its
    # check box), then the incoming notes (a click on the text), and the space bar toggles a field
    assert fields.choice == {"name": "local", "municipality": "local", "notes": "local"}
    view = panel.fields_view
    click_check_box(view, fields.index(0, 2))
    assert fields.choice == {"name": "incoming", "municipality": "local", "notes": "local"}
    click_check_box(view, fields.index(0, 2))  # a radio button: clicking the chosen one keeps it
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(fields.index(2, 2)).center())
    view.setCurrentIndex(fields.index(1, 1))
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert fields.choice == {"name": "incoming", "municipality": "incoming", "notes": "incoming"}
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert fields.index(0, 2).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert fields.index(0, 1).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert fields.choice == {"name": "incoming", "municipality": "local", "notes": "incoming"}

    # «Cancelar» in the confirmation changes nothing
    panel.merge_button.click()
    box = panel.confirm_box
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert "• Nombre: Centro de Salud A (estatal) (entrante)" in box.text()
    assert not panel.merge_button.isEnabled()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert panel.confirm_box is None and panel.merge_button.isEnabled()
    with national.session() as s:
        assert establishment(s, "BCIMB000001").name == "Centro de Salud A (nacional)"

    panel.merge_button.click()
    panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    with national.session() as s:
        est = establishment(s, "BCIMB000001")
        assert (est.name, est.municipality, est.notes) == ("Centro de Salud A (estatal)", "Tijuana", "ampliación")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "resolver_conflicto")).one()
        assert entry.username == "jefa"
        assert json.loads(entry.after_json)["eleccion"] == {"name": "incoming", "municipality": "local",
                                                           "notes": "incoming"}
        assert audit.verify_chain(s) == []
    assert page.tabs.tabText(TAB_CONFLICTS) == "&Conflictos (0)"
    assert panel.list_model.rowCount() == 0 and panel.count_label.text() == "No hay conflictos pendientes."
    panel.show_resolved.setChecked(True)
    assert panel.list_model.rowCount() == 1
    assert column(panel.list_model, "Estado")[0].startswith("Resuelto (combinada) por jefa el ")
    panel.list_view.selectRow(0)
    assert not panel.merge_button.isEnabled() and "Resuelto el" in panel.heading.text()
    assert not fields.flags(fields.index(0, 1)) & Qt.ItemFlag.ItemIsUserCheckable


def test_keeping_the_local_version_from_the_page(qtbot, bc, national, tmp_path):
    national.import_(_state_and_national_changed_the_same_record(bc, national))
    page = open_page(qtbot, national, tmp_path)
    panel = page.conflicts
    assert page.tabs.tabText(TAB_CONFLICTS) == "&Conflictos (1)" and panel.selected() is not None
    panel.keep_local_button.click()
    assert "¿Conservar la versión local de «BCIMB000001" in panel.confirm_box.text()
    panel.confirm_box.button(QMessageBox.StandardButton.Yes).click()
    [done] = national.conflicts(include_resolved=True)
    assert (done.resolution, done.resolved_by) == ("local", "jefa")
    with national.session() as s:
        assert establishment(s, "BCIMB000001").name == "Centro de Salud A (nacional)"


def test_acknowledgement_round_trip_from_the_page(qtbot, bc, national, tmp_path, monkeypatch):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    state_page = open_page(qtbot, bc, tmp_path, "ana")
    national_page = open_page(qtbot, national, tmp_path)
    first = tmp_path / "paquete1.cepkg"
    save_to(monkeypatch, first)
    state_page.export_button.click()
    total = ex.inspect_package(first).total_records

    open_from(monkeypatch, first)
    national_page.import_button.click()
    national_page.apply_button.click()
    ack = tmp_path / "acuse.cepkg"
    suggested: list[str] = []
    save_to(monkeypatch, ack, suggested)
    assert national_page.ack_combo.currentText() == "Todas las entidades"
    national_page.ack_button.click()
    assert Path(suggested[0]).name.startswith("acuse_NACIONAL_")
    assert national_page.result_title.text() == "Acuse de recibo generado"
    assert "Baja California: paquete 1" in national_page.result_text.text()
    assert ex.inspect_package(ack).kind == "acuse"
    assert rows(national_page.history_model)[0][1:3] == ("Acuse enviado", "Todas las entidades")

    open_from(monkeypatch, ack)
    state_page.import_ack_button.click()
    assert state_page.result_title.text() == "Acuse importado"
    assert "confirmó los paquetes 1" in state_page.result_text.text()
    history = state_page.history_model
    assert column(history, "Movimiento") == ["Acuse recibido", "Paquete enviado"]
    assert column(history, "Estado")[0] == "Confirmó 1 paquete nuevo"
    assert column(history, "Estado")[1].startswith("Confirmado el ")

    # confirmed: the next package is empty, unless «Incluir todos los registros» is checked
    second, third = tmp_path / "paquete2.cepkg", tmp_path / "paquete3.cepkg"
    save_to(monkeypatch, second)
    state_page.export_button.click()
    assert ex.inspect_package(second).total_records == 0
    assert "No hay cambios pendientes" in state_page.result_text.text()
    state_page.all_check.setChecked(True)
    save_to(monkeypatch, third)
    state_page.export_button.click()
    assert ex.inspect_package(third).total_records == total


def test_the_national_office_chooses_the_target_state(qtbot, national, tmp_path, monkeypatch):
    page = open_page(qtbot, national, tmp_path)
    assert page.target_combo.isVisibleTo(page) and page.target_combo.currentIndex() == -1
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: pytest.fail("must not ask")))
    page.export_button.click()
    assert page.error_text() == "Elija la entidad a la que va el paquete."
    page.target_combo.setCurrentIndex(page.target_combo.findData("02"))
    suggested: list[str] = []
    target = tmp_path / "para_bc.cepkg"
    save_to(monkeypatch, target, suggested)
    page.export_button.click()
    assert Path(suggested[0]).name.startswith("paquete_NACIONAL_para_BC_")
    info = ex.inspect_package(target)
    assert info.source_office == "NACIONAL" and info.target_office == "02" and info.tables["states"] > 0
    assert page.result_title.text() == "Paquete 1 generado para la Coordinación Estatal Baja California"


def test_rows_model_passes_the_model_tester(qtmodeltester):
    model = RowsModel(("A", "B"), numeric=(1,))
    model.set_rows([("x", "1"), ("y", "2")], muted=[1], bold=[0], tips=["uno", "dos"])
    qtmodeltester.check(model)
    fields = ConflictFieldsModel()
    qtmodeltester.check(fields)


def test_the_window_lists_intercambio_and_hides_imports_from_read_only_users(qtbot, bc, tmp_path):
    from gui.main_window import MainWindow
    from models.enums import UserRole
    from models.services import users

    create_application([])
    password = "Bienestar-2026"
    with bc.session() as s:
        users.create_first_admin(s, "admin", "", password)
        users.add_user(s, "admin", "consulta", "", UserRole.CONSULTA, None, password)
        users.add_user(s, "admin", "captura", "", UserRole.CAPTURISTA, None, password)
    with bc.factory() as s:
        office = office_svc.get_office(s)

    def window(name: str) -> MainWindow:
        info = users.sign_in(bc.factory, name, password)
        ctx = AppContext(bc.factory, Settings(tmp_path / f"{name}.ini"), TaskRunner(synchronous=True), office, None,
                         info.username, info)
        w = MainWindow(ctx)
        qtbot.addWidget(w)
        return w

    reader = window("consulta")
    titles = [reader.nav.item(i).text() for i in range(reader.nav.count())]
    assert titles.index("Intercambio") == titles.index("Reportes") + 1 == titles.index("Bitácora") - 1
    page = reader.exchange
    reader.show_page(page)
    assert page.export_button.isVisibleTo(reader) and page.ack_button.isVisibleTo(reader)  # generating stays
    guarded = ("receive_box", "import_button", "apply_button", "import_ack_button", "keep_local_button",
               "take_incoming_button", "merge_button")
    assert [name for name in guarded if not getattr(page, name).isHidden()] == []
    capturer = window("captura")  # imports and edits: everything offered
    assert [name for name in guarded if getattr(capturer.exchange, name).isHidden()] == []
