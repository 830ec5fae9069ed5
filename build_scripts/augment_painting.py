"""Make the CycleGAN training folders for a one-painting style (``starry-night``).

One painting is a tiny domain B: 128-px crops of one 752 x 600 image, always at the same
scale, teach a generator that texture at one stroke size and the painting's exact colours.
This script writes augmented copies, which the trainer then crops and flips as usual:

- ``--painting-out``: ``copies`` versions of each painting, each rescaled (``SCALES``: the
  stroke scale varies by about 2x), optionally flipped left-right, and given a small colour
  jitter (brightness x0.92..1.08, saturation x0.9..1.1, a hue rotation of at most 4 degrees in
  YCbCr) so the generator learns the palette, not one exact set of pixel values.
- ``--photos-out``: each training photo at long sides ``PHOTO_SIDES`` (512..896 px). The
  style and painting tasks are judged at a 512-px working size, where a 128-px crop holds
  objects and edges; crops of 4-megapixel wallpapers are mostly smooth sky, which teaches
  the generator to paint grain on flat areas.

Files are written once (existing outputs are left alone); the sources are never modified.
Run: ``.venv/bin/python build_scripts/augment_painting.py`` (after fetch_training_data.py);
for the second bundled style: ``--paintings resources/styles/elephants.jpg --painting-out
data/paintings/elephants_augmented --skip-photos``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.imaging import color, io  # noqa: E402
from engine.imaging.image import Image  # noqa: E402
from engine.imaging.resample import resize_to  # noqa: E402

SCALES = (0.7, 0.85, 1.0, 1.2, 1.4)
PHOTO_SIDES = (512, 704, 896)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}


def jitter(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small random colour change of RGB ``(H, W, 3)`` in ``[0, 1]`` (same shape, range)."""
    ycc = color.rgb_to_ycbcr(pixels)
    ycc[..., 0] *= rng.uniform(0.92, 1.08)
    angle = np.deg2rad(rng.uniform(-4.0, 4.0))
    sat = rng.uniform(0.9, 1.1)
    cb, cr = ycc[..., 1] - 0.5, ycc[..., 2] - 0.5
    cos, sin = np.cos(angle) * sat, np.sin(angle) * sat
    ycc[..., 1] = 0.5 + cos * cb - sin * cr
    ycc[..., 2] = 0.5 + sin * cb + cos * cr
    return np.clip(color.ycbcr_to_rgb(ycc), 0.0, 1.0).astype(np.float32)


def _scaled(pixels: np.ndarray, factor: float) -> np.ndarray:
    height, width = pixels.shape[:2]
    method = "area" if factor < 1 else "bicubic"
    out = resize_to(pixels, round(width * factor), round(height * factor), method)
    return np.clip(out, 0.0, 1.0)


def _images(source: Path) -> list[Path]:
    """The images of folder ``source``, or ``[source]`` when it is one image file."""
    if source.is_file():
        return [source]
    return sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def augment_paintings(src: Path, out: Path, copies: int, seed: int) -> int:
    """Write ``copies`` rescaled, flipped and jittered versions of each painting in ``src``."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written = 0
    for path in _images(src):
        pixels = io.read(path).pixels
        for i in range(copies):
            target = out / f"{path.stem}_{i:03d}.png"
            scale, flip = SCALES[i % len(SCALES)], bool((i // len(SCALES)) % 2)
            variant = jitter(_scaled(pixels, scale), rng) if i else _scaled(pixels, scale)
            if not target.exists():
                io.write(Image(pixels=variant[:, ::-1] if flip else variant), target)
                written += 1
    return written


def shrink_photos(src: Path, out: Path) -> int:
    """Write each photo of ``src`` at every long side of ``PHOTO_SIDES`` (never enlarged; a
    photo smaller than the first side is written once at its own size)."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in _images(src):
        pixels = io.read(path).pixels
        for side in PHOTO_SIDES:
            factor = min(1.0, side / max(pixels.shape[:2]))
            target = out / f"{path.stem}_{side}.png"
            if (factor < 1 or side == PHOTO_SIDES[0]) and not target.exists():
                small = _scaled(pixels, factor) if factor < 1 else pixels
                io.write(Image(pixels=small), target)
                written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paintings", type=Path, default=Path("data/paintings/train"),
                        help="a folder of paintings or one painting file")
    parser.add_argument("--painting-out", type=Path, default=Path("data/paintings/augmented"))
    parser.add_argument("--photos", type=Path, default=Path("data/photos/train"))
    parser.add_argument("--photos-out", type=Path, default=Path("data/photos/train_small"))
    parser.add_argument("--copies", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-photos", action="store_true",
                        help="write only the painting variants")
    args = parser.parse_args()
    n = augment_paintings(args.paintings, args.painting_out, args.copies, args.seed)
    m = 0 if args.skip_photos else shrink_photos(args.photos, args.photos_out)
    print(f"wrote {n} painting variants to {args.painting_out}, {m} photos to {args.photos_out}")


if __name__ == "__main__":
    main()
