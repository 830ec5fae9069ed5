"""Tiled processing: pad, cut fixed-shape tiles, predict, blend with a feathered window, crop.

Pure functions, no state on objects and no ML-framework imports: backends pass in a ``predict``
function over batches of tiles. The geometry, per axis, in input pixels:

* The image is reflect-padded (mirror without repeating the edge pixel, like
  ``np.pad(mode="reflect")``) by ``overlap`` pixels of *context* on every side. The padding is
  never materialised as a full copy: each tile is gathered straight from the image.
* Every tile has one fixed shape ``T x T`` (so compiled predict functions never retrace). A tile
  at padded position ``p`` is laid out as ``context | ramp | flat | ramp | context``, where the
  context and ramp bands are each ``overlap`` wide. Its *core* is everything but the context.
* Neighbouring tiles start ``T - 3 * overlap`` apart, so one tile's falling ramp lies exactly on
  the next tile's rising ramp (the two ramps sum to one) and each tile's context lies on its
  neighbour's flat part. The context gets zero weight, so for a model whose receptive-field
  radius is at most ``overlap`` the result equals running it once on the whole padded image;
  for models that are not that local (normalisation layers, huge receptive fields) the ramps
  cross-fade neighbouring tiles so no seam can show.
* The last tile on each axis is moved back to end at the padded border; the weighted sum
  (``out += w * pred``, ``wsum += w``, then ``out /= wsum``) makes any overlap blend correctly,
  including the mixed tile sizes left behind when out-of-memory halving re-plans a region.
"""

from __future__ import annotations

import math
import os
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import psutil

from engine.errors import OutOfMemory
from engine.events import CancelToken, Progress, ProgressFn, no_progress

PredictFn = Callable[[np.ndarray], np.ndarray]

# Share of the free memory one tile's working set may use when the tile size is automatic.
_MEMORY_FRACTION = 0.25
_OOM_CLASS_NAMES = {"ResourceExhaustedError", "OutOfMemoryError"}
_OOM_MESSAGE = re.compile(r"(?i:out of memory|out_of_memory|resource_exhausted)|\bOOM\b")


@dataclass(frozen=True)
class TileSpec:
    """One tile: top-left corner in the padded input and its side, in input pixels.

    Padded coordinates are image coordinates shifted by ``overlap``: padded ``(0, 0)`` is image
    pixel ``(-overlap, -overlap)``.
    """

    y: int
    x: int
    size: int


@dataclass(frozen=True)
class TilePlan:
    """Fixed-shape tiles covering an image.

    Attributes:
        tile: the one tile side ``T`` used by every tile (a multiple of ``multiple``).
        overlap: context (and blend) band width in input pixels.
        padded_height, padded_width: extent of the (virtual) padded image the tiles lie in;
            at least the image plus ``overlap`` on each side, and at least ``T``.
        tiles: row-major tile positions, all of side ``T``.
    """

    tile: int
    overlap: int
    padded_height: int
    padded_width: int
    tiles: tuple[TileSpec, ...]


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def smallest_tile(overlap: int, multiple: int = 1) -> int:
    """The smallest tile side that still leaves a useful stride (``>= overlap``) between tiles.

    Tiles step ``T - 3 * overlap`` apart, so ``T`` is kept at least ``4 * overlap``.
    """
    return _round_up(max(4 * overlap, 1), multiple)


def axis_positions(length: int, tile: int, overlap: int) -> list[int]:
    """Tile starts (padded coordinates) along one axis of ``length`` image pixels.

    The tiles' cores cover padded ``[overlap, overlap + length)``; the last tile ends at
    ``max(length + 2 * overlap, tile)``.
    """
    extent = max(length + 2 * overlap, tile)
    last = extent - tile
    if last <= 0:
        return [0]  # one tile covers the axis: no stride needed, however small the tile
    stride = tile - 3 * overlap if overlap else tile
    if stride < 1:
        raise ValueError(f"tile {tile} is too small for overlap {overlap}")
    starts = list(range(0, last, stride))
    return starts + [last]


def plan_tiles(height: int, width: int, tile: int, overlap: int, multiple: int = 1) -> TilePlan:
    """Plan fixed-shape tiles covering a ``height x width`` image.

    Args:
        height, width: image size in input pixels (>= 1).
        tile: requested tile side; raised to ``smallest_tile(overlap, multiple)`` if below it,
            rounded up to ``multiple``, and shrunk for small images to the padded image size
            (rounded up to ``multiple``) so one tile covers them.
        overlap: context band in input pixels (>= 0), at least the model's receptive-field
            radius for exact results.
        multiple: the model's size multiple; the tile side is always a multiple of it.

    Returns:
        A ``TilePlan`` whose tiles all have side ``plan.tile``.
    """
    if height < 1 or width < 1:
        raise ValueError(f"cannot tile an empty image ({height}x{width})")
    if tile < 1 or overlap < 0 or multiple < 1:
        raise ValueError(f"bad tiling arguments tile={tile} overlap={overlap} multiple={multiple}")
    side = _round_up(max(tile, smallest_tile(overlap, multiple)), multiple)
    side = min(side, _round_up(max(height, width) + 2 * overlap, multiple))
    rows = axis_positions(height, side, overlap)
    cols = axis_positions(width, side, overlap)
    return TilePlan(
        tile=side,
        overlap=overlap,
        padded_height=max(height + 2 * overlap, side),
        padded_width=max(width + 2 * overlap, side),
        tiles=tuple(TileSpec(y, x, side) for y in rows for x in cols),
    )


def auto_tile_size(
    bytes_per_pixel: float,
    free_bytes: int | None = None,
    multiple: int = 1,
    lo: int = 64,
    hi: int = 2048,
) -> int:
    """A tile side whose working set fits in a quarter of the free memory.

    Args:
        bytes_per_pixel: working-set bytes per *input* tile pixel (inputs, activations,
            outputs, blending temporaries), as estimated by the caller.
        free_bytes: memory available to the work; ``None`` reads the free system RAM (GPU
            backends pass the free device memory).
        multiple: the result is a multiple of this.
        lo, hi: bounds on the result (``lo`` wins when memory is very short; out-of-memory
            halving takes over from there).
    """
    if bytes_per_pixel <= 0:
        raise ValueError(f"bytes_per_pixel must be positive, got {bytes_per_pixel}")
    if free_bytes is None:
        free_bytes = free_memory()
    side = int(math.sqrt(max(free_bytes, 0) * _MEMORY_FRACTION / bytes_per_pixel))
    side = min(max(side, lo), hi)
    return max(side // multiple * multiple, _round_up(lo, multiple))


def free_memory() -> int:
    """Free system RAM in bytes, capped by ``PHOTOGAN_MEMORY_BUDGET`` when set.

    A cluster worker sets the cap to its own share of the node, so workers sharing a node
    do not each plan tiles for all of its memory.
    """
    free = int(psutil.virtual_memory().available)
    budget = os.environ.get("PHOTOGAN_MEMORY_BUDGET", "")
    return min(free, int(budget)) if budget.isdigit() else free


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


def reflect_indices(indices: np.ndarray, size: int) -> np.ndarray:
    """Map any integer coordinates into ``[0, size)`` by mirroring without repeating the edge.

    Matches ``np.pad(mode="reflect")`` (OpenCV ``BORDER_REFLECT_101``) for any pad width.
    """
    if size == 1:
        return np.zeros_like(indices)
    period = 2 * (size - 1)
    folded = np.mod(indices, period)
    return np.where(folded >= size, period - folded, folded)


def _axis_selector(start: int, size: int, length: int) -> slice | np.ndarray:
    if start >= 0 and start + size <= length:
        return slice(start, start + size)
    return reflect_indices(np.arange(start, start + size), length)


def gather(pixels: np.ndarray, top: int, left: int, height: int, width: int) -> np.ndarray:
    """A ``(height, width, C)`` window of ``pixels`` at image ``(top, left)``, reflect-padded.

    The window may reach outside the image on any side; only the window is copied.
    """
    rows = _axis_selector(top, height, pixels.shape[0])
    cols = _axis_selector(left, width, pixels.shape[1])
    if isinstance(rows, np.ndarray) and isinstance(cols, np.ndarray):
        return pixels[np.ix_(rows, cols)]
    return pixels[rows, cols]


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


def split_tile(spec: TileSpec, size: int, overlap: int, height: int, width: int) -> list[TileSpec]:
    """Re-plan one tile's share of the image with smaller tiles of side ``size``.

    The new tiles' cores cover the part of ``spec``'s core that lies inside the image.
    """
    core = spec.size - 2 * overlap
    top, bottom = max(spec.y, 0), min(spec.y + core, height)
    left, right = max(spec.x, 0), min(spec.x + core, width)
    rows = axis_positions(bottom - top, size, overlap)
    cols = axis_positions(right - left, size, overlap)
    return [TileSpec(top + y, left + x, size) for y in rows for x in cols]


def halved_tile(size: int, floor: int, multiple: int, cause: BaseException) -> int:
    """The next tile side after running out of memory at ``size``.

    Raises:
        OutOfMemory: when halving would go below ``floor``.
    """
    half = size // 2 // multiple * multiple
    if half < floor:
        raise OutOfMemory(
            f"Ran out of memory even with {size}-pixel tiles; try a smaller --tile, "
            "close other programs, or run on the CPU (--device cpu)."
        ) from cause
    return half


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


def _blend(canvas: _Canvas, spec: TileSpec, pred: np.ndarray, weights: np.ndarray) -> None:
    """Add one tile's output (``(S, S, C)``, ``S = size * scale``) into the canvas.

    Only the tile's core is touched (its context has zero weight), clipped to the image.
    """
    s, band = canvas.scale, canvas.overlap * canvas.scale
    side = spec.size * s
    # Tile output pixel i lands on output pixel origin + i, origin from padded -> image coords.
    oy, ox = (spec.y - canvas.overlap) * s, (spec.x - canvas.overlap) * s
    y0, y1 = max(oy + band, 0), min(oy + side - band, canvas.out.shape[0])
    x0, x1 = max(ox + band, 0), min(ox + side - band, canvas.out.shape[1])
    if y0 >= y1 or x0 >= x1:
        return
    w = np.outer(weights[y0 - oy : y1 - oy], weights[x0 - ox : x1 - ox])
    canvas.out[y0:y1, x0:x1] += pred[y0 - oy : y1 - oy, x0 - ox : x1 - ox] * w[:, :, None]
    canvas.wsum[y0:y1, x0:x1] += w


def _fill_batch(
    pixels: np.ndarray, specs: list[TileSpec], overlap: int, buffer: np.ndarray
) -> np.ndarray:
    """Gather ``specs`` into ``buffer`` (``(batch, T, T, C)``); unused slots are zeroed."""
    for i, spec in enumerate(specs):
        buffer[i] = gather(pixels, spec.y - overlap, spec.x - overlap, spec.size, spec.size)
    buffer[len(specs) :] = 0.0
    return buffer


def _checked_prediction(pred: np.ndarray, count: int, side: int) -> np.ndarray:
    pred = np.asarray(pred, dtype=np.float32)
    if pred.ndim != 4 or pred.shape[0] < count or pred.shape[1:3] != (side, side):
        raise ValueError(
            f"predict returned shape {pred.shape}; expected ({count}, {side}, {side}, C)"
        )
    return pred


def _take(queue: deque[TileSpec], count: int) -> list[TileSpec]:
    return [queue.popleft() for _ in range(min(count, len(queue)))]


def _replan(
    pending: Iterable[TileSpec], size: int, overlap: int, height: int, width: int
) -> deque[TileSpec]:
    out: deque[TileSpec] = deque()
    for spec in pending:
        out.extend(split_tile(spec, size, overlap, height, width))
    return out


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
    """Run ``predict`` over fixed-shape tiles of ``pixels`` and blend the outputs.

    Args:
        predict: ``(N, T, T, C)`` float32 -> ``(N, T * scale, T * scale, C_out)``; called with
            exactly ``batch`` tiles each time (a short last batch is padded with zero tiles)
            and one ``T`` per image, except after out-of-memory halving.
        pixels: ``(H, W, C)`` float array in whatever range ``predict`` expects.
        scale: integer output/input size ratio of ``predict``.
        tile: requested tile side in input pixels (see ``plan_tiles``).
        overlap: context in input pixels; at least the receptive-field radius for exact output.
        multiple: ``T`` is a multiple of this (models with down/up-sampling stages).
        batch: tiles per ``predict`` call.
        progress: gets ``Progress(stage="tiles", done, total, item=item)`` after each call;
            ``done`` counts tiles, and ``total`` grows when out-of-memory halving re-plans the
            remaining tiles.
        cancel: checked before each call.
        item: batch item index passed back in progress events.
        min_tile: out-of-memory halving never goes below this (nor below ``4 * overlap``).

    Returns:
        ``(H * scale, W * scale, C_out)`` float32.

    Raises:
        Cancelled: when ``cancel`` is set.
        OutOfMemory: when ``predict`` runs out of memory even at the smallest tile.
    """
    if scale < 1 or int(scale) != scale or batch < 1 or pixels.ndim != 3:
        raise ValueError(f"bad arguments: scale={scale} batch={batch} pixels {pixels.shape}")
    scale = int(scale)
    height, width, channels = pixels.shape
    plan = plan_tiles(height, width, tile, overlap, multiple)
    floor = max(_round_up(min_tile, multiple), smallest_tile(overlap, multiple))
    queue, size, done = deque(plan.tiles), plan.tile, 0
    canvas: _Canvas | None = None
    buffer = np.empty((batch, size, size, channels), np.float32)
    while queue:
        specs = _take(queue, batch)
        if cancel is not None:
            cancel.check()
        try:
            pred = _checked_prediction(
                predict(_fill_batch(pixels, specs, overlap, buffer)), len(specs), size * scale
            )
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            size = halved_tile(size, floor, multiple, exc)
            queue = _replan([*specs, *queue], size, overlap, height, width)
            buffer = np.empty((batch, size, size, channels), np.float32)
            continue
        if canvas is None:
            canvas = _new_canvas(height, width, pred.shape[3], scale, overlap)
        weights = feather_weights(size * scale, overlap * scale)
        for spec, tile_out in zip(specs, pred):
            _blend(canvas, spec, tile_out, weights)
        done += len(specs)
        progress(Progress(stage="tiles", done=done, total=done + len(queue), item=item))
    assert canvas is not None  # every plan has at least one tile
    np.divide(canvas.out, canvas.wsum[:, :, None], out=canvas.out)
    return canvas.out
