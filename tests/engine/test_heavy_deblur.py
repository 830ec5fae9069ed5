"""Heavy blur for training and evaluation, the deblur U-Net, and the evaluation tiers."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from engine.metrics import psnr  # noqa: E402
from engine.training import heavy_blur  # noqa: E402
from engine.training.degrade import blur, degrade_blur, motion_kernel  # noqa: E402


def _extent(kernel: np.ndarray) -> int:
    ys, xs = np.nonzero(kernel > 1e-6)
    return int(max(ys.max() - ys.min(), xs.max() - xs.min())) + 1


@pytest.mark.parametrize("extent", [9.0, 20.0, 35.0])
def test_shake_kernel_spans_its_extent_centred_and_normalised(extent):
    for seed in range(5):
        kernel = heavy_blur.shake_kernel(np.random.default_rng(seed), extent)
        assert kernel.shape[0] % 2 == 1 and kernel.shape[0] >= extent + 3
        assert kernel.sum() == pytest.approx(1.0, abs=1e-5) and kernel.min() >= 0
        # bilinear splatting adds at most one pixel on each side of the path
        assert extent - 1 <= _extent(kernel) <= extent + 2
        ys, xs = np.mgrid[: kernel.shape[0], : kernel.shape[1]]
        centre = kernel.shape[0] // 2
        assert (kernel * ys).sum() == pytest.approx(centre, abs=0.6)
        assert (kernel * xs).sum() == pytest.approx(centre, abs=0.6)


def test_heavy_eval_kernels_are_far_larger_than_the_mild_ones():
    heavy = [_extent(heavy_blur.eval_heavy_kernel(i, "motion")) for i in range(10)]
    mild = [_extent(motion_kernel(np.random.default_rng(i), 31)) for i in range(10)]
    assert min(heavy) >= 8 and max(heavy) <= 37
    assert np.median(heavy) > 15
    radii = [heavy_blur.eval_heavy_kernel(i, "defocus").shape[0] // 2 for i in range(10)]
    assert min(radii) >= 2 and max(radii) <= 6
    assert np.median(heavy) != np.median(mild)


def _photo(seed: int = 0, side: int = 96) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.kron(rng.random((side // 8, side // 8, 3)), np.ones((8, 8, 1))).astype(np.float32)


def test_eval_heavy_is_fixed_per_seed_and_blurs_hard():
    photo = _photo()
    first = heavy_blur.eval_heavy(photo, 3, "motion")
    assert np.array_equal(first, heavy_blur.eval_heavy(photo, 3, "motion"))
    assert not np.array_equal(first, heavy_blur.eval_heavy(photo, 4, "motion"))
    assert psnr(first, photo) < 25.0  # a blocky photo smeared by 9-35 px is far off
    with pytest.raises(Exception, match="unknown evaluation blur"):
        heavy_blur.eval_heavy(photo, 0, "gaussian")


def test_degrade_heavy_keeps_a_share_sharp_and_blurs_the_rest():
    photo = _photo(1)
    outs = [heavy_blur.degrade_heavy(photo, np.random.default_rng(s), sharp_share=0.3)
            for s in range(40)]
    unchanged = sum(np.array_equal(o, photo) for o in outs)
    assert 4 <= unchanged <= 20  # about 30% of 40
    assert all(o.shape == photo.shape and o.dtype == np.float32 for o in outs)
    assert all(o.min() >= 0.0 and o.max() <= 1.0 for o in outs)
    assert not any(np.array_equal(o, photo) for o in
                   [heavy_blur.degrade_heavy(photo, np.random.default_rng(s), 0.0)
                    for s in range(10)])


def test_mixed_share_draws_the_mild_mix_and_zero_keeps_the_heavy_stream():
    photo = _photo(2)
    heavy = [heavy_blur.degrade_heavy(photo, np.random.default_rng(s), 0.0) for s in range(6)]
    same = [heavy_blur.degrade_heavy(photo, np.random.default_rng(s), 0.0, mild_share=0.0)
            for s in range(6)]
    assert all(np.array_equal(a, b) for a, b in zip(heavy, same))
    for s in range(6):  # mild_share 1: exactly the mild mix, drawn after the two share draws
        rng = np.random.default_rng(s)
        rng.uniform(), rng.uniform()
        expected = degrade_blur(photo, rng)
        got = heavy_blur.degrade_heavy(photo, np.random.default_rng(s), 0.0, mild_share=1.0)
        assert np.array_equal(got, expected)
    # mild blur stays far closer to the photo than the heavy mix on average
    mild = [heavy_blur.degrade_heavy(photo, np.random.default_rng(s), 0.0, mild_share=1.0)
            for s in range(6)]
    assert np.mean([psnr(m, photo) for m in mild]) > np.mean([psnr(h, photo) for h in heavy])


def test_boosted_highlights_leave_a_bright_streak():
    dark = np.full((64, 64, 3), 0.05, np.float32)
    dark[30:34, 30:34] = 1.0  # a street lamp
    kernel = heavy_blur.shake_kernel(np.random.default_rng(0), 25.0)
    plain = blur(dark, kernel)
    boosted = blur(np.minimum(heavy_blur._boost_highlights(dark, np.random.default_rng(1)),
                              64.0), kernel)
    assert boosted.max() > plain.max() * 1.4  # the streak stays bright, not a grey smear
    assert np.allclose(boosted[:10, :10], plain[:10, :10])  # dark areas untouched


def _detail(img: np.ndarray) -> np.ndarray:
    """Squared horizontal + vertical step per pixel, ``(H - 1, W - 1)`` (blur lowers it;
    the absolute step, whose sum a blur keeps along a line, would not show it)."""
    return (np.diff(img, axis=0)[:, :-1] ** 2 + np.diff(img, axis=1)[:-1] ** 2).mean(2)


def test_soft_background_defocuses_the_whole_window_or_one_side_of_a_boundary():
    photo = _photo(3, side=128)
    wholes = partials = 0
    for seed in range(12):
        soft = heavy_blur.soft_background(photo, np.random.default_rng(seed))
        assert soft.shape == photo.shape and soft.dtype == np.float32
        assert soft.min() >= 0.0 and soft.max() <= 1.0
        kept = np.isclose(soft, photo, atol=1e-6).all(axis=2)[1:, 1:]
        # a disk of radius >= 8 on 8-px blocks wipes out most of the detail where it applies
        if kept.mean() < 0.02:  # a blurred pixel may match its original by chance
            wholes += 1
            assert _detail(soft).mean() < 0.6 * _detail(photo).mean()
        else:  # one side untouched, the other far softer
            partials += 1
            assert 0.1 < kept.mean() < 0.9
            assert _detail(soft)[~kept].mean() < 0.6 * _detail(photo)[~kept].mean()
    assert wholes >= 1 and partials >= 3  # 40% whole-window draws


def test_bokeh_share_puts_soft_backgrounds_into_targets_and_zero_keeps_the_stream(tmp_path):
    from engine.training.datasets import make_dataset

    folder = _photos(tmp_path / "photos", count=2, side=256)

    def batch(**kw):
        data = make_dataset("deblur", folder, crop=64, degradation="heavy", **kw)
        return data.sample(np.random.default_rng(5), 16)

    plain, same, soft = batch(), batch(bokeh_share=0.0), batch(bokeh_share=1.0)
    assert all(np.array_equal(plain[k], same[k]) for k in ("input", "target"))
    assert _detail(soft["target"].reshape(-1, 64, 3)).mean() < \
        0.8 * _detail(plain["target"].reshape(-1, 64, 3)).mean()
    with pytest.raises(Exception, match="bokeh_share"):
        make_dataset("deblur", folder, crop=64, degradation="heavy", bokeh_share=2.0)


def test_deblur_unet_starts_at_the_identity_and_tiles_like_the_whole():
    import keras

    from engine.models import build
    from engine.training.trainers.deblur import start_near_identity

    keras.utils.set_random_seed(0)
    model = build("deblur_unet", width=4)
    start_near_identity(model)
    x = np.random.default_rng(0).uniform(-0.9, 0.9, (1, 64, 80, 3)).astype("float32")
    y = keras.ops.convert_to_numpy(model(x))
    assert np.abs(y - x).max() < 0.05  # a fresh model barely changes its input
    model.get_layer("output_conv").set_weights(
        [w * 100 for w in model.get_layer("output_conv").get_weights()])
    whole = keras.ops.convert_to_numpy(model(x))
    left = keras.ops.convert_to_numpy(model(x[:, :, :48]))
    # no global operation: away from the cut, a part equals the whole
    assert np.abs(left[:, :, :16] - whole[:, :, :16]).max() < 1e-3
    assert np.abs(whole - x).max() > 0.05


def _photos(folder, count=3, side=160):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for i in range(count):
        base = rng.random((side // 8, side // 8, 3))
        arr = (np.kron(base, np.ones((8, 8, 1))) * 255).astype(np.uint8)
        PILImage.fromarray(arr).save(folder / f"p{i}.png")
    return folder


def test_eval_tiers_name_their_sets_and_score_sharp_photos_against_themselves(store,
                                                                              tmp_path):
    from engine.evaluation.eval import evaluate
    from tests.engine.store_helpers import tiny_model

    tiny_model("deblur", "tiny")
    held = _photos(tmp_path / "held", count=2, side=96)
    everything = evaluate("deblur", held, crop=64, tier="all")
    assert list(everything.sets) == ["mild motion", "mild defocus", "heavy motion",
                                "heavy defocus", "sharp"]
    sharp = everything.sets["sharp"]
    assert [r.method for r in sharp][0] == "sharpen" and len(sharp) == 2
    heavy = everything.sets["heavy motion"]
    assert heavy[0].method == "blurred input" and heavy[0].count == 2
    assert heavy[0].psnr_y < everything.sets["mild motion"][0].psnr_y + 10
    assert sharp[0].psnr_y_median > 0 and np.isfinite(sharp[0].psnr_y_median)
    only = evaluate("deblur", held, crop=64, tier="heavy")
    assert list(only.sets) == ["heavy motion", "heavy defocus"]
    assert only.sets["heavy motion"][0].psnr_y == pytest.approx(heavy[0].psnr_y)
    with pytest.raises(Exception, match="unknown evaluation tier"):
        evaluate("deblur", held, crop=64, tier="extreme")


def test_true_kernel_reference_is_given_the_turned_kernel():
    """filter2D correlates; a non-symmetric kernel given unturned to Wiener does far worse."""
    from engine.evaluation.eval import TrueKernel, deconvolve

    truth = _photo(2, 128)
    kernel = np.zeros((15, 15), np.float32)
    kernel[7, 7:15] = 1.0  # a one-sided streak: its centre of mass is off the centre
    kernel /= kernel.sum()
    blurred = blur(truth, kernel)
    turned = TrueKernel("wiener")(blurred, kernel)
    unturned = deconvolve(blurred, kernel, "wiener")
    inner = (slice(16, -16), slice(16, -16))
    assert psnr(turned[inner], truth[inner]) > psnr(unturned[inner], truth[inner]) + 3.0
