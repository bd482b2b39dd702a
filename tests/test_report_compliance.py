"""«Cumplimiento sanitario» report: the compliance table with its computed total, the indicator lines with their
real numbers, the period, the alert lists, the establishment-level detail (paginated with its header repeated),
the per-state table of the national scope, the quality page, and the headless command; checked through the text
of the generated PDF."""
from __future__ import annotations

import re
import uuid
from datetime import date as D
from datetime import datetime, timezone

import pytest
from sqlalchemy import insert, select

from gui.cli import build_parser, run_headless
from models.entities import Establishment
from models.enums import AuthorisationStatus as S
from models.services import authorisations as auth
from models.services import office as office_svc
from reports import compliance
from reports.catalog import ReportError, ReportRequest, generate
from tests.helpers import flat, new_establishment, pdf_pages, table_dump

USER = "capturista"
AS_OF = D(2026, 10, 31)
PERIOD = (D(2026, 1, 1), D(2026, 10, 31))


def procedure(factory, establishment_id: int, type_code: str, status: S, **dates) -> int:
    with factory.begin() as s:
        data = auth.AuthorisationData(establishment_id, type_code, status=status.value, **dates)
        return auth.create_authorisation(s, data, USER, on=dates.get("submitted_on") or D(2026, 1, 5),
                                         comment="alta", today=AS_OF).id


@pytest.fixture
def bc_licences(factory, bc):
    """Baja California: two hospitals and two health centres with licences in every situation.

    Expected at 31-10-2026, period 1-1-2026 – 31-10-2026:
    LIC_SAN required 2, current 1, in process 1, obtained 1 · AVISO_FUNC required 2, current 1 · PERMISO required 1,
    current 1 · AVISO_RESP required 4, not started 4 · total 9 / 3 / 1 / 1 / 4.
    """
    ids = {
        "hg1": new_establishment(factory, bc.id, "BCIMB000355", "HOSPITAL GENERAL MEXICALI", "SEGUNDO").id,
        "hg2": new_establishment(factory, bc.id, "BCIMB000734", "HOSPITAL GENERAL TIJUANA", "SEGUNDO").id,
        "cs1": new_establishment(factory, bc.id, "BCIMB000010", "CENTRO DE SALUD ENSENADA", "PRIMER").id,
        "cs2": new_establishment(factory, bc.id, "BCIMB000020", "CENTRO DE SALUD SAN FELIPE", "PRIMER").id,
    }
    procedure(factory, ids["hg1"], "LIC_SAN", S.VIGENTE, folio="COFEPRIS-2026-001", submitted_on=D(2026, 1, 15),
              granted_on=D(2026, 3, 10), expires_on=D(2027, 3, 10))
    procedure(factory, ids["hg2"], "LIC_SAN", S.EN_TRAMITE, folio="COFEPRIS-2026-077", submitted_on=D(2026, 5, 4))
    procedure(factory, ids["hg2"], "PERMISO", S.VIGENTE, folio="PS-2025-14", submitted_on=D(2025, 10, 1),
              granted_on=D(2025, 11, 20), expires_on=D(2026, 11, 20))  # expires in 20 days
    procedure(factory, ids["cs1"], "AVISO_FUNC", S.VIGENTE, folio="DIGIPRIS-889", submitted_on=D(2025, 4, 1),
              granted_on=D(2025, 5, 1))  # current, obtained before the period
    procedure(factory, ids["cs2"], "AVISO_FUNC", S.VENCIDA, folio="DIGIPRIS-123", submitted_on=D(2024, 1, 2),
              granted_on=D(2024, 1, 10), expires_on=D(2026, 6, 1))
    with factory.begin() as s:
        rx = auth.add_service(s, ids["hg1"], "RX", USER)
        auth.add_service(s, ids["hg1"], "LAB", USER)  # no responsable sanitario
        auth.add_responsable(s, auth.ResponsableData(rx.id, "Ana López Ruiz", "Médica radióloga", "1234567",
                                                     D(2025, 1, 1)), USER)
    return ids


def report(factory, state_id, **kw) -> list[str]:
    with factory() as s:
        return pdf_pages(generate(s, ReportRequest("compliance", AS_OF, state_id, None, *kw.get("period", PERIOD))))


# ------------------------------------------------------------------------------------------------ pieces

def test_indicator_formula_prints_real_numbers_with_thousands_separator():
    assert compliance.formula("Licencias obtenidas / requeridas", 16, 1754, auth.percent(16, 1754)) == \
        "Licencias obtenidas / requeridas = 16 / 1,754 = 0.91%"
    assert compliance.formula("Total", 25, 3814, auth.percent(25, 3814)).endswith("= 25 / 3,814 = 0.66%")
    assert compliance.formula("Comités", 0, 0, None).endswith("= 0 / 0 = — (no hay requeridas)")
    # the same rounding as the table (half up): 1 / 800 = 0.125 → 0.13
    assert compliance.formula("X", 1, 800, auth.percent(1, 800)).endswith("= 0.13%")


def test_period_defaults_to_the_year_of_the_cut_off():
    assert compliance.period_of(ReportRequest("compliance", AS_OF)).label == "1 de enero – 31 de octubre de 2026"
    p = compliance.period_of(ReportRequest("compliance", AS_OF, period_start=D(2026, 1, 1), period_end=D(2026, 6, 30)))
    assert p.label == "1 de enero – 30 de junio de 2026"
    with pytest.raises(ReportError, match="posterior a su fin"):
        compliance.period_of(ReportRequest("compliance", D(2026, 3, 1), period_start=D(2026, 5, 1)))


def test_counts_match_the_service_summary(factory, bc_licences, bc):
    with factory() as s:
        items = auth.compliance_items(s, bc.id, AS_OF, *PERIOD)
        types = [(t.code, t.name) for t in auth._types(s)]
        assert compliance.counts_by_type(items, types) == auth.summary(s, bc.id, AS_OF, *PERIOD)


def test_alerts_from_the_report_items_equal_the_service_alerts(factory, bc_licences, bc):
    procedure(factory, bc_licences["cs2"], "PERMISO", S.VIGENTE, folio="PS-9", submitted_on=D(2025, 1, 1),
              granted_on=D(2025, 2, 1), expires_on=D(2026, 9, 30))  # held, but expired by date
    procedure(factory, bc_licences["cs1"], "PERMISO", S.POR_VENCER, folio="PS-10", submitted_on=D(2025, 1, 1),
              granted_on=D(2025, 2, 1), expires_on=D(2026, 12, 20))  # 50 days left
    with factory() as s:
        for state_id in (bc.id, None):
            items = auth.compliance_items(s, state_id, AS_OF, *PERIOD)
            mine = compliance.alerts_from_items(items, AS_OF, auth.services_without_responsable(s, state_id, AS_OF))
            assert mine == auth.alerts(s, state_id, AS_OF)
            assert [len(mine.expiring[d]) for d in (30, 60, 90)] == [1, 2, 2] and len(mine.expired) == 2


# ------------------------------------------------------------------------------------------------ one state

def test_state_report_prints_the_table_total_indicators_and_period(factory, bc_licences, bc, engine):
    before = table_dump(engine)
    pages = report(factory, bc.id)
    assert table_dump(engine) == before  # read-only
    first, everything = flat(pages[0]), flat(" ".join(pages))
    assert "Cumplimiento sanitario" in first and "Coordinación Estatal Baja California" in first
    assert "Periodo: 1 de enero – 31 de octubre de 2026" in first
    assert "Fecha de corte: 31 de octubre de 2026" in first
    assert f"Página 1 de {len(pages)}" in first
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in text
    # one row per type (label, required, current, in process, obtained, not started, %, %) and the computed total
    assert "Licencia sanitaria 2 1 1 1 0 50.00% 50.00%" in first
    assert re.search(r"Aviso de funcionamiento \(DIGIPRIS\) 2 1 0 0 0 0.00% 50.00%", first)
    assert "Permiso sanitario 1 1 0 0 0 0.00% 100.00%" in first
    assert "Aviso de responsable sanitario 4 0 0 0 4 0.00% 0.00%" in first
    assert "Comité (registro) 0 0 0 0 0 — —" in first
    assert "Total 9 3 1 1 4 11.11% 33.33%" in first
    # indicator lines with the real numbers
    assert "Licencia sanitaria: obtenidas en el periodo / requeridas = 1 / 2 = 50.00%" in everything
    assert "Total: obtenidas en el periodo / requeridas = 1 / 9 = 11.11%" in everything
    assert "Total: vigentes / requeridas = 3 / 9 = 33.33%" in everything
    assert "otorgadas entre el 1 de enero de 2026 y el 31 de octubre de 2026" in everything
    assert "Revisiones de calidad de datos" not in everything  # consistent data, no quality page


def test_state_report_lists_alerts_and_the_establishment_detail(factory, bc_licences, bc):
    pages = report(factory, bc.id)
    everything = flat(" ".join(pages))
    alerts = everything[everything.index("Alertas al 31 de octubre de 2026"):everything.index("Anexo 1")]
    assert "Autorizaciones vencidas 1" in alerts and "Por vencer en los próximos 30 días 1" in alerts
    assert "Trámites requeridos sin iniciar (anexo 1) 4" in alerts
    assert "Servicios sin responsable sanitario vigente 1" in alerts
    assert "BCIMB000020 CENTRO DE SALUD SAN FELIPE Aviso de funcionamiento Vencida 01/06/2026 152" in alerts
    assert "BCIMB000734 HOSPITAL GENERAL TIJUANA Permiso sanitario 20/11/2026 20 ≤ 30 días" in alerts
    assert "BCIMB000355 HOSPITAL GENERAL MEXICALI Laboratorio clínico" in alerts
    assert "Elaboró" in alerts and "Vo. Bo." in alerts  # signatures before the annexes
    # anexo 1: CLUES per type; anexo 2: one line per procedure, grouped by establishment
    annex1 = everything[everything.index("Anexo 1"):everything.index("Anexo 2")]
    assert "Aviso de responsable sanitario: 4" in annex1
    assert all(c in annex1 for c in ("BCIMB000010", "BCIMB000020", "BCIMB000355", "BCIMB000734"))
    detail = everything[everything.index("Anexo 2"):]
    assert "9 trámites requeridos de 4 establecimientos" in detail
    assert "BCIMB000355 Licencia sanitaria Vigente COFEPRIS-2026-001 10/03/2026 10/03/2027" in detail
    assert "HOSPITAL GENERAL MEXICALI Aviso de responsable sanitario Sin trámite" in detail
    assert "BCIMB000734 Licencia sanitaria En trámite COFEPRIS-2026-077" in detail
    assert "BCIMB000010 Aviso de funcionamiento Vigente DIGIPRIS-889 01/05/2025" in detail
    assert detail.index("BCIMB000010") < detail.index("BCIMB000020") < detail.index("BCIMB000355")


def test_the_period_decides_what_counts_as_obtained(factory, bc_licences, bc):
    first = flat(report(factory, bc.id, period=(D(2026, 4, 1), D(2026, 6, 30)))[0])
    assert "Periodo: 1 de abril – 30 de junio de 2026" in first
    assert "Licencia sanitaria 2 1 1 0 0 0.00% 50.00%" in first  # granted in March: outside the period
    assert "Total 9 3 1 0 4 0.00% 33.33%" in first


def test_inconsistent_data_goes_to_the_quality_page(factory, bc_licences, bc):
    # recorded as current, but its expiry date passed before the cut-off date
    procedure(factory, bc_licences["cs2"], "PERMISO", S.VIGENTE, folio="PS-9", submitted_on=D(2025, 1, 1),
              granted_on=D(2025, 2, 1), expires_on=D(2026, 9, 30))
    pages = report(factory, bc.id)
    assert "Revisiones de calidad de datos" in pages[-1]
    last = flat(pages[-1])
    assert "1 autorizaciones registradas como otorgadas, vigentes o por vencer tienen fecha de vencimiento anterior " \
           "al 31 de octubre de 2026" in last and "BCIMB000020 Permiso sanitario" in last
    detail = flat(" ".join(pages))
    assert "Permiso sanitario Vigente (vencida) PS-9" in detail
    assert "Permiso sanitario 2 1 0 0 0 0.00% 50.00%" in flat(pages[0])  # not counted as current


def test_a_large_state_paginates_the_detail_with_its_header_repeated(factory, bc):
    now = datetime.now(timezone.utc)
    with factory.begin() as s:
        s.execute(insert(Establishment), [
            {"clues": f"BCIMB{i:06d}", "name": f"CENTRO DE SALUD RURAL EJIDO NÚMERO {i}", "state_id": bc.id,
             "institution_code": "IMB", "level_of_care": "PRIMER", "operating_status": "EN_OPERACION",
             "uuid": str(uuid.uuid4()), "created_at": now, "updated_at": now, "changed_by": "prueba", "version": 1}
            for i in range(1, 401)])
        first_id = s.scalar(select(Establishment.id).where(Establishment.clues == "BCIMB000001"))
    procedure(factory, first_id, "AVISO_FUNC", S.VIGENTE, folio="DIG-1", submitted_on=D(2026, 2, 1),
              granted_on=D(2026, 2, 15))
    pages = report(factory, bc.id)
    assert "Total 800 1 0 1 799 0.13% 0.13%" in flat(pages[0])
    detail_pages = [p for p in pages if "CENTRO DE SALUD RURAL EJIDO" in p and "Sin trámite" in p]
    assert len(detail_pages) >= 10
    assert all("Establecimiento (CLUES y" in p and "Estado del trámite" in p for p in detail_pages)
    everything = flat(" ".join(pages))
    assert "BCIMB000400" in everything[everything.index("Anexo 2"):]
    assert f"Página {len(pages)} de {len(pages)}" in pages[-1]


# ------------------------------------------------------------------------------------------------ all states

def test_national_scope_adds_one_row_per_state_and_the_computed_total(factory, bc_licences):
    with factory() as s:
        sonora = office_svc.find_state(s, "SR")
    new_establishment(factory, sonora.id, "SRIMB000001", "CENTRO DE SALUD HERMOSILLO", "PRIMER")
    pages = report(factory, None)
    first, everything = flat(pages[0]), flat(" ".join(pages))
    assert "Oficina nacional" in first
    assert "Total 11 3 1 1 6 9.09% 27.27%" in everything
    per_state = everything[everything.index("Cumplimiento por entidad"):]
    assert "Baja California 9 3 1 1 4 11.11% 33.33%" in per_state
    assert "Sonora 2 0 0 0 2 0.00% 0.00%" in per_state
    assert "Campeche 0 0 0 0 0 — —" in per_state  # adhered states print even without establishments
    assert re.search(r"Total 11 3 1 1 6 9\.09% 27\.27%", per_state)
    assert "SRIMB000001" in everything[everything.index("Anexo 2"):]


def test_national_lists_too_long_to_print_are_summarised_per_state(factory, bc_licences, bc, monkeypatch):
    with factory() as s:
        sonora = office_svc.find_state(s, "SR")
    new_establishment(factory, sonora.id, "SRIMB000001", "CENTRO DE SALUD HERMOSILLO", "PRIMER")
    monkeypatch.setattr(compliance, "NATIONAL_LIST_LIMIT", 3)
    everything = flat(" ".join(report(factory, None)))
    detail = everything[everything.index("Anexo 2"):]
    assert "11 trámites: demasiados para listarlos en el consolidado nacional" in detail
    assert "Baja California 9 Sonora 2 Total 11" in detail
    assert "CENTRO DE SALUD HERMOSILLO" not in detail
    annex1 = everything[everything.index("Anexo 1"):everything.index("Anexo 2")]
    assert "Aviso de funcionamiento: 1 SRIMB000001" in annex1  # short enough: listed
    assert "Aviso de responsable sanitario: 5 Demasiados para listarlos" in annex1
    assert "están en el reporte de su entidad" in annex1
    # the state scope always prints every row
    assert "BCIMB000355 Licencia sanitaria Vigente" in flat(" ".join(report(factory, bc.id)))


def test_unknown_state_is_refused(factory, bc):
    with factory() as s, pytest.raises(ReportError, match="entidad"):
        generate(s, ReportRequest("compliance", AS_OF, 999_999))


# ------------------------------------------------------------------------------------------------ CLI

def test_report_cli_compliance(db_path, factory, bc_licences, tmp_path, capsys):
    out = tmp_path / "cumplimiento.pdf"
    args = build_parser().parse_args(["--db", str(db_path), "report", "compliance", "--state", "BC", "--as-of",
                                      "2026-10-31", "--out", str(out)])
    assert run_headless(args) == 0
    assert "Reporte generado" in capsys.readouterr().out
    pages = pdf_pages(out.read_bytes())
    first = flat(pages[0])
    assert "Fecha de corte: 31 de octubre de 2026" in first and f"Página 1 de {len(pages)}" in first
    assert "Periodo: 1 de enero – 31 de octubre de 2026" in first
    assert "Total 9 3 1 1 4 11.11% 33.33%" in first
    args = build_parser().parse_args(["--db", str(db_path), "report", "compliance", "--state", "BC", "--as-of",
                                      "2026-10-31", "--from", "2026-07-01", "--to", "2026-09-30", "--out", str(out)])
    assert run_headless(args) == 0
    assert "Periodo: 1 de julio – 30 de septiembre de 2026" in flat(pdf_pages(out.read_bytes())[0])
