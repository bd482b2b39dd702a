"""Importing spreadsheets (every format, a messy file, atomicity, conflicts, equivalences) and exporting them."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select, text

from models.entities import Establishment
from models.enums import OperatingStatus
from models.importing import ImportCancelled, Progress, ReadError, read_sheet
from models.importing.cells import header_key, to_code, to_date, to_float
from models.importing.export import export_establishments, write_rejected, write_table, write_template
from models.importing.runner import plan_file
from models.importing.spec import get_kind, guess_mapping
from models.services import establishments as svc
from models.services import office as office_svc
from tests.helpers import assert_file_intact, new_establishment, table_dump

DATA = Path(__file__).parent / "data" / "import"
QRO_FILES = ["clues_qro.xlsx", "clues_qro.xls", "clues_qro.ods", "clues_qro_utf8.csv", "clues_qro_latin1.csv"]


@pytest.fixture
def qro(factory) -> office_svc.StateInfo:
    with factory.begin() as session:
        office_svc.set_office(session, "22")
        return office_svc.find_state(session, "22")


def run_import(factory, path, state_id, user="capturista", overwrite=False, progress=None, kind="establishments"):
    """Plan and apply in one transaction, as the wizard and the CLI do; returns the plan."""
    with factory.begin() as session:
        plan = plan_file(session, kind, path, None, state_id)
        get_kind(kind).applier(session, plan, user, overwrite_conflicts=overwrite, progress=progress or Progress())
    return plan


def stored(factory) -> dict[str, Establishment]:
    from sqlalchemy.orm import selectinload

    with factory() as session:
        return {e.clues: e for e in session.scalars(select(Establishment).options(selectinload(Establishment.typology)))}


@pytest.mark.parametrize("name", QRO_FILES)
def test_every_format_and_encoding_imports_the_same_five_establishments(factory, qro, name):
    plan = run_import(factory, DATA / name, qro.id)
    assert (len(plan.new), len(plan.rejected), plan.skipped_other_state) == (5, 0, 0)
    rows = stored(factory)
    assert sorted(rows) == ["QTIMB000012", "QTIMB000027", "QTIMB000035", "QTIMB000041", "QTIMB000058"]
    canada = rows["QTIMB000012"]
    assert canada.name == "CENTRO DE SALUD LA CAÑADA"
    assert canada.address == "AV. DEL MARQUÉS 12, LA CAÑADA"  # the comma inside a quoted CSV field
    assert (canada.municipality_code, canada.locality_code, canada.postal_code) == ("014", "0001", "76240")
    assert (canada.latitude, canada.longitude) == (pytest.approx(20.6121), pytest.approx(-100.3642))
    assert canada.operation_started_on == date(2003, 5, 14)
    assert canada.typology is not None and canada.typology.name == "Centro de Salud"
    assert rows["QTIMB000027"].level_of_care.value == "SEGUNDO"
    mobile = rows["QTIMB000058"]
    assert mobile.operating_status == OperatingStatus.CERRADO_TEMPORALMENTE
    assert mobile.latitude is None and mobile.operation_started_on == date(2019, 7, 1)
    assert rows["QTIMB000035"].operation_started_on is None
    assert all(e.changed_by == "capturista (importación)" and e.version == 1 for e in rows.values())


def test_messy_file_reports_each_bad_row_and_imports_the_good_ones(factory, qro):
    plan = run_import(factory, DATA / "clues_messy.xlsx", qro.id)
    assert plan.total_rows == 7  # title rows, header and trailing blank rows are not data
    assert plan.skipped_other_state == 1
    reasons = {(i.row, i.column): i.reason for i in plan.rejected}
    assert set(reasons) == {(7, "Clues"), (9, "Latitud"), (10, "NOMBRE DE LA UNIDAD")}
    assert "repetida en el archivo" in reasons[(7, "Clues")] and "fila 5" in reasons[(7, "Clues")]
    assert "dentro de México" in reasons[(9, "Latitud")]
    assert "obligatorio" in reasons[(10, "NOMBRE DE LA UNIDAD")]
    rows = stored(factory)
    assert sorted(rows) == ["QTIMB000101", "QTIMB000102", "QTIMB000105"]  # " qtimb 000101" normalised
    text_numbers = rows["QTIMB000102"]
    assert (text_numbers.latitude, text_numbers.longitude) == (pytest.approx(20.521), pytest.approx(-99.889))
    assert text_numbers.postal_code == "76750"
    assert rows["QTIMB000105"].level_of_care.value == "SEGUNDO"


def test_rejected_rows_are_saved_for_correction_with_row_column_and_reason(factory, qro, tmp_path):
    with factory() as session:
        plan = plan_file(session, "establishments", DATA / "clues_messy.xlsx", None, qro.id)
    out = tmp_path / "rechazadas.xlsx"
    assert write_rejected(plan, out) == 3
    ws = openpyxl.load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:4] == ("FILA", "COLUMNA", "MOTIVO", "Clues")
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        (7, "Clues", "QTIMB000101"), (9, "Latitud", "QTIMB000103"), (10, "NOMBRE DE LA UNIDAD", "QTIMB000104"),
    ]


def test_national_office_imports_rows_of_every_state(factory):
    with factory.begin() as session:
        office_svc.set_office(session, None)
    plan = run_import(factory, DATA / "clues_messy.xlsx", None)
    assert plan.skipped_other_state == 0
    assert "BCIMB000355" in stored(factory)


def test_reimporting_the_same_file_changes_nothing(engine, factory, qro):
    run_import(factory, DATA / "clues_qro.xlsx", qro.id)
    before = table_dump(engine)
    plan = run_import(factory, DATA / "clues_qro.xlsx", qro.id)
    assert (len(plan.new), len(plan.updated), len(plan.unchanged)) == (0, 0, 5)
    assert table_dump(engine) == before  # not even an audit entry


def big_catalogue(path: Path, rows: int) -> Path:
    headers = ["CLUES", "NOMBRE DE LA UNIDAD", "NIVEL ATENCION", "MUNICIPIO"]
    write_table(path, headers, [[f"QTIMB{i:06d}", f"Centro de Salud {i}", "PRIMER NIVEL", "Querétaro"] for i in range(rows)])
    return path


def test_a_crash_half_way_leaves_the_database_exactly_as_it_was(engine, factory, qro, tmp_path):
    new_establishment(factory, qro.id, "QTIMB900000", "Registrado antes")
    before = table_dump(engine)
    path = big_catalogue(tmp_path / "grande.xlsx", 1_500)

    def explode(done, total, stage):
        if stage == "Guardando" and done >= 1_000:
            raise RuntimeError("corte de luz simulado")

    with pytest.raises(RuntimeError, match="corte de luz"):
        run_import(factory, path, qro.id, progress=Progress(explode))
    assert table_dump(engine) == before
    assert_file_intact(engine)


def test_cancelling_the_import_rolls_everything_back(engine, factory, qro, tmp_path):
    before = table_dump(engine)
    path = big_catalogue(tmp_path / "grande.xlsx", 1_200)
    progress = Progress(lambda done, total, stage: progress.cancel() if stage == "Guardando" else None)
    with pytest.raises(ImportCancelled):
        run_import(factory, path, qro.id, progress=progress)
    assert table_dump(engine) == before


def test_a_local_edit_newer_than_the_file_is_shown_and_kept_unless_overwritten(factory, qro, tmp_path):
    source = old_copy("clues_qro.xlsx", tmp_path)
    run_import(factory, source, qro.id)
    with factory.begin() as session:
        obj = session.scalars(select(Establishment).where(Establishment.clues == "QTIMB000012")).one()
        data = svc.get_establishment(session, obj.id)
        svc.update_establishment(session, svc.EstablishmentData(**{**data.__dict__, "name": "CS LA CAÑADA (RENOVADO)"}), "jefa")
    with factory() as session:
        plan = plan_file(session, "establishments", source, None, qro.id)
    [conflict] = [u for u in plan.updated if u.conflicts]
    assert conflict.conflicts == {"name": ("CS LA CAÑADA (RENOVADO)", "CENTRO DE SALUD LA CAÑADA")}
    assert any("Conflicto — fila 2, QTIMB000012, NOMBRE DE LA UNIDAD" in line for line in plan.summary_lines())
    run_import(factory, source, qro.id)
    assert stored(factory)["QTIMB000012"].name == "CS LA CAÑADA (RENOVADO)"  # kept by default
    run_import(factory, source, qro.id, overwrite=True)
    assert stored(factory)["QTIMB000012"].name == "CENTRO DE SALUD LA CAÑADA"


def dated_copy(name: str, folder: Path, when: float) -> Path:
    """A copy of a data file with modification time ``when`` (the date an import compares edits with)."""
    copy = folder / name
    copy.write_bytes((DATA / name).read_bytes())
    os.utime(copy, (when, when))
    return copy


def old_copy(name: str, folder: Path) -> Path:
    """Dated 2000-01-01: older than anything the test edits."""
    return dated_copy(name, folder, 946684800)


def newer_copy(name: str, folder: Path) -> Path:
    """Dated an hour from now: newer than anything the test edits."""
    return dated_copy(name, folder, time.time() + 3600)


def test_a_blank_cell_never_erases_stored_data(factory, qro, tmp_path):
    new_establishment(factory, qro.id, "QTIMB000058", "UNIDAD MÉDICA MÓVIL PEÑAMILLER", latitude=21.05, longitude=-99.81)
    run_import(factory, newer_copy("clues_qro.xlsx", tmp_path), qro.id)  # that row has no coordinates
    row = stored(factory)["QTIMB000058"]
    assert (row.latitude, row.longitude) == (21.05, -99.81)
    assert row.operating_status == OperatingStatus.CERRADO_TEMPORALMENTE  # the rest did update


def test_equivalence_table_links_old_and_new_keys(factory, bc):
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    new_establishment(factory, bc.id, "BCSSA000913", "Hospital General Tijuana", "SEGUNDO")  # not yet renamed
    plan = run_import(factory, DATA / "equivalencias_bc.xlsx", bc.id, kind="equivalences")
    assert {(i.row, i.column) for i in plan.rejected} == {(4, "CLUES NUEVA (IMSS-BIENESTAR)"), (5, "CLUES NUEVA (IMSS-BIENESTAR)")}
    rows = stored(factory)
    assert rows["BCIMB000355"].previous_clues == "BCSSA000440"
    assert "BCSSA000913" not in rows
    assert rows["BCIMB000734"].previous_clues == "BCSSA000913" and rows["BCIMB000734"].name == "Hospital General Tijuana"
    again = run_import(factory, DATA / "equivalencias_bc.xlsx", bc.id, kind="equivalences")
    assert (len(again.updated), len(again.unchanged)) == (0, 2)


def test_a_file_using_the_old_ssa_key_updates_the_linked_establishment(factory, bc, tmp_path):
    new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO", previous_clues="BCSSA000440")
    path = tmp_path / "viejo.csv"
    path.write_text("CLUES,NOMBRE DE LA UNIDAD,NIVEL ATENCION,MUNICIPIO\nBCSSA000440,HOSPITAL GENERAL MEXICALI,SEGUNDO NIVEL,Mexicali\n",
                    encoding="utf-8")
    os.utime(path, (time.time() + 3600, time.time() + 3600))
    plan = run_import(factory, path, bc.id)
    assert not plan.new and [u.key for u in plan.updated] == ["BCIMB000355"]
    rows = stored(factory)
    assert set(rows) == {"BCIMB000355"} and rows["BCIMB000355"].municipality == "Mexicali"


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_then_import_reports_everything_unchanged(factory, qro, tmp_path, suffix):
    run_import(factory, DATA / "clues_qro.xlsx", qro.id)
    new_establishment(factory, qro.id, "QTIMB000777", "=HIPERVINCULO(\"http://x\")", notes="+52 442 123 4567")
    out = tmp_path / f"export{suffix}"
    with factory() as session:
        assert export_establishments(session, out, state_id=qro.id) == 6
    with factory() as session:
        plan = plan_file(session, "establishments", out, None, qro.id)
    assert (len(plan.new), len(plan.updated), len(plan.rejected), len(plan.unchanged)) == (0, 0, 0, 6)


def test_exported_workbook_is_formatted_and_never_runs_formulas(factory, qro, tmp_path):
    run_import(factory, DATA / "clues_qro.xlsx", qro.id)
    new_establishment(factory, qro.id, "QTIMB000777", "=HIPERVINCULO(\"http://x\")")
    out = tmp_path / "export.xlsx"
    with factory() as session:
        ids = [e.id for e in session.scalars(select(Establishment).order_by(Establishment.clues.desc()))]
        export_establishments(session, out, ids=ids[:3])
    ws = openpyxl.load_workbook(out).active
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "CLUES" and ws["C1"].value == "NOMBRE DE LA UNIDAD"
    assert [ws.cell(r, 1).value for r in (2, 3, 4)] == ["QTIMB000777", "QTIMB000058", "QTIMB000041"]  # ids order
    formula = ws["C2"]
    assert formula.data_type == "s" and formula.value == "=HIPERVINCULO(\"http://x\")"
    started = ws.cell(3, [c.value for c in ws[1]].index("FECHA DE INICIO DE OPERACION") + 1)
    assert started.is_date and started.value.date() == date(2019, 7, 1)
    assert ws.column_dimensions["C"].width >= len("UNIDAD MÉDICA MÓVIL PEÑAMILLER")


def test_csv_export_neutralises_formula_cells(factory, qro, tmp_path):
    new_establishment(factory, qro.id, "QTIMB000777", "@SUMA(A1)")
    out = tmp_path / "export.csv"
    with factory() as session:
        export_establishments(session, out, state_id=qro.id)
    content = out.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens the accents right
    assert "'@SUMA(A1)" in content.decode("utf-8-sig")


def test_template_has_headers_instructions_and_allowed_values_and_imports_as_is(tmp_path, factory, qro):
    out = tmp_path / "plantilla.xlsx"
    write_template("establishments", out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Datos", "Ejemplo", "Instrucciones", "Valores permitidos"]
    kind = get_kind("establishments")
    headers = [c.value for c in book["Datos"][1]]
    assert headers == [f.header for f in kind.fields]
    assert all(i is not None for i in guess_mapping(kind, headers).values())
    allowed = {(r[0], r[1]) for r in book["Valores permitidos"].iter_rows(min_row=2, values_only=True)}
    assert ("NIVEL ATENCION", "Primer nivel") in allowed and ("NOMBRE DE TIPOLOGIA", "Hospital General") in allowed
    with factory() as session:  # the example sheet is itself a valid import
        plan = plan_file(session, "establishments", out, "Ejemplo", qro.id)
    assert len(plan.new) == 1 and not plan.rejected


def test_headers_are_recognised_ignoring_case_accents_and_spacing():
    kind = get_kind("establishments")
    mapping = guess_mapping(kind, ["  clues ", "Nombre  de la Unidad", "NIVEL DE ATENCIÓN", "Nombre de la Entidad", "Otra"])
    assert (mapping["clues"], mapping["name"], mapping["level_of_care"], mapping["state"]) == (0, 1, 2, 3)
    assert mapping["latitude"] is None
    assert header_key("Código  Postal") == "codigo postal"


def test_cells_accept_decimal_commas_spanish_dates_and_lost_leading_zeros():
    assert to_float("20,5881") == pytest.approx(20.5881) and to_float(" -99.1 ") == pytest.approx(-99.1)
    assert to_date("14/05/2003") == to_date("2003-05-14") == to_date(37755) == date(2003, 5, 14)
    assert to_code(14, 3) == "014" and to_code("76240", 5) == "76240"
    with pytest.raises(ValueError):
        to_date("31/02/2024")


def test_unreadable_files_raise_a_spanish_error(tmp_path):
    with pytest.raises(ReadError, match="No existe"):
        read_sheet(tmp_path / "no.xlsx")
    broken = tmp_path / "roto.xlsx"
    broken.write_bytes(b"PK\x03\x04 esto no es un libro")
    with pytest.raises(ReadError, match="No se pudo leer"):
        read_sheet(broken)
    other = tmp_path / "notas.docx"
    other.write_text("x")
    with pytest.raises(ReadError, match="no es una hoja de cálculo"):
        read_sheet(other)


def test_missing_required_columns_are_named(factory, qro, tmp_path):
    path = tmp_path / "sin_nombre.csv"
    path.write_text("CLUES;MUNICIPIO;NIVEL\nQTIMB000001;Colón;1\n", encoding="utf-8")
    with factory() as session, pytest.raises(ReadError, match="NOMBRE DE LA UNIDAD"):
        plan_file(session, "establishments", path, None, qro.id)


def cli(db, *args):
    return subprocess.run([sys.executable, "-m", "gui", "--db", str(db), *args], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).resolve().parents[1])


def test_cli_dry_run_prints_the_summary_and_saves_nothing(tmp_path):
    db = tmp_path / "cli.sqlite3"
    assert cli(db, "init", "--state", "QT").returncode == 0
    result = cli(db, "import", "establishments", str(DATA / "clues_messy.xlsx"), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Nuevos: 3" in result.stdout and "Fila 9, columna Latitud" in result.stdout
    assert "Omitidos (otra entidad): 1" in result.stdout
    listed = cli(db, "establishments", "list", "--state", "QT")
    assert listed.stdout.strip().count("\n") == 0  # header only


def test_cli_imports_exports_and_fails_on_an_unreadable_file(tmp_path):
    db = tmp_path / "cli.sqlite3"
    cli(db, "init", "--state", "QT")
    assert cli(db, "import", "establishments", str(DATA / "clues_qro_latin1.csv")).returncode == 0
    out = tmp_path / "salida.xlsx"
    result = cli(db, "export", "establishments", "--out", str(out))
    assert result.returncode == 0 and "5 establecimientos" in result.stdout
    assert openpyxl.load_workbook(out).active.max_row == 6
    bad = cli(db, "import", "establishments", str(tmp_path / "no_existe.xlsx"))
    assert bad.returncode == 1 and "No existe" in bad.stderr
    assert cli(db, "template", "equivalences", "--out", str(tmp_path / "p.xlsx")).returncode == 0


def test_a_table_starting_below_and_right_of_a1_keeps_spreadsheet_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws["B3"], ws["C3"] = "CLUES", "NOMBRE DE LA UNIDAD"
    ws["B4"], ws["C4"] = "QTIMB000001", "Centro de Salud Uno"
    ws["B6"] = "QTIMB000002"  # row 5 left blank
    book.save(tmp_path / "desplazada.xlsx")
    sheet = read_sheet(tmp_path / "desplazada.xlsx", None, get_kind("establishments").known_headers())
    assert sheet.header_row == 3 and sheet.row_numbers == [4, 6]
    assert guess_mapping(get_kind("establishments"), sheet.headers)["clues"] == 1


def test_fields_left_empty_in_the_office_are_filled_even_after_a_later_edit(factory, qro, tmp_path):
    new_establishment(factory, qro.id, "QTIMB000012", "CS LA CAÑADA (CAPTURA LOCAL)")  # after the file's date
    with factory() as session:
        plan = plan_file(session, "establishments", old_copy("clues_qro.xlsx", tmp_path), None, qro.id)
    [update_] = [u for u in plan.updated if u.key == "QTIMB000012"]
    assert set(update_.conflicts) == {"name"}  # the one field this office filled in
    assert update_.changes["municipality"] == ("", "QUERÉTARO")
    assert plan.show("typology_id", update_.changes["typology_id"][1]) == "Centro de Salud"
