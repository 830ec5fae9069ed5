"""The pixel contract in engine.imaging.color: channel order, ranges and round trips."""

from __future__ import annotations

import numpy as np
import pytest

from engine.imaging import color

BGR_RED = np.array([0, 0, 255], np.uint8)  # OpenCV's order for pure red


def test_decoded_bgr_becomes_rgb_float():
    arr = np.zeros((2, 3, 3), np.uint8)
    arr[0, 0] = BGR_RED
    pixels, alpha, grey, depth = color.decoded_to_rgb(arr)
    assert pixels.dtype == np.float32 and pixels.shape == (2, 3, 3)
    np.testing.assert_array_equal(pixels[0, 0], [1.0, 0.0, 0.0])
    assert (alpha, grey, depth) == (None, False, 8)


def test_decoded_bgra_splits_alpha():
    arr = np.zeros((2, 2, 4), np.uint8)
    arr[..., 0] = 255  # blue
    arr[..., 3] = 51
    pixels, alpha, grey, depth = color.decoded_to_rgb(arr)
    np.testing.assert_array_equal(pixels[0, 0], [0.0, 0.0, 1.0])
    np.testing.assert_allclose(alpha, 0.2)
    assert alpha.shape == (2, 2) and not grey


@pytest.mark.parametrize("shape", [(4, 5), (4, 5, 1)])
def test_decoded_grey_is_expanded_and_flagged(shape):
    arr = np.full(shape, 65535 // 5, np.uint16)
    pixels, alpha, grey, depth = color.decoded_to_rgb(arr)
    assert pixels.shape == (4, 5, 3) and grey and depth == 16 and alpha is None
    np.testing.assert_allclose(pixels, 0.2, atol=1e-6)


def test_decoded_grey_alpha():
    arr = np.stack([np.full((3, 3), 255, np.uint8), np.zeros((3, 3), np.uint8)], axis=2)
    pixels, alpha, grey, _ = color.decoded_to_rgb(arr)
    assert grey and np.all(pixels == 1.0) and np.all(alpha == 0.0)


@pytest.mark.parametrize("bit_depth", [8, 16])
@pytest.mark.parametrize("grey", [False, True])
@pytest.mark.parametrize("with_alpha", [False, True])
def test_encodable_round_trips_exactly(bit_depth, grey, with_alpha):
    rng = np.random.default_rng(11)
    top = 255 if bit_depth == 8 else 65535
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    channels = (1 if grey else 3) + (1 if with_alpha else 0)
    arr = rng.integers(0, top + 1, (6, 7, channels), dtype=dtype)
    arr = arr[:, :, 0] if channels == 1 else arr
    pixels, alpha, was_grey, depth = color.decoded_to_rgb(arr)
    assert (was_grey, depth) == (grey, bit_depth)
    np.testing.assert_array_equal(color.rgb_to_encodable(pixels, alpha, depth, grey), arr)


def test_encodable_clips_out_of_range_values():
    pixels = np.array([[[-0.5, 0.5, 1.5]]], np.float32)
    np.testing.assert_array_equal(color.rgb_to_encodable(pixels, None, 8, False), [[[255, 128, 0]]])


def test_pil_array_is_rgb_order():
    pixels = np.zeros((1, 2, 3), np.float32)
    pixels[0, 0, 0] = 1.0
    out = color.rgb_to_pil_array(pixels, np.ones((1, 2), np.float32), grey=False)
    np.testing.assert_array_equal(out[0, 0], [255, 0, 0, 255])
    assert out.dtype == np.uint8


def test_luma_and_grey_output_use_bt601_weights():
    pixels = np.zeros((1, 3, 3), np.float32)
    pixels[0, 0, 0] = pixels[0, 1, 1] = pixels[0, 2, 2] = 1.0
    np.testing.assert_allclose(color.luma(pixels)[0], [0.299, 0.587, 0.114], atol=1e-6)
    np.testing.assert_array_equal(color.rgb_to_pil_array(pixels, None, grey=True)[0], [76, 150, 29])


def test_collapse_grey_takes_one_channel_and_keeps_alpha():
    grey_bgra = np.zeros((2, 2, 4), np.uint16)
    grey_bgra[..., :3] = 700
    grey_bgra[..., 3] = 9
    collapsed = color.collapse_grey(grey_bgra)
    assert collapsed.shape == (2, 2, 2) and collapsed.dtype == np.uint16
    np.testing.assert_array_equal(collapsed[0, 0], [700, 9])
    assert color.collapse_grey(grey_bgra[..., :3]).shape == (2, 2)
    flat = np.zeros((2, 2), np.uint8)
    assert color.collapse_grey(flat) is flat


def test_rgb_ordered_input_is_not_swapped():
    rgba = np.zeros((1, 1, 4), np.uint8)
    rgba[0, 0] = (255, 0, 0, 128)
    pixels, alpha, grey, depth = color.rgb_ordered_to_rgb(rgba)
    np.testing.assert_array_equal(pixels[0, 0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(alpha, 128 / 255)
    assert not grey and depth == 8
    _, _, grey, depth = color.rgb_ordered_to_rgb(np.zeros((2, 2), np.uint16))
    assert grey and depth == 16


@pytest.mark.parametrize("bit_depth", [8, 16])
def test_rgb_to_array_inverts_rgb_ordered_to_rgb(bit_depth):
    rng = np.random.default_rng(12)
    dtype = np.uint8 if bit_depth == 8 else np.uint16
    rgba = rng.integers(0, np.iinfo(dtype).max + 1, (5, 4, 4), dtype=dtype)
    pixels, alpha, grey, depth = color.rgb_ordered_to_rgb(rgba)
    out = color.rgb_to_array(pixels, alpha, grey, depth)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, rgba)
    assert color.rgb_to_array(pixels, None, True, depth).shape == (5, 4)


def test_rgb_to_y_range():
    black = color.rgb_to_y(np.zeros((1, 1, 3), np.float32))
    white = color.rgb_to_y(np.ones((1, 1, 3), np.float32))
    np.testing.assert_allclose([black[0, 0], white[0, 0]], [16 / 255, 235 / 255], atol=1e-3)


def test_to_display_is_rgb_uint8():
    out = color.to_display(np.array([[[0.0, 0.5, 1.2]]], np.float32))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[[0, 128, 255]]])


@pytest.mark.parametrize(("value_range", "low", "high"), [("-1,1", -1.0, 1.0), ("0,1", 0.0, 1.0)])
def test_model_ranges_round_trip(value_range, low, high):
    pixels = np.array([[[0.0, 0.25, 1.0]]], np.float32)
    model_in = color.to_model(pixels, value_range)
    assert model_in.dtype == np.float32
    assert model_in.min() == low and model_in.max() == high
    np.testing.assert_allclose(color.from_model(model_in, value_range), pixels, atol=1e-6)


def test_from_model_clips_and_unknown_ranges_fail():
    np.testing.assert_array_equal(color.from_model(np.array([-2.0, 2.0]), "-1,1"), [0.0, 1.0])
    with pytest.raises(ValueError, match="range"):
        color.to_model(np.zeros((1, 1, 3)), "0,255")
    with pytest.raises(ValueError, match="range"):
        color.from_model(np.zeros((1, 1, 3)), "0,255")
