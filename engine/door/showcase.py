"""Pictures made for people rather than by a task: the demo's side-by-side sheets."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.imaging import io
from engine.imaging.image import Image
from engine.imaging.resample import resize_to


def side_by_side(paths: list[Path], out: Path) -> Path:
    """Write ``paths`` next to each other (scaled to the first one's height, 8 px white gaps,
    alpha dropped) as one image at ``out``; returns ``out``."""
    images = [io.read(p).pixels[..., :3] for p in paths]
    height = images[0].shape[0]
    gap = np.ones((height, 8, 3), np.float32)
    row = []
    for pixels in images:
        width = round(pixels.shape[1] * height / pixels.shape[0])
        row += [resize_to(pixels, width, height) if pixels.shape[0] != height else pixels, gap]
    io.write(Image(pixels=np.clip(np.concatenate(row[:-1], axis=1), 0, 1)), out)
    return out
