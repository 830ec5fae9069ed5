"""Draws engine ``Progress`` events: a rich progress bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from typing import TextIO

from engine.events import ItemResult, Progress

_WORDS = {"done": "done", "skipped": "skipped", "failed": "FAILED", "cancelled": "cancelled"}


def item_line(index: int, total: int, result: ItemResult) -> str:
    """One plain line per finished item, e.g. ``[2/5] done  a.jpg -> out/a_sharpen.jpg (1.2 s)``."""
    name = result.input.name if result.input else "?"
    head = f"[{index + 1}/{total}] {_WORDS[result.status]:<9} {name}"
    if result.status == "done":
        return f"{head} -> {result.output} ({result.seconds:.1f} s)"
    return f"{head}: {result.error}" if result.error else head


class PlainDisplay:
    """Line-per-item output for pipes, logs and CI."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._notices: set[str] = set()

    def __enter__(self) -> PlainDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stream.flush()

    def __call__(self, event: Progress) -> None:
        if event.stage == "batch" and event.data.get("event") == "done":
            print(item_line(event.item or 0, event.total, event.data["result"]),
                  file=self.stream, flush=True)
        elif event.stage == "notice" and event.message not in self._notices:
            self._notices.add(event.message)
            print(f"note: {event.message}", file=self.stream, flush=True)
        elif event.stage == "eval":
            print(f"  [{event.done}/{event.total}] {event.message}", file=self.stream, flush=True)
        elif event.stage in ("iterations", "steps", "generate") and event.done == event.total:
            print(f"  {event.stage}: {event.done}/{event.total} {event.message}",
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

    def __call__(self, event: Progress) -> None:
        if event.stage == "batch":
            self._on_batch(event)
        elif event.stage == "notice":
            if event.message not in self._notices:
                self._notices.add(event.message)
                self.console.print(f"note: {event.message}", markup=False)
        elif self.current is not None and event.total:
            self.bars.update(self.current, completed=event.done, total=event.total,
                             description=f"{self._name} ({event.stage})")
            if self.overall is not None:
                self.bars.update(self.overall, completed=self._items_done + event.fraction)

    def _on_batch(self, event: Progress) -> None:
        if self.overall is None:
            self.overall = self.bars.add_task("All files", total=event.total)
            self.current = self.bars.add_task("", total=1)
        if event.data.get("event") == "start":
            self._name = _short(event.message)
            self.bars.update(self.current, completed=0, total=1, description=self._name)
            return
        self._items_done = event.done
        self.bars.update(self.overall, completed=event.done)
        result: ItemResult = event.data["result"]
        if result.status != "done":
            self.console.print(item_line(event.item or 0, event.total, result), markup=False)



def _short(name: str, width: int = 28) -> str:
    """A file name cut to ``width`` characters with an ellipsis in the middle."""
    return name if len(name) <= width else name[: width // 2 - 1] + "…" + name[-(width // 2):]


def make_display(force_plain: bool = False):
    """A rich display on an interactive terminal, plain lines otherwise."""
    if force_plain or not sys.stdout.isatty():
        return PlainDisplay()
    return RichDisplay()
