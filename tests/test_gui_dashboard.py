"""«Inicio», the home dashboard, driven with pytest-qt in the real main window (synchronous task runner): the
window opens on it, the cards show the fixture's figures, each card (mouse or keyboard) and each chart opens
the list behind it with the filter applied, and F5 or coming back to the page recalculates."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from gui import settings as S
from gui.settings import Settings
from models.services import office as office_svc
from tests.gui_helpers import build_window
from tests.helpers import new_establishment
from tests.test_dashboard_service import build_fixture

SHOTS = Path(os.environ.get("DASHBOARD_SHOTS", "/tmp/shots"))
TODAY = date.today()  # the target pages compute on the real date; the fixture is relative to it
LEFT = Qt.MouseButton.LeftButton

EXPECTED = {"active": "8", "without_zone": "5", "level_PRIMER": "4", "level_SEGUNDO": "2", "level_TERCER": "1",
            "level_NO_APLICA": "1", "progress": "0.9 %", "target": "107", "viable": "2", "open": "1",
            "pending": "1", "doctors": "2", "current": "3", "in_process": "1", "not_started": "8",
            "expiring": "1", "expired": "1", "services": "1"}


@pytest.fixture
def ids(factory, bc) -> dict[str, int]:
    return build_fixture(factory, bc.id, TODAY)


@pytest.fixture
def window(qtbot, factory, window_db_path, tmp_path, bc, ids):
    window = build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")
    window.resize(1280, 780)
    return window


def home(window):
    window.show_page(window.dashboard)
    assert window.stack.currentWidget() is window.dashboard
    return window.dashboard


def test_the_window_opens_on_inicio_with_the_state_figures(qtbot, window):
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles[:5] == ["Inicio", "Establecimientos", "Regionalización", "Fin de semana", "Autorizaciones"]
    assert window.nav.currentRow() == 0 and window.stack.currentWidget() is window.dashboard
    page = window.dashboard
    assert page.card_texts() == EXPECTED
    cards = page.cards
    assert cards["without_zone"].detail.text() == "62.5 % de los activos"
    assert cards["current"].detail.text() == "de 13 requeridas"
    assert cards["viable"].detail.text() == "de 4 fijas; 1 sin registro"
    assert cards["expired"].number.property("tone") == "alert" and cards["pending"].number.property("tone") == "warn"
    assert page.as_of_label.text().startswith(f"Cifras al {TODAY:%d/%m/%Y}")
    # the charts draw the same figures
    assert [page.level_chart.bars.at(i) for i in range(4)] == [1, 1, 2, 4]  # bottom-up: «no aplica» … first level
    assert "0.9 %" in page.weekend_chart.centre_text()
    assert [s.label() for s in page.weekend_chart.series.slices()] == ["Abiertas: 1", "Pendientes: 1", "Faltan: 105"]
    assert page.auth_chart.codes == ["AVISO_RESP", "AVISO_FUNC", "LIC_SAN"]
    assert [page.auth_chart.sets["current"].at(i) for i in range(3)] == [1, 0, 2]
    assert page.auth_chart.chart().title() == "Requeridas por tipo: 23.08 % vigentes"
    for card in cards.values():
        assert card.focusPolicy() == Qt.FocusPolicy.StrongFocus
        assert card.cursor().shape() == Qt.CursorShape.PointingHandCursor
    SHOTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(SHOTS / "dashboard.png"))


def test_each_card_opens_its_list_with_the_filter_applied(qtbot, window):
    est, regions, weekend, auth = window.establishments, window.regions, window.weekend, window.authorisations

    def click(key: str):
        page = home(window)
        qtbot.mouseClick(page.cards[key], LEFT)
        return window.stack.currentWidget()

    est.search.setText("tecate")  # a search left on the list is cleared by the dashboard's filter
    est.apply_search()
    assert click("active") is est
    assert est.search.text() == "" and est.level_filter.currentData() == "" and est.proxy.rowCount() == 8
    for level, count in (("PRIMER", 4), ("SEGUNDO", 2), ("TERCER", 1), ("NO_APLICA", 1)):
        assert click(f"level_{level}") is est
        assert est.level_filter.currentData() == level and est.proxy.rowCount() == count
    assert window.nav.currentRow() == window.pages.index(est)

    regions.tabs.setCurrentIndex(2)
    regions.search.setText("zzz")
    assert click("without_zone") is regions
    assert regions.tabs.currentIndex() == 0 and regions.search.text() == ""
    assert regions.unassigned_model.rowCount() == 5

    for key in ("progress", "target", "viable", "open", "doctors"):
        assert click(key) is weekend
        assert not weekend.pending_only.isChecked() and weekend.proxy.rowCount() == 4  # every fixed unit
    assert click("pending") is weekend
    assert weekend.pending_only.isChecked() and weekend.proxy.rowCount() == 1
    assert weekend.visible_clues() == ["BCIMB000102"]

    assert click("current") is auth
    assert auth.tabs.currentIndex() == 0 and auth.drill_model.rowCount() == 3
    assert auth.drill_label.text().startswith("Vigentes — Total: 3 trámites")
    assert click("in_process") is auth and auth.drill_model.rowCount() == 1
    for key, alert, rows in (("not_started", "not_started", 8), ("expiring", "30", 1), ("expired", "expired", 1),
                             ("services", "services", 1)):
        assert click(key) is auth
        assert auth.alert_tabs.currentWidget() is auth.alert_views[alert]
        assert auth.alert_models[alert].rowCount() == rows
    assert auth.alert_rows("30")[0]["CLUES"] == "BCIMB000355"


def test_cards_open_from_the_keyboard(qtbot, window):
    page = home(window)
    window.activateWindow()
    card = page.cards["level_SEGUNDO"]
    card.setFocus()
    qtbot.keyClick(card, Qt.Key.Key_Return)
    assert window.stack.currentWidget() is window.establishments
    assert window.establishments.level_filter.currentData() == "SEGUNDO"
    page = home(window)
    qtbot.keyClick(page.cards["expired"], Qt.Key.Key_Space)
    assert window.stack.currentWidget() is window.authorisations
    assert window.authorisations.alert_tabs.currentWidget() is window.authorisations.alert_views["expired"]


def test_the_charts_open_their_lists_too(qtbot, window):
    page = home(window)
    page.level_chart.bars.clicked.emit(page.level_chart.levels.index("TERCER"))
    assert window.stack.currentWidget() is window.establishments
    assert window.establishments.level_filter.currentData() == "TERCER"

    page = home(window)
    pending = next(s for s in page.weekend_chart.series.slices() if s.label().startswith("Pendientes"))
    pending.clicked.emit()
    assert window.stack.currentWidget() is window.weekend and window.weekend.pending_only.isChecked()

    page = home(window)
    page.auth_chart.sets["current"].clicked.emit(page.auth_chart.codes.index("LIC_SAN"))
    auth = window.authorisations
    assert window.stack.currentWidget() is auth
    assert [(i.clues, i.type_code) for i in auth.drill_model.rows] == [("BCIMB000355", "LIC_SAN"),
                                                                        ("BCIMB000901", "LIC_SAN")]


def test_f5_and_coming_back_recalculate(qtbot, window, factory, bc):
    page = window.dashboard
    new_establishment(factory, bc.id, "BCIMB000200", "Hospital Comunitario Tecate", "SEGUNDO")
    assert page.card_texts()["active"] == "8"  # not yet: nothing told the page
    window.activateWindow()
    page.cards["active"].setFocus()
    qtbot.keyClick(page.cards["active"], Qt.Key.Key_F5)
    assert page.card_texts()["active"] == "9" and page.card_texts()["level_SEGUNDO"] == "3"
    assert window.statusBar().currentMessage() == "Cifras de Inicio actualizadas."

    new_establishment(factory, bc.id, "BCIMB000201", "Centro de Salud Valle", "PRIMER")
    window.show_page(window.regions)
    home(window)
    assert page.card_texts()["active"] == "10" and page.card_texts()["without_zone"] == "7"
    qtbot.mouseClick(page.reload_button, LEFT)
    assert page.card_texts()["active"] == "10"


def test_it_opens_on_inicio_even_after_another_page_was_last(qtbot, factory, window_db_path, tmp_path, bc, ids):
    prefs = tmp_path / "prefs.ini"
    first = build_window(qtbot, factory, window_db_path, prefs)
    first.show_page(first.weekend)
    first.close()
    Settings(prefs).set(S.LAST_PAGE, 3)  # what an older version remembered
    second = build_window(qtbot, factory, window_db_path, prefs)
    assert second.stack.currentWidget() is second.dashboard and second.dashboard.card_texts() == EXPECTED


def test_the_national_office_sees_the_country_and_opens_all_states(qtbot, factory, window_db_path, tmp_path, bc, ids):
    with factory.begin() as s:
        office_svc.set_office(s, None)
    window = build_window(qtbot, factory, window_db_path, tmp_path / "prefs.ini")
    page = window.dashboard
    assert page.subtitle.text() == "Nacional (todas las entidades)"
    texts = page.card_texts()
    assert (texts["active"], texts["without_zone"], texts["target"], texts["not_started"]) == ("9", "6", "8,277", "10")
    window.weekend.set_state(bc.id)  # the weekend page was left on one state
    page = home(window)
    qtbot.mouseClick(page.cards["pending"], LEFT)
    weekend = window.weekend
    assert weekend.state_id is None and weekend.pending_only.isChecked() and weekend.proxy.rowCount() == 1
    page = home(window)
    qtbot.mouseClick(page.cards["not_started"], LEFT)
    auth = window.authorisations
    assert auth.state_id is None and auth.alert_models["not_started"].rowCount() == 10
