"""Commands of the Regions page on its tree: regions and zones (create, rename, retire), the coordinating
hospital, and assigning establishments to zones. A mixin of :class:`gui.pages.regions.RegionsPage`, which
provides ``change`` (write, undo step, message, reload), ``open_dialog``, the tree and its model."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from sqlalchemy.orm import Session

from gui.dialogs.region_dialogs import Choice, NameDialog, PickDialog, RetireDialog
from gui.item_models.regions import REGION, UNIT, ZONE, level_label
from models.services import regions as svc
from models.text import format_int

UndoSpec = tuple[str, Callable[[Session], object]] | None


def plural(n: int, one: str, many: str) -> str:
    return f"{format_int(n)} {one if n == 1 else many}"


class StructureCommands:
    """Region, zone, coordinator and assignment commands (mixed into the page)."""

    # ---- regions and zones ------------------------------------------------------------------------------
    def _region_choices(self) -> list[tuple[int, str]]:
        return [(r.id, r.name) for r in self.tree_regions()]

    def new_region(self) -> None:
        if self.state_id is None:
            return
        state_id, user = self.state_id, self.ctx.username
        dialog = NameDialog("Nueva región operativa", "Nombre de la región:", code="", ok_text="Registrar", parent=self)

        def save(values) -> None:
            name, code, _ = values
            self.change(lambda s: svc.create_region(s, state_id, name, user, code=code),
                        lambda r: f"Región «{r.name}» registrada.",
                        undo=lambda r: (f"registrar la región «{r.name}»", lambda s: svc.retire_region(s, r.id, user)),
                        dialog=dialog, then=lambda r: self.after_reload(lambda: self.select_node(REGION, r.id)))

        dialog.submitted.connect(save)
        self.open_dialog(dialog)

    def new_zone(self) -> None:
        choices = self._region_choices()
        if not choices:
            self.show_message("Registre primero una región operativa (Nueva región…).")
            return
        region = self.tree_model.region_of(self.tree.currentIndex())
        user = self.ctx.username
        dialog = NameDialog("Nueva zona de servicios médicos", "Nombre de la zona:", code="", choices=choices,
                            choice_label="Región operativa:", current_choice=region.id if region else None,
                            ok_text="Registrar", parent=self)

        def save(values) -> None:
            name, code, region_id = values
            self.change(lambda s: svc.create_zone(s, region_id, name, user, code=code),
                        lambda z: f"Zona «{z.name}» registrada.",
                        undo=lambda z: (f"registrar la zona «{z.name}»", lambda s: svc.retire_zone(s, z.id, user)),
                        dialog=dialog, then=lambda z: self.after_reload(lambda: self.select_node(ZONE, z.id)))

        dialog.submitted.connect(save)
        self.open_dialog(dialog)

    def rename_selected(self) -> None:
        kind, item = self.current_node()
        if kind not in (REGION, ZONE):
            return
        user = self.ctx.username
        what = "región" if kind == REGION else "zona"
        dialog = NameDialog(f"Renombrar {what}", f"Nombre de la {what}:", item.name, parent=self)
        rename = svc.rename_region if kind == REGION else svc.rename_zone
        old = item.name

        def save(values) -> None:
            name = values[0]
            self.change(lambda s: rename(s, item.id, name, user, version=item.version),
                        lambda r: f"La {what} «{old}» ahora se llama «{r.name}».",
                        undo=(f"renombrar la {what} «{old}»", lambda s: rename(s, item.id, old, user)), dialog=dialog)

        dialog.submitted.connect(save)
        self.open_dialog(dialog)

    def retire_selected(self) -> None:
        kind, item = self.current_node()
        if kind == ZONE:
            self._retire_zone(item)
        elif kind == REGION:
            self._retire_region(item)

    def _retire_zone(self, zone: svc.ZoneNode) -> None:
        user = self.ctx.username
        count = len(zone.establishments)
        targets = [(z.id, f"{z.name} (región «{r.name}»)") for r, z in self.tree_model.zones() if z.id != zone.id]
        text = f"¿Dar de baja la zona «{zone.name}»?"
        if count:
            text += f" Tiene {plural(count, 'establecimiento', 'establecimientos')}: indique a dónde pasan."
        dialog = RetireDialog("Dar de baja zona", text, targets=targets, ask=bool(count),
                              move_label="Pasarlos a la zona:", none_label="Dejarlos sin zona", parent=self)
        coordinator = zone.coordinating_establishment_id

        def undo(result: svc.RetireZoneResult):
            def work(s: Session) -> None:
                svc.restore_zone(s, zone.id, user)
                if result.moved:
                    svc.assign_establishments(s, zone.id, result.moved, user)
                if coordinator is not None:
                    svc.set_coordinator(s, zone.id, coordinator, user)

            return f"dar de baja la zona «{zone.name}»", work

        def save(move_to) -> None:
            target = move_to if count else svc.ASK  # the service asks if establishments arrived meanwhile
            where = ("pasaron a «" + self.zone_name(move_to) + "»") if move_to is not None else "quedaron sin zona"
            self.change(lambda s: svc.retire_zone(s, zone.id, user, move_to=target, version=zone.version),
                        lambda r: f"Zona «{zone.name}» dada de baja" + (
                            f"; {plural(len(r.moved), 'establecimiento', 'establecimientos')} {where}." if r.moved else "."),
                        undo=undo, dialog=dialog)

        dialog.submitted.connect(save)
        self.open_dialog(dialog)

    def _retire_region(self, region: svc.RegionNode) -> None:
        user = self.ctx.username
        targets = [(r.id, r.name) for r in self.tree_regions() if r.id != region.id]
        if region.zones:
            names = ", ".join(z.name for z in region.zones[:5]) + (" …" if len(region.zones) > 5 else "")
            text = (f"¿Dar de baja la región «{region.name}»? Tiene {plural(len(region.zones), 'zona', 'zonas')} "
                    f"({names}): pasan, con sus establecimientos y equipos, a otra región.")
            if not targets:
                text += " No hay otra región: registre una antes."
            dialog = RetireDialog("Dar de baja región", text, targets=targets, move_label="Pasar sus zonas a la región:",
                                  parent=self)
        elif region.teams:
            dialog = RetireDialog("Dar de baja región", f"¿Dar de baja la región «{region.name}»? Tiene "
                                  f"{plural(region.teams, 'equipo de supervisión', 'equipos de supervisión')}.",
                                  targets=targets, move_label="Pasar sus equipos a la región:",
                                  none_label="Darlos de baja con la región", parent=self)
        else:
            dialog = RetireDialog("Dar de baja región", f"¿Dar de baja la región «{region.name}»? No tiene zonas.",
                                  ask=False, parent=self)

        def undo(result: svc.RetireRegionResult) -> UndoSpec:
            if result.teams_moved:
                return None  # teams cannot be moved back by the services: not undoable

            def work(s: Session) -> None:
                svc.restore_region(s, region.id, user)
                for zone_id in result.zones_moved:
                    svc.move_zone(s, zone_id, region.id, user)
                for team_id in result.teams_retired:
                    svc.restore_team(s, team_id, user)

            return f"dar de baja la región «{region.name}»", work

        def save(move_to) -> None:
            self.change(lambda s: svc.retire_region(s, region.id, user, move_to=move_to if dialog.ask else svc.ASK,
                                                    version=region.version),
                        f"Región «{region.name}» dada de baja.", undo=undo, dialog=dialog)

        dialog.submitted.connect(save)
        self.open_dialog(dialog)

    # ---- coordinating hospital --------------------------------------------------------------------------
    def set_coordinator(self) -> None:
        """With a zone selected: choose among the state's hospitals. With an establishment of a zone selected:
        make it its zone's coordinating hospital (the service refuses first-level units, in Spanish)."""
        kind, item = self.current_node()
        if kind == UNIT:
            zone = self.tree_model.zone_of(self.tree.currentIndex())
            self._write_coordinator(zone, item.id)
            return
        if kind != ZONE or self.state_id is None:
            return
        zone, state_id = item, self.state_id

        def open_dialog(hospitals: list[svc.HospitalChoice]) -> None:
            where = self.tree_model.unit_zone()
            choices = [Choice(None, "Ninguno (la zona queda sin hospital coordinador)")]
            for h in hospitals:
                z = where.get(h.id)
                note = "en esta zona" if z == zone.id else ("sin zona" if z is None else f"zona «{self.zone_name(z)}»")
                choices.append(Choice(h.id, h.name, f"{h.clues} · {level_label(h.level)}", note))
            dialog = PickDialog(f"Hospital coordinador de «{zone.name}»",
                                "Sólo hospitales de segundo o tercer nivel de la entidad. Uno sin zona se asigna a esta "
                                "zona; uno de otra zona debe pasarse antes a esta.", choices,
                                headers=("Hospital", "CLUES · nivel", "Zona actual"),
                                current=zone.coordinating_establishment_id, ok_text="Definir", parent=self)
            dialog.submitted.connect(lambda ids: self._write_coordinator(zone, ids[0], dialog))
            self.open_dialog(dialog)

        self.ctx.run_read(lambda s: svc.hospital_choices(s, state_id), open_dialog, self.failed)

    def _write_coordinator(self, zone: svc.ZoneNode, establishment_id: int | None, dialog=None) -> None:
        user = self.ctx.username
        previous = zone.coordinating_establishment_id
        was_unassigned = establishment_id is not None and establishment_id not in self.tree_model.unit_zone()

        def undo_work(s: Session) -> None:
            svc.set_coordinator(s, zone.id, previous, user)
            if was_unassigned:
                svc.unassign_establishments(s, [establishment_id], user)

        def message(data: svc.ZoneData) -> str:
            if data.coordinating_establishment_id is None:
                return f"La zona «{zone.name}» quedó sin hospital coordinador."
            return f"Hospital coordinador de «{zone.name}» definido."

        self.change(lambda s: svc.set_coordinator(s, zone.id, establishment_id, user, version=zone.version), message,
                    undo=(f"cambiar el hospital coordinador de «{zone.name}»", undo_work), dialog=dialog)

    # ---- assignment -------------------------------------------------------------------------------------
    def assign_selected(self) -> None:
        ids = self.selected_unit_ids()
        zones = self.tree_model.zones()
        if not ids or not zones:
            return
        current = self.tree_model.zone_of(self.tree.currentIndex())
        choices = [Choice(z.id, z.name, r.name, z.coordinating_clues and f"coordina {z.coordinating_clues}" or "sin coordinador")
                   for r, z in zones]
        dialog = PickDialog("Asignar a zona", f"¿A qué zona pasan {plural(len(ids), 'establecimiento', 'establecimientos')}?",
                            choices, headers=("Zona", "Región", "Hospital coordinador"),
                            current=current.id if current else None, ok_text="Asignar", parent=self)
        dialog.submitted.connect(lambda zone_ids: self.assign(zone_ids[0], ids, dialog))
        self.open_dialog(dialog)

    def _undo_moves(self, ids: list[int]) -> Callable[[Session], None]:
        """Work that puts each establishment back in the zone it is in now (or back out of any zone)."""
        where = self.tree_model.unit_zone()
        groups: dict[int | None, list[int]] = defaultdict(list)
        for i in ids:
            groups[where.get(i)].append(i)
        user = self.ctx.username

        def work(s: Session) -> None:
            for zone_id, members in groups.items():
                if zone_id is None:
                    svc.unassign_establishments(s, members, user)
                else:
                    svc.assign_establishments(s, zone_id, members, user)

        return work

    def assign(self, zone_id: int, ids: list[int], dialog=None) -> None:
        """Put establishments in a zone (drag and drop, «Asignar a zona…»)."""
        if not ids:
            return
        user, name = self.ctx.username, self.zone_name(zone_id)
        back = self._undo_moves(ids)
        self.change(lambda s: svc.assign_establishments(s, zone_id, ids, user),
                    lambda r: f"{plural(len(r.changed), 'establecimiento asignado', 'establecimientos asignados')} a «{name}».",
                    undo=lambda r: (f"asignar a «{name}»", back) if r.changed else None, dialog=dialog,
                    then=lambda r: self.after_reload(lambda: self.tree.expand(self.tree_model.index_of(ZONE, zone_id))))

    def unassign_selected(self) -> None:
        self.unassign(self.tree_selected_units())

    def unassign(self, ids: list[int]) -> None:
        """Take establishments out of their zone (the coordinating hospital must be changed first)."""
        if not ids:
            return
        back = self._undo_moves(ids)
        self.change(lambda s: svc.unassign_establishments(s, ids, self.ctx.username),
                    lambda r: f"{plural(len(r.changed), 'establecimiento quedó', 'establecimientos quedaron')} sin zona.",
                    undo=lambda r: ("quitar de la zona", back) if r.changed else None)
