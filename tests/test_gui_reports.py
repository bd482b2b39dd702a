"""The Reports page driven with pytest-qt on a real SQLite file and the real (threaded) task runner: generate
«Regionalización operativa», see the preview on page 1 of N, navigate and zoom, save, print to a PDF file, edit
the signature block, and get Spanish messages (not tracebacks) for requests that cannot be printed."""
from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog

from gui.app import create_application
from gui.context import AppContext
from gui.pages import reports as page_module
from gui.pages.reports import SAVE_DIR, ReportsPage
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.services import office as office_svc
from models.services import regions as reg_svc
from reports.catalog import ReportError
from tests.helpers import flat, new_establishment, pdf_pages

USER = "coordinador"
AS_OF = date(2026, 10, 31)
WAIT_MS = 20_000


@pytest.fixture
def structure(factory, bc):
    """Baja California with two regions, two zones and a unit without zone (the report then has a quality page)."""
    ids = {clues: new_establishment(factory, bc.id, clues, name, level).id
           for clues, name, level in [("BCIMB000010", "HOSPITAL GENERAL MEXICALI", "SEGUNDO"),
                                      ("BCIMB000020", "HOSPITAL GENERAL TIJUANA", "SEGUNDO"),
                                      ("BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "PRIMER"),
                                      ("BCIMB000102", "CENTRO DE SALUD SAN FELIPE", "PRIMER")]}
    with factory.begin() as s:
        r1 = reg_svc.create_region(s, bc.id, "Región I Mexicali", USER).id
        r2 = reg_svc.create_region(s, bc.id, "Región II Costa", USER).id
        z1 = reg_svc.create_zone(s, r1, "ZSM Mexicali", USER).id
        z2 = reg_svc.create_zone(s, r2, "ZSM Tijuana", USER).id
        reg_svc.set_coordinator(s, z1, ids["BCIMB000010"], USER)
        reg_svc.set_coordinator(s, z2, ids["BCIMB000020"], USER)
        reg_svc.assign_establishments(s, z1, [ids["BCIMB000101"]], USER)
    return ids


@pytest.fixture
def make_page(qtbot, factory, window_db_path, tmp_path):
    """``make_page(national=False)``: the page on this database with a threaded task runner, shown."""
    runners: list[TaskRunner] = []

    def build(national: bool = False) -> ReportsPage:
        create_application([])
        with factory.begin() as s:
            if national:
                office_svc.set_office(s, None)
            office = office_svc.get_office(s)
        runner = TaskRunner()
        runners.append(runner)
        ctx = AppContext(factory, Settings(tmp_path / "p.ini"), runner, office, window_db_path, "capturista")
        page = ReportsPage(ctx)
        qtbot.addWidget(page)
        page.resize(1440, 820)
        page.show()
        qtbot.waitUntil(lambda: page.state_combo.count() > 0, timeout=WAIT_MS)
        return page

    yield build
    for runner in runners:
        runner.wait()


@pytest.fixture
def page(make_page, bc, structure):
    return make_page()


def generate(qtbot, page: ReportsPage, kind: str = "regions") -> None:
    page.set_kind(kind)
    page.set_dates(AS_OF)
    before = page._generation
    qtbot.mouseClick(page.generate_button, Qt.MouseButton.LeftButton)
    assert page._generation == before + 1, page.error_text()
    qtbot.waitUntil(lambda: not page.generating and page.preview.page_count() > 0 and page.request is not None
                    and page.request.as_of == AS_OF, timeout=WAIT_MS)


# ------------------------------------------------------------------------------------------------
# Generate and preview
# ------------------------------------------------------------------------------------------------

def test_generate_shows_page_one_of_n_in_the_preview(qtbot, page, bc):
    assert page.kind().key == "state"  # a state office starts on its state report
    assert page.state_combo.currentData() == bc.id
    messages: list[str] = []
    page.status_message.connect(messages.append)
    generate(qtbot, page)
    preview = page.preview
    n = preview.page_count()
    assert n >= 2  # the report and its data-quality page (San Felipe has no zone)
    assert preview.page_label.text() == f"Página 1 de {n}"
    assert preview.stack.currentWidget() is preview.view
    assert not page.progress_box.isVisible() and page.generate_button.isEnabled()
    assert page.preview_title.text() == ("Vista previa — Regionalización operativa · Baja California · "
                                         "corte 31/10/2026")
    assert messages[-1] == f"Reporte generado: {page.describe(page.request)} ({n} páginas)."
    assert page.request.state_id == bc.id and page.request.period_start is None  # regions has no period
    assert page.print_action.isEnabled() and page.save_action.isEnabled()
    first = flat(pdf_pages(preview.data)[0])
    assert "Regionalización operativa" in first and f"Página 1 de {n}" in first
    qtbot.wait(50)
    page.grab().save("/tmp/reports_page.png")


def test_page_navigation_single_and_continuous(qtbot, page):
    page.set_kind("regions")
    page.set_dates(AS_OF)
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    page.kind_list.setFocus()
    qtbot.keyClick(page.kind_list, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)  # Generar
    qtbot.waitUntil(lambda: page.preview.page_count() > 0, timeout=WAIT_MS)
    preview = page.preview
    n = preview.page_count()
    assert not preview.previous_action.isEnabled() and preview.next_action.isEnabled()
    preview.next_action.trigger()
    assert preview.current_page() == 1 and preview.page_label.text() == f"Página 2 de {n}"
    preview.previous_action.trigger()
    assert preview.page_label.text() == f"Página 1 de {n}"
    preview.view.setFocus()
    qtbot.keyClick(preview.view, Qt.Key.Key_PageDown)
    assert preview.current_page() == 1
    qtbot.keyClick(preview.view, Qt.Key.Key_PageUp)
    assert preview.current_page() == 0

    preview.continuous_action.trigger()  # one page at a time
    assert preview.view.pageMode() == QPdfView.PageMode.SinglePage and not preview.continuous()
    preview.go_to(n - 1)
    assert preview.page_label.text() == f"Página {n} de {n}" and not preview.next_action.isEnabled()
    preview.go_to(99)  # clamped
    assert preview.current_page() == n - 1
    preview.continuous_action.trigger()
    assert preview.view.pageMode() == QPdfView.PageMode.MultiPage and preview.current_page() == n - 1
    page.save_settings()
    assert page.ctx.settings.get(page_module.CONTINUOUS) is True


def test_zoom_in_out_fit_width_and_fit_page(qtbot, page):
    generate(qtbot, page)
    preview, view = page.preview, page.preview.view
    preview.fit_page_action.trigger()
    assert view.zoomMode() == QPdfView.ZoomMode.FitInView and preview.fit_page_action.isChecked()
    fitted = preview.effective_zoom()
    assert 0.2 < fitted < 2
    preview.zoom_in_action.trigger()
    assert view.zoomMode() == QPdfView.ZoomMode.Custom and not preview.fit_page_action.isChecked()
    assert view.zoomFactor() == pytest.approx(fitted * 1.25)
    assert preview.zoom_label.text() == f"{round(fitted * 125)} %"
    preview.zoom_out_action.trigger()
    preview.zoom_out_action.trigger()
    assert view.zoomFactor() == pytest.approx(fitted / 1.25)
    preview.fit_width_action.trigger()
    assert view.zoomMode() == QPdfView.ZoomMode.FitToWidth and preview.fit_width_action.isChecked()
    assert preview.effective_zoom() > fitted  # the preview is wider than tall: fitting the width enlarges
    preview.next_action.trigger()
    assert preview.current_page() == 1  # zooming keeps navigation working


# ------------------------------------------------------------------------------------------------
# Save as, print
# ------------------------------------------------------------------------------------------------

def test_save_as_writes_the_pdf_and_remembers_the_folder(qtbot, page, tmp_path, monkeypatch):
    generate(qtbot, page)
    out_dir = tmp_path / "salida"
    out_dir.mkdir()
    asked = {}

    def fake_save(parent, caption, suggested, filters):
        asked["suggested"], asked["filters"] = suggested, filters
        return str(out_dir / "regiones"), filters  # no extension typed: .pdf is added

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake_save))
    messages: list[str] = []
    page.status_message.connect(messages.append)
    page.save_action.trigger()
    target = out_dir / "regiones.pdf"
    qtbot.waitUntil(lambda: bool(messages) and messages[-1].startswith("Reporte guardado"), timeout=WAIT_MS)
    assert asked["suggested"].endswith("Regionalizacion_operativa_Baja_California_2026-10-31.pdf")
    assert "*.pdf" in asked["filters"]
    data = target.read_bytes()
    assert data == page.preview.data and data.startswith(b"%PDF")
    assert "Regionalización operativa" in flat(pdf_pages(data)[0])
    assert page.ctx.settings.get(SAVE_DIR) == str(out_dir)


def test_a_file_that_cannot_be_written_is_said_in_a_message(qtbot, page, tmp_path, monkeypatch):
    generate(qtbot, page)
    target = tmp_path / "no-existe" / "r.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a: (str(target), "")))
    page.save_action.trigger()
    qtbot.waitUntil(lambda: page.message_box is not None and page.message_box.isVisible(), timeout=WAIT_MS)
    assert page.message_box.text().startswith(f"No se pudo guardar el reporte en «{target}»: ")
    page.message_box.close()


def pdf_page_count(path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)


def fake_print_dialog(monkeypatch, out, page_range: tuple[int, int] | None = None):
    """The print dialog «accepted» at once, printing to the PDF file ``out`` (a modal dialog hangs offscreen)."""
    opened = []

    def fake_open(dialog):
        opened.append(dialog)
        printer = dialog.printer()
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        if page_range:
            printer.setPrintRange(QPrinter.PrintRange.PageRange)
            printer.setFromTo(*page_range)
        dialog.done(QDialog.DialogCode.Accepted)  # what «Imprimir» ends in (accept() would re-read the widgets)

    monkeypatch.setattr(QPrintDialog, "open", fake_open)
    monkeypatch.setattr(QPrintDialog, "exec", lambda self: pytest.fail("the print dialog must not block"))
    return opened


def test_print_renders_every_page_then_a_page_range(qtbot, page, tmp_path, monkeypatch):
    generate(qtbot, page)
    n = page.preview.page_count()
    out = tmp_path / "impreso.pdf"
    opened = fake_print_dialog(monkeypatch, out)
    finished: list[tuple[bool, str]] = []
    page.preview.print_finished.connect(lambda ok, message: finished.append((ok, message)))
    page.print_action.trigger()
    assert len(opened) == 1 and opened[0].windowTitle() == "Imprimir reporte"
    assert (opened[0].minPage(), opened[0].maxPage()) == (1, n)
    qtbot.waitUntil(lambda: bool(finished), timeout=WAIT_MS)
    assert finished[-1] == (True, f"Se enviaron {n} páginas a «{out}».")
    assert pdf_page_count(out) == n
    assert page.print_action.isEnabled() and not page.progress_box.isVisible()

    out2 = tmp_path / "pagina2.pdf"
    fake_print_dialog(monkeypatch, out2, (2, 2))
    page.print_action.trigger()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=WAIT_MS)
    assert finished[-1][0] and pdf_page_count(out2) == 1


# ------------------------------------------------------------------------------------------------
# Signatories
# ------------------------------------------------------------------------------------------------

def test_signatories_dialog_validates_saves_and_the_next_report_prints_them(qtbot, page, factory):
    page.edit_signatories()
    qtbot.waitUntil(lambda: page.signatories_dialog is not None and page.signatories_dialog.isVisible(),
                    timeout=WAIT_MS)
    dialog = page.signatories_dialog
    assert [dialog.names[r].text() for r in ("Elaboró", "Revisó", "Vo. Bo.")] == ["", "", ""]
    dialog.names["Elaboró"].setText("Ana Pérez Núñez")
    dialog.posts["Elaboró"].setText("x" * 121)
    dialog.save()
    assert "El cargo de «Elaboró» excede 120 caracteres." in dialog.error_text()
    assert dialog.posts["Elaboró"].property("invalid") is True
    assert dialog.isVisible()
    dialog.posts["Elaboró"].setText("Jefa de Planeación")
    dialog.names["Vo. Bo."].setText("Dr. José Ibáñez")
    dialog.posts["Vo. Bo."].setText("Coordinador Estatal")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.signatories_dialog is None, timeout=WAIT_MS)
    assert "Elaboró: Ana Pérez Núñez" in page.signatories_label.text()
    with factory() as s:
        from models.services.report_settings import get_signatories

        assert get_signatories(s)[2].name == "Dr. José Ibáñez"

    generate(qtbot, page)
    everything = flat(" ".join(pdf_pages(page.preview.data)))
    assert "Ana Pérez Núñez" in everything and "Jefa de Planeación" in everything
    assert "Dr. José Ibáñez" in everything and "Coordinador Estatal" in everything


# ------------------------------------------------------------------------------------------------
# Messages instead of tracebacks
# ------------------------------------------------------------------------------------------------

def test_establishment_report_without_clues_is_refused_inline(qtbot, page):
    page.set_kind("establishment")
    assert page.form.isRowVisible(page.clues_edit) and not page.form.isRowVisible(page.state_combo)
    assert not page.from_edit.isEnabled()
    assert not page.generate()
    assert page.error_text() == "Indique la CLUES del establecimiento."
    assert page.clues_edit.property("invalid") is True
    assert page.preview.data is None
    qtbot.keyClicks(page.clues_edit, "bcimb000101")
    assert page.clues_edit.text() == "BCIMB000101"
    assert page.error_text() == "" and page.clues_edit.property("invalid") is False  # fixed as it is typed
    assert page.build_request().clues == "BCIMB000101" and page.build_request().state_id is None


def test_period_ending_after_the_cut_off_is_refused_inline(qtbot, page):
    page.set_kind("compliance")
    assert page.from_edit.isEnabled() and page.to_edit.isEnabled()
    page.set_dates(AS_OF, date(2026, 1, 1), date(2026, 11, 15))
    assert not page.generate()
    assert page.error_text() == "El periodo termina después de la fecha de corte."
    assert page.to_edit.property("invalid") is True
    page.set_dates(AS_OF, date(2026, 11, 1), AS_OF)
    assert page.error_text() == "El inicio del periodo es posterior a su fin."
    page.set_dates(AS_OF, date(2026, 1, 1), AS_OF)
    assert page.error_text() == ""
    request = page.build_request()
    assert (request.period_start, request.period_end) == (date(2026, 1, 1), AS_OF)


def test_moving_the_cut_off_moves_a_period_that_ended_on_it(qtbot, page):
    page.set_kind("weekend")
    page.set_dates(AS_OF, date(2026, 1, 1), AS_OF)
    page.set_dates(date(2026, 9, 30))
    assert page.build_request().period_end == date(2026, 9, 30)


def test_national_office_state_report_needs_a_state(qtbot, make_page, bc, structure):
    page = make_page(national=True)
    assert page.kind().key == "national"
    assert not page.form.isRowVisible(page.state_combo) and page.form.isRowVisible(page.national_note)
    page.set_kind("regions")
    assert page.state_combo.currentText() == "Todas las entidades"
    page.set_kind("state")
    assert page.state_combo.currentIndex() == -1  # «Todas» is not offered for the state report
    assert not page.generate()
    assert page.error_text() == "Elija la entidad del informe."
    page.set_state(bc.id)
    assert page.error_text() == ""
    page.set_kind("regions")
    page.set_state(None)
    generate(qtbot, page)
    assert page.request.state_id is None
    assert "Todas las entidades" in page.preview_title.text()
    assert "Oficina nacional" in flat(pdf_pages(page.preview.data)[0])


def test_report_error_and_missing_module_are_shown_as_messages(qtbot, page, monkeypatch):
    import reports.catalog as catalog

    def refuse(session, request, out=None, progress=None):
        raise ReportError("No existe el establecimiento con CLUES BCIMB999999.")

    monkeypatch.setattr(catalog, "generate", refuse)
    page.set_kind("regions")
    assert page.generate()
    qtbot.waitUntil(lambda: not page.generating, timeout=WAIT_MS)
    assert page.error_text() == "No existe el establecimiento con CLUES BCIMB999999."
    assert page.preview.data is None and page.generate_button.isEnabled()

    def missing(session, request, out=None, progress=None):
        raise ModuleNotFoundError("No module named 'reports.state'", name="reports.state")

    monkeypatch.setattr(catalog, "generate", missing)
    assert page.generate()
    qtbot.waitUntil(lambda: not page.generating, timeout=WAIT_MS)
    assert page.error_text() == page_module.NOT_AVAILABLE


def test_progress_shows_the_stage_and_cancel_stops_waiting(qtbot, page, monkeypatch):
    import reports.catalog as catalog

    release = threading.Event()

    def slow(session, request, out=None, progress=None):
        progress.report(0, 3, "Leyendo la regionalización")
        release.wait(10)
        progress.report(1, 3, "Componiendo el PDF")  # raises ImportCancelled once cancelled
        return b"%PDF-never shown"

    monkeypatch.setattr(catalog, "generate", slow)
    messages: list[str] = []
    page.status_message.connect(messages.append)
    page.set_kind("regions")
    assert page.generate()
    qtbot.waitUntil(lambda: page.stage_label.text() == "Leyendo la regionalización", timeout=WAIT_MS)
    assert page.progress_box.isVisible() and page.progress_bar.maximum() == 3
    assert not page.generate_button.isEnabled() and not page.generate()  # one at a time
    qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
    assert not page.progress_box.isVisible() and page.generate_button.isEnabled()
    assert messages[-1] == "Generación cancelada."
    release.set()
    page.ctx.tasks.wait()
    qtbot.wait(100)  # the cancelled job's failure arrives and is ignored
    assert page.preview.data is None and page.error_text() == ""


def test_signatories_refused_by_permissions_are_said_in_the_dialog(qtbot, page, monkeypatch):
    from models.services import report_settings as rs

    def refuse(session, signatories, user):
        raise PermissionError("Su rol (Capturista) no permite cambiar la configuración.")

    monkeypatch.setattr(rs, "set_signatories", refuse)
    page.edit_signatories()
    qtbot.waitUntil(lambda: page.signatories_dialog is not None, timeout=WAIT_MS)
    dialog = page.signatories_dialog
    dialog.names["Revisó"].setText("Lic. Marta Ruiz")
    dialog.save()
    qtbot.waitUntil(lambda: dialog.save_button.isEnabled(), timeout=WAIT_MS)
    assert dialog.error_text() == "Su rol (Capturista) no permite cambiar la configuración."
    assert dialog.isVisible() and page.signatories_dialog is dialog
    dialog.reject()
    qtbot.waitUntil(lambda: page.signatories_dialog is None, timeout=WAIT_MS)
    assert "Revisó: —" in page.signatories_label.text()
