"""«Avance de apertura en fin de semana»: the rollout table with block subtotals and computed total, the
indicator lines, the charts, the unit lists with what each pending unit lacks, the pre-print checks and the
headless command — all checked through the text of the generated PDF."""
from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from gui.cli import build_parser, run_headless
from models.entities import State
from models.services import regions as reg_svc
from models.services import weekend as svc
from reports import weekend as report
from reports.catalog import ReportRequest, generate
from tests.helpers import flat, new_establishment, pdf_pages
from tests.test_weekend import _Builder, save, shift

D = date
AS_OF = D(2026, 10, 31)  # a Saturday: the week of the cut-off is Monday 26 October – Sunday 1 November
USER = "coordinador"


def text_of(data: bytes) -> tuple[list[str], str]:
    pages = pdf_pages(data)
    return pages, flat(" ".join(pages))


@pytest.fixture
def rollout(factory, bc):
    """Baja California (block 1, target 107), Sonora (block 1, 218) and Oaxaca (block 3, 748).

    Baja California: 41 units open at the cut-off (20 since 2024, 20 since July 2026 and El Florido, saved
    through the service with weekday and weekend shifts and a nurse); pending: 5 without a Sunday shift,
    3 whose doctor left on 30 September, one interrupted the week of the cut-off, one starting in November;
    2 not viable and a hospital that never counts. 51 viable units, 48 doctors active at viable units."""
    with factory.begin() as s:
        ids = dict(s.execute(select(State.inegi_code, State.id)).all())
        b = _Builder(s)
        b.add(bc.id, "BC", 20)
        b.add(bc.id, "BC", 20, since=D(2026, 7, 15))
        b.add(bc.id, "BC", 5, days=range(6))
        b.add(bc.id, "BC", 3, left=D(2026, 9, 30))
        b.add(bc.id, "BC", 2, viable=False)
        b.add(bc.id, "BC", 1, level="SEGUNDO")
        b.add(ids["26"], "SR", 100)
        b.add(ids["20"], "OC", 300)
        b.add(ids["20"], "OC", 12, stop=(D(2026, 10, 24), D(2026, 11, 8)))
    florido = new_establishment(factory, bc.id, "BCIMB900001", "CENTRO DE SALUD EL FLORIDO").id
    save(factory, svc.ScheduleData(
        florido, True, D(2025, 2, 1),
        shifts=[shift(d) for d in range(5)] + [shift(5, "JORNADA_ACUMULADA", 8, 20), shift(6, "JORNADA_ACUMULADA", 8, 20)],
        staff=[svc.StaffData("MEDICO", "Dra. Ana López", "EVENTUAL", D(2025, 1, 15)),
               svc.StaffData("ENFERMERIA", "Enf. Rosa Núñez", "BASE", D(2025, 1, 15)),
               svc.StaffData("MEDICO", "", "EVENTUAL")]), today=AS_OF)
    stopped = new_establishment(factory, bc.id, "BCIMB900002", "CENTRO DE SALUD SAN FELIPE").id
    save(factory, svc.ScheduleData(
        stopped, True, D(2025, 2, 1), shifts=[shift(d) for d in range(7)],
        staff=[svc.StaffData("MEDICO", "Dr. Luis Peña", hired_on=D(2025, 1, 15))],
        interruptions=[svc.InterruptionData(D(2026, 10, 26), D(2026, 11, 2), "Remodelación del consultorio")]),
        today=AS_OF)
    later = new_establishment(factory, bc.id, "BCIMB900003", "CENTRO DE SALUD ÑUÑO").id
    save(factory, svc.ScheduleData(
        later, True, D(2026, 11, 15), shifts=[shift(d) for d in range(7)],
        staff=[svc.StaffData("MEDICO", "Dra. Eva Ruiz", hired_on=D(2026, 10, 1))]), today=AS_OF)
    return {"bc": bc.id, "florido": florido, **ids}


# ------------------------------------------------------------------------------------------------ one state

def test_state_report_prints_the_figures_their_total_and_the_indicators(factory, rollout, tmp_path):
    out = tmp_path / "fin_de_semana.pdf"
    with factory() as s:
        data = generate(s, ReportRequest("weekend", AS_OF, rollout["bc"]), out)
    assert out.read_bytes() == data
    pages, everything = text_of(data)
    first = flat(pages[0])
    assert "Avance de apertura en fin de semana" in first and "Coordinación Estatal Baja California" in first
    assert f"Página 1 de {len(pages)}" in first
    assert "Fecha de corte: 31 de octubre de 2026" in first
    assert "Periodo: 1 de mayo – 31 de octubre de 2026" in first  # default: six months up to the cut-off
    # the state's row and the computed total: target, viable, open, progress, doctors assigned and needed
    assert "Baja California 107 51 41 38.3% 48 107 Total 107 51 41 38.3% 48 107" in first
    assert "Unidades abiertas / meta = 41 / 107 = 38.32%" in first
    assert "Unidades abiertas / unidades viables registradas = 41 / 51 = 80.39%" in first
    assert "Médicos asignados / requeridos = 48 / 107 = 44.86%" in everything
    assert "Faltan 59 médicos para cubrir lo requerido." in everything
    assert "Fuente: Registro de apertura en fin de semana" in everything
    # the weekly chart and its month-end table: 20 open until the July starts, 41 + 3 until the doctors left
    assert "Unidades abiertas los 7 días, cada domingo del periodo" in everything
    assert "31/05/2026 25 107 23.4% —" in everything  # 20 + the 3 whose doctor left + El Florido + San Felipe
    assert "28/06/2026 25 107 23.4% 0" in everything
    assert "26/07/2026 45 107 42.1% +20" in everything  # the 20 units that started on 15 July
    assert "25/10/2026 42 107 39.3% -3" in everything   # the doctors who left; San Felipe stops the next week
    # the reasons summary: 10 pending viable units, by kind of reason
    assert ("De 53 unidades fijas de primer nivel, 41 abren los 7 días, 10 son viables y aún no abren, 2 no son "
            "viables y 0 no tienen registro") in everything
    assert re.search(r"Sin turno algún día 5 Sin médico algún día 3 Interrumpida 1", everything)
    assert "Elaboró" in everything and "Vo. Bo." in everything
    assert "Revisiones de calidad de datos" not in everything  # the totals add up: no quality page


def test_state_report_lists_the_open_units_and_what_each_pending_one_lacks(factory, rollout):
    with factory() as s:
        pages, everything = text_of(generate(s, ReportRequest("weekend", AS_OF, rollout["bc"])))
    assert "Anexo 1. Unidades abiertas los 7 días: 41" in everything
    # El Florido: CLUES, name, region (none yet), since when, doctors active at the cut-off (the vacancy is not one)
    assert "BCIMB900001 CENTRO DE SALUD EL FLORIDO — 01/02/2025 1" in everything
    assert "BCIMB000021 Unidad 21 — 15/07/2026 1" in everything
    assert "Anexo 2. Unidades viables pendientes de abrir: 10" in everything
    assert ("BCIMB900002 CENTRO DE SALUD SAN FELIPE L M Mi J V S D 1 Interrumpida del 26/10/2026 al 02/11/2026: "
            "Remodelación del consultorio") in everything
    assert "BCIMB900003 CENTRO DE SALUD ÑUÑO L M Mi J V S D 1 Abre en fin de semana a partir del 15/11/2026" in everything
    assert everything.count("Sin turno definido el domingo") == 5
    assert everything.count("Sin médico ningún día") == 3
    assert "BCIMB000051" not in everything or "Hospital" not in everything  # the hospital is never listed
    with factory() as s:
        hospital = [u for u in svc.list_units(s, AS_OF, rollout["bc"]) if u.clues == "BCIMB000051"]
    assert hospital == []


def test_state_chart_is_by_operating_region(factory, rollout):
    with factory.begin() as s:
        region = reg_svc.create_region(s, rollout["bc"], "Región Costa", USER).id
        zone = reg_svc.create_zone(s, region, "ZSM Ensenada", USER).id
        reg_svc.assign_establishments(s, zone, [rollout["florido"]], USER)
    with factory() as s:
        _pages, everything = text_of(generate(s, ReportRequest("weekend", AS_OF, rollout["bc"])))
    assert "Avance por región operativa" in everything
    assert "Región Costa" in everything and "Sin región asignada" in everything
    assert "BCIMB900001 CENTRO DE SALUD EL FLORIDO Región Costa 01/02/2025 1" in everything


def test_an_explicit_period(factory, rollout):
    request = ReportRequest("weekend", AS_OF, rollout["bc"], period_start=D(2026, 7, 1), period_end=D(2026, 9, 30))
    assert report.report_period(request) == (D(2026, 7, 1), D(2026, 9, 30))
    assert report.report_period(ReportRequest("weekend", D(2024, 6, 30))) == (D(2024, 1, 1), D(2024, 6, 30))
    assert report.report_period(ReportRequest("weekend", D(2026, 8, 31))) == (D(2026, 3, 1), D(2026, 8, 31))
    with factory() as s:
        pages, everything = text_of(generate(s, request))
    assert "Periodo: 1 de julio – 30 de septiembre de 2026" in flat(pages[0])
    assert "27/09/2026 45 107 42.1%" in everything and "31/05/2026" not in everything


# ------------------------------------------------------------------------------------------------ national

def test_national_report_has_state_rows_block_subtotals_and_the_total(factory, rollout):
    with factory() as s:
        pages, everything = text_of(generate(s, ReportRequest("weekend", AS_OF)))
    first = flat(pages[0])
    assert "Oficina nacional" in first and f"Página 1 de {len(pages)}" in first
    assert "Baja California 107 51 41 38.3% 48 107" in first
    assert "Sonora 218 100 100 45.9% 100 218" in first
    assert "Oaxaca 748 312 300 40.1% 312 748" in first
    assert "Ciudad de México 211 0 0 0.0% 0 211" in first  # an adhered state with no records prints its zeros
    # block subtotals add their states and compute their own percentage; the total adds every state
    assert "Total Bloque 1 911 151 141 15.5% 148 911" in first
    assert "Total Bloque 2 2,734 0 0 0.0% 0 2,734" in first
    assert "Total Bloque 3 4,632 312 300 6.5% 312 4,632" in first
    assert re.search(r"Total 8,277 463 441 5\.3% 460 8,277", first)
    assert "Unidades abiertas / meta = 441 / 8,277 = 5.33%" in first
    assert "Bloque 1 · unidades abiertas / meta = 141 / 911 = 15.48%" in first
    assert "Bloque 3 · unidades abiertas / meta = 300 / 4,632 = 6.48%" in first
    assert "Unidades abiertas 7 días frente a la meta, por entidad" in everything
    # pending units by state and reason, with the computed total; the list is capped per state
    assert "Oaxaca 12 0 0 0 0 12" in everything and "Total 22 0 1 5 3 13" in everything
    assert f"Pendientes no listadas: Oaxaca {12 - report.PENDING_PER_STATE}." in everything
    assert "Anexo 1. Unidades abiertas" not in everything  # no national list of open units
    assert "Revisiones de calidad de datos" not in everything


def test_a_wrong_total_is_reported_on_the_quality_page(factory, rollout, monkeypatch):
    real = svc.rollout_summary

    def tampered(session, as_of, state_id=None):
        rows = real(session, as_of, state_id)
        last = rows[-1]
        return rows[:-1] + [svc.RolloutRow(last.level, last.block, last.label, None, "", last.target, last.viable,
                                           last.open_units + 1, 99.9, last.doctors_assigned,
                                           last.doctors_needed)]

    monkeypatch.setattr(svc, "rollout_summary", tampered)
    with factory() as s:
        pages, _everything = text_of(generate(s, ReportRequest("weekend", AS_OF)))
    last = flat(pages[-1])
    assert "Revisiones de calidad de datos" in last
    assert "Total general (suma de entidades): la columna 3 suma 441 pero el total impreso es 442." in last
    assert "Total: el avance impreso (99.9%) no corresponde a 442 / 8,277." in last


# ------------------------------------------------------------------------------------------------ size, CLI

def test_a_large_state_paginates_with_repeated_headers(factory, bc):
    with factory.begin() as s:
        b = _Builder(s)
        b.add(bc.id, "BC", 900)
        b.add(bc.id, "BC", 200, days=range(6))
    with factory() as s:
        pages, everything = text_of(generate(s, ReportRequest("weekend", AS_OF, bc.id)))
    assert len(pages) > 20
    assert "Baja California 107 1,100 900 841.1% 1,100 107" in everything
    annex = [flat(p) for p in pages if re.search(r"BCIMB\d{6}", p)]
    assert len(annex) > 18
    assert all("Abre en fin de semana desde" in p or "Qué le falta" in p for p in annex)  # each annex page repeats its header
    for number, page in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in page


def test_report_cli_weekend(db_path, factory, rollout, tmp_path, capsys):
    out = tmp_path / "X.pdf"
    args = build_parser().parse_args(["--db", str(db_path), "report", "weekend", "--state", "BC", "--as-of",
                                      "2026-10-31", "--out", str(out)])
    assert run_headless(args) == 0
    assert "Reporte generado" in capsys.readouterr().out
    pages, everything = text_of(out.read_bytes())
    assert "Fecha de corte: 31 de octubre de 2026" in flat(pages[0]) and f"Página 1 de {len(pages)}" in flat(pages[0])
    assert "Unidades abiertas / meta = 41 / 107 = 38.32%" in everything


def test_the_report_never_writes_and_reports_its_progress(engine, factory, rollout):
    from models.importing.plan import Progress
    from tests.helpers import table_dump

    before = table_dump(engine)
    stages: list[tuple[int, int, str]] = []
    with factory() as s:
        generate(s, ReportRequest("weekend", AS_OF, rollout["bc"]), progress=Progress(lambda *a: stages.append(a)))
        generate(s, ReportRequest("weekend", AS_OF))
    assert table_dump(engine) == before
    assert [done for done, _total, _stage in stages] == [0, 1, 2, 3, 4]
    assert stages[-1][2] == "Componiendo el PDF"


def test_reason_groups():
    assert report.reason_group("Sin médico el domingo") == "Sin médico algún día"
    assert report.reason_group("Sin turnos definidos") == "Sin turno algún día"
    assert report.reason_group("Interrumpida desde el 02/03/2024") == "Interrumpida"
    assert report.reason_group("Abre en fin de semana a partir del 01/12/2026") == "Inicio posterior al corte"
    assert report.reason_group("algo nuevo") == report.OTHER_REASON
