"""The one worker: runs an engine job in a ``QThread`` and reports through typed signals.

A *job* is a plain callable ``job(progress, cancel) -> result`` built in ``gui.jobs``; it calls
the engine API and never touches widgets. The worker turns the engine's typed events into
signals (queued to the UI thread by Qt), dispatching on their type; ``failed`` carries a
user-facing sentence (with the app's wording of the error's hint, ``gui.hints``), and
``finished`` always fires last, whatever happened. Cancelling only sets the engine
``CancelToken``; the engine stops at its next check and discards partial output.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QThread, Signal, Slot

from engine import api
from engine.api import logs
from engine.errors import Cancelled, PhotoGANError
from engine.events import BatchProgress, Event, ItemFinished, ProgressEvent
from gui.hints import explain

Job = Callable[[Callable[[Event], None], api.CancelToken], Any]

# Per-item progress (tiles, iterations) is forwarded at most this often, plus first and last.
_MIN_INTERVAL_S = 0.05


class Worker(QObject):
    """Runs one job once, in whatever thread it has been moved to.

    Signals:
        started(): the job began.
        progress(object): an ``engine.events`` event (per-item progress is rate-limited;
            batch edges and notices always come through).
        item_done(int, object): batch item index and its ``ItemResult``.
        failed(str): the job raised; the sentence to show the user.
        finished(object): always last; the job's return value, or ``None`` after a failure
            or a cancel that stopped the job.
    """

    started = Signal()
    progress = Signal(object)
    item_done = Signal(int, object)
    failed = Signal(str)
    finished = Signal(object)

    def __init__(self, job: Job, name: str = "job") -> None:
        super().__init__()
        self.name = name
        self.cancel_token = api.CancelToken()
        self._job = job
        self._last_emit = 0.0

    def cancel(self) -> None:
        """Ask the job to stop at its next check (thread-safe; only sets the token)."""
        self.cancel_token.cancel()

    @property
    def cancelled(self) -> bool:
        """Whether cancel was requested."""
        return self.cancel_token.cancelled

    @Slot()
    def run(self) -> None:
        """Run the job, emitting ``started`` first and ``finished`` last."""
        self.started.emit()
        result = None
        try:
            result = self._job(self._report, self.cancel_token)
        except Cancelled:
            result = None
        except PhotoGANError as exc:
            self.failed.emit(explain(exc))
        except MemoryError:
            self.failed.emit("Ran out of memory; try a smaller tile size or close other programs.")
        except Exception as exc:  # a bug must reach the user as a sentence, not kill the thread
            self.failed.emit(internal_error_message(exc))
        finally:
            self.finished.emit(result)

    def _report(self, event: Event) -> None:
        """The engine's ``ProgressFn``: forward events as signals, rate-limited per item."""
        if isinstance(event, BatchProgress) or not isinstance(event, ProgressEvent):
            self.progress.emit(event)
            if isinstance(event, ItemFinished):
                self.item_done.emit(event.item, event.result)
            return
        now = time.monotonic()
        edge = event.done <= 1 or (event.total and event.done >= event.total)
        if edge or now - self._last_emit >= _MIN_INTERVAL_S:
            self._last_emit = now
            self.progress.emit(event)


def internal_error_message(exc: Exception) -> str:
    """Log the traceback of a bug; the sentence the user sees says where the log is."""
    path = logs.record_exception(exc, "internal error in a desktop app job")
    where = f" The details are in {path} (Help > Open Log Folder)." if path else ""
    return f"Internal error ({type(exc).__name__}: {exc}); please report it.{where}"


class WorkerHost(QObject):
    """Owns the thread of the (at most one) running worker.

    Signals:
        busy_changed(bool): a worker started (``True``) or its thread ended (``False``).
    """

    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: Worker | None = None

    @property
    def busy(self) -> bool:
        """Whether a worker is running (until its thread has fully ended)."""
        return self._thread is not None

    @property
    def worker(self) -> Worker | None:
        """The running worker, if any."""
        return self._worker

    def start(self, worker: Worker) -> None:
        """Move ``worker`` to a new thread and run it. Connect its signals before calling.

        Raises:
            RuntimeError: another worker is still running.
        """
        if self.busy:
            raise RuntimeError("a worker is already running")
        thread = QThread(self)
        thread.setObjectName(f"photogan-{worker.name}")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit from the worker thread itself, so a UI thread blocked in wait() is freed.
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._thread, self._worker = thread, worker
        thread.start()
        self.busy_changed.emit(True)

    def cancel(self) -> None:
        """Cancel the running worker, if any."""
        if self._worker is not None:
            self._worker.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until the worker's thread has ended (``True``, and ``busy`` is then
        ``False``) or ``msecs`` passed."""
        thread = self._thread
        if thread is None:
            return True
        ended = thread.wait() if msecs < 0 else thread.wait(msecs)
        if ended:
            # The thread's queued ``finished`` call is already posted: deliver it now, so a
            # caller that joined the thread does not see the host busy until the next loop.
            QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)
        return ended

    def shutdown(self, msecs: int = 30000) -> None:
        """Cancel and wait (used when the window closes)."""
        self.cancel()
        self.wait(msecs)

    @Slot()
    def _on_thread_finished(self) -> None:
        """``finished`` is emitted from the ending thread itself: wait for it to be fully
        gone before letting go of it (the worker is then freed in this thread)."""
        thread = self._thread
        self._thread = self._worker = None
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        self.busy_changed.emit(False)
