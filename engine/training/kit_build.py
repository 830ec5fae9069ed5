"""Writing a GPU training kit: sharp tiles and a blur-kernel bank in one small folder.

A kit is what a deblur training run on an accelerator machine needs besides the code, packed
so it travels in a few tens of MB (``make gpu-kit`` adds the wheels; see docs/GPU.md)::

    kit.json      manifest: format, counts, sizes, seed, tile grid, kernel mix, versions
    tiles.npz     sharp tiles, lossless WebP, one uint8 blob + offsets,
                  their texture scores and source photo indices
    kernels.npz   blur kernels, each cut to its support, float16, one blob + offsets,
                  shapes, anchors (the full kernel's centre in the cut), kind and size

Tiles cover each photo, brought to the heavy tier's 1280-px working size (as
``datasets._fit_working_side`` does), with a regular grid of ``tile``-px squares at most
``stride`` apart (edge to edge, so every pixel is in a tile; 512 and 512 by default, which
covers a 1280 x 853 photo with 3 x 2 tiles, 1.4 times its area); ``KitDataset`` cuts
random crops and flips from them. Storing the grid
losslessly is cheaper than thousands of overlapping random crops and loses nothing. The kit
must travel with the repository to the device machine (64 MiB in all), so it is kept
small: 32 MB for the 40 training photos. Kernels follow ``heavy_blur.degrade_heavy``'s
mix: camera shake 60% (extent 3-37 px), defocus 28% (radius 1-6.5), Gaussian 12%
(sigma 0.5-3). Everything is a fixed function of the photos and ``seed``.

Tiles keep the pixel contract: they are encoded with ``color.rgb_to_encodable`` and read
back with ``color.decoded_to_rgb``.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from engine.atomic import write_text_atomic
from engine.errors import UsageError
from engine.imaging import color, io
from engine.training import degrade, heavy_blur
from engine.training.datasets import TEXTURE_MIN, _fit_working_side, scan_folder, texture

__all__ = ["KIT_FORMAT", "KIT_MANIFEST", "MARGIN", "build_kit", "kernel_bank", "tile_grid"]

KIT_FORMAT = "photogan-gpu-kit/1"
KIT_MANIFEST = "kit.json"
MARGIN = 40  # context around a training crop: the largest kernel reaches 38 px
KERNEL_KINDS = ("shake", "defocus", "gaussian")


def tile_grid(length: int, tile: int, stride: int) -> list[int]:
    """Start offsets of ``tile``-long windows covering ``0..length`` at most ``stride`` apart.

    The first window starts at 0 and the last ends at ``length``; a side shorter than
    ``tile`` gives ``[0]`` (the tile is mirrored up to size later).
    """
    if length <= tile:
        return [0]
    count = -(-(length - tile) // stride) + 1
    return [round(i * (length - tile) / (count - 1)) for i in range(count)]


def _tiles_of(pixels: np.ndarray, tile: int, stride: int) -> list[np.ndarray]:
    """``(tile, tile, 3)`` windows of float32 ``pixels`` (mirror-padded when small)."""
    h, w = pixels.shape[:2]
    pad = ((0, max(0, tile - h)), (0, max(0, tile - w)), (0, 0))
    if any(p[1] for p in pad[:2]):
        pixels = np.pad(pixels, pad, mode="symmetric")
    return [pixels[y:y + tile, x:x + tile]
            for y in tile_grid(h, tile, stride) for x in tile_grid(w, tile, stride)]


def _encode(tile: np.ndarray) -> np.ndarray:
    """Lossless WebP bytes of a float tile (quality above 100 means lossless in OpenCV;
    a quarter smaller than PNG for photos, and faster to decode)."""
    ok, buffer = cv2.imencode(".webp", color.rgb_to_encodable(tile, None, 8, False),
                              [cv2.IMWRITE_WEBP_QUALITY, 101])
    if not ok:
        raise RuntimeError("OpenCV could not encode a WebP tile in memory")
    return buffer.reshape(-1)


def _draw_kernel(rng: np.random.Generator) -> tuple[int, float, np.ndarray]:
    """One kernel of ``degrade_heavy``'s mix: ``(kind index, size, (k, k) float32)``."""
    choice = rng.uniform()
    if choice < 0.6:
        extent = rng.uniform(*heavy_blur.TRAIN_EXTENT)
        return 0, extent, heavy_blur.shake_kernel(rng, extent)
    if choice < 0.88:
        radius = rng.uniform(*heavy_blur.TRAIN_RADIUS)
        return 1, radius, degrade.defocus_kernel(radius)
    sigma = rng.uniform(0.5, 3.0)
    return 2, sigma, degrade.gaussian_kernel(sigma)


def _support(kernel: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """The kernel cut to its non-zero rows and columns, and the full centre's place in it."""
    rows = np.flatnonzero(kernel.sum(axis=1) > 0)
    cols = np.flatnonzero(kernel.sum(axis=0) > 0)
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    centre = (kernel.shape[0] - 1) // 2
    return kernel[r0:r1, c0:c1], (centre - r0, centre - c0)


def kernel_bank(count: int, seed: int) -> dict[str, np.ndarray]:
    """``count`` kernels of the heavy training mix, packed (see the module docstring).

    Returns:
        ``values`` float16 (all cut kernels, flattened), ``offsets`` int64 ``(count + 1,)``,
        ``shapes`` int32 ``(count, 2)``, ``anchors`` int32 ``(count, 2)`` (row, column of
        the full kernel's centre inside the cut), ``kind`` uint8 (index into
        ``KERNEL_KINDS``), ``size`` float32 (extent, radius or sigma in pixels).
    """
    rng = np.random.default_rng([int(seed), 2])
    values, shapes, anchors, kinds, sizes = [], [], [], [], []
    for _ in range(int(count)):
        kind, size, kernel = _draw_kernel(rng)
        cut, anchor = _support(kernel)
        values.append(cut.astype(np.float16).reshape(-1))
        shapes.append(cut.shape)
        anchors.append(anchor)
        kinds.append(kind)
        sizes.append(size)
    offsets = np.concatenate([[0], np.cumsum([v.size for v in values])]).astype(np.int64)
    return {"values": np.concatenate(values), "offsets": offsets,
            "shapes": np.asarray(shapes, np.int32), "anchors": np.asarray(anchors, np.int32),
            "kind": np.asarray(kinds, np.uint8), "size": np.asarray(sizes, np.float32)}


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    partial = path.with_name(f".{path.name}.partial")
    with open(partial, "wb") as fh:
        np.savez(fh, **arrays)
    partial.replace(path)


def _pack_tiles(paths: list[Path], tile: int, stride: int) -> tuple[dict, list[str]]:
    blobs, scores, sources, problems = [], [], [], []
    for index, path in enumerate(paths):
        try:
            pixels = _fit_working_side(io.read(path).pixels)
        except Exception as exc:  # one bad photo never stops the kit
            problems.append(f"{path.name} was skipped: {exc}")
            continue
        for window in _tiles_of(pixels, tile, stride):
            blobs.append(_encode(window))
            scores.append(texture(np.rint(window * 255.0)))
            sources.append(index)
    if not blobs:
        raise UsageError("No photo could be read for the GPU kit; check the photo folder.")
    offsets = np.concatenate([[0], np.cumsum([b.size for b in blobs])]).astype(np.int64)
    return {"images": np.concatenate(blobs), "offsets": offsets,
            "texture": np.asarray(scores, np.float32),
            "source": np.asarray(sources, np.int32)}, problems


def build_kit(photos: str | Path, out: str | Path, *, tile: int = 512, stride: int = 512,
              kernels: int = 4096, seed: int = 0, extra: dict | None = None) -> dict:
    """Write ``tiles.npz``, ``kernels.npz`` and ``kit.json`` into ``out`` (created).

    Args:
        photos: folder of sharp photos (searched recursively).
        out: the kit folder; files already there are replaced.
        tile: tile side in pixels; a training crop is at most ``tile - 2 * MARGIN``.
        stride: largest distance between neighbouring tiles (``<= tile``).
        kernels: how many kernels the bank holds.
        seed: the kernel bank's seed.
        extra: more manifest fields (wheels, versions) from the caller.

    Returns:
        The manifest written to ``kit.json``.

    Raises:
        UsageError: no usable photo, or a tile too small for any crop.
    """
    if tile <= 2 * MARGIN or not 0 < stride <= tile:
        raise UsageError(f"tile must exceed {2 * MARGIN} px and stride lie in 1..tile; "
                         f"got tile {tile}, stride {stride}.")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scan = scan_folder(photos)
    tiles, problems = _pack_tiles(scan.paths, tile, stride)
    bank = kernel_bank(kernels, seed)
    _write_npz(out / "tiles.npz", tiles)
    _write_npz(out / "kernels.npz", bank)
    manifest = {
        "format": KIT_FORMAT, "seed": int(seed), "margin": MARGIN,
        "working_side": heavy_blur.HEAVY_WORKING_SIDE, "tile": int(tile),
        "stride": int(stride), "max_crop": int(tile - 2 * MARGIN),
        "photos": [p.name for p in scan.paths], "tiles": int(len(tiles["texture"])),
        "textured_tiles": int(np.sum(tiles["texture"] >= TEXTURE_MIN)),
        "tiles_bytes": int(tiles["images"].size), "codec": "webp lossless", "kernels": int(kernels),
        "kernels_bytes": int(bank["values"].nbytes),
        "kernel_kinds": {name: int(np.sum(bank["kind"] == i))
                         for i, name in enumerate(KERNEL_KINDS)},
        "degradation": "heavy_blur.degrade_heavy mix: sharp share 0.1, highlights 15%, "
                       "noise sigma 0-0.025, JPEG q 60-95 half of the time",
        "problems": scan.problems + problems, **(extra or {}),
    }
    write_text_atomic(out / KIT_MANIFEST, json.dumps(manifest, indent=2))
    return manifest
