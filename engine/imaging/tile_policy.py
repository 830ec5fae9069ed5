"""What a task tells tiling (``TilingPolicy``) and how big tiles may be (memory sizing).

A task declares its policy: the context its operation needs (``overlap``), the tile side
multiple its model needs, an optional cap on the tile side, and the working set per tile
pixel. ``plan_for`` turns that and the memory budget into a ``TilePlan``: tiles as large as
the budget allows (each shaped to fit the photo, ``tile_plan.plan_fit``), and several per
model call when the budget holds more than one.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace

import psutil

from engine.imaging.tile_plan import TilePlan, plan_fit, plan_tiles, round_up

# Share of the free memory one call's working set may use when the tile size is automatic.
MEMORY_FRACTION = 0.25
# ... and at most this many bytes, or as much as the full-size arrays the task holds anyway
# (input, output and blend weights) if that is more: past ~1.5 megapixels per call bigger
# tiles save little (docs/BENCHMARKS.md), and a 24-megapixel photo through deblur stays under
# 3 GB of peak RSS; a 4x upscale, whose output alone is 16x the photo, may use more.
MAX_WORKING_SET = 1536 * 1024 * 1024


@dataclass(frozen=True)
class TilingPolicy:
    """How a task's operation is tiled.

    Attributes:
        overlap: context in input pixels each tile gets on every side; at least the
            operation's receptive-field radius for exact results (blend ramps as wide again).
        multiple: tile sides are multiples of this (the model's size multiple).
        max_tile: a cap on either tile side, or ``None`` to let memory decide.
        bytes_per_pixel: working-set bytes per input tile pixel of one call (inputs,
            activations, outputs, blending temporaries; for a model with output scale ``s``
            the activations at ``s x`` the input size are included).
        max_batch: the most tiles per model call.
    """

    overlap: int = 16
    multiple: int = 1
    max_tile: int | None = None
    bytes_per_pixel: float = 72.0
    max_batch: int = 8

    def __post_init__(self) -> None:
        if self.overlap < 0 or self.multiple < 1 or self.bytes_per_pixel <= 0 or (
                self.max_tile is not None and self.max_tile < 1) or self.max_batch < 1:
            raise ValueError(f"bad tiling policy {self}")

    def with_model(self, multiple: int, bytes_per_pixel: float | None = None) -> TilingPolicy:
        """This policy for a model with size ``multiple`` (and its own working set)."""
        return replace(self, multiple=max(1, int(multiple)),
                       bytes_per_pixel=bytes_per_pixel or self.bytes_per_pixel)


def free_memory() -> int:
    """Free system RAM in bytes, capped by ``PHOTOGAN_MEMORY_BUDGET`` when set.

    A cluster worker sets the cap to its own share of the node, so workers sharing a node
    do not each plan tiles for all of its memory.
    """
    free = int(psutil.virtual_memory().available)
    budget = os.environ.get("PHOTOGAN_MEMORY_BUDGET", "")
    return min(free, int(budget)) if budget.isdigit() else free


def working_budget(free_bytes: int | None = None, array_bytes: int = 0) -> float:
    """Bytes one model call may use: ``MEMORY_FRACTION`` of ``free_bytes`` (default: the free
    memory), at most ``MAX_WORKING_SET`` or ``array_bytes`` (the task's full-size arrays),
    whichever is larger."""
    free = free_memory() if free_bytes is None else free_bytes
    return min(max(free, 0) * MEMORY_FRACTION, max(MAX_WORKING_SET, array_bytes))


def array_bytes(height: int, width: int, scale: int = 1, channels: int = 3) -> int:
    """Bytes of the full-size float32 arrays a tiled run holds: the input, the output and its
    blend-weight plane."""
    return 4 * height * width * (channels + scale * scale * (channels + 1))


def auto_tile_size(
    bytes_per_pixel: float,
    free_bytes: int | None = None,
    multiple: int = 1,
    lo: int = 64,
    hi: int = 2048,
) -> int:
    """A square tile side whose working set fits in a quarter of the free memory.

    Args:
        bytes_per_pixel: working-set bytes per *input* tile pixel.
        free_bytes: memory available to the work; ``None`` reads the free system RAM.
        multiple: the result is a multiple of this.
        lo, hi: bounds on the result (``lo`` wins when memory is very short; out-of-memory
            halving takes over from there).
    """
    if bytes_per_pixel <= 0:
        raise ValueError(f"bytes_per_pixel must be positive, got {bytes_per_pixel}")
    if free_bytes is None:
        free_bytes = free_memory()
    side = int(math.sqrt(max(free_bytes, 0) * MEMORY_FRACTION / bytes_per_pixel))
    side = min(max(side, lo), hi)
    return max(side // multiple * multiple, round_up(lo, multiple))


def round_down_side(policy: TilingPolicy, cap: int, free_bytes: int | None = None) -> int:
    """The side of the largest square tile the memory budget holds under ``policy`` (at most
    ``cap``, a multiple of ``policy.multiple``, at least ``policy.multiple``)."""
    side = min(int(math.sqrt(working_budget(free_bytes) / policy.bytes_per_pixel)), cap)
    return max(side // policy.multiple * policy.multiple, policy.multiple)


def plan_for(height: int, width: int, policy: TilingPolicy, *, tile: int = 0,
             scale: int = 1, free_bytes: int | None = None) -> TilePlan:
    """The tile plan for a ``height x width`` image under ``policy``.

    Args:
        tile: a tile side the user asked for (square tiles of that side, one per call), or 0
            to size tiles from the memory budget (``working_budget``).
        scale: the output/input size ratio (the output arrays count in the budget).
        free_bytes: memory available (``None``: the free system memory).

    Returns:
        With ``tile``: ``plan_tiles``. Otherwise ``plan_fit`` with
        ``working_budget / bytes_per_pixel`` tile pixels per call, sides capped by
        ``policy.max_tile``, up to ``policy.max_batch`` tiles per call.
    """
    if tile:
        return plan_tiles(height, width, int(tile), policy.overlap, policy.multiple)
    budget = working_budget(free_bytes, array_bytes(height, width, scale))
    pixels = budget / policy.bytes_per_pixel
    return plan_fit(height, width, pixels, policy.overlap, policy.multiple,
                    max_side=policy.max_tile, max_batch=policy.max_batch)
