"""``coordinacion exchange …``: export, import (and --dry-run), ack, ack-import, conflicts, resolve."""
from __future__ import annotations

from gui.__main__ import main
from models.db import make_engine, make_session_factory
from tests.helpers import new_establishment, table_dump


def _offices(tmp_path, capsys, backend):
    """A state office on a SQLite file and the national office on SQLite or on an empty PostgreSQL database
    (``init`` creates the schema there)."""
    state = tmp_path / "bc.sqlite3"
    if backend == "postgresql":
        from tests import pg

        national = pg.empty_database()
    else:
        national = tmp_path / "nacional.sqlite3"
    assert main(["--db", str(state), "init", "--state", "BC"]) == 0
    assert main(["--db", str(national), "init", "--national"]) == 0
    capsys.readouterr()
    return state, national


def _rename(db, clues: str, name: str) -> None:
    from sqlalchemy import select

    from models.entities import Establishment

    factory = make_session_factory(make_engine(db))
    with factory.begin() as s:
        s.scalars(select(Establishment).where(Establishment.clues == clues)).one().name = name


def test_export_import_ack_round_trip(tmp_path, capsys, backend):
    state, national = _offices(tmp_path, capsys, backend)
    new_establishment(make_session_factory(make_engine(state)), 2, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    package = tmp_path / "bc-1.cepkg"
    assert main(["--db", str(state), "exchange", "export", "--out", str(package)]) == 0
    assert "Paquete 1 para la oficina nacional: 1 registros" in capsys.readouterr().out

    assert main(["--db", str(national), "exchange", "inspect", str(package)]) == 0
    assert "Paquete 1 íntegro" in capsys.readouterr().out

    before = table_dump(make_engine(national))
    assert main(["--db", str(national), "exchange", "import", str(package), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "simulación, no se guardó nada" in out and "aplicados: 1" in out
    assert table_dump(make_engine(national)) == before

    assert main(["--db", str(national), "exchange", "import", str(package)]) == 0
    assert "aplicados: 1" in capsys.readouterr().out
    assert main(["--db", str(national), "exchange", "import", str(package)]) == 0
    assert "ya se había importado" in capsys.readouterr().out

    ack = tmp_path / "acuse.cepkg"
    assert main(["--db", str(national), "exchange", "ack", "--out", str(ack)]) == 0
    assert "02: paquetes 1" in capsys.readouterr().out
    assert main(["--db", str(state), "exchange", "ack-import", str(ack)]) == 0
    assert "confirmó los paquetes 1" in capsys.readouterr().out
    assert main(["--db", str(state), "exchange", "export", "--out", str(tmp_path / "bc-2.cepkg")]) == 0
    assert "0 registros" in capsys.readouterr().out

    assert main(["--db", str(national), "exchange", "export", "--out", str(tmp_path / "n.cepkg")]) == 1
    assert "indique para qué entidad" in capsys.readouterr().err
    assert main(["--db", str(national), "exchange", "export", "--state", "BC", "--out", str(tmp_path / "n.cepkg")]) == 0
    assert main(["--db", str(national), "exchange", "history"]) == 0
    out = capsys.readouterr().out
    assert "recibido" in out and "enviado" in out


def test_conflicts_are_listed_and_resolved(tmp_path, capsys, backend):
    state, national = _offices(tmp_path, capsys, backend)
    new_establishment(make_session_factory(make_engine(state)), 2, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    main(["--db", str(state), "exchange", "export", "--out", str(tmp_path / "1.cepkg")])
    main(["--db", str(national), "exchange", "import", str(tmp_path / "1.cepkg")])
    _rename(state, "BCIMB000355", "HG Mexicali (estatal)")
    _rename(national, "BCIMB000355", "HG Mexicali (nacional)")
    main(["--db", str(state), "exchange", "export", "--out", str(tmp_path / "2.cepkg")])
    capsys.readouterr()
    assert main(["--db", str(national), "exchange", "import", str(tmp_path / "2.cepkg")]) == 0
    out = capsys.readouterr().out
    assert "conflictos: 1" in out and "exchange conflicts" in out
    assert main(["--db", str(national), "exchange", "conflicts"]) == 0
    out = capsys.readouterr().out
    assert "#1 Establecimientos" in out and "local=HG Mexicali (nacional) | entrante=HG Mexicali (estatal)" in out
    assert main(["--db", str(national), "exchange", "resolve", "1", "--keep", "incoming"]) == 0
    assert "Conflicto #1 resuelto" in capsys.readouterr().out
    assert main(["--db", str(national), "exchange", "conflicts"]) == 0
    assert "No hay conflictos pendientes" in capsys.readouterr().out
    assert main(["--db", str(national), "exchange", "resolve", "1", "--keep", "local"]) == 1
    assert "ya se resolvió" in capsys.readouterr().err


def test_a_damaged_package_exits_1_with_the_reason(tmp_path, capsys, backend):
    state, national = _offices(tmp_path, capsys, backend)
    new_establishment(make_session_factory(make_engine(state)), 2, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    package = tmp_path / "bc.cepkg"
    main(["--db", str(state), "exchange", "export", "--out", str(package)])
    cut = tmp_path / "cortado.cepkg"
    cut.write_bytes(package.read_bytes()[:-40])
    capsys.readouterr()
    before = table_dump(make_engine(national))
    assert main(["--db", str(national), "exchange", "import", str(cut)]) == 1
    assert "incompleto" in capsys.readouterr().err
    assert table_dump(make_engine(national)) == before
    assert main(["--db", str(state), "exchange", "import", str(package)]) == 1
    assert "esta misma oficina" in capsys.readouterr().err
