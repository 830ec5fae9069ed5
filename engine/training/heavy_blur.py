"""Heavy, realistic blur: hand-held shake at 1/15-1/30 s, missed focus, highlights, noise.

``engine.training.degrade`` holds the mild mix the first models were trained on (a 31-px
canvas for camera shake, most kernels a few pixels across). A photographer's shaky shot is
worse: at a 1280-px working size the camera path spans 10-35 px and a missed focus is a disk
of radius up to 6. This module makes such blur for training (``degrade_heavy``) and for the
``heavy`` evaluation tier (``eval_heavy``).

Kernels are sized by their *extent* (the longer side of the path's bounding box), not by the
path length: a wiggly path folds back on itself, so its length says little about how far a
point is smeared. All functions take and return float32 RGB ``(H, W, 3)`` in ``[0, 1]`` and
draw randomness only from the generator they are given.
"""

from __future__ import annotations

import math

import numpy as np

from engine.errors import UsageError
from engine.training.degrade import (
    EVAL_BLUR_KINDS,
    add_noise,
    blur,
    defocus_kernel,
    degrade_blur,
    gaussian_kernel,
    jpeg,
    rasterise,
    trajectory,
)

__all__ = ["HEAVY_WORKING_SIDE", "degrade_heavy", "eval_heavy", "eval_heavy_kernel",
           "shake_kernel", "soft_background"]

HEAVY_WORKING_SIDE = 1280  # the heavy tier scores photos at this long side
HEAVY_EXTENT = (9.0, 35.0)  # evaluation: camera-path extent in pixels
HEAVY_RADIUS = (2.0, 6.0)  # evaluation: defocus disk radius in pixels
TRAIN_EXTENT = (3.0, 37.0)  # training covers mild and heavy, a little beyond the tier
TRAIN_RADIUS = (1.0, 6.5)
BOKEH_RADIUS = (8.0, 24.0)  # a chosen out-of-focus background: softer than any blur to remove


def shake_kernel(rng: np.random.Generator, extent: float) -> np.ndarray:
    """A camera-shake kernel whose path spans ``extent`` pixels along its longer side.

    The path is the Boracchi-Foi / DeblurGAN random walk with inertia
    (``degrade.trajectory``), scaled to the extent and splatted with bilinear weights.

    Args:
        rng: the random source.
        extent: bounding-box side of the camera path in pixels (>= 1).

    Returns:
        ``(k, k)`` float32 summing to 1, ``k = 2 * ceil(extent) + 3`` (odd, room for any
        path around its centre of mass, which sits at the kernel's centre).
    """
    extent = max(1.0, float(extent))
    points = trajectory(rng, extent * rng.uniform(1.0, 3.0))
    span = max(np.ptp(points.real), np.ptp(points.imag))
    if span > 0:
        points = points * ((extent - 1.0) / span)
    return rasterise(points, 2 * math.ceil(extent) + 3)


def soft_background(sharp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A *target* with a chosen blur: the window, or the part of it beyond a soft boundary,
    out of focus (a disk of radius 8-24 px, softer than any blur the model learns to remove).

    A photographer's shallow depth of field is not a fault. Trained only on sharp targets, a
    deblur model carves edges into an out-of-focus background (the ``LadyBird`` and ``Aqua``
    held-out photos lose 1-7 dB that way). Given such targets, blurred again for the input,
    it learns to remove only the added blur. 40% of the time the whole window is soft (a crop
    inside the background); otherwise a straight boundary at a random angle through the
    middle half of the window, feathered over 4-32 px, separates a sharp side from a soft one.

    Args:
        sharp: ``(H, W, 3)`` float32 RGB in ``[0, 1]``.
        rng: the random source.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.
    """
    soft = blur(sharp, defocus_kernel(rng.uniform(*BOKEH_RADIUS)))
    if rng.uniform() < 0.4:
        return soft
    height, width = sharp.shape[:2]
    angle = rng.uniform(0.0, 2.0 * math.pi)
    centre_y, centre_x = rng.uniform(0.25, 0.75) * height, rng.uniform(0.25, 0.75) * width
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    across = (cols - centre_x) * math.cos(angle) + (rows - centre_y) * math.sin(angle)
    mask = np.clip(0.5 + across / rng.uniform(4.0, 32.0), 0.0, 1.0)[:, :, None]
    return (sharp + mask * (soft - sharp)).astype(np.float32)


def _boost_highlights(sharp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Scene radiance above white: the brightest areas (luma > 0.85) times 1.5-4, unclipped.

    A street lamp at night is far brighter than the sensor's white; blurred, it leaves a
    bright streak, not a grey one. Blur the boosted copy, then clip.
    """
    luma = sharp @ np.array([0.299, 0.587, 0.114], np.float32)
    gain = np.where(luma > 0.85, np.float32(rng.uniform(1.5, 4.0)), np.float32(1.0))
    return sharp * gain[:, :, None]


def degrade_heavy(sharp: np.ndarray, rng: np.random.Generator,
                  sharp_share: float = 0.1, mild_share: float = 0.0) -> np.ndarray:
    """A random blur for training a model that handles heavy shake and keeps sharp photos.

    ``sharp_share`` of the time the photo comes back unchanged (the model learns to leave a
    sharp photo alone). Otherwise: highlights boosted 15% of the time; camera shake 60%
    (extent 3-37 px), defocus 28% (radius 1-6.5), Gaussian 12% (sigma 0.5-3); sensor noise
    sigma 0-0.025; JPEG at quality 60-95 half of the time. ``mild_share`` of the blurred
    items take the mild mix instead (``degrade.degrade_blur``: small kernels, the blur a
    model must not over-correct).

    Args:
        sharp: ``(H, W, 3)`` float32 RGB in ``[0, 1]``.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``, aligned with ``sharp``.
    """
    if rng.uniform() < sharp_share:
        return sharp.copy()
    if mild_share > 0 and rng.uniform() < mild_share:  # no draw at 0: old streams unchanged
        return degrade_blur(sharp, rng)
    scene = _boost_highlights(sharp, rng) if rng.uniform() < 0.15 else sharp
    choice = rng.uniform()
    if choice < 0.6:
        kernel = shake_kernel(rng, rng.uniform(*TRAIN_EXTENT))
    elif choice < 0.88:
        kernel = defocus_kernel(rng.uniform(*TRAIN_RADIUS))
    else:
        kernel = gaussian_kernel(rng.uniform(0.5, 3.0))
    out = add_noise(blur(np.minimum(scene, 64.0), kernel), rng, rng.uniform(0.0, 0.025))
    if rng.uniform() < 0.5:
        out = jpeg(out, rng, int(rng.integers(60, 96)))
    return out


def _eval_rng(seed: int, kind: str) -> np.random.Generator:
    if kind not in EVAL_BLUR_KINDS:
        raise UsageError(f"unknown evaluation blur {kind!r}; use 'motion' or 'defocus'.")
    return np.random.default_rng([int(seed), EVAL_BLUR_KINDS.index(kind), 1280])


def _kernel(rng: np.random.Generator, kind: str) -> np.ndarray:
    if kind == "motion":
        return shake_kernel(rng, rng.uniform(*HEAVY_EXTENT))
    return defocus_kernel(rng.uniform(*HEAVY_RADIUS))


def eval_heavy_kernel(seed: int, kind: str) -> np.ndarray:
    """The kernel ``eval_heavy(_, seed, kind)`` applies; ``(k, k)`` float32 summing to 1."""
    return _kernel(_eval_rng(seed, kind), kind)


def eval_heavy(sharp: np.ndarray, seed: int, kind: str) -> np.ndarray:
    """The fixed heavy degradation of the evaluation: same ``(sharp, seed, kind)``, same result.

    ``motion``: camera shake spanning 9-35 px; ``defocus``: a disk of radius 2-6; then sensor
    noise of sigma 0-0.02 and, for half of the seeds, JPEG at quality 80-95.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.

    Raises:
        UsageError: ``kind`` is not ``motion`` or ``defocus``.
    """
    rng = _eval_rng(seed, kind)
    out = add_noise(blur(sharp, _kernel(rng, kind)), rng, rng.uniform(0.0, 0.02))
    if rng.uniform() < 0.5:
        out = jpeg(out, rng, int(rng.integers(80, 96)))
    return out
