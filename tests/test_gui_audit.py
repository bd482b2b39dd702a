"""The audit page: filters by user and text, shows before/after of an entry, and the chain verification
reports exactly the entry edited directly in the database file."""
from __future__ import annotations

import sqlite3
from dataclasses import replace

from gui.app import create_application
from gui.context import AppContext
from gui.pages.audit import AuditPage
from gui.settings import Settings
from gui.tasks import TaskRunner
from models.services import audit
from models.services import establishments as svc
from tests.helpers import new_establishment


def test_audit_page_filters_shows_changes_and_detects_an_edited_entry(qtbot, factory, bc, db_path, tmp_path):
    create_application([])
    first = new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO", user="ana")
    new_establishment(factory, bc.id, "BCIMB000734", "HG Tijuana", "SEGUNDO", user="luis")
    with factory.begin() as s:
        svc.update_establishment(s, replace(first, name="HOSPITAL GENERAL MEXICALI"), "ana")
    ctx = AppContext(factory, Settings(tmp_path / "p.ini"), TaskRunner(synchronous=True), None, db_path, "ana")
    page = AuditPage(ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.model.rowCount() == 3 and page.summary.text() == "3 entradas"
    page.user.setCurrentIndex(page.user.findData("luis"))
    assert [r.username for r in page.model.rows] == ["luis"]
    page.user.setCurrentIndex(0)
    page.text.setText("BCIMB000355")
    page.reload()
    assert [r.action for r in page.model.rows] == ["modificar", "crear"]  # newest first
    page.view.selectRow(0)
    html = page.details.toPlainText()
    assert "HG Mexicali" in html and "HOSPITAL GENERAL MEXICALI" in html and "ana" in html

    page.verify()
    assert "está íntegra" in page.summary.text()
    with factory() as s:
        target = audit.search(s, username="luis")[0][0].id
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE audit_entries SET username = 'otro' WHERE id = ?", (target,))
    conn.commit()
    conn.close()
    page.verify()
    assert f"las entradas n.º {target} fueron alteradas" in page.summary.text()


def test_an_export_is_recorded_in_the_audit_trail(factory, bc, tmp_path):
    from models.importing.export import export_establishments

    new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    with factory.begin() as s:
        assert export_establishments(s, tmp_path / "lista.xlsx", state_id=bc.id, user="ana") == 1
    with factory() as s:
        [entry] = audit.search(s, username="ana")[0]
    assert entry.action == "exportar" and entry.after == {"archivo": "lista.xlsx", "registros": 1, "state_id": bc.id}
