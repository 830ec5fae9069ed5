"""Numpy RGB uint8 arrays (what the engine hands out for display) to Qt images."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def to_qimage(rgb: np.ndarray) -> QImage:
    """An RGB uint8 ``(H, W, 3)`` array as a ``QImage`` that owns its pixels.

    The array's buffer is only borrowed by the ``QImage`` constructor, so the image is copied
    before the array can go away. Safe to call from any thread.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 (H, W, 3) array, got {rgb.dtype} {rgb.shape}")
    data = np.ascontiguousarray(rgb)
    height, width = data.shape[:2]
    image = QImage(data.data, width, height, data.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


def to_array(image: QImage) -> np.ndarray:
    """A ``QImage`` as an RGB uint8 ``(H, W, 3)`` array (a copy)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    buffer = np.frombuffer(rgb.constBits(), np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()
