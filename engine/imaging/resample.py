"""Resampling: whole-array resizes (``resize_to``, ``resize_area``) for previews, training and
evaluation, and the tiled Lanczos resize tasks use on full-size photos (``lanczos_resize``).

The only module that resizes images; tiled resizes go through the tiling modules like
every other operation.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np

from engine.events import TileProgress
from engine.imaging.tile_plan import gather
from engine.imaging.tile_policy import TilingPolicy, plan_for
from engine.imaging.tile_run import TileFn, TileRun, per_tile, run_plan

# Lanczos-4 reads 4 input pixels either side; twice that also leaves a blend band.
LANCZOS_OVERLAP = 8
# Classical (CPU, OpenCV) operations: tiles up to 1024 pixels, a working set per input pixel
# of a 3-channel float32 op (the batch buffer, the op's temporaries, its output and the
# weighted copy made while blending).
CLASSICAL = TilingPolicy(overlap=LANCZOS_OVERLAP, max_tile=1024, bytes_per_pixel=6 * 3 * 4,
                         max_batch=1)


def resize_to(pixels: np.ndarray, width: int, height: int, method: str = "lanczos") -> np.ndarray:
    """Resize ``(H, W, C)`` or ``(H, W)`` float32 to ``(height, width[, C])``.

    ``method``: ``lanczos``, ``bicubic``, ``area``, ``linear`` or ``nearest``. Values are not
    clipped (Lanczos and bicubic overshoot slightly; callers clip when writing).
    """
    flags = {
        "lanczos": cv2.INTER_LANCZOS4,
        "bicubic": cv2.INTER_CUBIC,
        "area": cv2.INTER_AREA,
        "linear": cv2.INTER_LINEAR,
        "nearest": cv2.INTER_NEAREST,
    }
    if method not in flags:
        raise ValueError(f"unknown resize method {method!r}; expected one of {sorted(flags)}")
    out = cv2.resize(pixels, (int(width), int(height)), interpolation=flags[method])
    if pixels.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def resize_area(pixels: np.ndarray, factor: float) -> np.ndarray:
    """Downscale by ``factor`` (< 1) with area averaging (no aliasing), for previews."""
    height, width = pixels.shape[:2]
    return resize_to(pixels, max(1, round(width * factor)), max(1, round(height * factor)), "area")


def resize_alpha(alpha: np.ndarray, height: int, width: int, run: TileRun) -> np.ndarray:
    """Lanczos-resize an ``(H, W)`` alpha plane to ``(height, width)``, clipped to ``[0, 1]``.

    Tiled like the pixels; it reports no progress of its own (the pixels' pass does).
    """
    out = lanczos_resize(alpha[:, :, None], height, width, TileRun.quiet(run))[:, :, 0]
    return np.clip(out, 0.0, 1.0, out=out)


def lanczos_resize(pixels: np.ndarray, height: int, width: int, run: TileRun) -> np.ndarray:
    """Resize ``(H, W, C)`` float32 to ``(height, width, C)`` with a Lanczos-4 kernel, tiled.

    * Same integer factor on both axes: ``run_plan`` with ``cv2.resize(INTER_LANCZOS4)`` on
      each tile. Output pixel ``j`` samples input ``(j + 0.5) / k - 0.5`` in every tile, so
      tiles agree with one whole-image ``cv2.resize`` exactly, except within 4 input pixels of
      the image border (we mirror the border, OpenCV repeats the edge pixel).
    * Any other size: output-space tiles, each computed directly from the global sampling
      positions (``lanczos_taps``), so tiles need no overlap and agree exactly. Upscaling uses
      OpenCV's 8-tap kernel; downscaling stretches the kernel by the reduction factor so
      detail finer than the new pixel grid is filtered out instead of aliasing into moire.

    ``run`` gives the tile size (0: from memory), progress, cancel token and item index.
    Values are not clipped (Lanczos overshoots slightly at hard edges).
    """
    in_h, in_w = pixels.shape[:2]
    factor = height // in_h
    if height == in_h * factor and width == in_w * factor and factor >= 1:
        policy = replace(CLASSICAL, bytes_per_pixel=CLASSICAL.bytes_per_pixel * factor**2)
        plan = plan_for(in_h, in_w, policy, tile=run.tile)
        return run_plan(per_tile(_cv2_upscaler(factor)), pixels, plan, scale=factor,
                        progress=run.progress, cancel=run.cancel, item=run.item)
    return _resample_tiled(pixels, height, width, run)


def _cv2_upscaler(factor: int) -> TileFn:
    def upscale(tile: np.ndarray) -> np.ndarray:
        tall, wide = tile.shape[0] * factor, tile.shape[1] * factor
        out = cv2.resize(tile, (wide, tall), interpolation=cv2.INTER_LANCZOS4)
        return out.reshape(tall, wide, tile.shape[2])

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


def _resample_tiled(pixels: np.ndarray, height: int, width: int, run: TileRun) -> np.ndarray:
    """Lanczos resample in output-space tiles; see ``lanczos_resize``."""
    rows, cols = lanczos_taps(pixels.shape[0], height), lanczos_taps(pixels.shape[1], width)
    policy = replace(CLASSICAL, overlap=0)
    plan = plan_for(height, width, policy, tile=run.tile)
    out = np.empty((height, width, pixels.shape[2]), np.float32)
    for done, spec in enumerate(plan.tiles, start=1):
        if run.cancel is not None:
            run.cancel.check()
        y0, y1 = spec.y, min(spec.y + spec.height, height)
        x0, x1 = spec.x, min(spec.x + spec.width, width)
        out[y0:y1, x0:x1] = _resample_block(
            pixels, (rows[0][y0:y1], rows[1][y0:y1]), (cols[0][x0:x1], cols[1][x0:x1])
        )
        run.progress(TileProgress(done=done, total=len(plan.tiles), item=run.item))
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
