"""The dataset types besides the synthetic one: the ``Dataset`` protocol every trainer draws
from, and the datasets that read folders as they are (paired, unpaired, single). See
``engine.training.datasets`` for the layouts and ``make_dataset``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from engine.imaging import io
from engine.training.crops import (
    ImageCache,
    _check_failures,
    _draw,
    _Files,
    _in_order,
    _maybe_flip,
    _mirror_pad,
    _offsets,
    _pad_amounts,
    _shrink_to,
    _square,
    _stack,
    _to_float,
    _window,
)
from engine.training.scan import FolderScan

CYCLEGAN_WORKING_PIXELS = 4_000_000


class Dataset(Protocol):
    """What a trainer needs from its data.

    ``sample`` and ``validation`` return float32 NHWC arrays in ``[0, 1]``:

    - deblur: ``{"input": blurred (B, crop, crop, 3), "target": sharp (B, crop, crop, 3)}``
    - upscale: ``{"input": (B, crop/scale, crop/scale, 3), "target": (B, crop, crop, 3)}``
    - cyclegan: ``{"a": (B, crop, crop, 3), "b": (B, crop, crop, 3)}``
    - dcgan: ``{"image": (B, crop, crop, C)}``, ``C = 1`` for greyscale folders else 3.
    """

    kind: str

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        """A random batch; the same ``rng`` state gives the same batch."""

    def validation(self, count: int, seed: int = 1234) -> dict[str, np.ndarray]:
        """Fixed inputs (the same every call): crops of the first images by order."""

    def describe(self) -> dict:
        """Counts, folders, mode (synthetic/paired/unpaired/single), problems so far."""


class _Base:
    """Shared settings and ``describe``."""

    kind: str
    mode: str

    def __init__(self, kind: str, crop: int, seed: int, min_count: int, cache: ImageCache):
        self.kind = kind
        self.crop = crop
        self.seed = seed
        self.min_count = min_count
        self.cache = cache
        self.problems: list[str] = []

    def _describe(self, **extra) -> dict:
        return {
            "kind": self.kind,
            "mode": self.mode,
            "crop": self.crop,
            "seed": self.seed,
            "problems": list(self.problems),
            "cache_bytes": self.cache.max_bytes,
            "cached_bytes": self.cache.nbytes,
            **extra,
        }


class PairedDataset(_Base):
    """Real pairs: degraded (or low-resolution) and sharp images with matching names.

    Crops are aligned: a low-resolution window at ``(y, x)`` goes with the high-resolution
    window at ``(scale * y, scale * x)`` (``scale`` is 1 for deblur).
    """

    mode = "paired"

    def __init__(self, kind, root: Path, folders, pairs, problems, crop, seed, min_count,
                 cache, scale=1, crops_per_image=1, pixel_limit=io.DEFAULT_MAX_PIXELS):
        super().__init__(kind, crop, seed, min_count, cache)
        self.scale = scale
        self.root = root
        self.folders = folders
        self.crops_per_image = max(1, int(crops_per_image))
        self.problems = problems
        self.low = _Files(FolderScan(root), [a for a, _ in pairs], cache, problems, None,
                          pixel_limit)
        self.high = _Files(FolderScan(root), [b for _, b in pairs], cache, problems, None,
                           pixel_limit)

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        items = []
        pair = None
        for i in range(batch):
            if i % self.crops_per_image == 0:
                pair = self._draw(rng)
            items.append(self._item(*pair, rng))
        return _stack(items, ("input", "target"))

    def validation(self, count: int, seed: int = 1234) -> dict[str, np.ndarray]:
        items = []
        index = 0
        while len(items) < count:
            pair = self._load(index % len(self.low))
            if pair is not None:
                items.append(self._item(*pair, None))
            index += 1
        return _stack(items, ("input", "target"))

    def _draw(self, rng) -> tuple[np.ndarray, np.ndarray]:
        while True:
            pair = self._load(int(rng.integers(0, len(self.low))))
            if pair is not None:
                return pair

    def _load(self, index: int) -> tuple[np.ndarray, np.ndarray] | None:
        _check_failures(self.low, self.min_count)
        _check_failures(self.high, self.min_count)
        low, high = self.low.load(index), self.high.load(index)
        if low is None or high is None:
            self.low.failed.add(index)
            self.high.failed.add(index)
            return None
        return low, high

    def _item(self, low, high, rng) -> tuple[np.ndarray, np.ndarray]:
        s, c = self.scale, self.crop // self.scale
        h, w = low.shape[:2]
        high = high[: h * s, : w * s]
        pad_y, pad_x = _pad_amounts(h, c), _pad_amounts(w, c)
        low = _mirror_pad(low, (pad_y, pad_x))
        high = _mirror_pad(high, (tuple(p * s for p in pad_y), tuple(p * s for p in pad_x)))
        top, left = _offsets(low.shape[0] - c, low.shape[1] - c, rng)
        low = low[top : top + c, left : left + c]
        high = high[top * s : (top + c) * s, left * s : (left + c) * s]
        low, high = _maybe_flip([low, high], rng)
        return _to_float(low), _to_float(high)

    def describe(self) -> dict:
        return self._describe(root=str(self.root),
                              folders=[[str(a), str(b)] for a, b in self.folders],
                              pairs=len(self.low), scale=self.scale)


class UnpairedDataset(_Base):
    """CycleGAN domains: independent random crops from folder A and folder B."""

    mode = "unpaired"

    def __init__(self, scan_a: FolderScan, scan_b: FolderScan, crop, seed, min_count, cache,
                 working_pixels=CYCLEGAN_WORKING_PIXELS, pixel_limit=io.DEFAULT_MAX_PIXELS,
                 kind="cyclegan"):
        super().__init__(kind, crop, seed, min_count, cache)
        self.working_pixels = working_pixels
        self.problems = scan_a.problems + scan_b.problems
        prepare = _shrink_to(working_pixels)
        self.a = _Files(scan_a, scan_a.paths, cache, self.problems, prepare, pixel_limit)
        self.b = _Files(scan_b, scan_b.paths, cache, self.problems, prepare, pixel_limit)

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        a = [self._crop(_draw(self.a, rng, self.min_count), rng) for _ in range(batch)]
        b = [self._crop(_draw(self.b, rng, self.min_count), rng) for _ in range(batch)]
        return {"a": np.stack(a), "b": np.stack(b)}

    def validation(self, count: int, seed: int = 1234) -> dict[str, np.ndarray]:
        a = [self._crop(arr, None) for arr in _in_order(self.a, count, self.min_count)]
        b = [self._crop(arr, None) for arr in _in_order(self.b, count, self.min_count)]
        return {"a": np.stack(a), "b": np.stack(b)}

    def _crop(self, arr, rng) -> np.ndarray:
        (window,) = _maybe_flip([_window(arr, rng, self.crop, self.crop)], rng)
        return _to_float(window)

    def describe(self) -> dict:
        return self._describe(root=str(self.a.root), root_b=str(self.b.root),
                              images=len(self.a), images_b=len(self.b),
                              working_pixels=self.working_pixels)


class ImageDataset(_Base):
    """DCGAN: whole images, centre-cropped square and resized to ``crop x crop`` on load.

    ``channels`` is 1 when the first, middle and last images are greyscale, else 3 (other
    images are converted to match). Loaded images are tiny, so the cache holds them all.
    """

    mode = "single"

    def __init__(self, scan: FolderScan, crop, seed, min_count, cache,
                 pixel_limit=io.DEFAULT_MAX_PIXELS, kind="dcgan"):
        super().__init__(kind, crop, seed, min_count, cache)
        self.problems = scan.problems
        self.sizes = scan.sizes
        self.files = _Files(scan, scan.paths, cache, self.problems, _square(crop), pixel_limit)
        self.channels = self._channels()

    @property
    def size(self) -> int:
        return self.crop

    def _channels(self) -> int:
        n = len(self.files)
        loaded = [self.files.load(index) for index in sorted({0, n // 2, n - 1})]
        loaded = [arr for arr in loaded if arr is not None]
        return 1 if loaded and all(arr.shape[2] == 1 for arr in loaded) else 3

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        items = []
        for _ in range(batch):
            (arr,) = _maybe_flip([_draw(self.files, rng, self.min_count)], rng)
            items.append(_to_float(arr, self.channels))
        return {"image": np.stack(items)}

    def validation(self, count: int, seed: int = 1234) -> dict[str, np.ndarray]:
        images = _in_order(self.files, count, self.min_count)
        return {"image": np.stack([_to_float(arr, self.channels) for arr in images])}

    def describe(self) -> dict:
        native = sorted(set(self.sizes))
        return self._describe(root=str(self.files.root), images=len(self.files),
                              image_size=self.crop, channels=self.channels,
                              native_size=native[0] if len(native) == 1 else None)
