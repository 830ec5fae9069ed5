"""The ``resize`` task: Lanczos resizing, tiled like every other task."""

from __future__ import annotations

import numpy as np

from engine.imaging.image import Image
from engine.imaging.resample import lanczos_resize, resize_alpha
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, Task, register


def output_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """``(round(H * scale), round(W * scale))``, halves rounded up, at least 1 pixel."""
    return max(1, int(height * scale + 0.5)), max(1, int(width * scale + 0.5))


@register
class Resize(Task):
    """Lanczos resize of pixels and alpha; see ``resample.lanczos_resize`` for the tiling."""

    id = "resize"
    title = "Resize"
    description = "Enlarge or shrink photos with high-quality Lanczos resampling."
    params = (
        Param("scale", "float", 2.0,
              "Size factor: 2 doubles width and height, 0.5 halves them.",
              min=0.1, max=8.0),
    )

    def output_scale(self, options: dict) -> float:
        return float(options["scale"])

    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        height, width = output_size(image.height, image.width, float(options["scale"]))
        pixels = lanczos_resize(image.pixels, height, width, ctx)
        np.clip(pixels, 0.0, 1.0, out=pixels)
        alpha = None if image.alpha is None else resize_alpha(image.alpha, height, width, ctx)
        return image.with_pixels(pixels, alpha)
