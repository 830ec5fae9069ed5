"""The training worker: ``api.train`` in its own ``QThread``, with pause, resume and stop.

It is the batch ``Worker`` (typed signals, ``finished`` always last, failures as sentences)
running a training job, on a ``WorkerHost`` of its own so batches keep working meanwhile.

**Pause** parks the training thread inside the engine's progress callback, which the runner
calls after every step: the step in flight completes, then the thread waits on a
``PauseGate`` until Resume (or Stop) releases it. Nothing is saved or rebuilt, the models stay
in memory, and paused time is not counted (the runner times steps only). **Stop** cancels the
engine's ``CancelToken`` (waking a paused thread first); the runner then saves
``checkpoints/last`` and returns ``status="cancelled"``, and a later run with ``resume=True``
continues exactly from there, in this session or after a restart.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Signal

from engine import api
from engine.events import Event, TrainStep
from gui.worker import Worker

# Step reports are forwarded at most this often (plus any step that wrote samples, and the last).
_MIN_INTERVAL_S = 0.1


class PauseGate:
    """A thread-safe pause switch the training thread waits at between steps."""

    def __init__(self) -> None:
        self._open = threading.Event()
        self._open.set()
        self._waiting = threading.Event()

    @property
    def paused(self) -> bool:
        """Whether a pause was asked for."""
        return not self._open.is_set()

    @property
    def waiting(self) -> bool:
        """Whether the training thread is parked at the gate right now."""
        return self._waiting.is_set()

    def pause(self) -> None:
        """Make the next ``wait`` block."""
        self._open.clear()

    def resume(self) -> None:
        """Let a waiting thread go on."""
        self._open.set()

    def wait(self, cancel: api.CancelToken) -> None:
        """Block while paused, until resumed or ``cancel`` is cancelled (polled at 10 Hz)."""
        if self._open.is_set():
            return
        self._waiting.set()
        try:
            while not self._open.wait(0.1):
                if cancel.cancelled:
                    return
        finally:
            self._waiting.clear()


def training_job(plan: api.TrainRequest):
    """The worker job: train (or resume) the plan's run (on its backend, when it names one)."""

    def job(progress, cancel):
        return api.train(plan, progress=progress, cancel=cancel)

    return job


class TrainingWorker(Worker):
    """Runs one training plan; see the module docstring for pause and stop.

    Signals (besides ``Worker``'s started, progress, failed, finished):
        pause_changed(bool): paused (``True``) or running again (``False``).
    """

    pause_changed = Signal(bool)

    def __init__(self, plan: api.TrainRequest) -> None:
        super().__init__(training_job(plan), name="training")
        self.plan = plan
        self.gate = PauseGate()

    def pause(self) -> None:
        """Pause after the step in flight (thread-safe)."""
        if not self.gate.paused:
            self.gate.pause()
            self.pause_changed.emit(True)

    def resume(self) -> None:
        """Continue a paused run (thread-safe)."""
        if self.gate.paused:
            self.gate.resume()
            self.pause_changed.emit(False)

    def cancel(self) -> None:
        """Stop: the runner saves a checkpoint at the last finished step."""
        self.cancel_token.cancel()
        self.gate.resume()

    def _report(self, event: Event) -> None:
        """Forward step reports (rate-limited, never dropping sample steps), then wait here
        while paused. Events other than ``TrainStep`` are forwarded as they come."""
        now = time.monotonic()
        if not isinstance(event, TrainStep):
            self.progress.emit(event)
        elif (event.validated or event.done == 0 or event.done >= event.total
              or now - self._last_emit >= _MIN_INTERVAL_S):
            self._last_emit = now
            self.progress.emit(event)
        self.gate.wait(self.cancel_token)
