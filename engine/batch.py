"""The batch runner: expand inputs, name outputs, then read -> process -> write each item.

One bad file never stops a batch: every expected problem becomes a ``failed`` item with a
sentence naming the file; a cancel stops after discarding the current item's partial output.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine import logs
from engine.errors import (
    HINT_OVERWRITE,
    HINT_RECURSIVE,
    HINT_TILE_SIZE,
    Cancelled,
    PhotoGANError,
    UsageError,
)
from engine.events import (
    CancelToken,
    ItemFinished,
    ItemResult,
    ItemStarted,
    ProgressFn,
    no_progress,
)
from engine.imaging import io
from engine.tasks.registry import RunContext, Task

# Image files we recognise but cannot read: reported per file instead of silently ignored.
KNOWN_UNSUPPORTED = {
    ".gif", ".heic", ".heif", ".avif", ".jxl", ".psd", ".ico", ".svg",
    ".cr2", ".cr3", ".nef", ".arw", ".dng", ".orf", ".rw2", ".raf", ".pef", ".srw",
}
OUTPUT_FORMATS = ("same", "png", "jpg", "tiff", "webp")
_FORMAT_IDS = {"png": "png", "jpg": "jpeg", "tiff": "tiff", "webp": "webp"}


@dataclass
class RunSettings:
    """How a batch runs, independent of the task's own options.

    Attributes:
        out_dir: where outputs go (created if missing).
        format: ``same`` (keep the input's format) or ``png``, ``jpg``, ``tiff``, ``webp``.
        quality: JPEG/WebP quality, 1..100.
        overwrite: replace existing outputs instead of skipping them.
        recursive: walk sub-folders and mirror them under ``out_dir``.
        tile: tile size in input pixels, 0 for automatic.
        device: ``auto``, ``cpu`` or ``gpu``.
        max_pixels: decompression-bomb guard per image.
    """

    out_dir: Path
    format: str = "same"
    quality: int = 95
    overwrite: bool = False
    recursive: bool = False
    tile: int = 0
    device: str = "auto"
    max_pixels: int = io.DEFAULT_MAX_PIXELS

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        if self.format not in OUTPUT_FORMATS:
            raise UsageError(
                f"Output format '{self.format}' is not one of {', '.join(OUTPUT_FORMATS)}."
            )
        if not 1 <= self.quality <= 100:
            raise UsageError(f"Quality must be between 1 and 100, got {self.quality}.")
        if self.tile and self.tile < 32:
            raise UsageError(f"Tile size must be 0 (automatic) or at least 32, got {self.tile}.")


@dataclass
class PlanItem:
    """One input and where its output goes; ``problem`` is set when it cannot run at all,
    ``skip`` when it need not; ``hint`` is the ``engine.errors`` hint key for either."""

    input: Path
    output: Path | None
    problem: str = ""
    skip: str = ""
    hint: str = ""


@dataclass
class BatchResult:
    """Everything a front end needs for its summary and the ``--report`` file."""

    results: list[ItemResult] = field(default_factory=list)
    cancelled: bool = False
    seconds: float = 0.0

    def count(self, status: str) -> int:
        """How many items ended with ``status``."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def outputs(self) -> list[Path]:
        """Outputs written in this run."""
        return [r.output for r in self.results if r.status == "done" and r.output]


def _walk(folder: Path, recursive: bool, exclude: Path | None) -> Iterator[Path]:
    """Files (and, non-recursively, image-named sub-folders) under ``folder``, sorted."""
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.lower()):
        if exclude is not None and _same(entry, exclude):
            continue
        if entry.is_dir():
            if recursive:
                yield from _walk(entry, recursive, exclude)
            elif _looks_like_image(entry):
                yield entry
        elif _looks_like_image(entry):
            yield entry


def _looks_like_image(path: Path) -> bool:
    suffix = path.suffix.lower()
    return io.is_image_path(path) or suffix in KNOWN_UNSUPPORTED


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def expand_inputs(
    inputs: Iterable[Path | str], recursive: bool, exclude: Path | None = None
) -> list[tuple[Path, Path]]:
    """Expand files and folders into ``(file, relative_output_folder)`` pairs.

    A file given directly maps to the output folder's root; a folder's files keep their path
    relative to that folder when ``recursive`` (so the tree is mirrored). Files inside
    ``exclude`` (the output folder) are left out so earlier outputs are not reprocessed.
    """
    found: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            pairs = [(f, f.parent.relative_to(path)) for f in _walk(path, recursive, exclude)]
        else:
            pairs = [(path, Path("."))]
        for file, rel in pairs:
            key = Path(os.path.abspath(file))
            if key not in seen:
                seen.add(key)
                found.append((file, rel))
    return found


def output_path(source: Path, rel: Path, task_id: str, settings: RunSettings) -> Path:
    """``OUT/<rel>/<stem>_<task>.<ext>``; ``same`` keeps the source's extension."""
    if settings.format == "same":
        suffix = source.suffix if io.is_image_path(source) else ".png"
    else:
        suffix = io.FORMAT_EXT[_FORMAT_IDS[settings.format]]
    return settings.out_dir / rel / f"{source.stem}_{task_id}{suffix}"


def plan(inputs: Iterable[Path | str], task: Task, settings: RunSettings) -> list[PlanItem]:
    """Decide, for every input, its output path, or why it will be skipped or cannot run.

    Never plans an output that is one of the inputs; two inputs that would share an output
    name get numbered names.
    """
    pairs = expand_inputs(inputs, settings.recursive, exclude=settings.out_dir)
    input_keys = {Path(os.path.abspath(f)) for f, _ in pairs}
    taken: set[Path] = set()
    items = []
    for source, rel in pairs:
        out = _unique(output_path(source, rel, task.id, settings), taken)
        taken.add(out)
        item = PlanItem(source, out)
        item.problem = _precheck(source)
        item.hint = HINT_RECURSIVE if item.problem and source.is_dir() else ""
        if not item.problem and Path(os.path.abspath(out)) in input_keys:
            item.problem = (
                f"{source.name}: its output {out.name} would overwrite an input file; "
                "choose another output folder."
            )
        elif not item.problem and out.exists() and not settings.overwrite:
            item.skip, item.hint = f"{out.name} already exists.", HINT_OVERWRITE
        items.append(item)
    return items


def _unique(candidate: Path, taken: set[Path]) -> Path:
    if candidate not in taken:
        return candidate
    n = 2
    while True:
        alt = candidate.with_name(f"{candidate.stem}_{n}{candidate.suffix}")
        if alt not in taken:
            return alt
        n += 1


def _precheck(source: Path) -> str:
    """A reason the file cannot be processed, found without decoding it, or ``""``."""
    if not source.exists():
        return f"{source}: no such file or folder; check the path."
    if source.is_dir():
        return f"{source.name}: is a folder, not an image."
    if source.suffix.lower() in KNOWN_UNSUPPORTED or not io.is_image_path(source):
        return (
            f"{source.name}: the {source.suffix or 'extension-less'} format is not supported; "
            "convert it to JPEG, PNG, TIFF or WebP first."
        )
    return ""


def run(
    items: list[PlanItem],
    task: Task,
    options: dict,
    settings: RunSettings,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> BatchResult:
    """Process planned items in order. Emits ``ItemStarted`` and ``ItemFinished`` (with the
    ``ItemResult``) per item, and the task's own events in between."""
    cancel = cancel or CancelToken()
    batch = BatchResult()
    started = time.perf_counter()
    total = len(items)
    for index, item in enumerate(items):
        if cancel.cancelled:
            batch.cancelled = True
            break
        name = item.input.name
        progress(ItemStarted(done=index, total=total, item=index, name=name))
        result = _run_item(item, task, options, settings, progress, cancel, index)
        batch.results.append(result)
        if result.status == "cancelled":
            batch.cancelled = True
        progress(ItemFinished(done=index + 1, total=total, item=index, name=name,
                              result=result))
        if batch.cancelled:
            break
    batch.seconds = time.perf_counter() - started
    return batch


def _run_item(
    item: PlanItem,
    task: Task,
    options: dict,
    settings: RunSettings,
    progress: ProgressFn,
    cancel: CancelToken,
    index: int,
) -> ItemResult:
    if item.problem:
        return ItemResult(item.input, None, "failed", item.problem, hint=item.hint)
    if item.skip:
        return ItemResult(item.input, item.output, "skipped", item.skip, hint=item.hint)
    started = time.perf_counter()
    ctx = RunContext(progress, cancel, settings.tile, settings.device, index)
    details = hint = ""
    try:
        image = io.read(item.input, settings.max_pixels)
        cancel.check()
        result = task.process(image, options, ctx)
        cancel.check()
        fmt = None if settings.format == "same" else _FORMAT_IDS[settings.format]
        io.write(result, item.output, fmt, settings.quality)
        status, error = "done", ""
    except Cancelled:
        status, error = "cancelled", f"{item.input.name}: cancelled; no output was written."
    except PhotoGANError as exc:
        status, error, hint = "failed", _name_file(str(exc), item.input), exc.hint
    except MemoryError:
        status, error, hint = "failed", f"{item.input.name}: ran out of memory.", HINT_TILE_SIZE
    except Exception as exc:  # a bug must not stop the batch; the message says what to do
        status, error = "failed", _internal_error(exc, item.input, task.id)
        details = "".join(traceback.format_exception(exc))
    seconds = time.perf_counter() - started
    output = item.output if status == "done" else None
    return ItemResult(item.input, output, status, error, seconds, details, hint)


def _internal_error(exc: Exception, source: Path, task_id: str) -> str:
    """Log the traceback of a bug hit on ``source``; the item's one-line message."""
    path = logs.record_exception(exc, f"internal error running {task_id} on {source}")
    where = logs.where(path) or "the details were logged"
    return (f"{source.name}: internal error ({type(exc).__name__}: {exc}); {where}; "
            "please report it.")


def run_item(
    item: PlanItem,
    task: Task,
    options: dict,
    settings: RunSettings,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    index: int = 0,
) -> ItemResult:
    """One planned item: read -> process -> atomic write, errors caught (see ``run``).

    The local runner's own per-item code; cluster workers call it too.
    """
    return _run_item(item, task, options, settings, progress, cancel or CancelToken(), index)


def _name_file(message: str, source: Path) -> str:
    """Make sure an error sentence names the file it is about."""
    return message if source.name in message else f"{source.name}: {message}"


def ensure_out_dir(out_dir: Path) -> None:
    """Create the output folder or raise a user-facing ``ImageWriteError``."""
    io.make_folder(out_dir)
