"""Operating regions (RO), medical service zones (ZSM) and zonal supervision teams (ESZ).

The referral network lives in :mod:`models.services.referrals`; the per-state figures, the published
table and the consistency panel in :mod:`models.services.region_figures`.

Rules kept here (the GUI and the import rely on them):

- a zone belongs to one region; an establishment belongs to at most one zone, and its ``region_id`` is
  always its zone's region (both are written together);
- a zone's coordinating hospital is an active second- or third-level establishment of the zone's state,
  assigned to that zone; it coordinates no other active zone;
- region, zone and team names are compared folded (case, accents and spacing ignored); a zone name is
  unique within its state, so "the zone «Tijuana»" needs no region to be found;
- "assigned" means assigned to an active zone of an active region; everything else counts as unassigned;
- retiring is a soft delete (``deleted_at``); nothing with establishments in it is retired without
  saying where they go, and the moves happen in the caller's transaction (all or nothing);
- every change is written to the audit trail; nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import (
    Establishment,
    Region,
    State,
    SupervisionAssignment,
    SupervisionTeam,
    SupervisionTeamMember,
    Zone,
)
from models.enums import LevelOfCare
from models.services import audit, users
from models.services.establishments import ConcurrencyError, NotFoundError
from models.text import fold, tidy
from models.validation import ValidationError, validate_optional_text, validate_required_text

HOSPITAL_LEVELS = (LevelOfCare.SEGUNDO, LevelOfCare.TERCER)
_HOSPITAL_VALUES = {level.value for level in HOSPITAL_LEVELS}
_CHUNK = 900  # SQLite's default limit on bound parameters is 999


class _Ask:
    """Sentinel: the caller has not said where the establishments (or zones) of a retired record go."""

    def __repr__(self) -> str:
        return "ASK"


ASK: Any = _Ask()


# --------------------------------------------------------------------------------------------------
# DTOs
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegionData:
    """A region as the UI edits it."""

    id: int
    uuid: str
    version: int
    state_id: int
    name: str
    code: str
    notes: str
    retired: bool


@dataclass(frozen=True)
class ZoneData:
    """A zone as the UI edits it."""

    id: int
    uuid: str
    version: int
    region_id: int
    state_id: int
    name: str
    code: str
    notes: str
    coordinating_establishment_id: int | None
    retired: bool


@dataclass(frozen=True)
class TeamData:
    """A zonal supervision team (ESZ)."""

    id: int
    uuid: str
    version: int
    region_id: int
    name: str
    notes: str
    retired: bool


@dataclass(frozen=True)
class MemberData:
    """A person in a supervision team."""

    id: int
    uuid: str
    version: int
    team_id: int
    full_name: str
    role: str
    phone: str


@dataclass(frozen=True)
class UnitNode:
    """An establishment as the tree and the lists show it."""

    id: int
    clues: str
    name: str
    level: str  # LevelOfCare value
    zone_id: int | None = None


@dataclass
class ZoneNode:
    """A zone in the tree, with its establishments (coordinating hospital first, then by CLUES)."""

    id: int
    version: int
    region_id: int
    name: str
    code: str
    coordinating_establishment_id: int | None
    coordinating_clues: str
    coordinating_name: str
    establishments: list[UnitNode] = field(default_factory=list)


@dataclass
class RegionNode:
    """A region in the tree, with its zones (by name) and how many active teams it has."""

    id: int
    version: int
    name: str
    code: str
    teams: int = 0
    zones: list[ZoneNode] = field(default_factory=list)


@dataclass
class RegionTree:
    """A state's regions → zones → establishments, and its active establishments with no zone."""

    state_id: int
    regions: list[RegionNode] = field(default_factory=list)
    unassigned: list[UnitNode] = field(default_factory=list)


@dataclass(frozen=True)
class AssignmentResult:
    """Ids of the establishments whose zone changed, and of those already where they were asked to be."""

    changed: list[int]
    unchanged: list[int]


@dataclass(frozen=True)
class RetireZoneResult:
    """What retiring a zone moved."""

    zone_id: int
    moved: list[int]
    target_zone_id: int | None


@dataclass(frozen=True)
class RetireRegionResult:
    """What retiring a region moved (to ``target_region_id``) or retired with it."""

    region_id: int
    target_region_id: int | None
    zones_moved: list[int]
    teams_moved: list[int]
    teams_retired: list[int]
    establishments_moved: list[int]


@dataclass
class TeamDetail:
    """A team with its members and the establishments it supervises."""

    team: TeamData
    region_name: str
    members: list[MemberData] = field(default_factory=list)
    establishments: list[UnitNode] = field(default_factory=list)


@dataclass(frozen=True)
class HospitalChoice:
    """A hospital offered in a picker or as a suggestion, with its distance when known."""

    id: int
    clues: str
    name: str
    level: str
    distance_km: float | None = None


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------

def _region_data(r: Region) -> RegionData:
    return RegionData(r.id, r.uuid, r.version, r.state_id, r.name, r.code, r.notes, r.deleted_at is not None)


def _zone_data(z: Zone) -> ZoneData:
    return ZoneData(z.id, z.uuid, z.version, z.region_id, z.region.state_id, z.name, z.code, z.notes,
                    z.coordinating_establishment_id, z.deleted_at is not None)


def _team_data(t: SupervisionTeam) -> TeamData:
    return TeamData(t.id, t.uuid, t.version, t.region_id, t.name, t.notes, t.deleted_at is not None)


def _member_data(m: SupervisionTeamMember) -> MemberData:
    return MemberData(m.id, m.uuid, m.version, m.team_id, m.full_name, m.role, m.phone)


def _values(dto: Any) -> dict:
    """Audit values of a DTO (the version counter is not a value)."""
    return {f.name: getattr(dto, f.name) for f in fields(dto) if f.name not in ("version",)}


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _check_version(obj: Any, version: int | None, subject: str, feminine: bool = True) -> None:
    """ConcurrencyError if the record changed since ``version`` was read (None: no check)."""
    if version is not None and obj.version != version:
        a = "a" if feminine else "o"
        raise ConcurrencyError(
            f"{subject} fue modificad{a} por {obj.changed_by} después de abrirl{a}. Actualice la vista y vuelva a intentarlo."
        )


def _get(session: Session, entity: Any, record_id: int, missing: str) -> Any:
    obj = session.get(entity, record_id)
    if obj is None:
        raise NotFoundError(missing)
    return obj


def _region(session: Session, region_id: int, active: bool = True) -> Region:
    region = _get(session, Region, region_id, "La región operativa ya no existe en la base de datos.")
    if active and region.deleted_at is not None:
        raise ConcurrencyError(f"La región «{region.name}» está dada de baja.")
    return region


def _zone(session: Session, zone_id: int, active: bool = True) -> Zone:
    zone = _get(session, Zone, zone_id, "La zona de servicios médicos ya no existe en la base de datos.")
    if active and zone.deleted_at is not None:
        raise ConcurrencyError(f"La zona «{zone.name}» está dada de baja.")
    return zone


def _team(session: Session, team_id: int, active: bool = True) -> SupervisionTeam:
    team = _get(session, SupervisionTeam, team_id, "El equipo de supervisión ya no existe en la base de datos.")
    if active and team.deleted_at is not None:
        raise ConcurrencyError(f"El equipo «{team.name}» está dado de baja.")
    return team


def _name(text: str, label: str, key: str = "name", limit: int = 120) -> str:
    name = tidy(text)
    message = validate_required_text(name, label, limit)
    if message:
        raise ValidationError({key: message})
    return name


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _listing(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" y {len(items) - limit} más" if len(items) > limit else "")


def _in_chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _establishments(session: Session, ids: list[int]) -> dict[int, Establishment]:
    """ORM establishments by id, in one query per 900 ids; NotFoundError if any is missing."""
    found: dict[int, Establishment] = {}
    for chunk in _in_chunks(list(dict.fromkeys(ids))):
        for obj in session.scalars(select(Establishment).where(Establishment.id.in_(chunk))):
            found[obj.id] = obj
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFoundError(f"{_plural(len(missing), 'establecimiento ya no existe', 'establecimientos ya no existen')} "
                            "en la base de datos. Actualice la vista.")
    return found


def _check_region_name(session: Session, state_id: int, name: str, region_id: int | None) -> None:
    wanted = fold(name)
    for other_id, other_name, deleted in session.execute(
            select(Region.id, Region.name, Region.deleted_at).where(Region.state_id == state_id)):
        if other_id != region_id and fold(other_name) == wanted:
            if deleted is not None:
                raise ValidationError({"name": f"Hay una región dada de baja llamada «{other_name}»: restáurela en "
                                               "lugar de registrar otra con el mismo nombre."})
            raise ValidationError({"name": f"Ya existe la región «{other_name}» en esta entidad."})


def _check_zone_name(session: Session, state_id: int, name: str, zone_id: int | None) -> None:
    wanted = fold(name)
    rows = session.execute(
        select(Zone.id, Zone.name, Zone.deleted_at, Region.name).join(Region, Zone.region_id == Region.id)
        .where(Region.state_id == state_id))
    for other_id, other_name, deleted, region_name in rows:
        if other_id != zone_id and fold(other_name) == wanted:
            if deleted is not None:
                raise ValidationError({"name": f"Hay una zona dada de baja llamada «{other_name}» (región «{region_name}»): "
                                               "restáurela en lugar de registrar otra con el mismo nombre."})
            raise ValidationError({"name": f"Ya existe la zona «{other_name}» en la región «{region_name}»."})


def _check_team_name(session: Session, region_id: int, name: str, team_id: int | None) -> None:
    wanted = fold(name)
    for other_id, other_name, deleted in session.execute(
            select(SupervisionTeam.id, SupervisionTeam.name, SupervisionTeam.deleted_at)
            .where(SupervisionTeam.region_id == region_id)):
        if other_id != team_id and fold(other_name) == wanted:
            state = " (dado de baja: restáurelo)" if deleted is not None else ""
            raise ValidationError({"name": f"Ya existe el equipo «{other_name}» en esta región{state}."})


def _coordinated_zone(session: Session, establishment_id: int, except_zone: int | None = None) -> Zone | None:
    """The active zone (of an active region) that this establishment coordinates, if any."""
    query = (select(Zone).join(Region, Zone.region_id == Region.id)
             .where(Zone.coordinating_establishment_id == establishment_id, Zone.deleted_at.is_(None),
                    Region.deleted_at.is_(None)))
    if except_zone is not None:
        query = query.where(Zone.id != except_zone)
    return session.scalars(query.limit(1)).first()


def _active_zones(session: Session, state_id: int | None = None) -> dict[int, tuple[int, str, int | None, int]]:
    """Active zones of active regions: id → (region id, name, coordinating establishment id, state id)."""
    query = (select(Zone.id, Zone.region_id, Zone.name, Zone.coordinating_establishment_id, Region.state_id)
             .join(Region, Zone.region_id == Region.id)
             .where(Zone.deleted_at.is_(None), Region.deleted_at.is_(None)))
    if state_id is not None:
        query = query.where(Region.state_id == state_id)
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in session.execute(query)}


def _move(obj: Establishment, region_id: int | None, zone_id: int | None, user: str) -> bool:
    if obj.region_id == region_id and obj.zone_id == zone_id:
        return False
    obj.region_id, obj.zone_id, obj.changed_by = region_id, zone_id, user
    return True


# --------------------------------------------------------------------------------------------------
# Regions
# --------------------------------------------------------------------------------------------------

def get_region(session: Session, region_id: int) -> RegionData:
    """One region (retired ones too)."""
    return _region_data(_region(session, region_id, active=False))


def create_region(session: Session, state_id: int, name: str, user: str, code: str = "", notes: str = "") -> RegionData:
    """Register a region of a state. Names are unique within the state (folded)."""
    users.require(session, user, users.EDIT, state_id)
    if session.get(State, state_id) is None:
        raise ValidationError({"state_id": "Seleccione la entidad federativa."})
    name = _name(name, "El nombre de la región")
    code = tidy(code)
    message = validate_optional_text(code, "La clave de la región", 20)
    if message:
        raise ValidationError({"code": message})
    _check_region_name(session, state_id, name, None)
    region = Region(state_id=state_id, name=name, code=code, notes=(notes or "").strip(), changed_by=user)
    session.add(region)
    session.flush()
    data = _region_data(region)
    audit.record(session, user, "crear", "region_operativa", region.uuid, None, _values(data))
    return data


def update_region(session: Session, region_id: int, user: str, *, name: str | None = None, code: str | None = None,
                  notes: str | None = None, version: int | None = None) -> RegionData:
    """Rename a region or change its key or notes; refuses if it changed since ``version`` was read."""
    region = _region(session, region_id)
    users.require(session, user, users.EDIT, region.state_id)
    _check_version(region, version, f"La región «{region.name}»")
    before = _values(_region_data(region))
    if name is not None:
        name = _name(name, "El nombre de la región")
        _check_region_name(session, region.state_id, name, region.id)
        region.name = name
    if code is not None:
        code = tidy(code)
        message = validate_optional_text(code, "La clave de la región", 20)
        if message:
            raise ValidationError({"code": message})
        region.code = code
    if notes is not None:
        region.notes = notes.strip()
    if session.is_modified(region):
        region.changed_by = user
        session.flush()
        audit.record(session, user, "modificar", "region_operativa", region.uuid,
                     *_diff(before, _values(_region_data(region))))
    return _region_data(region)


def rename_region(session: Session, region_id: int, name: str, user: str, version: int | None = None) -> RegionData:
    """Rename a region."""
    return update_region(session, region_id, user, name=name, version=version)


def retire_region(session: Session, region_id: int, user: str, move_to: int | None = ASK,
                  version: int | None = None) -> RetireRegionResult:
    """Retire a region. With active zones, ``move_to`` must name the region that receives them (with their
    establishments and the region's teams); without zones, its teams are retired with it unless ``move_to``
    names a region for them. Establishments with the region but no zone follow ``move_to`` or lose the region."""
    region = _region(session, region_id)
    users.require(session, user, users.RETIRE, region.state_id)
    _check_version(region, version, f"La región «{region.name}»")
    zones = list(session.scalars(select(Zone).where(Zone.region_id == region.id, Zone.deleted_at.is_(None))))
    if zones and (move_to is ASK or move_to is None):
        raise ValidationError({"move_to": (
            f"La región «{region.name}» tiene {_plural(len(zones), 'zona activa', 'zonas activas')} "
            f"({_listing([z.name for z in zones])}): indique a qué región pasan antes de darla de baja."
        )})
    target: Region | None = None
    if move_to is not ASK and move_to is not None:
        if move_to == region.id:
            raise ValidationError({"move_to": "Elija una región distinta de la que da de baja."})
        target = _region(session, move_to)
        if target.state_id != region.state_id:
            raise ValidationError({"move_to": "La región de destino debe ser de la misma entidad."})
    teams = list(session.scalars(
        select(SupervisionTeam).where(SupervisionTeam.region_id == region.id, SupervisionTeam.deleted_at.is_(None))))
    if target is not None:
        for team in teams:
            _check_team_name(session, target.id, team.name, team.id)
    now = utcnow()
    zones_moved, teams_moved, teams_retired, moved = [], [], [], []
    for zone in zones:
        zone.region, zone.changed_by = target, user  # type: ignore[assignment]
        zones_moved.append(zone.id)
    for team in teams:
        if target is not None:
            team.region_id = target.id
            teams_moved.append(team.id)
        else:
            team.deleted_at = now
            teams_retired.append(team.id)
        team.changed_by = user
    target_id = target.id if target is not None else None
    for obj in session.scalars(select(Establishment).where(Establishment.region_id == region.id)):
        if obj.zone_id is not None and obj.zone_id in zones_moved:
            changed = _move(obj, target_id, obj.zone_id, user)
        elif obj.deleted_at is not None:
            continue  # a retired establishment outside the moving zones keeps its history
        else:
            changed = _move(obj, target_id, None, user)
        if changed:
            moved.append(obj.id)
    region.deleted_at = now
    region.changed_by = user
    session.flush()
    audit.record(session, user, "dar_de_baja", "region_operativa", region.uuid, {"retired": False}, {
        "retired": True, "region_destino": target.name if target else None,
        "zonas_movidas": [z.name for z in zones], "equipos_movidos": [t.name for t in teams if t.id in teams_moved],
        "equipos_dados_de_baja": [t.name for t in teams if t.id in teams_retired],
        "establecimientos_movidos": len(moved),
    })
    return RetireRegionResult(region.id, target_id, zones_moved, teams_moved, teams_retired, moved)


def restore_region(session: Session, region_id: int, user: str) -> RegionData:
    """Undo a region's retirement (its zones and teams stay where they are)."""
    region = _region(session, region_id, active=False)
    users.require(session, user, users.RETIRE, region.state_id)
    if region.deleted_at is None:
        raise ConcurrencyError(f"La región «{region.name}» no está dada de baja.")
    region.deleted_at = None
    region.changed_by = user
    session.flush()
    audit.record(session, user, "restaurar", "region_operativa", region.uuid, {"retired": True}, {"retired": False})
    return _region_data(region)


# --------------------------------------------------------------------------------------------------
# Zones
# --------------------------------------------------------------------------------------------------

def get_zone(session: Session, zone_id: int) -> ZoneData:
    """One zone (retired ones too)."""
    return _zone_data(_zone(session, zone_id, active=False))


def create_zone(session: Session, region_id: int, name: str, user: str, code: str = "", notes: str = "") -> ZoneData:
    """Register a zone in an active region. Zone names are unique within the state (folded)."""
    region = _region(session, region_id)
    users.require(session, user, users.EDIT, region.state_id)
    name = _name(name, "El nombre de la zona")
    code = tidy(code)
    message = validate_optional_text(code, "La clave de la zona", 20)
    if message:
        raise ValidationError({"code": message})
    _check_zone_name(session, region.state_id, name, None)
    zone = Zone(region_id=region.id, name=name, code=code, notes=(notes or "").strip(), changed_by=user)
    session.add(zone)
    session.flush()
    data = _zone_data(zone)
    audit.record(session, user, "crear", "zona_servicios_medicos", zone.uuid, None, _values(data))
    return data


def update_zone(session: Session, zone_id: int, user: str, *, name: str | None = None, code: str | None = None,
                notes: str | None = None, version: int | None = None) -> ZoneData:
    """Rename a zone or change its key or notes; refuses if it changed since ``version`` was read."""
    zone = _zone(session, zone_id)
    users.require(session, user, users.EDIT, zone.region.state_id)
    _check_version(zone, version, f"La zona «{zone.name}»")
    before = _values(_zone_data(zone))
    if name is not None:
        name = _name(name, "El nombre de la zona")
        _check_zone_name(session, zone.region.state_id, name, zone.id)
        zone.name = name
    if code is not None:
        code = tidy(code)
        message = validate_optional_text(code, "La clave de la zona", 20)
        if message:
            raise ValidationError({"code": message})
        zone.code = code
    if notes is not None:
        zone.notes = notes.strip()
    if session.is_modified(zone):
        zone.changed_by = user
        session.flush()
        audit.record(session, user, "modificar", "zona_servicios_medicos", zone.uuid,
                     *_diff(before, _values(_zone_data(zone))))
    return _zone_data(zone)


def rename_zone(session: Session, zone_id: int, name: str, user: str, version: int | None = None) -> ZoneData:
    """Rename a zone."""
    return update_zone(session, zone_id, user, name=name, version=version)


def move_zone(session: Session, zone_id: int, region_id: int, user: str, version: int | None = None) -> ZoneData:
    """Move a zone (and its establishments) to another active region of the same state."""
    zone = _zone(session, zone_id)
    users.require(session, user, users.EDIT, zone.region.state_id)
    _check_version(zone, version, f"La zona «{zone.name}»")
    target = _region(session, region_id)
    if target.state_id != zone.region.state_id:
        raise ValidationError({"region_id": "La región de destino debe ser de la misma entidad."})
    if target.id == zone.region_id:
        return _zone_data(zone)
    before = zone.region.name
    zone.region, zone.changed_by = target, user
    for obj in session.scalars(select(Establishment).where(Establishment.zone_id == zone.id)):
        _move(obj, target.id, zone.id, user)
    session.flush()
    audit.record(session, user, "mover", "zona_servicios_medicos", zone.uuid, {"region": before}, {"region": target.name})
    return _zone_data(zone)


def retire_zone(session: Session, zone_id: int, user: str, move_to: int | None = ASK,
                version: int | None = None) -> RetireZoneResult:
    """Retire a zone. If active establishments are assigned to it, ``move_to`` must say where they go: another
    active zone of the same state, or None to leave them unassigned. Everything moves in the caller's
    transaction, so a failure moves nothing."""
    zone = _zone(session, zone_id)
    users.require(session, user, users.RETIRE, zone.region.state_id)
    _check_version(zone, version, f"La zona «{zone.name}»")
    members = list(session.scalars(
        select(Establishment).where(Establishment.zone_id == zone.id, Establishment.deleted_at.is_(None))
        .order_by(Establishment.clues)))
    if members and move_to is ASK:
        raise ValidationError({"move_to": (
            f"La zona «{zone.name}» tiene {_plural(len(members), 'establecimiento', 'establecimientos')}: "
            "indique a qué zona pasan o si quedan sin zona."
        )})
    target: Zone | None = None
    if move_to is not ASK and move_to is not None:
        if move_to == zone.id:
            raise ValidationError({"move_to": "Elija una zona distinta de la que da de baja."})
        target = _zone(session, move_to)
        if target.region.deleted_at is not None:
            raise ValidationError({"move_to": f"La región «{target.region.name}» de la zona de destino está dada de baja."})
        if target.region.state_id != zone.region.state_id:
            raise ValidationError({"move_to": "La zona de destino debe ser de la misma entidad."})
    moved = []
    for obj in members:
        if _move(obj, target.region_id if target else None, target.id if target else None, user):
            moved.append(obj.id)
    zone.deleted_at = utcnow()
    zone.changed_by = user
    session.flush()
    audit.record(session, user, "dar_de_baja", "zona_servicios_medicos", zone.uuid, {"retired": False}, {
        "retired": True, "zona_destino": target.name if target else None,
        "establecimientos_movidos": [o.clues for o in members if o.id in moved],
    })
    return RetireZoneResult(zone.id, moved, target.id if target else None)


def restore_zone(session: Session, zone_id: int, user: str) -> ZoneData:
    """Undo a zone's retirement; its region must be active. A coordinating hospital that has since moved
    to another zone stops coordinating it."""
    zone = _zone(session, zone_id, active=False)
    users.require(session, user, users.RETIRE, zone.region.state_id)
    if zone.deleted_at is None:
        raise ConcurrencyError(f"La zona «{zone.name}» no está dada de baja.")
    if zone.region.deleted_at is not None:
        raise ValidationError({"region_id": f"Restaure antes la región «{zone.region.name}»."})
    coordinator = zone.coordinating_establishment_id
    if coordinator is not None:
        obj = session.get(Establishment, coordinator)
        if obj is None or obj.zone_id != zone.id or obj.deleted_at is not None:
            zone.coordinating_establishment_id = None
    zone.deleted_at = None
    zone.changed_by = user
    session.flush()
    audit.record(session, user, "restaurar", "zona_servicios_medicos", zone.uuid, {"retired": True}, {"retired": False})
    return _zone_data(zone)


def set_coordinator(session: Session, zone_id: int, establishment_id: int | None, user: str,
                    version: int | None = None) -> ZoneData:
    """Make an establishment the zone's coordinating hospital (None: the zone has none).

    It must be an active second- or third-level establishment of the zone's state, coordinating no other
    zone, and either in this zone already or in none (it is then assigned to the zone)."""
    zone = _zone(session, zone_id)
    users.require(session, user, users.EDIT, zone.region.state_id)
    _check_version(zone, version, f"La zona «{zone.name}»")
    before = zone.coordinating_establishment_id
    if establishment_id is None:
        zone.coordinating_establishment_id = None
    else:
        obj = _establishments(session, [establishment_id])[establishment_id]
        key = "coordinating_establishment_id"
        if obj.deleted_at is not None:
            raise ValidationError({key: f"{obj.clues} {obj.name} está dado de baja."})
        if obj.level_of_care == LevelOfCare.PRIMER:
            raise ValidationError({key: f"{obj.clues} {obj.name} es una unidad de primer nivel: una zona la coordina "
                                        "un hospital de segundo o tercer nivel."})
        if obj.level_of_care not in HOSPITAL_LEVELS:
            raise ValidationError({key: f"{obj.clues} {obj.name} no es un hospital (nivel: {obj.level_of_care.label}): "
                                        "una zona la coordina un hospital de segundo o tercer nivel."})
        if obj.state_id != zone.region.state_id:
            raise ValidationError({key: f"{obj.clues} es de otra entidad: el hospital coordinador debe ser de la "
                                        "misma entidad que la zona."})
        other = _coordinated_zone(session, obj.id, except_zone=zone.id)
        if other is not None:
            raise ValidationError({key: f"{obj.clues} {obj.name} ya coordina la zona «{other.name}»."})
        active = _active_zones(session, zone.region.state_id)
        if obj.zone_id is not None and obj.zone_id != zone.id and obj.zone_id in active:
            raise ValidationError({key: f"{obj.clues} {obj.name} pertenece a la zona «{active[obj.zone_id][1]}»: "
                                        "asígnelo antes a esta zona."})
        _move(obj, zone.region_id, zone.id, user)
        zone.coordinating_establishment_id = obj.id
    if zone.coordinating_establishment_id != before:
        zone.changed_by = user
        session.flush()
        clues = dict(session.execute(select(Establishment.id, Establishment.clues).where(
            Establishment.id.in_([i for i in (before, zone.coordinating_establishment_id) if i is not None]))).all())
        audit.record(session, user, "asignar_coordinador", "zona_servicios_medicos", zone.uuid,
                     {"hospital_coordinador": clues.get(before)},
                     {"hospital_coordinador": clues.get(zone.coordinating_establishment_id)})
    return _zone_data(zone)


def assign_establishments(session: Session, zone_id: int, establishment_ids: list[int], user: str) -> AssignmentResult:
    """Put establishments in a zone (and its region), moving them from any other zone. Refuses, moving none,
    if any is retired, of another state, or the coordinating hospital of another zone."""
    zone = _zone(session, zone_id)
    users.require(session, user, users.EDIT, zone.region.state_id)
    region = zone.region
    if region.deleted_at is not None:
        raise ValidationError({"zone_id": f"La región «{region.name}» de la zona está dada de baja."})
    objs = _establishments(session, establishment_ids)
    retired = [o.clues for o in objs.values() if o.deleted_at is not None]
    foreign = [o.clues for o in objs.values() if o.state_id != region.state_id]
    coordinators = {z.coordinating_establishment_id: z.name for z in session.scalars(
        select(Zone).join(Region, Zone.region_id == Region.id).where(
            Zone.coordinating_establishment_id.in_(list(objs)), Zone.id != zone.id,
            Zone.deleted_at.is_(None), Region.deleted_at.is_(None)))}
    problems = []
    if retired:
        problems.append(f"están dados de baja: {_listing(retired)}")
    if foreign:
        problems.append(f"son de otra entidad: {_listing(foreign)}")
    if coordinators:
        problems.append("coordinan otra zona (cambie antes su hospital coordinador): " + _listing(
            [f"{objs[i].clues} («{name}»)" for i, name in coordinators.items()]))
    if problems:
        raise ValidationError({"establishment_ids": "No se asignó ningún establecimiento: " + "; ".join(problems) + "."})
    zone_names = dict(session.execute(select(Zone.id, Zone.name).where(
        Zone.id.in_({o.zone_id for o in objs.values() if o.zone_id is not None}))).all())
    changed, unchanged, before, after = [], [], {}, {}
    for obj in objs.values():
        previous = zone_names.get(obj.zone_id)
        if _move(obj, region.id, zone.id, user):
            changed.append(obj.id)
            before[obj.clues], after[obj.clues] = previous, zone.name
        else:
            unchanged.append(obj.id)
    if changed:
        session.flush()
        audit.record(session, user, "asignar_zona", "zona_servicios_medicos", zone.uuid, before, after)
    return AssignmentResult(changed, unchanged)


def unassign_establishments(session: Session, establishment_ids: list[int], user: str) -> AssignmentResult:
    """Take establishments out of their zone and region. Refuses if any coordinates an active zone."""
    objs = _establishments(session, establishment_ids)
    users.require_for_establishments(session, user, users.EDIT, establishment_ids)
    coordinators = [f"{objs[z.coordinating_establishment_id].clues} («{z.name}»)" for z in session.scalars(
        select(Zone).join(Region, Zone.region_id == Region.id).where(
            Zone.coordinating_establishment_id.in_(list(objs)), Zone.deleted_at.is_(None), Region.deleted_at.is_(None)))]
    if coordinators:
        raise ValidationError({"establishment_ids": "No se quitó ningún establecimiento: coordinan una zona "
                                                    f"(cambie antes su hospital coordinador): {_listing(coordinators)}."})
    zone_names = dict(session.execute(select(Zone.id, Zone.name).where(
        Zone.id.in_({o.zone_id for o in objs.values() if o.zone_id is not None}))).all())
    changed, unchanged, before = [], [], {}
    for obj in objs.values():
        previous = zone_names.get(obj.zone_id)
        if _move(obj, None, None, user):
            changed.append(obj.id)
            before[obj.clues] = previous
        else:
            unchanged.append(obj.id)
    if changed:
        session.flush()
        audit.record(session, user, "quitar_zona", "establecimientos", None, before, {k: None for k in before})
    return AssignmentResult(changed, unchanged)


# --------------------------------------------------------------------------------------------------
# Reading: the tree and the unassigned list
# --------------------------------------------------------------------------------------------------

def _units(session: Session, state_id: int) -> list[tuple]:
    """Active establishments of a state as tuples (id, clues, name, level, zone id), straight from the cursor."""
    e = Establishment.__table__.c
    result = session.connection().execute(
        select(e.id, e.clues, e.name, type_coerce(e.level_of_care, String), e.zone_id)
        .where(e.state_id == state_id, e.deleted_at.is_(None)).order_by(e.clues))
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def load_tree(session: Session, state_id: int) -> RegionTree:
    """Active regions → active zones → active establishments of a state, plus the unassigned ones.

    One query per table (regions, zones, establishments, team counts); 3,000 establishments in a few ms."""
    tree = RegionTree(state_id)
    regions: dict[int, RegionNode] = {}
    for r in session.execute(select(Region.id, Region.version, Region.name, Region.code).where(
            Region.state_id == state_id, Region.deleted_at.is_(None))):
        regions[r.id] = RegionNode(r.id, r.version, r.name, r.code)
    zones: dict[int, ZoneNode] = {}
    if regions:
        for z in session.execute(select(Zone.id, Zone.version, Zone.region_id, Zone.name, Zone.code,
                                        Zone.coordinating_establishment_id).join(Region, Zone.region_id == Region.id)
                                 .where(Region.state_id == state_id, Region.deleted_at.is_(None),
                                        Zone.deleted_at.is_(None))):
            zones[z.id] = ZoneNode(z.id, z.version, z.region_id, z.name, z.code, z.coordinating_establishment_id, "", "")
        for region_id, count in session.execute(
                select(SupervisionTeam.region_id, func.count()).where(
                    SupervisionTeam.region_id.in_(list(regions)), SupervisionTeam.deleted_at.is_(None))
                .group_by(SupervisionTeam.region_id)):
            regions[region_id].teams = count
    names: dict[int, tuple[str, str]] = {}
    for unit_id, clues, name, level, zone_id in _units(session, state_id):
        node = UnitNode(unit_id, clues, name, level, zone_id if zone_id in zones else None)
        names[unit_id] = (clues, name)
        (zones[zone_id].establishments if zone_id in zones else tree.unassigned).append(node)
    missing = [z.coordinating_establishment_id for z in zones.values()
               if z.coordinating_establishment_id is not None and z.coordinating_establishment_id not in names]
    if missing:  # coordinating hospital retired or of another state: still named in the tree
        names.update({i: (c, n) for i, c, n in session.execute(
            select(Establishment.id, Establishment.clues, Establishment.name).where(Establishment.id.in_(missing)))})
    for zone in zones.values():
        if zone.coordinating_establishment_id is not None:
            zone.coordinating_clues, zone.coordinating_name = names.get(zone.coordinating_establishment_id, ("", ""))
            coordinator = [u for u in zone.establishments if u.id == zone.coordinating_establishment_id]
            if coordinator:
                zone.establishments.remove(coordinator[0])
                zone.establishments.insert(0, coordinator[0])
        regions[zone.region_id].zones.append(zone)
    for region in regions.values():
        region.zones.sort(key=lambda z: fold(z.name))
    tree.regions = sorted(regions.values(), key=lambda r: fold(r.name))
    return tree


def list_unassigned(session: Session, state_id: int) -> list[UnitNode]:
    """Active establishments of a state that are in no active zone, by CLUES."""
    active = _active_zones(session, state_id)
    return [UnitNode(i, c, n, lv) for i, c, n, lv, z in _units(session, state_id) if z not in active]


def list_regions(session: Session, state_id: int, include_retired: bool = False) -> list[RegionData]:
    """A state's regions by name."""
    query = select(Region).where(Region.state_id == state_id)
    if not include_retired:
        query = query.where(Region.deleted_at.is_(None))
    return sorted((_region_data(r) for r in session.scalars(query)), key=lambda r: fold(r.name))


def list_zones(session: Session, state_id: int, include_retired: bool = False) -> list[ZoneData]:
    """A state's zones by name (of active regions unless ``include_retired``)."""
    query = select(Zone).join(Region, Zone.region_id == Region.id).where(Region.state_id == state_id)
    if not include_retired:
        query = query.where(Zone.deleted_at.is_(None), Region.deleted_at.is_(None))
    return sorted((_zone_data(z) for z in session.scalars(query)), key=lambda z: fold(z.name))


def hospital_choices(session: Session, state_id: int) -> list[HospitalChoice]:
    """Active second- and third-level establishments of a state, by name (coordinator and referral pickers)."""
    rows = session.execute(
        select(Establishment.id, Establishment.clues, Establishment.name, Establishment.level_of_care)
        .where(Establishment.state_id == state_id, Establishment.deleted_at.is_(None),
               Establishment.level_of_care.in_(HOSPITAL_LEVELS)))
    return sorted((HospitalChoice(r.id, r.clues, r.name, r.level_of_care.value) for r in rows), key=lambda h: fold(h.name))


# --------------------------------------------------------------------------------------------------
# Supervision teams (ESZ)
# --------------------------------------------------------------------------------------------------

def create_team(session: Session, region_id: int, name: str, user: str, notes: str = "") -> TeamData:
    """Register a supervision team in an active region."""
    region = _region(session, region_id)
    users.require(session, user, users.EDIT, region.state_id)
    name = _name(name, "El nombre del equipo")
    _check_team_name(session, region.id, name, None)
    team = SupervisionTeam(region_id=region.id, name=name, notes=(notes or "").strip(), changed_by=user)
    session.add(team)
    session.flush()
    data = _team_data(team)
    audit.record(session, user, "crear", "equipo_supervision_zonal", team.uuid, None, _values(data))
    return data


def rename_team(session: Session, team_id: int, name: str, user: str, version: int | None = None) -> TeamData:
    """Rename a team."""
    team = _team(session, team_id)
    users.require(session, user, users.EDIT, session.get(Region, team.region_id).state_id)
    _check_version(team, version, f"El equipo «{team.name}»", feminine=False)
    name = _name(name, "El nombre del equipo")
    _check_team_name(session, team.region_id, name, team.id)
    if name != team.name:
        before = team.name
        team.name, team.changed_by = name, user
        session.flush()
        audit.record(session, user, "modificar", "equipo_supervision_zonal", team.uuid, {"name": before}, {"name": name})
    return _team_data(team)


def retire_team(session: Session, team_id: int, user: str, version: int | None = None) -> TeamData:
    """Retire a team (its members and supervised establishments stay recorded, as history)."""
    team = _team(session, team_id)
    users.require(session, user, users.RETIRE, session.get(Region, team.region_id).state_id)
    _check_version(team, version, f"El equipo «{team.name}»", feminine=False)
    team.deleted_at, team.changed_by = utcnow(), user
    session.flush()
    audit.record(session, user, "dar_de_baja", "equipo_supervision_zonal", team.uuid, {"retired": False}, {"retired": True})
    return _team_data(team)


def restore_team(session: Session, team_id: int, user: str) -> TeamData:
    """Undo a team's retirement; its region must be active."""
    team = _team(session, team_id, active=False)
    users.require(session, user, users.RETIRE, session.get(Region, team.region_id).state_id)
    if team.deleted_at is None:
        raise ConcurrencyError(f"El equipo «{team.name}» no está dado de baja.")
    _region(session, team.region_id)
    team.deleted_at, team.changed_by = None, user
    session.flush()
    audit.record(session, user, "restaurar", "equipo_supervision_zonal", team.uuid, {"retired": True}, {"retired": False})
    return _team_data(team)


def _member_fields(full_name: str, role: str, phone: str) -> tuple[str, str, str]:
    full_name, role, phone = tidy(full_name), tidy(role), tidy(phone)
    errors = {}
    message = validate_required_text(full_name, "El nombre del integrante", 200)
    if message:
        errors["full_name"] = message
    message = validate_optional_text(role, "El cargo", 120)
    if message:
        errors["role"] = message
    digits = sum(ch.isdigit() for ch in phone)
    if phone and (len(phone) > 40 or digits < 7 or any(not (ch.isdigit() or ch in " +-().extEXT") for ch in phone)):
        errors["phone"] = "Capture el teléfono con al menos 7 dígitos (p. ej. 686 555 1234 ext. 12)."
    if errors:
        raise ValidationError(errors)
    return full_name, role, phone


def add_member(session: Session, team_id: int, full_name: str, user: str, role: str = "", phone: str = "") -> MemberData:
    """Add a person to an active team."""
    team = _team(session, team_id)
    users.require(session, user, users.EDIT, session.get(Region, team.region_id).state_id)
    full_name, role, phone = _member_fields(full_name, role, phone)
    member = SupervisionTeamMember(team_id=team.id, full_name=full_name, role=role, phone=phone, changed_by=user)
    session.add(member)
    session.flush()
    data = _member_data(member)
    audit.record(session, user, "crear", "integrante_esz", member.uuid, None, _values(data))
    return data


def update_member(session: Session, member_id: int, user: str, full_name: str, role: str = "", phone: str = "",
                  version: int | None = None) -> MemberData:
    """Change a member's name, role or phone."""
    member = _get(session, SupervisionTeamMember, member_id, "El integrante ya no existe en la base de datos.")
    users.require(session, user, users.EDIT, session.get(Region, session.get(SupervisionTeam, member.team_id).region_id).state_id)
    if member.deleted_at is not None:
        raise ConcurrencyError(f"{member.full_name} ya no está en el equipo.")
    _check_version(member, version, f"La ficha de {member.full_name}")
    before = _values(_member_data(member))
    member.full_name, member.role, member.phone = _member_fields(full_name, role, phone)
    if session.is_modified(member):
        member.changed_by = user
        session.flush()
        audit.record(session, user, "modificar", "integrante_esz", member.uuid, *_diff(before, _values(_member_data(member))))
    return _member_data(member)


def remove_member(session: Session, member_id: int, user: str, version: int | None = None) -> None:
    """Take a person out of a team (soft delete)."""
    member = _get(session, SupervisionTeamMember, member_id, "El integrante ya no existe en la base de datos.")
    users.require(session, user, users.RETIRE, session.get(Region, session.get(SupervisionTeam, member.team_id).region_id).state_id)
    if member.deleted_at is not None:
        raise ConcurrencyError(f"{member.full_name} ya no está en el equipo.")
    _check_version(member, version, f"La ficha de {member.full_name}")
    member.deleted_at, member.changed_by = utcnow(), user
    session.flush()
    audit.record(session, user, "quitar", "integrante_esz", member.uuid, _values(_member_data(member)), None)


def supervise(session: Session, team_id: int, establishment_ids: list[int], user: str) -> list[int]:
    """Add establishments to those a team supervises; returns the ids added. All must be active and of the
    team's state (several teams may supervise the same establishment)."""
    team = _team(session, team_id)
    state_id = _region(session, team.region_id).state_id
    objs = _establishments(session, establishment_ids)
    bad = [o.clues for o in objs.values() if o.deleted_at is not None or o.state_id != state_id]
    if bad:
        raise ValidationError({"establishment_ids": "Sólo se supervisan establecimientos activos de la entidad del "
                                                    f"equipo: {_listing(bad)}."})
    existing = {a.establishment_id: a for a in session.scalars(
        select(SupervisionAssignment).where(SupervisionAssignment.team_id == team.id))}
    added = []
    for obj in objs.values():
        link = existing.get(obj.id)
        if link is None:
            session.add(SupervisionAssignment(team_id=team.id, establishment_id=obj.id, changed_by=user))
        elif link.deleted_at is not None:
            link.deleted_at, link.changed_by = None, user
        else:
            continue
        added.append(obj.id)
    if added:
        session.flush()
        audit.record(session, user, "asignar_supervision", "equipo_supervision_zonal", team.uuid, None,
                     {"establecimientos": [objs[i].clues for i in added]})
    return added


def unsupervise(session: Session, team_id: int, establishment_ids: list[int], user: str) -> list[int]:
    """Remove establishments from those a team supervises; returns the ids removed."""
    team = _team(session, team_id, active=False)
    wanted = set(establishment_ids)
    removed = []
    now = utcnow()
    for link in session.scalars(select(SupervisionAssignment).where(
            SupervisionAssignment.team_id == team.id, SupervisionAssignment.deleted_at.is_(None))):
        if link.establishment_id in wanted:
            link.deleted_at, link.changed_by = now, user
            removed.append(link.establishment_id)
    if removed:
        session.flush()
        clues = dict(session.execute(select(Establishment.id, Establishment.clues).where(Establishment.id.in_(removed))).all())
        audit.record(session, user, "quitar_supervision", "equipo_supervision_zonal", team.uuid,
                     {"establecimientos": [clues[i] for i in removed]}, None)
    return removed


def list_teams(session: Session, state_id: int, include_retired: bool = False) -> list[TeamDetail]:
    """A state's teams (of active regions) with members and supervised establishments; one query per table."""
    query = (select(SupervisionTeam, Region.name).join(Region, SupervisionTeam.region_id == Region.id)
             .where(Region.state_id == state_id, Region.deleted_at.is_(None)))
    if not include_retired:
        query = query.where(SupervisionTeam.deleted_at.is_(None))
    details = {t.id: TeamDetail(_team_data(t), region_name) for t, region_name in session.execute(query)}
    if details:
        for m in session.scalars(select(SupervisionTeamMember).where(
                SupervisionTeamMember.team_id.in_(list(details)), SupervisionTeamMember.deleted_at.is_(None))
                .order_by(SupervisionTeamMember.full_name)):
            details[m.team_id].members.append(_member_data(m))
        e = Establishment
        for team_id, unit_id, clues, name, level, zone_id in session.execute(
                select(SupervisionAssignment.team_id, e.id, e.clues, e.name, type_coerce(e.level_of_care, String), e.zone_id)
                .join(e, SupervisionAssignment.establishment_id == e.id)
                .where(SupervisionAssignment.team_id.in_(list(details)), SupervisionAssignment.deleted_at.is_(None))
                .order_by(e.clues)):
            details[team_id].establishments.append(UnitNode(unit_id, clues, name, level, zone_id))
    return sorted(details.values(), key=lambda d: (fold(d.region_name), fold(d.team.name)))
