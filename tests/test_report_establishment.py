"""«Ficha del establecimiento»: every section of the card (identification, regionalisation and referral, weekend
opening, services and responsables, authorisations with their history, documents) on one or two pages; unknown
CLUES refused, old SSA CLUES found, retired establishments marked, inconsistent data on the quality page; and the
headless command. Checked through the text of the generated PDF."""
from __future__ import annotations

from datetime import date as D
from datetime import time

import pytest
from sqlalchemy import select

from gui.cli import build_parser, run_headless
from models.entities import Typology
from models.enums import AuthorisationStatus as S
from models.services import authorisations as auth
from models.services import documents as docs
from models.services import establishments as est_svc
from models.services import regions as reg_svc
from models.services import weekend as wk
from reports import establishment as card
from reports.catalog import ReportError, ReportRequest, generate
from tests.helpers import flat, new_establishment, pdf_pages, table_dump

USER = "capturista"
AS_OF = D(2026, 10, 31)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
def unit(factory, bc, tmp_path) -> dict:
    """A health centre of Mexicali with everything a card shows, and its zone's coordinating hospital."""
    with factory() as s:
        cs = s.scalar(select(Typology.id).where(Typology.code == "CS"))
    hospital = new_establishment(factory, bc.id, "BCIMB000355", "HOSPITAL GENERAL MEXICALI", "SEGUNDO",
                                 latitude=32.6245, longitude=-115.4523, previous_clues="BCSSA000440").id
    centre = new_establishment(
        factory, bc.id, "BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "PRIMER", typology_id=cs,
        previous_clues="BCSSA001234", municipality_code="002", municipality="Mexicali", locality_code="0001",
        locality="Mexicali", jurisdiction="Jurisdicción I Mexicali", address="Av. Reforma 1200, Col. Centro",
        postal_code="21100", latitude=32.6500, longitude=-115.4700, operation_started_on=D(2010, 5, 1),
        establishment_type="DE CONSULTA EXTERNA").id
    with factory.begin() as s:
        region = reg_svc.create_region(s, bc.id, "Región I Mexicali", USER).id
        zone = reg_svc.create_zone(s, region, "ZSM Mexicali", USER).id
        reg_svc.set_coordinator(s, zone, hospital, USER)
        reg_svc.assign_establishments(s, zone, [centre], USER)
        team = reg_svc.create_team(s, region, "ESZ Mexicali Norte", USER).id
        reg_svc.supervise(s, team, [centre], USER)
        wk.save_schedule(s, wk.ScheduleData(
            centre, True, D(2026, 1, 10),
            shifts=[wk.ShiftData(d, "MATUTINO" if d < 5 else "JORNADA_ACUMULADA", time(8), time(14 if d < 5 else 20))
                    for d in range(7)],
            staff=[wk.StaffData("MEDICO", "Dra. Ana López Ruiz", "EVENTUAL", D(2026, 1, 1)),
                   wk.StaffData("ENFERMERIA", "Enf. Rosa Díaz", "BASE", D(2026, 1, 1))]), USER, AS_OF)
        lab = auth.add_service(s, centre, "LAB", USER)
        auth.add_service(s, centre, "FAR", USER)  # no responsable sanitario
        auth.add_responsable(s, auth.ResponsableData(lab.id, "Luis Pérez Soto", "Químico farmacobiólogo", "7654321",
                                                     D(2025, 1, 1)), USER)
        aviso = auth.create_authorisation(s, auth.AuthorisationData(centre, "AVISO_FUNC"), USER, on=D(2026, 1, 5),
                                          comment="Alta del trámite", today=AS_OF).id
        auth.change_status(s, aviso, S.INGRESADA, D(2026, 2, 2), USER, "Ingresado en DIGIPRIS", today=AS_OF)
        auth.update_authorisation(s, auth.AuthorisationData(**{**auth.get_authorisation(s, aviso).__dict__,
                                                               "folio": "DIGIPRIS-2026-555"}), USER, today=AS_OF)
        auth.change_status(s, aviso, S.OTORGADA, D(2026, 3, 1), USER, "Acuse recibido", today=AS_OF)
        auth.change_status(s, aviso, S.VIGENTE, D(2026, 3, 2), USER, today=AS_OF)
    scan = tmp_path / "Aviso de funcionamiento 2026.pdf"
    scan.write_bytes(PDF)
    with factory.begin() as s:
        document = docs.attach_document(s, aviso, scan, USER)
    return {"hospital": hospital, "centre": centre, "aviso": aviso, "document": document, "zone": zone}


def card_pages(factory, clues: str, as_of: D = AS_OF) -> list[str]:
    with factory() as s:
        return pdf_pages(generate(s, ReportRequest("establishment", as_of, clues=clues)))


def test_card_of_a_first_level_unit_has_every_section_on_two_pages_at_most(factory, unit, engine):
    before = table_dump(engine)
    pages = card_pages(factory, "BCIMB000101")
    assert table_dump(engine) == before  # read-only
    assert len(pages) <= 2
    first, text = flat(pages[0]), flat(" ".join(pages))
    assert "Ficha del establecimiento" in first and "Coordinación Estatal Baja California" in first
    assert "CLUES BCIMB000101" in first and f"Página 1 de {len(pages)}" in first
    assert "Fecha de corte: 31 de octubre de 2026" in first
    for section in ("Identificación", "Regionalización y referencia", "Apertura en fin de semana",
                    "Servicios y responsables sanitarios", "Autorizaciones sanitarias", "Historial de los trámites",
                    "Documentos adjuntos", "Elaboró"):
        assert section in text, section
    # identification
    assert "CENTRO DE SALUD MEXICALI CENTRO" in first
    assert "CLUES anterior (SSA) BCSSA001234" in text
    assert "Municipio 002 · Mexicali" in text and "Localidad 0001 · Mexicali" in text
    assert "Av. Reforma 1200, Col. Centro, C.P. 21100" in text
    assert "Nivel de atención Primer nivel" in text and "Tipología Centro de Salud" in text
    assert "Institución IMB · IMSS-BIENESTAR" in text and "Estatus de operación En operación" in text
    assert "32.650000, -115.470000" in text and "Inicio de operación 01/05/2010" in text
    # regionalisation and referral (by default, the zone's coordinating hospital; straight-line distance)
    assert "Región operativa Región I Mexicali" in text and "ZSM Mexicali" in text
    assert "Hospital coordinador de la zona BCIMB000355 · HOSPITAL GENERAL MEXICALI" in text
    assert "BCIMB000355 · HOSPITAL GENERAL MEXICALI (coordinador de su zona, por omisión; 3.3 km en línea " \
           "recta)" in text
    assert "Supervisión zonal ESZ Mexicali Norte" in text
    # weekend opening at the cut-off date, with its shifts and staff
    assert "Abre los 7 días al 31 de octubre de 2026." in text
    assert "Turnos Lunes a viernes: Matutino 08:00-14:00 · Sábado y domingo: Jornada acumulada de fin de semana " \
           "08:00-20:00" in text
    assert "Médico(a) Dra. Ana López Ruiz EVENTUAL 01/01/2026" in text and "Enf. Rosa Díaz" in text
    # services and responsables sanitarios
    assert "Laboratorio clínico No Luis Pérez Soto Químico farmacobiólogo · Céd. 7654321 01/01/2025 – vigente" in text
    assert "Farmacia No Sin responsable sanitario vigente" in text
    assert "1 servicio sin responsable sanitario vigente: Farmacia." in text
    # authorisations: required (and why), status, folio, dates; then the history of changes
    assert "Aviso de funcionamiento (DIGIPRIS). Requerida para unidades de primer nivel. Sí Vigente " \
           "DIGIPRIS-2026-555 COFEPRIS 02/02/2026 01/03/2026" in text
    assert "No requeridas (sin trámite registrado): Licencia sanitaria, Comité (registro)" in text
    assert "Aviso de responsable sanitario. Requerida para unidades de primer nivel. Sí Sin trámite" in text
    assert "05/01/2026 Registro: Requerida capturista Alta del trámite" in text
    assert "02/02/2026 Requerida → Ingresada capturista Ingresado en DIGIPRIS" in text
    assert "Otorgada → Vigente" in text
    # documents, checked against their fingerprint
    assert "Aviso de funcionamiento 2026.pdf" in text and "Íntegro" in text
    assert "Dado de baja" not in text and "Revisiones de calidad de datos" not in text


def test_hospital_card(factory, unit):
    text = flat(" ".join(card_pages(factory, "bcimb000355")))  # lower case and spaces are forgiven
    assert "HOSPITAL GENERAL MEXICALI" in text and "Segundo nivel" in text
    assert "No aplica: BCIMB000355 es de segundo nivel" in text
    assert "Coordina Hospital coordinador de: ZSM Mexicali" in text
    assert "Hospital de referencia Es el hospital coordinador de su zona" in text
    assert "Licencia sanitaria. Requerida para unidades de segundo nivel. Sí Sin trámite" in text
    assert "Sin servicios registrados." in text and "Sin documentos adjuntos." in text


def test_unknown_clues_is_refused_with_its_message(factory, unit):
    with factory() as s, pytest.raises(ReportError, match=r"^No existe el establecimiento con CLUES BCIMB999999\.$"):
        generate(s, ReportRequest("establishment", AS_OF, clues="BCIMB999999"))
    with factory() as s, pytest.raises(ReportError, match="Indique la CLUES"):
        card.find(s, "  ")


def test_old_ssa_clues_finds_the_establishment(factory, unit):
    text = flat(" ".join(card_pages(factory, "BCSSA001234")))
    assert "CLUES BCIMB000101" in text
    assert "Se buscó por la CLUES anterior BCSSA001234 (tabla de equivalencias); su CLUES actual es " \
           "BCIMB000101." in text


def test_retired_establishment_prints_with_a_dado_de_baja_notice(factory, unit):
    with factory.begin() as s:
        est_svc.retire_establishment(s, unit["centre"], "Fusionado con el Centro de Salud Mexicali Oriente",
                                     D(2026, 9, 1), USER)
    pages = card_pages(factory, "BCIMB000101")
    first, text = flat(pages[0]), flat(" ".join(pages))
    assert "Dado de baja" in first
    assert "Este establecimiento fue dado de baja el 1 de septiembre de 2026. Motivo: Fusionado con el Centro de " \
           "Salud Mexicali Oriente." in first
    assert "Estatus de operación Baja (fuera de operación) (desde el 01/09/2026)" in text
    assert "DIGIPRIS-2026-555" in text  # the procedures still print
    assert "No aplica: BCIMB000101 está dado de baja." in text


def test_inconsistent_data_goes_to_the_quality_page(factory, unit):
    with factory.begin() as s:
        # current on paper, but its expiry date is before the cut-off date
        auth.create_authorisation(s, auth.AuthorisationData(unit["centre"], "PERMISO", status=S.VIGENTE.value,
                                                            folio="PS-77", submitted_on=D(2025, 1, 2),
                                                            granted_on=D(2025, 2, 1), expires_on=D(2026, 8, 31)),
                                  USER, on=D(2025, 2, 1), today=AS_OF)
    docs.document_path(unit["document"]).unlink()  # the scanned file went missing
    pages = card_pages(factory, "BCIMB000101")
    text, last = flat(" ".join(pages)), flat(pages[-1])
    assert "Permiso sanitario. Tiene un trámite registrado. Sí Vigente (vencida) PS-77" in text
    assert "No se encuentra" in text
    assert "Revisiones de calidad de datos" in last
    assert "BCIMB000101 Permiso sanitario: registrada como «Vigente» pero venció el 31/08/2026." in last
    assert "No se encuentra el archivo del documento «Aviso de funcionamiento 2026.pdf»" in last


def test_report_cli_establishment(db_path, factory, unit, tmp_path, capsys):
    out = tmp_path / "ficha.pdf"
    parser = build_parser()
    args = parser.parse_args(["--db", str(db_path), "report", "establishment", "--clues", "BCIMB000101", "--as-of",
                              "2026-10-31", "--out", str(out)])
    assert run_headless(args) == 0
    assert "Reporte generado" in capsys.readouterr().out
    pages = pdf_pages(out.read_bytes())
    assert "Fecha de corte: 31 de octubre de 2026" in pages[0] and f"Página 1 de {len(pages)}" in pages[0]
    assert "CENTRO DE SALUD MEXICALI CENTRO" in flat(pages[0])
    args = parser.parse_args(["--db", str(db_path), "report", "establishment", "--clues", "BCIMB999999", "--out",
                              str(tmp_path / "no.pdf")])
    assert run_headless(args) == 2
    assert "No existe el establecimiento con CLUES BCIMB999999." in capsys.readouterr().err
    assert not (tmp_path / "no.pdf").exists()
