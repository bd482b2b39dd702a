"""The establishments table model and the numpy filter/sort proxy."""
from __future__ import annotations

import random

import pytest
from PySide6.QtCore import Qt

from gui.item_models.columnar import ColumnarFilterProxy
from gui.item_models.establishments import EstablishmentTableModel
from models.services.establishments import EstablishmentTable
from models.text import fold

NAMES = ["Centro de Salud Querétaro", "Hospital General Mexicali", "Unidad Médica Móvil Ñuñoa",
         "Centro de Salud San José", "HOSPITAL COMUNITARIO ÁLAMO", "Centro de Salud Rural El Álamo"]


def make_table(n: int, seed: int = 7) -> EstablishmentTable:
    rng = random.Random(seed)
    t = EstablishmentTable()
    for i in range(n):
        t.ids.append(1000 + i)
        t.clues.append(f"BCIMB{rng.randrange(10**6):06d}")
        t.names.append(f"{rng.choice(NAMES)} {i}")
        t.typologies.append(rng.choice(["Centro de Salud", "Hospital General", ""]))
        t.levels.append(rng.choice(["PRIMER", "SEGUNDO", "TERCER"]))
        t.municipalities.append(rng.choice(["Mexicali", "Tijuana", "Ensenada"]))
        t.localities.append(rng.choice(["Ejido Querétaro", "Centro", "San Felipe"]))
        t.statuses.append(rng.choice(["EN_OPERACION", "CERRADO_TEMPORALMENTE"]))
        t.regions.append(rng.choice(["Región Costa", "", "Región Valle"]))
        t.zones.append("")
        t.states.append("Baja California")
        t.previous_clues.append("")
        t.retired.append(rng.random() < 0.1)
    return t


@pytest.fixture
def models(qapp):
    model = EstablishmentTableModel()
    model.set_data(make_table(500))
    proxy = ColumnarFilterProxy()
    proxy.setSourceModel(model)
    return model, proxy


def visible_ids(model, proxy):
    return [model.id_at(proxy.source_row(r)) for r in range(proxy.rowCount())]


def test_models_pass_qtmodeltester(qtmodeltester, models):
    model, proxy = models
    qtmodeltester.check(model)
    proxy.set_search("centro")
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(proxy)


def test_search_ignores_accents_and_case_and_needs_every_word(models):
    model, proxy = models
    t = model._data
    proxy.set_search("queretaro CENTRO")
    expected = [t.ids[i] for i in range(len(t))
                if all(w in fold(" ".join([t.clues[i], t.names[i], t.municipalities[i], t.localities[i]]))
                       for w in ("queretaro", "centro"))]
    assert expected and visible_ids(model, proxy) == expected
    proxy.set_search("nunoa")
    assert proxy.rowCount() > 0
    assert all("Ñuñoa" in model.value("names", proxy.source_row(r)) for r in range(proxy.rowCount()))


def test_typing_forward_and_backspacing_give_the_same_result_as_a_fresh_search(models):
    model, proxy = models
    for text in ["c", "ce", "cen", "cent", "centro s", "centro sa", "centro", "álamo", "ala"]:
        proxy.set_search(text)
        got = visible_ids(model, proxy)
        fresh = ColumnarFilterProxy()
        fresh.setSourceModel(model)
        fresh.set_search(text)
        assert got == visible_ids(model, fresh), text


def test_equality_filters_and_masks_combine_with_search(models):
    model, proxy = models
    t = model._data
    proxy.set_equals("levels", "SEGUNDO")
    proxy.set_equals("regions", "")
    proxy.set_mask("retired", EstablishmentTableModel.active_mask)
    proxy.set_search("hospital")
    expected = [t.ids[i] for i in range(len(t)) if t.levels[i] == "SEGUNDO" and t.regions[i] == ""
                and not t.retired[i] and "hospital" in fold(t.names[i])]
    assert expected and visible_ids(model, proxy) == expected
    proxy.set_equals("regions", None)
    assert proxy.rowCount() > len(expected)


def test_sorting_is_accent_insensitive_and_reversible(models):
    model, proxy = models
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    names = [proxy.index(r, 1).data() for r in range(proxy.rowCount())]
    assert [fold(n) for n in names] == sorted(fold(n) for n in names)
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    names_desc = [proxy.index(r, 1).data() for r in range(proxy.rowCount())]
    assert [fold(n) for n in names_desc] == sorted((fold(n) for n in names), reverse=True)


def test_upsert_replaces_and_appends_rows_and_keeps_filters(models):
    model, proxy = models
    proxy.set_search("zzz unico")
    assert proxy.rowCount() == 0
    changed = make_table(1, seed=99)
    changed.ids = [1000]
    changed.names = ["Centro ZZZ Único"]
    model.upsert(changed)
    assert visible_ids(model, proxy) == [1000]
    new = make_table(1, seed=5)
    new.ids = [99999]
    new.names = ["Otro ZZZ único"]
    model.upsert(new)
    assert sorted(visible_ids(model, proxy)) == [1000, 99999]
    assert model.rowCount() == 501


def test_level_and_status_show_spanish_labels(models):
    model, _proxy = models
    row = model._data.levels.index("PRIMER")
    assert model.index(row, 3).data() == "Primer nivel"
    row = model._data.statuses.index("CERRADO_TEMPORALMENTE")
    assert model.index(row, 6).data() == "Cerrado temporalmente"


def test_expected_refusals_are_logged_without_a_traceback(caplog):
    import logging

    from gui.tasks import TaskRunner
    from models.validation import ValidationError

    runner = TaskRunner(synchronous=True)
    seen = []

    def refuse():
        raise ValidationError({"clues": "La CLUES es obligatoria."})

    def crash():
        raise RuntimeError("bug")

    with caplog.at_level(logging.INFO, logger="gui.tasks"):
        runner.run(refuse, None, seen.append)
        runner.run(crash, None, seen.append)
    assert [type(f.exception) for f in seen] == [ValidationError, RuntimeError]
    levels = [(r.levelname, "Traceback" in r.getMessage()) for r in caplog.records]
    assert levels == [("INFO", False), ("ERROR", True)]
