"""The painting task's detail step: give the output the painting's stroke contrast.

A painting's strokes are sharp-edged: at the 512-px size the evaluation uses, the fine band
of *The Starry Night*'s luma (the luma minus its Gaussian blur, sigma 1 px) spreads with a
standard deviation of 0.054, twice a photo's (0.025). The generator paints strokes, but the
grid average that removes its mesh (``degrain``) averages four slightly different stroke
fields and so softens them: 0.032 over the ten held-out photos (0.052 in one pass, mesh
included) (docs/MODELS.md, "The detail
step"). ``match_detail`` brings the fine band back up to the painting's spread with an unsharp
mask of the same sigma (``engine.tasks.sharpen.unsharp_mask``) whose gain is the ratio of the
two spreads, measured per image: never below 1x (an output already as crisp as the painting is
left alone) and at most ``MAX_GAIN`` (a flat photo's few edges are not blown into halos). The
mask multiplies the finest detail (1-2 px) by the gain and coarser parts of the band by less,
so the band's measured spread rises by less than the gain (on the held-out photos' outputs:
gains 1.4-2.0, mean 1.69; spread 1.39x, to 0.043). Like the palette step it needs the
painting, so only models whose card names one get it.
"""

from __future__ import annotations

import numpy as np

from engine.imaging import color
from engine.tasks.sharpen import unsharp_mask

# Gaussian sigma (px) of the fine band: strokes 2-5 px wide at the working size.
DETAIL_SIGMA = 1.0
# The most the fine band is ever multiplied by.
MAX_GAIN = 2.0


def detail_spread(pixels: np.ndarray, sigma: float = DETAIL_SIGMA) -> float:
    """Standard deviation of the fine band of ``(H, W, 3)`` RGB ``[0, 1]``'s BT.601 luma:
    the luma minus its Gaussian blur of ``sigma`` px (0 for a flat image)."""
    luma = color.luma(pixels).astype(np.float32)[:, :, None]
    return float(np.std(unsharp_mask(luma, 1.0, sigma, 0.0) - luma))


def detail_gain(content: np.ndarray, painting: np.ndarray, sigma: float = DETAIL_SIGMA,
                max_gain: float = MAX_GAIN) -> float:
    """The ratio of ``painting``'s fine-band spread to ``content``'s, clipped to
    ``[1, max_gain]`` (both ``(H, W, 3)`` RGB ``[0, 1]``, any sizes)."""
    mine = detail_spread(content, sigma)
    target = detail_spread(painting, sigma)
    if mine <= 1e-6:
        return 1.0
    return float(np.clip(target / mine, 1.0, max_gain))


def match_detail(content: np.ndarray, painting: np.ndarray, sigma: float = DETAIL_SIGMA,
                 max_gain: float = MAX_GAIN) -> np.ndarray:
    """``content`` sharpened by an unsharp mask of amount ``detail_gain - 1`` and ``sigma``,
    the same on R, G and B.

    Args:
        content: ``(H, W, 3)`` RGB float in ``[0, 1]``.
        painting: ``(H', W', 3)`` RGB float in ``[0, 1]``, any size.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``; ``content`` itself (as float32) when the gain
        is 1.
    """
    gain = detail_gain(content, painting, sigma, max_gain)
    pixels = np.asarray(content, np.float32)
    if gain <= 1.0:
        return pixels
    return np.clip(unsharp_mask(pixels, gain - 1.0, sigma, 0.0), 0.0, 1.0)
