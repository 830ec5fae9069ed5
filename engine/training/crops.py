"""Decoded images and crops for training: the bounded image cache, on-demand decoding,
texture-seeking random windows, flips and the per-kind resizes applied on load.

Arrays are uint8 ``(H, W, 1|3)`` in the cache and float32 ``[0, 1]`` once cropped.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engine.errors import ImageReadError
from engine.imaging import color, io
from engine.imaging.resample import resize_to
from engine.training import heavy_blur
from engine.training.scan import FolderScan, _require_count, _shown, _skipped

DEFAULT_CACHE_BYTES = 1536 * 1024 * 1024
# Synthetic deblur/upscale crops: tries per crop to find one with detail, and what counts
# as detail (``texture``, 0..255 units); see ``_textured_window``.
TEXTURE_TRIES = 4
TEXTURE_MIN = 6.0


# --- the decoded-image cache -----------------------------------------------------------------


class ImageCache:
    """A least-recently-used cache of decoded images, bounded by their total bytes.

    An array larger than the whole budget is never cached.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = int(max_bytes)
        self.nbytes = 0
        self._items: OrderedDict[object, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: object) -> np.ndarray | None:
        """The cached array for ``key`` (now the most recent), or ``None``."""
        arr = self._items.get(key)
        if arr is not None:
            self._items.move_to_end(key)
        return arr

    def put(self, key: object, arr: np.ndarray) -> None:
        """Cache ``arr``, evicting the least recently used arrays to stay within budget."""
        if arr.nbytes > self.max_bytes:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= old.nbytes
        while self._items and self.nbytes + arr.nbytes > self.max_bytes:
            _, evicted = self._items.popitem(last=False)
            self.nbytes -= evicted.nbytes
        self._items[key] = arr
        self.nbytes += arr.nbytes


Prepare = Callable[[np.ndarray], np.ndarray]


class _Files:
    """Images of one folder (or one side of pairs), decoded on demand through the cache.

    Loaded arrays are uint8 ``(H, W, 1)`` for greyscale sources and ``(H, W, 3)`` RGB
    otherwise, after ``prepare`` (a per-kind resize on float pixels).
    """

    def __init__(
        self,
        scan: FolderScan,
        paths: list[Path],
        cache: ImageCache,
        problems: list[str],
        prepare: Prepare | None = None,
        pixel_limit: int = io.DEFAULT_MAX_PIXELS,
    ) -> None:
        self.root = scan.root
        self.paths = paths
        self.cache = cache
        self.problems = problems
        self.prepare = prepare
        self.pixel_limit = pixel_limit
        self.failed: set[int] = set()

    def __len__(self) -> int:
        return len(self.paths)

    def load(self, index: int) -> np.ndarray | None:
        """The image at ``index``, or ``None`` when it cannot be decoded (recorded once)."""
        if index in self.failed:
            return None
        key = (id(self), index)
        arr = self.cache.get(key)
        if arr is not None:
            return arr
        path = self.paths[index]
        try:
            image = io.read(path, self.pixel_limit)
        except ImageReadError as exc:
            self.failed.add(index)
            self.problems.append(_skipped(_shown(path, self.root), exc))
            return None
        pixels = image.pixels[:, :, :1] if image.grey else image.pixels
        if self.prepare is not None:
            pixels = self.prepare(pixels)
        arr = color.quantize(pixels, 255.0).astype(np.uint8)
        self.cache.put(key, arr)
        return arr


# --- array helpers ---------------------------------------------------------------------------


def _to_float(arr: np.ndarray, channels: int = 3) -> np.ndarray:
    """uint8 ``(H, W, 1|3)`` to float32 ``(H, W, channels)`` in ``[0, 1]``."""
    out = arr.astype(np.float32) * np.float32(1.0 / 255.0)
    if out.shape[2] == channels:
        return out
    if channels == 3:
        return np.repeat(out, 3, axis=2)
    return color.luma(out)[:, :, None].astype(np.float32)


def _pad_amounts(length: int, needed: int) -> tuple[int, int]:
    total = max(0, needed - length)
    return total // 2, total - total // 2


def _mirror_pad(arr: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    if not any(any(p) for p in pads):
        return arr
    return np.pad(arr, (pads[0], pads[1], (0, 0)), mode="symmetric")


def _window(arr: np.ndarray, rng: np.random.Generator | None, height: int, width: int):
    """A ``height x width`` window: random with ``rng``, centred without; mirrored if small."""
    arr = _mirror_pad(arr, (_pad_amounts(arr.shape[0], height), _pad_amounts(arr.shape[1], width)))
    top, left = _offsets(arr.shape[0] - height, arr.shape[1] - width, rng)
    return arr[top : top + height, left : left + width]


def texture(window: np.ndarray) -> float:
    """Mean absolute neighbour difference of the first channel, in 0..255 units: about 1
    for sky or a wall (noise only), 10 or more for foliage, text or fabric."""
    plane = window[..., 0].astype(np.float32)
    return float(np.abs(np.diff(plane, axis=0)).mean() + np.abs(np.diff(plane, axis=1)).mean())


def _textured_window(arr: np.ndarray, rng: np.random.Generator | None, side: int,
                     core: int) -> np.ndarray:
    """A ``side x side`` window whose central ``core x core`` part has detail to learn from.

    Wallpaper-sized photos are mostly smooth sky, water or bokeh at full resolution, so a
    uniform crop teaches a deblur or upscale model little. With ``rng``: up to
    ``TEXTURE_TRIES`` random windows, the first with ``texture >= TEXTURE_MIN`` (else the
    most textured); without: the most textured of a fixed 3 x 3 grid (stable validation).
    """
    padded = _mirror_pad(arr, (_pad_amounts(arr.shape[0], side), _pad_amounts(arr.shape[1], side)))
    room_y, room_x = padded.shape[0] - side, padded.shape[1] - side
    if rng is None:
        spots = [(room_y * i // 2, room_x * j // 2) for i in range(3) for j in range(3)]
    else:
        spots = [_offsets(room_y, room_x, rng) for _ in range(TEXTURE_TRIES)]
    best, best_score = None, -1.0
    m = (side - core) // 2
    for top, left in spots:
        window = padded[top : top + side, left : left + side]
        score = texture(window[m : m + core, m : m + core])
        if rng is not None and score >= TEXTURE_MIN:
            return window
        if score > best_score:
            best, best_score = window, score
    return best


def _offsets(room_y: int, room_x: int, rng: np.random.Generator | None) -> tuple[int, int]:
    if rng is None:
        return room_y // 2, room_x // 2
    return int(rng.integers(0, room_y + 1)), int(rng.integers(0, room_x + 1))


def _maybe_flip(arrays: list[np.ndarray], rng: np.random.Generator | None) -> list[np.ndarray]:
    """Mirror all ``arrays`` left-right together, half of the time (never without ``rng``)."""
    if rng is not None and rng.uniform() < 0.5:
        return [np.flip(a, axis=1) for a in arrays]
    return arrays


def _draw(files: _Files, rng: np.random.Generator, min_count: int) -> np.ndarray:
    """A random image of ``files``, drawing again past files that fail to decode."""
    while True:
        _check_failures(files, min_count)
        arr = files.load(int(rng.integers(0, len(files))))
        if arr is not None:
            return arr


def _check_failures(files: _Files, min_count: int) -> None:
    usable = len(files) - len(files.failed)
    if usable < max(1, min_count):
        _require_count(usable, max(1, min_count), files.root, files.problems[-1:])


def _in_order(files: _Files, count: int, min_count: int) -> list[np.ndarray]:
    """The first ``count`` decodable images by order (cycling when there are fewer)."""
    out: list[np.ndarray] = []
    index = 0
    while len(out) < count:
        _check_failures(files, min_count)
        arr = files.load(index % len(files))
        if arr is not None:
            out.append(arr)
        index += 1
    return out


def fit_long_side(pixels: np.ndarray, side: int) -> np.ndarray:
    """Shrink (area) ``(H, W, C)`` float32 ``[0, 1]`` so its long side is at most ``side``;
    smaller images come back unchanged."""
    h, w = pixels.shape[:2]
    factor = side / max(h, w)
    if factor >= 1.0:
        return pixels
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    return np.clip(resize_to(pixels, size[0], size[1], "area"), 0.0, 1.0)


def _fit_working_side(pixels: np.ndarray) -> np.ndarray:
    """``fit_long_side`` at the heavy-blur working size (``heavy_blur.HEAVY_WORKING_SIDE``)."""
    return fit_long_side(pixels, heavy_blur.HEAVY_WORKING_SIDE)


def _stack(items: list[tuple[np.ndarray, np.ndarray]], keys: tuple[str, str]) -> dict:
    return {keys[0]: np.stack([i for i, _ in items]), keys[1]: np.stack([t for _, t in items])}


def _shrink_to(max_pixels: int | None) -> Prepare | None:
    """A loader step downscaling (area) images above ``max_pixels`` to about that many."""
    if not max_pixels:
        return None

    def shrink(pixels: np.ndarray) -> np.ndarray:
        height, width = pixels.shape[:2]
        if height * width <= max_pixels:
            return pixels
        factor = math.sqrt(max_pixels / (height * width))
        return resize_to(pixels, max(1, round(width * factor)), max(1, round(height * factor)),
                         "area")

    return shrink


def _square(size: int) -> Prepare:
    """A loader step: centre square crop, then resize to ``size x size``."""

    def square(pixels: np.ndarray) -> np.ndarray:
        height, width = pixels.shape[:2]
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        pixels = pixels[top : top + side, left : left + side]
        if side == size:
            return pixels
        return resize_to(pixels, size, size, "area" if side > size else "bicubic")

    return square
