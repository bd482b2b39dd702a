"""Which tables travel, in which direction, in which order, and how each row is tied to a state.

Two flows (FORMAT.md, "Tables"):

* ``CATALOG``: reference data the national office maintains (states, blocks, targets, published figures,
  institutions, typologies, authorities, service and authorisation types). National → states only;
  every row goes to every state.
* ``STATE``: a state's own records (establishments, regions, zones, teams, weekend schedules, sanitary
  authorisations with their services, responsables, events and documents). Both ways between the state
  office and the national office; only the rows of that state.

The order is a topological order of the foreign keys, so a parent is always applied before its children.
A foreign key pointing to a table later in the order (or to its own table) is *late*: it is written in a
second pass, after every table of the package is in place (establishments ↔ zones, referrals).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Column, Table

from models.base import Base

CATALOG = "catalogo"
STATE = "entidad"

META_COLUMNS = ("id", "uuid", "version", "created_at", "updated_at", "changed_by", "deleted_at")

# Tables with the Tracked columns that do not travel, and why (tests check nothing is forgotten).
LOCAL_ONLY = {
    "users": "las cuentas de usuario y sus contraseñas son de cada oficina",
}


@dataclass(frozen=True)
class ForeignKey:
    """A foreign-key column and the wire field that carries the parent's uuid."""

    column: str
    wire: str
    parent: str
    late: bool


@dataclass
class TableSpec:
    """How one table travels."""

    name: str
    label: str  # Spanish, for summaries and the conflicts list
    flow: str
    scope: tuple[tuple[str, str], ...] = ()  # hops (fk column, parent table) to a table with ``state_id``
    natural_key: tuple[str, ...] = ()  # columns of a unique constraint that identify the same record
    label_fields: tuple[str, ...] = ()
    table: Table = field(init=False, repr=False)
    data_columns: list[Column] = field(init=False, repr=False)
    foreign_keys: dict[str, ForeignKey] = field(init=False, repr=False)
    wire_fields: list[str] = field(init=False, repr=False)  # data fields on the wire (foreign keys as ``…_uuid``)
    wire_field_set: frozenset[str] = field(init=False, repr=False)

    def wire_name(self, column: str) -> str:
        fk = self.foreign_keys.get(column)
        return fk.wire if fk else column

    @property
    def state_scoped(self) -> bool:
        return self.flow == STATE


_SPECS = [
    TableSpec("weekend_blocks", "Bloques de apertura en fin de semana", CATALOG, natural_key=("number",),
              label_fields=("name",)),
    TableSpec("states", "Entidades federativas", CATALOG, natural_key=("inegi_code",), label_fields=("name",)),
    TableSpec("institutions", "Instituciones", CATALOG, natural_key=("code",), label_fields=("code", "name")),
    TableSpec("typologies", "Tipologías", CATALOG, natural_key=("code",), label_fields=("name",)),
    TableSpec("authorities", "Autoridades sanitarias", CATALOG, natural_key=("code",), label_fields=("code", "name")),
    TableSpec("service_types", "Tipos de servicio", CATALOG, natural_key=("code",), label_fields=("name",)),
    TableSpec("authorisation_types", "Tipos de autorización", CATALOG, natural_key=("code",),
              label_fields=("name",)),
    TableSpec("published_region_figures", "Cifras publicadas de regionalización", CATALOG,
              natural_key=("state_id", "period_end"), label_fields=("period_end",)),
    TableSpec("weekend_targets", "Metas de apertura en fin de semana", CATALOG,
              natural_key=("state_id", "effective_from"), label_fields=("effective_from", "units_target")),
    TableSpec("regions", "Regiones operativas", STATE, natural_key=("state_id", "name"), label_fields=("name",)),
    TableSpec("establishments", "Establecimientos", STATE, natural_key=("clues",), label_fields=("clues", "name")),
    TableSpec("zones", "Zonas de servicios médicos", STATE, scope=(("region_id", "regions"),),
              natural_key=("region_id", "name"), label_fields=("name",)),
    TableSpec("supervision_teams", "Equipos de supervisión zonal", STATE, scope=(("region_id", "regions"),),
              natural_key=("region_id", "name"), label_fields=("name",)),
    TableSpec("supervision_team_members", "Integrantes de equipos de supervisión", STATE,
              scope=(("team_id", "supervision_teams"), ("region_id", "regions")), label_fields=("full_name",)),
    TableSpec("supervision_assignments", "Unidades asignadas a equipos de supervisión", STATE,
              scope=(("team_id", "supervision_teams"), ("region_id", "regions")),
              natural_key=("team_id", "establishment_id")),
    TableSpec("weekend_records", "Apertura en fin de semana (unidades)", STATE,
              scope=(("establishment_id", "establishments"),), natural_key=("establishment_id",)),
    TableSpec("weekend_shifts", "Turnos de fin de semana", STATE,
              scope=(("record_id", "weekend_records"), ("establishment_id", "establishments")),
              label_fields=("weekday", "kind")),
    TableSpec("weekend_staff", "Personal de fin de semana", STATE,
              scope=(("record_id", "weekend_records"), ("establishment_id", "establishments")),
              label_fields=("role", "full_name")),
    TableSpec("weekend_interruptions", "Interrupciones de fin de semana", STATE,
              scope=(("record_id", "weekend_records"), ("establishment_id", "establishments")),
              label_fields=("starts_on",)),
    TableSpec("establishment_services", "Servicios de los establecimientos", STATE,
              scope=(("establishment_id", "establishments"),)),
    TableSpec("responsables_sanitarios", "Responsables sanitarios", STATE,
              scope=(("service_id", "establishment_services"), ("establishment_id", "establishments")),
              label_fields=("full_name",)),
    TableSpec("authorisations", "Autorizaciones sanitarias", STATE, scope=(("establishment_id", "establishments"),),
              label_fields=("folio", "status")),
    TableSpec("authorisation_events", "Historial de autorizaciones", STATE,
              scope=(("authorisation_id", "authorisations"), ("establishment_id", "establishments")),
              label_fields=("occurred_on", "to_status")),
    TableSpec("authorisation_documents", "Documentos de autorizaciones", STATE,
              scope=(("authorisation_id", "authorisations"), ("establishment_id", "establishments")),
              natural_key=("stored_name",), label_fields=("original_name",)),
]

ORDER = [s.name for s in _SPECS]
SPECS: dict[str, TableSpec] = {}
DOCUMENTS_TABLE = "authorisation_documents"


def _wire_fk_name(column: str) -> str:
    return (column[:-3] if column.endswith("_id") else column) + "_uuid"


def _build() -> None:
    import models.entities  # noqa: F401 - registers every table

    position = {name: i for i, name in enumerate(ORDER)}
    for spec in _SPECS:
        table = Base.metadata.tables[spec.name]
        spec.table = table
        spec.data_columns = [c for c in table.columns if c.name not in META_COLUMNS]
        fks: dict[str, ForeignKey] = {}
        for column in spec.data_columns:
            for fk in column.foreign_keys:
                parent = fk.column.table.name
                if parent not in position:
                    raise RuntimeError(f"{spec.name}.{column.name} points to {parent}, which does not travel")
                fks[column.name] = ForeignKey(column.name, _wire_fk_name(column.name), parent,
                                              late=position[parent] >= position[spec.name])
        spec.foreign_keys = fks
        spec.wire_fields = [spec.wire_name(c.name) for c in spec.data_columns]
        spec.wire_field_set = frozenset(spec.wire_fields)
        if spec.scope:
            column, parent = spec.scope[0]
            if column not in fks or fks[column].late or fks[column].parent != parent:
                raise RuntimeError(f"scope hop {spec.name}.{column} must be an early foreign key to {parent}")
            if list(spec.scope[1:]) != list(SPECS[parent].scope):
                raise RuntimeError(f"scope of {spec.name} must continue with the scope of {parent}")
        elif spec.flow == STATE and "state_id" not in table.c:
            raise RuntimeError(f"{spec.name} needs a scope to reach its state")
        SPECS[spec.name] = spec


_build()


def spec(name: str) -> TableSpec:
    """The spec of a travelling table."""
    return SPECS[name]


def tables_for(flow_from_national: bool) -> list[TableSpec]:
    """Tables a package carries: all of them from the national office, the state's own from a state office."""
    return [s for s in SPECS.values() if flow_from_national or s.flow == STATE]
