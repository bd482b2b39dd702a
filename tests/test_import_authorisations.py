"""Importing the offices' authorisation spreadsheets: valid rows, each kind of row error, re-import,
all-or-nothing behaviour (crash and cancellation)."""
from __future__ import annotations

from datetime import date as D
from pathlib import Path

import pytest
from sqlalchemy import select, text

import models.importing.authorisations as imp  # noqa: F401 - registers the kind
from models.entities import AuditEntry
from models.enums import AuthorisationStatus as S
from models.importing import ImportCancelled, Progress
from models.importing.runner import plan_file
from models.importing.spec import KINDS
from models.services import authorisations as svc
from models.services import office as office_svc
from tests.helpers import assert_file_intact, new_establishment, table_dump

DATA = Path(__file__).parent / "data" / "authorisations"
VALID = DATA / "autorizaciones_bc.xlsx"
ERRORS = DATA / "autorizaciones_errores_bc.xlsx"
USER = "capturista"


@pytest.fixture
def units(factory, bc):
    with factory() as s:
        sonora = office_svc.find_state(s, "26")
    ids = {
        "hg1": new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO").id,
        "hg2": new_establishment(factory, bc.id, "BCIMB000734", "Hospital General Tijuana", "SEGUNDO").id,
        "cs": new_establishment(factory, bc.id, "BCIMB000010", "Centro de Salud Ensenada", "PRIMER").id,
        "son": new_establishment(factory, sonora.id, "SRIMB000001", "Centro de Salud Hermosillo", "PRIMER").id,
    }
    with factory.begin() as s:  # the Tijuana hospital's licence was already registered, without folio
        svc.create_authorisation(s, svc.AuthorisationData(ids["hg2"], "LIC_SAN"), USER, on=D(2024, 1, 5))
    return ids


def run_import(factory, path, state_id, progress=None):
    """Plan and apply in one transaction, as the wizard and the CLI do; returns (plan, counts)."""
    with factory.begin() as session:
        plan = plan_file(session, "authorisations", path, None, state_id)
        kind = KINDS["authorisations"]
        counts = kind.applier(session, plan, USER, progress=progress or Progress())
    return plan, counts


def procedures(factory, establishment_id) -> dict[str, svc.AuthorisationData]:
    with factory() as s:
        return {f"{a.type_code} {a.folio}".strip(): a for a in svc.list_authorisations(s, establishment_id)}


def test_the_kind_is_registered_with_the_spreadsheet_headers():
    kind = KINDS["authorisations"]
    assert [f.header for f in kind.fields] == [
        "CLUES", "TIPO DE AUTORIZACION", "AUTORIDAD", "FOLIO", "ESTATUS", "FECHA DE INGRESO", "FECHA DE OTORGAMIENTO",
        "FECHA DE VENCIMIENTO", "SERVICIO", "RESPONSABLE SANITARIO", "CEDULA PROFESIONAL"]
    assert kind.planner is imp.plan_import and kind.applier is imp.apply_import
    assert {f.key for f in kind.fields if f.required} == {"clues", "type"}


def test_valid_rows_create_and_update_procedures_services_and_responsables(factory, units, bc):
    plan, counts = run_import(factory, VALID, bc.id)
    assert plan.rejected == []
    assert [p.row for p in plan.new] == [4, 6, 7, 8]
    assert [u.row for u in plan.updated] == [5]
    assert plan.skipped_other_state == 1
    assert counts == {"nuevos": 4, "actualizados": 1, "sin_cambios": 0, "rechazados": 0, "omitidos_otra_entidad": 1}

    hg1 = procedures(factory, units["hg1"])
    assert set(hg1) == {"LIC_SAN LS-2023-0001", "LIC_CNSNS CNSNS-1", "PERMISO"}
    lic = hg1["LIC_SAN LS-2023-0001"]
    assert (lic.status, lic.authority_code, lic.submitted_on, lic.granted_on, lic.expires_on) == (
        "VIGENTE", "COFEPRIS", D(2023, 1, 10), D(2023, 3, 15), None)
    cnsns = hg1["LIC_CNSNS CNSNS-1"]
    assert (cnsns.status, cnsns.authority_code, cnsns.expires_on) == ("VIGENTE", "CNSNS", D(2030, 6, 1))
    permiso = hg1["PERMISO"]
    assert permiso.status == "REQUERIDA" and permiso.authority_code == "COFEPRIS"  # the type's default authority
    assert permiso.service_id == cnsns.service_id is not None
    with factory() as s:
        [rx] = svc.list_services(s, units["hg1"])
        assert rx.service_code == "RX"
        assert [(r.full_name, r.cedula_profesional) for r in rx.responsables] == [("Dra. Ana López Pérez", "1234567")]
        assert rx.current_responsable is not None
        events = svc.history(s, cnsns.id)
        assert [(e.from_status, e.to_status, e.user) for e in events] == [(None, "VIGENTE", "capturista (importación)")]
        assert "autorizaciones_bc.xlsx" in events[0].comment and "fila 7" in events[0].comment

    [hg2] = procedures(factory, units["hg2"]).values()  # the existing procedure was updated, not duplicated
    assert (hg2.status, hg2.submitted_on, hg2.folio) == ("EN_TRAMITE", D(2024, 2, 1), "")
    with factory() as s:
        assert [(e.from_status, e.to_status) for e in svc.history(s, hg2.id)] == [(None, "REQUERIDA"),
                                                                                  ("REQUERIDA", "EN_TRAMITE")]
    [aviso] = procedures(factory, units["cs"]).values()
    assert (aviso.type_code, aviso.folio, aviso.status, aviso.submitted_on, aviso.granted_on) == (
        "AVISO_FUNC", "AV-77", "OTORGADA", D(2022, 5, 5), D(2022, 5, 6))
    assert procedures(factory, units["son"]) == {}
    with factory() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "importar" and entry.entity == "autorizaciones" and '"nuevos": 4' in entry.after_json


def test_reimporting_the_same_file_changes_nothing(engine, factory, units, bc):
    run_import(factory, VALID, bc.id)
    before = table_dump(engine)
    plan, counts = run_import(factory, VALID, bc.id)
    assert plan.new == [] and plan.updated == [] and plan.rejected == []
    assert len(plan.unchanged) == 5 and counts["sin_cambios"] == 5
    assert table_dump(engine) == before  # not even an audit entry


def test_a_later_file_updates_the_procedure_matched_by_folio(factory, units, bc, tmp_path):
    run_import(factory, VALID, bc.id)
    from models.importing.export import write_table

    later = tmp_path / "posterior.xlsx"
    write_table(later, ["CLUES", "TIPO DE AUTORIZACION", "FOLIO", "ESTATUS", "FECHA DE VENCIMIENTO"],
                [["BCIMB000355", "LIC_SAN", "LS-2023-0001", "", "15/03/2033"]])
    plan, counts = run_import(factory, later, bc.id)
    assert counts["actualizados"] == 1 and counts["nuevos"] == 0
    [update] = plan.updated
    assert update.changes == {"expires_on": (None, D(2033, 3, 15))}  # blank status keeps «Vigente»
    lic = procedures(factory, units["hg1"])["LIC_SAN LS-2023-0001"]
    assert (lic.status, lic.expires_on) == ("VIGENTE", D(2033, 3, 15))


EXPECTED_ERRORS = [
    (2, "CLUES", "La CLUES es obligatoria."),
    (3, "CLUES", "La CLUES BCIMB000999 no está registrada"),
    (4, "TIPO DE AUTORIZACION", "«LICENCIA DE CONDUCIR» no es un tipo de autorización del catálogo"),
    (5, "AUTORIDAD", "«IMSS» no es una autoridad del catálogo"),
    (6, "ESTATUS", "«Aprobadísima» no es un estado del trámite"),
    (7, "FECHA DE INGRESO", "Fecha de ingreso: «31/02/2024» no es una fecha válida"),
    (8, "FECHA DE OTORGAMIENTO", "no puede ser anterior a la fecha de ingreso (10/03/2024)"),
    (9, "FECHA DE VENCIMIENTO", "debe ser posterior a la fecha de otorgamiento (01/02/2024)"),
    (10, "FECHA DE INGRESO", "Una autorización en estado «Vigente» necesita la fecha de ingreso."),
    (11, "SERVICIO", "«Tomografía» no es un servicio del catálogo"),
    (12, "SERVICIO", "Indique el servicio del que es responsable sanitario Dr. Equis."),
    (13, "CEDULA PROFESIONAL", "La cédula profesional sólo lleva dígitos"),
    (15, "FOLIO", "La fila 14 ya se refiere a este mismo trámite"),
    (16, "FOLIO", "BCIMB000734 tiene 2 trámites de «Comité (registro)»; indique el folio"),
    (17, "RESPONSABLE SANITARIO", "tiene como responsable sanitario vigente a Dra. Vieja"),
    (18, "FECHA DE INGRESO", "La fecha de ingreso no puede ser posterior a hoy"),
]


def test_each_kind_of_row_error_is_reported_with_row_and_column(engine, factory, units, bc):
    with factory.begin() as s:
        for _ in range(2):
            svc.create_authorisation(s, svc.AuthorisationData(units["hg2"], "COMITE"), USER, on=D(2024, 1, 5))
        urg = svc.add_service(s, units["cs"], "URG", USER)
        svc.add_responsable(s, svc.ResponsableData(urg.id, "Dra. Vieja", "Médica", "7654321", D(2020, 1, 1)), USER)
    with factory() as s:
        plan = plan_file(s, "authorisations", ERRORS, None, bc.id)
    got = [(i.row, i.column, i.reason) for i in plan.rejected]
    for row, column, fragment in EXPECTED_ERRORS:
        assert any(r == row and c == column and fragment in reason for r, c, reason in got), (row, column, fragment, got)
    assert sorted(plan.rejected_rows) == [r for r, _c, _f in EXPECTED_ERRORS]
    assert plan.new == [] and [u.row for u in plan.updated] == [14]  # gives its folio to the licence without one
    lines = plan.summary_lines()
    assert "  Rechazados: 16" in lines
    assert "Fila 8, columna FECHA DE OTORGAMIENTO: La fecha de otorgamiento (01/03/2024) no puede ser anterior a la " \
           "fecha de ingreso (10/03/2024)." in lines
    # applying writes the valid row only, in the caller's transaction
    _plan, counts = run_import(factory, ERRORS, bc.id)
    assert counts["actualizados"] == 1 and counts["nuevos"] == 0 and counts["rechazados"] == 16
    assert set(procedures(factory, units["hg2"])) == {"LIC_SAN F-14", "COMITE"}
    assert set(procedures(factory, units["hg1"])) == set()


def test_a_crash_half_way_leaves_the_database_exactly_as_it_was(engine, factory, units, bc):
    before = table_dump(engine)

    def explode(done, total, stage):
        if stage == "Guardando" and done >= 2:
            raise RuntimeError("corte de luz simulado")

    with pytest.raises(RuntimeError, match="corte de luz"):
        run_import(factory, VALID, bc.id, progress=Progress(explode))
    assert table_dump(engine) == before
    assert_file_intact(engine)


def test_cancelling_the_import_rolls_everything_back(engine, factory, units, bc):
    before = table_dump(engine)
    progress = Progress(lambda done, total, stage: progress.cancel() if stage == "Guardando" and done else None)
    with pytest.raises(ImportCancelled):
        run_import(factory, VALID, bc.id, progress=progress)
    assert table_dump(engine) == before


def test_a_procedure_changed_after_validation_is_not_overwritten(factory, units, bc):
    with factory.begin() as s:
        plan = plan_file(s, "authorisations", VALID, None, bc.id)
    hg2 = next(iter(procedures(factory, units["hg2"]).values()))
    with factory.begin() as s:
        svc.update_authorisation(s, svc.AuthorisationData(**{**hg2.__dict__, "notes": "editado"}), "otra")
    with factory.begin() as s, pytest.raises(svc.ConcurrencyError, match="Vuelva a validar"):
        imp.apply_import(s, plan, USER)


def test_an_unregistered_unit_of_another_state_is_skipped_not_rejected(factory, bc, tmp_path):
    from models.importing.export import write_table

    path = tmp_path / "otra_entidad.xlsx"
    write_table(path, ["CLUES", "TIPO DE AUTORIZACION"], [["SRIMB000777", "LIC_SAN"], ["BCIMB000777", "LIC_SAN"]])
    with factory() as s:
        plan = plan_file(s, "authorisations", path, None, bc.id)
    assert plan.skipped_other_state == 1
    assert [(i.row, i.column) for i in plan.rejected] == [(3, "CLUES")]


def test_the_national_office_imports_every_state(factory, units):
    with factory.begin() as s:
        plan = plan_file(s, "authorisations", VALID, None, None)
    assert plan.skipped_other_state == 0 and [p.row for p in plan.new] == [4, 6, 7, 8, 9]
    assert S.VIGENTE.value == plan.new[-1].values["status"]
