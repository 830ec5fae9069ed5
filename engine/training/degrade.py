"""Synthetic degradations that turn sharp photos into training inputs.

Deblur training pairs a sharp crop with a blurred, noisy, re-compressed copy of it; upscale
training pairs a high-resolution crop with a mildly blurred, downscaled, noisy copy. Every
function takes and returns float32 RGB ``(H, W, 3)`` in ``[0, 1]`` and draws its randomness
only from the ``np.random.Generator`` it is given (never the global RNGs), so the same generator
state gives the same result.

Camera shake follows DeblurGAN (Kupyn et al. 2018), which uses the random trajectories of
Boracchi and Foi (2012): a random walk with inertia, a pull back towards the start, Gaussian
jitter and occasional impulsive shakes (sudden reversals), rasterised with sub-pixel
(bilinear) accuracy. Kernels are centred on their centre of mass, so blurring does not shift
the image and input/target pairs stay aligned.
"""

from __future__ import annotations

import cmath
import math

import cv2
import numpy as np
from PIL import Image as PILImage

from engine.errors import UsageError
from engine.imaging import color
from engine.imaging.resample import resize_to

__all__ = [
    "EVAL_BLUR_KINDS",
    "EVAL_DOWNSCALE_KINDS",
    "add_noise",
    "blur",
    "defocus_kernel",
    "degrade_blur",
    "degrade_downscale",
    "eval_blur",
    "eval_kernel",
    "eval_downscale",
    "gaussian_kernel",
    "jpeg",
    "motion_kernel",
    "rasterise",
    "trajectory",
]

EVAL_BLUR_KINDS = ("motion", "defocus")
EVAL_DOWNSCALE_KINDS = ("area", "bicubic")

# The trajectory is sampled at fewer points than the 2000 of the reference implementation;
# per-step probabilities and drifts are scaled by the ratio so the shapes stay alike.
_STEPS = 500
_REFERENCE_STEPS = 2000


# --- kernels ---------------------------------------------------------------------------------


def motion_kernel(
    rng: np.random.Generator, size: int = 31, max_len: float | None = None
) -> np.ndarray:
    """A random camera-shake blur kernel (DeblurGAN / Boracchi-Foi trajectory).

    Args:
        rng: the random source.
        size: kernel side in pixels (at least 3).
        max_len: longest camera path in pixels; defaults to ``2 * size`` (DeblurGAN: 60 on a
            64 canvas). Each kernel draws its path length in ``[0.5, 1] * max_len`` and its
            shakiness, pull and shake rate at random, so kernels range from compact jitter to
            long streaks and wiggly paths; the path folds back on itself, so the kernel's
            extent is usually well below its length. Paths reaching past the canvas are
            shrunk to fit.

    Returns:
        ``(size, size)`` float32, non-negative, summing to 1, centre of mass at
        ``(size // 2, size // 2)``.
    """
    size = int(size)
    if size < 3:
        raise ValueError(f"motion kernel size must be at least 3, got {size}")
    longest = float(2 * size if max_len is None else max_len)
    length = max(1.0, longest * rng.uniform(0.5, 1.0))
    points = trajectory(rng, length, _STEPS)
    return rasterise(points, size)


def trajectory(rng: np.random.Generator, length: float, steps: int = _STEPS) -> np.ndarray:
    """A camera path of ``steps`` points (complex, pixels) with total length ``length``."""
    expl = 0.1 * rng.uniform()  # overall shakiness ("anxiety")
    centripetal = 0.7 * rng.uniform()  # pull back towards the start
    prob_big_shake = 0.2 * rng.uniform()
    gaussian_shake = 10.0 * rng.uniform()
    angle = rng.uniform(0.0, 2.0 * math.pi)
    shake_draws = rng.uniform(size=steps - 1)
    shake_turns = rng.uniform(size=steps - 1) - 0.5
    jitter = rng.standard_normal((steps - 1, 2))

    ratio = _REFERENCE_STEPS / steps
    step = length / (steps - 1)
    jitter_scale = expl * gaussian_shake * math.sqrt(ratio)  # random-walk variance adds up
    pull = min(1.0, expl * centripetal * ratio)
    p_shake = prob_big_shake * expl * ratio
    v = cmath.rect(step, angle)
    x = np.zeros(steps, dtype=np.complex128)
    pos = 0j
    for t in range(steps - 1):
        dv = 0j
        if shake_draws[t] < p_shake:  # impulsive shake: a sudden (rough) reversal
            dv = 2.0 * v * cmath.exp(1j * (math.pi + shake_turns[t]))
        dv += (jitter_scale * complex(jitter[t, 0], jitter[t, 1]) - pull * pos) * step
        v += dv
        magnitude = abs(v)
        v = v / magnitude * step if magnitude > 0 else cmath.rect(step, angle)
        pos += v
        x[t + 1] = pos
    return x


def rasterise(points: np.ndarray, size: int) -> np.ndarray:
    """Bilinear splat of equally weighted trajectory points, centred on their mean."""
    centred = points - points.mean()
    half = size // 2 - 1  # one pixel of room for the bilinear footprint
    reach = max(np.abs(centred.real).max(), np.abs(centred.imag).max())
    if reach > half:
        centred *= half / reach
    px = centred.real + size // 2
    py = centred.imag + size // 2
    x0 = np.floor(px).astype(np.int64)
    y0 = np.floor(py).astype(np.int64)
    fx, fy = px - x0, py - y0
    kernel = np.zeros((size, size), dtype=np.float64)
    np.add.at(kernel, (y0, x0), (1 - fx) * (1 - fy))
    np.add.at(kernel, (y0, x0 + 1), fx * (1 - fy))
    np.add.at(kernel, (y0 + 1, x0), (1 - fx) * fy)
    np.add.at(kernel, (y0 + 1, x0 + 1), fx * fy)
    return (kernel / kernel.sum()).astype(np.float32)


def defocus_kernel(radius: float) -> np.ndarray:
    """An anti-aliased disk (out-of-focus blur) of ``radius`` pixels.

    Edge pixels are weighted by their approximate coverage (``radius + 0.5 - distance``,
    clipped to ``[0, 1]``).

    Returns:
        ``(2r+1, 2r+1)`` float32 summing to 1, ``r = ceil(radius)``; ``[[1]]`` for
        ``radius <= 0``.
    """
    if radius <= 0:
        return np.ones((1, 1), np.float32)
    reach = math.ceil(radius)
    yy, xx = np.mgrid[-reach : reach + 1, -reach : reach + 1]
    kernel = np.clip(radius + 0.5 - np.hypot(xx, yy), 0.0, 1.0)
    return (kernel / kernel.sum()).astype(np.float32)


def gaussian_kernel(sigma: float) -> np.ndarray:
    """A 2-D Gaussian kernel.

    Returns:
        ``(2r+1, 2r+1)`` float32 summing to 1, ``r = max(1, ceil(3 * sigma))``; ``[[1]]`` for
        ``sigma <= 0``.
    """
    if sigma <= 0:
        return np.ones((1, 1), np.float32)
    reach = max(1, math.ceil(3.0 * sigma))
    x = np.arange(-reach, reach + 1, dtype=np.float64)
    line = np.exp(-0.5 * (x / sigma) ** 2)
    kernel = np.outer(line, line)
    return (kernel / kernel.sum()).astype(np.float32)


# --- single degradations ---------------------------------------------------------------------


def blur(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Filter ``img`` with ``kernel`` (``cv2.filter2D``, mirrored border), same size.

    Args:
        img: ``(H, W, 3)`` float32 RGB in ``[0, 1]``.
        kernel: ``(k, k)`` non-negative, summing to 1 (anchored at its centre).

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.
    """
    out = cv2.filter2D(
        np.ascontiguousarray(img, dtype=np.float32),
        -1,
        np.asarray(kernel, dtype=np.float32),
        borderType=cv2.BORDER_REFLECT_101,
    )
    return np.clip(out, 0.0, 1.0, out=out)  # large kernels go through a DFT: tiny overshoots


def add_noise(img: np.ndarray, rng: np.random.Generator, sigma: float) -> np.ndarray:
    """Sensor noise: Gaussian with a mild signal-dependent (Poisson-like) part, clipped.

    The per-pixel standard deviation is ``sigma * sqrt(0.5 + value)``: ``sigma`` at mid-grey,
    about ``0.7 * sigma`` in black and ``1.2 * sigma`` in white; channels are independent.

    Args:
        img: ``(H, W, 3)`` float32 in ``[0, 1]``.
        sigma: noise level in ``[0, 1]`` units; ``<= 0`` returns a copy.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.
    """
    img = np.asarray(img, dtype=np.float32)
    if sigma <= 0:
        return img.copy()
    std = np.float32(sigma) * np.sqrt(np.float32(0.5) + np.clip(img, 0.0, 1.0))
    noisy = img + rng.standard_normal(img.shape, dtype=np.float32) * std
    return np.clip(noisy, 0.0, 1.0, out=noisy)


def jpeg(img: np.ndarray, rng: np.random.Generator, quality: int) -> np.ndarray:
    """A JPEG encode/decode round trip in memory at ``quality`` (1..100).

    Chroma subsampling is drawn from ``rng``: 4:2:0 (what most cameras and web exports use)
    three times in four, otherwise 4:4:4. Colour order is handled by ``imaging.color``.

    Returns:
        ``(H, W, 3)`` float32 RGB in ``[0, 1]``, quantised to 8 bits.
    """
    quality = int(min(100, max(1, quality)))
    sampling = (
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420
        if rng.uniform() < 0.75
        else cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444
    )
    encodable = color.rgb_to_encodable(img, None, 8, False)
    params = [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, sampling]
    ok, buffer = cv2.imencode(".jpg", encodable, params)
    if not ok:
        raise RuntimeError("OpenCV could not encode a JPEG in memory")
    decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    pixels, _, _, _ = color.decoded_to_rgb(decoded)
    return pixels


def _downscale(img: np.ndarray, scale: int, method: str) -> np.ndarray:
    """Downscale by an integer ``scale``: ``area`` (box average) or ``bicubic``.

    ``bicubic`` is the anti-aliased bicubic of MATLAB's ``imresize`` (the super-resolution
    benchmark convention), done by Pillow on float planes; OpenCV's ``INTER_CUBIC`` would
    alias at 4x because it does not widen its kernel when shrinking.
    """
    height, width = img.shape[:2]
    if height % scale or width % scale:
        raise ValueError(
            f"image sides must be divisible by the scale {scale}, got {width}x{height}"
        )
    size = (width // scale, height // scale)
    if method == "area":
        out = resize_to(img, size[0], size[1], "area")
    elif method == "bicubic":
        planes = [
            np.asarray(PILImage.fromarray(np.ascontiguousarray(img[:, :, c], np.float32))
                       .resize(size, PILImage.Resampling.BICUBIC))
            for c in range(img.shape[2])
        ]
        out = np.stack(planes, axis=2)
    else:
        raise ValueError(f"unknown downscale method {method!r}; expected 'area' or 'bicubic'")
    return np.clip(out, 0.0, 1.0).astype(np.float32, copy=False)


# --- training mixes --------------------------------------------------------------------------


def degrade_blur(sharp: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random blur mix for deblur training.

    Motion blur 60% of the time, defocus (radius 1..5 px) 20%, Gaussian (sigma 0.6..3) 20%;
    then sensor noise (sigma uniform in 0..0.02) and, half of the time, JPEG at quality 60..95.

    Args:
        sharp: ``(H, W, 3)`` float32 RGB in ``[0, 1]``.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``, aligned with ``sharp``.
    """
    choice = rng.uniform()
    if choice < 0.6:
        kernel = motion_kernel(rng)
    elif choice < 0.8:
        kernel = defocus_kernel(rng.uniform(1.0, 5.0))
    else:
        kernel = gaussian_kernel(rng.uniform(0.6, 3.0))
    out = add_noise(blur(sharp, kernel), rng, rng.uniform(0.0, 0.02))
    if rng.uniform() < 0.5:
        out = jpeg(out, rng, int(rng.integers(60, 96)))
    return out


def degrade_downscale(hr: np.ndarray, rng: np.random.Generator, scale: int = 4,
                      clean: bool = False) -> np.ndarray:
    """A random low-resolution version of ``hr`` for upscale training.

    Realistic (default): half of the time a mild Gaussian blur (sigma 0..1.2) first; then a
    ``scale``x downscale by area or anti-aliased bicubic (even odds), mild noise (sigma
    0..0.01) and, half of the time, JPEG at quality 75..95. ``clean``: the downscale alone
    (the classic SRResNet setting and the ``photogan eval`` protocol; sharper on clean photos,
    less forgiving of noise and JPEG).

    Args:
        hr: ``(H, W, 3)`` float32 RGB in ``[0, 1]``; ``H`` and ``W`` divisible by ``scale``.

    Returns:
        ``(H // scale, W // scale, 3)`` float32 in ``[0, 1]``.
    """
    if clean:
        return _downscale(hr, scale, "area" if rng.uniform() < 0.5 else "bicubic")
    img = hr
    if rng.uniform() < 0.5:
        img = blur(img, gaussian_kernel(rng.uniform(0.0, 1.2)))
    method = "area" if rng.uniform() < 0.5 else "bicubic"
    out = add_noise(_downscale(img, scale, method), rng, rng.uniform(0.0, 0.01))
    if rng.uniform() < 0.5:
        out = jpeg(out, rng, int(rng.integers(75, 96)))
    return out


# --- fixed evaluation degradations -----------------------------------------------------------


def eval_blur(sharp: np.ndarray, seed: int, kind: str) -> np.ndarray:
    """A fixed degradation for evaluation: the same for the same ``(sharp, seed, kind)``.

    ``motion``: a camera-shake kernel (31 px); ``defocus``: a disk of radius 2..4 px; both
    followed by sensor noise of sigma 0.01.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.

    Raises:
        UsageError: ``kind`` is not ``motion`` or ``defocus``.
    """
    rng = _eval_rng(seed, kind)
    kernel = _eval_kernel(rng, kind)
    return add_noise(blur(sharp, kernel), rng, 0.01)


def eval_kernel(seed: int, kind: str) -> np.ndarray:
    """The blur kernel ``eval_blur(_, seed, kind)`` applies (for references that are given
    the true kernel); ``(k, k)`` float32 summing to 1."""
    return _eval_kernel(_eval_rng(seed, kind), kind)


def _eval_rng(seed: int, kind: str) -> np.random.Generator:
    if kind not in EVAL_BLUR_KINDS:
        raise UsageError(f"unknown evaluation blur {kind!r}; use 'motion' or 'defocus'.")
    return np.random.default_rng([int(seed), EVAL_BLUR_KINDS.index(kind)])


def _eval_kernel(rng: np.random.Generator, kind: str) -> np.ndarray:
    return motion_kernel(rng, 31) if kind == "motion" else defocus_kernel(rng.uniform(2.0, 4.0))


def eval_downscale(hr: np.ndarray, kind: str, scale: int = 4) -> np.ndarray:
    """A fixed, noise-free downscale for evaluation: ``area`` or anti-aliased ``bicubic``.

    Args:
        hr: ``(H, W, 3)`` float32 RGB in ``[0, 1]``; sides divisible by ``scale``.

    Returns:
        ``(H // scale, W // scale, 3)`` float32 in ``[0, 1]``.

    Raises:
        UsageError: ``kind`` is not ``area`` or ``bicubic``.
    """
    if kind not in EVAL_DOWNSCALE_KINDS:
        raise UsageError(f"unknown evaluation downscale {kind!r}; use 'area' or 'bicubic'.")
    return _downscale(hr, int(scale), kind)
