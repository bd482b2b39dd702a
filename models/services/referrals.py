"""The referral network: each first-level unit's referral hospital (explicit, or by default its zone's
coordinating hospital), straight-line distances, the nearest-hospital suggestion and the far-referral list.

Nothing here commits; the caller owns the transaction.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.entities import Establishment, Region, Zone
from models.enums import LevelOfCare
from models.services import audit, users
from models.services.establishments import ConcurrencyError, NotFoundError
from models.services.regions import HOSPITAL_LEVELS, HospitalChoice, _establishments, _in_chunks
from models.validation import ValidationError

EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius (R1)
DEFAULT_FAR_KM = 60.0


@dataclass(frozen=True)
class ReferralRow:
    """A unit's effective referral hospital: explicit, or by default its zone's coordinating hospital."""

    establishment_id: int
    clues: str
    name: str
    zone_id: int | None
    zone_name: str
    hospital_id: int | None
    hospital_clues: str
    hospital_name: str
    is_default: bool
    distance_km: float | None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (straight-line) distance in km between two points in decimal degrees (haversine formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _distance(a: tuple, b: tuple) -> float | None:
    if a[0] is None or a[1] is None or b[0] is None or b[1] is None:
        return None
    return distance_km(a[0], a[1], b[0], b[1])


def set_referral(session: Session, establishment_id: int, hospital_id: int | None, user: str,
                 version: int | None = None) -> ReferralRow:
    """Set a unit's referral hospital explicitly (None: back to the default, its zone's coordinating hospital).

    The hospital must be an active second- or third-level establishment other than the unit itself."""
    obj = _establishments(session, [establishment_id])[establishment_id]
    users.require(session, user, users.EDIT, obj.state_id)
    if version is not None and obj.version != version:
        raise ConcurrencyError(f"El establecimiento {obj.clues} fue modificado por {obj.changed_by} después de abrirlo. "
                               "Actualice la vista y vuelva a intentarlo.")
    key = "referral_establishment_id"
    hospital = None
    if hospital_id is not None:
        if hospital_id == obj.id:
            raise ValidationError({key: "Un establecimiento no puede ser su propio hospital de referencia."})
        hospital = _establishments(session, [hospital_id])[hospital_id]
        if hospital.deleted_at is not None:
            raise ValidationError({key: f"{hospital.clues} {hospital.name} está dado de baja."})
        if hospital.level_of_care not in HOSPITAL_LEVELS:
            raise ValidationError({key: f"{hospital.clues} {hospital.name} no es un hospital de segundo o tercer nivel: "
                                        "la referencia se hace a un hospital."})
    if obj.referral_establishment_id != hospital_id:
        before = obj.referral_establishment_id
        before_clues = session.scalar(select(Establishment.clues).where(Establishment.id == before)) if before else None
        obj.referral_establishment_id, obj.changed_by = hospital_id, user
        session.flush()
        audit.record(session, user, "asignar_referencia", "establecimiento", obj.uuid,
                     {"hospital_de_referencia": before_clues}, {"hospital_de_referencia": hospital.clues if hospital else None})
    return referral_for(session, obj.id)


def _referral_rows(session: Session, units: list[tuple]) -> list[ReferralRow]:
    """Referral rows from unit tuples (id, clues, name, zone id, referral id, lat, lon)."""
    zone_ids = {u[3] for u in units if u[3] is not None}
    zones: dict[int, tuple[str, int | None]] = {}
    for chunk in _in_chunks(list(zone_ids)):
        for z in session.execute(select(Zone.id, Zone.name, Zone.coordinating_establishment_id, Zone.deleted_at,
                                        Region.deleted_at).join(Region, Zone.region_id == Region.id)
                                 .where(Zone.id.in_(chunk))):
            if z[3] is None and z[4] is None:
                zones[z[0]] = (z[1], z[2])
    hospital_ids = {u[4] for u in units if u[4] is not None} | {c for _n, c in zones.values() if c is not None}
    hospitals: dict[int, tuple] = {}
    for chunk in _in_chunks(list(hospital_ids)):
        for h in session.execute(select(Establishment.id, Establishment.clues, Establishment.name, Establishment.latitude,
                                        Establishment.longitude).where(Establishment.id.in_(chunk))):
            hospitals[h[0]] = h
    rows = []
    for unit_id, clues, name, zone_id, referral_id, lat, lon in units:
        zone_name, coordinator = zones.get(zone_id, ("", None))
        hospital_id = referral_id if referral_id is not None else coordinator
        hospital = hospitals.get(hospital_id) if hospital_id is not None else None
        rows.append(ReferralRow(
            unit_id, clues, name, zone_id if zone_id in zones else None, zone_name, hospital_id,
            hospital[1] if hospital else "", hospital[2] if hospital else "", referral_id is None,
            _distance((lat, lon), (hospital[3], hospital[4])) if hospital else None,
        ))
    return rows


def referral_for(session: Session, establishment_id: int) -> ReferralRow:
    """One establishment's effective referral hospital and its distance."""
    e = Establishment
    unit = session.execute(select(e.id, e.clues, e.name, e.zone_id, e.referral_establishment_id, e.latitude, e.longitude)
                           .where(e.id == establishment_id)).first()
    if unit is None:
        raise NotFoundError("El establecimiento ya no existe en la base de datos.")
    return _referral_rows(session, [tuple(unit)])[0]


def referral_network(session: Session, state_id: int) -> list[ReferralRow]:
    """Every active first-level unit of a state with its effective referral hospital and distance, by CLUES."""
    e = Establishment
    units = session.execute(select(e.id, e.clues, e.name, e.zone_id, e.referral_establishment_id, e.latitude, e.longitude)
                            .where(e.state_id == state_id, e.deleted_at.is_(None), e.level_of_care == LevelOfCare.PRIMER)
                            .order_by(e.clues)).all()
    return _referral_rows(session, [tuple(u) for u in units])


def far_referrals(session: Session, state_id: int, threshold_km: float = DEFAULT_FAR_KM) -> list[ReferralRow]:
    """Units whose referral hospital is more than ``threshold_km`` away in a straight line, farthest first."""
    rows = [r for r in referral_network(session, state_id) if r.distance_km is not None and r.distance_km > threshold_km]
    return sorted(rows, key=lambda r: -r.distance_km)  # type: ignore[operator]


def nearest_hospitals(session: Session, establishment_id: int, limit: int = 3) -> list[HospitalChoice]:
    """The nearest active second- or third-level hospitals of the establishment's state (suggestions), nearest
    first. Empty when the establishment has no coordinates."""
    obj = _establishments(session, [establishment_id])[establishment_id]
    if obj.latitude is None or obj.longitude is None:
        return []
    e = Establishment
    candidates = []
    for h in session.execute(select(e.id, e.clues, e.name, e.level_of_care, e.latitude, e.longitude).where(
            e.state_id == obj.state_id, e.deleted_at.is_(None), e.level_of_care.in_(HOSPITAL_LEVELS), e.id != obj.id,
            e.latitude.is_not(None), e.longitude.is_not(None))):
        candidates.append(HospitalChoice(h.id, h.clues, h.name, h.level_of_care.value,
                                         distance_km(obj.latitude, obj.longitude, h.latitude, h.longitude)))
    candidates.sort(key=lambda c: (c.distance_km, c.clues))
    return candidates[:limit]


def nearest_hospital(session: Session, establishment_id: int) -> HospitalChoice | None:
    """The nearest active hospital of the same state, or None (no coordinates, or no hospital with them)."""
    found = nearest_hospitals(session, establishment_id, limit=1)
    return found[0] if found else None
