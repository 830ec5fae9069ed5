"""Synthetic photos for tests: sharp texture with edges of every orientation."""

from __future__ import annotations

import cv2
import numpy as np


def block_texture(height: int, width: int, seed: int = 0, block: int = 6) -> np.ndarray:
    """A sharp photo stand-in: random colour blocks of ``block`` px turned 30 degrees (crisp
    edges of many orientations). ``(height, width, 3)`` float32 in ``[0, 1]``."""
    rng = np.random.default_rng(seed)
    small = rng.random((height // block + 1, width // block + 1, 3)).astype(np.float32)
    big = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    angle = cv2.getRotationMatrix2D((width / 2, height / 2), 30, 1.0)
    turned = cv2.warpAffine(big, angle, (width, height), borderMode=cv2.BORDER_REFLECT_101)
    return np.ascontiguousarray(turned, dtype=np.float32)


def soft_background(sharp: np.ndarray, start: int, sigma: float = 8.0) -> np.ndarray:
    """``sharp`` with columns from ``start`` on blurred by ``sigma`` (a shallow depth of
    field: sharp subject on the left, bokeh on the right)."""
    photo = sharp.copy()
    blurred = cv2.GaussianBlur(sharp, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)
    photo[:, start:] = blurred[:, start:]
    return photo
