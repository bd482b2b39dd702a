"""Scanned documents attached to authorisations: type by content, copy into the data folder, checksum,
relative paths that survive a restart and a moved data folder, tampering and orphan cleanup."""
from __future__ import annotations

import os
import shutil
from datetime import date as D

import pytest
from sqlalchemy import func, select

from models.db import make_engine, make_session_factory
from models.entities import AuditEntry, AuthorisationDocument
from models.enums import AuthorisationStatus as S
from models.services import authorisations as auth_svc
from models.services import documents as docs
from models.paths import data_dir
from tests.helpers import new_establishment, table_dump

USER = "capturista"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(30)
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40) + b"\xff\xd9"


@pytest.fixture
def licence(factory, bc) -> int:
    est = new_establishment(factory, bc.id, "BCIMB000355", "Hospital General Mexicali", "SEGUNDO")
    with factory.begin() as s:
        data = auth_svc.AuthorisationData(est.id, "LIC_SAN", status=S.INGRESADA.value, submitted_on=D(2024, 1, 10))
        return auth_svc.create_authorisation(s, data, USER, on=D(2024, 1, 10), today=D(2024, 6, 30)).id


@pytest.fixture
def scans(tmp_path):
    folder = tmp_path / "escaneos"
    folder.mkdir()
    files = {"pdf": folder / "Licencia 2024.pdf", "png": folder / "foto.PNG", "jpg": folder / "oficio.jpeg"}
    files["pdf"].write_bytes(PDF)
    files["png"].write_bytes(PNG)
    files["jpg"].write_bytes(JPG)
    return files


def attach(factory, licence, path, **kw) -> docs.DocumentData:
    with factory.begin() as s:
        return docs.attach_document(s, licence, path, USER, **kw)


def test_a_pdf_is_copied_into_the_data_folder_with_a_relative_path_and_checksum(factory, licence, scans,
                                                                                 private_data_dir):
    doc = attach(factory, licence, scans["pdf"])
    assert doc.original_name == "Licencia 2024.pdf"
    assert doc.stored_name.startswith("documentos/") and doc.stored_name.endswith(".pdf")
    assert not os.path.isabs(doc.stored_name)
    assert doc.size_bytes == len(PDF)
    import hashlib
    assert doc.sha256 == hashlib.sha256(PDF).hexdigest()
    path = docs.document_path(doc)
    assert path.parent == private_data_dir / "documentos" and path.read_bytes() == PDF
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary copy left behind
    assert docs.verify_document(doc).status == docs.OK
    with factory() as s:
        assert [d.id for d in docs.list_documents(s, licence)] == [doc.id]
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.action == "adjuntar" and entry.entity_uuid == doc.uuid and doc.sha256 in entry.after_json


def test_png_and_jpg_are_accepted_and_keep_their_type(factory, licence, scans):
    assert attach(factory, licence, scans["png"]).stored_name.endswith(".png")
    assert attach(factory, licence, scans["jpg"]).stored_name.endswith(".jpg")


def test_a_document_survives_a_restart(db_path, factory, licence, scans, engine):
    doc = attach(factory, licence, scans["pdf"])
    engine.dispose()
    engine2 = make_engine(db_path)  # a new engine and session, as after restarting the app
    try:
        with make_session_factory(engine2)() as s:
            again = docs.list_documents(s, licence)
        assert [d.sha256 for d in again] == [doc.sha256]
        assert docs.verify_document(again[0]).ok
        assert docs.document_path(again[0]).read_bytes() == PDF
    finally:
        engine2.dispose()


def test_a_moved_data_folder_still_finds_its_documents(db_path, factory, licence, scans, engine, tmp_path,
                                                       monkeypatch, private_data_dir):
    doc = attach(factory, licence, scans["pdf"])
    engine.dispose()
    moved = tmp_path / "otra_maquina" / "datos"
    shutil.copytree(private_data_dir, moved)
    moved_db = moved / "coordinacion.sqlite3"
    shutil.copy2(db_path, moved_db)  # the database travels with the folder
    shutil.rmtree(private_data_dir)
    monkeypatch.setenv("COORDINACION_DATA_DIR", str(moved))
    assert data_dir() == moved
    engine2 = make_engine(moved_db)
    try:
        with make_session_factory(engine2)() as s:
            [again] = docs.list_documents(s, licence)
    finally:
        engine2.dispose()
    assert again.stored_name == doc.stored_name
    assert docs.document_path(again) == moved / doc.stored_name
    result = docs.verify_document(again)
    assert result.status == docs.OK, result.message


def test_a_tampered_file_is_reported_as_tampered(factory, licence, scans):
    doc = attach(factory, licence, scans["pdf"])
    path = docs.document_path(doc)
    path.write_bytes(PDF.replace(b"Catalog", b"Catalo9"))  # same size, different content
    result = docs.verify_document(doc)
    assert result.status == docs.TAMPERED and not result.ok
    assert "Licencia 2024.pdf" in result.message and "SHA-256" in result.message and "no coincide" in result.message


def test_a_missing_file_is_reported_as_missing(factory, licence, scans):
    doc = attach(factory, licence, scans["pdf"])
    docs.document_path(doc).unlink()
    result = docs.verify_document(doc)
    assert result.status == docs.MISSING
    assert result.message.startswith("No se encuentra el archivo del documento «Licencia 2024.pdf»")


def test_a_stored_path_leaving_the_documents_folder_is_never_followed(factory, licence, scans):
    doc = attach(factory, licence, scans["pdf"])
    doc.stored_name = "documentos/../coordinacion.sqlite3"
    with pytest.raises(docs.DocumentError):
        docs.document_path(doc)
    assert docs.verify_document(doc).status == docs.TAMPERED


@pytest.mark.parametrize("name, content, fragment", [
    ("licencia.pdf", b"Hola, esto es texto y no un PDF", "no es un archivo PDF válido"),
    ("licencia.pdf", PNG, "su contenido es PNG"),
    ("foto.jpg", PDF, "no es un archivo JPG válido"),
    ("licencia.docx", PDF, "no es un PDF, JPG ni PNG"),
    ("licencia", PDF, "no es un PDF, JPG ni PNG"),
    ("vacio.pdf", b"", "está vacío"),
])
def test_files_that_are_not_what_they_claim_are_refused(engine, factory, licence, tmp_path, private_data_dir,
                                                        name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    before = table_dump(engine)
    with pytest.raises(docs.DocumentError, match=fragment):
        attach(factory, licence, path)
    assert table_dump(engine) == before
    folder = private_data_dir / "documentos"
    assert not folder.exists() or list(folder.iterdir()) == []  # not even a temporary copy


def test_a_file_over_the_size_limit_is_refused(factory, licence, tmp_path):
    path = tmp_path / "grande.pdf"
    path.write_bytes(PDF + bytes(2000))
    with pytest.raises(docs.DocumentError, match="el máximo es"):
        attach(factory, licence, path, max_bytes=1000)
    assert docs.MAX_BYTES == 25 * 1024 * 1024


def test_a_missing_source_or_authorisation_is_refused(factory, licence, tmp_path, scans):
    with pytest.raises(docs.DocumentError, match="No se puede leer"):
        attach(factory, licence, tmp_path / "no_existe.pdf")
    with pytest.raises(docs.DocumentError, match="ya no existe"):
        attach(factory, licence + 999, scans["pdf"])


def test_removing_is_soft_and_keeps_the_file(factory, licence, scans):
    doc = attach(factory, licence, scans["pdf"])
    with factory.begin() as s:
        removed = docs.remove_document(s, doc.id, "supervisor", version=doc.version)
    assert removed.removed
    with factory() as s:
        assert docs.list_documents(s, licence) == []
        assert [d.id for d in docs.list_documents(s, licence, include_removed=True)] == [doc.id]
        assert s.get(AuthorisationDocument, doc.id).changed_by == "supervisor"
    assert docs.document_path(doc).exists()
    with factory.begin() as s, pytest.raises(docs.DocumentError, match="ya se quitó"):
        docs.remove_document(s, doc.id, USER)


def test_a_failed_transaction_leaves_only_an_orphan_that_cleanup_removes(engine, factory, licence, scans,
                                                                         private_data_dir):
    kept = attach(factory, licence, scans["png"])
    removed = attach(factory, licence, scans["jpg"])
    with factory.begin() as s:
        docs.remove_document(s, removed.id, USER)
    before = table_dump(engine)
    with pytest.raises(RuntimeError, match="corte de luz"):
        with factory.begin() as s:
            docs.attach_document(s, licence, scans["pdf"], USER)
            raise RuntimeError("corte de luz simulado")
    assert table_dump(engine) == before
    folder = private_data_dir / "documentos"
    assert len(list(folder.iterdir())) == 3  # the orphan copy of the PDF
    (folder / ".tmp-interrumpido").write_bytes(b"%PDF-")  # a copy interrupted before its rename
    with factory() as s:
        assert docs.cleanup_orphans(s) == []  # too young: may belong to a transaction in progress
        deleted = docs.cleanup_orphans(s, min_age_seconds=0)
    assert sorted(p.suffix for p in deleted) == ["", ".pdf"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [docs.document_path(kept).name, docs.document_path(removed).name])
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(AuthorisationDocument)) == 2
