"""Helpers shared by the exchange tests: one SQLite file (and data folder) per office, record builders,
and a comparison of what two offices hold. No tests here."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import date, time
from pathlib import Path

from sqlalchemy import event, select

from models import exchange as ex
from models.db import make_engine, make_session_factory
from models.entities import (
    Authorisation,
    AuthorisationEvent,
    AuthorisationType,
    Establishment,
    EstablishmentService,
    Region,
    ResponsableSanitario,
    ServiceType,
    State,
    SupervisionAssignment,
    SupervisionTeam,
    SupervisionTeamMember,
    WeekendInterruption,
    WeekendRecord,
    WeekendShift,
    WeekendStaff,
    Zone,
)
from models.enums import AuthorisationStatus, LevelOfCare, ShiftKind, StaffRole
from models.exchange.tables import SPECS
from models.exchange.wire import record_hash, rows_to_wire, scope_column, wire_select
from models.paths import DATA_DIR_ENV
from models.schema import ensure_database
from models.services import office as office_svc
from tests.helpers import table_dump

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


_TEMPLATE: list[Path] = []


def _fast(dbapi_conn, _record) -> None:
    """Tests need no durability across power cuts: skip the fsync of every commit."""
    dbapi_conn.execute("PRAGMA synchronous=OFF")


def _template() -> Path:
    """A new database with the catalogue, built once per test run and copied for every office (faster)."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="cepkg-plantilla-")) / "plantilla.sqlite3"
        engine = make_engine(path)
        ensure_database(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


class Office:
    """One office: its own database (a SQLite file, or a PostgreSQL database with ``backend="postgresql"``)
    and its own data folder (documents)."""

    def __init__(self, root: Path, name: str, state: str | None, backend: str = "sqlite"):
        self.name = name
        self.folder = root / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.data = self.folder / "datos"
        if backend == "postgresql":
            from tests import pg

            self.db = pg.new_database()
            self.engine = make_engine(self.db)
        else:
            self.db = self.folder / "coordinacion.sqlite3"
            shutil.copyfile(_template(), self.db)
            self.engine = make_engine(self.db)
            event.listen(self.engine, "connect", _fast)
        ensure_database(self.engine)
        self.factory = make_session_factory(self.engine)
        self.state = state
        self.counter = 0
        with self.session() as s:
            office_svc.set_office(s, state)

    @contextmanager
    def data_folder(self):
        old = os.environ.get(DATA_DIR_ENV)
        os.environ[DATA_DIR_ENV] = str(self.data)
        try:
            yield
        finally:
            if old is None:
                os.environ.pop(DATA_DIR_ENV, None)
            else:
                os.environ[DATA_DIR_ENV] = old

    @contextmanager
    def session(self):
        with self.data_folder(), self.factory.begin() as s:
            yield s

    def export(self, **kw) -> Path:
        self.counter += 1
        path = self.folder / f"salida-{self.counter}.cepkg"
        with self.session() as s:
            ex.export_package(s, path, user="prueba", **kw)
        return path

    def export_result(self, **kw) -> ex.ExportResult:
        self.counter += 1
        with self.session() as s:
            return ex.export_package(s, self.folder / f"salida-{self.counter}.cepkg", user="prueba", **kw)

    def import_(self, path: Path, **kw) -> ex.ImportSummary:
        with self.session() as s:
            return ex.import_package(s, path, user="prueba", **kw)

    def ack_to(self, sender: "Office", **kw) -> ex.AckImportSummary:
        self.counter += 1
        path = self.folder / f"acuse-{self.counter}.cepkg"
        with self.session() as s:
            ex.make_ack(s, path, user="prueba", **kw)
        with sender.session() as s:
            return ex.import_ack(s, path, user="prueba")

    def conflicts(self, include_resolved: bool = False) -> list[ex.ConflictInfo]:
        with self.session() as s:
            return ex.list_conflicts(s, include_resolved=include_resolved)

    def dump(self) -> dict:
        return table_dump(self.engine)

    def content(self, state_code: str, *, catalog: bool = False) -> dict[str, dict[str, str]]:
        """``table → {uuid: content hash}`` of one state's records (and the catalogue with ``catalog``)."""
        out: dict[str, dict[str, str]] = {}
        with self.session() as s:
            state_id = s.scalars(select(State.id).where(State.inegi_code == state_code)).one()
            for spec in SPECS.values():
                if not spec.state_scoped and not catalog:
                    continue
                query = wire_select(spec)
                if spec.state_scoped:
                    query, column = scope_column(spec, query)
                    query = query.where(column == state_id)
                out[spec.name] = {rec["uuid"]: record_hash(rec) for _id, rec in rows_to_wire(spec, s.execute(query))}
        return out


# ------------------------------------------------------------------------------------------------ builders

def state_id(s, code: str) -> int:
    return s.scalars(select(State.id).where(State.inegi_code == code)).one()


def add_establishment(s, code: str, clues: str, name: str, level: LevelOfCare = LevelOfCare.PRIMER,
                      user: str = "ana", **kw) -> Establishment:
    est = Establishment(clues=clues, name=name, state_id=state_id(s, code), institution_code=clues[2:5],
                        level_of_care=level, changed_by=user, **kw)
    s.add(est)
    s.flush()
    return est


def establishment(s, clues: str) -> Establishment:
    return s.scalars(select(Establishment).where(Establishment.clues == clues)).one()


def build_state_network(s, code: str, prefix: str) -> dict:
    """A small but complete network: establishments, a region with a zone and a team, a weekend schedule,
    services with responsables, and an authorisation with its history. Returns the main objects."""
    hospital = add_establishment(s, code, f"{prefix}IMB000355", "Hospital General", LevelOfCare.SEGUNDO,
                                 municipality="Mexicali", latitude=32.6245, longitude=-115.4523)
    centre = add_establishment(s, code, f"{prefix}IMB000901", "Centro de Salud Rural", operation_started_on=date(2020, 5, 1))
    region = Region(state_id=state_id(s, code), name="Región I", code="RO1", changed_by="ana")
    s.add(region)
    s.flush()
    zone = Zone(region_id=region.id, name="Zona 1", coordinating_establishment_id=hospital.id, changed_by="ana")
    s.add(zone)
    s.flush()
    for est in (hospital, centre):
        est.region_id, est.zone_id = region.id, zone.id
    centre.referral_establishment_id = hospital.id
    team = SupervisionTeam(region_id=region.id, name="ESZ 1", changed_by="ana")
    s.add(team)
    s.flush()
    s.add(SupervisionTeamMember(team_id=team.id, full_name="Dra. Laura Pérez", role="Coordinadora", changed_by="ana"))
    s.add(SupervisionAssignment(team_id=team.id, establishment_id=centre.id, changed_by="ana"))
    record = WeekendRecord(establishment_id=centre.id, viable=True, weekend_since=date(2024, 3, 2), changed_by="ana")
    s.add(record)
    s.flush()
    shift = WeekendShift(record_id=record.id, weekday=5, kind=ShiftKind.MATUTINO, starts_at=time(8), ends_at=time(14),
                         changed_by="ana")
    s.add(shift)
    s.flush()
    s.add(WeekendStaff(record_id=record.id, shift_id=shift.id, role=StaffRole.MEDICO, full_name="Dr. Juan Soto",
                       hired_on=date(2024, 2, 15), changed_by="ana"))
    s.add(WeekendInterruption(record_id=record.id, starts_on=date(2024, 6, 1), ends_on=date(2024, 6, 9),
                              reason="Sin médico", changed_by="ana"))
    service = EstablishmentService(establishment_id=hospital.id,
                                   service_type_id=s.scalars(select(ServiceType.id).where(ServiceType.code == "URG")).one(),
                                   changed_by="ana")
    s.add(service)
    s.flush()
    s.add(ResponsableSanitario(service_id=service.id, full_name="Dr. Pedro Ruiz", cedula_profesional="1234567",
                               valid_from=date(2024, 1, 1), changed_by="ana"))
    licence = Authorisation(establishment_id=hospital.id,
                            type_id=s.scalars(select(AuthorisationType.id).where(AuthorisationType.code == "LIC_SAN")).one(),
                            status=AuthorisationStatus.EN_TRAMITE, folio="LS-2024-001", submitted_on=date(2024, 4, 2),
                            changed_by="ana")
    s.add(licence)
    s.flush()
    s.add(AuthorisationEvent(authorisation_id=licence.id, from_status=None, to_status=AuthorisationStatus.EN_TRAMITE,
                             occurred_on=date(2024, 4, 2), comment="Ingresada en COFEPRIS", changed_by="ana"))
    s.flush()
    return {"hospital": hospital.clues, "centre": centre.clues, "licence": licence.id}


# ------------------------------------------------------------------------------------------------ tampering

def rewrite_package(source: Path, target: Path, *, manifest=None, files=None) -> Path:
    """Copy a package changing its manifest (a function of the dict) and/or some files (name → bytes),
    keeping every other byte as it was: what a careless or malicious edit would produce."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "manifest.json" and manifest is not None:
                data = json.dumps(manifest(json.loads(data))).encode("utf-8")
            elif files and item.filename in files:
                data = files[item.filename]
            zout.writestr(item.filename, data)
    return target
