"""Synthetic degradations: kernels, noise, JPEG, the training mixes and the fixed eval ones."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.errors import UsageError
from engine.imaging.resample import resize_to
from engine.training import degrade


def _blocks(height=64, width=64, block=8, seed=0) -> np.ndarray:
    """A sharp test photo: random colour blocks, float32 RGB in [0, 1]."""
    rng = np.random.default_rng(seed)
    small = rng.random((height // block, width // block, 3)).astype(np.float32)
    return np.repeat(np.repeat(small, block, axis=0), block, axis=1)


def _smooth(height=64, width=64) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack([xx / width, yy / height, 0.5 + 0.3 * np.sin(xx / 7)], axis=2)


def _sharpness(img: np.ndarray) -> float:
    return float(cv2.Laplacian(img.mean(axis=2), cv2.CV_32F).var())


def _support(kernel: np.ndarray) -> int:
    return int((kernel > 0.01 * kernel.max()).sum())


# --- kernels ---------------------------------------------------------------------------------


def test_motion_kernels_are_normalised_centred_and_varied():
    rng = np.random.default_rng(0)
    kernels = [degrade.motion_kernel(rng) for _ in range(30)]
    supports = []
    for k in kernels:
        assert k.shape == (31, 31) and k.dtype == np.float32
        assert k.min() >= 0 and k.sum() == pytest.approx(1.0, abs=1e-5)
        grid = np.arange(31)
        assert (k.sum(axis=0) * grid).sum() == pytest.approx(15, abs=1e-3)  # no image shift
        assert (k.sum(axis=1) * grid).sum() == pytest.approx(15, abs=1e-3)
        supports.append(_support(k))
    assert min(supports) > 1  # never a plain identity
    assert len(set(supports)) > 10  # shapes and lengths vary
    assert max(supports) >= 3 * min(supports)


def test_motion_kernel_is_deterministic_and_honours_size_and_length():
    a = degrade.motion_kernel(np.random.default_rng(5), size=21)
    b = degrade.motion_kernel(np.random.default_rng(5), size=21)
    assert a.shape == (21, 21)
    np.testing.assert_array_equal(a, b)
    short = [_support(degrade.motion_kernel(np.random.default_rng(s), max_len=6))
             for s in range(10)]
    long = [_support(degrade.motion_kernel(np.random.default_rng(s), max_len=120))
            for s in range(10)]
    assert np.mean(short) < np.mean(long)


@pytest.mark.parametrize("make", [lambda: degrade.defocus_kernel(3.3),
                                  lambda: degrade.gaussian_kernel(1.7)])
def test_defocus_and_gaussian_kernels_are_normalised_and_symmetric(make):
    k = make()
    assert k.dtype == np.float32 and k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
    assert k.sum() == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(k, k.T, atol=1e-7)
    np.testing.assert_allclose(k, k[::-1], atol=1e-7)
    centre = k.shape[0] // 2
    assert k[centre, centre] == k.max()


def test_zero_radius_kernels_are_identity():
    for k in (degrade.defocus_kernel(0), degrade.gaussian_kernel(0)):
        np.testing.assert_array_equal(k, np.ones((1, 1), np.float32))


def test_defocus_is_a_flat_disk():
    k = degrade.defocus_kernel(5.0)
    assert k.shape == (11, 11)
    assert k[5, 5] == pytest.approx(k[5, 7])  # flat inside
    assert k[0, 0] == 0  # round, not square


# --- single degradations ---------------------------------------------------------------------


def test_blur_keeps_shape_range_and_flat_areas():
    img = _blocks()
    out = degrade.blur(img, degrade.defocus_kernel(3))
    assert out.shape == img.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    assert _sharpness(out) < 0.5 * _sharpness(img)
    flat = np.full((32, 32, 3), 0.3, np.float32)
    np.testing.assert_allclose(degrade.blur(flat, degrade.motion_kernel(
        np.random.default_rng(1))), flat, atol=1e-5)


def test_noise_has_roughly_the_requested_sigma():
    grey = np.full((128, 128, 3), 0.5, np.float32)
    noisy = degrade.add_noise(grey, np.random.default_rng(0), 0.05)
    assert noisy.dtype == np.float32 and noisy.shape == grey.shape
    assert float((noisy - grey).std()) == pytest.approx(0.05, rel=0.1)
    assert abs(float((noisy - grey).mean())) < 0.005
    dark = degrade.add_noise(np.zeros_like(grey), np.random.default_rng(0), 0.05)
    assert dark.min() >= 0  # clipped
    np.testing.assert_array_equal(degrade.add_noise(grey, np.random.default_rng(0), 0), grey)


def test_noise_is_deterministic_for_a_generator_state():
    img = _blocks()
    a = degrade.add_noise(img, np.random.default_rng(3), 0.02)
    b = degrade.add_noise(img, np.random.default_rng(3), 0.02)
    c = degrade.add_noise(img, np.random.default_rng(4), 0.02)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])  # covers both chroma subsamplings
def test_jpeg_round_trip_keeps_colours_in_place(seed):
    img = np.zeros((48, 96, 3), np.float32)
    img[:, :32, 0] = 1.0  # red | green | blue, left to right
    img[:, 32:64, 1] = 1.0
    img[:, 64:, 2] = 1.0
    out = degrade.jpeg(img, np.random.default_rng(seed), 80)
    assert out.shape == img.shape and out.dtype == np.float32
    for region, channel in ((slice(4, 28), 0), (slice(36, 60), 1), (slice(68, 92), 2)):
        means = out[8:40, region].mean(axis=(0, 1))
        assert means[channel] > 0.9
        assert np.delete(means, channel).max() < 0.1


def test_jpeg_quality_changes_the_error():
    img = _blocks(seed=2)
    low = np.abs(degrade.jpeg(img, np.random.default_rng(0), 20) - img).mean()
    high = np.abs(degrade.jpeg(img, np.random.default_rng(0), 95) - img).mean()
    assert high < low


# --- training mixes --------------------------------------------------------------------------


def test_degrade_blur_blurs_deterministically():
    sharp = _blocks(96, 96)
    outs = [degrade.degrade_blur(sharp, np.random.default_rng(s)) for s in range(6)]
    for out in outs:
        assert out.shape == sharp.shape and out.dtype == np.float32
        assert out.min() >= 0 and out.max() <= 1
        assert _sharpness(out) < _sharpness(sharp)
    np.testing.assert_array_equal(outs[0], degrade.degrade_blur(sharp, np.random.default_rng(0)))
    assert not np.array_equal(outs[0], outs[1])


def test_degrade_downscale_is_quarter_size_and_close_to_an_area_downscale():
    hr = _smooth(64, 96)
    reference = resize_to(hr, 24, 16, "area")
    for seed in range(4):
        lr = degrade.degrade_downscale(hr, np.random.default_rng(seed))
        assert lr.shape == (16, 24, 3) and lr.dtype == np.float32
        assert lr.min() >= 0 and lr.max() <= 1
        assert np.abs(lr - reference).mean() < 0.03
    with pytest.raises(ValueError, match="divisible"):
        degrade.degrade_downscale(hr[:63], np.random.default_rng(0))


def test_clean_downscale_is_exactly_an_area_or_bicubic_downscale():
    hr = _smooth(64, 96)
    choices = [degrade.eval_downscale(hr, kind) for kind in ("area", "bicubic")]
    seen = set()
    for seed in range(8):
        lr = degrade.degrade_downscale(hr, np.random.default_rng(seed), clean=True)
        matches = [i for i, ref in enumerate(choices) if np.array_equal(lr, ref)]
        assert len(matches) == 1  # no blur, noise or JPEG on top
        seen.add(matches[0])
    assert seen == {0, 1}


# --- evaluation degradations -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["motion", "defocus"])
def test_eval_blur_is_fixed_per_image_seed_and_kind(kind):
    sharp = _blocks(64, 64)
    a = degrade.eval_blur(sharp, 7, kind)
    np.testing.assert_array_equal(a, degrade.eval_blur(sharp, 7, kind))
    assert not np.array_equal(a, degrade.eval_blur(sharp, 8, kind))
    assert a.shape == sharp.shape and a.dtype == np.float32
    assert _sharpness(a) < _sharpness(sharp)


@pytest.mark.parametrize("kind", ["motion", "defocus"])
def test_eval_kernel_is_the_kernel_eval_blur_applies(kind):
    sharp = _blocks(64, 64)
    residual = degrade.eval_blur(sharp, 3, kind) - degrade.blur(sharp, degrade.eval_kernel(3, kind))
    assert 0.005 < residual.std() < 0.015  # the sensor noise (sigma 0.01) and nothing else
    other = degrade.eval_blur(sharp, 3, kind) - degrade.blur(sharp, degrade.eval_kernel(4, kind))
    assert other.std() > 2 * residual.std()


def test_eval_blur_kinds_differ_and_unknown_is_refused():
    sharp = _blocks()
    assert not np.array_equal(degrade.eval_blur(sharp, 1, "motion"),
                              degrade.eval_blur(sharp, 1, "defocus"))
    with pytest.raises(UsageError, match="gaussian"):
        degrade.eval_blur(sharp, 1, "gaussian")


def test_eval_downscale_area_and_bicubic():
    hr = _smooth(64, 64)
    area = degrade.eval_downscale(hr, "area")
    np.testing.assert_allclose(area, hr.reshape(16, 4, 16, 4, 3).mean(axis=(1, 3)), atol=1e-5)
    bicubic = degrade.eval_downscale(hr, "bicubic")
    np.testing.assert_array_equal(bicubic, degrade.eval_downscale(hr, "bicubic"))
    assert bicubic.shape == (16, 16, 3) and bicubic.dtype == np.float32
    assert np.abs(bicubic - area).mean() < 0.02  # anti-aliased: close to the box average
    assert degrade.eval_downscale(_smooth(64, 32), "area", scale=2).shape == (32, 16, 3)
    with pytest.raises(UsageError, match="nearest"):
        degrade.eval_downscale(hr, "nearest")


def test_bicubic_downscale_does_not_alias():
    checker = np.indices((64, 64)).sum(axis=0) % 2
    hr = np.repeat(checker[:, :, None], 3, axis=2).astype(np.float32)
    lr = degrade.eval_downscale(hr, "bicubic")
    assert np.abs(lr[2:-2, 2:-2] - 0.5).max() < 0.05  # a 1-pixel checker averages to grey
