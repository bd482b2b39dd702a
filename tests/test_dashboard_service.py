"""The home dashboard's figures: right on a small state fixture written through the services, the national
office sees every state, and each figure equals the length of the list behind it (the services that fill
the establishments, regions, weekend and authorisations pages)."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from models.enums import AuthorisationStatus as S
from models.services import authorisations as auth_svc
from models.services import dashboard as svc
from models.services import establishments as est_svc
from models.services import office as office_svc
from models.services import regions as regions_svc
from models.services import weekend as weekend_svc
from tests.helpers import new_establishment

TODAY = date(2024, 6, 30)
USER = "capturista"


def _week(today: date, days=range(7)) -> weekend_svc.ScheduleData:
    """A morning shift on ``days`` since 100 days ago, with a doctor covering them all."""
    shifts = [weekend_svc.ShiftData(d, "MATUTINO", time(8), time(14)) for d in days]
    staff = [weekend_svc.StaffData("MEDICO", "Dra. Ana López", "EVENTUAL", today - timedelta(days=200))]
    return weekend_svc.ScheduleData(0, True, today - timedelta(days=100), shifts=shifts, staff=staff)


def _procedure(session, establishment_id: int, type_code: str, status: S, today: date, *,
               expires_in: int | None = None) -> int:
    submitted = today - timedelta(days=200) if status in auth_svc.NEEDS_SUBMISSION | auth_svc.NEEDS_GRANT else None
    granted = today - timedelta(days=150) if status in auth_svc.NEEDS_GRANT else None
    expires = today + timedelta(days=expires_in) if expires_in is not None else None
    data = auth_svc.AuthorisationData(establishment_id, type_code, status=status.value, submitted_on=submitted,
                                      granted_on=granted, expires_on=expires)
    return auth_svc.create_authorisation(session, data, USER, on=today - timedelta(days=200), today=today).id


def build_fixture(factory, state_id: int, today: date) -> dict[str, int]:
    """Baja California: 4 first-level units (one closed for now, one retired beside them), 2 second-level and
    1 third-level hospitals, 1 «no aplica»; a zone with 3 of them; weekend records (1 open 7 days, 1 without
    Sunday shift, 1 not viable); 5 procedures, 1 override, a service without responsable; and one unit in
    Sonora. Dates are relative to ``today``. CLUES → id."""
    specs = [("BCIMB000101", "Centro de Salud El Florido", "PRIMER", {}),
             ("BCIMB000102", "Centro de Salud Tecate", "PRIMER", {}),
             ("BCIMB000103", "Centro de Salud Rosarito", "PRIMER", {}),
             ("BCIMB000104", "Centro de Salud San Quintín", "PRIMER", {"operating_status": "CERRADO_TEMPORALMENTE"}),
             ("BCIMB000105", "Centro de Salud Retirado", "PRIMER", {}),
             ("BCIMB000355", "Hospital General Mexicali", "SEGUNDO", {}),
             ("BCIMB000734", "Hospital General Tijuana", "SEGUNDO", {}),
             ("BCIMB000901", "Hospital Regional de Alta Especialidad", "TERCER", {}),
             ("BCIMB000950", "UNEME Mexicali", "NO_APLICA", {})]
    ids = {clues: new_establishment(factory, state_id, clues, name, level, **extra).id
           for clues, name, level, extra in specs}
    with factory.begin() as s:
        sonora = office_svc.find_state(s, "SR")
    ids["SRIMB000001"] = new_establishment(factory, sonora.id, "SRIMB000001", "Centro de Salud Hermosillo").id
    with factory.begin() as s:
        est_svc.retire_establishment(s, ids["BCIMB000105"], "Cierre definitivo", today, USER)
        region = regions_svc.create_region(s, state_id, "Región I Mexicali", USER)
        zone = regions_svc.create_zone(s, region.id, "ZSM Mexicali", USER)
        members = [ids["BCIMB000101"], ids["BCIMB000102"], ids["BCIMB000355"]]
        regions_svc.assign_establishments(s, zone.id, members, USER)

        for clues, schedule in (("BCIMB000101", _week(today)), ("BCIMB000102", _week(today, range(6))),
                                ("BCIMB000103", _week(today))):
            schedule.establishment_id = ids[clues]
            if clues == "BCIMB000103":
                schedule.viable = False
            weekend_svc.save_schedule(s, schedule, USER, today)

        _procedure(s, ids["BCIMB000355"], "LIC_SAN", S.VIGENTE, today, expires_in=10)
        _procedure(s, ids["BCIMB000734"], "LIC_SAN", S.EN_TRAMITE, today)
        _procedure(s, ids["BCIMB000901"], "LIC_SAN", S.VIGENTE, today, expires_in=200)
        _procedure(s, ids["BCIMB000101"], "AVISO_FUNC", S.VENCIDA, today, expires_in=-5)
        _procedure(s, ids["BCIMB000102"], "AVISO_RESP", S.VIGENTE, today)
        auth_svc.set_required_override(s, ids["BCIMB000103"], "AVISO_FUNC", False, "Unidad en reubicación", USER)
        auth_svc.add_service(s, ids["BCIMB000355"], "URG", USER)
        staffed = auth_svc.add_service(s, ids["BCIMB000734"], "URG", USER)
        auth_svc.add_responsable(s, auth_svc.ResponsableData(staffed.id, "Dr. Luis Pérez",
                                                             valid_from=today - timedelta(days=30)), USER)
    return ids


@pytest.fixture
def fixture(factory, bc) -> dict[str, int]:
    return build_fixture(factory, bc.id, TODAY)


def test_state_figures(factory, bc, fixture):
    with factory() as s:
        data = svc.dashboard(s, bc.id, TODAY)
    assert (data.state_id, data.scope_label, data.today) == (bc.id, "Baja California", TODAY)

    est = data.establishments
    assert est.active == 8  # the retired unit and the Sonora one are not counted
    assert [(f.level, f.label, f.count) for f in est.levels] == [
        ("PRIMER", "Primer nivel", 4), ("SEGUNDO", "Segundo nivel", 2), ("TERCER", "Tercer nivel", 1),
        ("NO_APLICA", "No aplica", 1)]
    primer = est.level("PRIMER")
    assert primer.status_count("EN_OPERACION") == 3 and primer.status_count("CERRADO_TEMPORALMENTE") == 1
    assert (est.without_zone, est.regions, est.zones) == (5, 1, 1)

    weekend = data.weekend
    assert (weekend.label, weekend.target, weekend.eligible, weekend.registered, weekend.unregistered) == (
        "Baja California", 107, 4, 3, 1)
    assert (weekend.viable, weekend.open_units, weekend.pending, weekend.progress) == (2, 1, 1, 0.9)
    assert (weekend.doctors_assigned, weekend.doctors_needed) == (2, 107)

    auth = data.authorisations
    # required: 4 first-level × (aviso de funcionamiento + aviso de responsable) − 1 override
    #           + 3 hospitals × (licencia sanitaria + aviso de responsable) = 13
    assert (auth.required, auth.current, auth.in_process, auth.not_started, auth.other) == (13, 3, 1, 8, 1)
    assert auth.current_percent == 23.08
    assert (auth.expiring, auth.expired, auth.services_without_responsable) == (1, 1, 1)
    assert [(t.code, t.required, t.current, t.in_process, t.not_started, t.other) for t in auth.by_type] == [
        ("LIC_SAN", 3, 2, 1, 0, 0), ("AVISO_FUNC", 3, 0, 0, 2, 1), ("AVISO_RESP", 7, 1, 0, 6, 0)]


def test_national_figures_add_every_state(factory, bc, fixture):
    with factory() as s:
        data = svc.dashboard(s, None, TODAY)
    assert data.state_id is None and data.scope_label == svc.NATIONAL_LABEL
    assert data.establishments.active == 9 and data.establishments.level("PRIMER").count == 5
    assert data.establishments.without_zone == 6
    assert data.weekend.target == 8277 and data.weekend.eligible == 5 and data.weekend.open_units == 1
    assert data.authorisations.required == 15 and data.authorisations.not_started == 10


def test_each_figure_is_the_length_of_the_list_behind_it(factory, bc, fixture):
    """The dashboard computes the authorisation and weekend figures on its own (fast) path: they must equal the
    services that fill the pages' lists, here with one procedure in every status on top of the fixture."""
    today = TODAY
    with factory.begin() as s:
        for n, status in enumerate(S):
            hospital = est_svc.create_establishment(s, est_svc.EstablishmentData(
                bc.id, f"BCIMB0005{n:02d}", f"Hospital {n}", "SEGUNDO"), USER).id
            expires = {S.POR_VENCER: 20, S.VENCIDA: -1, S.VIGENTE: -3, S.OTORGADA: 40}.get(status)
            _procedure(s, hospital, "LIC_SAN", status, today, expires_in=expires)
    for state_id in (bc.id, None):
        with factory() as s:
            data = svc.dashboard(s, state_id, today)
            total = auth_svc.summary(s, state_id, today)[-1]
            alerts = auth_svc.alerts(s, state_id, today)
            pending = weekend_svc.pending_units(s, today, state_id)
            table = est_svc.load_table(s, state_id)
            unassigned = (len(regions_svc.list_unassigned(s, state_id)) if state_id
                          else sum(len(regions_svc.list_unassigned(s, sid)) for sid in {bc.id, fixture_state(s)}))
        auth = data.authorisations
        assert (auth.required, auth.current, auth.in_process, auth.not_started) == (
            total.required, total.current, total.in_process, total.not_started)
        assert auth.current_percent == total.current_percent
        assert (auth.expiring, auth.expired, auth.services_without_responsable) == (
            len(alerts.expiring[30]), len(alerts.expired), len(alerts.services_without_responsable))
        assert data.weekend.pending == len(pending)
        levels = [lv for lv, retired in zip(table.levels, table.retired) if not retired]
        assert data.establishments.active == len(levels)
        assert all(f.count == levels.count(f.level) for f in data.establishments.levels)
        assert data.establishments.without_zone == unassigned


def fixture_state(session) -> int:
    return office_svc.find_state(session, "SR").id


def test_an_empty_database_gives_zeros(factory, bc):
    with factory() as s:
        data = svc.dashboard(s, bc.id, TODAY)
    assert data.establishments.active == 0 and data.establishments.without_zone == 0
    assert data.weekend.target == 107 and data.weekend.open_units == 0 and data.weekend.progress == 0.0
    assert data.authorisations.required == 0 and data.authorisations.current_percent is None
    assert data.authorisations.by_type == ()
