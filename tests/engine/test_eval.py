"""Evaluation: metrics are right, and every method is scored on the same degraded photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.errors import UsageError
from engine.evaluation.eval import evaluate
from engine.metrics import psnr, quality, ssim
from tests.engine.store_helpers import tiny_model


def test_psnr_and_ssim_known_values():
    rng = np.random.default_rng(0)
    truth = rng.random((64, 64, 3)).astype(np.float32)
    noisy = truth + 0.01  # mse 1e-4 -> 40 dB
    assert psnr(noisy, truth) == pytest.approx(40.0, abs=1e-3)
    assert psnr(truth, truth) == float("inf")
    assert ssim(truth, truth) == pytest.approx(1.0)
    assert ssim(rng.random((64, 64)), truth[:, :, 0]) < 0.2
    scores = quality(noisy, truth, border=4)
    assert set(scores) == {"psnr_rgb", "ssim_rgb", "psnr_y", "ssim_y"}


def _photos(folder, count=2):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for i in range(count):
        base = rng.random((12, 16, 3))
        arr = (np.kron(base, np.ones((8, 8, 1))) * 255).astype(np.uint8)
        PILImage.fromarray(arr).save(folder / f"p{i}.png")
    return folder


def test_deblur_eval_rows(store, tmp_path):
    tiny_model("deblur", "tiny")
    results = evaluate("deblur", _photos(tmp_path / "held"), crop=64, tier="mild")
    assert set(results.sets) == {"mild motion", "mild defocus"}
    names = [row.method for row in results.sets["mild motion"]]
    assert names[:4] == ["blurred input", "sharpen", "richardson-lucy", "wiener"]
    assert names[-2:] == ["ref: wiener, true kernel", "ref: richardson-lucy, true kernel"]
    blurred = results.sets["mild motion"][0]
    assert blurred.count == 2 and 10 < blurred.psnr_rgb < 60
    assert all(row.count == 2 for row in results.sets["mild defocus"])


def test_upscale_eval_rows(store, tmp_path):
    tiny_model("upscale", "tiny")
    results = evaluate("upscale", _photos(tmp_path / "held"), crop=64)
    bicubic = results.sets["area"][0]
    assert results.task == "upscale" and bicubic.method == "bicubic" and bicubic.psnr_y > 10
    assert len(results.sets["bicubic"]) == 3


def test_eval_refuses_without_weights_and_other_tasks(store, tmp_path):
    with pytest.raises(UsageError, match="no trained model"):
        evaluate("deblur", _photos(tmp_path / "held"))
    with pytest.raises(UsageError, match="deblur and upscale"):
        evaluate("sharpen", tmp_path)


def test_true_kernel_reference_beats_the_generic_psf_on_defocus():
    from engine.evaluation.eval import TrueKernel, deblur_methods
    from engine.training.degrade import eval_blur, eval_kernel

    rng = np.random.default_rng(2)
    truth = np.kron(rng.random((16, 16, 3)), np.ones((6, 6, 1))).astype(np.float32)
    blurred = eval_blur(truth, 5, "defocus")
    generic = deblur_methods("defocus", "")["wiener"](blurred)
    exact = TrueKernel("wiener")(blurred, eval_kernel(5, "defocus"))
    assert psnr(exact[8:-8, 8:-8], truth[8:-8, 8:-8]) > psnr(blurred[8:-8, 8:-8],
                                                             truth[8:-8, 8:-8]) + 1.0
    assert psnr(exact[8:-8, 8:-8], truth[8:-8, 8:-8]) > psnr(generic[8:-8, 8:-8],
                                                             truth[8:-8, 8:-8])


def test_eval_crop_is_the_most_detailed_window_of_a_fixed_grid():
    from engine.evaluation.eval import _detailed_crop

    photo = np.full((300, 400, 3), 0.5, np.float32)
    rng = np.random.default_rng(0)
    photo[200:, 300:] = rng.random((100, 100, 3))  # detail only in the bottom-right corner
    crop = _detailed_crop(photo, 64, 4)
    assert crop.shape == (64, 64, 3)
    assert np.array_equal(crop, photo[236:, 336:])  # the grid's bottom-right window
    assert np.array_equal(_detailed_crop(photo, 64, 4), crop)  # fixed, no randomness
    assert _detailed_crop(photo, 1000, 4).shape == (300, 400, 3)
