"""Training data: folders of images turned into batches for the four GAN trainers.

Layouts (every folder is searched recursively for the formats ``imaging.io`` reads; hidden
files are ignored, other files are reported in ``problems``):

- deblur / upscale, **paired**: ``data`` holds two sub-folders with matching relative names
  (extensions may differ): ``A/`` degraded and ``B/`` sharp (pix2pix), or ``blur/`` and
  ``sharp/`` (GoPro, where every sequence folder holds such a pair, which is found anywhere
  below ``data``), or ``lr/`` and ``hr/``. Upscale pairs need the low-resolution image to be
  exactly ``1/scale`` of its partner (rounded down); a ``x4`` suffix on low-resolution names
  (DIV2K's ``0001x4.png``) is tolerated.
- deblur / upscale, **synthetic**: any other folder is taken as sharp photos and degraded on
  the fly (``degrade.degrade_blur`` / ``degrade.degrade_downscale``).
- cyclegan, **unpaired**: ``data`` is domain A and ``data_b`` domain B.
- dcgan, **single**: one folder; each image is centre-cropped to a square and resized to
  ``crop x crop`` (28 for Fashion-MNIST-like folders); greyscale folders give one channel.

Batches are float32 NHWC in ``[0, 1]`` RGB: random crops (mirrored at the border when an image
is smaller than the crop) with random horizontal flips (never vertical: photos have gravity).
Every random choice comes from the ``np.random.Generator`` passed to ``sample``, so the same
generator state gives the same batch; ``validation`` is a fixed function of its seed.

Decoded images are kept as uint8 in a bounded LRU cache (1.5 GiB by default) so later epochs
do not decode again. Deblur and upscale crops always come from full-resolution images (blur
and detail statistics depend on scale, so large photos are never downscaled for them); for
folders of very large photos a decode per sample can dominate a step, which ``crops_per_image``
amortises. CycleGAN images above ``CYCLEGAN_WORKING_PIXELS`` are downscaled once on load.

Files that pass the header check at scan time but fail to decode are skipped when they are
first drawn, with a sentence added to ``problems``; a ``UsageError`` is raised only when too
few usable images remain.
"""

from __future__ import annotations

import math
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from engine.errors import ImageReadError, UsageError
from engine.imaging import color, io
from engine.imaging.resample import resize_to
from engine.training import degrade, heavy_blur

__all__ = [
    "CYCLEGAN_WORKING_PIXELS",
    "DEFAULT_CACHE_BYTES",
    "KINDS",
    "Dataset",
    "FolderScan",
    "ImageCache",
    "find_pair_folders",
    "make_dataset",
    "match_pairs",
    "scan_folder",
]

KINDS = ("deblur", "upscale", "cyclegan", "dcgan")
DEFAULT_CACHE_BYTES = 1536 * 1024 * 1024
CYCLEGAN_WORKING_PIXELS = 4_000_000
# Synthetic deblur/upscale crops: tries per crop to find one with detail, and what counts
# as detail (``texture``, 0..255 units); see ``_textured_window``.
TEXTURE_TRIES = 4
TEXTURE_MIN = 6.0
# Context around a synthetic crop (cut off afterwards), so blur kernels see real neighbours
# rather than a mirrored border; rounded up to a multiple of the upscale factor.
_MARGIN = 16
_HEAVY_MARGIN = 40  # heavy kernels reach 38 px from their centre
# "mixed" deblur pairs: this share of the blurred ones take the mild mix (small kernels at the
# working size), so a model trained for heavy shake does not over-correct slight blur.
MIXED_MILD_SHARE = 0.3
# (degraded, sharp) sub-folder names of paired layouts, compared case-insensitively.
PAIR_FOLDER_NAMES = (
    ("a", "b"),
    ("blur", "sharp"),
    ("blurred", "sharp"),
    ("input", "target"),
    ("lr", "hr"),
    ("low", "high"),
)
_IGNORED_FILES = {"thumbs.db", "desktop.ini"}
_READABLE = "JPEG, PNG, TIFF, WebP or BMP"
_SCALE_SUFFIX = re.compile(r"[_-]?x\d$")
_EXAMPLES = 3  # names quoted in an error message


# --- scanning --------------------------------------------------------------------------------


@dataclass
class FolderScan:
    """The usable images of a folder, found by ``scan_folder``.

    Attributes:
        root: the folder scanned.
        paths: usable image files, recursive, sorted by relative path.
        problems: one sentence per skipped file (damaged, too small, unsupported, unmatched).
        sizes: ``(width, height)`` per path, after EXIF orientation.
    """

    root: Path
    paths: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)


def scan_folder(
    root: str | os.PathLike,
    min_side: int = 64,
    min_count: int = 1,
    pixel_limit: int = io.DEFAULT_MAX_PIXELS,
) -> FolderScan:
    """Find the usable images under ``root`` from their headers (no pixel is decoded).

    Args:
        root: the folder; searched recursively; hidden files and folders are ignored.
        min_side: images whose short side is below this are skipped.
        min_count: fewest usable images accepted.
        pixel_limit: images above this many pixels are skipped (decompression-bomb guard).

    Raises:
        UsageError: ``root`` is not a folder, or it has fewer than ``min_count`` usable images.
    """
    root = _require_folder(root)
    scan = FolderScan(root)
    for path in _walk(root):
        shown = _shown(path, root)
        if not io.is_image_path(path):
            suffix = f"'{path.suffix}' files" if path.suffix else "files without an extension"
            scan.problems.append(
                f"{shown} was skipped: {suffix} are not images PhotoGAN reads ({_READABLE})."
            )
            continue
        try:
            width, height = io.probe(path, pixel_limit)
        except ImageReadError as exc:
            scan.problems.append(_skipped(shown, exc))
            continue
        if min(width, height) < min_side:
            scan.problems.append(
                f"{shown} was skipped: it is {width}x{height} pixels, smaller than the "
                f"{min_side}-pixel minimum on the short side."
            )
            continue
        scan.paths.append(path)
        scan.sizes.append((width, height))
    _require_count(len(scan.paths), min_count, root, scan.problems)
    return scan


def _require_folder(root: str | os.PathLike | None) -> Path:
    if root is None or not Path(root).is_dir():
        raise UsageError(
            f"{root} does not exist or is not a folder; choose the folder that holds the "
            "training images."
        )
    return Path(root)


def _walk(root: Path) -> list[Path]:
    """Every non-hidden file under ``root``, sorted by relative path."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [
            Path(folder) / name
            for name in files
            if not name.startswith(".") and name.lower() not in _IGNORED_FILES
        ]
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _shown(path: Path, root: Path) -> str:
    """``path`` as the user recognises it: relative to the folder above ``root``."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return str(path)


def _skipped(shown: str, exc: Exception) -> str:
    """A problem sentence from an image-layer error (whose message starts with the name)."""
    message = str(exc)
    head, sep, rest = message.partition(": ")
    if sep and "/" not in head and head and shown.endswith(head):
        message = rest
    return f"{shown} was skipped: {message}"


def _require_count(count: int, needed: int, root: Path, problems: Sequence[str]) -> None:
    if count >= needed:
        return
    detail = ""
    if problems:
        detail = f" ({len(problems)} file(s) skipped, for example: {problems[0]})"
    noun = "image" if count == 1 else "images"
    raise UsageError(
        f"{root} has {count} usable {noun}; at least {needed} are needed for training{detail}; "
        f"add more {_READABLE} images."
    )


# --- pairs -----------------------------------------------------------------------------------


def find_pair_folders(data: str | os.PathLike) -> list[tuple[Path, Path]]:
    """The ``(degraded, sharp)`` folder pairs of a paired layout, or ``[]`` for plain folders.

    ``data`` itself holding such a pair wins; otherwise every folder below it that holds one
    counts (the GoPro layout: ``<sequence>/blur`` and ``<sequence>/sharp``).
    """
    data = Path(data)
    top = _pair_in(data)
    if top:
        return [top]
    found = []
    for folder, dirs, _ in os.walk(data):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        pair = _pair_in(Path(folder))
        if pair:
            found.append(pair)
            dirs[:] = []  # a pair's own sub-folders are its images, not more pairs
    return found


def _pair_in(folder: Path) -> tuple[Path, Path] | None:
    try:
        children = {p.name.casefold(): p for p in folder.iterdir() if p.is_dir()}
    except OSError:
        return None
    for degraded, sharp in PAIR_FOLDER_NAMES:
        if degraded in children and sharp in children:
            return children[degraded], children[sharp]
    return None


def match_pairs(a: FolderScan, b: FolderScan, min_count: int = 1) -> list[tuple[Path, Path]]:
    """Pair the images of two scans by relative path without extension (case-insensitive).

    Files without a partner (or with a duplicate name) are added to their scan's
    ``problems``. A trailing ``x<digit>`` on a name (``0001x4``) is ignored when the exact
    name has no partner.

    Args:
        a: the degraded (or low-resolution) side.
        b: the sharp (or high-resolution) side.
        min_count: fewest pairs accepted.

    Returns:
        ``(a_path, b_path)`` pairs in ``a``'s order.

    Raises:
        UsageError: fewer than ``min_count`` pairs match; names a few unmatched files.
    """
    pairs, lonely_a, lonely_b = _match(a, b)
    a.problems += [f"{_shown(p, a.root)} was skipped: no file of the same name in {b.root}."
                   for p in lonely_a]
    b.problems += [f"{_shown(p, b.root)} was skipped: no file of the same name in {a.root}."
                   for p in lonely_b]
    if len(pairs) < max(1, min_count):
        examples = [_shown(p, a.root) for p in lonely_a[:_EXAMPLES]]
        examples += [_shown(p, b.root) for p in lonely_b[:_EXAMPLES]]
        listed = ", ".join(examples) if examples else "none"
        raise UsageError(
            f"only {len(pairs)} image(s) in {a.root} have a partner with the same name in "
            f"{b.root} (at least {max(1, min_count)} needed; unmatched: {listed}); paired "
            "folders need the same relative names, such as A/0001.png and B/0001.png."
        )
    return pairs


def _match(a: FolderScan, b: FolderScan) -> tuple[list[tuple[Path, Path]], list[Path], list[Path]]:
    """``(pairs, unmatched a, unmatched b)``: exact keys first, then loose keys."""
    keys_a, dup_a = _keyed(a, _key)
    keys_b, dup_b = _keyed(b, _key)
    matched = {k: (keys_a[k], keys_b[k]) for k in keys_a.keys() & keys_b.keys()}
    loose_a = {_loose(k): p for k, p in keys_a.items() if k not in matched}
    loose_b = {_loose(k): p for k, p in keys_b.items() if k not in matched}
    used = {p for pair in matched.values() for p in pair}
    for key in loose_a.keys() & loose_b.keys():
        if loose_a[key] not in used and loose_b[key] not in used:
            matched[key] = (loose_a[key], loose_b[key])
    pairs = sorted(matched.values(), key=lambda pair: pair[0].relative_to(a.root).parts)
    paired_a = {p for p, _ in pairs}
    paired_b = {p for _, p in pairs}
    lonely_a = [p for p in a.paths if p not in paired_a and p not in dup_a]
    lonely_b = [p for p in b.paths if p not in paired_b and p not in dup_b]
    for scan, dups in ((a, dup_a), (b, dup_b)):
        scan.problems += [
            f"{_shown(p, scan.root)} was skipped: another file has the same name apart from "
            "its extension." for p in dups
        ]
    return pairs, lonely_a, lonely_b


def _keyed(scan: FolderScan, key: Callable[[Path, Path], str]) -> tuple[dict[str, Path], list]:
    keyed: dict[str, Path] = {}
    duplicates = []
    for path in scan.paths:
        k = key(path, scan.root)
        if k in keyed:
            duplicates.append(path)
        else:
            keyed[k] = path
    return keyed, duplicates


def _key(path: Path, root: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix().casefold()


def _loose(key: str) -> str:
    return _SCALE_SUFFIX.sub("", key)


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


# --- datasets --------------------------------------------------------------------------------


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


class SyntheticDataset(_Base):
    """Deblur or upscale pairs made on the fly from sharp photos (full resolution).

    Each item: a random ``(crop + 2 * margin)`` window, a random flip, the degradation, then
    the central ``crop`` (so blur kernels see real image context, not a mirrored border).
    """

    mode = "synthetic"

    def __init__(self, kind, scan: FolderScan, crop, seed, min_count, cache, scale=4,
                 crops_per_image=1, pixel_limit=io.DEFAULT_MAX_PIXELS, clean=False,
                 plain_crops=0.0, heavy=False, mild_share=0.0):
        super().__init__(kind, crop, seed, min_count, cache)
        self.mild_share = float(mild_share)
        self.scale = scale
        self.clean = bool(clean)
        self.heavy = bool(heavy) and kind == "deblur"
        self.plain_crops = float(plain_crops)
        self.crops_per_image = max(1, int(crops_per_image))
        self.problems = scan.problems
        # Heavy blur is defined at a working size (a 1280-px photo, the heavy eval tier):
        # photos are brought to it once, when decoded, so "sharp" means sharp at that size.
        prepare = _fit_working_side if self.heavy else None
        self.files = _Files(scan, scan.paths, cache, self.problems, prepare, pixel_limit)

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        items = []
        arr = None
        for i in range(batch):
            if i % self.crops_per_image == 0:
                arr = _draw(self.files, rng, self.min_count)
            items.append(self._item(arr, rng, rng))
        return _stack(items, ("input", "target"))

    def validation(self, count: int, seed: int = 1234) -> dict[str, np.ndarray]:
        images = _in_order(self.files, count, self.min_count)
        items = [self._item(arr, None, np.random.default_rng([seed, i]))
                 for i, arr in enumerate(images)]
        return _stack(items, ("input", "target"))

    def _item(self, arr, crop_rng, degrade_rng) -> tuple[np.ndarray, np.ndarray]:
        margin = _HEAVY_MARGIN if self.heavy else self.scale * math.ceil(_MARGIN / self.scale)
        side = self.crop + 2 * margin
        (window,) = _maybe_flip([self._window(arr, crop_rng, side)], crop_rng)
        sharp = _to_float(window)
        target = sharp[margin : margin + self.crop, margin : margin + self.crop]
        if self.kind == "deblur":
            if self.heavy:
                blurred = heavy_blur.degrade_heavy(sharp, degrade_rng,
                                                   mild_share=self.mild_share)
            else:
                blurred = degrade.degrade_blur(sharp, degrade_rng)
            return blurred[margin : margin + self.crop, margin : margin + self.crop], target
        low = degrade.degrade_downscale(sharp, degrade_rng, self.scale, clean=self.clean)
        m, c = margin // self.scale, self.crop // self.scale
        return low[m : m + c, m : m + c], target

    def _window(self, arr, crop_rng, side: int) -> np.ndarray:
        # A share of plain (anywhere) crops shows the model flat sky and bokeh too: trained on
        # detailed crops alone, a deblur model never learns to leave smooth areas clean.
        if crop_rng is not None and self.plain_crops > 0 and crop_rng.uniform() < self.plain_crops:
            return _window(arr, crop_rng, side, side)
        return _textured_window(arr, crop_rng, side, self.crop)

    def describe(self) -> dict:
        return self._describe(root=str(self.files.root), images=len(self.files),
                              scale=self.scale if self.kind == "upscale" else 1,
                              plain_crops=self.plain_crops, heavy=self.heavy,
                              mild_share=self.mild_share)


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
                 working_pixels=CYCLEGAN_WORKING_PIXELS, pixel_limit=io.DEFAULT_MAX_PIXELS):
        super().__init__("cyclegan", crop, seed, min_count, cache)
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
                 pixel_limit=io.DEFAULT_MAX_PIXELS):
        super().__init__("dcgan", crop, seed, min_count, cache)
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


# --- the factory -----------------------------------------------------------------------------


def make_dataset(
    kind: str,
    data: str | os.PathLike,
    data_b: str | os.PathLike | None = None,
    crop: int = 128,
    seed: int = 0,
    scale: int = 4,
    min_count: int | None = None,
    *,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
    crops_per_image: int = 1,
    pixel_limit: int = io.DEFAULT_MAX_PIXELS,
    degradation: str = "realistic",
    plain_crops: float = 0.0,
) -> Dataset:
    """The dataset a trainer of ``kind`` draws from (see the module docstring for layouts).

    Args:
        kind: ``deblur``, ``upscale``, ``cyclegan`` or ``dcgan``.
        data: the folder (domain A for cyclegan).
        data_b: domain B, for cyclegan only.
        crop: training crop side (the high-resolution side for upscale; the image size for
            dcgan).
        seed: recorded in ``describe()``; batches depend only on the generator given to
            ``sample``.
        scale: upscale factor (upscale only); ``crop`` must be divisible by it.
        min_count: fewest usable images (or pairs) per folder; ``None`` means 1.
        cache_bytes: budget of the decoded-image cache.
        crops_per_image: consecutive batch items cut from one drawn image (deblur and
            upscale); raise it for folders of large photos, where decoding dominates.
        pixel_limit: images above this many pixels are skipped.
        degradation: synthetic upscale pairs: ``realistic`` (blur, noise, JPEG) or ``clean``
            (the downscale alone); see ``degrade.degrade_downscale``. Synthetic deblur
            pairs: ``heavy`` for ``heavy_blur.degrade_heavy`` on photos brought to a 1280-px
            working size, ``mixed`` for the same with ``MIXED_MILD_SHARE`` of the blurred
            pairs from the mild mix, anything else for the mild ``degrade.degrade_blur``.
        plain_crops: synthetic deblur/upscale pairs: the share of crops taken anywhere in the
            photo (flat areas included) rather than where it has detail; ``0..1``.

    Raises:
        UsageError: unknown kind, bad crop/scale, missing or unsuitable folders, too few
            usable images, unmatched or mis-sized pairs.
    """
    if kind not in KINDS:
        raise UsageError(f"unknown training kind {kind!r}; use one of {', '.join(KINDS)}.")
    crop, scale = int(crop), int(scale)
    needed = 1 if min_count is None else int(min_count)
    _check_options(kind, data_b, crop, scale, plain_crops)
    cache = ImageCache(cache_bytes)
    common = dict(crop=crop, seed=seed, min_count=needed, cache=cache, pixel_limit=pixel_limit)
    if kind == "cyclegan":
        scan_a = scan_folder(data, min(64, crop), needed, pixel_limit)
        scan_b = scan_folder(data_b, min(64, crop), needed, pixel_limit)
        return UnpairedDataset(scan_a, scan_b, **common)
    if kind == "dcgan":
        return ImageDataset(scan_folder(data, io.MIN_SIDE, needed, pixel_limit), **common)
    data = _require_folder(data)
    folders = find_pair_folders(data)
    factor = scale if kind == "upscale" else 1
    if folders:
        pairs, problems = _paired(folders, factor, crop, needed, pixel_limit)
        return PairedDataset(kind, data, folders, pairs, problems, scale=factor,
                             crops_per_image=crops_per_image, **common)
    scan = scan_folder(data, min(64, crop), needed, pixel_limit)
    return SyntheticDataset(kind, scan, scale=factor, crops_per_image=crops_per_image,
                            clean=degradation == "clean", plain_crops=plain_crops,
                            heavy=degradation in ("heavy", "mixed"),
                            mild_share=MIXED_MILD_SHARE if degradation == "mixed" else 0.0,
                            **common)


def _check_options(kind: str, data_b, crop: int, scale: int, plain_crops: float) -> None:
    if kind == "cyclegan" and data_b is None:
        raise UsageError(
            "cyclegan training needs two folders: domain A (data) and domain B (data_b)."
        )
    if kind != "cyclegan" and data_b is not None:
        raise UsageError(f"{kind} training takes one folder; a second folder is for cyclegan.")
    if crop < io.MIN_SIDE:
        raise UsageError(f"crop must be at least {io.MIN_SIDE} pixels, got {crop}.")
    if not 0.0 <= plain_crops <= 1.0:
        raise UsageError(f"plain_crops is a share of crops from 0 to 1, got {plain_crops}.")
    if kind == "upscale" and (scale < 2 or crop % scale):
        raise UsageError(
            f"upscale training needs a scale of at least 2 that divides the crop; got scale "
            f"{scale} and crop {crop}."
        )


def _paired(folders, scale, crop, needed, pixel_limit):
    """Scan and match every ``(degraded, sharp)`` folder pair; drop mis-sized pairs."""
    pairs: list[tuple[Path, Path]] = []
    problems: list[str] = []
    lonely: list[str] = []
    mismatched: list[str] = []
    side_b = min(64, crop)
    side_a = max(io.MIN_SIDE, side_b // scale)
    for folder_a, folder_b in folders:
        scan_a = scan_folder(folder_a, side_a, 0, pixel_limit)
        scan_b = scan_folder(folder_b, side_b, 0, pixel_limit)
        found, lonely_a, lonely_b = _match(scan_a, scan_b)
        lonely += [_shown(p, scan_a.root) for p in lonely_a]
        lonely += [_shown(p, scan_b.root) for p in lonely_b]
        problems += scan_a.problems + scan_b.problems
        problems += [f"{name} was skipped: it has no partner of the same name." for name in
                     [_shown(p, scan_a.root) for p in lonely_a]
                     + [_shown(p, scan_b.root) for p in lonely_b]]
        sizes = dict(zip(scan_a.paths, scan_a.sizes)) | dict(zip(scan_b.paths, scan_b.sizes))
        for a, b in found:
            reason = _size_mismatch(sizes[a], sizes[b], scale)
            if reason:
                mismatched.append(f"{_shown(a, scan_a.root)} and {_shown(b, scan_b.root)}: "
                                  f"{reason}")
            else:
                pairs.append((a, b))
    problems += [f"pair skipped: {m}." for m in mismatched]
    if len(pairs) < max(1, needed):
        raise UsageError(_pairs_error(folders, len(pairs), max(1, needed), lonely, mismatched))
    return pairs, problems


def _size_mismatch(size_a, size_b, scale: int) -> str:
    (wa, ha), (wb, hb) = size_a, size_b
    if scale == 1:
        return "" if (wa, ha) == (wb, hb) else f"{wa}x{ha} and {wb}x{hb} differ in size"
    if (wa, ha) == (wb // scale, hb // scale):
        return ""
    return (f"{wa}x{ha} is not 1/{scale} of {wb}x{hb} (a low-resolution image must be "
            f"{wb // scale}x{hb // scale} here)")


def _pairs_error(folders, count, needed, lonely, mismatched) -> str:
    a, b = folders[0]
    found = f"{len(folders)} folder pairs such as {a} and {b}" if len(folders) > 1 else (
        f"{a} and {b}")
    if mismatched and len(mismatched) >= len(lonely):
        return (f"only {count} usable pair(s) in {found} (at least {needed} needed): "
                f"{'; '.join(mismatched[:_EXAMPLES])}.")
    listed = ", ".join(lonely[:_EXAMPLES]) if lonely else "none"
    return (f"only {count} image(s) in {found} have a partner with the same name (at least "
            f"{needed} needed; unmatched: {listed}); paired folders need the same relative "
            "names, such as A/0001.png and B/0001.png.")
