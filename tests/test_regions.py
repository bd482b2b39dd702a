"""Operating regions, zones, supervision teams, referral network, consistency panel, import and summary."""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import event, func, insert, select, text

import models.importing.regions as regions_import  # registers the "regions" import kind
from gui.cli_regions import add_regions
from models.entities import AuditEntry, Establishment, SupervisionTeam, Zone
from models.enums import LevelOfCare
from models.importing import ImportCancelled, Progress
from models.importing.export import write_table
from models.importing.runner import plan_file
from models.importing.spec import get_kind
from models.services import establishments as est_svc
from models.services import office as office_svc
from models.services import referrals as ref_svc
from models.services import region_figures as fig_svc
from models.services import regions as svc
from models.services.establishments import ConcurrencyError
from models.validation import ValidationError
from tests.helpers import assert_file_intact, new_establishment, table_dump

DATA = Path(__file__).parent / "data" / "regions"
USER = "coordinador"

# The Baja California establishments the files in tests/data/regions refer to (see README.md there).
BC_ESTABLISHMENTS = [
    ("BCIMB000010", "HOSPITAL GENERAL MEXICALI", "SEGUNDO", 32.6245, -115.4523, {}),
    ("BCIMB000020", "HOSPITAL GENERAL TIJUANA", "SEGUNDO", 32.5290, -117.0190, {}),
    ("BCIMB000030", "HOSPITAL GENERAL ENSENADA", "SEGUNDO", 31.8667, -116.5964, {}),
    ("BCIMB000040", "HOSPITAL MATERNO INFANTIL MEXICALI", "SEGUNDO", 32.6400, -115.4800, {}),
    ("BCIMB000101", "CENTRO DE SALUD MEXICALI CENTRO", "PRIMER", 32.6630, -115.4680, {}),
    ("BCIMB000102", "CENTRO DE SALUD SAN FELIPE", "PRIMER", 31.0275, -114.8353, {}),
    ("BCIMB000103", "CENTRO DE SALUD TIJUANA", "PRIMER", 32.5000, -117.0000, {}),
    ("BCIMB000104", "CENTRO DE SALUD ENSENADA", "PRIMER", 31.8600, -116.6200, {}),
    ("BCIMB000105", "CENTRO DE SALUD MANEADERO", "PRIMER", 31.7200, -116.5700, {}),
    ("BCIMB000106", "CENTRO DE SALUD ROSARITO", "PRIMER", 32.3600, -117.0500, {"previous_clues": "BCSSA000106"}),
    ("BCIMB000107", "CENTRO DE SALUD TECATE", "PRIMER", 32.5700, -116.6300, {}),
    ("BCIMB000108", "CENTRO DE SALUD CERRADO", "PRIMER", None, None, {}),
]


@pytest.fixture
def units(factory, bc) -> dict[str, int]:
    """The Baja California establishments above (BCIMB000108 retired), CLUES → id."""
    ids = {}
    for clues, name, level, lat, lon, extra in BC_ESTABLISHMENTS:
        ids[clues] = new_establishment(factory, bc.id, clues, name, level, latitude=lat, longitude=lon, **extra).id
    with factory.begin() as s:
        est_svc.retire_establishment(s, ids["BCIMB000108"], "Cierre definitivo", date(2024, 3, 1), "prueba")
    return ids


def state(factory, key: str) -> office_svc.StateInfo:
    with factory() as s:
        return office_svc.find_state(s, key)


def zone_of(factory, establishment_id: int) -> tuple[int | None, int | None]:
    with factory() as s:
        obj = s.get(Establishment, establishment_id)
        return obj.region_id, obj.zone_id


def make_zone(factory, state_id: int, region: str, zone: str) -> tuple[int, int]:
    """A region (created if missing) and a zone in it: (region id, zone id)."""
    with factory.begin() as s:
        found = [r for r in svc.list_regions(s, state_id) if r.name == region]
        region_id = found[0].id if found else svc.create_region(s, state_id, region, USER).id
        return region_id, svc.create_zone(s, region_id, zone, USER).id


# --------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------

def test_a_first_level_unit_cannot_coordinate_a_zone(engine, factory, bc, units):
    _r, zone = make_zone(factory, bc.id, "Región I Mexicali", "ZSM Mexicali")
    before = table_dump(engine)
    with pytest.raises(ValidationError) as err:
        with factory.begin() as s:
            svc.set_coordinator(s, zone, units["BCIMB000101"], USER)
    assert "primer nivel" in err.value.errors["coordinating_establishment_id"]
    with pytest.raises(ValidationError) as err:
        with factory.begin() as s:
            svc.set_coordinator(s, zone, units["BCIMB000108"], USER)
    assert "dado de baja" in err.value.errors["coordinating_establishment_id"]
    sonora = state(factory, "SR")
    foreign = new_establishment(factory, sonora.id, "SRIMB000001", "HOSPITAL GENERAL DEL ESTADO", "SEGUNDO")
    before = table_dump(engine)
    with pytest.raises(ValidationError) as err:
        with factory.begin() as s:
            svc.set_coordinator(s, zone, foreign.id, USER)
    assert "misma entidad" in err.value.errors["coordinating_establishment_id"]
    assert table_dump(engine) == before
    with factory.begin() as s:
        data = svc.set_coordinator(s, zone, units["BCIMB000010"], USER)
    assert data.coordinating_establishment_id == units["BCIMB000010"]
    assert zone_of(factory, units["BCIMB000010"])[1] == zone  # the coordinating hospital is in its zone


def test_a_hospital_coordinates_one_zone_and_must_be_in_it_or_in_none(factory, bc, units):
    _r, mexicali = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    _r, tijuana = make_zone(factory, bc.id, "Región II", "ZSM Tijuana")
    with factory.begin() as s:
        svc.set_coordinator(s, mexicali, units["BCIMB000010"], USER)
        svc.assign_establishments(s, tijuana, [units["BCIMB000020"]], USER)
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.set_coordinator(s, tijuana, units["BCIMB000010"], USER)
    assert "ya coordina la zona «ZSM Mexicali»" in err.value.errors["coordinating_establishment_id"]
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.set_coordinator(s, mexicali, units["BCIMB000020"], USER)
    assert "pertenece a la zona «ZSM Tijuana»" in err.value.errors["coordinating_establishment_id"]


def test_an_establishment_belongs_to_at_most_one_zone(engine, factory, bc, units):
    region1, zone1 = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    region2, zone2 = make_zone(factory, bc.id, "Región II", "ZSM Tijuana")
    cs = units["BCIMB000101"]
    with factory.begin() as s:
        first = svc.assign_establishments(s, zone1, [cs], USER)
    assert first.changed == [cs] and zone_of(factory, cs) == (region1, zone1)
    with factory.begin() as s:
        again = svc.assign_establishments(s, zone1, [cs], USER)
        moved = svc.assign_establishments(s, zone2, [cs], USER)
    assert again.unchanged == [cs] and moved.changed == [cs]
    assert zone_of(factory, cs) == (region2, zone2)  # moved, region follows the zone
    with factory() as s:
        tree = svc.load_tree(s, bc.id)
    placed = [u.id for r in tree.regions for z in r.zones for u in z.establishments] + [u.id for u in tree.unassigned]
    assert placed.count(cs) == 1 and len(placed) == len(set(placed)) == 11  # the retired one is not in the tree

    # The coordinating hospital of a zone cannot be dragged to another one; nothing of the batch moves.
    with factory.begin() as s:
        svc.set_coordinator(s, zone1, units["BCIMB000010"], USER)
    before = table_dump(engine)
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.assign_establishments(s, zone2, [units["BCIMB000102"], units["BCIMB000010"]], USER)
    assert "coordinan otra zona" in err.value.errors["establishment_ids"] and "BCIMB000010" in err.value.errors["establishment_ids"]
    with pytest.raises(ValidationError), factory.begin() as s:
        svc.unassign_establishments(s, [units["BCIMB000010"]], USER)
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.assign_establishments(s, zone2, [units["BCIMB000108"]], USER)
    assert "dados de baja: BCIMB000108" in err.value.errors["establishment_ids"]
    assert table_dump(engine) == before
    with factory.begin() as s:
        svc.unassign_establishments(s, [cs], USER)
    assert zone_of(factory, cs) == (None, None)
    with factory() as s:
        assert cs in [u.id for u in svc.list_unassigned(s, bc.id)]


def test_retiring_a_zone_with_establishments_asks_where_they_go_and_moves_them_together(engine, factory, bc, units):
    region, mexicali = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    _r, valle = make_zone(factory, bc.id, "Región I", "ZSM Valle")
    members = [units[c] for c in ("BCIMB000010", "BCIMB000040", "BCIMB000101", "BCIMB000102")]
    with factory.begin() as s:
        svc.assign_establishments(s, mexicali, members, USER)
        svc.set_coordinator(s, mexicali, units["BCIMB000010"], USER)
        version = svc.get_zone(s, mexicali).version
    before = table_dump(engine)
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.retire_zone(s, mexicali, USER)
    assert "tiene 4 establecimientos" in err.value.errors["move_to"]
    with pytest.raises(ConcurrencyError), factory.begin() as s:
        svc.retire_zone(s, mexicali, USER, move_to=valle, version=version - 1)
    assert table_dump(engine) == before
    with factory.begin() as s:
        result = svc.retire_zone(s, mexicali, USER, move_to=valle, version=version)
    assert sorted(result.moved) == sorted(members) and result.target_zone_id == valle
    assert all(zone_of(factory, i) == (region, valle) for i in members)
    with factory() as s:
        assert s.get(Zone, mexicali).deleted_at is not None
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "dar_de_baja" and "BCIMB000101" in entry.after_json
        tree = svc.load_tree(s, bc.id)
    assert [z.name for r in tree.regions for z in r.zones] == ["ZSM Valle"]
    # Explicit None: the establishments are left without a zone.
    with factory.begin() as s:
        svc.retire_zone(s, valle, USER, move_to=None)
    assert all(zone_of(factory, i) == (None, None) for i in members)


def test_nothing_moves_when_retiring_a_zone_fails_half_way(engine, factory, bc, units, monkeypatch):
    _r, mexicali = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    _r, valle = make_zone(factory, bc.id, "Región I", "ZSM Valle")
    members = [units["BCIMB000101"], units["BCIMB000102"], units["BCIMB000103"]]
    with factory.begin() as s:
        svc.assign_establishments(s, mexicali, members, USER)
    before = table_dump(engine)
    seen = {}

    def crash(session, *args, **kwargs):
        seen["moved"] = session.scalar(select(func.count()).where(Establishment.zone_id == valle))
        raise RuntimeError("corte de luz simulado")

    monkeypatch.setattr(svc.audit, "record", crash)
    with pytest.raises(RuntimeError, match="corte de luz"), factory.begin() as s:
        svc.retire_zone(s, mexicali, USER, move_to=valle)
    assert seen["moved"] == 3  # the moves had been written in the transaction…
    assert table_dump(engine) == before  # …and were rolled back with it
    monkeypatch.undo()
    cm = state(factory, "CM")
    _r, colima = make_zone(factory, cm.id, "Región Colima", "ZSM Colima")
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.retire_zone(s, mexicali, USER, move_to=colima)
    assert "misma entidad" in err.value.errors["move_to"]
    assert all(zone_of(factory, i)[1] == mexicali for i in members)


def test_retiring_a_region_moves_its_zones_teams_and_establishments(engine, factory, bc, units):
    region1, zone1 = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    region2, _zone2 = make_zone(factory, bc.id, "Región II", "ZSM Tijuana")
    with factory.begin() as s:
        svc.assign_establishments(s, zone1, [units["BCIMB000101"]], USER)
        team = svc.create_team(s, region1, "ESZ Mexicali 1", USER)
        empty = svc.create_region(s, bc.id, "Región sin zonas", USER)
        lonely_team = svc.create_team(s, empty.id, "ESZ huérfano", USER)
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.retire_region(s, region1, USER)
    assert "1 zona activa" in err.value.errors["move_to"] and "ZSM Mexicali" in err.value.errors["move_to"]
    with factory.begin() as s:
        result = svc.retire_region(s, region1, USER, move_to=region2)
    assert result.zones_moved == [zone1] and result.teams_moved == [team.id]
    assert zone_of(factory, units["BCIMB000101"]) == (region2, zone1)
    with factory.begin() as s:
        result = svc.retire_region(s, empty.id, USER)  # no zones: its team is retired with it
        assert result.teams_retired == [lonely_team.id]
        assert s.get(SupervisionTeam, lonely_team.id).deleted_at is not None
        tree = svc.load_tree(s, bc.id)
    assert [(r.name, [z.name for z in r.zones], r.teams) for r in tree.regions] == [
        ("Región II", ["ZSM Mexicali", "ZSM Tijuana"], 1)]


def test_names_are_unique_ignoring_case_and_accents_and_versions_are_checked(factory, bc):
    with factory.begin() as s:
        region = svc.create_region(s, bc.id, "Región  Norte", USER)
        zone = svc.create_zone(s, region.id, "ZSM Mexicali", USER)
    assert region.name == "Región Norte"
    for name in ("REGION NORTE", " región norte "):
        with pytest.raises(ValidationError) as err, factory.begin() as s:
            svc.create_region(s, bc.id, name, USER)
        assert "Ya existe la región «Región Norte»" in err.value.errors["name"]
    with factory.begin() as s:
        other = svc.create_region(s, bc.id, "Región Sur", USER)
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.create_zone(s, other.id, "zsm mexicali", USER)  # zone names are unique in the whole state
    assert "región «Región Norte»" in err.value.errors["name"]
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.create_region(s, bc.id, "   ", USER)
    assert "obligatorio" in err.value.errors["name"]
    with factory.begin() as s:
        renamed = svc.rename_region(s, region.id, "Región I Mexicali", USER, version=region.version)
    assert renamed.version == region.version + 1
    with pytest.raises(ConcurrencyError, match="fue modificada por coordinador"), factory.begin() as s:
        svc.rename_region(s, region.id, "Otra", USER, version=region.version)
    with factory.begin() as s:
        svc.retire_zone(s, zone.id, USER)
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.create_zone(s, region.id, "ZSM MEXICALI", USER)
    assert "dada de baja" in err.value.errors["name"] and "restáurela" in err.value.errors["name"]
    with factory.begin() as s:
        assert svc.restore_zone(s, zone.id, USER).retired is False


def test_supervision_teams_members_and_supervised_establishments(factory, bc, units):
    region, _zone = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    sonora = state(factory, "SR")
    foreign = new_establishment(factory, sonora.id, "SRIMB000001", "HOSPITAL GENERAL DEL ESTADO", "SEGUNDO")
    with factory.begin() as s:
        team = svc.create_team(s, region, "ESZ 1", USER)
        ana = svc.add_member(s, team.id, " Ana  López ", USER, role="Supervisora médica", phone="686 555 1234")
        luis = svc.add_member(s, team.id, "Luis Pérez", USER, role="Enfermería")
        svc.supervise(s, team.id, [units["BCIMB000101"], units["BCIMB000102"]], USER)
    assert ana.full_name == "Ana López"
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.add_member(s, team.id, "", USER, phone="55")
    assert set(err.value.errors) == {"full_name", "phone"}
    with pytest.raises(ValidationError) as err, factory.begin() as s:
        svc.supervise(s, team.id, [foreign.id], USER)
    assert "SRIMB000001" in err.value.errors["establishment_ids"]
    with factory.begin() as s:
        svc.update_member(s, ana.id, USER, "Ana López Ruiz", "Coordinadora", "686 555 1234 ext. 12", version=ana.version)
        svc.remove_member(s, luis.id, USER)
        assert svc.unsupervise(s, team.id, [units["BCIMB000102"]], USER) == [units["BCIMB000102"]]
        assert svc.supervise(s, team.id, [units["BCIMB000102"]], USER) == [units["BCIMB000102"]]  # restored link
        assert svc.supervise(s, team.id, [units["BCIMB000102"]], USER) == []
        teams = svc.list_teams(s, bc.id)
    assert len(teams) == 1
    detail = teams[0]
    assert detail.region_name == "Región I" and [m.full_name for m in detail.members] == ["Ana López Ruiz"]
    assert detail.members[0].role == "Coordinadora"
    assert [u.clues for u in detail.establishments] == ["BCIMB000101", "BCIMB000102"]
    with factory.begin() as s:
        svc.retire_team(s, team.id, USER)
        assert svc.list_teams(s, bc.id) == []
        assert fig_svc.regions_summary(s, bc.id).rows[0].supervision_teams == 0


# --------------------------------------------------------------------------------------------------
# The published table, entered for three states
# --------------------------------------------------------------------------------------------------

# Published figures, 1 January – 30 June 2024 (../shared/domain.md): regions, zones, coordinating
# hospitals, other hospitals in zones, ESZ.
PUBLISHED = {"BC": (3, 3, 3, 4, 10), "CM": (2, 2, 2, 4, 10), "TL": (4, 4, 4, 8, 12)}


def enter_structure(factory, prefix: str, figures: tuple[int, int, int, int, int]) -> dict[str, list[int]]:
    """Enter a state's structure through the services: regions, zones spread over them, a coordinating
    hospital per zone, the other hospitals and two first-level units per zone, teams spread over regions."""
    regions_n, zones_n, coordinators_n, others_n, teams_n = figures
    assert coordinators_n == zones_n  # one coordinating hospital per zone in these three states
    st = state(factory, prefix)
    number = iter(range(1, 1000))

    def unit(name: str, level: str) -> int:
        return new_establishment(factory, st.id, f"{prefix}IMB{next(number):06d}", name, level).id

    made: dict[str, list[int]] = {"regions": [], "zones": [], "units": []}
    with factory.begin() as s:
        made["regions"] = [svc.create_region(s, st.id, f"Región {i + 1}", USER).id for i in range(regions_n)]
        made["zones"] = [svc.create_zone(s, made["regions"][i % regions_n], f"ZSM {prefix} {i + 1}", USER).id
                         for i in range(zones_n)]
        for i in range(teams_n):
            svc.create_team(s, made["regions"][i % regions_n], f"ESZ {i + 1}", USER)
    coordinators = [unit(f"Hospital General {i + 1}", "SEGUNDO") for i in range(zones_n)]
    others = [unit(f"Hospital {i + 1}", "TERCER" if i % 3 == 0 else "SEGUNDO") for i in range(others_n)]
    first = [unit(f"Centro de Salud {i + 1}", "PRIMER") for i in range(2 * zones_n)]
    with factory.begin() as s:
        for i, zone in enumerate(made["zones"]):
            svc.set_coordinator(s, zone, coordinators[i], USER)
            svc.assign_establishments(s, zone, [first[2 * i], first[2 * i + 1]]
                                      + [h for j, h in enumerate(others) if j % zones_n == i], USER)
    made["units"] = coordinators + others + first
    return made


def test_three_states_entered_as_published_give_the_published_rows_and_a_computed_total(factory, bc):
    made = {prefix: enter_structure(factory, prefix, figures) for prefix, figures in PUBLISHED.items()}
    with factory() as s:
        for prefix, figures in PUBLISHED.items():
            summary = fig_svc.regions_summary(s, state(factory, prefix).id)
            assert [row.figures() for row in summary.rows] == [figures]
            assert summary.total.figures() == figures
        everything = fig_svc.regions_summary(s)
    by_name = {row.state_name: row.figures() for row in everything.rows}
    assert by_name["Baja California"] == (3, 3, 3, 4, 10)
    assert by_name["Colima"] == (2, 2, 2, 4, 10)
    assert by_name["Tlaxcala"] == (4, 4, 4, 8, 12)
    assert len(everything.rows) == 23 and [r.inegi_code for r in everything.rows] == sorted(r.inegi_code for r in everything.rows)
    assert everything.total.figures() == (9, 9, 9, 16, 32)
    assert everything.total.figures() == tuple(sum(r.figures()[i] for r in everything.rows) for i in range(5))
    assert everything.total.state_name == "Total"

    # The consistency panel agrees with the published figures …
    for prefix in PUBLISHED:
        with factory() as s:
            report = fig_svc.consistency(s, state(factory, prefix).id)
        assert report.differences == [] and report.clean, (prefix, report)
        assert report.period_label == "1 de enero – 30 de junio de 2024"
    # … until a zone is retired (its establishments, coordinating hospital included, go to another zone).
    tl = made["TL"]
    with factory.begin() as s:
        svc.retire_zone(s, tl["zones"][3], USER, move_to=tl["zones"][0])
    with factory() as s:
        report = fig_svc.consistency(s, state(factory, "TL").id)
    assert {c.key: (c.registered, c.published, c.difference) for c in report.differences} == {
        "zones": (3, 4, -1),
        "coordinating_hospitals": (3, 4, -1),
        "other_hospitals": (9, 8, 1),  # the old coordinating hospital is now an "other" hospital
    }
    assert report.zones_without_coordinator == [] and report.units_without_zone == []


def test_published_totals_are_computed_from_the_rows(factory):
    with factory() as s:
        published = fig_svc.published_summary(s)
    assert len(published.rows) == 23
    assert published.total.figures() == tuple(sum(r.figures()[i] for r in published.rows) for i in range(5))
    assert published.total.figures() == (135, 160, 160, 419, 556)  # the printed totals happen to agree
    rows = {r.state_name: r for r in published.rows}
    # The source's own inconsistencies, kept as published: fewer (or more) coordinating hospitals than zones.
    assert [(n, rows[n].zones, rows[n].coordinating_hospitals) for n in ("Guerrero", "Michoacán", "Tamaulipas")] == [
        ("Guerrero", 12, 11), ("Michoacán", 8, 10), ("Tamaulipas", 8, 7)]
    assert (published.period_start, published.period_end) == (date(2024, 1, 1), date(2024, 6, 30))


def test_consistency_checks_name_the_problems(engine, factory, bc, units):
    region, zone = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    with factory.begin() as s:
        svc.create_region(s, bc.id, "Región vacía", USER)
        svc.assign_establishments(s, zone, [units["BCIMB000101"]], USER)
        report = fig_svc.consistency(s, bc.id)
    assert [(z.zone_name, z.reason) for z in report.zones_without_coordinator] == [("ZSM Mexicali", "No tiene hospital coordinador.")]
    assert [r.region_name for r in report.regions_without_zones] == ["Región vacía"]
    assert len(report.units_without_zone) == 10 and "BCIMB000108" not in {u.clues for u in report.units_without_zone}
    assert {c.key: c.difference for c in report.comparisons} == {
        "regions": -1, "zones": -2, "coordinating_hospitals": -3, "other_hospitals": -4, "supervision_teams": -10}
    # A hospital of another state coordinating the zone (only possible through data from elsewhere).
    sonora = state(factory, "SR")
    foreign = new_establishment(factory, sonora.id, "SRIMB000001", "HOSPITAL GENERAL DEL ESTADO", "SEGUNDO")
    with engine.begin() as conn:
        conn.execute(text("UPDATE zones SET coordinating_establishment_id = :h WHERE id = :z"), {"h": foreign.id, "z": zone})
    with factory() as s:
        report = fig_svc.consistency(s, bc.id)
        other_side = fig_svc.consistency(s, sonora.id)
    assert [(c.zone_name, c.clues, c.establishment_state) for c in report.cross_state_coordinators] == [
        ("ZSM Mexicali", "SRIMB000001", "Sonora")]
    assert [(c.zone_name, c.zone_state) for c in other_side.cross_state_coordinators] == [("ZSM Mexicali", "Baja California")]
    assert report.zones_without_coordinator == []


# --------------------------------------------------------------------------------------------------
# Referral network
# --------------------------------------------------------------------------------------------------

def test_distance_between_known_points():
    # Zócalo of Mexico City (19.4326, -99.1332) to the Zócalo of Puebla (19.0414, -98.2063): 106.64 km on
    # the WGS84 ellipsoid (Vincenty's inverse formula, computed independently); the haversine formula on
    # the mean-radius sphere gives 106.59 km — both 107 km to the kilometre.
    d = ref_svc.distance_km(19.4326, -99.1332, 19.0414, -98.2063)
    assert round(d) == 107 and d == pytest.approx(106.64, abs=0.3)
    assert ref_svc.distance_km(19.0414, -98.2063, 19.4326, -99.1332) == pytest.approx(d)
    # One degree of latitude along a meridian is 2πR/360 = 111.195 km on a sphere of radius 6,371.0088 km.
    assert ref_svc.distance_km(20.0, -99.0, 21.0, -99.0) == pytest.approx(111.195, abs=0.001)
    assert ref_svc.distance_km(32.6245, -115.4523, 32.6245, -115.4523) == 0.0


def test_nearest_hospital_of_the_same_state_is_suggested(factory, bc, units):
    sonora = state(factory, "SR")
    # A hospital of another state placed right beside the Tijuana unit is never suggested.
    new_establishment(factory, sonora.id, "SRIMB000001", "HOSPITAL DE OTRA ENTIDAD", "SEGUNDO",
                      latitude=32.5001, longitude=-117.0001)
    closed = new_establishment(factory, bc.id, "BCIMB000050", "HOSPITAL CERRADO", "SEGUNDO",
                               latitude=32.5002, longitude=-117.0002)
    with factory.begin() as s:
        est_svc.retire_establishment(s, closed.id, "Cierre", date(2024, 1, 2), "prueba")
    with factory() as s:
        best = ref_svc.nearest_hospital(s, units["BCIMB000103"])  # Centro de Salud Tijuana
        ranked = ref_svc.nearest_hospitals(s, units["BCIMB000104"], limit=4)  # Centro de Salud Ensenada
        assert ref_svc.nearest_hospital(s, units["BCIMB000108"]) is None  # no coordinates
    assert best.clues == "BCIMB000020" and best.distance_km == pytest.approx(
        ref_svc.distance_km(32.5, -117.0, 32.5290, -117.0190))
    assert [h.clues for h in ranked] == ["BCIMB000030", "BCIMB000020", "BCIMB000040", "BCIMB000010"]
    assert ranked == sorted(ranked, key=lambda h: h.distance_km)


def test_referral_defaults_to_the_coordinating_hospital_and_can_be_overridden(factory, bc, units):
    _r, zone = make_zone(factory, bc.id, "Región I", "ZSM Mexicali")
    cs = units["BCIMB000101"]
    with factory.begin() as s:
        svc.assign_establishments(s, zone, [cs], USER)
        assert ref_svc.referral_for(s, cs).hospital_id is None  # no coordinating hospital yet
        svc.set_coordinator(s, zone, units["BCIMB000010"], USER)
        default = ref_svc.referral_for(s, cs)
        explicit = ref_svc.set_referral(s, cs, units["BCIMB000040"], USER)
    assert (default.hospital_clues, default.is_default) == ("BCIMB000010", True)
    assert default.distance_km == pytest.approx(ref_svc.distance_km(32.6630, -115.4680, 32.6245, -115.4523))
    assert (explicit.hospital_clues, explicit.is_default, explicit.zone_name) == ("BCIMB000040", False, "ZSM Mexicali")
    for target, message in ((units["BCIMB000102"], "no es un hospital"), (cs, "su propio hospital"),
                            (units["BCIMB000108"], "dado de baja")):
        with pytest.raises(ValidationError) as err, factory.begin() as s:
            ref_svc.set_referral(s, cs, target, USER)
        assert message in err.value.errors["referral_establishment_id"]
    with factory.begin() as s:
        back = ref_svc.set_referral(s, cs, None, USER)
        network = {r.clues: r for r in ref_svc.referral_network(s, bc.id)}
    assert (back.hospital_clues, back.is_default) == ("BCIMB000010", True)
    assert set(network) == {c for c, _n, level, *_x in BC_ESTABLISHMENTS if level == "PRIMER"} - {"BCIMB000108"}
    assert network["BCIMB000102"].hospital_id is None and network["BCIMB000102"].zone_id is None


def test_far_referrals_at_the_60_km_boundary(factory, bc):
    # Along a meridian the distance is R·Δφ: 0.535° = 59.49 km, 0.545° = 60.60 km.
    hospital = new_establishment(factory, bc.id, "BCIMB000900", "HOSPITAL", "SEGUNDO", latitude=31.0, longitude=-115.0)
    near = new_establishment(factory, bc.id, "BCIMB000901", "CERCA", "PRIMER", latitude=31.535, longitude=-115.0)
    far = new_establishment(factory, bc.id, "BCIMB000902", "LEJOS", "PRIMER", latitude=31.545, longitude=-115.0)
    new_establishment(factory, bc.id, "BCIMB000903", "SIN COORDENADAS", "PRIMER")
    _r, zone = make_zone(factory, bc.id, "Región", "ZSM")
    with factory.begin() as s:
        svc.assign_establishments(s, zone, [near.id, far.id], USER)
        svc.set_coordinator(s, zone, hospital.id, USER)
        listed = ref_svc.far_referrals(s, bc.id)
        far_km = listed[0].distance_km if listed else None
        assert [r.clues for r in ref_svc.far_referrals(s, bc.id, far_km)] == []  # "more than": not at exactly the limit
        assert [r.clues for r in ref_svc.far_referrals(s, bc.id, far_km - 0.01)] == ["BCIMB000902"]
        assert [r.clues for r in ref_svc.far_referrals(s, bc.id, 50)] == ["BCIMB000902", "BCIMB000901"]  # farthest first
    assert [r.clues for r in listed] == ["BCIMB000902"]
    assert far_km == pytest.approx(60.60, abs=0.01) and listed[0].is_default


# --------------------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------------------

def test_load_tree_of_3000_establishments_runs_one_query_per_table(engine, factory, bc):
    with factory.begin() as s:
        region = svc.create_region(s, bc.id, "Región I", USER)
        zones = [svc.create_zone(s, region.id, f"ZSM {i}", USER).id for i in range(10)]
        s.execute(insert(Establishment), [
            {"clues": f"BCIMB{i:06d}", "name": f"Unidad {i}", "state_id": bc.id, "level_of_care": LevelOfCare.PRIMER,
             "region_id": region.id if i % 4 else None, "zone_id": zones[i % 10] if i % 4 else None}
            for i in range(1, 3001)])
        svc.create_team(s, region.id, "ESZ 1", USER)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with factory() as s:
            started = time.perf_counter()
            tree = svc.load_tree(s, bc.id)
            elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", count)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 4, selects
    assert len(tree.unassigned) == 750 and sum(len(z.establishments) for z in tree.regions[0].zones) == 2250
    assert tree.regions[0].teams == 1 and [z.name for z in tree.regions[0].zones][:3] == ["ZSM 0", "ZSM 1", "ZSM 2"]
    assert elapsed < 1.0


# --------------------------------------------------------------------------------------------------
# Import of the office's assignment list
# --------------------------------------------------------------------------------------------------

def run_import(factory, path, state_id, progress=None):
    with factory.begin() as s:
        plan = plan_file(s, "regions", path, None, state_id)
        counts = get_kind("regions").applier(s, plan, "capturista", progress=progress or Progress())
    return plan, counts


def test_import_the_assignment_list(factory, bc, units):
    plan, counts = run_import(factory, DATA / "asignacion_bc.xlsx", bc.id)
    assert isinstance(plan, regions_import.RegionsImportPlan)
    assert (len(plan.new), len(plan.updated), len(plan.unchanged), len(plan.rejected)) == (9, 0, 0, 0)
    assert plan.skipped_other_state == 1 and plan.total_rows == 10
    assert counts["regiones_creadas"] == 3 and counts["zonas_creadas"] == 3
    assert any("Regiones operativas nuevas: 3" in line for line in plan.summary_lines())
    with factory() as s:
        tree = svc.load_tree(s, bc.id)
        summary = fig_svc.regions_summary(s, bc.id)
        network = {r.clues: r for r in ref_svc.referral_network(s, bc.id)}
        zones = s.scalars(select(Zone)).all()
    assert [(r.name, [(z.name, z.coordinating_clues, [u.clues for u in z.establishments]) for z in r.zones])
            for r in tree.regions] == [
        ("REGIÓN I MEXICALI", [("ZSM MEXICALI", "BCIMB000010", ["BCIMB000010", "BCIMB000040", "BCIMB000101", "BCIMB000102"])]),
        ("REGIÓN II TIJUANA", [("ZSM TIJUANA", "BCIMB000020", ["BCIMB000020", "BCIMB000103", "BCIMB000106"])]),
        ("REGIÓN III ENSENADA", [("ZSM ENSENADA", "BCIMB000030", ["BCIMB000030", "BCIMB000104"])]),
    ]
    assert [u.clues for u in tree.unassigned] == ["BCIMB000105", "BCIMB000107"]
    assert summary.rows[0].figures() == (3, 3, 3, 1, 0)
    assert (network["BCIMB000102"].hospital_clues, network["BCIMB000102"].is_default) == ("BCIMB000040", False)
    assert (network["BCIMB000101"].hospital_clues, network["BCIMB000101"].is_default) == ("BCIMB000010", True)
    assert (network["BCIMB000104"].hospital_clues, network["BCIMB000104"].is_default) == ("BCIMB000030", False)
    assert all(z.changed_by == "capturista (importación)" for z in zones)
    with factory() as s:
        assert s.get(Establishment, units["BCIMB000101"]).changed_by == "capturista (importación)"
        assert s.get(Establishment, units["BCIMB000101"]).version == 2


def test_reimporting_the_same_list_changes_nothing(engine, factory, bc, units):
    run_import(factory, DATA / "asignacion_bc.xlsx", bc.id)
    before = table_dump(engine)
    plan, counts = run_import(factory, DATA / "asignacion_bc.xlsx", bc.id)
    assert (len(plan.new), len(plan.updated), len(plan.unchanged), counts["regiones_creadas"]) == (0, 0, 9, 0)
    assert table_dump(engine) == before  # not even an audit entry


def test_each_kind_of_error_is_reported_with_its_row_and_the_good_rows_are_imported(factory, bc, units):
    plan, _counts = run_import(factory, DATA / "asignacion_errores_bc.xlsx", bc.id)
    reasons = {(i.row, i.column): i.reason for i in plan.rejected}
    assert set(reasons) == {
        (3, "CLUES"), (4, "COORDINA LA ZONA (SÍ/NO)"), (5, "COORDINA LA ZONA (SÍ/NO)"), (6, "ZONA DE SERVICIOS MÉDICOS"),
        (7, "CLUES HOSPITAL DE REFERENCIA"), (8, "CLUES HOSPITAL DE REFERENCIA"), (9, "CLUES"),
        (10, "COORDINA LA ZONA (SÍ/NO)"), (11, "CLUES"), (12, "ZONA DE SERVICIOS MÉDICOS"), (13, "CLUES"),
        (15, "CLUES HOSPITAL DE REFERENCIA"),
    }
    assert "BCIMB999999 no está registrada" in reasons[(3, "CLUES")]
    assert "primer nivel" in reasons[(4, "COORDINA LA ZONA (SÍ/NO)")]
    assert "ya tiene hospital coordinador" in reasons[(5, "COORDINA LA ZONA (SÍ/NO)")] and "fila 2" in reasons[(5, "COORDINA LA ZONA (SÍ/NO)")]
    assert "ya aparece en la región «REGIÓN I MEXICALI» (fila 2)" in reasons[(6, "ZONA DE SERVICIOS MÉDICOS")]
    assert "BCIMB999998 no está registrado" in reasons[(7, "CLUES HOSPITAL DE REFERENCIA")]
    assert "no es un hospital" in reasons[(8, "CLUES HOSPITAL DE REFERENCIA")]
    assert "repetido en el archivo" in reasons[(9, "CLUES")] and "fila 2" in reasons[(9, "CLUES")]
    assert "«TAL VEZ» no es SÍ ni NO" in reasons[(10, "COORDINA LA ZONA (SÍ/NO)")]
    assert "11 caracteres" in reasons[(11, "CLUES")]
    assert "Falta la zona" in reasons[(12, "ZONA DE SERVICIOS MÉDICOS")]
    assert "dado de baja" in reasons[(13, "CLUES")]
    assert "su propio hospital" in reasons[(15, "CLUES HOSPITAL DE REFERENCIA")]
    assert [p.row for p in plan.new] == [2, 14]
    with factory() as s:
        tree = svc.load_tree(s, bc.id)
    assert [(r.name, [(z.name, z.coordinating_clues, [u.clues for u in z.establishments]) for z in r.zones])
            for r in tree.regions] == [
        ("REGIÓN I MEXICALI", [("ZSM MEXICALI", "BCIMB000010", ["BCIMB000010"])]),
        ("REGIÓN II TIJUANA", [("ZSM TIJUANA", "BCIMB000020", ["BCIMB000020"])]),
    ]


def test_a_crash_or_a_cancel_half_way_leaves_the_database_as_it_was(engine, factory, bc, units):
    before = table_dump(engine)

    def explode(done, total, stage):
        if stage == "Guardando" and done >= 1:  # after the regions were written
            raise RuntimeError("corte de luz simulado")

    with pytest.raises(RuntimeError, match="corte de luz"):
        run_import(factory, DATA / "asignacion_bc.xlsx", bc.id, Progress(explode))
    assert table_dump(engine) == before
    progress = Progress(lambda done, total, stage: progress.cancel() if stage == "Guardando" else None)
    with pytest.raises(ImportCancelled):
        run_import(factory, DATA / "asignacion_bc.xlsx", bc.id, progress)
    assert table_dump(engine) == before
    assert_file_intact(engine)


HEADERS = ["CLUES", "REGION OPERATIVA", "ZONA DE SERVICIOS MEDICOS", "COORDINA LA ZONA", "CLUES HOSPITAL DE REFERENCIA"]


def test_changed_assignments_are_counted_as_updates(factory, bc, units, tmp_path):
    run_import(factory, DATA / "asignacion_bc.xlsx", bc.id)
    path = tmp_path / "cambios.xlsx"
    write_table(path, HEADERS, [
        ["BCIMB000103", "REGIÓN III ENSENADA", "ZSM ENSENADA", "NO", ""],  # moves zone (and region)
        ["BCIMB000040", "REGIÓN I MEXICALI", "ZSM MEXICALI", "SÍ", ""],  # replaces the coordinating hospital
        ["BCIMB000105", "REGIÓN III ENSENADA", "ZSM ENSENADA", "", ""],  # newly assigned
        ["BCIMB000107", "", "", "", "BCIMB000020"],  # referral only; stays without a zone
        ["BCIMB000101", "REGIÓN I MEXICALI", "ZSM MEXICALI", "NO", ""],  # as it is
    ])
    plan, _counts = run_import(factory, path, bc.id)
    assert [p.key for p in plan.new] == ["BCIMB000105"] and plan.unchanged == ["BCIMB000101"]
    assert {u.key: u.changes for u in plan.updated} == {
        "BCIMB000103": {"region": ("REGIÓN II TIJUANA", "REGIÓN III ENSENADA"), "zone": ("ZSM TIJUANA", "ZSM ENSENADA")},
        "BCIMB000040": {"coordinates": ("NO", "SÍ")},
        "BCIMB000107": {"referral": ("", "BCIMB000020")},
    }
    with factory() as s:
        tree = {z.name: z for r in svc.load_tree(s, bc.id).regions for z in r.zones}
        summary = fig_svc.regions_summary(s, bc.id).rows[0]
        tecate = ref_svc.referral_for(s, units["BCIMB000107"])
    assert tree["ZSM MEXICALI"].coordinating_clues == "BCIMB000040"
    assert [u.clues for u in tree["ZSM ENSENADA"].establishments] == ["BCIMB000030", "BCIMB000103", "BCIMB000104", "BCIMB000105"]
    assert summary.figures() == (3, 3, 3, 1, 0)  # Hospital General Mexicali is now the "other" hospital
    assert (tecate.hospital_clues, tecate.is_default, tecate.zone_id) == ("BCIMB000020", False, None)


def test_file_and_database_disagreements_about_zones_and_coordinators(factory, bc, units, tmp_path):
    run_import(factory, DATA / "asignacion_bc.xlsx", bc.id)
    path = tmp_path / "otra.csv"
    write_table(path, HEADERS, [
        ["BCIMB000105", "REGIÓN II TIJUANA", "ZSM ENSENADA", "", ""],  # the zone is registered in region III
        ["BCIMB000030", "REGIÓN III ENSENADA", "ZSM ENSENADA", "NO", ""],  # the coordinating hospital says NO
        ["BCIMB000020", "REGIÓN III ENSENADA", "ZSM ENSENADA", "", ""],  # a coordinating hospital moves away
        ["BCIMB000107", "REGIÓN IV TECATE", "ZSM TECATE", "", ""],  # new region and zone, no coordinator
        ["BCIMB000106", "", "ZSM MEXICALI", "", ""],  # an existing zone names its own region
        ["BCIMB000102", "REGIÓN I MEXICALI", "", "", ""],  # a region without a zone
    ])
    plan, counts = run_import(factory, path, bc.id)
    reasons = {i.row: i.reason for i in plan.rejected}
    assert set(reasons) == {2, 7}
    assert "pertenece a la región «REGIÓN III ENSENADA», no a «REGIÓN II TIJUANA»" in reasons[2]
    assert "Falta la zona" in reasons[7]
    assert sorted((w.row, w.reason) for w in plan.warnings) == [
        (3, "La zona «ZSM ENSENADA» queda sin hospital coordinador."),
        (4, "La zona «ZSM TIJUANA» queda sin hospital coordinador."),
    ]
    assert counts["regiones_creadas"] == 1 and counts["zonas_creadas"] == 1
    with factory() as s:
        report = fig_svc.consistency(s, bc.id)
        tree = {z.name: z for r in svc.load_tree(s, bc.id).regions for z in r.zones}
    assert sorted(z.zone_name for z in report.zones_without_coordinator) == ["ZSM ENSENADA", "ZSM TECATE", "ZSM TIJUANA"]
    assert "BCIMB000106" in [u.clues for u in tree["ZSM MEXICALI"].establishments]


def test_import_command_uses_the_registered_kind(tmp_path, capsys, bc, units, db_path):
    from gui.__main__ import main

    assert main(["--db", str(db_path), "import", "regions", str(DATA / "asignacion_bc.xlsx"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Nuevos: 9" in out and "Zonas de servicios médicos nuevas: 3" in out and "no se guardó nada" in out


# --------------------------------------------------------------------------------------------------
# Headless summary
# --------------------------------------------------------------------------------------------------

def run_summary(db_path, *args) -> str:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    add_regions(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["--db", str(db_path), "regions", "summary", *args])
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert parsed.func(parsed) == 0
    return buffer.getvalue()


def test_summary_command_prints_the_published_shape_with_a_computed_total(factory, bc, db_path):
    enter_structure(factory, "BC", PUBLISHED["BC"])
    enter_structure(factory, "CM", PUBLISHED["CM"])
    rows = list(csv.reader(io.StringIO(run_summary(db_path))))
    assert rows[0] == ["ENTIDAD", "REGIONES OPERATIVAS", "ZONAS DE SERVICIOS MEDICOS", "HOSPITALES COORDINADORES",
                       "OTROS HOSPITALES EN ZSM", "EQUIPOS DE SUPERVISION ZONAL"]
    body, total = rows[1:-1], rows[-1]
    assert len(body) == 23 and body[0] == ["Baja California", "3", "3", "3", "4", "10"]
    assert ["Colima", "2", "2", "2", "4", "10"] in body
    assert total == ["TOTAL", "5", "5", "5", "8", "20"]
    assert total[1:] == [str(sum(int(r[i]) for r in body)) for i in range(1, 6)]
    single = list(csv.reader(io.StringIO(run_summary(db_path, "--state", "Colima"))))
    assert single[1:] == [["Colima", "2", "2", "2", "4", "10"], ["TOTAL", "2", "2", "2", "4", "10"]]
    records = json.loads(run_summary(db_path, "--state", "BC", "--format", "json"))
    assert records == [
        {"ENTIDAD": "Baja California", "REGIONES OPERATIVAS": 3, "ZONAS DE SERVICIOS MEDICOS": 3,
         "HOSPITALES COORDINADORES": 3, "OTROS HOSPITALES EN ZSM": 4, "EQUIPOS DE SUPERVISION ZONAL": 10},
        {"ENTIDAD": "TOTAL", "REGIONES OPERATIVAS": 3, "ZONAS DE SERVICIOS MEDICOS": 3,
         "HOSPITALES COORDINADORES": 3, "OTROS HOSPITALES EN ZSM": 4, "EQUIPOS DE SUPERVISION ZONAL": 10},
    ]
    published = list(csv.reader(io.StringIO(run_summary(db_path, "--published"))))
    assert published[-1] == ["TOTAL", "135", "160", "160", "419", "556"]


def test_summary_command_rejects_an_unknown_state(bc, db_path):
    parser = argparse.ArgumentParser()
    parser.add_argument("--db")
    add_regions(parser.add_subparsers(dest="command"))
    parsed = parser.parse_args(["--db", str(db_path), "regions", "summary", "--state", "Atlántida"])
    assert parsed.func(parsed) == 2
