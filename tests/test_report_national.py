"""«Informe nacional consolidado»: one row per adhered state (with data or not) and computed totals in every table,
weekend rollout with block subtotals, authorisations with the indicator on the total, the quality page, and the
headless command."""
from __future__ import annotations

import re
from datetime import date, time

import pytest
from sqlalchemy import func, insert, select

from gui.cli import build_parser, run_headless
from models.entities import Establishment, State, Typology, WeekendRecord, WeekendShift, WeekendStaff
from models.services import authorisations as auth_svc
from models.services import office as office_svc
from models.services import regions as reg_svc
from reports import state as state_report
from reports.catalog import ReportRequest, generate
from tests.helpers import flat, new_establishment, pdf_pages, sync_id_sequences, table_dump

USER = "oficina nacional"
AS_OF = date(2026, 10, 31)
D = date


def _sonora(session, state_id: int) -> None:
    """Sonora in bulk: 152 units open 7 days, 20 without a Sunday shift, 2 mobile units and 3 hospitals."""
    umm = session.scalars(select(Typology.id).where(Typology.code == "UMM")).one()
    est = (session.scalar(select(func.max(Establishment.id))) or 0) + 1
    rec = (session.scalar(select(func.max(WeekendRecord.id))) or 0) + 1
    establishments, records, shifts, staff = [], [], [], []
    plan = [("PRIMER", None, range(7))] * 152 + [("PRIMER", None, range(6))] * 20 + [("PRIMER", umm, None)] * 2 \
        + [("SEGUNDO", None, None)] * 3
    for level, typology, days in plan:
        establishments.append({"id": est, "clues": f"SRIMB{est:06d}", "name": f"UNIDAD {est}", "state_id": state_id,
                               "level_of_care": level, "typology_id": typology, "changed_by": USER})
        if days is not None:
            records.append({"id": rec, "establishment_id": est, "viable": True, "weekend_since": D(2026, 3, 1)})
            shifts += [{"record_id": rec, "weekday": d, "kind": "MATUTINO", "starts_at": time(8), "ends_at": time(14)}
                       for d in days]
            staff.append({"record_id": rec, "role": "MEDICO", "full_name": f"Dr. {est}", "hired_on": D(2026, 2, 1)})
            rec += 1
        est += 1
    for entity, rows in ((Establishment, establishments), (WeekendRecord, records), (WeekendShift, shifts),
                         (WeekendStaff, staff)):
        session.execute(insert(entity), rows)
    sync_id_sequences(session, Establishment, WeekendRecord)


@pytest.fixture
def country(factory, bc):
    """Baja California (a hospital coordinating a zone, a health centre, two licences) and Sonora (in bulk)."""
    hospital = new_establishment(factory, bc.id, "BCIMB000010", "HOSPITAL GENERAL MEXICALI", "SEGUNDO").id
    centre = new_establishment(factory, bc.id, "BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "PRIMER").id
    with factory.begin() as s:
        region = reg_svc.create_region(s, bc.id, "Región I Mexicali", USER).id
        zone = reg_svc.create_zone(s, region, "ZSM Mexicali", USER).id
        reg_svc.set_coordinator(s, zone, hospital, USER)
        reg_svc.create_team(s, region, "ESZ Mexicali", USER)
        sonora = office_svc.find_state(s, "SR").id
        _sonora(s, sonora)
        for est, code, values in [
            (hospital, "LIC_SAN", dict(status="VIGENTE", submitted_on=D(2026, 1, 10), granted_on=D(2026, 2, 10))),
            (centre, "AVISO_RESP", dict(status="VIGENTE", submitted_on=D(2025, 1, 10), granted_on=D(2025, 2, 10),
                                        expires_on=D(2026, 9, 30))),  # «vigente» whose expiry date has passed
        ]:
            auth_svc.create_authorisation(s, auth_svc.AuthorisationData(est, code, **values), USER, on=D(2025, 1, 5),
                                          today=AS_OF)
    return {"bc": bc.id, "sonora": sonora}


def national_pdf(factory, **extra) -> list[str]:
    with factory() as s:
        return pdf_pages(generate(s, ReportRequest("national", AS_OF, **extra)))


def test_national_report_has_every_adhered_state_and_computed_totals(engine, factory, country):
    before = table_dump(engine)
    pages = national_pdf(factory)
    assert table_dump(engine) == before  # read-only
    first, everything = flat(pages[0]), flat(" ".join(pages))
    assert "Informe nacional consolidado" in first and "Oficina nacional" in first
    assert f"Página 1 de {len(pages)}" in first and "Fecha de corte: 31 de octubre de 2026" in first
    with factory() as s:
        adhered = [st.short_name for st in office_svc.list_states(s, adhered_only=True)]
    assert len(adhered) == 23
    for name in adhered:  # every adhered state has its row, with or without data
        assert everything.count(name) >= 4, name
    # establishments by level: rows, an empty state, and the computed total
    assert "Baja California 1 1 0 0 2" in first and "Sonora 174 3 0 0 177" in first
    assert "Campeche 0 0 0 0 0" in first
    assert re.search(r"Total 175 4 0 0 179 ", first)
    # regions: registered structure, units without zone, total
    assert "Baja California 1 1 1 0 1 1" in everything and "Sonora 0 0 0 0 0 177" in everything
    assert re.search(r"Total 1 1 1 0 1 178 ", everything)
    assert "Regiones operativas: registradas / publicadas = 1 / 135" in everything
    # weekend: state row, block subtotals as the service gives them, overall total and its indicator
    assert "Sonora 218 172 152 69.7% 172 218" in everything
    assert "Total Bloque 1 911 172 152 16.7% 172 911" in everything
    assert "Total Bloque 2 2,734 0 0 0.0% 0 2,734" in everything
    assert re.search(r"Total 8,277 172 152 1\.8% 172 8,277", everything)
    assert "Unidades abiertas 7 días / meta = 152 / 8,277 = 1.84%" in everything
    assert "Unidades abiertas los 7 días frente a la meta, por entidad" in everything  # the chart's title
    # authorisations: BC 4 required (2 + 2), Sonora 354 (174 × 2 + 3 × 2); totals and the indicator formula
    assert "Baja California 4 1 0 2 2 50.00% 25.00%" in everything
    assert "Sonora 354 0 0 0 354 0.00% 0.00%" in everything
    assert re.search(r"Total 358 1 0 2 356 0\.56% 0\.28%", everything)
    assert "Autorizaciones obtenidas / requeridas = 2 / 358 = 0.56%" in everything
    assert "Autorizaciones vigentes / requeridas = 1 / 358 = 0.28%" in everything
    assert "Licencia sanitaria: obtenidas / requeridas = 1 / 4 = 25.00%" in everything
    # the quality page, last
    last = flat(pages[-1])
    assert "Revisiones de calidad de datos" in last
    assert "Baja California: 1 establecimientos activos sin zona" in last
    assert "autorizaciones con estado vigente y vencimiento pasado (BCIMB000101 AVISO_RESP)" in last
    assert "Sonora: 177 establecimientos activos sin zona" in last
    assert "Elaboró" in everything and "Revisó" in everything and "Vo. Bo." in everything


def test_per_state_authorisation_counts_equal_the_service(factory, country):
    with factory() as s:
        items, state_of = state_report.compliance_items(s, None, AS_OF)
        for state_id in country.values():
            mine = [i for i in items if state_of[i.establishment_id] == state_id]
            assert state_report.summary_rows(s, mine) == auth_svc.summary(s, state_id, AS_OF)


def test_national_report_with_a_period_and_an_empty_database(factory, bc):
    pages = national_pdf(factory, period_start=D(2026, 1, 1), period_end=D(2026, 6, 30))
    first, everything = flat(pages[0]), flat(" ".join(pages))
    assert "Periodo: 1 de enero – 30 de junio de 2026" in first
    assert "Obtenidas en el periodo" in everything
    assert re.search(r"Total 0 0 0 0 0 ", first)
    assert "Autorizaciones obtenidas / requeridas = 0 / 0 = — (denominador cero)" in everything
    assert re.search(r"Total 8,277 0 0 0\.0% 0 8,277", everything)  # the targets are there, nothing open


def test_report_cli_national(db_path, factory, country, tmp_path, capsys):
    out = tmp_path / "nacional.pdf"
    parser = build_parser()
    args = parser.parse_args(["--db", str(db_path), "report", "national", "--as-of", "2026-10-31", "--out", str(out)])
    assert run_headless(args) == 0
    assert "Reporte generado" in capsys.readouterr().out
    first = flat(pdf_pages(out.read_bytes())[0])
    assert "Informe nacional consolidado" in first and "Fecha de corte: 31 de octubre de 2026" in first
    args = parser.parse_args(["--db", str(db_path), "report", "national", "--state", "BC", "--out", str(out)])
    assert run_headless(args) == 2
    assert "abarca todas las entidades" in capsys.readouterr().err


def test_a_state_outside_the_adhered_list_with_records_gets_its_row(factory, country):
    with factory.begin() as s:
        jalisco = s.scalars(select(State).where(State.clues_prefix == "JC")).one()
        assert not jalisco.adhered
    new_establishment(factory, jalisco.id, "JCSSA000001", "CENTRO DE SALUD GUADALAJARA", "PRIMER")
    everything = flat(" ".join(national_pdf(factory)))
    assert "Jalisco 1 0 0 0 1" in everything
    assert "con registros sin estar adheridas: 1" in everything
