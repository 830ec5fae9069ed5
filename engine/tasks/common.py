"""Helpers shared by tasks: tile sizing, tiled processing with alpha handled, Lanczos resizing.

Classical tasks and model-backed tasks go through the same path: a ``predict`` function over
batches of tiles, run by ``engine.imaging.tiling.run_tiled``. Callers convert value ranges
themselves (``color.to_model`` / ``color.from_model`` inside their ``predict``).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from engine.events import TileProgress, no_progress
from engine.imaging.image import Image
from engine.imaging.tiling import PredictFn, auto_tile_size, gather, plan_tiles, run_tiled
from engine.tasks.registry import RunContext

TileFn = Callable[[np.ndarray], np.ndarray]

# Classical (CPU, OpenCV) operations gain nothing from tiles bigger than this, and smaller
# tiles keep the working set well below the size of the image arrays.
CLASSICAL_MAX_TILE = 1024
# Rough working set per input pixel of a 3-channel float32 classical op: the batch buffer,
# the op's temporaries, its output and the weighted copy made while blending.
CLASSICAL_BYTES_PER_PIXEL = 6 * 3 * 4
# Lanczos-4 reads 4 input pixels either side; twice that also leaves a blend band.
LANCZOS_OVERLAP = 8


def tile_size(
    ctx: RunContext, bytes_per_pixel: float, multiple: int = 1, max_tile: int = 2048
) -> int:
    """The tile side to use: the user's ``ctx.tile``, or one sized from free memory when 0."""
    if ctx.tile:
        return int(ctx.tile)
    return auto_tile_size(bytes_per_pixel, multiple=multiple, hi=max_tile)


def per_tile(fn: TileFn) -> PredictFn:
    """Lift ``fn`` on one tile (``(T, T, C)`` -> ``(T * s, T * s, C')``) to a batch predict."""

    def predict(batch: np.ndarray) -> np.ndarray:
        return np.stack([fn(tile) for tile in batch])

    return predict


def process_tiled(
    image: Image,
    predict: PredictFn,
    ctx: RunContext,
    *,
    scale: int = 1,
    overlap: int = 16,
    multiple: int = 1,
    batch: int = 1,
    bytes_per_pixel: float = CLASSICAL_BYTES_PER_PIXEL,
    max_tile: int = CLASSICAL_MAX_TILE,
) -> Image:
    """Run ``predict`` over ``image.pixels`` tile by tile and return the new ``Image``.

    Args:
        image: the input; its pixels ``(H, W, 3)`` float32 in ``[0, 1]`` are fed to
            ``predict`` as is.
        predict: ``(N, T, T, 3)`` -> ``(N, T * scale, T * scale, 3)``, output in ``[0, 1]``
            (values outside are clipped).
        ctx: supplies the tile size (0 = automatic), progress, cancel token and item index.
        scale: integer output/input size ratio.
        overlap: context in input pixels, at least ``predict``'s receptive-field radius.
        multiple: ``predict``'s tile size multiple.
        batch: tiles per ``predict`` call.
        bytes_per_pixel, max_tile: for the automatic tile size.

    Returns:
        A copy of ``image`` with pixels ``(H * scale, W * scale, 3)`` float32 in ``[0, 1]``;
        alpha is kept when ``scale`` is 1, else Lanczos-resized with the same tiling.
    """
    pixels = run_tiled(
        predict,
        image.pixels,
        scale=scale,
        tile=tile_size(ctx, bytes_per_pixel, multiple, max_tile),
        overlap=overlap,
        multiple=multiple,
        batch=batch,
        progress=ctx.progress,
        cancel=ctx.cancel,
        item=ctx.item,
    )
    np.clip(pixels, 0.0, 1.0, out=pixels)
    alpha = image.alpha
    if alpha is not None and scale != 1:
        alpha = resize_alpha(alpha, pixels.shape[0], pixels.shape[1], ctx)
    return image.with_pixels(pixels, alpha)


def resize_alpha(alpha: np.ndarray, height: int, width: int, ctx: RunContext) -> np.ndarray:
    """Lanczos-resize an ``(H, W)`` alpha plane to ``(height, width)``, clipped to ``[0, 1]``.

    Tiled like the pixels; it reports no progress of its own (the pixels' pass does).
    """
    quiet = RunContext(no_progress, ctx.cancel, ctx.tile, ctx.device, ctx.item)
    out = lanczos_resize(alpha[:, :, None], height, width, quiet)[:, :, 0]
    return np.clip(out, 0.0, 1.0, out=out)


def lanczos_resize(pixels: np.ndarray, height: int, width: int, ctx: RunContext) -> np.ndarray:
    """Resize ``(H, W, C)`` float32 to ``(height, width, C)`` with a Lanczos-4 kernel, tiled.

    * Same integer factor on both axes: ``run_tiled`` with ``cv2.resize(INTER_LANCZOS4)`` on
      each tile. Output pixel ``j`` samples input ``(j + 0.5) / k - 0.5`` in every tile, so
      tiles agree with one whole-image ``cv2.resize`` exactly, except within 4 input pixels of
      the image border (we mirror the border, OpenCV repeats the edge pixel).
    * Any other size: output-space tiles, each computed directly from the global sampling
      positions (``lanczos_taps``), so tiles need no overlap and agree exactly. Upscaling uses
      OpenCV's 8-tap kernel; downscaling stretches the kernel by the reduction factor so
      detail finer than the new pixel grid is filtered out instead of aliasing into moire.

    Values are not clipped (Lanczos overshoots slightly at hard edges).
    """
    in_h, in_w = pixels.shape[:2]
    factor = height // in_h
    if height == in_h * factor and width == in_w * factor and factor >= 1:
        return run_tiled(
            per_tile(_cv2_upscaler(factor)),
            pixels,
            scale=factor,
            tile=tile_size(ctx, CLASSICAL_BYTES_PER_PIXEL * factor * factor, 1, CLASSICAL_MAX_TILE),
            overlap=LANCZOS_OVERLAP,
            progress=ctx.progress,
            cancel=ctx.cancel,
            item=ctx.item,
        )
    return _resample_tiled(pixels, height, width, ctx)


def _cv2_upscaler(factor: int) -> TileFn:
    def upscale(tile: np.ndarray) -> np.ndarray:
        side = tile.shape[0] * factor
        out = cv2.resize(tile, (side, side), interpolation=cv2.INTER_LANCZOS4)
        return out.reshape(side, side, tile.shape[2])

    return upscale


def lanczos_taps(in_size: int, out_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Input indices and weights of a Lanczos-4 resample along one axis.

    Output pixel ``j`` samples input position ``(j + 0.5) * in_size / out_size - 0.5`` (the
    OpenCV convention). When shrinking, the kernel is stretched by ``in_size / out_size``.

    Returns:
        ``(indices, weights)``, both ``(out_size, K)``: int64 input indices (may fall outside
        ``[0, in_size)``; callers mirror them) and float32 weights summing to 1 per row.
    """
    ratio = in_size / out_size
    stretch = max(ratio, 1.0)
    radius = 4.0 * stretch
    centers = (np.arange(out_size) + 0.5) * ratio - 0.5
    first = np.floor(centers - radius).astype(np.int64) + 1
    indices = first[:, None] + np.arange(int(np.ceil(2 * radius)) + 1)
    distance = (centers[:, None] - indices) / stretch
    weights = np.sinc(distance) * np.sinc(distance / 4.0)
    weights[np.abs(distance) >= 4.0] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    return indices, weights.astype(np.float32)


def _resample_tiled(pixels: np.ndarray, height: int, width: int, ctx: RunContext) -> np.ndarray:
    """Lanczos resample in output-space tiles; see ``lanczos_resize``."""
    rows, cols = lanczos_taps(pixels.shape[0], height), lanczos_taps(pixels.shape[1], width)
    plan = plan_tiles(height, width, tile_size(ctx, CLASSICAL_BYTES_PER_PIXEL), 0)
    out = np.empty((height, width, pixels.shape[2]), np.float32)
    for done, spec in enumerate(plan.tiles, start=1):
        ctx.cancel.check()
        y0, y1 = spec.y, min(spec.y + spec.size, height)
        x0, x1 = spec.x, min(spec.x + spec.size, width)
        out[y0:y1, x0:x1] = _resample_block(
            pixels, (rows[0][y0:y1], rows[1][y0:y1]), (cols[0][x0:x1], cols[1][x0:x1])
        )
        ctx.progress(TileProgress(done=done, total=len(plan.tiles), item=ctx.item))
    return out


def _resample_block(
    pixels: np.ndarray, rows: tuple[np.ndarray, np.ndarray], cols: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """One output block from its row and column taps (``lanczos_taps`` slices)."""
    row_idx, row_w = rows
    col_idx, col_w = cols
    top, left = int(row_idx.min()), int(col_idx.min())
    window = gather(
        pixels, top, left, int(row_idx.max()) + 1 - top, int(col_idx.max()) + 1 - left
    ).astype(np.float32, copy=False)
    row_idx, col_idx = row_idx - top, col_idx - left
    tall = np.zeros((len(row_idx), window.shape[1], window.shape[2]), np.float32)
    for k in range(row_idx.shape[1]):
        tall += row_w[:, k, None, None] * window[row_idx[:, k]]
    block = np.zeros((len(row_idx), len(col_idx), window.shape[2]), np.float32)
    for k in range(col_idx.shape[1]):
        block += col_w[None, :, k, None] * tall[:, col_idx[:, k]]
    return block
