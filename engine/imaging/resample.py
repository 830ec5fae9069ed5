"""Resampling helpers shared by tasks, previews and evaluation."""

from __future__ import annotations

import cv2
import numpy as np


def resize_to(pixels: np.ndarray, width: int, height: int, method: str = "lanczos") -> np.ndarray:
    """Resize ``(H, W, C)`` or ``(H, W)`` float32 to ``(height, width[, C])``.

    ``method``: ``lanczos``, ``bicubic``, ``area``, ``linear`` or ``nearest``. Values are not
    clipped (Lanczos and bicubic overshoot slightly; callers clip when writing).
    """
    flags = {
        "lanczos": cv2.INTER_LANCZOS4,
        "bicubic": cv2.INTER_CUBIC,
        "area": cv2.INTER_AREA,
        "linear": cv2.INTER_LINEAR,
        "nearest": cv2.INTER_NEAREST,
    }
    if method not in flags:
        raise ValueError(f"unknown resize method {method!r}; expected one of {sorted(flags)}")
    out = cv2.resize(pixels, (int(width), int(height)), interpolation=flags[method])
    if pixels.ndim == 3 and out.ndim == 2:
        out = out[:, :, None]
    return out


def resize_area(pixels: np.ndarray, factor: float) -> np.ndarray:
    """Downscale by ``factor`` (< 1) with area averaging (no aliasing), for previews."""
    height, width = pixels.shape[:2]
    return resize_to(pixels, max(1, round(width * factor)), max(1, round(height * factor)), "area")
