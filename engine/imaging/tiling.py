"""Tiled processing, the one path every task takes: plan (``tile_plan``), size from memory
(``tile_policy``), predict, blend and halve on out-of-memory (``tile_run``), and the alpha
plane (here). This module is the front: tasks import from it.

A task declares a ``TilingPolicy``; ``process_image`` plans tiles as large as the memory
budget allows, shaped to fit the photo, runs ``predict`` over them (several per call when the
budget holds more than one), blends the overlaps with a feathered window and clips. Alpha is
kept as is at scale 1 and Lanczos-resized with the same tiling otherwise.
"""

from __future__ import annotations

import numpy as np

from engine.imaging.image import Image
from engine.imaging.resample import CLASSICAL, resize_alpha
from engine.imaging.tile_plan import (
    TilePlan,
    TileSpec,
    axis_positions,
    gather,
    photo_pixel_share,
    plan_fit,
    plan_tiles,
    reflect_indices,
    smallest_tile,
    split_tile,
)
from engine.imaging.tile_policy import (
    TilingPolicy,
    array_bytes,
    auto_tile_size,
    free_memory,
    plan_for,
    round_down_side,
    working_budget,
)
from engine.imaging.tile_run import (
    PredictFn,
    TileFn,
    TileRun,
    feather_weights,
    halved_tile,
    is_out_of_memory,
    per_tile,
    run_plan,
    run_tiled,
)

__all__ = [
    "CLASSICAL", "PredictFn", "TileFn", "TilePlan", "TileRun", "TileSpec", "TilingPolicy",
    "array_bytes", "auto_tile_size", "axis_positions", "feather_weights", "free_memory", "gather",
    "halved_tile", "is_out_of_memory", "per_tile", "photo_pixel_share", "plan_fit", "plan_for",
    "plan_tiles", "process_image", "reflect_indices", "round_down_side", "run_plan",
    "run_tiled", "scaled_alpha", "smallest_tile", "split_tile", "working_budget",
]


def process_image(image: Image, predict: PredictFn, policy: TilingPolicy, run: TileRun, *,
                  scale: int = 1) -> Image:
    """Run ``predict`` over ``image.pixels`` tile by tile and return the new ``Image``.

    Args:
        image: the input; its pixels ``(H, W, 3)`` float32 in ``[0, 1]`` are fed to
            ``predict`` as is.
        predict: ``(N, T_h, T_w, 3)`` -> ``(N, T_h * scale, T_w * scale, 3)``, output in
            ``[0, 1]`` (values outside are clipped).
        policy: the task's tiling policy (overlap, size multiple, tile cap, working set).
        run: the user's tile size (0 = from memory), progress, cancel token and item index
            (a ``RunContext`` will do).
        scale: integer output/input size ratio.

    Returns:
        A copy of ``image`` with pixels ``(H * scale, W * scale, 3)`` float32 in ``[0, 1]``;
        alpha is kept when ``scale`` is 1, else Lanczos-resized with the same tiling.
    """
    plan = plan_for(image.height, image.width, policy, tile=run.tile, scale=scale)
    pixels = run_plan(predict, image.pixels, plan, scale=scale, multiple=policy.multiple,
                      progress=run.progress, cancel=run.cancel, item=run.item)
    np.clip(pixels, 0.0, 1.0, out=pixels)
    return image.with_pixels(pixels, scaled_alpha(image, pixels.shape[0], pixels.shape[1], run))


def scaled_alpha(image: Image, height: int, width: int, run: TileRun) -> np.ndarray | None:
    """``image``'s alpha brought to ``height x width`` (unchanged when the size is the same;
    ``None`` when there is none)."""
    alpha = image.alpha
    if alpha is None or alpha.shape[:2] == (height, width):
        return alpha
    return resize_alpha(alpha, height, width, run)
