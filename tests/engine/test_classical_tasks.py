"""The classical tasks (sharpen, resize) and the shared tiled-processing helpers."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from engine.errors import UsageError
from engine.events import Event, TileProgress
from engine.imaging.image import Image
from engine.imaging.resample import lanczos_resize, lanczos_taps
from engine.tasks.registry import RunContext, get_task, task_ids

TOL = 1.0 / 255.0


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth shapes plus fine texture, float32 RGB in [0, 1]."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 0.5 + 0.3 * np.sin(x / 7.0)[:, :, None] * np.cos(y / 5.0)[:, :, None]
    texture = rng.random((height, width, 3), dtype=np.float32) * 0.2
    return np.clip(base * np.array([1.0, 0.8, 0.6], np.float32) + texture, 0, 1).astype(
        np.float32
    )


def run(task_id: str, image: Image, tile: int = 0, **given) -> Image:
    task = get_task(task_id)
    return task.process(image, task.parse_options(given), RunContext(tile=tile))


def reference_unsharp(pixels: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """Whole-image unsharp mask, written out independently (3-sigma kernel, mirrored border)."""
    size = 2 * math.ceil(3 * sigma) + 1
    blurred = cv2.GaussianBlur(pixels, (size, size), sigma, borderType=cv2.BORDER_REFLECT_101)
    return np.clip(pixels + amount * (pixels - blurred), 0, 1)


def high_frequency_energy(pixels: np.ndarray) -> float:
    return float(np.mean(cv2.Laplacian(pixels, cv2.CV_32F) ** 2))


# -- registry and parameters ----------------------------------------------------------------


def test_tasks_are_registered_as_image_tasks():
    assert {"sharpen", "resize"} <= set(task_ids())
    for task_id in ("sharpen", "resize"):
        task = get_task(task_id)
        info = task.describe()
        assert info["kind"] == "image" and info["weights_ready"]
        assert task.title and task.description and "\n" not in task.description
        assert all(p["help"] for p in info["params"])


def test_defaults_and_string_values_are_parsed():
    assert get_task("sharpen").parse_options({}) == {
        "amount": 1.0, "radius": 1.5, "threshold": 0.0,
    }
    assert get_task("resize").parse_options({"scale": "0.5"}) == {"scale": 0.5}
    assert get_task("resize").output_scale({"scale": 3.0}) == 3.0


@pytest.mark.parametrize(
    "task_id, given",
    [
        ("sharpen", {"amount": "6"}),
        ("sharpen", {"radius": "0"}),
        ("sharpen", {"threshold": "-0.1"}),
        ("sharpen", {"amount": "lots"}),
        ("sharpen", {"strength": "1"}),
        ("resize", {"scale": "0.05"}),
        ("resize", {"scale": "9"}),
    ],
)
def test_bad_values_are_usage_errors(task_id, given):
    with pytest.raises(UsageError):
        get_task(task_id).parse_options(given)


# -- sharpen --------------------------------------------------------------------------------


@pytest.mark.parametrize("radius", [0.7, 1.5, 4.0])
def test_sharpen_matches_whole_image_unsharp_mask(radius):
    pixels = photo(67, 91)
    out = run("sharpen", Image(pixels), tile=32, amount=1.5, radius=radius).pixels
    assert out.shape == pixels.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, reference_unsharp(pixels, 1.5, radius), atol=TOL)


def test_sharpen_adds_high_frequency_energy():
    pixels = cv2.GaussianBlur(photo(64, 64), (0, 0), 1.0)
    out = run("sharpen", Image(pixels), amount=2.0).pixels
    assert high_frequency_energy(out) > 2 * high_frequency_energy(pixels)


@pytest.mark.parametrize("given", [{"threshold": 1.0}, {"amount": 0.0}])
def test_sharpen_can_leave_the_image_unchanged(given):
    pixels = photo(40, 50)
    out = run("sharpen", Image(pixels), tile=32, **given).pixels
    np.testing.assert_allclose(out, pixels, atol=1e-6)


def test_sharpen_threshold_protects_flat_areas_only():
    pixels = np.full((40, 40, 3), 0.5, np.float32)
    pixels += np.random.default_rng(0).normal(0, 0.005, pixels.shape).astype(np.float32)
    pixels[:, 20:] = 0.9  # one strong edge
    out = run("sharpen", Image(pixels), threshold=0.05, amount=2.0).pixels
    np.testing.assert_allclose(out[:, :10], pixels[:, :10], atol=1e-6)  # noise left alone
    assert not np.allclose(out[:, 17:23], pixels[:, 17:23])  # the edge is sharpened


def test_sharpen_keeps_alpha_and_metadata():
    alpha = np.random.default_rng(2).random((30, 40), dtype=np.float32)
    image = Image(photo(30, 40), alpha=alpha, bit_depth=16, exif=b"II*\x00", format="tiff")
    out = run("sharpen", image)
    np.testing.assert_array_equal(out.alpha, alpha)
    assert (out.bit_depth, out.exif, out.format) == (16, b"II*\x00", "tiff")


def test_sharpen_reports_tile_progress():
    events: list[Event] = []
    task = get_task("sharpen")
    ctx = RunContext(progress=events.append, tile=32, item=5)
    task.process(Image(photo(70, 70)), task.parse_options({}), ctx)
    assert len(events) > 1 and events[-1].done == events[-1].total
    assert {(type(e), e.item) for e in events} == {(TileProgress, 5)}


# -- resize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scale, size", [(2.0, (106, 146)), (1.5, (80, 110)), (0.5, (27, 37)), (3.0, (159, 219))]
)
def test_resize_output_size(scale, size):
    out = run("resize", Image(photo(53, 73)), scale=scale).pixels
    assert out.shape == size + (3,) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("scale", [2.0, 3.0, 1.5, 1.25])
def test_resize_upscale_matches_opencv_lanczos_away_from_borders(scale):
    pixels = photo(53, 73)
    out = run("resize", Image(pixels), tile=32, scale=scale).pixels
    ref = cv2.resize(pixels, out.shape[1::-1], interpolation=cv2.INTER_LANCZOS4)
    margin = math.ceil(5 * scale)  # OpenCV repeats the edge pixel, we mirror
    inner = (slice(margin, -margin), slice(margin, -margin))
    np.testing.assert_allclose(out[inner], np.clip(ref, 0, 1)[inner], atol=1e-4)


def test_resize_tiles_agree_with_one_big_tile():
    pixels = photo(53, 73)
    for height, width in ((80, 110), (29, 40)):
        small_tiles = lanczos_resize(pixels, height, width, RunContext(tile=16))
        one_tile = lanczos_resize(pixels, height, width, RunContext(tile=4096))
        np.testing.assert_allclose(small_tiles, one_tile, atol=1e-6)


def test_downscale_filters_detail_finer_than_the_new_grid():
    checker = (np.indices((64, 64)).sum(axis=0) % 2).astype(np.float32)
    pixels = np.repeat(checker[:, :, None], 3, axis=2)
    out = run("resize", Image(pixels), scale=0.4).pixels
    np.testing.assert_allclose(out[4:-4, 4:-4], 0.5, atol=0.02)


def test_downscale_of_smooth_image_is_close_to_area_average():
    pixels = cv2.GaussianBlur(photo(80, 100), (0, 0), 2.0)
    out = run("resize", Image(pixels), scale=0.5).pixels
    ref = cv2.resize(pixels, (50, 40), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(out[3:-3, 3:-3], ref[3:-3, 3:-3], atol=0.02)


def test_lanczos_taps_weights_sum_to_one():
    for in_size, out_size in ((10, 25), (25, 10), (7, 7)):
        indices, weights = lanczos_taps(in_size, out_size)
        assert indices.shape == weights.shape and indices.shape[0] == out_size
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("scale", [2.0, 0.75])
def test_resize_resizes_alpha_with_the_image(scale):
    alpha = np.zeros((40, 60), np.float32)
    alpha[10:30, 15:45] = 1.0
    out = run("resize", Image(photo(40, 60), alpha=alpha), scale=scale)
    assert out.alpha.shape == out.pixels.shape[:2]
    assert out.alpha.min() >= 0.0 and out.alpha.max() <= 1.0
    ref = cv2.resize(alpha, out.alpha.shape[::-1], interpolation=cv2.INTER_LINEAR)
    assert np.abs(out.alpha - ref).mean() < 0.02
