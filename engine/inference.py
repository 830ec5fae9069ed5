"""Turns a stored Keras model into a tile ``predict`` function for ``run_tiled``.

One compiled predict function per model serves every tile of one fixed shape (Keras traces it
once per shape), several tiles per call. Inputs and outputs cross the model boundary in the
model's declared value range, converted by ``color``.
"""

from __future__ import annotations

import numpy as np

from engine.imaging import color
from engine.imaging.tiling import PredictFn

# Working set per input pixel, used to pick an automatic tile size: a ResNet generator at
# 64 filters keeps a few full-resolution float32 activations alive (64 ch x 4 B x ~4 live).
GENERATOR_BYTES_PER_PIXEL = 64 * 4 * 6


def make_predictor(model, input_range: str, output_range: str) -> PredictFn:
    """A batch predict: ``(N, T, T, 3)`` float32 in ``[0, 1]`` -> ``(N, T*s, T*s, 3)`` in
    ``[0, 1]`` (clipped), running ``model`` in inference mode."""

    def predict(batch: np.ndarray) -> np.ndarray:
        x = color.to_model(batch, input_range)
        y = model.predict_on_batch(x)
        return color.from_model(np.asarray(y, dtype=np.float32), output_range)

    return predict


def batch_size_for(tile: int, bytes_per_pixel: float, free_bytes: int) -> int:
    """How many ``tile``-sized tiles fit in a quarter of ``free_bytes`` (1 to 8)."""
    per_tile = tile * tile * bytes_per_pixel
    return int(max(1, min(8, (free_bytes // 4) // max(per_tile, 1))))
