"""The correction gate: blur across the whole frame is corrected, a soft background is not."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.imaging import blur_map
from engine.imaging.blur_map import correction_gate, edge_blur
from tests.engine.photo_helpers import block_texture, soft_background


def _gauss(pixels: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(pixels, (0, 0), sigma, borderType=cv2.BORDER_REFLECT_101)


def _motion(pixels: np.ndarray, length: int) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return cv2.filter2D(pixels, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


def test_edge_blur_reads_the_sigma_of_a_blurred_step():
    step = np.zeros((64, 64), np.float32)
    step[:, 32:] = 1.0
    for sigma in (0.0, 1.5, 3.0):
        y = _gauss(step, sigma) if sigma else step
        blur, weight, _ = edge_blur(y, 0.01)
        at_edge = blur[32, 30:34][np.argmax(weight[32, 30:34])]
        assert abs(at_edge - np.hypot(sigma, 0.6)) < 0.25 + 0.05 * sigma


@pytest.mark.parametrize("blur", ["none", "defocus", "motion"])
def test_blur_over_the_whole_frame_is_corrected_everywhere(blur):
    sharp = block_texture(192, 256)
    photo = {"none": sharp, "defocus": _gauss(sharp, 2.5), "motion": _motion(sharp, 15)}[blur]
    gate = correction_gate(photo)
    assert gate.shape == (192, 256)
    assert np.percentile(gate, 5) > 0.9


def test_a_soft_background_behind_a_sharp_subject_is_left_alone():
    # A shallow depth of field: the right half soft.
    photo = soft_background(block_texture(192, 256, block=12), 128)
    gate = correction_gate(photo)
    assert gate[:, 16:96].mean() > 0.9  # the subject keeps its correction
    assert gate[:, 208:].mean() < 0.2  # the bokeh keeps its softness


def test_a_softer_background_is_held_back_more():
    sharp = block_texture(192, 256, block=12)
    held = [correction_gate(soft_background(sharp, 128, sigma))[:, 208:].mean()
            for sigma in (1.0, 3.0, 5.0)]
    assert held[0] > 0.9 and held[0] > held[1] > held[2]


def test_a_photo_without_edges_is_corrected_everywhere():
    flat = np.full((64, 80, 3), 0.4, np.float32)
    assert correction_gate(flat).min() == 1.0


def test_a_large_photo_is_measured_on_a_small_copy_and_gated_at_full_size(monkeypatch):
    photo = soft_background(block_texture(192, 256, block=12), 128)
    monkeypatch.setattr(blur_map, "ANALYSIS_SIDE", 256)
    large = cv2.resize(photo, (768, 576), interpolation=cv2.INTER_CUBIC)
    gate = correction_gate(large)
    assert gate.shape == (576, 768)
    assert gate[:, 48:288].mean() > 0.9 and gate[:, 624:].mean() < 0.2
