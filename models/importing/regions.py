"""Import the office's assignment list: each establishment's operating region, medical service zone, whether
it coordinates the zone, and its referral hospital.

``plan_import`` checks every row against the database and writes nothing; ``apply_import`` writes the plan
in the caller's transaction (all or nothing). Rules:

- rows are matched by CLUES (or by the previous SSA CLUES of a registered establishment); rows of another
  state are skipped unless the office is the national one;
- regions and zones are matched by folded name (case, accents and spacing ignored) within the
  establishment's state and created when missing; a zone belongs to one region, in the file and in the
  database (moving a zone to another region is done on the Regions page, not by import);
- a blank cell changes nothing: blank region and zone leave the assignment as it is, a blank referral
  leaves the referral hospital as it is;
- ``COORDINA LA ZONA`` = SÍ makes the establishment (a second- or third-level hospital) its zone's
  coordinating hospital, replacing the previous one; = NO on the current coordinating hospital, or a
  coordinating hospital moved to another zone, leaves that zone without one (a warning says so) unless
  another row names its new coordinating hospital;
- "new" rows are establishments that had no zone and get one; "updated" rows change a zone, a
  coordinating hospital or a referral hospital. Re-importing the same file changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select, type_coerce, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import Establishment, Region, State, Zone
from models.enums import LevelOfCare
from models.importing.cells import to_text
from models.importing.establishments import IMPORT_MARK
from models.importing.plan import NO_PROGRESS, ImportPlan, PlannedRow, PlannedUpdate, Progress, RowIssue
from models.importing.reader import SheetData
from models.importing.spec import FieldSpec, ImportKind, Mapping, register
from models.services import audit
from models.services.establishments import ConcurrencyError
from models.text import fold, format_int, tidy
from models.validation import normalize_clues, validate_clues
from models.services import users

PROGRESS_EVERY = 500
NAME_LIMIT = 120
_HOSPITALS = {LevelOfCare.SEGUNDO.value, LevelOfCare.TERCER.value}
_YES = {"si", "s", "x", "1", "verdadero", "true", "yes", "coordina"}
_NO = {"no", "n", "0", "falso", "false"}

F = FieldSpec
KIND = ImportKind(
    key="regions",
    title="Regiones operativas y zonas de servicios médicos (asignación de establecimientos)",
    fields=(
        F("clues", "CLUES", "CLUES del establecimiento (ya registrado).",
          ("CLAVE CLUES", "CLUES IMB", "CLUES DE LA UNIDAD", "CLUES IMSS BIENESTAR"), required=True,
          example="BCIMB000363"),
        F("name", "NOMBRE DE LA UNIDAD", "Sólo informativo (no se modifica el nombre registrado).",
          ("NOMBRE UNIDAD", "NOMBRE DEL ESTABLECIMIENTO", "UNIDAD", "NOMBRE"), example="CENTRO DE SALUD PALACO"),
        F("region", "REGION OPERATIVA", "Región operativa; se registra si no existe en la entidad.",
          ("REGION", "RO", "REGION OPERATIVA RO", "NOMBRE DE LA REGION", "NOMBRE DE LA REGION OPERATIVA"),
          required=True, example="REGIÓN I MEXICALI"),
        F("zone", "ZONA DE SERVICIOS MEDICOS", "Zona de servicios médicos; se registra si no existe en la entidad.",
          ("ZONA", "ZSM", "ZONA DE SERVICIOS MEDICOS ZSM", "ZONA SERVICIOS MEDICOS", "NOMBRE DE LA ZONA"),
          required=True, example="ZSM MEXICALI"),
        F("coordinates", "COORDINA LA ZONA", "SÍ si es el hospital coordinador de su zona; NO o vacío si no.",
          ("COORDINA LA ZONA SI NO", "COORDINA ZONA", "HOSPITAL COORDINADOR", "COORDINADOR", "COORDINA"),
          allowed=("SÍ", "NO"), example="NO"),
        F("referral", "CLUES HOSPITAL DE REFERENCIA", "CLUES del hospital (segundo o tercer nivel) al que refiere "
          "pacientes. Vacío: el hospital coordinador de su zona.",
          ("CLUES DEL HOSPITAL DE REFERENCIA", "HOSPITAL DE REFERENCIA", "CLUES DE REFERENCIA", "CLUES REFERENCIA"),
          example="BCIMB000355"),
    ),
    instructions=(
        "Una fila por establecimiento ya registrado (impórtelos antes como «Establecimientos de salud»).",
        "Las regiones y zonas se reconocen por su nombre sin importar mayúsculas, acentos ni espacios; las que no "
        "existen en la entidad se registran.",
        "Una zona pertenece a una sola región: si el archivo la pone en dos, o en otra región que la registrada, "
        "la fila se rechaza.",
        "COORDINA LA ZONA = SÍ sólo para hospitales de segundo o tercer nivel, y uno por zona.",
        "Una celda vacía no cambia nada: sin región y zona, la asignación queda como está; sin hospital de "
        "referencia, se conserva el registrado (o el coordinador de la zona).",
        "La importación se aplica completa o no se aplica; las filas con errores se informan y no se guardan.",
    ),
)
LABELS = {**KIND.labels(), "coordinates": "COORDINA LA ZONA", "referral": "CLUES HOSPITAL DE REFERENCIA"}


@dataclass
class _Unit:
    id: int
    clues: str
    name: str
    version: int
    state_id: int
    level: str
    retired: bool
    region_id: int | None
    zone_id: int | None
    referral_id: int | None


@dataclass(frozen=True)
class ZoneCoordinator:
    """A zone's coordinating hospital set (``establishment_id``) or cleared (None) by the import."""

    state_id: int
    zone_key: str
    zone_id: int | None  # None: a zone the import creates
    zone_version: int | None
    establishment_id: int | None


@dataclass(frozen=True)
class Assignment:
    """What the import writes on one establishment (``zone_key``/``referral_id`` None: left as it is)."""

    row: int
    establishment_id: int
    version: int
    state_id: int
    region_key: str | None
    zone_key: str | None
    referral_id: int | None


@dataclass
class RegionsImportPlan(ImportPlan):
    """An import plan plus the regions and zones it creates, the establishments it writes and the zones whose
    coordinating hospital changes (keys are folded names within a state)."""

    new_regions: list[tuple[int, str, str]] = field(default_factory=list)  # state id, key, name
    new_zones: list[tuple[int, str, str, str]] = field(default_factory=list)  # state id, key, region key, name
    assignments: list[Assignment] = field(default_factory=list)
    coordinators: list[ZoneCoordinator] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        lines = super().summary_lines()
        extra = []
        if self.new_regions:
            extra.append(f"  Regiones operativas nuevas: {format_int(len(self.new_regions))} "
                         f"({', '.join(name for _s, _k, name in self.new_regions)})")
        if self.new_zones:
            extra.append(f"  Zonas de servicios médicos nuevas: {format_int(len(self.new_zones))} "
                         f"({', '.join(name for *_x, name in self.new_zones)})")
        at = next((i for i, line in enumerate(lines) if line.startswith("  Rechazados")), len(lines) - 1) + 1
        return lines[:at] + extra + lines[at:]


class _Lookups:
    """Establishments, regions and zones, read once (one query per table)."""

    def __init__(self, session: Session):
        e = Establishment.__table__.c
        result = session.connection().execute(select(
            e.id, e.clues, e.name, e.version, e.state_id, type_coerce(e.level_of_care, String), e.deleted_at.is_not(None),
            e.region_id, e.zone_id, e.referral_establishment_id, e.previous_clues))
        try:
            rows = result.cursor.fetchall()
        finally:
            result.close()
        self.units = {r[0]: _Unit(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8], r[9]) for r in rows}
        self.by_clues = {r[1]: self.units[r[0]] for r in rows}
        self.by_previous = {r[10]: self.units[r[0]] for r in rows if r[10]}
        self.prefixes = dict(session.execute(select(State.clues_prefix, State.id)).all())
        # (state id, folded name) → (id, name, retired)
        self.regions: dict[tuple[int, str], tuple[int, str, bool]] = {}
        self.region_names: dict[int, str] = {}
        self.region_active: dict[int, bool] = {}
        for r in session.execute(select(Region.id, Region.state_id, Region.name, Region.deleted_at)):
            self.regions[(r.state_id, fold(r.name))] = (r.id, r.name, r.deleted_at is not None)
            self.region_names[r.id] = r.name
            self.region_active[r.id] = r.deleted_at is None
        # (state id, folded name) → (id, name, retired or in a retired region, region id, coordinator id, version)
        self.zones: dict[tuple[int, str], tuple[int, str, bool, int, int | None, int]] = {}
        self.zone_by_id: dict[int, tuple[int, str, bool, int, int | None, int]] = {}
        for z in session.execute(select(Zone.id, Zone.name, Zone.deleted_at, Zone.region_id,
                                        Zone.coordinating_establishment_id, Zone.version, Region.state_id)
                                 .join(Region, Zone.region_id == Region.id)):
            info = (z.id, z.name, z.deleted_at is not None or not self.region_active[z.region_id], z.region_id,
                    z.coordinating_establishment_id, z.version)
            self.zones[(z.state_id, fold(z.name))] = info
            self.zone_by_id[z.id] = info

    def active_zone(self, zone_id: int | None) -> tuple | None:
        info = self.zone_by_id.get(zone_id) if zone_id is not None else None
        return info if info is not None and not info[2] else None


def _yes_no(value: Any) -> bool | None | str:
    """True, False, None (blank) or the Spanish reason the cell is neither."""
    text = to_text(value)
    if not text:
        return None
    folded = fold(text)
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    return f"«{text}» no es SÍ ni NO."


def plan_import(session: Session, sheet: SheetData, mapping: Mapping, office_state_id: int | None,
                file_date: datetime | None = None, progress: Progress = NO_PROGRESS) -> RegionsImportPlan:
    """Check every row and decide what it would do; writes nothing."""
    look = _Lookups(session)
    column_of = {key: index for key, index in mapping.items() if index is not None}
    label = {key: sheet.headers[index] for key, index in column_of.items()}
    plan = RegionsImportPlan(KIND.key, sheet.source + (f" — hoja «{sheet.sheet}»" if sheet.sheet else ""),
                             list(sheet.headers), total_rows=len(sheet.rows), field_labels=dict(LABELS))
    total = len(sheet.rows)
    progress.report(0, total, "Validando filas")

    def cell(cells: list[Any], key: str) -> Any:
        index = column_of.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def column_label(key: str) -> str:
        return label.get(key) or LABELS.get(key, key)

    seen_units: dict[int, int] = {}
    seen_clues: dict[str, int] = {}
    zone_home: dict[tuple[int, str], tuple[str, str, int]] = {}  # zone key → region key, region name, row
    claims: dict[tuple[int, str], tuple[int, int]] = {}  # zone key → (establishment id, row)
    new_regions: dict[tuple[int, str], str] = {}
    new_zones: dict[tuple[int, str], tuple[str, str]] = {}
    accepted: list[tuple[int, _Unit, tuple[int, str] | None, tuple[int, str] | None, bool | None, _Unit | None]] = []

    for n, cells in enumerate(sheet.rows):
        if n % PROGRESS_EVERY == 0 and n:
            progress.report(n, total, "Validando filas")
        row_no = sheet.row_numbers[n]
        errors: list[tuple[str, str]] = []

        clues = normalize_clues(to_text(cell(cells, "clues")))
        unit = None
        message = validate_clues(clues, None)
        if message:
            errors.append(("clues", message))
        else:
            unit = look.by_clues.get(clues) or look.by_previous.get(clues)
            state_id = unit.state_id if unit else look.prefixes.get(clues[:2])
            if office_state_id is not None and state_id is not None and state_id != office_state_id:
                plan.skipped_other_state += 1
                continue
            if unit is None:
                errors.append(("clues", f"La CLUES {clues} no está registrada: importe antes el establecimiento."))
            else:
                first = seen_clues.get(clues) or seen_units.get(unit.id)
                if first is not None:
                    errors.append(("clues", f"El establecimiento {unit.clues} está repetido en el archivo "
                                            f"(ya aparece en la fila {first})."))
                else:
                    seen_clues[clues] = seen_units[unit.id] = row_no
                if unit.retired:
                    errors.append(("clues", f"El establecimiento {unit.clues} está dado de baja."))

        region_text, zone_text = tidy(to_text(cell(cells, "region"))), tidy(to_text(cell(cells, "zone")))
        for key, text, what in (("region", region_text, "región"), ("zone", zone_text, "zona")):
            if len(text) > NAME_LIMIT:
                errors.append((key, f"El nombre de la {what} admite como máximo {NAME_LIMIT} caracteres (tiene {len(text)})."))
        coordinates = _yes_no(cell(cells, "coordinates"))
        if isinstance(coordinates, str):
            errors.append(("coordinates", coordinates))
            coordinates = None

        referral = None
        referral_clues = normalize_clues(to_text(cell(cells, "referral")))
        if referral_clues:
            message = validate_clues(referral_clues, None)
            if message:
                errors.append(("referral", message.replace("La CLUES", "La CLUES del hospital de referencia")))
            else:
                referral = look.by_clues.get(referral_clues) or look.by_previous.get(referral_clues)
                if referral is None:
                    errors.append(("referral", f"El hospital de referencia {referral_clues} no está registrado."))
                elif referral.retired:
                    errors.append(("referral", f"El hospital de referencia {referral.clues} está dado de baja."))
                elif referral.level not in _HOSPITALS:
                    errors.append(("referral", f"{referral.clues} {referral.name} no es un hospital de segundo o tercer "
                                               "nivel: la referencia se hace a un hospital."))
                elif unit is not None and referral.id == unit.id:
                    errors.append(("referral", "Un establecimiento no puede ser su propio hospital de referencia."))

        region_key = zone_key = None
        names_ok = len(region_text) <= NAME_LIMIT and len(zone_text) <= NAME_LIMIT
        if unit is not None and (region_text or zone_text) and names_ok:
            st = unit.state_id
            if not zone_text:
                errors.append(("zone", "Falta la zona de servicios médicos: los establecimientos se asignan a una zona."))
            else:
                zone_key = (st, fold(zone_text))
                zone = look.zones.get(zone_key)
                if not region_text:
                    if zone is None or zone[2]:
                        errors.append(("region", f"Indique la región operativa de la zona «{zone_text}»."))
                    else:
                        region_key = (st, fold(look.region_names[zone[3]]))
                else:
                    region_key = (st, fold(region_text))
                region = look.regions.get(region_key) if region_key else None
                if region is not None and region[2]:
                    errors.append(("region", f"La región «{region[1]}» está dada de baja: restáurela antes de importar."))
                elif zone is not None and zone[2]:
                    errors.append(("zone", f"La zona «{zone[1]}» está dada de baja (o su región): restáurela antes "
                                           "de importar."))
                elif zone is not None and region_key is not None and (region is None or region[0] != zone[3]):
                    errors.append(("zone", f"La zona «{zone[1]}» pertenece a la región «{look.region_names[zone[3]]}», "
                                           f"no a «{region_text}»."))
                elif region_key is not None:
                    home = zone_home.get(zone_key)
                    if home is None:
                        zone_home[zone_key] = (region_key[1], region_text or look.region_names[zone[3]], row_no)  # type: ignore[index]
                    elif home[0] != region_key[1]:
                        errors.append(("zone", f"La zona «{zone_text}» ya aparece en la región «{home[1]}» "
                                               f"(fila {home[2]}): una zona pertenece a una sola región."))
        if coordinates and unit is not None:
            if zone_key is None:
                if not any(k == "zone" for k, _r in errors):
                    errors.append(("coordinates", "Indique la zona que coordina el establecimiento."))
            elif unit.level == LevelOfCare.PRIMER.value:
                errors.append(("coordinates", f"{unit.clues} es una unidad de primer nivel: no puede coordinar una zona "
                                              "(la coordina un hospital de segundo o tercer nivel)."))
            elif unit.level not in _HOSPITALS:
                errors.append(("coordinates", f"{unit.clues} no es un hospital: no puede coordinar una zona."))
            elif not errors:
                claim = claims.get(zone_key)
                if claim is not None:
                    errors.append(("coordinates", f"La zona «{zone_text}» ya tiene hospital coordinador en el archivo: "
                                                  f"{look.units[claim[0]].clues} (fila {claim[1]})."))
                else:
                    claims[zone_key] = (unit.id, row_no)

        if errors:
            for key, reason in errors:
                plan.reject(row_no, column_label(key), reason, list(cells))
            continue
        assert unit is not None
        if region_key is not None and region_key not in look.regions:
            new_regions.setdefault(region_key, region_text)
        if zone_key is not None and zone_key not in look.zones:
            new_zones.setdefault(zone_key, (region_key[1], zone_text))  # type: ignore[index]
        accepted.append((row_no, unit, region_key, zone_key, coordinates, referral))
    progress.report(total, total, "Validando filas")

    # Coordinating hospitals: named by SÍ rows; lost by NO on the current one, or by moving it out of its zone.
    coordinates_zones: dict[int, list[tuple[int, str]]] = {}  # establishment id → active zones it coordinates
    for key, info in look.zones.items():
        if not info[2] and info[4] is not None:
            coordinates_zones.setdefault(info[4], []).append(key)
    final: dict[tuple[int, str], int | None] = {key: unit_id for key, (unit_id, _row) in claims.items()}
    for row_no, unit, _region_key, zone_key, coordinates, _referral in accepted:
        for key in coordinates_zones.get(unit.id, ()):
            if key not in claims and (coordinates is False or (zone_key is not None and zone_key != key)):
                final[key] = None
                plan.warnings.append(RowIssue(row_no, column_label("coordinates"),
                                              f"La zona «{look.zones[key][1]}» queda sin hospital coordinador."))
    for key, unit_id in final.items():
        zone = look.zones.get(key)
        if zone is None or zone[4] != unit_id:
            plan.coordinators.append(ZoneCoordinator(key[0], key[1], zone[0] if zone else None,
                                                     zone[5] if zone else None, unit_id))
    changed_coordinators = {(c.state_id, c.zone_key): c.establishment_id for c in plan.coordinators}

    for row_no, unit, region_key, zone_key, coordinates, referral in accepted:
        changes: dict[str, tuple[Any, Any]] = {}
        current_zone = look.active_zone(unit.zone_id)
        write_zone = False
        if zone_key is not None:
            target_region = look.regions.get(region_key)  # type: ignore[arg-type]
            target_zone = look.zones.get(zone_key)
            old_region = look.region_names.get(unit.region_id, "") if unit.region_id is not None else ""
            new_region = target_region[1] if target_region else new_regions[region_key]  # type: ignore[index]
            old_zone = current_zone[1] if current_zone else ""
            new_zone = target_zone[1] if target_zone else new_zones[zone_key][1]
            if target_region is None or unit.region_id != target_region[0]:
                changes["region"] = (old_region, new_region)
            if target_zone is None or current_zone is None or current_zone[0] != target_zone[0]:
                changes["zone"] = (old_zone, new_zone)
            write_zone = bool(changes)
        was = bool(coordinates_zones.get(unit.id))
        will = (any(uid == unit.id for uid in changed_coordinators.values())
                or any(k not in changed_coordinators for k in coordinates_zones.get(unit.id, ())))
        if was != will:
            changes["coordinates"] = ("SÍ" if was else "NO", "SÍ" if will else "NO")
        write_referral = referral is not None and referral.id != unit.referral_id
        if write_referral:
            old = look.units[unit.referral_id].clues if unit.referral_id in look.units else ""
            changes["referral"] = (old, referral.clues)  # type: ignore[union-attr]
        if write_zone or write_referral:
            plan.assignments.append(Assignment(row_no, unit.id, unit.version, unit.state_id,
                                               region_key[1] if write_zone else None,  # type: ignore[index]
                                               zone_key[1] if write_zone else None,  # type: ignore[index]
                                               referral.id if write_referral else None))  # type: ignore[union-attr]
        if not changes:
            plan.unchanged.append(unit.clues)
        elif current_zone is None and "zone" in changes:
            plan.new.append(PlannedRow(row_no, unit.clues, {k: new for k, (_old, new) in changes.items()}))
        else:
            plan.updated.append(PlannedUpdate(row_no, unit.clues, unit.id, unit.version, changes))
    plan.new_regions = [(st, key, name) for (st, key), name in new_regions.items()]
    plan.new_zones = [(st, key, region_key, name) for (st, key), (region_key, name) in new_zones.items()]
    return plan


def apply_import(session: Session, plan: RegionsImportPlan, user: str, overwrite_conflicts: bool = False,
                 progress: Progress = NO_PROGRESS) -> dict[str, int]:
    """Write the plan in the caller's transaction; refuses if anything it touches changed since it was made."""
    users.require(session, user, users.IMPORT)
    counts = {
        "nuevos": len(plan.new), "actualizados": len(plan.updated), "sin_cambios": len(plan.unchanged),
        "rechazados": len(plan.rejected_rows), "omitidos_otra_entidad": plan.skipped_other_state,
        "regiones_creadas": len(plan.new_regions), "zonas_creadas": len(plan.new_zones),
    }
    if not (plan.assignments or plan.coordinators or plan.new_regions or plan.new_zones):
        return counts  # nothing to write: not even an audit entry
    e, z = Establishment.__table__, Zone.__table__
    expected = {a.establishment_id: a.version for a in plan.assignments}
    ids = list(expected)
    for start in range(0, len(ids), 900):
        for record_id, version, clues in session.execute(
                select(e.c.id, e.c.version, e.c.clues).where(e.c.id.in_(ids[start:start + 900]))):
            if expected[record_id] != version:
                raise ConcurrencyError(f"El establecimiento {clues} se modificó después de validar el archivo. "
                                       "Vuelva a validar la importación.")
    for c in plan.coordinators:
        if c.zone_id is not None and session.scalar(select(z.c.version).where(z.c.id == c.zone_id)) != c.zone_version:
            raise ConcurrencyError("Una zona del archivo se modificó después de validarlo. Vuelva a validar la importación.")
    who = user + IMPORT_MARK
    total = len(plan.new_regions) + len(plan.new_zones) + len(plan.assignments) + len(plan.coordinators)
    done = 0

    regions, retired = {}, set()
    for rid, st, name, deleted in session.execute(select(Region.id, Region.state_id, Region.name, Region.deleted_at)):
        regions[(st, fold(name))] = rid
        if deleted is not None:
            retired.add(("region", rid))
    zones = {}
    for zid, st, name, deleted, region_deleted in session.execute(
            select(Zone.id, Region.state_id, Zone.name, Zone.deleted_at, Region.deleted_at)
            .join(Region, Zone.region_id == Region.id)):
        zones[(st, fold(name))] = zid
        if deleted is not None or region_deleted is not None:
            retired.add(("zone", zid))
    for a in plan.assignments:
        if a.zone_key is not None and (("region", regions.get((a.state_id, a.region_key))) in retired
                                       or ("zone", zones.get((a.state_id, a.zone_key))) in retired):
            raise ConcurrencyError("Una región o zona del archivo se dio de baja después de validarlo. Vuelva a validar.")
    for st, key, name in plan.new_regions:
        if (st, key) in regions:
            raise ConcurrencyError(f"La región «{name}» se registró después de validar el archivo. Vuelva a validar.")
        region = Region(state_id=st, name=name, changed_by=who)
        session.add(region)
        session.flush()
        regions[(st, key)] = region.id
        done += 1
    progress.report(done, total, "Guardando")
    new_coordinator = {(c.state_id, c.zone_key): c.establishment_id for c in plan.coordinators if c.zone_id is None}
    for st, key, region_key, name in plan.new_zones:
        if (st, key) in zones:
            raise ConcurrencyError(f"La zona «{name}» se registró después de validar el archivo. Vuelva a validar.")
        zone = Zone(region_id=regions[(st, region_key)], name=name, changed_by=who,
                    coordinating_establishment_id=new_coordinator.get((st, key)))
        session.add(zone)
        session.flush()
        zones[(st, key)] = zone.id
        done += 1
    progress.report(done, total, "Guardando")

    now = utcnow()
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for a in plan.assignments:
        params: dict[str, Any] = {"b_id": a.establishment_id}
        if a.zone_key is not None:
            params["v_region_id"] = regions[(a.state_id, a.region_key)]
            params["v_zone_id"] = zones[(a.state_id, a.zone_key)]
        if a.referral_id is not None:
            params["v_referral_establishment_id"] = a.referral_id
        groups.setdefault(tuple(sorted(k for k in params if k != "b_id")), []).append(params)
    for keys, rows in groups.items():
        statement = (update(e).where(e.c.id == bindparam("b_id"))
                     .values({**{k[2:]: bindparam(k) for k in keys}, "version": e.c.version + 1, "updated_at": now,
                              "changed_by": who}))
        for start in range(0, len(rows), PROGRESS_EVERY):
            batch = rows[start:start + PROGRESS_EVERY]
            session.execute(statement, batch)
            done += len(batch)
            progress.report(done, total, "Guardando")
    existing = [c for c in plan.coordinators if c.zone_id is not None]
    if existing:
        statement = (update(z).where(z.c.id == bindparam("b_id"))
                     .values(coordinating_establishment_id=bindparam("v_coordinator"), version=z.c.version + 1,
                             updated_at=now, changed_by=who))
        session.execute(statement, [{"b_id": c.zone_id, "v_coordinator": c.establishment_id} for c in existing])
        done += len(existing)
        progress.report(done, total, "Guardando")
    audit.record(session, user, "importar", "regiones_y_zonas", None, None, {
        "archivo": plan.source, **counts,
        "regiones_nuevas": [name for *_x, name in plan.new_regions],
        "zonas_nuevas": [name for *_x, name in plan.new_zones],
    })
    session.flush()
    return counts


KIND = register(ImportKind(KIND.key, KIND.title, KIND.fields, KIND.instructions, plan_import, apply_import))
