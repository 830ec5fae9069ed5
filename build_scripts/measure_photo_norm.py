"""Measure tiling with the photo's statistics against one pass (docs/BENCHMARKS.md).

    python build_scripts/measure_photo_norm.py [--model starry-night] [--size 1920x1200]
        [--tiles 512 1024] [--photo resources/samples/ladybird.jpg]

Runs an instance-norm generator from the store on a photo resized to ``--size``: once in one
pass (the reference), then tiled with the photo's statistics at each ``--tiles`` side, and
with the old mirrored tiles (``process_tiled``, per-tile statistics). Prints seconds and the
mean / max difference from one pass in 8-bit levels.
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from engine.imaging import io as imaging
from engine.imaging.image import Image
from engine.imaging.tiling import process_image
from engine.inference import make_predictor
from engine.photo_norm import photo_norm_models, run_exact
from engine.store import catalog
from engine.store.loader import load_model
from engine.tasks.registry import RunContext, get_task


def _levels(a: np.ndarray, b: np.ndarray) -> str:
    d = np.abs(np.clip(a, 0, 1) - np.clip(b, 0, 1)) * 255
    return f"mean {d.mean():.3f} max {d.max():.2f} levels"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="starry-night")
    parser.add_argument("--size", default="1920x1200")
    parser.add_argument("--tiles", type=int, nargs="*", default=[512, 1024])
    parser.add_argument("--photo", default="resources/samples/ladybird.jpg")
    args = parser.parse_args()
    manifest = catalog.get(args.model)
    model = load_model(manifest)
    task = get_task(manifest.task)
    width, height = (int(v) for v in args.size.split("x"))
    pixels = cv2.resize(imaging.read(args.photo).pixels, (width, height),
                        interpolation=cv2.INTER_CUBIC).clip(0, 1).astype(np.float32)
    kw = dict(input_range=manifest.input_range, output_range=manifest.output_range,
              multiple=max(1, manifest.size_multiple), overlap=task.tiling.overlap)
    print(f"{args.model} ({manifest.config}), {width}x{height}, "
          f"{len(photo_norm_models(model).norms)} norm layers")
    start = time.perf_counter()
    whole = run_exact(model, pixels, tile=max(width, height) + 16, **kw)
    print(f"one pass: {time.perf_counter() - start:.1f} s")
    for tile in args.tiles:
        start = time.perf_counter()
        tiled = run_exact(model, pixels, tile=tile, **kw)
        print(f"photo statistics, tile {tile}: {time.perf_counter() - start:.1f} s, "
              f"{_levels(tiled, whole)}")
        predict = make_predictor(model, manifest.input_range, manifest.output_range)
        start = time.perf_counter()
        old = process_image(Image(pixels), predict, task.policy(manifest),
                            RunContext(tile=tile)).pixels
        print(f"old mirrored tiles, tile {tile}: {time.perf_counter() - start:.1f} s, "
              f"{_levels(old, whole)}")


if __name__ == "__main__":
    main()
