"""The reference catalogue: contents match the published tables, loading is idempotent and upgrades in place."""
from __future__ import annotations

from sqlalchemy import func, select, update

from models.catalog import CATALOG_META_KEY, catalog_uuid, load_catalog
from models.entities import AppMeta, PublishedRegionFigures, State, WeekendBlock, WeekendTarget
from models.schema import ensure_database
from tests.helpers import table_dump

ADHERED = {
    "Baja California", "Baja California Sur", "Campeche", "Colima", "Chiapas", "Ciudad de México", "Guerrero",
    "Hidalgo", "México", "Michoacán", "Morelos", "Nayarit", "Oaxaca", "Puebla", "Quintana Roo", "San Luis Potosí",
    "Sinaloa", "Sonora", "Tabasco", "Tamaulipas", "Tlaxcala", "Veracruz", "Zacatecas",
}


def test_catalog_has_32_states_with_the_23_adhered(factory):
    with factory() as s:
        states = s.scalars(select(State)).all()
        assert len(states) == 32
        assert sorted(st.inegi_code for st in states) == [f"{i:02d}" for i in range(1, 33)]
        assert {st.short_name for st in states if st.adhered} == ADHERED
        prefixes = {st.inegi_code: st.clues_prefix for st in states}
        assert prefixes["09"] == "DF" and prefixes["02"] == "BC" and prefixes["31"] == "YN"
        assert len(set(prefixes.values())) == 32


def test_weekend_blocks_and_targets_add_up_to_the_published_totals(factory):
    with factory() as s:
        totals = dict(
            s.execute(
                select(WeekendBlock.number, func.sum(WeekendTarget.units_target))
                .join(State, State.weekend_block_id == WeekendBlock.id)
                .join(WeekendTarget, WeekendTarget.state_id == State.id)
                .group_by(WeekendBlock.number)
            ).all()
        )
        assert totals == {1: 911, 2: 2734, 3: 4632}
        assert sum(totals.values()) == 8277
        # Every adhered state is in a block with a target, no other state is.
        for st in s.scalars(select(State)):
            assert (st.weekend_block_id is not None) == st.adhered, st.name


def test_published_region_figures_sum_to_the_printed_totals(factory):
    with factory() as s:
        rows = s.scalars(select(PublishedRegionFigures)).all()
        assert len(rows) == 23
        assert sum(r.regions for r in rows) == 135
        assert sum(r.zones for r in rows) == 160
        assert sum(r.coordinating_hospitals for r in rows) == 160
        assert sum(r.other_hospitals for r in rows) == 419
        assert sum(r.supervision_teams for r in rows) == 556
        mexico = next(r for r in rows if r.state.short_name == "México")
        assert (mexico.regions, mexico.zones, mexico.other_hospitals, mexico.supervision_teams) == (14, 14, 59, 66)


def test_loading_the_catalogue_twice_changes_nothing(engine, factory):
    before = table_dump(engine)
    with factory.begin() as s:
        result = load_catalog(s)
    assert not result.changed
    assert table_dump(engine) == before


def test_catalogue_rows_have_deterministic_uuids(factory):
    with factory() as s:
        bc = s.scalars(select(State).where(State.inegi_code == "02")).one()
        assert bc.uuid == catalog_uuid("states", "02")


def test_new_catalogue_version_upgrades_rows_in_place(engine, factory):
    with factory.begin() as s:
        bc = s.scalars(select(State).where(State.inegi_code == "02")).one()
        state_id, state_uuid = bc.id, bc.uuid
        s.execute(update(WeekendTarget).where(WeekendTarget.state_id == state_id).values(units_target=1))
        s.execute(update(State).where(State.id == state_id).values(name="Nombre viejo"))
        s.execute(update(AppMeta).where(AppMeta.key == CATALOG_META_KEY).values(value="0"))
    status = ensure_database(engine)
    assert status.catalog_updated == 2 and status.catalog_inserted == 0
    with factory() as s:
        bc = s.get(State, state_id)
        assert bc.name == "Baja California" and bc.uuid == state_uuid
        assert s.scalars(select(WeekendTarget.units_target).where(WeekendTarget.state_id == state_id)).one() == 107
