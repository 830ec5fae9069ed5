"""Tile geometry: where fixed-shape tiles lie over an image, and how much of what they feed a
model is photo.

Pure numpy, no state. The geometry, per axis, in input pixels:

* The image is reflect-padded (mirror without repeating the edge pixel, like
  ``np.pad(mode="reflect")``) by ``overlap`` pixels of *context* on every side. The padding is
  never materialised as a full copy: each tile is gathered straight from the image.
* Every tile has one fixed shape ``T_h x T_w`` (so compiled predict functions never retrace).
  A tile at padded position ``p`` is laid out as ``context | ramp | flat | ramp | context``,
  the context and ramp bands each ``overlap`` wide. Its *core* is everything but the context.
* Neighbouring tiles start at most ``T - 3 * overlap`` apart, so one tile's falling ramp lies
  on (or inside) the next tile's rising ramp and each tile's context lies on its neighbour's
  flat part. The context gets zero weight, so for a model whose receptive-field radius is at
  most ``overlap`` the result equals running it once on the whole padded image; for models
  that are not that local the ramps cross-fade neighbouring tiles so no seam can show.
* ``plan_tiles`` steps square tiles exactly ``T - 3 * overlap`` apart and moves the last one
  back to end at the padded border; ``plan_fit`` picks how many tiles each axis needs and
  then the smallest tile shape that covers the axis with that many, spread evenly, so no
  tile is mostly a repeat of its neighbour (the photo-pixel share, ``photo_pixel_share``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# ``plan_fit`` never plans tiles smaller than this (they would only add per-call overhead).
MIN_FIT_SIDE = 64


@dataclass(frozen=True)
class TileSpec:
    """One tile: top-left corner in the padded input and its shape, in input pixels.

    Padded coordinates are image coordinates shifted by ``overlap``: padded ``(0, 0)`` is image
    pixel ``(-overlap, -overlap)``.
    """

    y: int
    x: int
    height: int
    width: int

    @property
    def size(self) -> int:
        """The longer side (the side of a square tile)."""
        return max(self.height, self.width)


@dataclass(frozen=True)
class TilePlan:
    """Fixed-shape tiles covering an image.

    Attributes:
        tile_height, tile_width: the one tile shape used by every tile (multiples of the
            model's size multiple).
        overlap: context (and blend) band width in input pixels.
        padded_height, padded_width: extent of the (virtual) padded image the tiles lie in;
            at least the image plus ``overlap`` on each side, and at least the tile.
        tiles: row-major tile positions.
        batch: tiles per model call (a short last call is padded with zero tiles).
    """

    tile_height: int
    tile_width: int
    overlap: int
    padded_height: int
    padded_width: int
    tiles: tuple[TileSpec, ...]
    batch: int = 1

    @property
    def tile(self) -> int:
        """The longer tile side (the side of a square plan)."""
        return max(self.tile_height, self.tile_width)

    @property
    def calls(self) -> int:
        """Model calls the plan takes."""
        return -(-len(self.tiles) // self.batch)

    @property
    def fed_pixels(self) -> int:
        """Input pixels fed to the model: every slot of every call, zero padding included."""
        return self.calls * self.batch * self.tile_height * self.tile_width


def round_up(value: int, multiple: int) -> int:
    """``value`` rounded up to a multiple of ``multiple``."""
    return -(-value // multiple) * multiple


def smallest_tile(overlap: int, multiple: int = 1) -> int:
    """The smallest tile side that still leaves a useful stride (``>= overlap``) between tiles.

    Tiles step ``T - 3 * overlap`` apart, so ``T`` is kept at least ``4 * overlap``.
    """
    return round_up(max(4 * overlap, 1), multiple)


def axis_positions(length: int, tile: int, overlap: int, multiple: int = 1) -> list[int]:
    """Tile starts (padded coordinates) along one axis of ``length`` image pixels.

    Starts are multiples of ``multiple`` (so a model that downsamples sees the sampling grid
    of one whole-image pass), ``tile - 3 * overlap`` apart rounded down to it; the tiles'
    cores cover padded ``[overlap, overlap + length)`` and the last tile ends at
    ``length + 2 * overlap`` or less than ``multiple`` past it.
    """
    last = round_up(max(length + 2 * overlap - tile, 0), multiple)
    if last <= 0:
        return [0]  # one tile covers the axis: no stride needed, however small the tile
    stride = (tile - 3 * overlap if overlap else tile) // multiple * multiple
    if stride < 1:
        raise ValueError(f"tile {tile} is too small for overlap {overlap}")
    starts = list(range(0, last, stride))
    return starts + [last]


def plan_tiles(height: int, width: int, tile: int, overlap: int, multiple: int = 1) -> TilePlan:
    """Plan square fixed-shape tiles of a requested side covering a ``height x width`` image.

    Args:
        height, width: image size in input pixels (>= 1).
        tile: requested tile side; raised to ``smallest_tile(overlap, multiple)`` if below it,
            rounded up to ``multiple``, and shrunk for small images to the padded image size
            (rounded up to ``multiple``) so one tile covers them.
        overlap: context band in input pixels (>= 0), at least the model's receptive-field
            radius for exact results.
        multiple: the model's size multiple; the tile side is always a multiple of it.

    Returns:
        A ``TilePlan`` whose tiles all have side ``plan.tile``; one tile per call.
    """
    _check(height, width, tile, overlap, multiple)
    side = round_up(max(tile, smallest_tile(overlap, multiple)), multiple)
    side = min(side, round_up(max(height, width) + 2 * overlap, multiple))
    rows = axis_positions(height, side, overlap, multiple)
    cols = axis_positions(width, side, overlap, multiple)
    return TilePlan(
        tile_height=side,
        tile_width=side,
        overlap=overlap,
        padded_height=max(height + 2 * overlap, rows[-1] + side),
        padded_width=max(width + 2 * overlap, cols[-1] + side),
        tiles=tuple(TileSpec(y, x, side, side) for y in rows for x in cols),
    )


def _check(height: int, width: int, tile: int, overlap: int, multiple: int) -> None:
    if height < 1 or width < 1:
        raise ValueError(f"cannot tile an empty image ({height}x{width})")
    if tile < 1 or overlap < 0 or multiple < 1:
        raise ValueError(f"bad tiling arguments tile={tile} overlap={overlap} multiple={multiple}")


def _gap(overlap: int, multiple: int) -> int:
    """How much shorter than the tile the stride of a fitted plan is: ``3 * overlap`` rounded
    up to ``multiple`` (so strides stay multiples of it)."""
    return round_up(3 * overlap, multiple)


def fit_side(length: int, count: int, overlap: int, multiple: int) -> int:
    """The smallest tile side (a multiple of ``multiple``) with which ``count`` tiles, a
    stride of ``T - _gap`` apart, cover an axis of ``length`` image pixels plus context:
    ``count * T >= length + 2 * overlap + _gap * (count - 1)``."""
    gap = _gap(overlap, multiple)
    need = length + 2 * overlap + gap * (count - 1)
    side = round_up(-(-need // count), multiple)
    if count > 1:
        side = max(side, smallest_tile(overlap, multiple), gap + multiple)
    return side


def spread_positions(length: int, side: int, count: int, overlap: int,
                     multiple: int = 1) -> list[int]:
    """``count`` tile starts ``side - _gap`` apart from 0 (multiples of ``multiple``)."""
    if count == 1 or side >= length + 2 * overlap:
        return [0]
    return [i * (side - _gap(overlap, multiple)) for i in range(count)]


def plan_fit(height: int, width: int, max_pixels: float, overlap: int, multiple: int = 1,
             max_side: int | None = None, max_batch: int = 1) -> TilePlan:
    """The tile shape and layout that feed the model the fewest pixels within a memory limit.

    Tries every count of rows and columns; for each, the smallest tile shape that covers the
    image (``fit_side``); keeps the layout with the fewest fed pixels whose tile has at most
    ``max_pixels`` pixels (and sides at most ``max_side``). Ties go to fewer, squarer tiles.
    Then as many tiles per call as ``max_pixels`` allows (at most ``max_batch``), spread so
    the calls are about equally full.

    Args:
        height, width: image size in input pixels.
        max_pixels: tile pixels (times the batch) one call may hold, from the memory budget.
        overlap, multiple: as for ``plan_tiles``.
        max_side: a cap on either tile side (``None``: none).
        max_batch: the most tiles per call.

    Returns:
        A ``TilePlan``; when even the smallest tile exceeds ``max_pixels`` the plan uses it
        anyway (out-of-memory halving takes over from there).
    """
    _check(height, width, 1, overlap, multiple)
    cap = max_side if max_side else 1 << 30
    best = None
    for rows in range(1, _most_tiles(height, overlap, multiple) + 1):
        th = fit_side(height, rows, overlap, multiple)
        for cols in range(1, _most_tiles(width, overlap, multiple) + 1):
            tw = fit_side(width, cols, overlap, multiple)
            fits = th * tw <= max_pixels and max(th, tw) <= cap
            # Layouts that fit first, then the fewest fed pixels, fewest and squarest tiles.
            key = (0 if fits else th * tw, rows * th * cols * tw, rows * cols, abs(th - tw))
            if best is None or key < best[0]:
                best = (key, rows, cols, th, tw)
            if fits:
                break  # more columns only feed more pixels
    assert best is not None
    _, rows, cols, th, tw = best
    ys = spread_positions(height, th, rows, overlap, multiple)
    xs = spread_positions(width, tw, cols, overlap, multiple)
    count = rows * cols
    batch = int(max(1, min(max_batch, count, max_pixels // (th * tw))))
    batch = -(-count // -(-count // batch))  # equal calls: 5 tiles at 4 per call -> 3 + 2
    return TilePlan(
        tile_height=th, tile_width=tw, overlap=overlap,
        padded_height=max(height + 2 * overlap, ys[-1] + th),
        padded_width=max(width + 2 * overlap, xs[-1] + tw),
        tiles=tuple(TileSpec(y, x, th, tw) for y in ys for x in xs), batch=batch,
    )


def _most_tiles(length: int, overlap: int, multiple: int) -> int:
    """Tiles along an axis at the smallest useful tile side (more would not help)."""
    side = max(smallest_tile(overlap, multiple), round_up(MIN_FIT_SIDE, multiple))
    stride = max(side - 3 * overlap, 1)
    return max(1, math.ceil(max(length + 2 * overlap - side, 0) / stride) + 1)


def photo_pixel_share(plan: TilePlan, height: int, width: int) -> float:
    """Photo pixels over the pixels the plan feeds the model (context, overlap and batch
    padding are the rest): 1.0 is no waste."""
    return height * width / plan.fed_pixels


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


def split_tile(spec: TileSpec, size: int, overlap: int, height: int, width: int,
               multiple: int = 1) -> list[TileSpec]:
    """Re-plan one tile's share of the image with smaller square tiles of side ``size``.

    The new tiles' cores cover the part of ``spec``'s core that lies inside the image.
    """
    top, bottom = max(spec.y, 0), min(spec.y + spec.height - 2 * overlap, height)
    left, right = max(spec.x, 0), min(spec.x + spec.width - 2 * overlap, width)
    rows = axis_positions(bottom - top, size, overlap, multiple)
    cols = axis_positions(right - left, size, overlap, multiple)
    return [TileSpec(top + y, left + x, size, size) for y in rows for x in cols]
