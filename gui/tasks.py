"""One task runner for everything slow: work runs off the UI thread, results and errors come back as calls
on the UI thread. Writes run one at a time on their own single-thread pool (SQLite has one writer).
A busy dialog appears only if a labelled task takes longer than ``PROGRESS_DELAY_MS``.

Long jobs that report progress and can be cancelled use ``run_progress``: the job receives a
:class:`~models.importing.plan.Progress` whose reports arrive on the UI thread as ``on_progress(done, total,
stage)``; the caller keeps the returned ``Progress`` to ``cancel()`` it.

Tests construct it with ``synchronous=True``: the work runs inline, deterministic, same callbacks.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from models.importing.plan import ImportCancelled, Progress

log = logging.getLogger(__name__)
PROGRESS_DELAY_MS = 500


def _expected(exc: BaseException) -> bool:
    """Refusals the domain raises on purpose (bad input, stale record, unreadable file, no permission, a refused
    exchange package or conflict decision)."""
    from models.exchange.conflicts import ConflictError
    from models.exchange.package import PackageError
    from models.importing.reader import ReadError
    from models.services.backup import BackupError
    from models.services.establishments import ConcurrencyError, NotFoundError
    from models.services.users import AuthError
    from models.validation import ValidationError
    from reports.catalog import ReportError

    return isinstance(exc, (ValidationError, ConcurrencyError, NotFoundError, ReadError, PermissionError, BackupError,
                            ReportError, AuthError, PackageError, ConflictError))


class TaskFailure:
    """An exception raised by a task, with its formatted traceback (plain data, crosses threads)."""

    def __init__(self, exc: BaseException):
        self.exception = exc
        self.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))

    @property
    def cancelled(self) -> bool:
        """The task stopped because the user cancelled it (nothing was saved)."""
        return isinstance(self.exception, ImportCancelled)


class _Relay(QObject):
    finished = Signal(object, bool)  # result or TaskFailure, ok


class _ProgressRelay(QObject):
    progressed = Signal(int, int, str)  # done, total, stage


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay):
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the UI as a failure
            self._relay.finished.emit(TaskFailure(exc), False)
        else:
            self._relay.finished.emit(result, True)


class TaskRunner(QObject):
    """Runs callables in the background and calls back on the UI thread."""

    busy_changed = Signal(bool)

    def __init__(self, synchronous: bool = False, parent: QObject | None = None):
        super().__init__(parent)
        self.synchronous = synchronous
        self._reads = QThreadPool(self)
        self._reads.setMaxThreadCount(2)
        self._writes = QThreadPool(self)
        self._writes.setMaxThreadCount(1)
        self._pending: set[_Relay] = set()

    def run(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskFailure], None] | None = None,
        *,
        write: bool = False,
        label: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Run ``fn`` off the UI thread; then ``on_done(result)`` or ``on_error(failure)`` on the UI thread."""
        if self.synchronous:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001
                self._deliver(TaskFailure(exc), False, on_done, on_error)
            else:
                self._deliver(result, True, on_done, on_error)
            return
        relay = _Relay()
        self._pending.add(relay)
        dialog_timer = None
        if label:
            dialog_timer = QTimer(self)
            dialog_timer.setSingleShot(True)
            state: dict[str, QProgressDialog] = {}

            def show_dialog() -> None:
                dlg = QProgressDialog(label, "", 0, 0, parent)
                dlg.setCancelButton(None)
                dlg.setWindowModality(Qt.WindowModality.WindowModal)
                dlg.setMinimumDuration(0)
                dlg.show()
                state["dlg"] = dlg

            dialog_timer.timeout.connect(show_dialog)
            dialog_timer.start(PROGRESS_DELAY_MS)

        def finished(payload: Any, ok: bool) -> None:
            self._pending.discard(relay)
            if dialog_timer is not None:
                dialog_timer.stop()
                dlg = state.get("dlg")
                if dlg is not None:
                    dlg.close()
                    dlg.deleteLater()
            if not self._pending:
                self.busy_changed.emit(False)
            self._deliver(payload, ok, on_done, on_error)

        relay.finished.connect(finished, Qt.ConnectionType.QueuedConnection)
        if len(self._pending) == 1:
            self.busy_changed.emit(True)
        (self._writes if write else self._reads).start(_Job(fn, relay))

    def run_progress(
        self,
        fn: Callable[[Progress], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[TaskFailure], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        *,
        write: bool = False,
    ) -> Progress:
        """Run ``fn(progress)`` off the UI thread, with its reports delivered to ``on_progress`` on the UI thread.

        Returns the ``Progress``: ``cancel()`` makes the job's next report raise ``ImportCancelled``, which
        arrives at ``on_error`` as a failure whose ``cancelled`` is true. The caller shows its own progress,
        so no busy dialog is used.
        """
        if self.synchronous:
            progress = Progress(on_progress)
            self.run(lambda: fn(progress), on_done, on_error, write=write)
            return progress
        relay = _ProgressRelay()
        if on_progress is not None:
            relay.progressed.connect(on_progress, Qt.ConnectionType.QueuedConnection)
        # Emitted in the worker, delivered on the UI thread. The lambda keeps the relay alive while the job
        # runs, and ``done``/``failed`` keep it until the result (queued after every report) has arrived.
        progress = Progress(lambda done, total, stage: relay.progressed.emit(done, total, stage))
        keep = {"relay": relay}

        def done(result: Any) -> None:
            keep.clear()
            if on_done is not None:
                on_done(result)

        def failed(failure: TaskFailure) -> None:
            keep.clear()
            self._dispatch_failure(failure, on_error)  # run() has already logged it

        self.run(lambda: fn(progress), done, failed, write=write)
        return progress

    def _deliver(self, payload, ok, on_done, on_error) -> None:
        if ok:
            if on_done is not None:
                on_done(payload)
        else:
            self._fail(payload, on_error)

    def _fail(self, payload: TaskFailure, on_error) -> None:
        if payload.cancelled:
            log.info("Task cancelled by the user")
        elif _expected(payload.exception):
            log.info("Task refused: %s", payload.exception)  # a Spanish message for the user, not a bug
        else:
            log.error("Task failed:\n%s", payload.traceback)
        self._dispatch_failure(payload, on_error)

    @staticmethod
    def _dispatch_failure(payload: TaskFailure, on_error) -> None:
        if on_error is not None:
            on_error(payload)
        elif not payload.cancelled:
            from gui.dialogs.error_dialog import show_failure

            show_failure(None, payload)

    @property
    def idle(self) -> bool:
        return not self._pending

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until background jobs finish (shutdown and tests)."""
        return self._reads.waitForDone(msecs) and self._writes.waitForDone(msecs)
