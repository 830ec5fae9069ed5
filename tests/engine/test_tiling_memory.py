"""A 24-megapixel photo through ``sharpen``: memory stays at the image arrays plus one tile."""

from __future__ import annotations

import math
import tracemalloc

import cv2
import numpy as np
import pytest

from engine.imaging.image import Image
from engine.imaging.resample import CLASSICAL
from engine.tasks.registry import RunContext, get_task

HEIGHT, WIDTH = 4000, 6000
RADIUS = 1.5


def synthetic_photo(height: int, width: int) -> np.ndarray:
    """Smooth gradients and ripples, ``(H, W, 3)`` float32 in ``[0, 1]``, built channel by
    channel so generating it needs no full-size float64 temporaries."""
    y = np.linspace(0, 60, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 90, width, dtype=np.float32)[None, :]
    image = np.empty((height, width, 3), np.float32)
    for c in range(3):
        image[:, :, c] = np.sin(x * (1 + 0.3 * c) + y) * 0.2
        image[:, :, c] += np.cos(y * (2 - 0.4 * c) - 0.5 * x) * 0.2 + 0.5
    return image


def unsharp(pixels: np.ndarray) -> np.ndarray:
    size = 2 * math.ceil(3 * RADIUS) + 1
    blurred = cv2.GaussianBlur(pixels, (size, size), RADIUS, borderType=cv2.BORDER_REFLECT_101)
    return np.clip(pixels + (pixels - blurred), 0, 1)


@pytest.mark.slow
def test_sharpen_24_megapixels_peak_memory_is_image_arrays_plus_tile_working_set():
    pixels = synthetic_photo(HEIGHT, WIDTH)
    task = get_task("sharpen")
    options = task.parse_options({"amount": 1.0, "radius": RADIUS})

    # numpy reports its buffers to tracemalloc; the input was allocated before tracing began,
    # so the peak counts what process() itself holds at once.
    tracemalloc.start()
    try:
        out = task.process(Image(pixels), options, RunContext(tile=0)).pixels
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    image_bytes = pixels.nbytes  # the input; the output has the same size
    weight_map = HEIGHT * WIDTH * 4  # one float32 channel
    tile_array = (CLASSICAL.max_tile + 2 * math.ceil(3 * RADIUS)) ** 2 * 3 * 4
    assert peak <= image_bytes + weight_map + 8 * tile_array
    assert peak <= (2 * image_bytes + weight_map) * 1.5  # with the input, as the issue states
    float64_whole_image = 3 * 2 * image_bytes  # padded copy, blur and result in float64
    assert peak < float64_whole_image / 3

    assert out.shape == pixels.shape and out.dtype == np.float32
    for top, left in ((0, 0), (1900, 2900), (HEIGHT - 64, WIDTH - 64)):
        window = _window(pixels, top, left)
        np.testing.assert_allclose(out[top : top + 64, left : left + 64], window, atol=1e-5)


def _window(pixels: np.ndarray, top: int, left: int, size: int = 64, margin: int = 16):
    """The whole-image unsharp mask at ``[top:top+size, left:left+size]``, computed on a crop
    with enough margin (true image borders stay borders, so mirroring matches)."""
    y0, x0 = max(top - margin, 0), max(left - margin, 0)
    crop = pixels[y0 : top + size + margin, x0 : left + size + margin]
    return unsharp(crop)[top - y0 : top - y0 + size, left - x0 : left - x0 + size]
