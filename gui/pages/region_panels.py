"""Panels of the Regions page: the consistency panel and the referral network. They show plain DTOs and
send their writes through the page (``page.change``), which owns undo, messages and reloading."""
from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from gui.dialogs.region_dialogs import Choice, PickDialog
from gui.item_models.regions import ID_ROLE, RowsTableModel, TableColumn, level_label
from models.services import referrals as ref_svc
from models.services import regions as svc
from models.services.region_figures import ConsistencyReport, FigureComparison
from models.services.referrals import ReferralRow
from models.text import format_int

if TYPE_CHECKING:
    from gui.pages.regions import RegionsPage

DIFF_BACKGROUND = QColor("#fbe3c4")
DIFF_FOREGROUND = QColor("#6b3200")
FAR_BACKGROUND = QColor("#fbe3c4")
CHECK_ITEMS = 12  # items listed per check
UNIT_ITEMS = 5  # units without zone are all in the «sin zona» list anyway


def make_table(model, stretch: int | None = 1) -> QTableView:
    """A read-only, row-selecting table view in the page's style; column ``stretch`` takes the spare width."""
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(24)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    header = view.horizontalHeader()
    header.setStretchLastSection(False)
    header.setHighlightSections(False)
    for i, column in enumerate(getattr(model, "columns", [])):
        view.setColumnWidth(i, column.width)
    if stretch is not None:
        header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return view


def selected_keys(view: QTableView) -> list[int]:
    """ID_ROLE of the selected rows of a table, in row order."""
    rows = sorted({i.row() for i in view.selectionModel().selectedRows()})
    return [view.model().index(r, 0).data(ID_ROLE) for r in rows]


def select_key(view: QTableView, key: int) -> bool:
    """Select and show the row whose ID_ROLE is ``key``."""
    model = view.model()
    row = model.row_of_key(key)
    if row is None:
        return False
    index = model.index(row, 0)
    view.selectionModel().setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
    view.scrollTo(index)
    return True


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.1)
    label.setFont(font)
    label.setStyleSheet("color: #235b4e;")
    return label


def hint_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setObjectName("formHint")
    label.setWordWrap(True)
    return label


# --------------------------------------------------------------------------------------------------
# Consistency
# --------------------------------------------------------------------------------------------------

def difference_text(c: FigureComparison) -> str:
    """A difference in text (never colour alone): «▲ +2» (more than published), «▼ −1», «✔ igual»."""
    if c.published is None:
        return "— sin cifra publicada"
    if not c.differs:
        return "✔ igual"
    d = c.difference or 0
    return f"▲ +{format_int(d)}" if d > 0 else f"▼ −{format_int(-d)}"


SHORT_FIGURES = {"zones": "Zonas (ZSM)", "supervision_teams": "Equipos (ESZ)"}  # full label in the tooltip
CHECKS = (
    ("zones_without_coordinator", "Zonas sin hospital coordinador", "ninguna"),
    ("cross_state_coordinators", "Hospitales que coordinan zonas de otra entidad", "ninguno"),
    ("regions_without_zones", "Regiones sin zonas", "ninguna"),
    ("units_without_zone", "Establecimientos sin zona", "ninguno"),  # last: it can be long
)


class ConsistencyPanel(QWidget):
    """Registered figures beside the published ones (differences marked in colour and in words) and the
    checks. Clicking a linked name in a check emits ``locate(kind, id)`` so the page can show it in the tree."""

    locate = Signal(str, int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.report: ConsistencyReport | None = None
        self.setMinimumWidth(370)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(section_title("Consistencia con las cifras publicadas"))
        self.period = hint_label("")
        layout.addWidget(self.period)
        self.figures_model = RowsTableModel(
            [TableColumn("Cifra", lambda c: SHORT_FIGURES.get(c.key, c.label), width=160, tip=lambda c: c.label),
             TableColumn("Registradas", lambda c: format_int(c.registered), True, width=80),
             TableColumn("Publicadas", lambda c: "—" if c.published is None else format_int(c.published), True, width=80),
             TableColumn("Diferencia", difference_text, width=80)],
            highlight=lambda c: (DIFF_BACKGROUND, DIFF_FOREGROUND) if c.differs else None, parent=self)
        self.figures = make_table(self.figures_model, stretch=0)
        self.figures.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.figures.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.figures.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.figures.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for column in (1, 2, 3):
            self.figures.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.figures)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        layout.addSpacing(6)
        layout.addWidget(section_title("Revisiones"))
        self.checks = QTextBrowser()
        self.checks.setOpenLinks(False)
        self.checks.setFrameShape(QFrame.Shape.StyledPanel)
        self.checks.anchorClicked.connect(self._located)
        layout.addWidget(self.checks, 1)
        layout.addWidget(hint_label("Pulse un nombre subrayado para verlo en el árbol."))
        self._headers: dict[str, str] = {}

    def set_report(self, report: ConsistencyReport | None) -> None:
        self.report = report
        self.figures_model.set_rows(report.comparisons if report else [])
        rows = self.figures_model.rowCount()
        self.figures.setFixedHeight(self.figures.horizontalHeader().sizeHint().height()
                                    + rows * self.figures.verticalHeader().defaultSectionSize() + 2 * self.figures.frameWidth())
        if report is None:
            self.period.setText("")
            self.summary.setText("")
            self.checks.clear()
            self._headers = {}
            return
        published = (f"Cifras publicadas: {report.period_label}." if report.period_label
                     else "Sin cifras publicadas para esta entidad.")
        self.period.setText(f"{report.state_name}. {published}" + (f" Fuente: {report.source.rstrip('.')}." if report.source else ""))
        n = len(report.differences)
        self.summary.setText(
            f"⚠ {n} de {len(report.comparisons)} cifras difieren de lo publicado (renglones marcados; "
            "▲ registradas de más, ▼ de menos)." if n
            else "✔ Las cifras registradas coinciden con las publicadas." if report.period_label
            else "No hay cifras publicadas con que comparar.")
        self.summary.setStyleSheet("color: #6b3200;" if n else "color: #235b4e;")
        self._fill_checks(report)

    def _fill_checks(self, report: ConsistencyReport) -> None:
        parts, self._headers = [], {}
        for key, title, none in CHECKS:
            count = len(getattr(report, key))
            header = f"⚠ {title}: {format_int(count)}" if count else f"✔ {title}: {none}"
            self._headers[key] = header
            colour = "#6b3200" if count else "#235b4e"
            parts.append(f'<p style="margin: 8px 0 2px 0; color: {colour};"><b>{escape(header)}</b></p>')
            items = self._items(report, key)
            if items:
                shown = items[:UNIT_ITEMS if key == "units_without_zone" else CHECK_ITEMS]
                lines = "".join(f'<li><a href="{kind}:{item_id}">{escape(name)}</a>{escape(rest)}</li>'
                                for name, rest, kind, item_id in shown)
                if count > len(shown):
                    lines += f"<li>… y {format_int(count - len(shown))} más" + (
                        " en la lista «Establecimientos sin zona»." if key == "units_without_zone" else ".") + "</li>"
                parts.append(f'<ul style="margin: 0 0 0 -20px;">{lines}</ul>')
        scroll = self.checks.verticalScrollBar().value()
        self.checks.setHtml("".join(parts))
        self.checks.verticalScrollBar().setValue(scroll)  # refreshed after every change: keep the reader's place

    @staticmethod
    def _items(report: ConsistencyReport, key: str) -> list[tuple[str, str, str, int]]:
        """(linked name, rest of the sentence, kind, id) of each item of a check."""
        if key == "zones_without_coordinator":
            return [(z.zone_name, f" (región «{z.region_name}»): {z.reason}", "zone", z.zone_id)
                    for z in report.zones_without_coordinator]
        if key == "cross_state_coordinators":
            same = report.state_name
            return [(c.zone_name if c.zone_state == same else f"{c.clues} {c.establishment_name}",
                     f" ({c.zone_state}) la coordina {c.clues} {c.establishment_name} ({c.establishment_state})."
                     if c.zone_state == same else f" ({c.establishment_state}) coordina «{c.zone_name}» ({c.zone_state}).",
                     "zone" if c.zone_state == same else "unit", c.zone_id if c.zone_state == same else c.establishment_id)
                    for c in report.cross_state_coordinators]
        if key == "units_without_zone":
            return [(f"{u.clues} {u.name}", f" ({level_label(u.level)})", "unit", u.id)
                    for u in report.units_without_zone[:CHECK_ITEMS]]
        return [(r.region_name, f": {r.reason}", "region", r.region_id) for r in report.regions_without_zones]

    def check_text(self, key: str) -> str:
        """The heading of one check, e.g. «✔ Zonas sin hospital coordinador: ninguna»."""
        return self._headers.get(key, "")

    def _located(self, url: QUrl) -> None:
        kind, _sep, item_id = url.toString().partition(":")
        if kind in ("zone", "region", "unit") and item_id.isdigit():
            self.locate.emit(kind, int(item_id))


# --------------------------------------------------------------------------------------------------
# Referral network
# --------------------------------------------------------------------------------------------------

def hospital_text(r: ReferralRow) -> str:
    if r.hospital_id is None:
        return "— ninguno: " + ("zona sin coordinador" if r.zone_id else "unidad sin zona")
    return f"{r.hospital_clues} {r.hospital_name}"


def origin_text(r: ReferralRow) -> str:
    if not r.is_default:
        return "Asignado"
    return "Coordinador de la zona" if r.hospital_id is not None else "—"


def distance_text(r: ReferralRow) -> str:
    if r.distance_km is None:
        return "sin coordenadas" if r.hospital_id is not None else "—"
    return f"{r.distance_km:,.1f} km"


class ReferralsPanel(QWidget):
    """First-level units with their referral hospital (default or explicit) and distance, the far list with
    its threshold, and the commands to change a referral or apply the nearest-hospital suggestion."""

    def __init__(self, page: RegionsPage):
        super().__init__(page)
        self.page = page
        self.rows: list[ReferralRow] = []
        self._suggestions: dict[int, list] = {}
        self._suggest_for: int | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(section_title("Red de referencia de las unidades de primer nivel"))
        top.addStretch(1)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Buscar unidad, zona u hospital…")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        top.addWidget(self.search)
        layout.addLayout(top)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(1, 2000)
        self.threshold.setDecimals(0)
        self.threshold.setSingleStep(5)
        self.threshold.setSuffix(" km")
        self.threshold.setValue(ref_svc.DEFAULT_FAR_KM)
        far = lambda r: r.distance_km is not None and r.distance_km > self.threshold.value()  # noqa: E731
        self.model = RowsTableModel(
            [TableColumn("CLUES", lambda r: r.clues, width=110), TableColumn("Unidad", lambda r: r.name, width=250),
             TableColumn("Zona", lambda r: r.zone_name or "— sin zona", width=150),
             TableColumn("Hospital de referencia", hospital_text, width=270),
             TableColumn("Origen", origin_text, width=155),
             TableColumn("Distancia", lambda r: ("⚠ " if far(r) else "") + distance_text(r), True, width=100)],
            key=lambda r: r.establishment_id, highlight=lambda r: (FAR_BACKGROUND, DIFF_FOREGROUND) if far(r) else None,
            parent=self)
        self.view = make_table(self.model, stretch=1)
        self.far_model = RowsTableModel(
            [TableColumn("CLUES", lambda r: r.clues, width=110), TableColumn("Unidad", lambda r: r.name, width=250),
             TableColumn("Hospital de referencia", hospital_text, width=300),
             TableColumn("Distancia", distance_text, True, width=100)],
            key=lambda r: r.establishment_id, parent=self)
        self.far_view = make_table(self.far_model, stretch=1)

        buttons = QHBoxLayout()
        self.change_button = QPushButton("Cambiar hospital de referencia…")
        self.suggest_button = QPushButton("Usar sugerencia")
        self.suggest_button.setToolTip("Asignar a las unidades seleccionadas el hospital de la entidad más cercano en línea recta")
        self.default_button = QPushButton("Volver al predeterminado")
        self.default_button.setToolTip("La unidad vuelve a referir al hospital coordinador de su zona")
        for b in (self.change_button, self.suggest_button, self.default_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.count = QLabel("")
        self.count.setObjectName("countLabel")
        buttons.addWidget(self.count)
        self.suggestion = hint_label("Seleccione una unidad para ver el hospital más cercano.")

        upper = QWidget()
        up = QVBoxLayout(upper)
        up.setContentsMargins(0, 0, 0, 0)
        up.addWidget(self.view, 1)
        up.addLayout(buttons)
        up.addWidget(self.suggestion)
        lower = QWidget()
        low = QVBoxLayout(lower)
        low.setContentsMargins(0, 0, 0, 0)
        far_row = QHBoxLayout()
        far_row.addWidget(section_title("Unidades lejanas de su hospital de referencia"))
        far_row.addStretch(1)
        far_row.addWidget(QLabel("Más de"))
        far_row.addWidget(self.threshold)
        far_row.addWidget(QLabel("en línea recta"))
        low.addLayout(far_row)
        low.addWidget(self.far_view, 1)
        self.far_count = QLabel("")
        self.far_count.setObjectName("countLabel")
        low.addWidget(self.far_count)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(120)
        self._search_timer.timeout.connect(lambda: (self.model.set_search(self.search.text()), self._update()))
        self.search.textChanged.connect(self._search_timer.start)
        self.threshold.valueChanged.connect(lambda _v: self._refresh_far())
        self.change_button.clicked.connect(self.change_referral)
        self.suggest_button.clicked.connect(self.use_suggestion)
        self.default_button.clicked.connect(self.reset_default)
        self.view.doubleClicked.connect(lambda _i: self.change_referral())
        self.far_view.doubleClicked.connect(lambda _i: self.change_referral())
        for view, other in ((self.view, self.far_view), (self.far_view, self.view)):
            view.selectionModel().selectionChanged.connect(lambda sel, _d, o=other: self._selected(sel, o))
        self._update()

    # ---- data ------------------------------------------------------------------------------------------
    def set_rows(self, rows: list[ReferralRow]) -> None:
        keep = self.selected_ids()
        self.rows = rows
        self._suggestions.clear()
        self.model.set_rows(rows)
        self._refresh_far(keep)

    def _refresh_far(self, keep: list[int] | None = None) -> None:
        keep = self.selected_ids() if keep is None else keep
        limit = self.threshold.value()
        far = sorted((r for r in self.rows if r.distance_km is not None and r.distance_km > limit),
                     key=lambda r: -r.distance_km)  # type: ignore[operator]
        self.far_model.set_rows(far)
        self.model.refresh()  # the ⚠ marks depend on the threshold
        if len(keep) == 1:
            select_key(self.view, keep[0])
        self._update()

    def far_ids(self) -> list[int]:
        return [r.establishment_id for r in self.far_model.rows]

    def row_of(self, establishment_id: int) -> ReferralRow | None:
        return next((r for r in self.rows if r.establishment_id == establishment_id), None)

    # ---- selection -------------------------------------------------------------------------------------
    def _selected(self, selected, other: QTableView) -> None:
        if not selected.isEmpty():
            other.selectionModel().clearSelection()
        self._update()

    def selected_ids(self) -> list[int]:
        return selected_keys(self.view) or selected_keys(self.far_view)

    def select(self, establishment_id: int) -> bool:
        return select_key(self.view, establishment_id)

    def _update(self) -> None:
        ids = self.selected_ids()
        for b in (self.change_button, self.suggest_button, self.default_button):
            b.setEnabled(bool(ids) and self.page.state_id is not None)
        self.count.setText(f"{format_int(self.model.rowCount())} de {format_int(len(self.rows))} unidades de primer nivel")
        self.far_count.setText(f"{format_int(self.far_model.rowCount())} unidades a más de "
                               f"{self.threshold.value():,.0f} km de su hospital de referencia")
        self._show_suggestion(ids[0] if len(ids) == 1 else None)

    def _show_suggestion(self, establishment_id: int | None) -> None:
        self._suggest_for = establishment_id
        if establishment_id is None:
            self.suggestion.setText("Seleccione una unidad para ver el hospital más cercano.")
            return
        if establishment_id in self._suggestions:
            self._suggestion_loaded(establishment_id, self._suggestions[establishment_id])
            return
        self.suggestion.setText("Buscando el hospital más cercano…")
        self.page.ctx.run_read(lambda s: ref_svc.nearest_hospitals(s, establishment_id, 3),
                               lambda found: self._suggestion_loaded(establishment_id, found), self.page.failed)

    def _suggestion_loaded(self, establishment_id: int, found: list) -> None:
        self._suggestions[establishment_id] = found
        if establishment_id != self._suggest_for:
            return
        if not found:
            self.suggestion.setText("Sin sugerencia: la unidad no tiene coordenadas, o no hay hospitales de la entidad con coordenadas.")
            return
        first, others = found[0], found[1:]
        text = f"Sugerencia (el más cercano): {first.clues} {first.name}, a {first.distance_km:,.1f} km."
        if others:
            text += " Después: " + "; ".join(f"{h.clues} a {h.distance_km:,.1f} km" for h in others) + "."
        self.suggestion.setText(text)

    # ---- commands --------------------------------------------------------------------------------------
    def _previous(self, ids: list[int]) -> dict[int, int | None]:
        """Explicit referral hospital of each unit before a change (None: the default)."""
        rows = {r.establishment_id: r for r in self.rows}
        return {i: (None if rows[i].is_default else rows[i].hospital_id) for i in ids if i in rows}

    def _undo_step(self, label: str, previous: dict[int, int | None]):
        user = self.page.ctx.username

        def undo(s: Session) -> None:
            for unit_id, hospital_id in previous.items():
                ref_svc.set_referral(s, unit_id, hospital_id, user)

        return label, undo

    def change_referral(self) -> None:
        ids = self.selected_ids()
        if not ids or self.page.state_id is None:
            return
        state_id = self.page.state_id
        previous = self._previous(ids)
        current = next(iter(previous.values())) if len(ids) == 1 else None

        def open_dialog(hospitals: list[svc.HospitalChoice]) -> None:
            choices = [Choice(None, "Predeterminado: el hospital coordinador de su zona", "", "")]
            choices += [Choice(h.id, h.name, h.clues, level_label(h.level)) for h in hospitals]
            who = f"{self.row_of(ids[0]).clues} {self.row_of(ids[0]).name}" if len(ids) == 1 else f"{len(ids)} unidades"
            dialog = PickDialog("Hospital de referencia", f"¿A qué hospital refiere {who}?", choices,
                                headers=("Hospital", "CLUES", "Nivel"), current=current, parent=self.page)
            dialog.submitted.connect(lambda values: self._set_referral(ids, values[0], previous, dialog))
            self.page.open_dialog(dialog)

        self.page.ctx.run_read(lambda s: svc.hospital_choices(s, state_id), open_dialog, self.page.failed)

    def _set_referral(self, ids: list[int], hospital_id: int | None, previous, dialog=None) -> None:
        user = self.page.ctx.username

        def work(s: Session) -> None:
            for unit_id in ids:
                ref_svc.set_referral(s, unit_id, hospital_id, user)

        what = "el predeterminado" if hospital_id is None else "el hospital elegido"
        self.page.change(work, f"Hospital de referencia: {what} para {_units(len(ids))}.",
                         undo=self._undo_step("cambiar hospital de referencia", previous), dialog=dialog,
                         then=lambda _r: self._reselect(ids))

    def reset_default(self) -> None:
        ids = self.selected_ids()
        if ids:
            self._set_referral(ids, None, self._previous(ids))

    def use_suggestion(self) -> None:
        """Apply the nearest hospital to each selected unit (one transaction)."""
        ids = self.selected_ids()
        if not ids:
            return
        user = self.page.ctx.username
        previous = self._previous(ids)
        rows = {r.establishment_id: r for r in self.rows}

        def work(s: Session) -> int:
            applied = 0
            for unit_id in ids:
                nearest = ref_svc.nearest_hospital(s, unit_id)
                if nearest is not None and nearest.id != rows[unit_id].hospital_id:
                    ref_svc.set_referral(s, unit_id, nearest.id, user)
                    applied += 1
            return applied

        def message(applied: int) -> str:
            if applied:
                return f"Se aplicó el hospital más cercano a {_units(applied)}."
            return "Sin cambios: ya refieren al hospital más cercano, o no tienen coordenadas."

        self.page.change(work, message, undo=lambda applied: self._undo_step("usar sugerencia", previous) if applied else None,
                         then=lambda _r: self._reselect(ids))

    def _reselect(self, ids: list[int]) -> None:
        if len(ids) == 1:
            self.page.after_reload(lambda: self.select(ids[0]))


def _units(n: int) -> str:
    return f"{format_int(n)} unidad" if n == 1 else f"{format_int(n)} unidades"
