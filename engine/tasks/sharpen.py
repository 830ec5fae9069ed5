"""The ``sharpen`` task: an unsharp mask, run through the same tiling path as the networks."""

from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import cv2
import numpy as np

from engine.imaging.image import Image
from engine.imaging.tiling import CLASSICAL, per_tile, process_image
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, Task, register


def blur_radius(sigma: float) -> int:
    """Gaussian kernel radius in pixels: the kernel is cut off at 3 sigma.

    The tiles' overlap equals this radius, so tiled and whole-image results agree exactly.
    """
    return max(1, math.ceil(3.0 * sigma))


def unsharp_mask(
    pixels: np.ndarray, amount: float, sigma: float, threshold: float
) -> np.ndarray:
    """Unsharp mask: ``pixels + amount * (pixels - gaussian_blur(pixels, sigma))``.

    Args:
        pixels: ``(H, W, C)`` float32 in ``[0, 1]``.
        amount: strength; 0 returns the input.
        sigma: Gaussian blur sigma in pixels (the "radius" photographers set).
        threshold: in ``[0, 1]``; a pixel is sharpened only where its largest per-channel
            difference from the blur exceeds this, so flat areas (skin, sky, noise) are left
            alone. Whole pixels, not single channels, are switched so no colour fringes appear.

    Returns:
        ``(H, W, C)`` float32, not clipped. Borders mirror the image (``BORDER_REFLECT_101``).
    """
    size = 2 * blur_radius(sigma) + 1
    detail = cv2.GaussianBlur(
        pixels, (size, size), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT_101
    ).reshape(pixels.shape)
    np.subtract(pixels, detail, out=detail)
    if threshold > 0.0:
        detail *= (np.abs(detail).max(axis=2) > threshold)[:, :, None]
    detail *= np.float32(amount)
    detail += pixels
    return detail


@register
class Sharpen(Task):
    """Unsharp-mask sharpening; alpha is left untouched."""

    id = "sharpen"
    title = "Sharpen"
    description = "Crisper edges and fine detail with a classic unsharp mask."
    params = (
        Param("amount", "float", 1.0, "Strength of the sharpening; 0 leaves the photo as is.",
              min=0.0, max=5.0),
        Param("radius", "float", 1.5,
              "Size in pixels of the detail to sharpen (Gaussian sigma); larger adds punch.",
              min=0.1, max=50.0),
        Param("threshold", "float", 0.0,
              "Leave pixels alone whose contrast with their surroundings is below this "
              "(0 to 1); raise it to keep skin and sky smooth.",
              min=0.0, max=1.0),
    )

    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        sigma = float(options["radius"])
        fn = partial(
            unsharp_mask,
            amount=float(options["amount"]),
            sigma=sigma,
            threshold=float(options["threshold"]),
        )
        policy = replace(CLASSICAL, overlap=blur_radius(sigma))
        return process_image(image, per_tile(fn), policy, ctx)
