"""The zonal supervision teams (ESZ) panel of the Regions page: a region's teams, each team's members and the
establishments it supervises. Writes go through the page (``page.change``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from gui.dialogs.region_dialogs import Choice, MemberDialog, NameDialog, PickDialog, RetireDialog
from gui.item_models.regions import RowsTableModel, TableColumn, level_label
from gui.pages.region_panels import hint_label, make_table, section_title, select_key, selected_keys
from models.services import regions as svc
from models.text import format_int

if TYPE_CHECKING:
    from gui.pages.regions import RegionsPage


def _button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for b in buttons:
        b.setAutoDefault(False)
        row.addWidget(b)
    row.addStretch(1)
    return row


class TeamsPanel(QWidget):
    """Teams of the chosen region (by default the region selected in the tree), with members and supervised
    establishments; create, rename and retire teams; add, edit and remove members; add and remove
    supervised establishments."""

    def __init__(self, page: RegionsPage):
        super().__init__(page)
        self.page = page
        self.teams: list[svc.TeamDetail] = []
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(section_title("Equipos de supervisión zonal (ESZ)"))
        top.addStretch(1)
        top.addWidget(QLabel("Región:"))
        self.region = QComboBox()
        self.region.setMinimumWidth(240)
        top.addWidget(self.region)
        layout.addLayout(top)

        self.team_model = RowsTableModel(
            [TableColumn("Equipo", lambda d: d.team.name, width=200),
             TableColumn("Integrantes", lambda d: format_int(len(d.members)), True, width=85),
             TableColumn("Supervisa", lambda d: format_int(len(d.establishments)), True, width=80)],
            key=lambda d: d.team.id, parent=self)
        self.team_view = make_table(self.team_model, stretch=0)
        for column in (1, 2):  # a few rows: sized to the header and the figures
            self.team_view.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.new_team_button = QPushButton("Nuevo equipo…")
        self.rename_team_button = QPushButton("Renombrar…")
        self.retire_team_button = QPushButton("Dar de baja")
        teams_box = self._box(self.team_view, _button_row(self.new_team_button, self.rename_team_button,
                                                          self.retire_team_button), section_title("Equipos de la región"))

        self.member_model = RowsTableModel(
            [TableColumn("Nombre", lambda m: m.full_name, width=260), TableColumn("Cargo", lambda m: m.role, width=210),
             TableColumn("Teléfono", lambda m: m.phone, width=170)],
            key=lambda m: m.id, parent=self)
        self.member_view = make_table(self.member_model, stretch=0)
        self.add_member_button = QPushButton("Agregar integrante…")
        self.edit_member_button = QPushButton("Editar…")
        self.remove_member_button = QPushButton("Quitar")
        self.members_title = section_title("Integrantes")
        members_box = self._box(self.member_view, _button_row(self.add_member_button, self.edit_member_button,
                                                              self.remove_member_button), self.members_title)

        self.unit_model = RowsTableModel(
            [TableColumn("CLUES", lambda u: u.clues, width=110), TableColumn("Establecimiento", lambda u: u.name, width=250),
             TableColumn("Nivel", lambda u: level_label(u.level), width=110),
             TableColumn("Zona", lambda u: self.page.zone_name(u.zone_id), width=150)],
            key=lambda u: u.id, parent=self)
        self.unit_view = make_table(self.unit_model)
        self.add_units_button = QPushButton("Agregar establecimientos…")
        self.remove_units_button = QPushButton("Quitar")
        self.units_title = section_title("Establecimientos que supervisa")
        units_box = self._box(self.unit_view, _button_row(self.add_units_button, self.remove_units_button), self.units_title)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(members_box)
        right.addWidget(units_box)
        right.setChildrenCollapsible(False)
        right.setSizes([220, 320])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(teams_box)
        self.splitter.addWidget(right)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([380, 700])
        layout.addWidget(self.splitter, 1)
        self.note = hint_label("")
        layout.addWidget(self.note)

        self.region.currentIndexChanged.connect(lambda _i: self._show_region())
        self.team_view.selectionModel().currentRowChanged.connect(lambda *_: self._show_team())
        self.member_view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.unit_view.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.new_team_button.clicked.connect(self.new_team)
        self.rename_team_button.clicked.connect(self.rename_team)
        self.retire_team_button.clicked.connect(self.retire_team)
        self.add_member_button.clicked.connect(lambda: self.edit_member(None))
        self.edit_member_button.clicked.connect(lambda: self.edit_member(self._current_member()))
        self.member_view.doubleClicked.connect(lambda _i: self.edit_member(self._current_member()))
        self.remove_member_button.clicked.connect(self.remove_member)
        self.add_units_button.clicked.connect(self.add_units)
        self.remove_units_button.clicked.connect(self.remove_units)
        self._update()

    @staticmethod
    def _box(view, buttons, title: QLabel | None = None) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 4, 0, 0)
        if title is not None:
            lay.addWidget(title)
        lay.addWidget(view, 1)
        lay.addLayout(buttons)
        return box

    # ---- data ------------------------------------------------------------------------------------------
    def set_data(self, regions: list[tuple[int, str]], teams: list[svc.TeamDetail]) -> None:
        """The state's active regions (id, name) and all its teams."""
        current = self.region.currentData()
        self.teams = teams
        self.region.blockSignals(True)
        self.region.clear()
        for region_id, name in regions:
            self.region.addItem(name, region_id)
        self.region.setCurrentIndex(max(self.region.findData(current), 0) if current is not None else 0)
        self.region.blockSignals(False)
        self._show_region()

    def set_region(self, region_id: int | None) -> None:
        if region_id is not None and region_id != self.region.currentData():
            self.region.setCurrentIndex(max(self.region.findData(region_id), 0))

    def region_id(self) -> int | None:
        return self.region.currentData()

    def _show_region(self) -> None:
        keep = self.current_team()
        region_id = self.region_id()
        self.team_model.set_rows([d for d in self.teams if d.team.region_id == region_id])
        if not (keep and select_key(self.team_view, keep.team.id)) and self.team_model.rowCount():
            self.team_view.selectRow(0)
        if region_id is None:
            self.note.setText("Registre primero una región operativa.")
        elif not self.team_model.rowCount():
            self.note.setText("Esta región todavía no tiene equipos de supervisión: use «Nuevo equipo…».")
        else:
            self.note.setText("")
        self._show_team()

    def current_team(self) -> svc.TeamDetail | None:
        index = self.team_view.selectionModel().currentIndex()
        if not index.isValid() or index.row() >= self.team_model.rowCount():
            return None
        return self.team_model.row_at(index.row())

    def _show_team(self) -> None:
        team = self.current_team()
        self.member_model.set_rows(team.members if team else [])
        self.unit_model.set_rows(team.establishments if team else [])
        self.members_title.setText(f"Integrantes de «{team.team.name}»" if team else "Integrantes")
        self.units_title.setText(f"Establecimientos que supervisa «{team.team.name}»" if team else "Establecimientos que supervisa")
        self._update()

    def _current_member(self) -> svc.MemberData | None:
        index = self.member_view.selectionModel().currentIndex()
        rows = sorted({i.row() for i in self.member_view.selectionModel().selectedRows()})
        row = rows[0] if rows else (index.row() if index.isValid() else None)
        return self.member_model.row_at(row) if row is not None and row < self.member_model.rowCount() else None

    def _update(self) -> None:
        team = self.current_team()
        self.new_team_button.setEnabled(self.region_id() is not None)
        for b in (self.rename_team_button, self.retire_team_button, self.add_member_button, self.add_units_button):
            b.setEnabled(team is not None)
        member = bool(self.member_view.selectionModel().selectedRows())
        self.edit_member_button.setEnabled(member)
        self.remove_member_button.setEnabled(member)
        self.remove_units_button.setEnabled(bool(self.unit_view.selectionModel().selectedRows()))

    # ---- teams -----------------------------------------------------------------------------------------
    def new_team(self) -> None:
        region_id = self.region_id()
        if region_id is None:
            return
        dialog = NameDialog("Nuevo equipo de supervisión zonal", "Nombre del equipo:", ok_text="Registrar",
                            parent=self.page)
        user = self.page.ctx.username

        def save(values) -> None:
            name = values[0]
            self.page.change(lambda s: svc.create_team(s, region_id, name, user),
                             lambda t: f"Equipo «{t.name}» registrado.",
                             undo=lambda t: (f"registrar el equipo «{t.name}»",
                                             lambda s: svc.retire_team(s, t.id, user)),
                             dialog=dialog, then=lambda t: self.page.after_reload(lambda: select_key(self.team_view, t.id)))

        dialog.submitted.connect(save)
        self.page.open_dialog(dialog)

    def rename_team(self) -> None:
        detail = self.current_team()
        if detail is None:
            return
        team = detail.team
        user = self.page.ctx.username
        dialog = NameDialog("Renombrar equipo", "Nombre del equipo:", team.name, parent=self.page)

        def save(values) -> None:
            name = values[0]
            self.page.change(lambda s: svc.rename_team(s, team.id, name, user, version=team.version),
                             lambda t: f"Equipo renombrado: «{t.name}».",
                             undo=(f"renombrar el equipo «{team.name}»", lambda s: svc.rename_team(s, team.id, team.name, user)),
                             dialog=dialog)

        dialog.submitted.connect(save)
        self.page.open_dialog(dialog)

    def retire_team(self) -> None:
        detail = self.current_team()
        if detail is None:
            return
        team = detail.team
        user = self.page.ctx.username
        dialog = RetireDialog("Dar de baja equipo", f"¿Dar de baja el equipo «{team.name}»? Sus integrantes y los "
                              "establecimientos que supervisa quedan en el historial.", ask=False, parent=self.page)
        dialog.submitted.connect(lambda _v: self.page.change(
            lambda s: svc.retire_team(s, team.id, user, version=team.version), f"Equipo «{team.name}» dado de baja.",
            undo=(f"dar de baja el equipo «{team.name}»", lambda s: svc.restore_team(s, team.id, user)), dialog=dialog))
        self.page.open_dialog(dialog)

    # ---- members ---------------------------------------------------------------------------------------
    def edit_member(self, member: svc.MemberData | None) -> None:
        detail = self.current_team()
        if detail is None:
            return
        team_id = detail.team.id
        user = self.page.ctx.username
        if member is None:
            dialog = MemberDialog(f"Nuevo integrante de «{detail.team.name}»", parent=self.page)
        else:
            dialog = MemberDialog("Editar integrante", member.full_name, member.role, member.phone, parent=self.page)

        def save(values) -> None:
            name, role, phone = values
            if member is None:
                self.page.change(lambda s: svc.add_member(s, team_id, name, user, role, phone),
                                 lambda m: f"{m.full_name} agregado al equipo.",
                                 undo=lambda m: (f"agregar a {m.full_name}", lambda s: svc.remove_member(s, m.id, user)),
                                 dialog=dialog)
            else:
                old = member
                self.page.change(lambda s: svc.update_member(s, old.id, user, name, role, phone, version=old.version),
                                 lambda m: f"Datos de {m.full_name} guardados.",
                                 undo=(f"modificar a {old.full_name}",
                                       lambda s: svc.update_member(s, old.id, user, old.full_name, old.role, old.phone)),
                                 dialog=dialog)

        dialog.submitted.connect(save)
        self.page.open_dialog(dialog)

    def remove_member(self) -> None:
        detail = self.current_team()
        member = self._current_member()
        if detail is None or member is None:
            return
        user = self.page.ctx.username
        team_id = detail.team.id
        self.page.change(lambda s: svc.remove_member(s, member.id, user, version=member.version),
                         f"{member.full_name} ya no está en el equipo «{detail.team.name}».",
                         undo=(f"quitar a {member.full_name}",
                               lambda s: svc.add_member(s, team_id, member.full_name, user, member.role, member.phone)))

    # ---- supervised establishments ---------------------------------------------------------------------
    def add_units(self) -> None:
        detail = self.current_team()
        if detail is None:
            return
        team = detail.team
        done = {u.id for u in detail.establishments}
        region_zones = {z.id for r in self.page.tree_regions() if r.id == team.region_id for z in r.zones}
        units = [u for u in self.page.all_units() if u.id not in done]
        units.sort(key=lambda u: (u.zone_id not in region_zones, u.clues))
        choices = [Choice(u.id, u.name, u.clues, self.page.zone_name(u.zone_id)) for u in units]
        dialog = PickDialog("Establecimientos supervisados",
                            f"Elija los establecimientos que supervisa «{team.name}» (Ctrl o Mayús para varios). "
                            "Primero aparecen los de su región.", choices, multi=True,
                            headers=("Establecimiento", "CLUES", "Zona"), ok_text="Agregar", parent=self.page)
        user = self.page.ctx.username

        def save(ids) -> None:
            self.page.change(lambda s: svc.supervise(s, team.id, ids, user),
                             lambda added: f"«{team.name}» supervisa {format_int(len(added))} establecimientos más.",
                             undo=lambda added: (f"agregar establecimientos a «{team.name}»",
                                                 lambda s: svc.unsupervise(s, team.id, added, user)) if added else None,
                             dialog=dialog)

        dialog.submitted.connect(save)
        self.page.open_dialog(dialog)

    def remove_units(self) -> None:
        detail = self.current_team()
        ids = selected_keys(self.unit_view)
        if detail is None or not ids:
            return
        team = detail.team
        user = self.page.ctx.username
        self.page.change(lambda s: svc.unsupervise(s, team.id, ids, user),
                         lambda removed: f"«{team.name}» dejó de supervisar {format_int(len(removed))} establecimientos.",
                         undo=lambda removed: (f"quitar establecimientos de «{team.name}»",
                                               lambda s: svc.supervise(s, team.id, removed, user)) if removed else None)
