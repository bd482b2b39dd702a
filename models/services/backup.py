"""Backups, restore and integrity checks of the SQLite database file. No Qt; plain results, Spanish messages.

- :func:`backup_to` writes a consistent copy with the SQLite online backup API (safe while the app is open,
  WAL contents included), first to a temporary file beside the destination, then renamed into place, so a
  half-written backup never carries the final name. The copy is a single self-contained file (rollback
  journal mode), readable on any machine.
- :func:`backup_to_folder` writes ``respaldo-AAAAMMDD-HHMMSS.sqlite3`` into a folder (e.g. a USB drive) and
  applies the rotation policy; :func:`backups_to_keep` is the pure decision (7 daily, 4 weekly, 12 monthly).
- :func:`verify_backup` opens a file read-only: ``PRAGMA integrity_check`` must say ``ok`` and the file must
  carry the app's schema version.
- :func:`restore` verifies first, keeps a copy of the current file, then replaces it atomically.
- :func:`check` runs the integrity check, the foreign-key check and the audit-chain verification.
- Attached documents travel with the backups: their files are immutable and uniquely named, so a backup copies
  into ``<carpeta del respaldo>/documentos/`` only the files not already there (each checked against the
  SHA-256 recorded in the backed-up database), rotation removes the files no kept backup references, and a
  restore puts back every referenced file that is missing or altered in the data folder.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

BACKUP_PREFIX = "respaldo-"
BACKUP_SUFFIX = ".sqlite3"
STAMP_FORMAT = "%Y%m%d-%H%M%S"
_BACKUP_NAME = re.compile(r"^respaldo-(\d{8}-\d{6})(?:-\d+)?\.sqlite3$")
SIDECARS = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore could not be done (message in Spanish, ready to show)."""


@dataclass(frozen=True)
class RetentionPolicy:
    """How many backups to keep: the newest of each of the last N days, ISO weeks and months that have one."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12


DEFAULT_POLICY = RetentionPolicy()


@dataclass
class VerifyResult:
    """Whether a file is a sound database of this app."""

    path: Path
    problems: list[str] = field(default_factory=list)
    schema_version: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class DocumentsResult:
    """Attached documents copied alongside a backup (or back on restore)."""

    copied: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)  # missing or altered files, in Spanish

    def summary(self) -> str:
        text = f"documentos adjuntos: {self.copied} copiados, {self.already} ya presentes"
        return text + (f", {len(self.problems)} con problemas" if self.problems else "")


@dataclass
class FolderBackupResult:
    """A backup written into a rotated folder, and the older backups the rotation removed."""

    path: Path
    removed: list[Path]
    documents: DocumentsResult = field(default_factory=DocumentsResult)


@dataclass
class RestoreResult:
    """What a restore did: the restored file and the copy kept of the file it replaced (None if there was none)."""

    target: Path
    previous_copy: Path | None
    documents: DocumentsResult = field(default_factory=DocumentsResult)


@dataclass
class CheckResult:
    """Outcome of :func:`check`; every list is empty when the database is sound."""

    integrity: list[str] = field(default_factory=list)
    foreign_keys: list[tuple[str, int | None, str]] = field(default_factory=list)  # (table, rowid, parent table)
    audit_bad_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # checks that could not run at all

    @property
    def ok(self) -> bool:
        return not (self.integrity or self.foreign_keys or self.audit_bad_ids or self.errors)

    def messages(self) -> list[str]:
        """One Spanish line per problem found."""
        lines = list(self.errors)
        lines += [f"Integridad del archivo: {m}" for m in self.integrity]
        lines += [f"Referencia rota: la fila {rowid} de la tabla «{table}» apunta a un registro de «{parent}» que no existe."
                  for table, rowid, parent in self.foreign_keys]
        lines += [f"Bitácora de auditoría: la entrada n.º {i} fue alterada, insertada o le falta la anterior "
                  "(su hash no coincide con la cadena)." for i in self.audit_bad_ids]
        return lines


def _stamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime(STAMP_FORMAT)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows; NTFS journals the rename
        return
    try:
        fd = os.open(str(folder), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _unique(path: Path) -> Path:
    """``path`` or, if taken, the same name with ``-2``, ``-3``… before the suffix."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def _connect_ro(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)


def backup_to(db: Path | str, out: Path | str) -> Path:
    """Consistent copy of ``db`` into ``out`` (online backup API), written to a temp file and renamed into place."""
    db, out = Path(db), Path(out)
    if not db.is_file():
        raise BackupError(f"No existe la base de datos «{db}».")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        src = _connect_ro(db)
        try:
            dst = sqlite3.connect(str(tmp))
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, whatever the source used
            finally:
                dst.close()
        finally:
            src.close()
        _fsync_file(tmp)
        os.replace(tmp, out)
        _fsync_dir(out.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"No se pudo respaldar la base de datos «{db}»: {exc}.") from exc
    except OSError as exc:
        raise BackupError(f"No se pudo escribir el respaldo «{out}»: {exc.strerror or exc}.") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return out


def backup_file_name(now: datetime | None = None) -> str:
    """Name of a rotated backup taken at ``now``: ``respaldo-AAAAMMDD-HHMMSS.sqlite3``."""
    return f"{BACKUP_PREFIX}{_stamp(now)}{BACKUP_SUFFIX}"


def backup_time(name: str) -> datetime | None:
    """When a rotated backup was taken, from its file name; None for any other file."""
    match = _BACKUP_NAME.match(name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), STAMP_FORMAT)
    except ValueError:
        return None


def _newest_per_period(times: list[datetime], period, count: int) -> set[datetime]:
    keep: list[datetime] = []
    seen: set = set()
    for t in sorted(times, reverse=True):
        if len(seen) >= count:
            break
        key = period(t)
        if key not in seen:
            seen.add(key)
            keep.append(t)
    return set(keep)


def backups_to_keep(times: Iterable[datetime], policy: RetentionPolicy = DEFAULT_POLICY) -> set[datetime]:
    """Which backup times to keep: the newest of each of the last ``daily`` days, ``weekly`` ISO weeks and
    ``monthly`` months that have a backup (the three rules are applied independently and united), plus the
    newest backup overall. Pure: no clock, no files."""
    times = list(times)
    if not times:
        return set()
    keep = {max(times)}
    keep |= _newest_per_period(times, lambda t: t.date(), policy.daily)
    keep |= _newest_per_period(times, lambda t: t.isocalendar()[:2], policy.weekly)
    keep |= _newest_per_period(times, lambda t: (t.year, t.month), policy.monthly)
    return keep


def rotated_backups(folder: Path | str) -> dict[Path, datetime]:
    """The rotated backups in a folder (other files are ignored, and never deleted)."""
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    found = {}
    for path in folder.iterdir():
        when = backup_time(path.name)
        if when is not None and path.is_file():
            found[path] = when
    return found


def rotate(folder: Path | str, policy: RetentionPolicy = DEFAULT_POLICY) -> list[Path]:
    """Delete the rotated backups the policy does not keep; returns the deleted paths."""
    found = rotated_backups(folder)
    keep = backups_to_keep(found.values(), policy)
    removed = []
    for path, when in sorted(found.items(), key=lambda item: item[1]):
        if when not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def backup_to_folder(db: Path | str, folder: Path | str, *, policy: RetentionPolicy = DEFAULT_POLICY,
                     now: datetime | None = None, documents_from: Path | None = None) -> FolderBackupResult:
    """Write a timestamped backup into ``folder``, verify it, copy its documents, then apply the rotation policy."""
    folder = Path(folder)
    out = backup_to(db, _unique(folder / backup_file_name(now)))
    result = verify_backup(out)
    if not result.ok:
        out.unlink(missing_ok=True)
        raise BackupError("El respaldo recién escrito no pasó la verificación: " + " ".join(result.problems))
    documents = backup_documents(out, documents_from)
    removed = rotate(folder, policy)
    prune_documents(folder)
    return FolderBackupResult(out, removed, documents)


# ------------------------------------------------------------------------------------------------ documents

def _referenced_documents(db: Path) -> list[tuple[str, str]]:
    """(stored_name, sha256) of every document row of a database file (removed ones too: history shows them)."""
    try:
        conn = _connect_ro(db)
        try:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='authorisation_documents'"
                                ).fetchone():
                return []
            return [(r[0], r[1]) for r in conn.execute("SELECT stored_name, sha256 FROM authorisation_documents")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise BackupError(f"No se pudo leer la lista de documentos de «{db.name}»: {exc}.") from exc


def _safe_relative(stored_name: str) -> Path | None:
    """``documentos/<name>`` as a relative Path, or None when the recorded name could escape the folder."""
    from models.services.documents import DocumentError, _relative_parts

    try:
        folder, name = _relative_parts(stored_name)
    except DocumentError:
        return None
    return Path(folder) / name


def _copy_checked(source: Path, dest: Path, sha: str) -> None:
    """Copy ``source`` to ``dest`` through a temp file; raises BackupError when the copy does not match ``sha``."""
    from models.services.documents import file_sha256

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, tmp)
        if file_sha256(tmp) != sha:
            raise BackupError(f"«{source.name}» no coincide con su huella registrada (archivo alterado).")
        _fsync_file(tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _sync_documents(db: Path, source_root: Path, dest_root: Path, *, check_existing: bool) -> DocumentsResult:
    from models.services.documents import file_sha256

    result = DocumentsResult()
    for stored_name, sha in _referenced_documents(db):
        relative = _safe_relative(stored_name)
        if relative is None:
            result.problems.append(f"Ruta de documento no válida: «{stored_name}».")
            continue
        dest = dest_root / relative
        if dest.is_file() and (not check_existing or file_sha256(dest) == sha):
            result.already += 1
            continue
        source = source_root / relative
        if not source.is_file():
            result.problems.append(f"Falta el documento «{relative.name}».")
            continue
        try:
            _copy_checked(source, dest, sha)
        except (BackupError, OSError) as exc:
            result.problems.append(str(exc) if isinstance(exc, BackupError) else
                                   f"No se pudo copiar «{relative.name}»: {exc.strerror or exc}.")
            continue
        result.copied += 1
    return result


def backup_documents(backup: Path | str, documents_from: Path | None = None) -> DocumentsResult:
    """Copy the documents the backup references into ``<backup folder>/documentos/`` (only those not there yet).

    ``documents_from`` is the data folder holding ``documentos/`` (default: the current data folder).
    """
    from models.paths import data_dir

    backup = Path(backup)
    return _sync_documents(backup, Path(documents_from) if documents_from else data_dir(), backup.parent,
                           check_existing=False)


def restore_documents(backup: Path | str, documents_to: Path | None = None) -> DocumentsResult:
    """Put back into the data folder every document the backup references that is missing or altered there."""
    from models.paths import data_dir

    backup = Path(backup)
    return _sync_documents(backup, backup.parent, Path(documents_to) if documents_to else data_dir(),
                           check_existing=True)


def prune_documents(folder: Path | str) -> list[Path]:
    """Remove from ``<folder>/documentos/`` the files no remaining rotated backup references."""
    folder = Path(folder)
    docs = folder / "documentos"
    if not docs.is_dir():
        return []
    keep: set[str] = set()
    for backup in rotated_backups(folder):
        try:
            keep |= {Path(name.replace("\\", "/")).name for name, _sha in _referenced_documents(backup)}
        except BackupError:
            return []  # an unreadable backup: keep everything rather than lose its documents
    removed = []
    for path in docs.iterdir():
        if path.is_file() and path.name not in keep:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def quick_check(db: Path | str) -> list[str]:
    """Start-up check (``PRAGMA quick_check``, fast): an empty list when the file is sound, else Spanish lines.

    A missing file is sound (it is about to be created); a file that SQLite cannot read is not.
    """
    db = Path(db)
    if not db.exists():
        return []
    try:
        conn = sqlite3.connect(str(db), timeout=10)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return [f"El archivo no se puede leer como base de datos ({exc})."]
    return [] if rows == ["ok"] else rows[:10]


def newest_backup_time(folder: Path | str) -> datetime | None:
    """When the newest rotated backup of ``folder`` was taken (from its name), or None."""
    times = rotated_backups(folder).values()
    return max(times) if times else None


def latest_good_backup(folder: Path | str) -> Path | None:
    """The newest rotated backup in ``folder`` that passes :func:`verify_backup`, or None."""
    for path, _when in sorted(rotated_backups(folder).items(), key=lambda item: item[1], reverse=True):
        if verify_backup(path).ok:
            return path
    return None


def verify_backup(path: Path | str) -> VerifyResult:
    """Open ``path`` read-only: integrity_check must be ``ok`` and ``app_meta`` must hold a schema version."""
    from models.schema import SCHEMA_META_KEY, SCHEMA_VERSION

    path = Path(path)
    result = VerifyResult(path)
    if not path.is_file():
        result.problems.append(f"No existe el archivo «{path}».")
        return result
    if path.stat().st_size == 0:
        result.problems.append(f"El archivo «{path.name}» está vacío.")
        return result
    try:
        conn = _connect_ro(path)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if rows != ["ok"]:
                result.problems.append(f"El archivo «{path.name}» está dañado: " + "; ".join(map(str, rows[:5])) + ".")
                return result
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='app_meta'").fetchone()
            value = None
            if has_meta:
                value = conn.execute("SELECT value FROM app_meta WHERE key = ?", (SCHEMA_META_KEY,)).fetchone()
            if not value:
                result.problems.append(f"«{path.name}» no es una base de datos de Coordinación Estatal (no tiene versión de esquema).")
                return result
            result.schema_version = int(value[0])
            if result.schema_version > SCHEMA_VERSION:
                result.problems.append(
                    f"«{path.name}» es de una versión más nueva de la aplicación (esquema {result.schema_version}).")
        finally:
            conn.close()
    except (sqlite3.Error, ValueError) as exc:
        result.problems.append(f"El archivo «{path.name}» no es una base de datos válida o está dañado ({exc}).")
    return result


def restore_copy_path(target: Path, now: datetime | None = None) -> Path:
    """Where the current file is kept before a restore: ``<nombre>.antes-de-restaurar-<fecha>.sqlite3``."""
    return _unique(target.with_name(f"{target.stem}.antes-de-restaurar-{_stamp(now)}{BACKUP_SUFFIX}"))


def _keep_current(target: Path, now: datetime | None) -> Path:
    """Copy the current database aside; a raw copy (with its WAL) if it is too damaged for the backup API."""
    copy = restore_copy_path(target, now)
    try:
        backup_to(target, copy)
    except BackupError:
        shutil.copy2(target, copy)
        for suffix in ("-wal", "-journal"):
            side = Path(str(target) + suffix)
            if side.exists():
                shutil.copy2(side, Path(str(copy) + suffix))
    return copy


def _fold_journal(target: Path) -> None:
    """Checkpoint the WAL into the main file and leave rollback mode, so no sidecar holds data; best effort."""
    try:
        conn = sqlite3.connect(str(target), timeout=10)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    except sqlite3.Error:
        pass  # a damaged file: the raw copy already holds its WAL


def restore(backup: Path | str, target: Path | str, *, now: datetime | None = None,
            documents_to: Path | None = None) -> RestoreResult:
    """Replace ``target`` by ``backup`` after verifying it; the current file is copied aside first.

    The caller closes every connection to ``target`` first (``engine.dispose()``). Steps: verify the backup;
    copy the current file to ``<nombre>.antes-de-restaurar-<fecha>.sqlite3``; write the backup to a temp file
    beside the target and verify it; fold and remove the target's ``-wal``/``-shm``/``-journal`` (a stale WAL
    or hot journal would otherwise be replayed onto the restored file); rename the temp file over the target.
    """
    backup, target = Path(backup), Path(target)
    checked = verify_backup(backup)
    if not checked.ok:
        raise BackupError("No se restauró: el respaldo no es válido. " + " ".join(checked.problems)
                          + " La base de datos actual no se modificó.")
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = _keep_current(target, now) if target.exists() else None
    tmp = target.with_name(f".{target.name}.restaurando.{os.getpid()}.tmp")
    try:
        backup_to(backup, tmp)
        again = verify_backup(tmp)
        if not again.ok:
            raise BackupError("No se restauró: la copia del respaldo no pasó la verificación. " + " ".join(again.problems))
        if target.exists():
            _fold_journal(target)
        for suffix in SIDECARS:
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise BackupError(f"No se pudo restaurar sobre «{target}»: {exc.strerror or exc}. "
                          f"La copia del archivo anterior está en «{previous}».") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return RestoreResult(target, previous, restore_documents(backup, documents_to))


def check(db: Path | str) -> CheckResult:
    """Integrity check, foreign-key check and audit-chain verification of a database file; changes nothing."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from models.services.audit import verify_chain

    db = Path(db)
    result = CheckResult()
    if not db.is_file():
        result.errors.append(f"No existe la base de datos «{db}».")
        return result
    try:
        conn = sqlite3.connect(str(db), timeout=10)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
            if rows != ["ok"]:
                result.integrity = rows
            result.foreign_keys = [(r[0], r[1], r[2]) for r in conn.execute("PRAGMA foreign_key_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        result.errors.append(f"El archivo «{db.name}» no se pudo revisar: está dañado o no es una base de datos ({exc}).")
        return result
    engine = create_engine("sqlite+pysqlite://", creator=lambda: sqlite3.connect(str(db), timeout=10))
    try:
        with Session(engine) as session:
            result.audit_bad_ids = verify_chain(session)
    except Exception as exc:  # noqa: BLE001 - a missing table or unreadable row is itself the finding
        result.errors.append(f"No se pudo verificar la bitácora de auditoría: {exc}")
    finally:
        engine.dispose()
    return result


__all__ = [
    "BackupError", "RetentionPolicy", "DEFAULT_POLICY", "VerifyResult", "FolderBackupResult", "RestoreResult",
    "CheckResult", "DocumentsResult", "backup_to", "backup_documents", "restore_documents", "prune_documents", "backup_to_folder", "backup_file_name", "backup_time", "backups_to_keep",
    "rotated_backups", "rotate", "verify_backup", "quick_check", "newest_backup_time", "latest_good_backup", "restore", "restore_copy_path", "check",
]
