"""The in-memory image every task sees, with what must survive the round trip."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np


@dataclass
class Image:
    """A decoded photo.

    Attributes:
        pixels: ``(H, W, 3)`` float32 RGB in ``[0, 1]``, channels-last. Greyscale sources are
            expanded to three equal channels and ``grey`` is set, so tasks see one layout.
        alpha: ``(H, W)`` float32 in ``[0, 1]``, or ``None`` when the source has no alpha.
        bit_depth: 8 or 16, the source's bits per channel; outputs keep it where the format can.
        grey: the source was greyscale; outputs are written greyscale again.
        exif: raw EXIF bytes (``Exif\\0\\0`` header stripped, starting ``II``/``MM``) or ``None``.
        icc: the embedded ICC colour profile bytes, or ``None``.
        format: source format id: ``jpeg``, ``png``, ``tiff``, ``webp`` or ``bmp``.
        source: the file it was read from, if any.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None = None
    bit_depth: int = 8
    grey: bool = False
    exif: bytes | None = None
    icc: bytes | None = None
    format: str = "png"
    source: Path | None = None

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    def with_pixels(self, pixels: np.ndarray, alpha: np.ndarray | None = None) -> Image:
        """A copy carrying new pixels (and alpha) but the same metadata."""
        return replace(self, pixels=pixels, alpha=alpha)
