"""``upscale``: 4x super-resolution with an SRGAN generator, optionally brought to 2x or 3x."""

from __future__ import annotations

from engine.imaging.image import Image
from engine.imaging.resample import lanczos_resize
from engine.imaging.tiling import TilingPolicy
from engine.tasks.model_task import ModelTask
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, register


@register
class Upscale(ModelTask):
    id = "upscale"
    title = "Upscale 4x"
    description = "Enlarges photos 4x with recovered detail (SRGAN generator)."
    tiling = TilingPolicy(overlap=24)
    extra_params = (
        Param("outscale", "choice", 4, "Final size: 4x from the model, or 2x/3x by a Lanczos "
              "downscale of the 4x result.", choices=(4, 3, 2)),
    )

    def output_scale(self, options: dict) -> float:
        return float(options.get("outscale", 4))

    def finish(self, source: Image, result: Image, options: dict, ctx: RunContext) -> Image:
        outscale = int(options.get("outscale", 4))
        if outscale == 4:
            return result
        height, width = source.height * outscale, source.width * outscale
        pixels = lanczos_resize(result.pixels, height, width, ctx).clip(0.0, 1.0)
        alpha = None
        if result.alpha is not None:
            alpha = lanczos_resize(result.alpha[:, :, None], height, width, ctx)[:, :, 0]
            alpha = alpha.clip(0.0, 1.0)
        return result.with_pixels(pixels, alpha)
