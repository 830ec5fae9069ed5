"""Where a photo is blurrier than its own sharpest parts: a map that tells intended background
blur (bokeh, depth of field) from blur that a deblurring network should remove.

A network that sees ~100 px cannot tell a missed focus from a chosen soft background; the
whole photo can. Camera shake and a missed focus blur the whole frame about equally, so the
photo's sharpest edges are as blurred as any; a shallow depth of field leaves some edges much
sharper than the rest. This module measures the blur of every edge (re-blur gradient ratio,
Zhuo & Sim, "Defocus map estimation from a single image", 2011), takes the photo's sharpest
edges of each orientation as the reference (shake blurs edges of one orientation more than
the others, everywhere alike) and reports, per pixel, how much blurrier the nearby edges are
than that reference.

All of it is plain filtering on a copy at most ``ANALYSIS_SIDE`` pixels long: a fraction of a
second for a 24-megapixel photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engine.imaging.color import luma
from engine.imaging.resample import resize_to

ANALYSIS_SIDE = 1536
BASE_SIGMA = 1.0  # gradient scale of the photo itself (pixels)
REBLUR_SIGMA = 2.0  # extra blur of the comparison copy
MAX_BLUR = 12.0  # the measure saturates beyond this (pixels, Gaussian sigma)
ORIENTATIONS = 8


@dataclass(frozen=True)
class GateSettings:
    """How the excess blur map becomes a correction strength.

    Attributes:
        window: side scale (Gaussian sigma, analysis pixels) over which edges are pooled.
        margin: excess blur (sigma, pixels) still treated as the photo's own blur.
        ramp: excess blur over ``margin`` at which the correction reaches zero.
        reference_percentile: which percentile of an orientation's edge blurs counts as the
            photo's sharpest (low: the sharpest few, robust to a handful of noisy edges).
        edge_threshold: the least gradient (luma per pixel, at the re-blurred scale) an edge
            must have to be measured; below it, noise and JPEG blocks dominate.
    """

    window: float = 24.0
    margin: float = 1.5
    ramp: float = 4.0
    reference_percentile: float = 30.0
    edge_threshold: float = 0.003


def _gradient(plane: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    smooth = cv2.GaussianBlur(plane, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return gx, gy


def edge_blur(y: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blur of every edge pixel of a luma plane.

    A step edge blurred by a Gaussian of sigma ``b`` has a gradient peak proportional to
    ``1 / sqrt(b**2 + s**2)`` at smoothing scale ``s``; the ratio ``R`` of the peaks at scales
    ``s1`` and ``s2`` gives ``b**2 = (s2**2 - R**2 s1**2) / (R**2 - 1)``.

    Args:
        y: ``(H, W)`` float32 luma in ``[0, 1]``.
        threshold: least gradient at the coarse scale for a pixel to count as an edge.

    Returns:
        ``(blur, weight, orientation)``, each ``(H, W)``: blur sigma in pixels
        (``[0, MAX_BLUR]``), a weight (squared coarse gradient on the centre lines of edges,
        0 elsewhere) and
        the edge orientation bin (``0 .. ORIENTATIONS - 1``).
    """
    s1, s2 = BASE_SIGMA, float(np.hypot(BASE_SIGMA, REBLUR_SIGMA))
    fx, fy = _gradient(y, s1)
    cx, cy = _gradient(y, s2)
    fine, coarse = np.hypot(fx, fy), np.hypot(cx, cy)
    ratio_sq = np.square(fine / np.maximum(coarse, 1e-6))
    blur_sq = (s2 * s2 - ratio_sq * s1 * s1) / np.maximum(ratio_sq - 1.0, 1e-3)
    blur = np.sqrt(np.clip(blur_sq, 0.0, MAX_BLUR * MAX_BLUR)).astype(np.float32)
    angle = np.mod(np.arctan2(cy, cx), np.pi)
    orientation = np.floor(angle / np.pi * ORIENTATIONS + 0.5).astype(np.int32) % ORIENTATIONS
    across = np.floor(angle / np.pi * len(_ACROSS) + 0.5).astype(np.int32) % len(_ACROSS)
    edge = (coarse >= threshold) & _ridge(coarse, across)
    weight = np.where(edge, np.square(coarse), 0.0).astype(np.float32)
    return blur, weight, orientation


# (dy, dx) one pixel along the gradient, per orientation bin (gradient angle 0, 45, 90, 135).
_ACROSS = ((0, 1), (1, 1), (1, 0), (1, -1))


def _ridge(magnitude: np.ndarray, orientation: np.ndarray) -> np.ndarray:
    """Pixels whose gradient is at least that of both neighbours across the edge (the edge's
    centre line, where the blur formula holds; beside it the ratio overstates the blur)."""
    padded = np.pad(magnitude, 1, mode="edge")
    height, width = magnitude.shape
    ridge = np.zeros(magnitude.shape, bool)
    for bin_, (dy, dx) in enumerate(_ACROSS):
        ahead = padded[1 + dy:1 + dy + height, 1 + dx:1 + dx + width]
        behind = padded[1 - dy:1 - dy + height, 1 - dx:1 - dx + width]
        here = orientation == bin_
        ridge |= here & (magnitude >= ahead) & (magnitude >= behind)
    return ridge


def _weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    index = np.searchsorted(cumulative, cumulative[-1] * q / 100.0)
    return float(values[order][min(index, len(order) - 1)])


def excess_blur(y: np.ndarray, settings: GateSettings = GateSettings()) -> np.ndarray | None:
    """How much blurrier each place's edges are than the photo's sharpest edges.

    Args:
        y: ``(H, W)`` float32 luma in ``[0, 1]`` (at the analysis size).

    Returns:
        ``(H, W)`` float32 excess blur sigma in pixels (0 where the edges are as sharp as the
        photo's sharpest of their orientation, and where there are no edges nearby), or
        ``None`` when the photo has too few edges to judge (then nothing should be held back).
    """
    blur, weight, orientation = edge_blur(y, settings.edge_threshold)
    edges = weight > 0
    if edges.sum() < 64:
        return None
    excess = np.zeros_like(blur)
    for bin_ in range(ORIENTATIONS):
        chosen = edges & (orientation == bin_)
        if chosen.sum() < 16:
            chosen = edges
        reference = _weighted_percentile(blur[chosen], weight[chosen],
                                         settings.reference_percentile)
        here = orientation == bin_
        excess[here] = np.maximum(blur[here] - reference, 0.0)
    pooled = cv2.GaussianBlur(excess * weight, (0, 0), settings.window,
                              borderType=cv2.BORDER_REFLECT_101)
    support = cv2.GaussianBlur(weight, (0, 0), settings.window,
                               borderType=cv2.BORDER_REFLECT_101)
    floor = float(weight.mean()) * 0.05 + 1e-12
    return (pooled / np.maximum(support, floor)).astype(np.float32)


def correction_gate(pixels: np.ndarray, settings: GateSettings = GateSettings()) -> np.ndarray:
    """How much of a deblurring correction to keep at each pixel of a photo.

    Args:
        pixels: ``(H, W, 3)`` float32 RGB in ``[0, 1]``, the blurred photo the network saw.

    Returns:
        ``(H, W)`` float32 in ``[0, 1]``: 1 where the photo is about as sharp as its sharpest
        parts (remove the blur), falling to 0 where it is ``margin + ramp`` pixels blurrier
        (a soft background: leave it soft). All ones when the photo has too few edges.

    Example:
        >>> gate = correction_gate(np.zeros((64, 64, 3), np.float32))
        >>> float(gate.min()), gate.shape
        (1.0, (64, 64))
    """
    height, width = pixels.shape[:2]
    factor = min(1.0, ANALYSIS_SIDE / max(height, width))
    small = pixels if factor == 1.0 else resize_to(
        pixels, max(1, round(width * factor)), max(1, round(height * factor)), "area")
    excess = excess_blur(np.ascontiguousarray(luma(small), dtype=np.float32), settings)
    if excess is None:
        return np.ones((height, width), np.float32)
    gate = np.clip(1.0 - (excess - settings.margin) / settings.ramp, 0.0, 1.0)
    if factor < 1.0:
        gate = resize_to(gate, width, height, "linear")
    return gate.astype(np.float32)
