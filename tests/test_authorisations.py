"""Sanitary authorisations: derivation of "required", services and responsables sanitarios, the state machine,
date rules, alert-list boundaries, the compliance table (published counts) and the headless commands."""
from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import date as D
from datetime import timedelta
from pathlib import Path

import pytest

from gui.cli_authorisations import SUMMARY_HEADERS, add_authorisations
from models.enums import AuthorisationStatus as S
from models.services import audit
from models.services import authorisations as svc
from models.services import office as office_svc
from models.validation import ValidationError
from tests.helpers import new_establishment

TODAY = D(2024, 6, 30)
USER = "capturista"


@pytest.fixture
def units(factory, bc):
    """Two second-level hospitals and one health centre in Baja California: ids by short name."""
    return {
        "hg1": new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO").id,
        "hg2": new_establishment(factory, bc.id, "BCIMB000734", "Hospital General Tijuana", "SEGUNDO").id,
        "cs": new_establishment(factory, bc.id, "BCIMB000010", "Centro de Salud Ensenada", "PRIMER").id,
    }


def dates_for(status: S) -> dict:
    """Dates that make a procedure valid in ``status`` on TODAY."""
    out = {}
    if status in svc.NEEDS_SUBMISSION or status in svc.NEEDS_GRANT:
        out["submitted_on"] = D(2024, 1, 10)
    if status in svc.NEEDS_GRANT:
        out["granted_on"] = D(2024, 2, 10)
        out["expires_on"] = D(2024, 6, 1) if status == S.VENCIDA else D(2025, 2, 10)
    return out


def new_procedure(factory, establishment_id: int, status: S = S.REQUERIDA, type_code: str = "LIC_SAN", **extra) -> int:
    values = {**dates_for(status), **extra}
    with factory.begin() as s:
        data = svc.AuthorisationData(establishment_id, type_code, status=status.value, **values)
        return svc.create_authorisation(s, data, USER, on=D(2024, 1, 5), today=TODAY).id


def required_of(factory, establishment_id: int) -> dict[str, bool]:
    with factory() as s:
        return {r.type_code: r.required for r in svc.requirements(s, establishment_id)}


# ------------------------------------------------------------------------------------------------
# Derivation of "required"
# ------------------------------------------------------------------------------------------------

def test_required_is_derived_from_level_of_care(factory, units):
    hospital, centre = required_of(factory, units["hg1"]), required_of(factory, units["cs"])
    assert hospital["LIC_SAN"] and not hospital["AVISO_FUNC"] and hospital["AVISO_RESP"]
    assert not centre["LIC_SAN"] and centre["AVISO_FUNC"] and centre["AVISO_RESP"]
    assert not hospital["COMITE"] and not hospital["PERMISO"] and not hospital["LIC_CNSNS"]
    with factory() as s:
        lic = next(r for r in svc.requirements(s, units["hg1"]) if r.type_code == "LIC_SAN")
    assert lic.by_default and "segundo nivel" in lic.default_reason and lic.override is None


def test_a_radiation_service_makes_the_cnsns_licence_required(factory, units):
    with factory.begin() as s:
        svc.add_service(s, units["cs"], "rx", USER)
    assert not required_of(factory, units["cs"])["LIC_CNSNS"]  # the catalogue rule names nuclear medicine
    with factory.begin() as s:
        svc.add_service(s, units["cs"], "MN", USER)
        reqs = {r.type_code: r for r in svc.requirements(s, units["cs"])}
    assert reqs["LIC_CNSNS"].required and reqs["LIC_CNSNS"].default_reason == "Requerida por el servicio MN."


def test_rule_reads_a_comma_separated_list_of_service_codes(factory, units):
    with factory() as s:
        cnsns = svc._type_by_code(s, "LIC_CNSNS")
        cnsns.required_for_service_code = "MN, RT"
        assert svc.default_rule("PRIMER", {"RT"}, cnsns) == "Requerida por el servicio RT."
        assert svc.default_rule("PRIMER", {"RX"}, cnsns) is None
        s.rollback()


def test_override_needs_a_reason_and_can_be_cleared(factory, units):
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.set_required_override(s, units["hg1"], "LIC_SAN", False, "  ", USER)
    assert "motivo" in exc.value.errors["override_reason"]
    with factory.begin() as s:
        r = svc.set_required_override(s, units["hg1"], "LIC_SAN", False, "Unidad en remodelación total", USER)
    assert (r.by_default, r.override, r.required, r.override_reason) == (True, False, False, "Unidad en remodelación total")
    with factory.begin() as s:
        r = svc.set_required_override(s, units["cs"], "COMITE", True, "Realiza investigación en humanos", USER)
    assert (r.by_default, r.required) == (False, True)
    with factory.begin() as s:
        r = svc.set_required_override(s, units["hg1"], "LIC_SAN", None, "", USER)
    assert r.override is None and r.required
    with factory() as s:
        assert audit.verify_chain(s) == []


def test_registering_a_procedure_makes_it_required_and_no_aplica_undoes_it(factory, units):
    auth = new_procedure(factory, units["cs"], type_code="PERMISO")
    assert required_of(factory, units["cs"])["PERMISO"]
    with factory.begin() as s:
        svc.change_status(s, auth, S.NO_APLICA, TODAY, USER, "No vende medicamentos controlados", today=TODAY)
    assert not required_of(factory, units["cs"])["PERMISO"]


# ------------------------------------------------------------------------------------------------
# Services and responsables sanitarios
# ------------------------------------------------------------------------------------------------

def test_services_and_their_responsable_sanitario(factory, units):
    with factory.begin() as s:
        rx = svc.add_service(s, units["hg1"], "RX", USER)
        lab = svc.add_service(s, units["hg1"], "LAB", USER)
        with pytest.raises(ValidationError) as exc:
            svc.add_service(s, units["hg1"], "RX", USER)
        assert "ya tiene el servicio" in exc.value.errors["service_code"]
        with pytest.raises(ValidationError):
            svc.add_service(s, units["hg1"], "XYZ", USER)
    with factory.begin() as s:
        svc.add_responsable(s, svc.ResponsableData(rx.id, "  Ana  López ", "Médica radióloga", "1234567",
                                                   D(2023, 1, 1), TODAY), USER)
        svc.add_responsable(s, svc.ResponsableData(lab.id, "Luis Pérez", "Químico", "7654321", D(2023, 1, 1),
                                                   TODAY - timedelta(days=1)), USER)
    with factory() as s:
        listed = {x.service_code: x for x in svc.list_services(s, units["hg1"], TODAY)}
        assert listed["RX"].current_responsable.full_name == "Ana López" and not listed["RX"].lacks_responsable
        assert listed["LAB"].lacks_responsable  # ended yesterday
        flagged = svc.services_without_responsable(s, None, TODAY)
        assert [(a.clues, a.what) for a in flagged] == [("BCIMB000355", "LAB")]
        later = svc.services_without_responsable(s, None, TODAY + timedelta(days=1))
        assert {a.what for a in later} == {"LAB", "RX"}


def test_responsable_validation(factory, units):
    with factory.begin() as s:
        rx = svc.add_service(s, units["hg1"], "RX", USER)
        svc.add_responsable(s, svc.ResponsableData(rx.id, "Ana López", valid_from=D(2023, 1, 1)), USER)
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.add_responsable(s, svc.ResponsableData(rx.id, "", cedula_profesional="12A", valid_from=D(2024, 2, 1),
                                                   valid_to=D(2024, 1, 1)), USER)
    assert set(exc.value.errors) == {"full_name", "cedula_profesional", "valid_to"}
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.add_responsable(s, svc.ResponsableData(rx.id, "Otro Médico", valid_from=D(2024, 3, 1)), USER)
    assert "traslapa" in exc.value.errors["valid_from"]
    with factory.begin() as s:
        ana = svc.list_services(s, units["hg1"], TODAY)[0].current_responsable
        svc.end_responsable(s, ana.id, D(2024, 2, 29), USER)
        svc.add_responsable(s, svc.ResponsableData(rx.id, "Otro Médico", valid_from=D(2024, 3, 1)), USER)
        assert svc.list_services(s, units["hg1"], TODAY)[0].current_responsable.full_name == "Otro Médico"


# ------------------------------------------------------------------------------------------------
# State machine
# ------------------------------------------------------------------------------------------------

ALLOWED = sorted((a.value, b.value) for a, targets in svc.TRANSITIONS.items() for b in targets)
FORBIDDEN = sorted((a.value, b.value) for a in S for b in S if b not in svc.TRANSITIONS[a])


def test_transitions_are_defined_for_every_status():
    assert set(svc.TRANSITIONS) == set(S)
    assert all(a not in targets for a, targets in svc.TRANSITIONS.items())
    assert len(ALLOWED) + len(FORBIDDEN) == len(S) ** 2


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_transition(factory, units, from_status, to_status):
    auth = new_procedure(factory, units["hg1"], S(from_status))
    extra = {"expires_on": TODAY - timedelta(days=1)} if to_status == S.VENCIDA else {}
    with factory.begin() as s:
        after = svc.change_status(s, auth, to_status, TODAY, USER, "motivo del cambio", today=TODAY, **extra)
    assert after.status == to_status
    with factory() as s:
        events = svc.history(s, auth)
    assert [(e.from_status, e.to_status) for e in events] == [(None, from_status), (from_status, to_status)]
    assert (events[-1].occurred_on, events[-1].user, events[-1].comment) == (TODAY, USER, "motivo del cambio")


@pytest.mark.parametrize("from_status", [s.value for s in S])
def test_every_forbidden_transition_is_refused(factory, units, from_status):
    auth = new_procedure(factory, units["hg1"], S(from_status))
    refused = [b for a, b in FORBIDDEN if a == from_status]
    assert refused
    for to_status in refused:
        with factory.begin() as s, pytest.raises(ValidationError) as exc:
            svc.change_status(s, auth, to_status, TODAY, USER, "motivo", today=TODAY)
        assert "No se puede pasar" in exc.value.errors["status"]
    with factory() as s:
        assert svc.get_authorisation(s, auth).status == from_status
        assert len(svc.history(s, auth)) == 1


@pytest.mark.parametrize(("from_status", "to_status"), [
    ("REQUERIDA", "OTORGADA"), ("REQUERIDA", "VIGENTE"), ("EN_TRAMITE", "VIGENTE"), ("NO_APLICA", "VIGENTE"),
    ("VENCIDA", "VIGENTE"), ("OTORGADA", "REQUERIDA"), ("REVOCADA", "VIGENTE")])
def test_sample_of_forbidden_transitions(from_status, to_status):
    assert not svc.can_transition(from_status, to_status)


def test_full_procedure_fills_dates_and_keeps_history(factory, units):
    auth = new_procedure(factory, units["hg1"])
    steps = [(S.INTEGRANDO_EXPEDIENTE, D(2024, 1, 8), {}), (S.INGRESADA, D(2024, 1, 15), {}),
             (S.EN_TRAMITE, D(2024, 2, 1), {}), (S.OTORGADA, D(2024, 3, 1), {"expires_on": D(2026, 3, 1)}),
             (S.VIGENTE, D(2024, 3, 2), {})]
    for status, on, extra in steps:
        with factory.begin() as s:
            svc.change_status(s, auth, status, on, "revisora", f"paso {status.value}", today=TODAY, **extra)
    with factory() as s:
        data = svc.get_authorisation(s, auth)
        assert (data.submitted_on, data.granted_on, data.expires_on) == (D(2024, 1, 15), D(2024, 3, 1), D(2026, 3, 1))
        assert data.authority_code == "COFEPRIS"  # the type's default authority
        assert [e.to_status for e in svc.history(s, auth)] == ["REQUERIDA"] + [st.value for st, _o, _e in steps]
        assert audit.verify_chain(s) == []


def test_no_aplica_and_revocation_need_a_comment(factory, units):
    auth = new_procedure(factory, units["hg1"], S.VIGENTE)
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.change_status(s, auth, S.REVOCADA, TODAY, USER, " ", today=TODAY)
    assert "motivo" in exc.value.errors["comment"]


def test_renewal_after_expiry_starts_with_new_dates(factory, units):
    auth = new_procedure(factory, units["hg1"], S.VENCIDA)
    with factory.begin() as s:
        data = svc.change_status(s, auth, S.INGRESADA, TODAY, USER, "renovación", today=TODAY)
    assert (data.submitted_on, data.granted_on, data.expires_on) == (TODAY, None, None)


def test_stale_version_is_refused(factory, units):
    auth = new_procedure(factory, units["hg1"])
    with factory.begin() as s:
        old = svc.get_authorisation(s, auth).version
        svc.change_status(s, auth, S.INTEGRANDO_EXPEDIENTE, TODAY, USER, today=TODAY)
    with factory.begin() as s, pytest.raises(svc.ConcurrencyError):
        svc.change_status(s, auth, S.INGRESADA, TODAY, USER, version=old, today=TODAY)


# ------------------------------------------------------------------------------------------------
# Date rules
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "dates", "field", "words"), [
    ("OTORGADA", (D(2024, 3, 1), D(2024, 2, 1), None), "granted_on", "anterior a la fecha de ingreso"),
    ("OTORGADA", (D(2024, 1, 1), D(2024, 2, 1), D(2024, 2, 1)), "expires_on", "posterior a la fecha de otorgamiento"),
    ("OTORGADA", (D(2024, 1, 1), D(2024, 2, 1), D(2024, 1, 31)), "expires_on", "posterior a la fecha de otorgamiento"),
    ("INGRESADA", (TODAY + timedelta(days=1), None, None), "submitted_on", "fecha de ingreso no puede ser posterior a hoy"),
    ("OTORGADA", (D(2024, 1, 1), TODAY + timedelta(days=1), None), "granted_on", "otorgamiento no puede ser posterior"),
    ("REQUERIDA", (None, None, D(2025, 1, 1)), "expires_on", "Capture la fecha de otorgamiento"),
    ("EN_TRAMITE", (None, None, None), "submitted_on", "necesita la fecha de ingreso"),
    ("VIGENTE", (D(2024, 1, 1), None, None), "granted_on", "necesita la fecha de otorgamiento"),
    ("POR_VENCER", (D(2024, 1, 1), D(2024, 2, 1), None), "expires_on", "necesita la fecha de vencimiento"),
    ("VENCIDA", (D(2024, 1, 1), D(2024, 2, 1), D(2024, 7, 1)), "expires_on", "aún no llega"),
])
def test_date_rules_name_the_field(status, dates, field, words):
    errors = svc.check_dates(status, *dates, today=TODAY)
    assert words in errors[field]


def test_valid_dates_pass_and_expiry_is_optional():
    assert svc.check_dates("VIGENTE", D(2024, 1, 1), D(2024, 1, 1), None, today=TODAY) == {}
    assert svc.check_dates("OTORGADA", D(2024, 1, 1), TODAY, D(2024, 7, 1), today=TODAY) == {}


def test_create_and_update_apply_the_date_rules(factory, units):
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.create_authorisation(s, svc.AuthorisationData(units["hg1"], "LIC_SAN", "NADIE", status="OTORGADA",
                                                          submitted_on=D(2024, 3, 1), granted_on=D(2024, 2, 1)),
                                 USER, today=TODAY)
    assert set(exc.value.errors) == {"authority_code", "granted_on"}
    auth = new_procedure(factory, units["hg1"], S.VIGENTE, folio="COF-123")
    with factory.begin() as s:
        data = svc.get_authorisation(s, auth)
        data.expires_on = data.granted_on
        with pytest.raises(ValidationError) as exc:
            svc.update_authorisation(s, data, USER, today=TODAY)
        assert "expires_on" in exc.value.errors
        data.expires_on, data.folio, data.status = None, " COF-124 ", "REQUERIDA"  # status is ignored here
        saved = svc.update_authorisation(s, data, USER, today=TODAY)
    assert (saved.folio, saved.expires_on, saved.status) == ("COF-124", None, "VIGENTE")


def test_change_date_cannot_be_future_or_before_the_last_change(factory, units):
    auth = new_procedure(factory, units["hg1"])
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.change_status(s, auth, S.INTEGRANDO_EXPEDIENTE, TODAY + timedelta(days=1), USER, today=TODAY)
    assert "posterior a hoy" in exc.value.errors["occurred_on"]
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.change_status(s, auth, S.INTEGRANDO_EXPEDIENTE, D(2024, 1, 1), USER, today=TODAY)
    assert "anterior al último cambio" in exc.value.errors["occurred_on"]


def test_service_of_another_establishment_is_refused(factory, units):
    with factory.begin() as s:
        rx = svc.add_service(s, units["hg2"], "MN", USER)
    with factory.begin() as s, pytest.raises(ValidationError) as exc:
        svc.create_authorisation(s, svc.AuthorisationData(units["hg1"], "LIC_CNSNS", service_id=rx.id), USER,
                                 today=TODAY)
    assert "service_id" in exc.value.errors


# ------------------------------------------------------------------------------------------------
# Alert lists around their boundaries
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def expiring_setup(factory, units):
    """Current licences expiring today, in 30, 31 and 61 days; one past its date; one marked expired."""
    ids = {}
    for key, days in (("today", 0), ("d30", 30), ("d31", 31), ("d61", 61), ("past", -1)):
        est = new_establishment(factory, office_id(factory), f"BCIMB1000{days + 10:02d}", f"Unidad {key}", "SEGUNDO").id
        ids[key] = new_procedure(factory, est, S.VIGENTE, expires_on=TODAY + timedelta(days=days))
    ids["vencida"] = new_procedure(factory, units["hg1"], S.VENCIDA)
    return ids


def office_id(factory) -> int:
    with factory() as s:
        return office_svc.get_office(s).state.id


def test_expiring_lists_include_today_and_the_last_day(factory, expiring_setup):
    ids = expiring_setup
    with factory() as s:
        alerts = svc.alerts(s, None, TODAY)
        in30 = [a.authorisation_id for a in svc.expiring(s, None, 30, TODAY)]
    assert in30 == [ids["today"], ids["d30"]]
    assert [a.authorisation_id for a in alerts.expiring[30]] == in30
    assert [a.authorisation_id for a in alerts.expiring[60]] == [ids["today"], ids["d30"], ids["d31"]]
    assert [a.authorisation_id for a in alerts.expiring[90]] == [ids["today"], ids["d30"], ids["d31"], ids["d61"]]
    assert [a.days_left for a in alerts.expiring[90]] == [0, 30, 31, 61]
    assert {a.authorisation_id for a in alerts.expired} == {ids["past"], ids["vencida"]}


def test_not_started_lists_required_pairs_without_progress(factory, units):
    new_procedure(factory, units["hg1"], S.INGRESADA)
    with factory() as s:
        items = svc.alerts(s, None, TODAY).not_started
    got = {(a.clues, a.what) for a in items}
    assert ("BCIMB000355", "LIC_SAN") not in got
    assert {("BCIMB000734", "LIC_SAN"), ("BCIMB000734", "AVISO_RESP"), ("BCIMB000010", "AVISO_FUNC")} <= got


# ------------------------------------------------------------------------------------------------
# Compliance table
# ------------------------------------------------------------------------------------------------

def test_published_table_percentages_and_computed_total():
    published = [("LIC_SAN", "Licencias sanitarias (COFEPRIS)", 1754, 344, 6, 16, 0),
                 ("AVISO_FUNC", "Avisos de funcionamiento (DIGIPRIS)", 1836, 54, 12, 9, 0),
                 ("COMITE", "Comités", 217, 51, 0, 0, 0),
                 ("LIC_CNSNS", "Licencias CNSNS", 7, 4, 0, 0, 0)]
    rows = svc.summary_table(published)
    assert [r.percent for r in rows] == [0.91, 0.49, 0.0, 0.0, 0.66]
    total = rows[-1]
    assert total.is_total and (total.required, total.current, total.in_process, total.obtained) == (3814, 453, 18, 25)
    assert total.percent != 1.40  # the printed total summed the percentages; ours is computed: 25 / 3,814
    assert svc.percent(25, 3814) == 0.66 and svc.percent(1, 0) is None


def test_summary_counts_a_state_from_its_procedures(factory, units, bc):
    new_procedure(factory, units["hg1"], S.VIGENTE, granted_on=D(2024, 2, 10))
    new_procedure(factory, units["hg2"], S.EN_TRAMITE)
    new_procedure(factory, units["hg2"], S.VIGENTE, type_code="AVISO_RESP", granted_on=D(2023, 12, 1),
                  submitted_on=D(2023, 11, 1))
    new_procedure(factory, units["cs"], S.VENCIDA, type_code="AVISO_FUNC")
    with factory() as s:
        rows = {r.type_code: r for r in svc.summary(s, bc.id, TODAY, D(2024, 1, 1), D(2024, 6, 30))}
        whole = {r.type_code: r for r in svc.summary(s, None, TODAY)}
        items = svc.compliance_items(s, bc.id, TODAY, D(2024, 1, 1), D(2024, 6, 30))
    lic = rows["LIC_SAN"]
    assert (lic.required, lic.current, lic.in_process, lic.obtained, lic.not_started, lic.percent) == (2, 1, 1, 1, 0, 50.0)
    resp = rows["AVISO_RESP"]
    assert (resp.required, resp.current, resp.obtained, resp.not_started) == (3, 1, 0, 2)  # granted before the period
    assert whole["AVISO_RESP"].obtained == 1  # no period start: everything granted up to the cut-off
    func = rows["AVISO_FUNC"]
    assert (func.required, func.current, func.obtained) == (1, 0, 1)  # granted in the period, expired since
    assert rows["COMITE"].required == 0 and rows["COMITE"].percent is None
    total = rows[""]
    assert (total.required, total.current, total.in_process, total.obtained) == (6, 2, 1, 2)
    assert total.percent == svc.percent(2, 6) == 33.33 and total.current_percent == 33.33
    # drill-down: the establishments behind "current" licences
    assert [(i.clues, i.type_code) for i in items if i.current and i.type_code == "LIC_SAN"] == [("BCIMB000355", "LIC_SAN")]


def test_override_removes_an_establishment_from_the_table(factory, units, bc):
    with factory.begin() as s:
        svc.set_required_override(s, units["hg2"], "LIC_SAN", False, "En proceso de baja", USER)
    with factory() as s:
        lic = next(r for r in svc.summary(s, bc.id, TODAY) if r.type_code == "LIC_SAN")
    assert lic.required == 1


# ------------------------------------------------------------------------------------------------
# Headless commands
# ------------------------------------------------------------------------------------------------

def run_cli(db: Path, *argv: str, capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    add_authorisations(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--db", str(db), *argv])
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_cli_summary_and_expiring(db_path, factory, units, capsys):
    new_procedure(factory, units["hg1"], S.VIGENTE, expires_on=TODAY + timedelta(days=10))
    code, out = run_cli(db_path, "authorisations", "summary", "--state", "BC", "--from", "2024-01-01",
                        "--to", "2024-06-30", capsys=capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(SUMMARY_HEADERS)
    lic = next(r for r in rows if r["CLAVE"] == "LIC_SAN")
    assert (lic["REQUERIDAS"], lic["VIGENTES"], lic["OBTENIDAS EN EL PERIODO"], lic["ESTATUS %"]) == ("2", "1", "1", "50.00")
    assert rows[-1]["CLAVE"] == "TOTAL"
    code, out = run_cli(db_path, "authorisations", "expiring", "--days", "30", "--as-of", "2024-06-30",
                        "--format", "json", capsys=capsys)
    assert code == 0
    assert [(r["CLUES"], r["AUTORIZACION"], r["DIAS RESTANTES"]) for r in json.loads(out)] == [("BCIMB000355", "LIC_SAN", 10)]
    code, out = run_cli(db_path, "authorisations", "expiring", "--days", "9", "--as-of", "2024-06-30", capsys=capsys)
    assert len(list(csv.DictReader(io.StringIO(out)))) == 0
    code, out = run_cli(db_path, "authorisations", "summary", "--state", "Atlántida", capsys=capsys)
    assert code == 2 and "Entidad desconocida" in out
