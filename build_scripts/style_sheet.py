"""The style sheet for docs/MODELS.md (issue 18): held-out photos, each as itself, through
the style task at its defaults and through the painting task (each painting's own CycleGAN,
``starry-night`` and ``elephants``), next to the paintings.

Reads the outputs that ``photogan eval style|painting --save DIR`` wrote (so the sheet shows
exactly what was scored) and writes ``docs/models/style_sheet.jpg``: a top row with the
paintings, then one row per photo: photo | style task with each painting | painting task
with each painting, all at the same height.

Run (after the evals; the painting columns come from ``photogan eval painting
--input-size 8000 --save DIR``, the painting task given each photo at its own size, as a
photographer would, its output brought to 512 px)::

    .venv/bin/python build_scripts/style_sheet.py \
        --style-out starry_night=runs/eval/style_starry_out \
        --style-out elephants=runs/eval/style_eleph_out \
        --painting-out starry_night=runs/eval/painting_starry_night \
        --painting-out elephants=runs/eval/painting_elephants
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.evaluation.eval_style import fit_long_side  # noqa: E402
from engine.imaging import io  # noqa: E402
from engine.imaging.image import Image  # noqa: E402
from engine.imaging.resample import resize_to  # noqa: E402
from engine.tasks.style import read_style  # noqa: E402

PHOTOS = ["nature_LadyBird.jpg", "data_building.jpg", "data_coffee.png"]
HEIGHT = 160
GAP = 6


def _height(pixels: np.ndarray, height: int = HEIGHT) -> np.ndarray:
    h, w = pixels.shape[:2]
    return np.clip(resize_to(pixels, round(w * height / h), height, "area"), 0.0, 1.0)


def _row(images: list[np.ndarray], width: int) -> np.ndarray:
    parts = []
    for image in images:
        parts += [image, np.ones((image.shape[0], GAP, 3), np.float32)]
    row = np.concatenate(parts[:-1], axis=1)
    pad = np.ones((row.shape[0], max(0, width - row.shape[1]), 3), np.float32)
    return np.concatenate([row, pad], axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "photos" / "heldout")
    parser.add_argument("--style-out", action="append", required=True, metavar="STYLE=DIR",
                        help="a bundled style and the folder its style-task outputs are in")
    parser.add_argument("--painting-out", action="append", required=True,
                        metavar="STYLE=DIR", help="a bundled style and the folder its "
                        "painting-task outputs are in")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "models" / "style_sheet.jpg")
    args = parser.parse_args(argv)
    columns = [(name, Path(folder)) for name, folder in
               (item.split("=", 1) for item in args.style_out + args.painting_out)]
    paintings = list(dict.fromkeys(name for name, _ in columns))
    rows = [[_height(read_style(name)) for name in paintings]]
    for name in PHOTOS:
        stem = Path(name).stem
        photo = fit_long_side(io.read(args.data / name).pixels, 512)
        outputs = [io.read(folder / f"{stem}.png").pixels for _, folder in columns]
        rows.append([_height(p) for p in (photo, *outputs)])
    width = max(sum(i.shape[1] + GAP for i in r) - GAP for r in rows)
    sheet = []
    for row in rows:
        sheet += [_row(row, width), np.ones((GAP, width, 3), np.float32)]
    out = io.write(Image(pixels=np.concatenate(sheet[:-1], axis=0)), args.out, quality=90)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
