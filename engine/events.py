"""Typed progress events and the cancel token shared by every long-running engine call.

The engine never prints: it calls a ``ProgressFn`` with events (one small frozen dataclass per
kind of event) and checks a ``CancelToken`` between units of work (tiles, iterations, steps,
items). Front ends dispatch on the event's type: the CLI draws a progress bar, the GUI worker
turns events into Qt signals.

Event types::

    Event
      Notice            a sentence to show once (e.g. reduced-quality style transfer)
      ProgressEvent     done / total / fraction
        BatchProgress     a batch item ...
          ItemStarted       ... begins
          ItemFinished      ... ended, with its ItemResult
        ItemProgress      work inside one item (``item`` is its batch index)
          TileProgress      a tile (or a batch of tiles) went through the model
          IterationProgress a style-transfer iteration, with its loss
          GenerateProgress  the sampler generated a batch of images
          SampleWritten     the sampler wrote one output file
        TrainStep         a training step, with losses, speed, ETA and validation
        EvalProgress      an evaluation unit (image, epoch) finished
        BenchProgress     the benchmark starts measuring a task
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from engine.errors import Cancelled

Status = Literal["done", "skipped", "failed", "cancelled"]

__all__ = [
    "BatchProgress", "BenchProgress", "CancelToken", "EvalProgress", "Event",
    "GenerateProgress", "ItemFinished", "ItemProgress", "ItemResult", "ItemStarted",
    "IterationProgress", "Notice", "ProgressEvent", "ProgressFn", "SampleWritten", "Status",
    "TileProgress", "TrainStep", "no_progress",
]


@dataclass
class ItemResult:
    """The outcome of one batch item, as written to ``--report`` files.

    ``status`` is ``done``, ``skipped``, ``failed`` or ``cancelled``; ``error`` is a sentence
    for failed items (and the reason for skipped ones), naming no front-end control; ``hint``
    is an ``engine.errors`` hint key each front end words as advice (``""`` for none);
    ``seconds`` is wall time spent on it; ``details`` holds the traceback of an internal error
    (a bug), for ``--debug`` and bug reports (it is also in the log file).
    """

    input: Path | None
    output: Path | None
    status: Status
    error: str = ""
    seconds: float = 0.0
    details: str = ""
    hint: str = ""

    def to_json(self) -> dict:
        """The report entry: ``input``, ``output``, ``status``, ``error``, ``seconds``.

        A cancelled item is reported as ``skipped`` (its reason says it was cancelled), since
        reports use the three statuses ``done``, ``skipped`` and ``failed``.
        """
        return {
            "input": str(self.input) if self.input else None,
            "output": str(self.output) if self.output else None,
            "status": "skipped" if self.status == "cancelled" else self.status,
            "error": self.error,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class Event:
    """Base class of every engine event."""


@dataclass(frozen=True, kw_only=True)
class Notice(Event):
    """A sentence to show the user once, e.g. that results are reduced-quality.

    Attributes:
        message: the sentence (names no front-end control).
        hint: an ``engine.errors`` hint key the front end words as advice, or ``""``.
        item: the batch item it came from, or ``None``.
    """

    message: str
    hint: str = ""
    item: int | None = None


@dataclass(frozen=True, kw_only=True)
class ProgressEvent(Event):
    """Counted progress: ``done`` of ``total`` units (``0 <= done``; ``total`` 0 if unknown)."""

    done: int
    total: int

    @property
    def fraction(self) -> float:
        """Progress in ``[0, 1]`` (``0`` when the total is unknown)."""
        return min(1.0, self.done / self.total) if self.total else 0.0


@dataclass(frozen=True, kw_only=True)
class BatchProgress(ProgressEvent):
    """A batch item's edge; ``done``/``total`` count items, ``item`` is its index, ``name``
    its input file name."""

    item: int
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class ItemStarted(BatchProgress):
    """Item ``item`` begins (``done`` items are finished before it)."""


@dataclass(frozen=True, kw_only=True)
class ItemFinished(BatchProgress):
    """Item ``item`` ended (``done`` items finished, this one included) with ``result``."""

    result: ItemResult


@dataclass(frozen=True, kw_only=True)
class ItemProgress(ProgressEvent):
    """Work inside one item; ``item`` is its batch index (``None`` outside a batch)."""

    item: int | None = None


@dataclass(frozen=True, kw_only=True)
class TileProgress(ItemProgress):
    """``done`` of ``total`` tiles went through the model (``total`` grows when an
    out-of-memory retry re-plans the remaining tiles with smaller ones)."""


@dataclass(frozen=True, kw_only=True)
class IterationProgress(ItemProgress):
    """A style-transfer iteration finished.

    Attributes:
        loss: the total loss after it.
        parts: the weighted loss terms by name (content, style, tv).
    """

    loss: float
    parts: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        """``loss 1.23e+04``."""
        return f"loss {self.loss:.3g}"


@dataclass(frozen=True, kw_only=True)
class GenerateProgress(ItemProgress):
    """The sampler generated ``done`` of ``total`` images."""


@dataclass(frozen=True, kw_only=True)
class SampleWritten(ItemProgress):
    """The sampler wrote ``path``, file ``done`` of ``total``."""

    path: Path


@dataclass(frozen=True, kw_only=True)
class TrainStep(ProgressEvent):
    """Training step ``done`` of ``total`` finished (``done`` 0: the run is starting).

    Attributes:
        losses: the step's losses by name.
        images_per_s: training speed (0 until measured).
        eta_s: estimated seconds left, sampling and checkpoints included.
        samples: path of the latest sample grid (``None`` before the first).
        val: the validation metric when this step validated, else ``None``.
        metric: the validation metric's name (e.g. ``val_l1``).
        lr: the generator's current learning rate.
        run: the run folder.
        seconds: training time so far (pauses not counted).
    """

    losses: dict = field(default_factory=dict)
    images_per_s: float = 0.0
    eta_s: float = 0.0
    samples: str | None = None
    val: float | None = None
    metric: str = "val"
    lr: float = 0.0
    run: str = ""
    seconds: float = 0.0

    @property
    def validated(self) -> bool:
        """Whether this step ran validation (and wrote samples)."""
        return self.val is not None

    @property
    def message(self) -> str:
        """``g_loss=1.23 d_loss=0.5 val_l1=0.031``."""
        shown = " ".join(f"{k}={v:.4g}" for k, v in self.losses.items())
        if self.val is not None:
            shown += f" {self.metric}={self.val:.4g}"
        return shown


@dataclass(frozen=True, kw_only=True)
class EvalProgress(ProgressEvent):
    """An evaluation unit finished; ``message`` says which (``deblur/mild: a.jpg``)."""

    message: str = ""


@dataclass(frozen=True, kw_only=True)
class BenchProgress(ProgressEvent):
    """The benchmark starts measuring ``task`` (``done`` tasks measured; ``task`` is "" when
    all ``total`` are)."""

    task: str = ""


ProgressFn = Callable[[Event], None]


def no_progress(_: Event) -> None:
    """A ``ProgressFn`` that ignores every event."""


class CancelToken:
    """A thread-safe flag. ``cancel()`` only sets it; workers poll ``check()``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the running work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether ``cancel()`` has been called."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled()
