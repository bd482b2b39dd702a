"""Establishments service: validation against the database, versions, soft delete, audit."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select, text

from models.entities import AuditEntry, Establishment, Region, Zone
from models.services import establishments as svc
from models.services.audit import verify_chain
from models.validation import ValidationError
from tests.helpers import new_establishment, table_dump


def test_create_normalises_and_stores_everything(factory, bc):
    data = new_establishment(
        factory, bc.id, " bcimb000355 ", "  Hospital   General Mexicali ", "SEGUNDO",
        previous_clues="bcssa000440", latitude=32.6245, longitude=-115.4523, municipality=" Mexicali ",
    )
    assert data.clues == "BCIMB000355" and data.name == "Hospital General Mexicali"
    assert data.previous_clues == "BCSSA000440" and data.municipality == "Mexicali"
    with factory() as s:
        obj = s.get(Establishment, data.id)
        assert obj.institution_code == "IMB" and obj.version == 1 and len(obj.uuid) == 36
        assert obj.changed_by == "prueba" and obj.created_at.tzinfo is not None


def test_duplicate_clues_is_rejected_and_nothing_is_written(engine, factory, bc):
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    before = table_dump(engine)
    with pytest.raises(ValidationError) as err:
        new_establishment(factory, bc.id, "BCIMB000355", "Otro hospital", "SEGUNDO")
    assert "ya está registrada" in err.value.errors["clues"]
    assert table_dump(engine) == before


def test_clues_of_a_retired_establishment_cannot_be_reused(factory, bc):
    first = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    with factory.begin() as s:
        svc.retire_establishment(s, first.id, "Registro duplicado", date(2024, 5, 1), "prueba")
    with pytest.raises(ValidationError) as err:
        new_establishment(factory, bc.id, "BCIMB000355", "Otro", "SEGUNDO")
    assert "dado de baja" in err.value.errors["clues"]


def test_database_unique_constraint_backs_up_the_check(factory, bc):
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    from sqlalchemy.exc import IntegrityError

    from models.enums import LevelOfCare

    with pytest.raises(IntegrityError):
        with factory.begin() as s:
            s.add(Establishment(clues="BCIMB000355", name="X", state_id=bc.id, level_of_care=LevelOfCare.PRIMER))


def test_every_invalid_field_is_reported_at_once(factory, bc):
    with pytest.raises(ValidationError) as err:
        new_establishment(
            factory, bc.id, "SRIMB000355", "", "", latitude=45.0, longitude=-100.0, postal_code="12",
            status_changed_on=date(2999, 1, 1), previous_clues="BCSSA1",
        )
    assert set(err.value.errors) >= {"clues", "name", "level_of_care", "latitude", "postal_code",
                                     "status_changed_on", "previous_clues"}
    assert "prefijo «BC»" in err.value.errors["clues"]


def test_previous_clues_can_link_only_one_establishment(factory, bc):
    new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO", previous_clues="BCSSA000440")
    with pytest.raises(ValidationError) as err:
        new_establishment(factory, bc.id, "BCIMB000734", "HG Tijuana", "SEGUNDO", previous_clues="BCSSA000440")
    assert "ya está asignada a BCIMB000355" in err.value.errors["previous_clues"]


def test_update_bumps_version_and_audits_only_changed_fields(factory, bc):
    data = new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    with factory.begin() as s:
        saved = svc.update_establishment(s, replace(data, name="Hospital General Mexicali"), "ana")
    assert saved.version == 2
    with factory() as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "modificar" and entry.username == "ana"
        assert '"name": "Hospital General Mexicali"' in entry.after_json and "level_of_care" not in entry.after_json


def test_saving_a_stale_copy_is_refused(factory, bc):
    data = new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    with factory.begin() as s:
        svc.update_establishment(s, replace(data, name="Cambio de Ana"), "ana")
    with pytest.raises(svc.ConcurrencyError, match="ana"):
        with factory.begin() as s:
            svc.update_establishment(s, replace(data, name="Cambio de Beto"), "beto")
    with factory() as s:
        assert s.get(Establishment, data.id).name == "Cambio de Ana"


def test_retire_is_soft_and_restore_brings_it_back(factory, bc):
    data = new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    with factory.begin() as s:
        previous = svc.retire_establishment(s, data.id, "Cierre definitivo", date(2024, 5, 1), "ana")
    assert previous == "EN_OPERACION"
    with factory() as s:
        obj = s.get(Establishment, data.id)
        assert obj.deleted_at is not None and obj.operating_status.value == "BAJA"
        assert obj.retirement_reason == "Cierre definitivo" and obj.status_changed_on == date(2024, 5, 1)
        assert svc.load_table(s, bc.id).retired == [True]
    with factory.begin() as s:
        restored = svc.restore_establishment(s, data.id, "ana", previous)
    assert not restored.retired and restored.operating_status == "EN_OPERACION"


def test_zone_must_belong_to_the_chosen_region(factory, bc):
    with factory.begin() as s:
        r1 = Region(state_id=bc.id, name="Región Costa")
        r2 = Region(state_id=bc.id, name="Región Valle")
        s.add_all([r1, r2])
        s.flush()
        z = Zone(region_id=r1.id, name="ZSM Ensenada")
        s.add(z)
        s.flush()
        r2_id, z_id = r2.id, z.id
    with pytest.raises(ValidationError) as err:
        new_establishment(factory, bc.id, "BCIMB000355", "HG", "SEGUNDO", region_id=r2_id, zone_id=z_id)
    assert "región operativa seleccionada" in err.value.errors["zone_id"]


def test_audit_chain_detects_an_edited_entry(engine, factory, bc):
    data = new_establishment(factory, bc.id, "BCIMB000355", "HG Mexicali", "SEGUNDO")
    with factory.begin() as s:
        svc.update_establishment(s, replace(data, name="HG de Mexicali"), "ana")
    with factory() as s:
        assert verify_chain(s) == []
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_entries SET username = 'intruso' WHERE id = 1"))
    with factory() as s:
        assert verify_chain(s) == [1]


def test_load_table_is_scoped_to_the_state(factory, bc):
    with factory.begin() as s:
        from models.services.office import find_state

        son = find_state(s, "SR")
    new_establishment(factory, bc.id, "BCIMB000734", "HG Tijuana", "SEGUNDO")
    new_establishment(factory, bc.id, "BCIMB000010", "HG Ensenada", "SEGUNDO")
    new_establishment(factory, son.id, "SRIMB000001", "HG Hermosillo", "SEGUNDO")
    with factory() as s:
        assert sorted(svc.load_table(s, bc.id).clues) == ["BCIMB000010", "BCIMB000734"]
        everything = svc.load_table(s, None)
        assert len(everything) == 3
        i = everything.clues.index("SRIMB000001")
        assert (everything.states[i], everything.levels[i], everything.statuses[i], everything.retired[i]) == (
            "Sonora", "SEGUNDO", "EN_OPERACION", False)
