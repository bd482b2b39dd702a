"""One task runner for everything slow: work runs off the UI thread, results and errors come back as calls
on the UI thread. Writes run one at a time on their own single-thread pool (SQLite has one writer).
A busy dialog appears only if a labelled task takes longer than ``PROGRESS_DELAY_MS``.

Tests construct it with ``synchronous=True``: the work runs inline, deterministic, same callbacks.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

log = logging.getLogger(__name__)
PROGRESS_DELAY_MS = 500


class TaskFailure:
    """An exception raised by a task, with its formatted traceback (plain data, crosses threads)."""

    def __init__(self, exc: BaseException):
        self.exception = exc
        self.traceback = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


class _Relay(QObject):
    finished = Signal(object, bool)  # result or TaskFailure, ok


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

    def _deliver(self, payload, ok, on_done, on_error) -> None:
        if ok:
            if on_done is not None:
                on_done(payload)
        else:
            log.error("Task failed:\n%s", payload.traceback)
            if on_error is not None:
                on_error(payload)
            else:
                from gui.dialogs.error_dialog import show_failure

                show_failure(None, payload)

    @property
    def idle(self) -> bool:
        return not self._pending

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until background jobs finish (shutdown and tests)."""
        return self._reads.waitForDone(msecs) and self._writes.waitForDone(msecs)
