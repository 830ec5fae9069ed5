"""Draws engine events: a rich progress bar on a terminal, plain lines otherwise.

Dispatch is on the event's type (``engine.events``); errors and notices get the CLI's wording of
their hint (``engine.cli.hints``).
"""

from __future__ import annotations

import sys
from typing import TextIO

from engine.cli.hints import with_advice
from engine.events import (
    BatchProgress,
    EvalProgress,
    Event,
    GenerateProgress,
    ItemFinished,
    ItemResult,
    ItemStarted,
    IterationProgress,
    Notice,
    ProgressEvent,
    SampleWritten,
    TileProgress,
    TrainStep,
)

_WORDS = {"done": "done", "skipped": "skipped", "failed": "FAILED", "cancelled": "cancelled"}
# What a per-item or training event counts, as the plain display names it.
_UNITS: tuple[tuple[type, str], ...] = (
    (IterationProgress, "iterations"), (TrainStep, "steps"), (GenerateProgress, "generate"),
)
# ... and as the per-file bar names it.
_BAR_UNITS: tuple[tuple[type, str], ...] = (
    *_UNITS, (TileProgress, "tiles"), (SampleWritten, "write"),
)


def item_line(index: int, total: int, result: ItemResult) -> str:
    """One plain line per finished item, e.g. ``[2/5] done  a.jpg -> out/a_sharpen.jpg (1.2 s)``."""
    name = result.input.name if result.input else "?"
    head = f"[{index + 1}/{total}] {_WORDS[result.status]:<9} {name}"
    if result.status == "done":
        return f"{head} -> {result.output} ({result.seconds:.1f} s)"
    return f"{head}: {error_text(result)}" if result.error else head


def error_text(result: ItemResult) -> str:
    """A failed or skipped item's sentence with the CLI's advice for its hint."""
    return with_advice(result.error, result.hint)


def notice_text(event: Notice) -> str:
    """A notice's sentence with the CLI's advice for its hint."""
    return with_advice(event.message, event.hint)


def _unit(event: Event, table: tuple[tuple[type, str], ...]) -> str:
    return next((word for cls, word in table if isinstance(event, cls)), "")


def _message(event: Event) -> str:
    return getattr(event, "message", "")


class PlainDisplay:
    """Line-per-item output for pipes, logs and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._notices: set[str] = set()

    def __enter__(self) -> PlainDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.flush()

    def __call__(self, event: Event) -> None:
        if isinstance(event, ItemFinished):
            print(item_line(event.item, event.total, event.result), file=self.stream, flush=True)
        elif isinstance(event, Notice):
            if event.message not in self._notices:
                self._notices.add(event.message)
                print(f"note: {notice_text(event)}", file=self.stream, flush=True)
        elif isinstance(event, EvalProgress):
            print(f"  [{event.done}/{event.total}] {event.message}", file=self.stream, flush=True)
        elif isinstance(event, ProgressEvent) and event.done == event.total:
            unit = _unit(event, _UNITS)
            if unit:
                print(f"  {unit}: {event.done}/{event.total} {_message(event)}",
                      file=self.stream, flush=True)


class RichDisplay:
    """Overall bar (items, smoothed by per-file progress, with ETA) plus a per-file bar."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as RichProgress,
        )

        self.console = Console(stderr=False)
        self.bars = RichProgress(
            TextColumn("{task.description}", justify="left"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
        )
        self.overall = None
        self.current = None
        self._items_done = 0
        self._name = ""
        self._notices: set[str] = set()

    def __enter__(self) -> RichDisplay:
        self.bars.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(None, None, None)

    def __call__(self, event: Event) -> None:
        if isinstance(event, BatchProgress):
            self._on_batch(event)
        elif isinstance(event, Notice):
            if event.message not in self._notices:
                self._notices.add(event.message)
                self.console.print(f"note: {notice_text(event)}", markup=False)
        elif isinstance(event, ProgressEvent) and self.current is not None and event.total:
            unit = _unit(event, _BAR_UNITS) or "progress"
            self.bars.update(self.current, completed=event.done, total=event.total,
                             description=f"{self._name} ({unit})")
            if self.overall is not None:
                self.bars.update(self.overall, completed=self._items_done + event.fraction)

    def _on_batch(self, event: BatchProgress) -> None:
        if self.overall is None:
            self.overall = self.bars.add_task("All files", total=event.total)
            self.current = self.bars.add_task("", total=1)
        if isinstance(event, ItemStarted):
            self._name = _short(event.name)
            self.bars.update(self.current, completed=0, total=1, description=self._name)
            return
        self._items_done = event.done
        self.bars.update(self.overall, completed=event.done)
        if isinstance(event, ItemFinished) and event.result.status != "done":
            self.console.print(item_line(event.item, event.total, event.result), markup=False)



def _short(name: str, width: int = 28) -> str:
    """A file name cut to ``width`` characters with an ellipsis in the middle."""
    return name if len(name) <= width else name[: width // 2 - 1] + "…" + name[-(width // 2):]


def make_display(force_plain: bool = False):
    """A rich display on an interactive terminal, plain lines otherwise."""
    if force_plain or not sys.stdout.isatty():
        return PlainDisplay()
    return RichDisplay()
