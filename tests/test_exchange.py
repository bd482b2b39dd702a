"""Offline exchange between a state office and the national office (issue 8), on real SQLite files."""
from __future__ import annotations

import hashlib
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import exchange as ex
from models.base import Tracked
from models.entities import (
    AuditEntry,
    Authorisation,
    AuthorisationDocument,
    Establishment,
    ExchangeConflict,
    Institution,
    WeekendTarget,
)
from models.exchange import package as pk
from models.exchange.tables import LOCAL_ONLY, SPECS
from models.services import audit
from models.services import documents as docs
from models.services import establishments as est_svc
from tests.test_exchange_support import (
    PDF,
    Office,
    add_establishment,
    build_state_network,
    establishment,
    rewrite_package,
    state_id,
)


@pytest.fixture
def bc(tmp_path, backend) -> Office:
    return Office(tmp_path, "bc", "02", backend)


@pytest.fixture
def sonora(tmp_path, backend) -> Office:
    return Office(tmp_path, "sonora", "26", backend)


@pytest.fixture
def national(tmp_path, backend) -> Office:
    return Office(tmp_path, "nacional", None, backend)


def _same_state_data(a: Office, b: Office, code: str = "02") -> None:
    left, right = a.content(code), b.content(code)
    for table in SPECS:
        if SPECS[table].state_scoped:
            assert left[table] == right[table], table


def test_every_tracked_table_travels_or_is_declared_local():
    from models.base import Base

    tracked = {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, Tracked)}
    assert tracked == set(SPECS) | set(LOCAL_ONLY)


def test_round_trip_state_to_national_carries_every_table(bc, national):
    with bc.session() as s:
        network = build_state_network(s, "02", "BC")
        pdf = bc.folder / "licencia.pdf"
        pdf.write_bytes(PDF)
        docs.attach_document(s, network["licence"], pdf, "ana")
    path = bc.export()
    info = ex.inspect_package(path)
    assert (info.kind, info.source_office, info.target_office, info.sequence) == ("paquete", "02", "NACIONAL", 1)
    assert info.documents == 1 and info.tables["establishments"] == 2
    summary = national.import_(path)
    assert summary.applied == info.total_records and summary.rejected == summary.conflicts == 0
    _same_state_data(bc, national)
    with national.session() as s:
        centre = establishment(s, "BCIMB000901")
        assert centre.referral_establishment.clues == "BCIMB000355"  # late keys (self, zone) resolved
        assert centre.zone.coordinating_establishment_id == centre.referral_establishment_id
        assert centre.changed_by == "ana" and centre.state.inegi_code == "02"
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "importar_paquete")) == 1


def test_the_manifest_lists_counts_and_checksums_and_tables_are_json_lines(bc):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    path = bc.export()
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "cepkg" and manifest["format_version"] == pk.FORMAT_VERSION
        assert manifest["source"]["office"] == "02" and len(manifest["source"]["office_id"]) == 36
        for entry in manifest["files"]:
            data = zf.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
            if entry.get("table"):
                lines = data.decode("utf-8").splitlines()
                assert len(lines) == entry["records"]
        records = [json.loads(x) for x in zf.read("tables/establishments.jsonl").decode().splitlines()]
    hospital = next(r for r in records if r["data"]["clues"] == "BCIMB000355")
    assert hospital["data"]["state_uuid"] and "state_id" not in hospital["data"]  # uuids, never local ids
    assert hospital["data"]["level_of_care"] == "SEGUNDO" and hospital["data"]["latitude"] == 32.6245


def test_the_same_package_twice_changes_nothing(bc, national):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    path = bc.export()
    national.import_(path)
    before = national.dump()
    again = national.import_(path)
    assert again.already_imported and again.applied == 0
    assert national.dump() == before


def test_a_dry_run_reports_the_same_and_writes_nothing(bc, national):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    path = bc.export()
    before = national.dump()
    preview = national.import_(path, dry_run=True)
    assert national.dump() == before
    real = national.import_(path)
    assert (preview.applied, preview.unchanged, preview.conflicts, preview.rejected) == \
        (real.applied, real.unchanged, real.conflicts, real.rejected)


def test_out_of_order_packages_report_the_gap_and_apply_nothing_twice(bc, national):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    first = bc.export()
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000002", "Centro de Salud B")
        establishment(s, "BCIMB000001").name = "Centro de Salud A (renombrado)"
    second = bc.export()
    with bc.session() as s:
        establishment(s, "BCIMB000002").notes = "tercer cambio"
    third = bc.export()
    late = national.import_(third)
    assert late.applied == 2 and late.missing_sequences == [1, 2] and late.gap_covered
    assert any("Faltan los paquetes 1, 2" in line for line in late.lines())
    early = national.import_(first)
    assert early.applied == 0 and early.unchanged == 1 and early.missing_sequences == [2]
    middle = national.import_(second)
    assert middle.applied == 0 and middle.unchanged == 2 and middle.missing_sequences == []
    with national.session() as s:
        assert establishment(s, "BCIMB000001").name == "Centro de Salud A (renombrado)"
        assert establishment(s, "BCIMB000002").notes == "tercer cambio"
    _same_state_data(bc, national)


def _big_package(bc: Office) -> Path:
    with bc.session() as s:
        for i in range(300):
            add_establishment(s, "02", f"BCIMB{i:06d}", f"Centro de Salud número {i} de Baja California",
                              notes="x" * (i % 37))
    return bc.export()


def test_a_flipped_byte_is_refused_and_nothing_changes(bc, national):
    path = _big_package(bc)
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    bad = path.with_name("volteado.cepkg")
    bad.write_bytes(bytes(data))
    before = national.dump()
    with pytest.raises(ex.PackageError) as err:
        national.import_(bad)
    assert err.value.code == pk.E_CORRUPT and "dañado o fue alterado" in str(err.value)
    assert national.dump() == before
    with pytest.raises(ex.PackageError):
        ex.inspect_package(bad)


def test_content_changed_inside_a_valid_zip_fails_its_sha256(bc, national):
    path = _big_package(bc)
    with zipfile.ZipFile(path) as zf:
        lines = zf.read("tables/establishments.jsonl").replace(b"Centro de Salud", b"Centro de Salod")
    bad = rewrite_package(path, path.with_name("editado.cepkg"), files={"tables/establishments.jsonl": lines})
    before = national.dump()
    with pytest.raises(ex.PackageError) as err:
        national.import_(bad)
    assert err.value.code == pk.E_CORRUPT and "SHA-256" in str(err.value)
    assert national.dump() == before


def test_a_truncated_file_is_refused_with_its_own_message(bc, national):
    path = _big_package(bc)
    cut = path.with_name("cortado.cepkg")
    cut.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    before = national.dump()
    with pytest.raises(ex.PackageError) as err:
        national.import_(cut)
    assert err.value.code == pk.E_TRUNCATED and "incompleto" in str(err.value)
    assert national.dump() == before


def test_a_package_for_another_state_is_refused(bc, sonora, national):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    national.import_(bc.export())
    for_bc = national.export(target="02")
    before = sonora.dump()
    with pytest.raises(ex.PackageError) as err:
        sonora.import_(for_bc)
    assert err.value.code == pk.E_WRONG_STATE
    assert "Baja California" in str(err.value) and "Sonora" in str(err.value)
    assert sonora.dump() == before
    # a state office's package only goes to the national office
    with pytest.raises(ex.PackageError) as err:
        sonora.import_(bc.export())
    assert err.value.code == pk.E_ORIGIN and "sólo recibe paquetes de la oficina nacional" in str(err.value)
    assert sonora.dump() == before


def test_a_manifest_claiming_another_target_is_refused(bc, national, tmp_path):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    path = bc.export()

    def retarget(manifest):
        manifest["target"]["office"] = "26"
        return manifest

    bad = rewrite_package(path, tmp_path / "otro-destino.cepkg", manifest=retarget)
    before = national.dump()
    with pytest.raises(ex.PackageError) as err:
        national.import_(bad)
    assert err.value.code == pk.E_WRONG_STATE
    assert national.dump() == before


def test_a_package_from_a_newer_schema_is_refused(bc, national, tmp_path):
    from models.schema import SCHEMA_VERSION

    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")

    def bump(manifest):
        manifest["schema_version"] = SCHEMA_VERSION + 1
        return manifest

    bad = rewrite_package(bc.export(), tmp_path / "futuro.cepkg", manifest=bump)
    before = national.dump()
    with pytest.raises(ex.PackageError) as err:
        national.import_(bad)
    assert err.value.code == pk.E_SCHEMA and "versión más nueva" in str(err.value)
    assert national.dump() == before


def test_a_package_is_not_imported_where_it_was_made(bc):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    path = bc.export()
    before = bc.dump()
    with pytest.raises(ex.PackageError) as err:
        bc.import_(path)
    assert err.value.code == pk.E_SAME_OFFICE and "esta misma oficina" in str(err.value)
    assert bc.dump() == before


def test_each_refusal_has_its_own_message():
    codes = [pk.E_CORRUPT, pk.E_TRUNCATED, pk.E_WRONG_STATE, pk.E_SCHEMA, pk.E_SAME_OFFICE, pk.E_ORIGIN]
    assert len(set(codes)) == len(codes)


def test_not_a_package(tmp_path, national):
    path = tmp_path / "hoja.cepkg"
    path.write_text("CLUES,NOMBRE\n", encoding="utf-8")
    with pytest.raises(ex.PackageError) as err:
        national.import_(path)
    assert err.value.code == pk.E_NOT_PACKAGE


def test_soft_deletion_travels(bc, national):
    with bc.session() as s:
        centre = add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
        centre_id = centre.id
    national.import_(bc.export())
    national.ack_to(bc)
    with bc.session() as s:
        est_svc.retire_establishment(s, centre_id, "Cierre definitivo", date(2024, 6, 30), "ana")
    result = bc.export_result()
    assert result.total_records == 1
    summary = national.import_(result.path)
    assert summary.applied == 1
    with national.session() as s:
        centre = establishment(s, "BCIMB000001")
        assert centre.deleted_at is not None and centre.retirement_reason == "Cierre definitivo"


def test_ack_makes_the_next_package_carry_only_newer_changes(bc, national):
    with bc.session() as s:
        build_state_network(s, "02", "BC")
    first = bc.export_result()
    national.import_(first.path)
    unacked = bc.export_result()
    assert unacked.total_records == first.total_records  # not confirmed yet: everything again
    confirmed = national.ack_to(bc)  # the national office applied package 1 (package 2 never arrived)
    assert confirmed.confirmed == [1] and confirmed.records_confirmed == first.total_records
    assert bc.export_result().total_records == 0
    with bc.session() as s:
        establishment(s, "BCIMB000901").name = "Centro de Salud Rural Ampliado"
    newer = bc.export_result()
    assert newer.total_records == 1 and newer.tables["establishments"] == 1 and newer.base_ack == 1
    again = national.ack_to(bc)
    assert again.confirmed == []  # the same packages are not confirmed twice
    assert national.import_(newer.path).applied == 1
    # what the national office received does not come back to the state
    national_to_bc = national.export_result(target="02")
    assert all(national_to_bc.tables[t] == 0 for t in SPECS if SPECS[t].state_scoped)


def test_an_ack_is_idempotent_and_refused_where_it_was_made(bc, national):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    national.import_(bc.export())
    path = national.folder / "acuse.cepkg"
    with national.session() as s:
        ex.make_ack(s, path)
    with bc.session() as s:
        assert ex.import_ack(s, path).confirmed == [1]
    before = bc.dump()
    with bc.session() as s:
        assert ex.import_ack(s, path).already_imported
    assert bc.dump() == before
    with pytest.raises(ex.PackageError) as err, national.session() as s:
        ex.import_ack(s, path)
    assert err.value.code == pk.E_SAME_OFFICE
    with pytest.raises(ex.PackageError) as err:
        national.import_(path)  # an acknowledgement is not a data package
    assert err.value.code == pk.E_KIND


def test_importing_an_ack_needs_the_import_permission(bc, national):
    from models.enums import UserRole
    from models.services import users

    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
        users.create_first_admin(s, "admin", "Administración", "Bienestar-2026")
        users.add_user(s, "admin", "lectora", "Sólo consulta", UserRole.CONSULTA, state_id(s, "02"), "Bienestar-2026")
    national.import_(bc.export())
    path = national.folder / "acuse.cepkg"
    with national.session() as s:
        ex.make_ack(s, path)
    before = bc.dump()
    with pytest.raises(PermissionError, match="no permite importar"), bc.session() as s:
        ex.import_ack(s, path, user="lectora")
    assert bc.dump() == before
    with bc.session() as s:
        assert ex.import_ack(s, path, user="admin").confirmed == [1]


def _conflict(bc: Office, national: Office) -> ex.ConflictInfo:
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A", municipality="Tecate")
    national.import_(bc.export())
    national.ack_to(bc)
    with bc.session() as s:
        establishment(s, "BCIMB000001").name = "Centro de Salud A (estatal)"
    with national.session() as s:
        establishment(s, "BCIMB000001").name = "Centro de Salud A (nacional)"
        establishment(s, "BCIMB000001").municipality = "Tijuana"
    summary = national.import_(bc.export())
    assert summary.conflicts == 1 and summary.applied == 0
    assert summary.notes[0].outcome == "conflicto" and "BCIMB000001" in summary.notes[0].label
    [conflict] = national.conflicts()
    return conflict


def test_a_conflict_is_kept_with_both_versions_and_listed_once(bc, national):
    conflict = _conflict(bc, national)
    assert conflict.table == "establishments" and conflict.peer == "02"
    diffs = {d.name: (d.local, d.incoming) for d in conflict.differing}
    assert diffs == {"name": ("Centro de Salud A (nacional)", "Centro de Salud A (estatal)"),
                     "municipality": ("Tijuana", "Tecate")}
    with national.session() as s:
        assert establishment(s, "BCIMB000001").name == "Centro de Salud A (nacional)"  # nothing silently resolved
    # the state sends the same record again, and then a newer version of it: still one conflict
    repeated = national.import_(bc.export())
    assert repeated.conflicts == 0 and repeated.unchanged == 1 and len(national.conflicts()) == 1
    with bc.session() as s:
        establishment(s, "BCIMB000001").notes = "otra modificación"
    assert national.import_(bc.export()).conflicts == 1
    [again] = national.conflicts()
    assert again.id == conflict.id and {d.name for d in again.differing} == {"name", "municipality", "notes"}
    # a record in conflict does not travel until someone decides
    assert national.export_result(target="02").tables["establishments"] == 0


def test_resolving_with_the_incoming_version_is_audited_and_converges(bc, national):
    conflict = _conflict(bc, national)
    with national.session() as s:
        ex.resolve_conflict(s, conflict.id, "incoming", "jefa")
    assert national.conflicts() == []
    [done] = national.conflicts(include_resolved=True)
    assert (done.resolution, done.resolved_by) == ("incoming", "jefa")
    with national.session() as s:
        est = establishment(s, "BCIMB000001")
        assert (est.name, est.municipality) == ("Centro de Salud A (estatal)", "Tecate")
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "resolver_conflicto")).one()
        assert entry.username == "jefa" and entry.entity_uuid == conflict.record_uuid
        assert json.loads(entry.after_json)["eleccion"] == "incoming"
        assert audit.verify_chain(s) == []
    # the decision goes back once (the state already holds that content: nothing changes there)
    back = national.export_result(target="02")
    assert back.tables["establishments"] == 1
    summary = bc.import_(back.path)
    assert summary.applied == summary.deferred == 0 and summary.tables["establishments"].unchanged == 1
    bc.ack_to(national)
    assert national.export_result(target="02").tables["establishments"] == 0
    _same_state_data(bc, national)
    with pytest.raises(ex.ConflictError), national.session() as s:
        ex.resolve_conflict(s, conflict.id, "local", "jefa")


def test_resolving_with_the_local_version_reaches_the_state_without_a_new_conflict(bc, national):
    conflict = _conflict(bc, national)
    with national.session() as s:
        ex.resolve_conflict(s, conflict.id, "local", "jefa")
    back = national.export_result(target="02")
    assert back.tables["establishments"] == 1
    summary = bc.import_(back.path)
    assert summary.applied == 1 and summary.deferred == 0 and summary.conflicts == 0
    _same_state_data(bc, national)
    with bc.session() as s:
        assert establishment(s, "BCIMB000001").name == "Centro de Salud A (nacional)"
    # and when the state's next package arrives nothing conflicts any more
    national.ack_to(bc)
    assert national.import_(bc.export()).conflicts == 0
    assert national.conflicts() == []


def test_a_field_by_field_merge(bc, national):
    conflict = _conflict(bc, national)
    with national.session() as s:
        with pytest.raises(ex.ConflictError, match="desconocidos"):
            ex.resolve_conflict(s, conflict.id, {"nombre": "incoming"}, "jefa")
        ex.resolve_conflict(s, conflict.id, {"name": "incoming", "municipality": "local"}, "jefa")
    with national.session() as s:
        est = establishment(s, "BCIMB000001")
        assert (est.name, est.municipality) == ("Centro de Salud A (estatal)", "Tijuana")
    bc.import_(national.export(target="02"))
    _same_state_data(bc, national)


def test_a_state_keeps_its_version_when_the_national_office_changed_it_too(bc, national):
    """The conflict is kept in one place: the national office, where both versions meet."""
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    national.import_(bc.export())
    national.ack_to(bc)
    with national.session() as s:
        establishment(s, "BCIMB000001").name = "Versión nacional"
    with bc.session() as s:
        establishment(s, "BCIMB000001").name = "Versión estatal"
    at_state = bc.import_(national.export(target="02"))
    assert at_state.deferred == 1 and at_state.applied == 0 and bc.conflicts() == []
    assert at_state.notes[0].outcome == "en_espera"
    with bc.session() as s:
        assert establishment(s, "BCIMB000001").name == "Versión estatal"
    bc.ack_to(national)
    assert national.import_(bc.export()).conflicts == 1
    [conflict] = national.conflicts()
    with national.session() as s:
        ex.resolve_conflict(s, conflict.id, "local", "jefa")
    assert bc.import_(national.export(target="02")).applied == 1
    _same_state_data(bc, national)


def test_attached_documents_travel_with_their_checksum(bc, national):
    with bc.session() as s:
        network = build_state_network(s, "02", "BC")
        pdf = bc.folder / "licencia.pdf"
        pdf.write_bytes(PDF)
        doc = docs.attach_document(s, network["licence"], pdf, "ana")
    path = bc.export()
    with zipfile.ZipFile(path) as zf:
        assert zf.read("documents/" + doc.stored_name.split("/")[1]) == PDF
    summary = national.import_(path)
    assert summary.documents_written == 1
    with national.session() as s:
        stored = s.scalars(select(AuthorisationDocument)).one()
        assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
        assert docs.verify_document(stored).ok
        assert docs.document_path(stored).parent.parent == national.data


def test_a_document_that_does_not_match_its_checksum_is_refused(bc, national, tmp_path):
    with bc.session() as s:
        network = build_state_network(s, "02", "BC")
        pdf = bc.folder / "licencia.pdf"
        pdf.write_bytes(PDF)
        doc = docs.attach_document(s, network["licence"], pdf, "ana")
    path = bc.export()
    name = "documents/" + doc.stored_name.split("/")[1]
    bad = rewrite_package(path, tmp_path / "doc-alterado.cepkg", files={name: PDF.replace(b"Catalog", b"Catalo9")})
    before = national.dump()
    with pytest.raises(ex.PackageError) as err:
        national.import_(bad)
    assert err.value.code == pk.E_CORRUPT
    assert national.dump() == before
    assert not (national.data / "documentos").exists()


def test_catalogue_changes_flow_from_the_national_office_to_the_states(bc, national):
    with national.session() as s:
        s.scalars(select(Institution).where(Institution.code == "SSA")).one().name = "Secretaría de Salud federal"
        s.add(WeekendTarget(state_id=state_id(s, "02"), units_target=120, effective_from=date(2025, 1, 1),
                            source="Oficina nacional", reason="Ajuste", changed_by="nacional"))
    summary = bc.import_(national.export(target="02"))
    assert summary.applied == 2 and summary.conflicts == 0
    with bc.session() as s:
        assert s.scalars(select(Institution.name).where(Institution.code == "SSA")).one() == \
            "Secretaría de Salud federal"
        assert s.scalar(select(func.max(WeekendTarget.units_target)).where(
            WeekendTarget.state_id == state_id(s, "02"))) == 120
    assert national.content("02", catalog=True) == bc.content("02", catalog=True)


def test_a_state_cannot_change_the_catalogue_or_another_states_records(bc, national, tmp_path):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
        add_establishment(s, "26", "SRIMB000001", "Centro de Salud de Sonora")  # another state's record
    path = bc.export()
    with zipfile.ZipFile(path) as zf:
        assert b"SRIMB000001" not in zf.read("tables/establishments.jsonl")  # only its own state travels
    # a crafted package naming a Sonora record and a catalogue change: those records are rejected
    with national.session() as s:
        national_institution = s.scalars(select(Institution).where(Institution.code == "IMB")).one()
        inst_uuid = national_institution.uuid
    with zipfile.ZipFile(path) as zf:
        lines = zf.read("tables/establishments.jsonl").decode()
    record = json.loads(lines.splitlines()[0])
    sonora_state = next(iter(json.loads(x) for x in lines.splitlines()))["data"]["state_uuid"]
    with bc.session() as s:
        from models.entities import State

        sonora_uuid = s.scalars(select(State.uuid).where(State.inegi_code == "26")).one()
    assert sonora_state != sonora_uuid
    forged = dict(record, uuid="00000000-0000-4000-8000-000000000001")
    forged["data"] = dict(record["data"], clues="SRIMB000777", state_uuid=sonora_uuid)
    catalogue = {"uuid": inst_uuid, "version": 9, "created_at": record["created_at"],
                 "updated_at": record["updated_at"], "changed_by": "ana", "deleted_at": None, "base": None,
                 "data": {"code": "IMB", "name": "Otra"}}
    tables = {"tables/establishments.jsonl": (lines + json.dumps(forged) + "\n").encode(),
              "tables/institutions.jsonl": (json.dumps(catalogue) + "\n").encode()}
    crafted = _repack(path, tmp_path / "forjado.cepkg", tables)
    summary = national.import_(crafted)
    assert summary.applied == 1 and summary.rejected == 2
    reasons = sorted(n.message for n in summary.notes)
    assert any("otra entidad" in r for r in reasons) and any("catálogos" in r for r in reasons)
    with national.session() as s:
        assert s.scalars(select(Institution.name).where(Institution.code == "IMB")).one() == "IMSS-BIENESTAR"
        assert s.scalar(select(func.count()).select_from(Establishment)) == 1


def _repack(source, target, tables: dict[str, bytes]):
    """A package whose table files are replaced and whose manifest checksums are recomputed (a forged one)."""
    with zipfile.ZipFile(source) as zin:
        manifest = json.loads(zin.read("manifest.json"))
        contents = {i.filename: zin.read(i.filename) for i in zin.infolist() if i.filename != "manifest.json"}
    contents.update(tables)
    entries = []
    for name, data in contents.items():
        entry = {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        if name.startswith("tables/"):
            entry["table"] = name[len("tables/"):-len(".jsonl")]
            entry["records"] = data.count(b"\n")
        entries.append(entry)
    manifest["files"] = entries
    manifest["package_id"] = "00000000-0000-4000-8000-0000000000ff"
    with zipfile.ZipFile(target, "w") as zout:
        for name, data in contents.items():
            zout.writestr(name, data)
        zout.writestr("manifest.json", json.dumps(manifest))
    return target


def test_records_created_separately_with_the_same_clues_are_identified(bc, national):
    with national.session() as s:
        add_establishment(s, "02", "BCIMB000355", "Hospital General Mexicali", user="carga DGIS")
        add_establishment(s, "02", "BCIMB000010", "Hospital General Ensenada", user="carga DGIS")
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000355", "Hospital General Mexicali", user="carga DGIS")
        add_establishment(s, "02", "BCIMB000010", "Hospital General de Ensenada", user="carga DGIS")
    summary = national.import_(bc.export())
    assert summary.rejected == 0 and summary.unchanged == 1 and summary.conflicts == 1
    assert any("se identificaron" in w for w in summary.warnings)
    with bc.session() as s, national.session() as n:
        for clues in ("BCIMB000355", "BCIMB000010"):
            assert establishment(s, clues).uuid == establishment(n, clues).uuid
    with national.session() as s:
        assert s.scalar(select(func.count()).select_from(Establishment)) == 2
        assert s.scalar(select(func.count()).select_from(ExchangeConflict)) == 1


def test_a_clash_with_an_exchanged_record_is_rejected_not_merged(bc, sonora, national):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    national.import_(bc.export())
    with national.session() as s:
        authorisations = s.scalar(select(func.count()).select_from(Authorisation))
    assert authorisations == 0
    # the same CLUES created again at the state under another identity (e.g. a restored old backup)
    with bc.session() as s:
        est = establishment(s, "BCIMB000001")
        est.clues = "BCIMB000002"
        s.flush()
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A duplicado")
    summary = national.import_(bc.export())
    assert summary.rejected == 1 and "misma clave" in summary.notes[0].message


def test_a_full_package_echoing_old_content_does_not_undo_newer_changes(bc, national):
    """``--all`` sends records the other office already has: an old version coming back is not a change."""
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    national.import_(bc.export())
    with national.session() as s:
        establishment(s, "BCIMB000001").notes = "nota 48"
    bc.import_(national.export(target="02"))
    with national.session() as s:
        establishment(s, "BCIMB000001").notes = "nota 72"  # a newer national change, not yet sent
    summary = national.import_(bc.export(all=True))
    assert summary.applied == 0 and summary.conflicts == 0 and summary.unchanged == 1
    with national.session() as s:
        assert establishment(s, "BCIMB000001").notes == "nota 72"
    assert bc.import_(national.export(target="02")).applied == 1
    _same_state_data(bc, national)


def test_going_back_to_an_earlier_content_on_purpose_is_a_change(bc, national):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    national.import_(bc.export())
    with national.session() as s:
        establishment(s, "BCIMB000001").notes = "versión nacional"
    bc.import_(national.export(target="02"))
    with bc.session() as s:
        establishment(s, "BCIMB000001").notes = "versión estatal"
    assert national.import_(bc.export()).applied == 1
    with national.session() as s:  # the national office puts its earlier text back, having seen the state's
        establishment(s, "BCIMB000001").notes = "versión nacional"
    summary = bc.import_(national.export(target="02"))
    assert summary.applied == 1 and summary.deferred == 0
    with bc.session() as s:
        assert establishment(s, "BCIMB000001").notes == "versión nacional"
    _same_state_data(bc, national)


def test_a_decision_travels_and_makes_older_packages_in_transit_stale(bc, national):
    with bc.session() as s:
        add_establishment(s, "02", "BCIMB000001", "Centro de Salud A")
    national.import_(bc.export())
    with national.session() as s:
        establishment(s, "BCIMB000001").name = "Nombre nacional"
    in_transit = national.export(target="02")  # not delivered yet
    with bc.session() as s:  # the state changes it and changes it back meanwhile
        establishment(s, "BCIMB000001").name = "Otro nombre"
    with bc.session() as s:
        establishment(s, "BCIMB000001").name = "Centro de Salud A"
    assert national.import_(bc.export()).conflicts == 1
    [conflict] = national.conflicts()
    with national.session() as s:
        ex.resolve_conflict(s, conflict.id, "incoming", "jefa")
    decision = national.export_result(target="02")
    assert decision.tables["establishments"] == 1
    assert bc.import_(decision.path).unchanged >= 1
    late = bc.import_(in_transit)  # the superseded national version arrives last
    assert late.applied == 0
    with bc.session() as s:
        assert establishment(s, "BCIMB000001").name == "Centro de Salud A"
    _same_state_data(bc, national)


def test_a_state_change_undone_meanwhile_still_meets_the_national_change(bc, national):
    """The state edited a record and put it back while the national office changed it: a conflict, not two
    different records that nobody sees."""
    with national.session() as s:
        add_establishment(s, "02", "BCIMB500001", "Unidad nacional", user="nacional")
    bc.import_(national.export(target="02"))
    with bc.session() as s:
        establishment(s, "BCIMB500001").notes = "cambio pasajero"
    with bc.session() as s:
        establishment(s, "BCIMB500001").notes = ""
    with national.session() as s:
        establishment(s, "BCIMB500001").name = "Unidad nacional renombrada"
    assert bc.import_(national.export(target="02")).deferred == 1
    assert bc.export_result().tables["establishments"] == 1  # its own version goes to the national office
    bc_package = bc.export()
    assert national.import_(bc_package).conflicts == 1
    assert len(national.conflicts()) == 1
