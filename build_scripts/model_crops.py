"""Before/after crops for docs/MODELS.md from held-out photos, degraded exactly as
``photogan eval`` degrades them (same windows, kernels and seeds).

Writes ``docs/models/<task>_<photo>.jpg``: one row per photo, left to right
deblur: blurred input | sharpen | Richardson-Lucy | model | truth;
upscale: bicubic | Lanczos | model | truth (each 4x from the same low-resolution crop).

Run: ``.venv/bin/python build_scripts/model_crops.py [--data data/photos/heldout]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.evaluation.eval import _detailed_crop, deblur_methods, upscale_methods  # noqa: E402
from engine.imaging import io  # noqa: E402
from engine.imaging.image import Image  # noqa: E402
from engine.training.degrade import eval_blur, eval_downscale  # noqa: E402

PHOTOS = {"deblur": ["data_building.jpg", "nature_TwoWings.jpg", "data_butterfly.jpg"],
          "upscale": ["data_building.jpg", "data_butterfly.jpg", "nature_TwoWings.jpg"]}
SIDE = {"deblur": 192, "upscale": 192}  # shown crop side, pixels
GAP = 6


def _row(images: list[np.ndarray]) -> np.ndarray:
    gap = np.ones((images[0].shape[0], GAP, 3), np.float32)
    parts = []
    for image in images:
        parts += [np.clip(image, 0, 1), gap]
    return np.concatenate(parts[:-1], axis=1)


def deblur_row(path: Path, index: int) -> np.ndarray:
    """``(SIDE, 5 * SIDE + gaps, 3)``: the motion-blurred crop and its restorations."""
    truth = _detailed_crop(io.read(path).pixels, 512, 4)
    blurred = eval_blur(truth, index, "motion")
    methods = deblur_methods("motion", "")
    chosen = ["blurred input", "sharpen", "richardson-lucy"]
    outs = [methods[name](blurred) for name in chosen]
    outs.append(methods[next(n for n in methods if n.startswith("deblur"))](blurred))
    return _row([_centre(o, SIDE["deblur"]) for o in [*outs, truth]])


def upscale_row(path: Path) -> np.ndarray:
    """``(SIDE, 4 * SIDE + gaps, 3)``: bicubic, Lanczos, the model and the truth."""
    truth = _detailed_crop(io.read(path).pixels, 512, 4)
    low = eval_downscale(truth, "area")
    methods = upscale_methods("")
    outs = [method(low) for method in methods.values()]
    return _row([_centre(o, SIDE["upscale"]) for o in [*outs, truth]])


def _centre(pixels: np.ndarray, side: int) -> np.ndarray:
    """The central ``side x side`` window (the whole side where the image is smaller)."""
    h, w = pixels.shape[:2]
    side_y, side_x = min(side, h), min(side, w)
    top, left = (h - side_y) // 2, (w - side_x) // 2
    return pixels[top:top + side_y, left:left + side_x]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "photos" / "heldout")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "models")
    args = parser.parse_args(argv)
    names = sorted(p.name for p in args.data.iterdir())
    for task, photos in PHOTOS.items():
        for name in photos:
            path = args.data / name
            row = deblur_row(path, names.index(name)) if task == "deblur" else upscale_row(path)
            out = io.write(Image(pixels=row), args.out / f"{task}_{path.stem}.jpg", quality=92)
            print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
