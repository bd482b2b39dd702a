"""Scanned documents attached to sanitary authorisations (PDF, JPG, PNG), kept in the data folder.

Rules (no Qt, never commits; the caller owns the transaction):

* The type is decided by the file's first bytes (magic numbers), never by its name alone: a file named
  ``.pdf`` that is not a PDF is refused, as is any file whose extension disagrees with its content.
* The file is copied to ``data_dir()/documentos/<uuid>.<ext>``: written under a temporary name, flushed
  to disk, then renamed. The copy happens *before* the database row is written, so a failed transaction
  leaves at most an orphan file, which :func:`cleanup_orphans` removes.
* The row keeps the path *relative* to the data folder (``stored_name``), the original name, the SHA-256
  and the size. :func:`document_path` resolves it against the current data folder, so a moved data folder
  (or a restored backup) still finds its documents.
* :func:`verify_document` tells an intact file from a missing one and a tampered one (checksum mismatch).
* Removing a document is soft (``deleted_at``); its file stays, so the history can still show it.
"""
from __future__ import annotations

import hashlib
import os
import time
import uuid as uuid_mod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import Authorisation, AuthorisationDocument
from models.paths import data_dir
from models.services import audit, users

DOCS_FOLDER = "documentos"
MAX_BYTES = 25 * 1024 * 1024
CHUNK = 1024 * 1024
TEMP_PREFIX = ".tmp-"
ORPHAN_MIN_AGE_SECONDS = 3600  # a file this young may belong to a transaction still in progress

# detected kind → (stored extension, accepted extensions of the original name, magic prefix, label)
_KINDS = {
    "pdf": ("pdf", {".pdf"}, b"%PDF-", "PDF"),
    "jpg": ("jpg", {".jpg", ".jpeg", ".jpe"}, b"\xff\xd8\xff", "JPG"),
    "png": ("png", {".png"}, b"\x89PNG\r\n\x1a\n", "PNG"),
}
ALLOWED_EXTENSIONS = sorted(set().union(*(k[1] for k in _KINDS.values())))

OK = "ok"
MISSING = "missing"
TAMPERED = "tampered"


class DocumentError(Exception):
    """A document cannot be attached, found or removed; message in Spanish."""


@dataclass
class DocumentData:
    """An attached document as the screens show it."""

    id: int
    uuid: str
    authorisation_id: int
    original_name: str
    stored_name: str  # relative to the data folder, always with forward slashes
    sha256: str
    size_bytes: int
    added_at: datetime
    added_by: str
    version: int
    removed: bool = False


@dataclass
class Verification:
    """Result of checking a document's file: ``status`` is ``ok``, ``missing`` or ``tampered``."""

    status: str
    message: str

    @property
    def ok(self) -> bool:
        return self.status == OK


def documents_dir() -> Path:
    """The folder holding the attached documents, under the current data folder."""
    return data_dir() / DOCS_FOLDER


def sniff(head: bytes) -> str | None:
    """The kind (``pdf``, ``jpg``, ``png``) of a file from its first bytes, or None."""
    for kind, (_ext, _names, magic, _label) in _KINDS.items():
        if head.startswith(magic):
            return kind
    return None


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _to_data(obj: AuthorisationDocument) -> DocumentData:
    return DocumentData(obj.id, obj.uuid, obj.authorisation_id, obj.original_name, obj.stored_name, obj.sha256,
                        obj.size_bytes, obj.added_at, obj.changed_by, obj.version, obj.deleted_at is not None)


def _store_copy(source: Path, max_bytes: int) -> tuple[str, str, int]:
    """Copy ``source`` into the documents folder (temp name, fsync, rename). Returns (relative name, sha, size)."""
    suffix = source.suffix.lower()
    if suffix not in ALLOWED_EXTENSIONS:
        raise DocumentError(f"«{source.name}» no es un PDF, JPG ni PNG: sólo se pueden adjuntar documentos "
                            "escaneados en esos formatos.")
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise DocumentError(f"No se puede leer «{source}»: {exc.strerror or exc}.") from exc
    if size == 0:
        raise DocumentError(f"«{source.name}» está vacío.")
    if size > max_bytes:
        raise DocumentError(f"«{source.name}» mide {_size_text(size)}; el máximo es {_size_text(max_bytes)}.")
    folder = documents_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DocumentError(f"No se pudo crear la carpeta de documentos «{folder}»: {exc.strerror or exc}.") from exc
    name = str(uuid_mod.uuid4())
    temp = folder / f"{TEMP_PREFIX}{name}"
    digest = hashlib.sha256()
    written = 0
    kind = None
    try:
        with open(source, "rb") as src, open(temp, "xb") as dst:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                if kind is None:
                    kind = sniff(chunk)
                    if kind is None or suffix not in _KINDS[kind][1]:
                        expected = next((k[3] for k in _KINDS.values() if suffix in k[1]), suffix)
                        found = f" (su contenido es {_KINDS[kind][3]})" if kind else ""
                        raise DocumentError(f"«{source.name}» no es un archivo {expected} válido{found}; "
                                            "sólo se adjuntan PDF, JPG o PNG con la extensión que les corresponde.")
                written += len(chunk)
                if written > max_bytes:
                    raise DocumentError(f"«{source.name}» mide más de {_size_text(max_bytes)}, el máximo permitido.")
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        if written == 0:
            raise DocumentError(f"«{source.name}» está vacío.")
        stored = f"{name}.{_KINDS[kind][0]}"
        os.replace(temp, folder / stored)
    except DocumentError:
        temp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise DocumentError(f"No se pudo copiar «{source.name}» a la carpeta de documentos: "
                            f"{exc.strerror or exc}.") from exc
    return f"{DOCS_FOLDER}/{stored}", digest.hexdigest(), written


def attach_document(session: Session, authorisation_id: int, source: str | Path, user: str,
                    max_bytes: int = MAX_BYTES) -> DocumentData:
    """Copy a scanned PDF/JPG/PNG into the data folder and attach it to an authorisation."""
    auth = session.get(Authorisation, authorisation_id)
    if auth is None or auth.deleted_at is not None:
        raise DocumentError("La autorización ya no existe en la base de datos.")
    users.require_for_establishments(session, user, users.EDIT, [auth.establishment_id])
    source = Path(source)
    relative, sha, size = _store_copy(source, max_bytes)  # the file first: a failed transaction leaves an orphan
    obj = AuthorisationDocument(authorisation_id=auth.id, original_name=source.name[:255], stored_name=relative,
                                sha256=sha, size_bytes=size, added_at=utcnow(), changed_by=user)
    session.add(obj)
    session.flush()
    audit.record(session, user, "adjuntar", "documento_autorizacion", obj.uuid, None,
                 {"autorizacion": auth.uuid, "original_name": obj.original_name, "stored_name": relative,
                  "sha256": sha, "size_bytes": size})
    return _to_data(obj)


def _relative_parts(stored_name: str) -> tuple[str, str]:
    parts = PurePosixPath(stored_name.replace("\\", "/")).parts
    if len(parts) != 2 or parts[0] != DOCS_FOLDER or parts[1] in ("", ".", "..") or parts[1].startswith(TEMP_PREFIX):
        raise DocumentError(f"La ruta registrada del documento («{stored_name}») no es válida.")
    return parts[0], parts[1]


def document_path(doc: DocumentData | AuthorisationDocument) -> Path:
    """Where the document's file is, resolved against the current data folder."""
    folder, name = _relative_parts(doc.stored_name)
    return data_dir() / folder / name


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_document(doc: DocumentData | AuthorisationDocument) -> Verification:
    """Whether the document's file is there and unchanged since it was attached."""
    try:
        path = document_path(doc)
    except DocumentError as exc:
        return Verification(TAMPERED, str(exc))
    if not path.is_file():
        return Verification(MISSING, f"No se encuentra el archivo del documento «{doc.original_name}» en la carpeta "
                                     f"de datos ({path}).")
    try:
        size = path.stat().st_size
        sha = file_sha256(path)
    except OSError as exc:
        return Verification(MISSING, f"No se puede leer el archivo del documento «{doc.original_name}»: "
                                     f"{exc.strerror or exc}.")
    if size != doc.size_bytes or sha != doc.sha256:
        return Verification(TAMPERED, f"El archivo del documento «{doc.original_name}» fue modificado o está dañado: "
                                      "su huella digital (SHA-256) no coincide con la registrada al adjuntarlo.")
    return Verification(OK, f"El documento «{doc.original_name}» está íntegro.")


def get_document(session: Session, document_id: int) -> DocumentData:
    obj = session.get(AuthorisationDocument, document_id)
    if obj is None:
        raise DocumentError("El documento ya no existe en la base de datos.")
    return _to_data(obj)


def list_documents(session: Session, authorisation_id: int, include_removed: bool = False) -> list[DocumentData]:
    """The documents of an authorisation, oldest first."""
    query = select(AuthorisationDocument).where(AuthorisationDocument.authorisation_id == authorisation_id)
    if not include_removed:
        query = query.where(AuthorisationDocument.deleted_at.is_(None))
    return [_to_data(o) for o in session.scalars(query.order_by(AuthorisationDocument.id))]


def remove_document(session: Session, document_id: int, user: str, version: int | None = None) -> DocumentData:
    """Retire a document (soft): it leaves the list, its file and row stay for the history."""
    obj = session.get(AuthorisationDocument, document_id)
    if obj is not None:
        users.require_for_establishments(session, user, users.RETIRE, [obj.authorisation.establishment_id])
    if obj is None or obj.deleted_at is not None:
        raise DocumentError("El documento ya no existe o ya se quitó.")
    if version is not None and obj.version != version:
        raise DocumentError(f"El documento fue modificado por {obj.changed_by} después de abrirlo. Vuelva a abrirlo.")
    obj.deleted_at = utcnow()
    obj.changed_by = user
    session.flush()
    audit.record(session, user, "quitar", "documento_autorizacion", obj.uuid, {"original_name": obj.original_name,
                                                                               "stored_name": obj.stored_name}, None)
    return _to_data(obj)


def cleanup_orphans(session: Session, min_age_seconds: float = ORPHAN_MIN_AGE_SECONDS) -> list[Path]:
    """Delete files of the documents folder that no row names (removed documents keep theirs), and leftover
    temporary copies, older than ``min_age_seconds``. Returns what was deleted."""
    folder = documents_dir()
    if not folder.is_dir():
        return []
    known = {PurePosixPath(name.replace("\\", "/")).name
             for name in session.scalars(select(AuthorisationDocument.stored_name))}
    limit = time.time() - min_age_seconds
    removed = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name in known:
            continue
        try:
            if path.stat().st_mtime > limit:
                continue
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed
