"""The sanitary-authorisations page driven with pytest-qt on a real SQLite file and the synchronous task runner:
a licence registered and moved submitted → granted through the dialogs changes the compliance table and the
30-day expiring list; the status dialog offers only the transitions allowed; service errors show in Spanish."""
from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDate

from gui.app import create_application
from gui.context import AppContext
from gui.pages.authorisations import AuthorisationsPage
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.enums import AuthorisationStatus as S
from models.services import authorisations as svc
from models.services import documents
from models.services import office as office_svc
from tests.helpers import new_establishment

TODAY = date.today()
SHOTS = Path(os.environ.get("AUTH_SHOTS", "/tmp/shots"))


@pytest.fixture
def make_page(qtbot, factory, window_db_path, tmp_path):
    """``make_page(national=False)``: the page on this database, shown and loaded."""

    def build(national: bool = False) -> AuthorisationsPage:
        create_application([])
        with factory.begin() as s:
            if national:
                office_svc.set_office(s, None)
            office = office_svc.get_office(s)
        ctx = AppContext(factory, Settings(tmp_path / "p.ini"), TaskRunner(synchronous=True), office, window_db_path,
                         "capturista")
        page = AuthorisationsPage(ctx)
        qtbot.addWidget(page)
        page.resize(1500, 860)
        page.show()
        page.reload()
        return page

    return build


def shot(widget, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"auth_{name}.png"))


def qd(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def test_a_licence_moved_to_granted_changes_the_table_and_the_expiring_list(qtbot, make_page, factory, bc, tmp_path):
    hospital = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    new_establishment(factory, bc.id, "BCIMB000010", "Centro de Salud Ensenada")
    page = make_page()

    before = page.compliance_row("LIC_SAN")
    assert (before["Requeridas"], before["Vigentes"], before["En trámite"], before["Sin iniciar"],
            before["Estatus %"]) == ("1", "0", "0", "1", "0.00 %")
    assert page.alert_rows("30") == []
    assert any(r["CLUES"] == "BCIMB000355" and r["Autorización"] == "LIC_SAN" for r in page.alert_rows("not_started"))
    shot(page, "compliance_before")

    # drill-down: the licence the hospital lacks
    items = page.drill_down([r.type_code for r in page.compliance_model.rows].index("LIC_SAN"), 6)
    assert [(i.clues, i.type_code, i.not_started) for i in items] == [("BCIMB000355", "LIC_SAN", True)]
    assert page.drill_model.texts()[0]["Estado"] == "Sin iniciar"
    shot(page, "drill_down")

    # pick the hospital by an accent-free search of its name
    page.tabs.setCurrentIndex(1)
    page.search.setText("hospital general MEXICALÍ")
    assert page.picker_ids() == [hospital.id]
    page.picker.setCurrentRow(0)
    assert page.detail is not None and page.detail.establishment_id == hospital.id
    req = {r.type_code: r for r in page.requirements_model.rows}
    assert req["LIC_SAN"].required and req["LIC_SAN"].by_default and not req["LIC_CNSNS"].required

    # new procedure through the dialog
    dialog = page.new_procedure(type_code="LIC_SAN")
    assert dialog.isVisible()
    dialog.folio.setText("COF-2024-0001")
    shot(dialog, "new_procedure")
    dialog.save()
    assert page.dialog is None and not dialog.isVisible()
    assert [(p.type_code, p.status, p.folio) for p in page.procedures_model.rows] == [
        ("LIC_SAN", "REQUERIDA", "COF-2024-0001")]
    licence = page.procedures_model.rows[0]

    # requerida → ingresada
    assert page.select_procedure(licence.id)
    dialog = page.change_status()
    assert set(dialog.allowed_statuses()) == {s.value for s in svc.TRANSITIONS[S.REQUERIDA]}
    assert S.OTORGADA.value not in dialog.allowed_statuses()  # forbidden: not offered
    assert not dialog.choose(S.VIGENTE)
    assert dialog.choose(S.INGRESADA)
    dialog.submitted_on.setDate(qd(TODAY - timedelta(days=10)))
    dialog.occurred_on.setDate(qd(TODAY - timedelta(days=10)))  # before the procedure was registered: refused
    dialog.save()
    assert "no puede ser anterior al último cambio" in dialog.errors()["occurred_on"]
    dialog.occurred_on.setDate(qd(TODAY))
    dialog.save()
    assert not dialog.isVisible()
    assert page.current_procedure().status == "INGRESADA"
    assert page.compliance_row("LIC_SAN")["En trámite"] == "1"

    # ingresada → otorgada with an expiry in 20 days; first a date error from the service, in Spanish
    dialog = page.change_status()
    assert S.OTORGADA.value in dialog.allowed_statuses() and S.REQUERIDA.value not in dialog.allowed_statuses()
    assert dialog.choose(S.OTORGADA)
    dialog.granted_on.setDate(qd(TODAY - timedelta(days=15)))  # before submission: refused
    dialog.expires_on.setDate(qd(TODAY + timedelta(days=20)))
    dialog.comment.setPlainText("Licencia recibida en ventanilla")
    dialog.save()
    assert dialog.isVisible()
    assert "no puede ser anterior a la fecha de ingreso" in dialog.errors()["granted_on"]
    shot(dialog, "change_status_error")
    dialog.granted_on.setDate(qd(TODAY - timedelta(days=1)))
    dialog.save()
    assert not dialog.isVisible()
    granted = page.current_procedure()
    assert (granted.status, granted.expires_on) == ("OTORGADA", TODAY + timedelta(days=20))
    assert [(e.from_status, e.to_status) for e in page.history_model.rows] == [
        (None, "REQUERIDA"), ("REQUERIDA", "INGRESADA"), ("INGRESADA", "OTORGADA")]
    assert page.history_model.rows[-1].comment == "Licencia recibida en ventanilla"

    # the scanned licence is attached to the granted procedure, copied and checksummed
    scan = tmp_path / "licencia escaneada.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    page.attach_file(scan)
    [(doc, check)] = page.document_rows()
    assert doc.original_name == "licencia escaneada.pdf" and check.ok
    assert page.documents_model.data(page.documents_model.index(0, 3)) == "Íntegro"
    stored = documents.document_path(doc)
    assert stored.read_bytes() == scan.read_bytes() and stored.parent.name == "documentos"
    stored.write_bytes(b"%PDF-1.4 alterado")  # someone edits the copy behind the app's back
    page.select_procedure(granted.id)
    page._load_documents(granted.id)
    [(_doc, check)] = page.document_rows()
    assert check.status == documents.TAMPERED and "fue modificado" in check.message
    page.documents_view.setCurrentIndex(page.documents_model.index(0, 0))
    messages = []
    page.status_message.connect(messages.append)
    assert page.open_document() is False and messages == [check.message]  # never opened silently
    shot(page, "establishment")

    after = page.compliance_row("LIC_SAN")
    assert (after["Requeridas"], after["Vigentes"], after["En trámite"], after["Obtenidas en el periodo"],
            after["Sin iniciar"], after["Estatus %"], after["Vigentes %"]) == ("1", "1", "0", "1", "0", "100.00 %",
                                                                              "100.00 %")
    total = page.compliance_row("")
    assert total["Autorización"] == "Total"
    rows = [r for r in page.compliance_model.rows if not r.is_total]
    assert total["Requeridas"] == str(sum(r.required for r in rows))
    assert total["Estatus %"] == f"{svc.percent(sum(r.obtained for r in rows), sum(r.required for r in rows)):.2f} %"
    expiring = page.alert_rows("30")
    assert [(r["CLUES"], r["Autorización"], r["Días"]) for r in expiring] == [("BCIMB000355", "LIC_SAN", "20")]
    assert page.alert_tabs.tabText(0) == "Vencen en 30 días (1)"
    assert not any(r["CLUES"] == "BCIMB000355" and r["Autorización"] == "LIC_SAN"
                   for r in page.alert_rows("not_started"))
    page.tabs.setCurrentIndex(0)
    page.alert_tabs.setCurrentIndex(0)
    shot(page, "compliance_after")

    # a granted licence may only become current or revoked
    dialog = page.change_status()
    assert set(dialog.allowed_statuses()) == {S.VIGENTE.value, S.REVOCADA.value}
    dialog.reject()


def test_services_and_responsables_through_the_dialogs(qtbot, make_page, factory, bc):
    hospital = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    page = make_page()
    page.open_establishment(hospital.id)
    assert page.tabs.currentIndex() == 1

    dialog = page.add_service()
    assert dialog.choose("MN")
    dialog.save()
    assert [s.service_code for s in page.services_model.rows] == ["MN"]
    assert page.services_model.rows[0].lacks_responsable
    assert [r["Servicio"] for r in page.alert_rows("services")] == ["MN"]
    # nuclear medicine makes the CNSNS licence required
    assert {r.type_code: r.required for r in page.requirements_model.rows}["LIC_CNSNS"]

    assert page.select_service("MN")
    dialog = page.add_responsable()
    dialog.full_name.setText("Dra. Ana López Ruiz")
    dialog.cedula.setText("12ab")
    dialog.save()
    assert dialog.isVisible() and "sólo lleva dígitos" in dialog.errors()["cedula_profesional"]
    shot(dialog, "responsable_error")
    dialog.cedula.setText("1234567")
    dialog.profession.setText("Médica nuclear")
    dialog.save()
    assert not dialog.isVisible()
    assert page.services_model.rows[0].current_responsable.full_name == "Dra. Ana López Ruiz"
    assert page.alert_rows("services") == []
    assert [r["Cédula profesional"] for r in page.responsables_model.texts()] == ["1234567"]

    # override: the centre does not need the licence, with a reason (required without a reason is refused)
    page.requirements_view.selectRow([r.type_code for r in page.requirements_model.rows].index("LIC_SAN"))
    dialog = page.edit_override()
    dialog.choice.setCurrentIndex(2)
    dialog.save()
    assert dialog.isVisible() and "motivo" in dialog.errors()["override_reason"]
    dialog.reason.setText("Unidad en reconversión")
    dialog.save()
    assert not dialog.isVisible()
    lic = {r.type_code: r for r in page.requirements_model.rows}["LIC_SAN"]
    assert (lic.required, lic.override, lic.override_reason) == (False, False, "Unidad en reconversión")
    assert page.compliance_row("LIC_SAN")["Requeridas"] == "0"
    assert page.compliance_row("LIC_SAN")["Estatus %"] == "—"
    shot(page, "services")


def test_national_office_chooses_the_state_and_f5_reloads(qtbot, make_page, factory, bc):
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    page = make_page(national=True)
    assert page.state_combo.isVisible() and page.state_combo.count() > 1
    assert page.compliance_row("LIC_SAN")["Requeridas"] == "1"
    index = page.state_combo.findData(bc.id)
    page.state_combo.setCurrentIndex(index)
    assert page.state_id == bc.id and page.compliance_row("LIC_SAN")["Requeridas"] == "1"
    other = next(page.state_combo.itemData(i) for i in range(1, page.state_combo.count())
                 if page.state_combo.itemData(i) != bc.id)
    page.set_state(other)
    assert page.compliance_row("LIC_SAN")["Requeridas"] == "0"
    page.set_state(bc.id)
    new_establishment(factory, bc.id, "BCIMB000734", "Hospital General Tijuana", "SEGUNDO")
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.reload_action.trigger()
    assert page.compliance_row("LIC_SAN")["Requeridas"] == "2"
    page.set_period(date(TODAY.year, 1, 1), TODAY)
    page.save_settings()
    shot(page, "national")


def test_licences_spreadsheet_goes_through_the_import_wizard_and_the_table_follows(qtbot, make_page, factory, bc):
    from pathlib import Path

    from PySide6.QtWidgets import QWizard

    mexicali = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    new_establishment(factory, bc.id, "BCIMB000734", "Hospital General Tijuana", "SEGUNDO")
    new_establishment(factory, bc.id, "BCIMB000010", "Centro de Salud Ensenada", "PRIMER")
    page = make_page()
    wizard = page.open_import_wizard()
    assert wizard.isVisible() and wizard.kind.key == "authorisations"
    wizard.file_page.set_file(Path(__file__).parent / "data" / "authorisations" / "autorizaciones_bc.xlsx")
    for _ in range(3):  # preview → columns → validation
        wizard.button(QWizard.WizardButton.NextButton).click()
    assert wizard.currentPage() is wizard.validation_page
    assert wizard.validation_page.count_labels["nuevos"].text() == "5"
    wizard.button(QWizard.WizardButton.CommitButton).click()
    with factory() as s:  # rows 4, 7 and 8 of the file belong to the Mexicali hospital
        assert sorted(a.type_code for a in svc.list_authorisations(s, mexicali.id)) == ["LIC_CNSNS", "LIC_SAN", "PERMISO"]
    row = page.compliance_row("LIC_CNSNS")
    assert row is not None and row["Vigentes"] == "1"
