"""Crash safety around the desktop session (issue 9): one window per database, the start-up integrity check
with the offer to restore the latest good backup, automatic backups (at close and once a day while open) and
the «Respaldar ahora» / «Restaurar…» / «Carpeta de respaldos…» actions.

The file work is in ``models.services.backup`` (no Qt); this module decides when, asks, and reports.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from gui import settings as S
from gui.context import AppContext
from gui.settings import Settings
from models.paths import data_dir
from models.services import backup

log = logging.getLogger(__name__)

DAILY = timedelta(days=1)
CHECK_EVERY_MS = 30 * 60 * 1000  # look every half hour whether a day has passed since the newest backup
LOCK_STALE_MS = 0  # a lock left by a crashed process is detected by PID/host, never by age


# ------------------------------------------------------------------------------------------------ one window

def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def acquire_instance_lock(db: Path) -> tuple[QLockFile | None, str]:
    """Lock ``<db>.lock`` for this window; (lock, "") or (None, the Spanish reason another copy holds it).

    Two windows on one database would each keep their own undo history and cached lists; rather than risk a
    confusing state, the second one refuses. Headless commands (backup, import, reports) still run beside an
    open window: SQLite's WAL, the busy timeout and the version counters keep their writes safe.
    A lock left behind by a crashed copy is recognised (its process no longer exists) and taken over.
    """
    lock = QLockFile(str(lock_path(db)))
    lock.setStaleLockTime(LOCK_STALE_MS)
    if lock.tryLock(200):
        return lock, ""
    info = lock.getLockInfo()  # PySide6 returns (pid, host, app); older bindings prepend the bool result
    pid, host = (info[-3], info[-2]) if isinstance(info, tuple) and len(info) >= 3 else (0, "")
    who = f" (proceso {pid} en el equipo «{host}»)" if pid else ""
    return None, (f"La base de datos «{db.name}» ya está abierta en otra ventana de Coordinación Estatal{who}.\n\n"
                  "Use esa ventana, o ciérrela y vuelva a abrir la aplicación. Abrir dos ventanas sobre la misma "
                  "base de datos no está permitido para que ningún cambio se pierda.")


# ------------------------------------------------------------------------------------------------ folder

def backup_folder(settings: Settings) -> Path:
    """The configured backup folder, or ``<data folder>/respaldos``."""
    chosen = settings.get(S.BACKUP_DIR)
    return Path(chosen) if chosen else data_dir() / "respaldos"


# ------------------------------------------------------------------------------------------------ start-up

OK, RESTORED, ABORT = "ok", "restored", "abort"


def recover_if_damaged(db: Path, folder: Path, ask: Callable[[str], bool],
                       tell: Callable[[str], None]) -> str:
    """Quick integrity check at start. Damaged: offer the newest good backup (``ask`` → restore), else stop.

    Returns OK (sound), RESTORED (the backup replaced the file; a copy of the damaged one is kept) or ABORT.
    """
    problems = backup.quick_check(db)
    if not problems:
        return OK
    log.error("Start-up integrity check failed for %s: %s", db, problems)
    found = "; ".join(problems[:3])
    good = backup.latest_good_backup(folder)
    if good is None:
        tell(f"La base de datos «{db}» está dañada y no se puede abrir con seguridad ({found}).\n\n"
             f"No hay respaldos válidos en «{folder}». Si tiene un respaldo en otra carpeta o en una memoria USB, "
             "restáurelo con «coordinacion --db … restore ARCHIVO --yes» o copie un respaldo a esa carpeta.")
        return ABORT
    when = backup.backup_time(good.name)
    stamp = when.strftime("%d/%m/%Y %H:%M") if when else good.name
    if not ask(f"La base de datos «{db.name}» está dañada ({found}).\n\n"
               f"¿Restaurar el respaldo más reciente en buen estado, del {stamp}?\n"
               "Antes se guarda una copia del archivo dañado junto a él. Los cambios posteriores a ese respaldo "
               "no estarán en la base restaurada."):
        return ABORT
    try:
        result = backup.restore(good, db)
    except backup.BackupError as exc:
        tell(str(exc))
        return ABORT
    log.warning("Restored %s from %s (damaged copy kept at %s)", db, good, result.previous_copy)
    tell(f"Se restauró el respaldo del {stamp}. La copia del archivo dañado quedó en «{result.previous_copy}»."
         + (f"\n\nAvisos de documentos: " + " ".join(result.documents.problems) if result.documents.problems else ""))
    return RESTORED


# ------------------------------------------------------------------------------------------------ automatic

class BackupController(QObject):
    """Automatic backups and the backup menu actions of one window."""

    finished = Signal(str)  # a status line after each backup (or its failure)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, check_every_ms: int = CHECK_EVERY_MS):
        super().__init__(parent)
        self.ctx = ctx
        self.window = parent
        self._running = False
        self.backup_action = QAction("&Respaldar ahora", self)
        self.backup_action.setShortcut("Ctrl+Shift+B")
        self.backup_action.triggered.connect(self.backup_now)
        self.restore_action = QAction("R&estaurar respaldo…", self)
        self.restore_action.triggered.connect(self.choose_restore)
        self.folder_action = QAction("&Carpeta de respaldos…", self)
        self.folder_action.triggered.connect(self.choose_folder)
        self.timer = QTimer(self)
        self.timer.setInterval(check_every_ms)
        self.timer.timeout.connect(self.backup_if_due)

    @property
    def folder(self) -> Path:
        return backup_folder(self.ctx.settings)

    @property
    def actions(self) -> list[QAction]:
        return [self.backup_action, self.restore_action, self.folder_action]

    def start(self) -> None:
        """Begin the daily schedule (and take the day's backup now if none was taken in the last 24 h)."""
        self.timer.start()
        QTimer.singleShot(0, self.backup_if_due)

    def is_due(self, now: datetime | None = None) -> bool:
        newest = backup.newest_backup_time(self.folder)
        return newest is None or (now or datetime.now()) - newest >= DAILY

    def backup_if_due(self) -> None:
        if not self._running and self.ctx.db_path is not None and self.is_due():
            self.backup_now()

    def backup_now(self) -> None:
        """A rotated backup (with documents) into the folder, off the UI thread."""
        if self._running or self.ctx.db_path is None:
            return
        self._running = True
        db, folder = self.ctx.db_path, self.folder
        self.ctx.tasks.run(lambda: backup.backup_to_folder(db, folder), self._done, self._failed,
                           label="Respaldando la base de datos…", parent=self.window)

    def _done(self, result: backup.FolderBackupResult) -> None:
        self._running = False
        text = f"Respaldo guardado en {result.path} ({result.documents.summary()})."
        if result.documents.problems:
            text += " Avisos: " + " ".join(result.documents.problems[:3])
        log.info(text)
        self.finished.emit(text)

    def _failed(self, failure) -> None:
        self._running = False
        text = f"No se pudo respaldar: {failure.exception}"
        log.error(text)
        self.finished.emit(text)
        QMessageBox.warning(self.window, "Respaldo", text + f"\n\nCarpeta de respaldos: {self.folder}")

    def backup_at_close(self) -> str:
        """The closing backup, synchronously (the window is already gone); returns the status line."""
        if self.ctx.db_path is None:
            return ""
        try:
            result = backup.backup_to_folder(self.ctx.db_path, self.folder)
        except backup.BackupError as exc:
            log.error("Closing backup failed: %s", exc)
            return f"No se pudo respaldar al cerrar: {exc}"
        log.info("Closing backup written to %s (%s)", result.path, result.documents.summary())
        return f"Respaldo guardado en {result.path}."

    # -- menu actions
    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self.window, "Carpeta de respaldos", str(self.folder))
        if chosen:
            self.ctx.settings.set(S.BACKUP_DIR, chosen)
            self.finished.emit(f"Los respaldos se guardarán en {chosen}.")

    def choose_restore(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Restaurar respaldo", str(self.folder),
                                              "Respaldos (*.sqlite3);;Todos los archivos (*)")
        if path:
            self.restore_from(Path(path))

    def restore_from(self, path: Path) -> bool:
        """Verify ``path``, confirm, replace the database (keeping a copy) and close the application."""
        checked = backup.verify_backup(path)
        if not checked.ok:
            QMessageBox.warning(self.window, "Restaurar respaldo",
                                "No se restauró: el respaldo no es válido.\n\n" + "\n".join(checked.problems)
                                + "\n\nLa base de datos actual no se modificó.")
            return False
        answer = QMessageBox.question(
            self.window, "Restaurar respaldo",
            f"¿Reemplazar la base de datos actual por el respaldo «{path.name}»?\n\n"
            "Antes se guarda una copia del archivo actual junto a él. Los cambios posteriores al respaldo no "
            "estarán en la base restaurada. La aplicación se cerrará al terminar; vuelva a abrirla.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        if not self.ctx.tasks.wait(30_000):
            QMessageBox.warning(self.window, "Restaurar respaldo", "Hay trabajo en curso; inténtelo en un momento.")
            return False
        self.timer.stop()
        self.ctx.session_factory.kw["bind"].dispose()  # no connection may stay open on the replaced file
        try:
            result = backup.restore(path, self.ctx.db_path)
        except backup.BackupError as exc:
            QMessageBox.critical(self.window, "Restaurar respaldo", str(exc))
            return False
        self.restored = result
        QMessageBox.information(
            self.window, "Restaurar respaldo",
            f"Base de datos restaurada desde «{path.name}».\nCopia del archivo anterior: {result.previous_copy}"
            + ("\n\nAvisos de documentos: " + " ".join(result.documents.problems) if result.documents.problems else "")
            + "\n\nLa aplicación se cerrará ahora.")
        self.skip_close_backup = True
        app = QApplication.instance()
        if app is not None:
            QTimer.singleShot(0, app.quit)
        return True

    skip_close_backup = False
