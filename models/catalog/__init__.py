"""Reference catalogue shipped with the app (CSV files beside this module) and its idempotent loader.

Every catalogue row gets a deterministic UUID (uuid5 of table and natural key), so the same state or
target has the same global id in every office's database and exchanges line up. Loading compares
values first and only writes what differs: a second run changes nothing, not even timestamps.
Bump ``CATALOG_VERSION`` whenever a CSV changes; databases with an older version are upgraded in place
on the next start.
"""
from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass
from datetime import date
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import SYSTEM_USER
from models.entities import (
    AppMeta,
    AuthorisationType,
    Authority,
    Institution,
    PublishedRegionFigures,
    ServiceType,
    State,
    Typology,
    WeekendBlock,
    WeekendTarget,
)
from models.enums import LevelOfCare

CATALOG_VERSION = 1
CATALOG_META_KEY = "catalog_version"
_NAMESPACE = uuid.UUID("6f6d2a52-8a9e-4c1b-9d7e-2f1c3b0a9e11")


def catalog_uuid(table: str, key: str) -> str:
    """Deterministic UUID of a catalogue row."""
    return str(uuid.uuid5(_NAMESPACE, f"{table}:{key}"))


def read_rows(name: str) -> list[dict[str, str]]:
    """Rows of one shipped CSV file (UTF-8), as dicts with stripped values."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(text.splitlines())]


def _bool(text: str) -> bool:
    return text.strip() in {"1", "true", "True", "sí", "si"}


def _date(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass
class CatalogLoadResult:
    """How many catalogue rows were inserted and updated."""

    inserted: int = 0
    updated: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated)


def _upsert(session: Session, entity, table_key: str, natural_key: dict, values: dict, result: CatalogLoadResult):
    """Insert or update one catalogue row found by its natural key; write only differing fields."""
    obj = session.scalars(select(entity).filter_by(**natural_key)).one_or_none()
    if obj is None:
        key_text = "|".join(str(v) for v in natural_key.values())
        obj = entity(uuid=catalog_uuid(table_key, key_text), changed_by=SYSTEM_USER, **natural_key, **values)
        session.add(obj)
        session.flush()
        result.inserted += 1
        return obj
    changed = False
    for field, value in values.items():
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            changed = True
    if changed:
        obj.changed_by = SYSTEM_USER
        session.flush()
        result.updated += 1
    return obj


def load_catalog(session: Session) -> CatalogLoadResult:
    """Load or upgrade the whole reference catalogue in the caller's transaction. Idempotent."""
    result = CatalogLoadResult()
    blocks = {}
    for row in read_rows("weekend_blocks.csv"):
        number = int(row["number"])
        blocks[number] = _upsert(session, WeekendBlock, "weekend_blocks", {"number": number}, {"name": row["name"]}, result)
    states = {}
    for row in read_rows("states.csv"):
        block = blocks[int(row["weekend_block"])] if row["weekend_block"] else None
        states[row["inegi_code"]] = _upsert(
            session,
            State,
            "states",
            {"inegi_code": row["inegi_code"]},
            {
                "name": row["name"],
                "short_name": row["short_name"],
                "clues_prefix": row["clues_prefix"],
                "adhered": _bool(row["adhered"]),
                "adhered_on": _date(row["adhered_on"]),
                "weekend_block_id": block.id if block else None,
            },
            result,
        )
    for row in read_rows("weekend_targets.csv"):
        state = states[row["inegi_code"]]
        _upsert(
            session,
            WeekendTarget,
            "weekend_targets",
            {"state_id": state.id, "effective_from": _date(row["effective_from"])},
            {"units_target": int(row["units_target"]), "source": row["source"]},
            result,
        )
    for row in read_rows("published_regions.csv"):
        state = states[row["inegi_code"]]
        _upsert(
            session,
            PublishedRegionFigures,
            "published_region_figures",
            {"state_id": state.id, "period_end": _date(row["period_end"])},
            {
                "period_start": _date(row["period_start"]),
                "regions": int(row["regions"]),
                "zones": int(row["zones"]),
                "coordinating_hospitals": int(row["coordinating_hospitals"]),
                "other_hospitals": int(row["other_hospitals"]),
                "supervision_teams": int(row["supervision_teams"]),
                "source": row["source"],
            },
            result,
        )
    for row in read_rows("institutions.csv"):
        _upsert(session, Institution, "institutions", {"code": row["code"]}, {"name": row["name"]}, result)
    for row in read_rows("typologies.csv"):
        _upsert(
            session,
            Typology,
            "typologies",
            {"code": row["code"]},
            {
                "name": row["name"],
                "default_level": LevelOfCare(row["default_level"]) if row["default_level"] else None,
                "is_mobile": _bool(row["is_mobile"]),
            },
            result,
        )
    authorities = {}
    for row in read_rows("authorities.csv"):
        authorities[row["code"]] = _upsert(session, Authority, "authorities", {"code": row["code"]}, {"name": row["name"]}, result)
    for row in read_rows("service_types.csv"):
        _upsert(
            session,
            ServiceType,
            "service_types",
            {"code": row["code"]},
            {"name": row["name"], "uses_ionising_radiation": _bool(row["uses_ionising_radiation"])},
            result,
        )
    for row in read_rows("authorisation_types.csv"):
        authority = authorities.get(row["default_authority"])
        _upsert(
            session,
            AuthorisationType,
            "authorisation_types",
            {"code": row["code"]},
            {
                "name": row["name"],
                "default_authority_id": authority.id if authority else None,
                "required_for_levels": row["required_for_levels"],
                "required_for_service_code": row["required_for_service_code"] or None,
                "expires": _bool(row["expires"]),
            },
            result,
        )
    meta = session.get(AppMeta, CATALOG_META_KEY)
    if meta is None:
        session.add(AppMeta(key=CATALOG_META_KEY, value=str(CATALOG_VERSION)))
    elif meta.value != str(CATALOG_VERSION):
        meta.value = str(CATALOG_VERSION)
    session.flush()
    return result


def stored_catalog_version(session: Session) -> int:
    """The catalogue version loaded into this database (0 when none)."""
    meta = session.get(AppMeta, CATALOG_META_KEY)
    return int(meta.value) if meta else 0
