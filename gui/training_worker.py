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
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Signal

from engine import api
from engine.events import Event, TrainStep
from gui.worker import Worker

# Step reports are forwarded at most this often (plus any step that wrote samples, and the last).
_MIN_INTERVAL_S = 0.1


@dataclass
class TrainingPlan:
    """Everything a run needs; what the wizard's first three pages decide.

    Attributes:
        kind: ``deblur``, ``upscale``, ``cyclegan`` or ``dcgan``.
        out: the run folder.
        data, data_b: the training folders (``data_b`` for cyclegan).
        preset: ``quick``, ``standard`` or ``long``.
        steps, batch, crop: ``None`` for the preset's (ignored on resume).
        options: trainer options (model size, ``lr``, ``--set`` style extras).
        backend: the Keras backend to train on ("" keeps the current one).
        resume: continue the run in ``out``.
        sample_every, checkpoint_every: cadence in steps (``None``: the preset's).
    """

    kind: str
    out: Path
    data: str = ""
    data_b: str | None = None
    preset: str = "quick"
    steps: int | None = None
    batch: int | None = None
    crop: int | None = None
    options: dict = field(default_factory=dict)
    backend: str = ""
    resume: bool = False
    sample_every: int | None = None
    checkpoint_every: int | None = None

    def train_kwargs(self) -> dict:
        """Keyword arguments for ``api.train`` (a resume keeps the run's saved settings)."""
        if self.resume:
            return {"kind": self.kind, "data": None, "out_dir": self.out, "resume": True}
        return {"kind": self.kind, "data": self.data, "data_b": self.data_b,
                "out_dir": self.out, "preset": self.preset, "steps": self.steps,
                "batch": self.batch, "crop": self.crop, "options": dict(self.options),
                "sample_every": self.sample_every, "checkpoint_every": self.checkpoint_every}


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


def training_job(plan: TrainingPlan):
    """The worker job: select the backend, then train (or resume) the plan's run."""

    def job(progress, cancel):
        if plan.backend:
            api.select_backend(plan.backend)
        return api.train(**plan.train_kwargs(), progress=progress, cancel=cancel)

    return job


class TrainingWorker(Worker):
    """Runs one training plan; see the module docstring for pause and stop.

    Signals (besides ``Worker``'s started, progress, failed, finished):
        pause_changed(bool): paused (``True``) or running again (``False``).
    """

    pause_changed = Signal(bool)

    def __init__(self, plan: TrainingPlan) -> None:
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
