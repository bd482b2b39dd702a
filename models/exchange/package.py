"""The ``.cepkg`` container: a zip with ``manifest.json``, one JSON Lines file per table and the documents.

Reading verifies everything before anything is applied: the zip's structure and CRCs, the manifest,
and the SHA-256, size and record count of every listed file. Each way a file can be unusable has its
own Spanish message and code (:class:`PackageError`).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import uuid as uuid_mod
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from models.base import utcnow
from models.services.documents import file_sha256

FORMAT_NAME = "cepkg"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TABLES_DIR = "tables/"
DOCS_DIR = "documents/"
ACK_FILE = "ack.json"
KIND_PACKAGE = "paquete"
KIND_ACK = "acuse"
GENERATOR = "Coordinación Estatal IMSS-BIENESTAR"
NATIONAL = "NACIONAL"
_CHUNK = 1024 * 1024

# error codes (stable, for tests and the GUI)
E_MISSING = "no_existe"
E_NOT_PACKAGE = "no_es_paquete"
E_TRUNCATED = "truncado"
E_CORRUPT = "alterado"
E_FORMAT = "formato"
E_KIND = "tipo"
E_SCHEMA = "esquema"
E_WRONG_STATE = "entidad"
E_ORIGIN = "origen"
E_SAME_OFFICE = "misma_oficina"
E_NO_OFFICE = "sin_oficina"
E_APPLY = "no_aplicable"


class PackageError(Exception):
    """A package or acknowledgement was refused whole; ``str()`` is the Spanish message, ``code`` the reason."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class FileEntry:
    """One file listed in the manifest."""

    path: str
    sha256: str
    bytes: int
    table: str | None = None
    records: int | None = None


@dataclass
class PackageInfo:
    """What a package or acknowledgement says about itself (read from a verified manifest)."""

    path: Path
    kind: str
    package_id: str
    format_version: int
    schema_version: int
    created_at: datetime
    source_office: str
    source_office_id: str
    source_label: str
    target_office: str
    sequence: int | None
    base_ack: int
    tables: dict[str, int] = field(default_factory=dict)  # table → record count
    documents: int = 0
    size_bytes: int = 0
    file_sha256: str = ""

    @property
    def total_records(self) -> int:
        return sum(self.tables.values())

    @property
    def from_national(self) -> bool:
        return self.source_office == NATIONAL


def office_text(code: str) -> str:
    """«la oficina nacional» or «la entidad 02» (callers with a session use the state's name instead)."""
    return "la oficina nacional" if code == NATIONAL else f"la entidad {code}"


# ------------------------------------------------------------------------------------------------ writing

def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_manifest(kind: str, *, schema_version: int, source_office: str, source_office_id: str, source_label: str,
                 target_office: str, sequence: int | None = None, base_ack: int = 0) -> dict:
    """The manifest's header; ``write_container`` adds the ``files`` list."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "package_id": str(uuid_mod.uuid4()),
        "created_at": utcnow().isoformat(),
        "generator": GENERATOR,
        "schema_version": schema_version,
        "source": {"office": source_office, "office_id": source_office_id, "label": source_label},
        "target": {"office": target_office},
        "sequence": sequence,
        "base_ack": base_ack,
    }


@dataclass
class PendingFile:
    """A file to put in a container: bytes in memory, or a file on disk (documents)."""

    path: str
    data: bytes | None = None
    source: Path | None = None
    table: str | None = None
    records: int | None = None
    sha256: str | None = None  # known in advance for documents


def write_container(out_path: Path, manifest: dict, files: list[PendingFile]) -> tuple[Path, str, int]:
    """Write the zip next to ``out_path`` under a temporary name, flush it to disk, then rename it.

    Returns (path, SHA-256 of the whole file, size). Table files are deflated; documents (already
    compressed PDF/JPG/PNG) are stored.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    entries = []
    fd, temp_name = tempfile.mkstemp(prefix=".tmp-", suffix=".cepkg", dir=out_path.parent)
    os.close(fd)
    temp = Path(temp_name)
    try:
        with zipfile.ZipFile(temp, "w") as zf:
            for item in files:
                if item.data is not None:
                    zf.writestr(item.path, item.data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
                    digest, size = sha256_bytes(item.data), len(item.data)
                else:
                    zf.write(item.source, item.path, compress_type=zipfile.ZIP_STORED)
                    digest, size = item.sha256 or file_sha256(item.source), item.source.stat().st_size
                entry = {"path": item.path, "sha256": digest, "bytes": size}
                if item.table is not None:
                    entry["table"] = item.table
                    entry["records"] = item.records
                entries.append(entry)
            manifest = dict(manifest, files=entries)
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1),
                        compress_type=zipfile.ZIP_DEFLATED)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, out_path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return out_path, file_sha256(out_path), out_path.stat().st_size


# ------------------------------------------------------------------------------------------------ reading

_CORRUPT_TEXT = ("El paquete está dañado o fue alterado: {detail}. Pida que se lo envíen de nuevo. "
                 "No se aplicó nada.")


def _corrupt(detail: str) -> PackageError:
    return PackageError(E_CORRUPT, _CORRUPT_TEXT.format(detail=detail))


@dataclass
class LoadedPackage:
    """A verified container: its manifest, the table files' bytes, and the documents' entries."""

    info: PackageInfo
    manifest: dict
    tables: dict[str, bytes]  # table name → JSON Lines
    documents: dict[str, FileEntry]  # file name (without folder) → entry
    other: dict[str, bytes]  # e.g. ack.json

    def open_document(self, name: str):
        """A binary stream of a document inside the zip (the caller closes it)."""
        zf = zipfile.ZipFile(self.info.path)
        handle = zf.open(DOCS_DIR + name)
        original_close = handle.close

        def close():
            original_close()
            zf.close()

        handle.close = close  # type: ignore[method-assign]
        return handle


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError:
        raise _corrupt(f"falta el archivo «{name}» que el manifiesto declara") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _corrupt(f"el archivo «{name}» no coincide con su suma de verificación ({exc})") from None


def _stream_sha(zf: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    try:
        with zf.open(name) as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
    except KeyError:
        raise _corrupt(f"falta el archivo «{name}» que el manifiesto declara") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise _corrupt(f"el archivo «{name}» no coincide con su suma de verificación ({exc})") from None
    return digest.hexdigest(), size


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not path.is_file():
        raise PackageError(E_MISSING, f"No se encuentra el archivo «{path}».")
    with open(path, "rb") as handle:
        head = handle.read(4)
        handle.seek(max(0, path.stat().st_size - 66_000))
        tail = handle.read()
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        if head == b"PK\x03\x04" and b"PK\x05\x06" in tail:  # the end record is there: damaged, not cut
            raise _corrupt(f"su índice interno no se puede leer ({exc})") from exc
        if head == b"PK\x03\x04":
            raise PackageError(E_TRUNCATED, f"El paquete «{path.name}» está incompleto: el archivo se cortó al "
                                            "copiarlo o descargarlo (falta su final). Pida que se lo envíen de "
                                            "nuevo. No se aplicó nada.") from exc
        raise PackageError(E_NOT_PACKAGE, f"«{path.name}» no es un paquete de intercambio de Coordinación Estatal "
                                          "(.cepkg). No se aplicó nada.") from exc
    return zf


def _header(manifest: dict, path: Path) -> PackageInfo:
    try:
        source = manifest["source"]
        created = datetime.fromisoformat(manifest["created_at"])
        info = PackageInfo(
            path=path,
            kind=str(manifest["kind"]),
            package_id=str(manifest["package_id"]),
            format_version=int(manifest["format_version"]),
            schema_version=int(manifest["schema_version"]),
            created_at=created,
            source_office=str(source["office"]),
            source_office_id=str(source["office_id"]),
            source_label=str(source.get("label", "")),
            target_office=str(manifest["target"]["office"]),
            sequence=None if manifest.get("sequence") is None else int(manifest["sequence"]),
            base_ack=int(manifest.get("base_ack") or 0),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _corrupt(f"el manifiesto está incompleto ({exc})") from None
    return info


def load_package(path: str | Path, *, expect_kind: str | None = KIND_PACKAGE) -> LoadedPackage:
    """Open and verify a container completely (zip, manifest, every checksum). Raises PackageError."""
    path = Path(path)
    zf = _open_zip(path)
    with zf:
        names = set(zf.namelist())
        if MANIFEST not in names:
            raise PackageError(E_NOT_PACKAGE, f"«{path.name}» no es un paquete de intercambio de Coordinación "
                                              "Estatal (no contiene manifest.json). No se aplicó nada.")
        raw = _read_member(zf, MANIFEST)
        try:
            manifest = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _corrupt("el manifiesto no se puede leer") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
            raise PackageError(E_NOT_PACKAGE, f"«{path.name}» no es un paquete de intercambio de Coordinación "
                                              "Estatal. No se aplicó nada.")
        try:
            fmt = int(manifest.get("format_version"))
        except (TypeError, ValueError):
            raise _corrupt("el manifiesto no indica la versión del formato") from None
        if fmt > FORMAT_VERSION:
            raise PackageError(E_FORMAT, f"El paquete usa la versión {fmt} del formato de intercambio y esta "
                                         f"versión de la aplicación sólo conoce hasta la {FORMAT_VERSION}. "
                                         "Actualice la aplicación. No se aplicó nada.")
        info = _header(manifest, path)
        if expect_kind is not None and info.kind != expect_kind:
            if info.kind == KIND_ACK:
                raise PackageError(E_KIND, "El archivo es un acuse de recibo, no un paquete de datos; "
                                           "impórtelo como acuse. No se aplicó nada.")
            raise PackageError(E_KIND, "El archivo es un paquete de datos, no un acuse de recibo; "
                                       "impórtelo como paquete. No se aplicó nada.")
        files = manifest.get("files")
        if not isinstance(files, list):
            raise _corrupt("el manifiesto no lista sus archivos")
        tables: dict[str, bytes] = {}
        documents: dict[str, FileEntry] = {}
        other: dict[str, bytes] = {}
        declared = {MANIFEST}
        for item in files:
            try:
                entry = FileEntry(str(item["path"]), str(item["sha256"]), int(item["bytes"]),
                                  item.get("table"), None if item.get("records") is None else int(item["records"]))
            except (KeyError, TypeError, ValueError):
                raise _corrupt("el manifiesto tiene una entrada de archivo incompleta") from None
            if entry.path in declared or entry.path.startswith("/") or ".." in entry.path.split("/"):
                raise _corrupt(f"el manifiesto declara un archivo no válido («{entry.path}»)")
            declared.add(entry.path)
            if entry.path.startswith(DOCS_DIR):
                digest, size = _stream_sha(zf, entry.path)
                data = None
            else:
                data = _read_member(zf, entry.path)
                digest, size = sha256_bytes(data), len(data)
            if digest != entry.sha256 or size != entry.bytes:
                raise _corrupt(f"el archivo «{entry.path}» no coincide con su suma de verificación (SHA-256)")
            if entry.path.startswith(DOCS_DIR):
                documents[entry.path[len(DOCS_DIR):]] = entry
            elif entry.table is not None:
                lines = data.count(b"\n")
                if entry.records is not None and lines != entry.records:
                    raise _corrupt(f"«{entry.path}» tiene {lines} registros y el manifiesto declara {entry.records}")
                tables[entry.table] = data
                info.tables[entry.table] = lines
            else:
                other[entry.path] = data
        extra = names - declared
        if extra:
            raise _corrupt(f"contiene archivos que el manifiesto no declara ({', '.join(sorted(extra)[:3])})")
    info.documents = len(documents)
    info.size_bytes = path.stat().st_size
    info.file_sha256 = file_sha256(path)
    return LoadedPackage(info, manifest, tables, documents, other)


def inspect_package(path: str | Path) -> PackageInfo:
    """Verify a package file on its own (no database) and describe it. Raises PackageError."""
    return load_package(path, expect_kind=None).info


def parse_lines(table: str, data: bytes) -> list[dict]:
    """The records of one table file (JSON Lines, UTF-8)."""
    out = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _corrupt(f"la tabla «{table}» no está en UTF-8") from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:  # one parse of the whole file is much faster than one per line
        out = json.loads("[" + ",".join(lines) + "]")
    except json.JSONDecodeError:
        out = None
    if out is not None and len(out) == len(lines) and all(
            isinstance(r, dict) and isinstance(r.get("uuid"), str) and isinstance(r.get("data"), dict)
            and type(r.get("version")) is int for r in out):  # noqa: E721
        return out
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise _corrupt(f"la línea {number} de la tabla «{table}» no es JSON válido") from None
        if not isinstance(record, dict) or not isinstance(record.get("uuid"), str) \
                or not isinstance(record.get("data"), dict) or type(record.get("version")) is not int:
            raise _corrupt(f"la línea {number} de la tabla «{table}» no es un registro válido")
        out.append(record)
    return out
