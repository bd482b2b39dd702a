"""PDF reports: the shared framework (header, footer, «Página X de Y», repeated table headers, quality page)
and the «Regionalización operativa» report, checked through the text of the generated PDF."""
from __future__ import annotations

import re
from datetime import date

import pytest

from gui.cli import build_parser, run_headless
from models.services import regions as reg_svc
from models.services import report_settings as rs
from reports.catalog import ReportRequest, generate
from reports.framework import ReportDocument, ReportMeta, Signatory, indicator_text
from tests.helpers import flat, new_establishment, pdf_pages

USER = "coordinador"
AS_OF = date(2026, 10, 31)


# ------------------------------------------------------------------------------------------------ framework

def test_indicator_text_prints_the_formula_with_real_numbers():
    assert indicator_text("Regiones registradas / publicadas", 3, 3) == "Regiones registradas / publicadas = 3 / 3"
    assert indicator_text("Licencias obtenidas / requeridas", 16, 1754, percent=True) == \
        "Licencias obtenidas / requeridas = 16 / 1,754 = 0.91%"
    assert indicator_text("X", 1, 0, percent=True).endswith("(denominador cero)")


def test_long_table_repeats_its_header_and_pages_are_numbered():
    doc = ReportDocument(ReportMeta("Prueba de paginación", "Coordinación Estatal Baja California", AS_OF))
    doc.heading("Tabla larga ¿ñandú? ¡Sí! (á é í ó ú ü)")
    rows = [(f"BCIMB{i:06d}", f"CENTRO DE SALUD NÚMERO {i}", i * 10) for i in range(200)]
    doc.table(["CLUES", "Nombre del establecimiento", "Consultas"], rows, numeric=(2,), widths=[1, 3, 1],
              source="datos de prueba")
    doc.signatures([Signatory("Elaboró", "Ana Pérez", "Jefa de Departamento")])
    pages = pdf_pages(doc.build())
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Página {number} de {len(pages)}" in text
        assert "IMSS-BIENESTAR" in text and "Prueba de paginación" in text
        assert "Fecha de corte: 31 de octubre de 2026" in text
    table_pages = [t for t in pages if "BCIMB" in t]
    assert len(table_pages) >= 3
    assert all("Nombre del establecimiento" in t for t in table_pages)  # the header row repeats
    everything = flat(" ".join(pages))
    assert "¿ñandú? ¡Sí! (á é í ó ú ü)" in everything
    assert "BCIMB000199" in everything and "1,990" in everything  # the last row, thousands separator
    assert "Fuente: datos de prueba" in everything
    assert "Ana Pérez" in everything and "Vo. Bo." not in everything
    assert "Revisiones de calidad de datos" not in everything  # no problems, no quality page


def test_problems_go_to_a_last_quality_page():
    doc = ReportDocument(ReportMeta("Prueba", "Oficina nacional", AS_OF))
    assert doc.check_total("Tabla", [(1, 2), (3, 4)], (4, 6))
    assert not doc.check_total("Tabla", [(1, 2), (3, 4)], (4, 7))
    doc.paragraph("cuerpo")
    pages = pdf_pages(doc.build())
    assert "Revisiones de calidad de datos" in pages[-1]
    assert "suma 6 pero el total impreso es 7" in flat(pages[-1])
    assert "Revisiones de calidad de datos" not in pages[0]


# ------------------------------------------------------------------------------------------------ regions

@pytest.fixture
def bc_structure(factory, bc):
    """Baja California: two regions, three zones with hospital coordinators, one unit without zone, one team."""
    ids = {}
    for clues, name, level in [("BCIMB000010", "HOSPITAL GENERAL MEXICALI", "SEGUNDO"),
                               ("BCIMB000020", "HOSPITAL GENERAL TIJUANA", "SEGUNDO"),
                               ("BCIMB000030", "HOSPITAL GENERAL ENSENADA", "SEGUNDO"),
                               ("BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "PRIMER"),
                               ("BCIMB000102", "CENTRO DE SALUD SAN FELIPE", "PRIMER")]:
        ids[clues] = new_establishment(factory, bc.id, clues, name, level).id
    with factory.begin() as s:
        r1 = reg_svc.create_region(s, bc.id, "Región I Mexicali", USER).id
        r2 = reg_svc.create_region(s, bc.id, "Región II Costa", USER).id
        z1 = reg_svc.create_zone(s, r1, "ZSM Mexicali", USER).id
        z2 = reg_svc.create_zone(s, r2, "ZSM Tijuana", USER).id
        z3 = reg_svc.create_zone(s, r2, "ZSM Ensenada", USER).id
        reg_svc.set_coordinator(s, z1, ids["BCIMB000010"], USER)
        reg_svc.set_coordinator(s, z2, ids["BCIMB000020"], USER)
        reg_svc.set_coordinator(s, z3, ids["BCIMB000030"], USER)
        reg_svc.assign_establishments(s, z1, [ids["BCIMB000101"]], USER)
        reg_svc.create_team(s, r1, "ESZ Mexicali", USER)
    return ids


def test_regions_report_of_a_state(factory, bc, bc_structure, tmp_path):
    out = tmp_path / "regiones.pdf"
    with factory() as s:
        data = generate(s, ReportRequest("regions", AS_OF, bc.id), out)
    assert out.read_bytes() == data
    pages = pdf_pages(data)
    first, everything = flat(pages[0]), flat(" ".join(pages))
    assert "Regionalización operativa" in first and "Coordinación Estatal Baja California" in first
    assert f"Página 1 de {len(pages)}" in first
    assert "Fecha de corte: 31 de octubre de 2026" in first
    # registered figures: 2 regions, 3 zones, 3 coordinating hospitals, 0 other hospitals, 1 team; then the total
    assert re.search(r"Baja California 2 3 3 0 1 Total 2 3 3 0 1", first), first
    assert "Regiones operativas: registradas / publicadas = 2 / " in everything
    # the consistency lists: San Felipe has no zone, and it is listed again on the quality page
    assert "Unidades sin zona de servicios médicos: 1" in everything
    assert "BCIMB000102" in everything and "CENTRO DE SALUD SAN FELIPE" in everything
    assert "Zonas sin hospital coordinador válido: 0" in everything
    assert "Revisiones de calidad de datos" in pages[-1]
    assert "Unidades sin zona de servicios médicos" in flat(pages[-1])
    assert "Elaboró" in everything and "Revisó" in everything and "Vo. Bo." in everything


def test_regions_report_national_has_one_row_per_state_and_the_computed_total(factory, bc, bc_structure):
    with factory() as s:
        pages = pdf_pages(generate(s, ReportRequest("regions", AS_OF)))
    first = flat(pages[0])
    assert "Oficina nacional" in first
    assert "Baja California 2 3 3 0 1" in first
    assert re.search(r"Total 2 3 3 0 1\b", first)  # only Baja California has a registered structure
    assert "Sonora" in first  # adhered states print even with no structure


def test_report_cli_regions(db_path, factory, bc, bc_structure, tmp_path, capsys):
    out = tmp_path / "r.pdf"
    parser = build_parser()
    args = parser.parse_args(["--db", str(db_path), "report", "regions", "--state", "BC", "--as-of", "2026-10-31",
                              "--out", str(out)])
    assert run_headless(args) == 0
    assert "Reporte generado" in capsys.readouterr().out
    assert "Fecha de corte: 31 de octubre de 2026" in flat(pdf_pages(out.read_bytes())[0])
    args = parser.parse_args(["--db", str(db_path), "report", "regions", "--state", "ZZ", "--out", str(out)])
    assert run_headless(args) == 2
    assert "Entidad desconocida: ZZ" in capsys.readouterr().err


def test_signatories_are_configured_once_and_printed_under_every_report(db_path, factory, bc, bc_structure, capsys):
    parser = build_parser()
    args = parser.parse_args(["--db", str(db_path), "report-signers", "--elaboro", "Ana Pérez Núñez|Jefa de Planeación",
                              "--vobo", "Dr. José Ibáñez|Coordinador Estatal"])
    assert run_headless(args) == 0
    assert "Elaboró: Ana Pérez Núñez · Jefa de Planeación" in capsys.readouterr().out
    with factory() as s:
        assert [x.name for x in rs.get_signatories(s)] == ["Ana Pérez Núñez", "", "Dr. José Ibáñez"]
        text = flat(" ".join(pdf_pages(generate(s, ReportRequest("regions", AS_OF, bc.id)))))
    assert "Ana Pérez Núñez" in text and "Jefa de Planeación" in text and "Dr. José Ibáñez" in text
    with factory.begin() as s, pytest.raises(ValueError, match="excede 120"):
        rs.set_signatories(s, [Signatory("Revisó", "x" * 121)], "u")
    with factory() as s:  # the refused change left the stored block as it was
        assert rs.get_signatories(s)[1].name == ""
