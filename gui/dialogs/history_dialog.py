"""«Historial» of one record: every audit entry of it, oldest first, with who, when and the values before and
after. Read-only; the entries come from ``models.services.audit.history``."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from gui.pages.audit import _local, _value
from models.services.audit import AuditRow


def history_html(rows: list[AuditRow]) -> str:
    if not rows:
        return "<p>Sin cambios registrados.</p>"
    parts = []
    for r in rows:
        parts.append(f"<p><b>{_local(r.occurred_at)}</b> — {r.action.replace('_', ' ')} por <b>{r.username}</b></p>")
        changes = r.changes()
        if changes:
            parts.append("<table cellpadding='2' style='margin-left:12px'>")
            for name, before, after in changes:
                parts.append(f"<tr><td>{name}:</td><td>{_value(before)}</td><td>→</td><td>{_value(after)}</td></tr>")
            parts.append("</table>")
    return "".join(parts)


class HistoryDialog(QDialog):
    def __init__(self, title: str, rows: list[AuditRow], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Historial — {title}")
        self.resize(720, 480)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setHtml(history_html(rows))
        layout.addWidget(self.browser)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
