"""Running a tile plan: gather tiles, predict in batches, blend with a feathered window, and
halve the batch, then the tile, when memory runs out.

Pure functions over numpy arrays; backends pass in a ``predict`` over batches of tiles. The
blend is a weighted sum (``out += w * pred``, ``wsum += w``, then ``out /= wsum``) with
``feather_weights`` per axis, so any overlap blends correctly, including the mixed tile sizes
left behind when out-of-memory halving re-plans a region.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from engine.errors import OutOfMemory
from engine.events import CancelToken, ProgressFn, TileProgress, no_progress
from engine.imaging.tile_plan import (
    TilePlan,
    TileSpec,
    gather,
    plan_tiles,
    round_up,
    smallest_tile,
    split_tile,
)

PredictFn = Callable[[np.ndarray], np.ndarray]
TileFn = Callable[[np.ndarray], np.ndarray]

_OOM_CLASS_NAMES = {"ResourceExhaustedError", "OutOfMemoryError"}
_OOM_MESSAGE = re.compile(r"(?i:out of memory|out_of_memory|resource_exhausted)|\bOOM\b")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) means memory ran out.

    Recognises ``MemoryError``, TensorFlow's ``ResourceExhaustedError``, torch's
    ``OutOfMemoryError`` (by class name, so neither is imported) and messages such as
    ``CUDA out of memory``, ``RESOURCE_EXHAUSTED`` or ``OOM when allocating``.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, MemoryError):
            return True
        if {cls.__name__ for cls in type(current).__mro__} & _OOM_CLASS_NAMES:
            return True
        if _OOM_MESSAGE.search(str(current)):
            return True
        current = current.__cause__ or current.__context__
    return False


def halved_tile(size: int, floor: int, multiple: int, cause: BaseException) -> int:
    """The next tile side after running out of memory at ``size``.

    Raises:
        OutOfMemory: when halving would go below ``floor``.
    """
    half = size // 2 // multiple * multiple
    if half < floor:
        raise OutOfMemory(
            f"Ran out of memory even with {size}-pixel tiles."
        ) from cause
    return half


def feather_weights(size: int, band: int) -> np.ndarray:
    """1-D blend weights for a tile output of ``size`` pixels with ``band``-wide context.

    Zero over the outer ``band`` (context), a linear ramp ``(k + 0.5) / band`` over the next
    ``band``, one in the middle. Float32, shape ``(size,)``; all ones when ``band`` is 0.
    """
    if band == 0:
        return np.ones(size, np.float32)
    centers = np.arange(size, dtype=np.float64) + 0.5
    edge_distance = np.minimum(centers, size - centers)
    return np.clip((edge_distance - band) / band, 0.0, 1.0).astype(np.float32)


def per_tile(fn: TileFn) -> PredictFn:
    """Lift ``fn`` on one tile (``(T, T, C)`` -> ``(T * s, T * s, C')``) to a batch predict."""

    def predict(batch: np.ndarray) -> np.ndarray:
        return np.stack([fn(tile) for tile in batch])

    return predict


@dataclass
class _Canvas:
    """The full-size accumulators: weighted output sum and (single-channel) weight sum."""

    out: np.ndarray
    wsum: np.ndarray
    scale: int
    overlap: int


def _new_canvas(height: int, width: int, channels: int, scale: int, overlap: int) -> _Canvas:
    out = np.zeros((height * scale, width * scale, channels), np.float32)
    wsum = np.zeros((height * scale, width * scale), np.float32)
    return _Canvas(out, wsum, scale, overlap)


def _blend(canvas: _Canvas, spec: TileSpec, pred: np.ndarray) -> None:
    """Add one tile's output (``(H_t * s, W_t * s, C)``) into the canvas.

    Only the tile's core is touched (its context has zero weight), clipped to the image.
    """
    s, band = canvas.scale, canvas.overlap * canvas.scale
    tall, wide = spec.height * s, spec.width * s
    # Tile output pixel i lands on output pixel origin + i, origin from padded -> image coords.
    oy, ox = (spec.y - canvas.overlap) * s, (spec.x - canvas.overlap) * s
    y0, y1 = max(oy + band, 0), min(oy + tall - band, canvas.out.shape[0])
    x0, x1 = max(ox + band, 0), min(ox + wide - band, canvas.out.shape[1])
    if y0 >= y1 or x0 >= x1:
        return
    w = np.outer(feather_weights(tall, band)[y0 - oy : y1 - oy],
                 feather_weights(wide, band)[x0 - ox : x1 - ox])
    canvas.out[y0:y1, x0:x1] += pred[y0 - oy : y1 - oy, x0 - ox : x1 - ox] * w[:, :, None]
    canvas.wsum[y0:y1, x0:x1] += w


def _fill_batch(
    pixels: np.ndarray, specs: list[TileSpec], overlap: int, buffer: np.ndarray
) -> np.ndarray:
    """Gather ``specs`` into ``buffer`` (``(batch, T_h, T_w, C)``); unused slots are zeroed."""
    for i, spec in enumerate(specs):
        buffer[i] = gather(pixels, spec.y - overlap, spec.x - overlap, spec.height, spec.width)
    buffer[len(specs) :] = 0.0
    return buffer


def _checked_prediction(pred: np.ndarray, count: int, shape: tuple[int, int]) -> np.ndarray:
    pred = np.asarray(pred, dtype=np.float32)
    if pred.ndim != 4 or pred.shape[0] < count or pred.shape[1:3] != shape:
        raise ValueError(
            f"predict returned shape {pred.shape}; expected ({count}, {shape[0]}, {shape[1]}, C)"
        )
    return pred


def _take(queue: deque[TileSpec], count: int) -> list[TileSpec]:
    return [queue.popleft() for _ in range(min(count, len(queue)))]


def _replan(pending: Iterable[TileSpec], size: int, overlap: int, height: int, width: int,
            multiple: int) -> deque[TileSpec]:
    out: deque[TileSpec] = deque()
    for spec in pending:
        out.extend(split_tile(spec, size, overlap, height, width, multiple))
    return out


@dataclass
class _State:
    """What changes while a plan runs: the pending tiles, their shape and the batch."""

    queue: deque[TileSpec]
    shape: tuple[int, int]
    batch: int
    buffer: np.ndarray

    def resize(self, shape: tuple[int, int], batch: int, channels: int) -> None:
        self.shape, self.batch = shape, batch
        self.buffer = np.empty((batch, *shape, channels), np.float32)


def run_plan(
    predict: PredictFn,
    pixels: np.ndarray,
    plan: TilePlan,
    *,
    scale: int = 1,
    multiple: int = 1,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    item: int | None = None,
    min_tile: int = 32,
) -> np.ndarray:
    """Run ``predict`` over the tiles of ``plan`` and blend the outputs.

    Args:
        predict: ``(N, T_h, T_w, C)`` float32 -> ``(N, T_h * scale, T_w * scale, C_out)``;
            called with exactly ``plan.batch`` tiles each time (a short last batch is padded
            with zero tiles) and one tile shape per image, except after out-of-memory halving.
        pixels: ``(H, W, C)`` float array in whatever range ``predict`` expects.
        plan: from ``plan_tiles`` or ``plan_fit`` for this image.
        scale: integer output/input size ratio of ``predict``.
        multiple: tile sides stay multiples of this when halved.
        progress: gets ``TileProgress(done, total, item=item)`` after each call;
            ``done`` counts tiles, and ``total`` grows when out-of-memory halving re-plans the
            remaining tiles.
        cancel: checked before each call.
        item: batch item index passed back in progress events.
        min_tile: out-of-memory halving never goes below this (nor below ``4 * overlap``).

    Returns:
        ``(H * scale, W * scale, C_out)`` float32.

    Raises:
        Cancelled: when ``cancel`` is set.
        OutOfMemory: when ``predict`` runs out of memory one tile at a time at the smallest
            tile.
    """
    if scale < 1 or int(scale) != scale or pixels.ndim != 3:
        raise ValueError(f"bad arguments: scale={scale} pixels {pixels.shape}")
    scale, overlap = int(scale), plan.overlap
    height, width, channels = pixels.shape
    floor = max(round_up(min_tile, multiple), smallest_tile(overlap, multiple))
    state = _State(deque(plan.tiles), (plan.tile_height, plan.tile_width), plan.batch,
                   np.empty(0))
    state.resize(state.shape, plan.batch, channels)
    canvas: _Canvas | None = None
    done = 0
    while state.queue:
        specs = _take(state.queue, state.batch)
        if cancel is not None:
            cancel.check()
        try:
            pred = _checked_prediction(predict(_fill_batch(pixels, specs, overlap, state.buffer)),
                                       len(specs), (state.shape[0] * scale, state.shape[1] * scale))
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            _shrink(state, specs, exc, floor, multiple, overlap, (height, width, channels))
            continue
        if canvas is None:
            canvas = _new_canvas(height, width, pred.shape[3], scale, overlap)
        for spec, tile_out in zip(specs, pred):
            _blend(canvas, spec, tile_out)
        done += len(specs)
        progress(TileProgress(done=done, total=done + len(state.queue), item=item))
    assert canvas is not None  # every plan has at least one tile
    np.divide(canvas.out, canvas.wsum[:, :, None], out=canvas.out)
    return canvas.out


def _shrink(state: _State, specs: list[TileSpec], exc: BaseException, floor: int,
            multiple: int, overlap: int, image: tuple[int, int, int]) -> None:
    """After running out of memory: halve the batch if above one, else halve the tile side and
    re-plan the tiles not done yet (``specs`` went back unprocessed)."""
    height, width, channels = image
    if state.batch > 1:
        state.queue.extendleft(reversed(specs))
        state.resize(state.shape, state.batch // 2, channels)
        return
    size = halved_tile(max(state.shape), floor, multiple, exc)
    state.queue = _replan([*specs, *state.queue], size, overlap, height, width, multiple)
    state.resize((size, size), 1, channels)


def run_tiled(
    predict: PredictFn,
    pixels: np.ndarray,
    *,
    scale: int = 1,
    tile: int = 512,
    overlap: int = 16,
    multiple: int = 1,
    batch: int = 1,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    item: int | None = None,
    min_tile: int = 32,
) -> np.ndarray:
    """``run_plan`` over square ``tile``-sided tiles (``plan_tiles``), ``batch`` per call.

    Args and result as for ``run_plan``; ``tile``, ``overlap`` and ``multiple`` as for
    ``plan_tiles``.
    """
    if batch < 1:
        raise ValueError(f"bad arguments: batch={batch}")
    plan = plan_tiles(pixels.shape[0], pixels.shape[1], tile, overlap, multiple)
    plan = TilePlan(plan.tile_height, plan.tile_width, plan.overlap, plan.padded_height,
                    plan.padded_width, plan.tiles, batch)
    return run_plan(predict, pixels, plan, scale=scale, multiple=multiple, progress=progress,
                    cancel=cancel, item=item, min_tile=min_tile)


@dataclass
class TileRun:
    """How one tiled run reports and how big its tiles are (``RunContext`` has the same
    attributes and can stand in for it).

    Attributes:
        tile: a tile side the user asked for, or 0 to size tiles from memory.
        progress: gets ``TileProgress`` events.
        cancel: checked before each call.
        item: batch item index passed back in progress events.
    """

    tile: int = 0
    progress: ProgressFn = no_progress
    cancel: CancelToken | None = None
    item: int | None = None

    @classmethod
    def quiet(cls, run) -> TileRun:
        """``run`` without progress events (for a second pass the first one reports)."""
        return cls(run.tile, no_progress, run.cancel, run.item)
