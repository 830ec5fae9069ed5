"""Tiles of the model's own canvas, for models that normalise over the whole image.

``tiling.run_tiled`` mirrors ``overlap`` pixels of context around the photo and tiles that, which
is exact for local models but not for instance-norm generators: their statistics and border
handling see the mirrored context. Here the canvas is what the model would get in one pass
(the photo reflect-padded at the bottom and right to the size multiple, nothing else), and
tiles lie inside it:

* Per axis, tiles of side ``T`` (``min(T, canvas)``, then shrunk to the smallest side that
  needs no more tiles, so less of the photo is fed twice) start at multiples of the size
  multiple (so strided layers see the same sampling grid as in one pass), ``T - 3 * overlap``
  apart (rounded down to the multiple), the last one ending at the canvas edge.
* A tile edge on the canvas border keeps full weight up to the border (the model pads there
  exactly as in one pass); an interior edge has ``overlap`` of zero-weight context, then an
  ``overlap`` linear ramp. Weights are divided by their sum over the tiles, so at every pixel
  they add up to one: they blend outputs and weigh the per-tile sums of the statistics pass.

Pure numpy; the canvas is never materialised (tiles are gathered from the photo).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.imaging.tile_plan import gather


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


@dataclass(frozen=True)
class AxisPlan:
    """Tiles along one axis of the canvas.

    Attributes:
        starts: tile starts in canvas pixels (multiples of the size multiple).
        side: tile length (the same for every tile on this axis).
        weights: ``(len(starts), side)`` float32 blend weights, summing to one over the tiles
            at every canvas position.
    """

    starts: tuple[int, ...]
    side: int
    weights: np.ndarray


@dataclass(frozen=True)
class CanvasPlan:
    """Tiles of an ``height x width`` canvas (the photo padded to the size multiple)."""

    height: int
    width: int
    rows: AxisPlan
    cols: AxisPlan

    @property
    def count(self) -> int:
        return len(self.rows.starts) * len(self.cols.starts)

    @property
    def tile_shape(self) -> tuple[int, int]:
        return self.rows.side, self.cols.side

    def tiles(self):
        """Yield ``(row index, col index, top, left)`` row by row."""
        for i, top in enumerate(self.rows.starts):
            for j, left in enumerate(self.cols.starts):
                yield i, j, top, left

    def weights(self, i: int, j: int) -> np.ndarray:
        """``(T_h, T_w)`` blend weight of tile ``(i, j)``."""
        return np.outer(self.rows.weights[i], self.cols.weights[j])


def min_tile(overlap: int, multiple: int) -> int:
    """Smallest tile side that leaves a positive stride: ``3 * overlap + multiple``, rounded."""
    return round_up(3 * overlap + multiple, multiple)


def _ramp(side: int, overlap: int, before: bool, after: bool) -> np.ndarray:
    """Weight along one tile: zero context and a linear ramp at interior edges only."""
    w = np.ones(side, np.float64)
    if overlap:
        ramp = (np.arange(overlap) + 0.5) / overlap
        edge = np.concatenate([np.zeros(overlap), ramp])
        if before:
            w[: 2 * overlap] = edge
        if after:
            w[side - 2 * overlap :] = edge[::-1]
    return w


def _starts(length: int, side: int, overlap: int, multiple: int) -> list[int]:
    """Tile starts along an axis: multiples of ``multiple``, ``side - 3 * overlap`` apart
    (rounded down to the multiple), the last tile ending at the canvas edge."""
    stride = max((side - 3 * overlap) // multiple * multiple, multiple)
    return [*range(0, length - side, stride), length - side]


def plan_axis(length: int, tile: int, overlap: int, multiple: int) -> AxisPlan:
    """Tiles along a canvas axis of ``length`` (a multiple of ``multiple``)."""
    side = min(round_up(max(tile, min_tile(overlap, multiple)), multiple), length)
    if side == length:
        return AxisPlan((0,), side, np.ones((1, side), np.float32))
    starts = _starts(length, side, overlap, multiple)
    # The smallest side that needs no more tiles: less of the photo is fed twice.
    floor = min_tile(overlap, multiple)
    while side - multiple >= floor and len(_starts(length, side - multiple, overlap,
                                                   multiple)) == len(starts):
        side -= multiple
        starts = _starts(length, side, overlap, multiple)
    raw = np.stack([_ramp(side, overlap, s > 0, s + side < length) for s in starts])
    total = np.zeros(length, np.float64)
    for s, w in zip(starts, raw):
        total[s : s + side] += w
    weights = np.stack([w / total[s : s + side] for s, w in zip(starts, raw)])
    return AxisPlan(tuple(starts), side, weights.astype(np.float32))


def plan_canvas(height: int, width: int, tile: int, overlap: int, multiple: int) -> CanvasPlan:
    """Tiles of side at most ``tile`` over a photo's canvas (``height x width`` rounded up to
    ``multiple``); one tile when the canvas fits in ``tile x tile``."""
    if height < 1 or width < 1 or tile < 1 or overlap < 0 or multiple < 1:
        raise ValueError(f"bad canvas tiling arguments {height}x{width} tile={tile} "
                         f"overlap={overlap} multiple={multiple}")
    h, w = round_up(height, multiple), round_up(width, multiple)
    return CanvasPlan(h, w, plan_axis(h, tile, overlap, multiple),
                      plan_axis(w, tile, overlap, multiple))


def canvas_tile(pixels: np.ndarray, plan: CanvasPlan, top: int, left: int) -> np.ndarray:
    """The canvas window at ``(top, left)``: ``(T_h, T_w, C)`` from ``pixels`` ``(H, W, C)``,
    reflected past the bottom/right edge as the one-pass padding is."""
    return gather(pixels, top, left, plan.rows.side, plan.cols.side)


def blend_into(out: np.ndarray, pred: np.ndarray, weights: np.ndarray, top: int, left: int,
               scale: int) -> None:
    """Add one tile's output ``(T_h * s, T_w * s, C)`` times its (pre-normalised) weights
    into ``out`` ``(H * s, W * s, C)``, clipped to the photo."""
    s = scale
    h, w = min(pred.shape[0], out.shape[0] - top * s), min(pred.shape[1], out.shape[1] - left * s)
    if h <= 0 or w <= 0:
        return
    wt = np.repeat(np.repeat(weights, s, axis=0), s, axis=1) if s > 1 else weights
    out[top * s : top * s + h, left * s : left * s + w] += pred[:h, :w] * wt[:h, :w, None]
