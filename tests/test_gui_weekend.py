"""The weekend-opening page driven with pytest-qt on a real SQLite file and the synchronous task runner:
the unit form feeds the rollout summary, pending units say what they lack, bulk changes are all or
nothing, and only the national office edits targets."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from gui.app import create_application
from gui.context import AppContext
from gui.dialogs.weekend_editors import to_qdate
from gui.dialogs.weekend_form import WeekendForm
from gui.item_models.weekend import SummaryTableModel, TargetHistoryModel
from gui.pages.weekend import WeekendPage
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.services import establishments as est_svc
from models.services import office as office_svc
from models.services import weekend as svc
from tests.helpers import new_establishment

TODAY = date.today()
SINCE = TODAY - timedelta(days=14)
HIRED = TODAY - timedelta(days=30)


@pytest.fixture
def make_page(qtbot, factory, window_db_path, tmp_path):
    """``make_page(national=False)``: the page on this database, shown and loaded."""

    def build(national: bool = False) -> WeekendPage:
        create_application([])
        with factory.begin() as s:
            if national:
                office_svc.set_office(s, None)
            office = office_svc.get_office(s)
        ctx = AppContext(factory, Settings(tmp_path / "p.ini"), TaskRunner(synchronous=True), office, window_db_path,
                         "capturista")
        page = WeekendPage(ctx)
        qtbot.addWidget(page)
        page.resize(1400, 800)
        page.show()
        page.reload()
        return page

    return build


def open_week(factory, establishment_id: int, days=range(7), doctor: str = "Dr. Semana") -> svc.ScheduleData:
    """Store a morning shift on ``days`` and a doctor covering all of them, through the service."""
    data = svc.ScheduleData(establishment_id, True, SINCE,
                            shifts=[svc.ShiftData(d, "MATUTINO", time(8), time(14)) for d in days],
                            staff=[svc.StaffData("MEDICO", doctor, "EVENTUAL", HIRED)])
    with factory.begin() as s:
        return svc.save_schedule(s, data, "prueba")


def save_with_ctrl_s(qtbot, form) -> None:
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    qtbot.keyClick(form, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def edit_unit(page, establishment_id: int):
    assert page.select_id(establishment_id)
    assert page.edit_action.isEnabled()
    page.edit_action.trigger()
    form = page.form
    assert form is not None and form.isVisible()
    return form


# ------------------------------------------------------------------------------------------------
# The form feeds the summary
# ------------------------------------------------------------------------------------------------

def test_a_schedule_set_through_the_form_counts_in_the_rollout_summary(qtbot, make_page, factory, bc):
    unit = new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido")
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")  # never listed
    page = make_page()
    before = page.focus_row()
    assert (before.label, before.target, before.open_units, before.progress) == ("Baja California", 107, 0, 0.0)
    assert page.formula_label.text() == "Avance: abiertas / meta = 0 / 107 = 0.0 %"
    assert page.visible_clues() == ["BCIMB000101"]
    assert page.unit_row(unit.id)["Viable"] == "Sin registro"
    assert page.rollout.view.isHidden()  # one state: its figures on top, no table

    form = edit_unit(page, unit.id)
    assert "BCIMB000101" in form.windowTitle() and form.viable.isChecked()
    form.since.setDate(to_qdate(SINCE))
    qtbot.mouseClick(form.grid.cell(0, "MATUTINO").check, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.copy_monday_button, Qt.MouseButton.LeftButton)  # the same shift Monday to Sunday
    assert [(s.weekday, s.kind, s.starts_at, s.ends_at) for s in form.grid.shifts()] == [
        (d, "MATUTINO", time(8), time(14)) for d in range(7)]
    form.tabs.setCurrentIndex(1)
    qtbot.mouseClick(form.staff.add_button, Qt.MouseButton.LeftButton)
    person = form.staff.rows[0]
    assert person.role.currentData() == "MEDICO"
    qtbot.keyClicks(person.name, "Dra. Ana Lopez Ruiz")
    person.contract.setCurrentText("EVENTUAL")
    person.hired.setDate(to_qdate(HIRED))
    form.update_status()
    assert "abre los 7 días" in form.status.text()
    assert form.tabs.tabText(1) == "Personal (1)"
    save_with_ctrl_s(qtbot, form)

    assert page.form is None and form.result() == QDialog.DialogCode.Accepted
    after = page.focus_row()
    assert (after.open_units, after.viable, after.doctors_assigned, after.progress) == (1, 1, 1, 0.9)  # 1 / 107
    assert page.formula_label.text() == "Avance: abiertas / meta = 1 / 107 = 0.9 %"
    assert page.rollout.stat_labels["open"].text() == "1"
    assert page.rollout.stat_labels["progress"].text() == "0.9 %"
    row = page.unit_row(unit.id)
    assert (row["Viable"], row["Abre 7 días"], row["Días con turno"], row["Médicos"], row["Qué le falta"]) == (
        "Sí", "Sí", "L M Mi J V S D", "1", "")
    assert page.chart.points[-1].open_units == 1 and page.chart.points[-1].week_end == TODAY
    with factory() as s:
        stored = svc.get_schedule(s, unit.id)
    assert len(stored.shifts) == 7 and stored.staff[0].full_name == "Dra. Ana Lopez Ruiz"
    assert svc.is_open(stored, TODAY)

    # Editing it again keeps the rows and offers to undo the change.
    form = edit_unit(page, unit.id)
    assert len(form.staff.rows) == 1 and form.grid.cell(6, "MATUTINO").is_checked()
    form.grid.cell(6, "MATUTINO").check.setChecked(False)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert page.focus_row().open_units == 0
    assert page.undo_action.isEnabled() and page.undo_action.text() == "&Deshacer: horario de BCIMB000101"
    page.undo_action.trigger()
    assert page.focus_row().open_units == 1 and not page.undo_action.isEnabled()


def test_a_missing_sunday_shows_the_spanish_reason_in_the_pending_list(qtbot, make_page, factory, bc):
    complete = new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido")
    open_week(factory, complete.id)
    unit = new_establishment(factory, bc.id, "BCIMB000102", "Centro de Salud Los Pinos")
    new_establishment(factory, bc.id, "BCIMB000103", "Centro de Salud Sin Registro")
    page = make_page()
    assert page.focus_row().open_units == 1

    form = edit_unit(page, unit.id)
    form.since.setDate(to_qdate(SINCE))
    form.grid.cell(0, "MATUTINO").check.setChecked(True)
    qtbot.mouseClick(form.copy_weekday_button, Qt.MouseButton.LeftButton)  # Tuesday to Friday
    form.grid.cell(5, "JORNADA_ACUMULADA").check.setChecked(True)  # Saturday, and nothing on Sunday
    assert not form.grid.cell(0, "JORNADA_ACUMULADA").isEnabled()  # weekdays cannot have one
    person = form.staff.add_row()
    person.name.setText("Dr. Juan Pérez")
    person.hired.setDate(to_qdate(HIRED))
    form.update_status()
    assert "Sin turno definido el domingo" in form.status.text()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert page.form is None

    assert page.focus_row().viable == 2 and page.focus_row().open_units == 1
    page.pending_only.setChecked(True)
    assert page.visible_clues() == ["BCIMB000102"]  # not the open one, nor the one without a record
    assert page.unit_row(unit.id)["Qué le falta"] == "Sin turno definido el domingo"
    assert page.unit_row(unit.id)["Días con turno"] == "L M Mi J V S"
    assert "1 sin turno algún día" in page.rollout.pending_label.text()
    assert page.count_label.text().startswith("Mostrando 1 de 3 unidades · 1 pendiente")

    # Filter as you type, without accents or capitals.
    page.pending_only.setChecked(False)
    qtbot.keyClicks(page.search, "DOMINGO")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.visible_clues() == ["BCIMB000102"]
    page.search.clear()
    qtbot.keyClicks(page.search, "registro")
    page.apply_search()
    assert page.visible_clues() == ["BCIMB000103"]
    page.show_pending_matching("sin turno")  # the link in the summary
    assert page.pending_only.isChecked() and page.visible_clues() == ["BCIMB000102"]


def test_errors_show_next_to_the_fields_and_nothing_is_saved(qtbot, make_page, factory, bc):
    unit = new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido")
    page = make_page()
    form = edit_unit(page, unit.id)
    monday = form.grid.cell(0, "MATUTINO")
    monday.check.setChecked(True)
    monday.start.setTime(monday.start.time().fromString("14:00", "HH:mm"))
    monday.end.setTime(monday.end.time().fromString("08:00", "HH:mm"))
    vacancy = form.staff.add_row()
    vacancy.hired.setDate(to_qdate(HIRED))  # a vacancy with a hire date
    stop = form.stops.add_row()
    stop.starts.setDate(QDate(2026, 5, 10))
    stop.ends.setDate(QDate(2026, 5, 1))
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    assert form.isVisible()
    assert form.grid.day_errors[0].text() == (
        "Turno lunes, matutino: termina (08:00) antes de empezar (14:00); sólo el turno nocturno puede pasar de la "
        "medianoche.")
    assert "una vacante no lleva fechas" in vacancy.error.text()
    assert stop.error.text() == "Interrupción del 10/05/2026: termina antes de empezar."
    assert form.tabs.currentIndex() == 0 and form.tabs.tabText(1).endswith("⚠")
    assert len(form.errors_shown()) == 3
    with factory() as s:
        assert svc.get_schedule(s, unit.id).id is None

    # Leaving with changes asks first; «Seguir editando» keeps the form, «Descartar» closes it.
    form.reject()
    box = form.discard_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "cambios sin guardar" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert form.isVisible()
    form.reject()
    form.discard_box.button(QMessageBox.StandardButton.Discard).click()
    assert not form.isVisible() and page.form is None


def test_enter_or_a_double_click_opens_the_form_once(qtbot, make_page, factory, bc):
    unit = new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido")
    page = make_page()
    assert page.select_id(unit.id)
    where = page.view.visualRect(page.proxy.index(0, 1)).center()
    # A real double click is press, release, double-click event, release; QTest sends only the last part.
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    qtbot.mouseDClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert page.form is not None and page.form.isVisible()
    assert len([f for f in page.findChildren(WeekendForm) if f.isVisible()]) == 1
    page.form.discard()
    assert page.form is None
    page.view.setFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert page.form is not None and page.form.original.clues == "BCIMB000101"
    page.form.discard()


# ------------------------------------------------------------------------------------------------
# Bulk changes
# ------------------------------------------------------------------------------------------------

def test_bulk_start_date_applies_to_all_selected_or_to_none(qtbot, make_page, factory, bc):
    ids = [new_establishment(factory, bc.id, f"BCIMB00030{i}", f"CS {i}").id for i in range(1, 4)]
    for establishment_id in ids:
        open_week(factory, establishment_id)
    page = make_page()
    assert page.select_ids(ids) == 3 and page.bulk_start_action.isEnabled() and not page.edit_action.isEnabled()
    with factory.begin() as s:  # closed by someone else after the list was read
        est_svc.retire_establishment(s, ids[2], "Cierre definitivo", TODAY, "otra")
    new_date = TODAY - timedelta(days=3)

    page.bulk_start_action.trigger()
    dialog = page.bulk_dialog
    assert "3 unidades" in dialog.findChild(type(page.count_label)).text()
    dialog.set_value(new_date)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    text = dialog.failure_text()
    assert text.startswith("No se aplicó el cambio a ninguna unidad (no se guardó nada).")
    assert "• BCIMB000303: BCIMB000303 está dado de baja." in text and "BCIMB000301:" not in text
    with factory() as s:
        assert {x.weekend_since for x in svc.load_schedules(s, ids).values()} == {SINCE}
    dialog.reject()

    page.reload()
    assert page.visible_clues() == ["BCIMB000301", "BCIMB000302"]
    assert page.select_ids(ids) == 2
    dialog = page.bulk_start_date()
    dialog.set_value(new_date)
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted and page.bulk_dialog is None
    with factory() as s:
        assert [x.weekend_since for x in svc.load_schedules(s, ids[:2]).values()] == [new_date, new_date]
    assert page.unit_row(ids[0])["Inicio"] == new_date.strftime("%d/%m/%Y")
    assert page.selected_ids() == ids[:2]  # the selection survives the reload
    assert page.undo_action.text() == "&Deshacer: fecha de inicio de 2 unidades"
    page.undo_action.trigger()
    with factory() as s:
        assert [x.weekend_since for x in svc.load_schedules(s, ids[:2]).values()] == [SINCE, SINCE]


def test_bulk_schedule_is_refused_for_every_unit_when_one_cannot_take_it(qtbot, make_page, factory, bc):
    ids = [new_establishment(factory, bc.id, f"BCIMB00030{i}", f"CS {i}").id for i in range(1, 3)]
    open_week(factory, ids[0], days=range(6))  # no Sunday yet
    tied = open_week(factory, ids[1])
    tied.staff.append(svc.StaffData("MEDICO", "Dr. Noche", hired_on=HIRED, shift=len(tied.shifts)))
    tied.shifts.append(svc.ShiftData(6, "NOCTURNO", time(20), time(8)))
    with factory.begin() as s:
        svc.save_schedule(s, tied, "prueba")
    page = make_page()
    assert page.focus_row().open_units == 1
    page.select_ids(ids)
    dialog = page.bulk_shifts()
    assert [s.weekday for s in dialog.shifts()] == list(range(7))  # starts from a morning shift every day
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "• BCIMB000302: Médico(a) Dr. Noche está asignado al turno domingo, nocturno" in dialog.failure_text()
    with factory() as s:
        assert len(svc.get_schedule(s, ids[0]).shifts) == 6
    dialog.reject()

    page.select_ids(ids[:1])
    dialog = page.bulk_shifts()
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert page.focus_row().open_units == 2 and page.unit_row(ids[0])["Abre 7 días"] == "Sí"


# ------------------------------------------------------------------------------------------------
# Targets
# ------------------------------------------------------------------------------------------------

def test_a_state_office_cannot_edit_targets(make_page, bc):
    page = make_page()
    assert not page.target_action.isEnabled() and not page.target_action.isVisible()
    page.target_action.trigger()
    assert page.edit_target() is None and page.target_dialog is None
    assert not page.state_combo.isVisible()


def test_the_national_office_changes_a_target_and_sees_the_history(qtbot, make_page, factory, bc):
    unit = new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido")
    open_week(factory, unit.id)
    page = make_page(national=True)
    assert page.target_action.isEnabled() and page.target_action.isVisible()
    rows = page.summary.rows
    assert len([r for r in rows if r.level == "state"]) == 23
    assert [r.label for r in rows if r.level != "state"] == ["Total Bloque 1", "Total Bloque 2", "Total Bloque 3",
                                                             "Total"]
    total = page.focus_row()
    assert (total.level, total.target, total.open_units, total.progress) == ("total", 8277, 1, 0.0)
    assert page.formula_label.text() == "Avance: abiertas / meta = 1 / 8,277 = 0.0 %"

    page.set_state(bc.id)
    assert page.state_combo.currentText().strip() == "Baja California"
    assert [r.label for r in page.summary.rows] == ["Baja California"]
    dialog = page.edit_target()
    assert dialog.state_id() == bc.id and dialog.units.value() == 107
    history = dialog.history
    assert history.rowCount() == 1 and history.index(0, 1).data() == "107"
    assert history.index(0, 3).data().startswith("Catálogo: ")

    dialog.effective.setDate(QDate(2024, 1, 1))  # the catalogue's own row is never edited
    dialog.units.setValue(120)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "publicada en el catálogo" in dialog._errors["effective_from"].text()

    dialog.effective.setDate(to_qdate(TODAY))
    dialog.doctors.setValue(90)
    dialog.reason.setText("Se sumaron 13 unidades rurales")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog._errors["effective_from"].isHidden()
    assert dialog.confirmation.text() == f"Meta guardada: 120 unidades desde el {TODAY:%d/%m/%Y}."
    assert history.rowCount() == 2
    assert [history.index(0, c).data() for c in range(6)] == [
        f"{TODAY:%d/%m/%Y}", "120", "90", "Oficina nacional", "Se sumaron 13 unidades rurales", "capturista"]
    row = page.focus_row()
    assert (row.target, row.doctors_needed, row.open_units, row.progress) == (120, 90, 1, 0.8)
    assert page.formula_label.text() == "Avance: abiertas / meta = 1 / 120 = 0.8 %"
    with factory() as s:
        assert [t.units_target for t in svc.target_history(s, bc.id)] == [107, 120]
    dialog.reject()


# ------------------------------------------------------------------------------------------------
# Models, import, settings
# ------------------------------------------------------------------------------------------------

def test_models_pass_qtmodeltester(qtmodeltester, make_page, factory, bc):
    for i in range(12):
        unit = new_establishment(factory, bc.id, f"BCIMB0001{i:02d}", f"Centro de Salud {i}")
        if i % 3:
            open_week(factory, unit.id, days=range(7 if i % 2 else 6))
    page = make_page(national=True)
    qtmodeltester.check(page.summary)
    page.pending_only.setChecked(True)
    page.proxy.set_search("domingo")
    page.view.sortByColumn(page.model.column_of("doctors"), Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(page.proxy)
    qtmodeltester.check(page.model)
    history = TargetHistoryModel()
    with factory() as s:
        history.set_rows(svc.target_history(s, bc.id))
    qtmodeltester.check(history)
    assert SummaryTableModel().rowCount() == 0


def test_dates_and_counts_sort_by_value(make_page, factory, bc):
    for i, days_ago in enumerate((3, 40, 400)):
        unit = new_establishment(factory, bc.id, f"BCIMB00010{i}", f"CS {i}")
        data = svc.ScheduleData(unit.id, True, TODAY - timedelta(days=days_ago))
        with factory.begin() as s:
            svc.save_schedule(s, data, "prueba")
    page = make_page()
    page.view.sortByColumn(page.model.column_of("since"), Qt.SortOrder.AscendingOrder)
    assert page.visible_clues() == ["BCIMB000102", "BCIMB000101", "BCIMB000100"]


def test_import_opens_the_weekend_wizard_and_reloads_after_an_import(qtbot, make_page, factory, bc):
    page = make_page()
    wizard = page.open_import_wizard()
    assert wizard.kind.key == "weekend" and wizard.isVisible() and page.import_wizard is wizard
    unit = new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido")
    open_week(factory, unit.id)
    with qtbot.waitSignal(page.status_message) as message:
        wizard.imported.emit({"nuevos": 1, "actualizados": 0})
    assert message.args == ["Plantilla de fin de semana importada: 1 nuevos, 0 actualizados."]
    assert page.focus_row().open_units == 1
    wizard.reject()


def test_search_pending_filter_and_cut_off_date(qtbot, make_page, factory, bc, tmp_path):
    unit = new_establishment(factory, bc.id, "BCIMB000101", "Centro de Salud El Florido")
    open_week(factory, unit.id)
    page = make_page()
    page.set_as_of(SINCE - timedelta(days=1))  # before it started
    assert page.focus_row().open_units == 0
    assert page.unit_row(unit.id)["Qué le falta"] == f"Abre en fin de semana a partir del {SINCE:%d/%m/%Y}"
    page.set_as_of(TODAY)
    assert page.focus_row().open_units == 1
    page.search.setText("florido")
    page.pending_only.setChecked(True)
    page.save_settings()
    again = WeekendPage(page.ctx)
    qtbot.addWidget(again)
    assert again.search.text() == "florido" and again.pending_only.isChecked()


def test_main_window_lists_the_weekend_page(qtbot, factory, window_db_path, tmp_path, bc):
    from tests.gui_helpers import build_window

    window = build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles[:5] == ["Inicio", "Establecimientos", "Regionalización", "Fin de semana", "Autorizaciones"]
    window.nav.setCurrentRow(titles.index("Fin de semana"))
    assert window.stack.currentWidget() is window.weekend
