"""«Informe de situación estatal»: figures, computed totals, indicator lines, alert lists, the quality page, the
3,000-establishment annex that paginates with its header repeated, the column-wise compliance pass (equal to the
service) and the headless command."""
from __future__ import annotations

import io
import re
import time as clock
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import insert, select

from gui.cli import build_parser, run_headless
from models.entities import Establishment, Typology
from models.services import authorisations as auth_svc
from models.services import establishments as est_svc
from models.services import regions as reg_svc
from models.services import weekend as wk
from models.importing.plan import Progress
from reports import state as state_report
from reports.catalog import ReportError, ReportRequest, generate
from tests.helpers import flat, new_establishment, pdf_pages, table_dump

USER = "coordinador"
AS_OF = date(2026, 10, 31)
D = date


def typology(factory, code: str) -> int:
    with factory() as s:
        return s.scalars(select(Typology.id).where(Typology.code == code)).one()


def procedure(factory, establishment_id: int, type_code: str, status: str, **dates) -> int:
    with factory.begin() as s:
        data = auth_svc.AuthorisationData(establishment_id, type_code, status=status, **dates)
        return auth_svc.create_authorisation(s, data, USER, on=D(2025, 1, 5), today=AS_OF).id


def schedule(factory, establishment_id: int, days=range(7), since=D(2026, 3, 1)) -> None:
    data = wk.ScheduleData(establishment_id, True, since,
                           shifts=[wk.ShiftData(d, "MATUTINO", time(8), time(14)) for d in days],
                           staff=[wk.StaffData("MEDICO", "Dra. Ana López", "BASE", D(2026, 2, 1))])
    with factory.begin() as s:
        wk.save_schedule(s, data, USER, AS_OF)


@pytest.fixture
def bc_state(factory, bc):
    """Baja California: two hospitals, three health centres (one closed for now), a mobile unit, a retired
    centre; one region with one zone; one centre open 7 days and one without a Sunday shift; licences current,
    expiring, expired and stale; an X-ray service without a responsable sanitario."""
    cs, hg, umm = typology(factory, "CS"), typology(factory, "HG"), typology(factory, "UMM")
    ids = {}
    for clues, name, level, typ, extra in [
        ("BCIMB000010", "HOSPITAL GENERAL MEXICALI", "SEGUNDO", hg, {}),
        ("BCIMB000020", "HOSPITAL GENERAL TIJUANA", "SEGUNDO", hg, {}),
        ("BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "PRIMER", cs, {}),
        ("BCIMB000102", "CENTRO DE SALUD SAN FELIPE", "PRIMER", cs, {}),
        ("BCIMB000103", "CENTRO DE SALUD EL FLORIDO", "PRIMER", cs, {"operating_status": "CERRADO_TEMPORALMENTE"}),
        ("BCIMB000201", "UNIDAD MÉDICA MÓVIL VALLE DE GUADALUPE", "PRIMER", umm, {}),
        ("BCIMB000301", "CENTRO DE SALUD LOS ALGODONES", "PRIMER", cs, {}),
    ]:
        ids[clues] = new_establishment(factory, bc.id, clues, name, level, typology_id=typ, **extra).id
    with factory.begin() as s:
        est_svc.retire_establishment(s, ids["BCIMB000301"], "Fusionado con Mexicali Centro", D(2026, 1, 15), USER)
        region = reg_svc.create_region(s, bc.id, "Región I Mexicali", USER).id
        zone = reg_svc.create_zone(s, region, "ZSM Mexicali", USER).id
        reg_svc.set_coordinator(s, zone, ids["BCIMB000010"], USER)
        reg_svc.assign_establishments(s, zone, [ids["BCIMB000101"], ids["BCIMB000201"]], USER)
        reg_svc.create_team(s, region, "ESZ Mexicali", USER)
        auth_svc.add_service(s, ids["BCIMB000010"], "RX", USER)
    schedule(factory, ids["BCIMB000101"])                  # open 7 days
    schedule(factory, ids["BCIMB000102"], days=range(6))   # no Sunday shift
    procedure(factory, ids["BCIMB000010"], "LIC_SAN", "VIGENTE", submitted_on=D(2026, 1, 10),
              granted_on=D(2026, 2, 10), expires_on=D(2026, 11, 20))          # expires in 20 days
    procedure(factory, ids["BCIMB000020"], "LIC_SAN", "VENCIDA", submitted_on=D(2024, 12, 1),
              granted_on=D(2025, 1, 10), expires_on=D(2026, 6, 1))            # expired
    procedure(factory, ids["BCIMB000010"], "AVISO_RESP", "VIGENTE", submitted_on=D(2025, 9, 1),
              granted_on=D(2025, 9, 30), expires_on=D(2026, 9, 30))           # says current, expired a month ago
    procedure(factory, ids["BCIMB000101"], "AVISO_FUNC", "VIGENTE", submitted_on=D(2026, 4, 1),
              granted_on=D(2026, 5, 5))                                        # current, no expiry
    procedure(factory, ids["BCIMB000102"], "AVISO_FUNC", "EN_TRAMITE", submitted_on=D(2026, 9, 1))
    return ids


def state_pdf(factory, state_id: int, out=None, **extra) -> list[str]:
    with factory() as s:
        return pdf_pages(generate(s, ReportRequest("state", AS_OF, state_id, **extra), out))


# ------------------------------------------------------------------------------------------------ figures

def test_state_report_prints_the_figures_totals_and_indicators(engine, factory, bc, bc_state, tmp_path):
    before = table_dump(engine)
    out = tmp_path / "estatal.pdf"
    pages = state_pdf(factory, bc.id, out)
    assert table_dump(engine) == before  # read-only
    first, everything = flat(pages[0]), flat(" ".join(pages))
    assert "Informe de situación estatal" in first and "Coordinación Estatal Baja California" in first
    assert f"Página 1 de {len(pages)}" in first and "Fecha de corte: 31 de octubre de 2026" in first
    assert all(f"Página {n} de {len(pages)}" in flat(p) for n, p in enumerate(pages, start=1))
    assert "Situación al 31 de octubre de 2026" in first
    # establishments: levels × operating status and the computed total (the retired centre is not counted)
    assert "Primer nivel 3 1 0 0 4" in first and "Segundo nivel 2 0 0 0 2" in first
    assert re.search(r"Total 5 1 0 0 6 ", first)
    assert "dados de baja (no se incluyen en las cifras): 1" in first
    assert "Centro de Salud 3 0 0 0 3" in first and "Unidad Médica Móvil 1 0 0 0 1" in first
    assert re.search(r"Total 4 2 0 0 6 ", first)
    # regions: one region, one zone with its coordinator; three active units without zone
    assert "Región I Mexicali 1 3 1 Total 1 3 1" in everything
    assert "Regiones operativas: registradas / publicadas = 1 / 3" in everything
    assert "Establecimientos sin zona de servicios médicos: 3" in everything
    # weekend opening: 1 of 107, the indicator with its formula, the unit that lacks Sunday
    assert "Baja California 1 107 2 1 0.9% 2 107" in everything
    assert "Unidades abiertas 7 días / meta = 1 / 107 = 0.93%" in everything
    assert "Unidades viables que aún no abren los 7 días: 1" in everything
    assert "BCIMB000102" in everything and "Sin turno definido el domingo" in everything
    assert "con registro de apertura: 2; sin registro: 1" in everything  # the closed centre has no record
    # authorisations: 12 required (2 hospitals × 2 + 4 first-level units × 2), 2 current, 1 in process,
    # 4 obtained by the cut-off, 7 not started; the total's % from the summed counts
    assert re.search(r"Total 12 2 1 4 7 33\.33% 16\.67%", everything)
    assert "Total: obtenidas / requeridas = 4 / 12 = 33.33%" in everything
    assert "Licencia sanitaria: obtenidas / requeridas = 2 / 2 = 100.00%" in everything
    assert "Total: vigentes / requeridas = 2 / 12 = 16.67%" in everything
    # alert lists
    assert "Autorizaciones vencidas: 2" in everything  # the expired one and the stale «vigente»
    assert "Vencen en los próximos 30 días" in everything and "20/11/2026 20" in everything
    assert "Requeridas sin trámite iniciado: 7" in everything
    assert "Servicios sin responsable sanitario vigente: 1" in everything and "Rayos X" in everything
    # signatures, then the annex with the active establishments only
    assert "Elaboró" in everything and "Vo. Bo." in everything
    assert "Anexo. Relación de establecimientos activos" in everything
    assert "BCIMB000201 UNIDAD MÉDICA MÓVIL VALLE DE GUADALUPE UMM 1.er En operación ZSM Mexicali — 0 / 2" \
        in everything
    assert "BCIMB000101 CENTRO DE SALUD MEXICALI CENTRO CS 1.er En operación ZSM Mexicali Sí 1 / 2" in everything
    assert "BCIMB000301" not in everything
    # the quality page, last
    last = flat(pages[-1])
    assert "Revisiones de calidad de datos" in last
    assert "Establecimientos sin zona de servicios médicos" in last and "BCIMB000020" in last
    assert "siguen con estado «Otorgada», «Vigente» o «Por vencer» aunque vencieron" in last
    assert "BCIMB000010 AVISO_RESP" in last
    assert "Regiones operativas: registradas 1, publicadas 3" in last


def test_period_counts_authorisations_obtained_in_it(factory, bc, bc_state):
    pages = state_pdf(factory, bc.id, period_start=D(2026, 1, 1), period_end=D(2026, 10, 31))
    everything = flat(" ".join(pages))
    assert "Periodo: 1 de enero – 31 de octubre de 2026" in flat(pages[0])
    assert "Obtenidas en el periodo" in everything
    assert "Total: obtenidas / requeridas = 2 / 12 = 16.67%" in everything  # 2025 grants fall outside
    assert "Evolución en el periodo" in everything


def test_a_nearly_empty_state_and_an_unknown_state(factory, bc):
    new_establishment(factory, bc.id, "BCIMB000010", "HOSPITAL GENERAL MEXICALI", "SEGUNDO")
    pages = state_pdf(factory, bc.id)
    everything = flat(" ".join(pages))
    assert "La entidad no tiene regiones operativas registradas." in everything
    assert "Todas las unidades viables abren." in everything
    assert "Autorizaciones vencidas: 0 Ninguna." in everything
    # registered regions differ from the published ones (0 against 3) and the hospital has no zone: both listed
    last = flat(pages[-1])
    assert "Revisiones de calidad de datos" in last and "Regiones operativas: registradas 0, publicadas 3" in last
    with factory() as s, pytest.raises(ReportError, match="no existe"):
        generate(s, ReportRequest("state", AS_OF, 999_999))


def test_progress_is_reported_in_spanish(factory, bc, bc_state):
    seen = []
    with factory() as s:
        generate(s, ReportRequest("state", AS_OF, bc.id), progress=Progress(lambda d, t, text: seen.append(text)))
    assert seen[0] == "Leyendo los establecimientos" and seen[-1] == "Listo" and len(seen) >= 5


# ------------------------------------------------------------------------------------------------ compliance pass

@pytest.fixture
def varied_authorisations(factory, bc, bc_state):
    """Overrides, «No aplica», a service that makes a licence required, a service-level procedure, a unit under
    construction and a retired one with procedures: every branch of the rule."""
    ids = dict(bc_state)
    ids["BCIMB000500"] = new_establishment(factory, bc.id, "BCIMB000500", "HOSPITAL EN OBRA", "TERCER",
                                           operating_status="EN_CONSTRUCCION").id
    with factory.begin() as s:
        svc_mn = auth_svc.add_service(s, ids["BCIMB000020"], "MN", USER).id
        auth_svc.set_required_override(s, ids["BCIMB000103"], "AVISO_FUNC", False, "Unidad en remodelación", USER)
        auth_svc.set_required_override(s, ids["BCIMB000101"], "COMITE", True, "Investigación en humanos", USER)
    no_aplica = procedure(factory, ids["BCIMB000201"], "PERMISO", "REQUERIDA")
    with factory.begin() as s:
        auth_svc.change_status(s, no_aplica, "NO_APLICA", D(2026, 2, 1), USER, "No vende controlados", today=AS_OF)
    with factory.begin() as s:
        auth_svc.create_authorisation(s, auth_svc.AuthorisationData(
            ids["BCIMB000020"], "LIC_CNSNS", service_id=svc_mn, status="OTORGADA", submitted_on=D(2026, 1, 2),
            granted_on=D(2026, 3, 3), expires_on=D(2027, 3, 3)), USER, on=D(2026, 1, 2), today=AS_OF)
    procedure(factory, ids["BCIMB000500"], "LIC_SAN", "INGRESADA", submitted_on=D(2026, 8, 1))
    gone = new_establishment(factory, bc.id, "BCIMB000302", "CENTRO DE SALUD CERRADO", "PRIMER").id
    procedure(factory, gone, "AVISO_FUNC", "VIGENTE", submitted_on=D(2025, 1, 1), granted_on=D(2025, 2, 1))
    with factory.begin() as s:  # a retired establishment's procedures are never counted
        est_svc.retire_establishment(s, gone, "Cerrado", D(2026, 3, 1), USER)
    return ids


def _key(items):
    return [(i.establishment_id, i.clues, i.type_code, i.authorisation_id, i.status, i.folio, i.granted_on,
             i.expires_on, i.current, i.in_process, i.obtained, i.not_started) for i in items]


@pytest.mark.parametrize("period", [(None, None), (D(2026, 1, 1), D(2026, 6, 30))])
def test_the_compliance_scan_applies_overrides_no_aplica_services_and_retirements(factory, bc, varied_authorisations,
                                                                                period):
    """The column-wise scan the reports use (``authorisations.compliance_scan``) against the rules, case by case."""
    with factory() as s:
        items, state_of = state_report.compliance_items(s, bc.id, AS_OF, *period)
        national, _ = state_report.compliance_items(s, None, AS_OF, *period)
        rows = state_report.summary_rows(s, items)
        assert rows == auth_svc.summary(s, bc.id, AS_OF, *period)
    pairs = {(i.clues, i.type_code) for i in items}
    assert set(state_of.values()) == {bc.id} and _key(national) == _key(items)  # only BC has data
    assert ("BCIMB000103", "AVISO_FUNC") not in pairs  # overridden to not required
    assert ("BCIMB000101", "COMITE") in pairs  # overridden to required
    assert ("BCIMB000201", "PERMISO") not in pairs  # every procedure «No aplica»
    assert not any(c == "BCIMB000302" for c, _t in pairs)  # retired: never counted
    assert any(r.type_code == "LIC_CNSNS" and r.required for r in rows)  # the MN service made it required
    assert any(r.type_code == "COMITE" and r.required == 1 for r in rows)


# ------------------------------------------------------------------------------------------------ 3,000 units

def test_a_state_with_3000_establishments_paginates_with_the_header_repeated(engine, factory, bc):
    with factory.begin() as s:  # one transaction, bulk insert
        cs = s.scalars(select(Typology.id).where(Typology.code == "CS")).one()
        s.execute(insert(Establishment), [
            {"clues": f"BCIMB{n:06d}", "name": f"CENTRO DE SALUD NÚMERO {n}", "state_id": bc.id,
             "level_of_care": "PRIMER", "typology_id": cs, "operating_status": "EN_OPERACION", "changed_by": USER}
            for n in range(1, 3001)])
    started = clock.perf_counter()
    with factory() as s:
        data = generate(s, ReportRequest("state", AS_OF, bc.id))
    elapsed = clock.perf_counter() - started
    reader = PdfReader(io.BytesIO(data))
    count = len(reader.pages)
    assert count > 50, count
    # text extraction costs ~0.1 s a page: read the body, then every third page of the annex and the last two
    body = {n: flat(reader.pages[n].extract_text()) for n in range(15)}
    first_annex = next(n for n, text in body.items() if "Anexo. Relación de establecimientos activos" in text)
    sample = sorted({*range(first_annex, count - 2, 3), count - 3, count - 2})
    annex = {n: flat(reader.pages[n].extract_text()) for n in sample}
    for n, text in annex.items():  # every annex page repeats the header row above its rows
        assert re.search(r"CLUES Nombre Tipo Nivel Estatus Zona 7 días Autoriz\. BCIMB\d{6} ",
                         text), (n, text[:300])
        assert f"Página {n + 1} de {count}" in text
    assert "BCIMB003000 CENTRO DE SALUD NÚMERO 3000" in annex[count - 2]  # the last row made it
    everything = " ".join(body.values())
    assert "Primer nivel 3,000 0 0 0 3,000" in everything
    # 6,000 required notices (aviso de funcionamiento + responsable): the list stops at 50 and says so
    assert "Requeridas sin trámite iniciado: 6,000" in everything
    assert "Se muestran los primeros 50 de 6,000, por CLUES." in everything
    assert "… y 5,950 más." in everything
    last = flat(reader.pages[count - 1].extract_text())
    assert f"Página {count} de {count}" in last and "Revisiones de calidad de datos" in last
    assert elapsed < 60  # generous: the real target (3 s on an idle office PC) is measured by bench/


# ------------------------------------------------------------------------------------------------ headless

def test_report_cli_state(db_path, factory, bc, bc_state, tmp_path, capsys):
    out = tmp_path / "estatal.pdf"
    args = build_parser().parse_args(["--db", str(db_path), "report", "state", "--state", "BC", "--as-of",
                                      "2026-10-31", "--out", str(out)])
    assert run_headless(args) == 0
    assert "Reporte generado" in capsys.readouterr().out
    first = flat(pdf_pages(out.read_bytes())[0])
    assert "Informe de situación estatal" in first and "Fecha de corte: 31 de octubre de 2026" in first
    assert "Coordinación Estatal Baja California" in first
