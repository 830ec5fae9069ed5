"""Working size and the way back to the photo's size, shared by the tasks that paint at a
working size (``style``, ``photo2monet``, ``monet2photo``).

A painting's strokes have a size in pixels of the image they are painted on: the style task
optimises at ``size`` pixels on the long side, and a CycleGAN generator paints strokes as wide
as it learned them on its training photos (512-896 px long side). Run on a 24-megapixel photo
at full size, those strokes shrink to a pixel-scale grain and the painting look vanishes. So
the work happens on the photo brought to a working long side (``working_image``), and the
result is brought back to the photo's exact size (``back_to_photo``): Lanczos-4 resampling,
tiled (``engine.imaging.resample.lanczos_resize``), alpha and metadata kept as they were.

``keep_colors`` puts the photo's own full-size colours back under the result's light: the
result's luma (BT.601 Y) with the photo's Cb/Cr (Gatys et al. 2016, "Preserving Color in
Neural Artistic Style Transfer", luminance-only transfer).
"""

from __future__ import annotations

import numpy as np

from engine.events import no_progress
from engine.imaging import color
from engine.imaging.image import Image
from engine.imaging.resample import lanczos_resize, resize_to
from engine.tasks.registry import RunContext


def working_shape(height: int, width: int, side: int, min_side: int = 1) -> tuple[int, int]:
    """``(h, w)`` of a ``height x width`` photo brought to long side ``side`` (aspect kept;
    never larger than the photo; ``side`` 0 = the photo's own size), both at least
    ``min_side``."""
    scale = min(1.0, side / max(height, width)) if side > 0 else 1.0
    return (max(min_side, round(height * scale)), max(min_side, round(width * scale)))


def working_image(image: Image, side: int) -> Image:
    """``image`` area-averaged down to long side ``side`` (pixels only: a new ``Image``
    without alpha or metadata), or ``image`` itself when ``side`` is 0 or at least its long
    side (a photo is never enlarged).

    Args:
        image: pixels ``(H, W, 3)`` float32 in ``[0, 1]``.
        side: working long side in pixels; 0 = full size.
    """
    height, width = working_shape(image.height, image.width, side)
    if (height, width) == (image.height, image.width):
        return image
    pixels = np.clip(resize_to(image.pixels, width, height, "area"), 0.0, 1.0)
    return Image(pixels=pixels.astype(np.float32))


def with_photo_colors(photo: np.ndarray, luma: np.ndarray) -> np.ndarray:
    """The photo's colours (Cb, Cr of full-range BT.601 YCbCr) under ``luma``.

    Args:
        photo: ``(H, W, 3)`` RGB float32 in ``[0, 1]``.
        luma: ``(H, W)`` BT.601 luma in ``[0, 1]`` (``color.luma`` of the painted image).

    Returns:
        ``(H, W, 3)`` float32 RGB, clipped to ``[0, 1]``.
    """
    ycbcr = color.rgb_to_ycbcr(photo)
    ycbcr[:, :, 0] = luma
    return np.clip(color.ycbcr_to_rgb(ycbcr), 0.0, 1.0)


def back_to_photo(image: Image, result: np.ndarray, keep_colors: bool,
                  ctx: RunContext) -> Image:
    """The working-size ``result`` brought to ``image``'s size (Lanczos-4, tiled under
    ``ctx.tile``; unchanged when it already has that size), with ``image``'s alpha and
    metadata.

    Args:
        image: the photo as the task received it.
        result: ``(h, w, 3)`` float32 RGB, the work done at working size.
        keep_colors: keep only ``result``'s luma and put the photo's full-size colours back.
        ctx: tile size and cancel token (the resize reports no progress of its own).

    Returns:
        ``image`` with pixels ``(H, W, 3)`` float32 in ``[0, 1]``.
    """
    quiet = RunContext(no_progress, ctx.cancel, ctx.tile, ctx.device, ctx.item)
    size = (image.height, image.width)
    if keep_colors:
        luma = color.luma(result)[:, :, None]
        if luma.shape[:2] != size:
            luma = lanczos_resize(luma, image.height, image.width, quiet)
        pixels = with_photo_colors(image.pixels, luma[:, :, 0])
    elif result.shape[:2] != size:
        pixels = lanczos_resize(result, image.height, image.width, quiet)
    else:
        pixels = result
    return image.with_pixels(np.clip(pixels, 0.0, 1.0).astype(np.float32), image.alpha)
