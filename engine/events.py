"""Plain progress events and the cancel token shared by every long-running engine call.

The engine never prints: it calls a ``ProgressFn`` with ``Progress`` events and checks a
``CancelToken`` between units of work (tiles, iterations, steps, items). The CLI draws the events
as a progress bar; the GUI worker turns them into Qt signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from engine.errors import Cancelled

Status = Literal["done", "skipped", "failed", "cancelled"]


@dataclass(frozen=True)
class Progress:
    """One progress report.

    Attributes:
        stage: what is counted: ``"batch"`` (items), ``"tiles"``, ``"iterations"``, ``"steps"``,
            ``"generate"``.
        done: units finished so far, ``0 <= done <= total``.
        total: units in all (``0`` when unknown).
        message: short human text (current file name, losses, ...).
        item: index of the batch item this refers to, or ``None``.
        data: extra machine-readable values (losses, images/s, sample paths).
    """

    stage: str
    done: int
    total: int
    message: str = ""
    item: int | None = None
    data: dict = field(default_factory=dict)

    @property
    def fraction(self) -> float:
        """Progress in ``[0, 1]`` (``0`` when the total is unknown)."""
        return min(1.0, self.done / self.total) if self.total else 0.0


ProgressFn = Callable[[Progress], None]


def no_progress(_: Progress) -> None:
    """A ``ProgressFn`` that ignores every event."""


@dataclass
class ItemResult:
    """The outcome of one batch item, as written to ``--report`` files.

    ``status`` is ``done``, ``skipped``, ``failed`` or ``cancelled``; ``error`` is a sentence
    for failed items (and the reason for skipped ones); ``seconds`` is wall time spent on it;
    ``details`` holds the traceback of an internal error (a bug), for ``--debug`` and bug
    reports (it is also in the log file).
    """

    input: Path | None
    output: Path | None
    status: Status
    error: str = ""
    seconds: float = 0.0
    details: str = ""

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
