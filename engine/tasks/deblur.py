"""``deblur``: remove camera-shake and defocus blur with a trained generator (the deblur U-Net
by default, or a DeblurGAN ResNet generator: shipped, trained or imported)."""

from __future__ import annotations

import cv2
import numpy as np

from engine.imaging.blur_map import correction_gate
from engine.imaging.image import Image
from engine.imaging.tiling import TilingPolicy
from engine.tasks.model_task import ModelTask
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, register

# Scale (Gaussian sigma, pixels) above which the restored photo must match the blurred one:
# about the radius of the largest blur the model is trained on (31 px kernels).
TONE_SIGMA = 16.0


def keep_tones(restored: np.ndarray, blurred: np.ndarray, sigma: float = TONE_SIGMA
               ) -> np.ndarray:
    """``restored`` with the large-scale colours and tones of ``blurred``.

    A blur kernel sums to one, so it never changes a photo's colours at scales well above its
    size; any difference there is drift added by the network (a slight tint or a tone shift
    in sky and bokeh). Removing the low-pass (``sigma``) of ``restored - blurred`` takes that
    drift out and keeps the restored detail.

    Args:
        restored, blurred: ``(H, W, C)`` float32 in ``[0, 1]``, the same shape.

    Returns:
        ``(H, W, C)`` float32 in ``[0, 1]``.
    """
    drift = np.subtract(restored, blurred, dtype=np.float32)
    # In place: one extra full-size array, not two, on a 24-megapixel photo.
    cv2.GaussianBlur(drift, (0, 0), sigma, dst=drift, borderType=cv2.BORDER_REFLECT_101)
    np.subtract(restored, drift, out=drift)
    return np.clip(drift, 0.0, 1.0, out=drift)


def keep_bokeh(restored: np.ndarray, blurred: np.ndarray) -> np.ndarray:
    """``restored`` where the photo is about as blurred as its sharpest parts, ``blurred``
    where it is much blurrier (a soft background chosen by the photographer), blended.

    Args:
        restored, blurred: ``(H, W, C)`` float32 in ``[0, 1]``, the same shape.

    Returns:
        ``(H, W, C)`` float32 in ``[0, 1]`` (``restored``'s array, changed in place).
    """
    gate = correction_gate(blurred)[:, :, None]
    # blurred + gate * (restored - blurred), in place on 24-megapixel arrays.
    np.subtract(restored, blurred, out=restored)
    np.multiply(restored, gate, out=restored)
    np.add(restored, blurred, out=restored)
    return restored


@register
class Deblur(ModelTask):
    id = "deblur"
    title = "Deblur"
    description = "Removes camera-shake and focus blur (U-Net or DeblurGAN generator)."
    tiling = TilingPolicy(overlap=48)
    extra_params = (
        Param("keep_tones", "bool", True, "Keep the photo's colours and tones exactly as they "
              "are (blur never changes them): removes any faint tint or tone shift the "
              "network adds, keeps the recovered detail."),
        Param("keep_bokeh", "bool", True, "Leave soft backgrounds soft: parts of the photo "
              "much blurrier than its sharpest parts (a shallow depth of field) are not "
              "sharpened; camera shake or a missed focus over the whole frame still is."),
    )

    def finish(self, source: Image, result: Image, options: dict, ctx: RunContext) -> Image:
        pixels = result.pixels
        if options.get("keep_bokeh", True):
            pixels = keep_bokeh(pixels, source.pixels)
        if options.get("keep_tones", True):
            pixels = keep_tones(pixels, source.pixels)
        return result.with_pixels(pixels, result.alpha)
