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

import numpy as np

from engine.errors import UsageError
from engine.imaging import io
from engine.training import degrade, heavy_blur, kinds
from engine.training.crops import (
    DEFAULT_CACHE_BYTES,
    TEXTURE_MIN,
    TEXTURE_TRIES,
    ImageCache,
    _draw,
    _Files,
    _fit_working_side,
    _in_order,
    _maybe_flip,
    _stack,
    _textured_window,
    _to_float,
    _window,
    fit_long_side,
    texture,
)
from engine.training.dataset_types import (
    CYCLEGAN_WORKING_PIXELS,
    Dataset,
    ImageDataset,
    PairedDataset,
    UnpairedDataset,
    _Base,
)
from engine.training.kinds import KINDS
from engine.training.scan import (
    PAIR_FOLDER_NAMES,
    FolderScan,
    _paired,
    _require_folder,
    find_pair_folders,
    match_pairs,
    scan_folder,
)
from engine.training.spec import ONE_FOLDER, TWO_FOLDERS

__all__ = [
    "CYCLEGAN_WORKING_PIXELS",
    "DEFAULT_CACHE_BYTES",
    "PAIR_FOLDER_NAMES",
    "TEXTURE_MIN",
    "TEXTURE_TRIES",
    "MIXED_MILD_SHARE",
    "Dataset",
    "ImageDataset",
    "PairedDataset",
    "SyntheticDataset",
    "UnpairedDataset",
    "FolderScan",
    "ImageCache",
    "find_pair_folders",
    "fit_long_side",
    "make_dataset",
    "match_pairs",
    "scan_folder",
    "texture",
]

# Context around a synthetic crop (cut off afterwards), so blur kernels see real neighbours
# rather than a mirrored border; rounded up to a multiple of the upscale factor.
_MARGIN = 16
_HEAVY_MARGIN = 40  # heavy kernels reach 38 px from their centre
# "mixed" deblur pairs: this share of the blurred ones take the mild mix (small kernels at the
# working size), so a model trained for heavy shake does not over-correct slight blur.
MIXED_MILD_SHARE = 0.3


# --- datasets --------------------------------------------------------------------------------


class SyntheticDataset(_Base):
    """Deblur or upscale pairs made on the fly from sharp photos (full resolution).

    Each item: a random ``(crop + 2 * margin)`` window, a random flip, the degradation, then
    the central ``crop`` (so blur kernels see real image context, not a mirrored border).
    """

    mode = "synthetic"

    def __init__(self, kind, scan: FolderScan, crop, seed, min_count, cache, scale=4,
                 crops_per_image=1, pixel_limit=io.DEFAULT_MAX_PIXELS, clean=False,
                 plain_crops=0.0, heavy=False, mild_share=0.0, bokeh_share=0.0):
        super().__init__(kind, crop, seed, min_count, cache)
        self.mild_share = float(mild_share)
        self.bokeh_share = float(bokeh_share)
        self.scale = scale
        self.clean = bool(clean)
        self.degrade = kinds.get(kind).degrade  # "blur" (deblur) or "downscale" (upscale)
        self.heavy = bool(heavy) and self.degrade == "blur"
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
        if self.degrade == "blur":
            if self.heavy and self.bokeh_share > 0 and degrade_rng.uniform() < self.bokeh_share:
                sharp = heavy_blur.soft_background(sharp, degrade_rng)  # no draw at 0: old streams
                target = sharp[margin : margin + self.crop, margin : margin + self.crop]
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
                              scale=self.scale if self.degrade == "downscale" else 1,
                              plain_crops=self.plain_crops, heavy=self.heavy,
                              mild_share=self.mild_share, bokeh_share=self.bokeh_share)


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
    bokeh_share: float = 0.0,
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
        bokeh_share: heavy/mixed deblur pairs: the share whose target has a chosen
            out-of-focus background (``heavy_blur.soft_background``); ``0..1``.

    Raises:
        UsageError: unknown kind, bad crop/scale, missing or unsuitable folders, too few
            usable images, unmatched or mis-sized pairs.
    """
    if kind not in kinds.SPECS:
        raise UsageError(f"unknown training kind {kind!r}; use one of {', '.join(KINDS)}.")
    spec = kinds.get(kind)
    crop, scale = int(crop), int(scale)
    needed = 1 if min_count is None else int(min_count)
    _check_options(kind, data_b, crop, scale, plain_crops, bokeh_share)
    cache = ImageCache(cache_bytes)
    common = dict(crop=crop, seed=seed, min_count=needed, cache=cache, pixel_limit=pixel_limit)
    if spec.layout == TWO_FOLDERS:
        scan_a = scan_folder(data, min(64, crop), needed, pixel_limit)
        scan_b = scan_folder(data_b, min(64, crop), needed, pixel_limit)
        return UnpairedDataset(scan_a, scan_b, kind=kind, **common)
    if spec.layout == ONE_FOLDER:
        return ImageDataset(scan_folder(data, io.MIN_SIDE, needed, pixel_limit), kind=kind,
                            **common)
    data = _require_folder(data)
    folders = find_pair_folders(data)
    factor = scale if spec.scale != 1 else 1
    if folders:
        pairs, problems = _paired(folders, factor, crop, needed, pixel_limit)
        return PairedDataset(kind, data, folders, pairs, problems, scale=factor,
                             crops_per_image=crops_per_image, **common)
    scan = scan_folder(data, min(64, crop), needed, pixel_limit)
    return SyntheticDataset(kind, scan, scale=factor, crops_per_image=crops_per_image,
                            clean=degradation == "clean", plain_crops=plain_crops,
                            heavy=degradation in ("heavy", "mixed"),
                            mild_share=MIXED_MILD_SHARE if degradation == "mixed" else 0.0,
                            bokeh_share=bokeh_share, **common)


def _check_options(kind: str, data_b, crop: int, scale: int, plain_crops: float,
                   bokeh_share: float = 0.0) -> None:
    spec = kinds.get(kind)
    if spec.layout == TWO_FOLDERS and data_b is None:
        raise UsageError(
            f"{kind} training needs two folders: domain A (data) and domain B (data_b)."
        )
    if spec.layout != TWO_FOLDERS and data_b is not None:
        two = " or ".join(s.name for s in kinds.SPECS.values() if s.layout == TWO_FOLDERS)
        raise UsageError(f"{kind} training takes one folder; a second folder is for {two}.")
    if crop < io.MIN_SIDE:
        raise UsageError(f"crop must be at least {io.MIN_SIDE} pixels, got {crop}.")
    if not 0.0 <= plain_crops <= 1.0:
        raise UsageError(f"plain_crops is a share of crops from 0 to 1, got {plain_crops}.")
    if not 0.0 <= bokeh_share <= 1.0:
        raise UsageError(f"bokeh_share is a share of pairs from 0 to 1, got {bokeh_share}.")
    if spec.scale != 1 and (scale < 2 or crop % scale):
        raise UsageError(
            f"{kind} training needs a scale of at least 2 that divides the crop; got scale "
            f"{scale} and crop {crop}."
        )
