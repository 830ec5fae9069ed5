"""Issue 18: the painting task's detail step (``match_detail``): the output's fine luma band is
brought up to the painting's spread, never lowered, never more than ``MAX_GAIN`` x, the
picture's broad shapes and colours untouched; only for models whose card names a painting."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.imaging import io
from engine.imaging.image import Image
from engine.tasks import stroke_detail
from engine.tasks.registry import RunContext, get_task
from engine.tasks.sharpen import unsharp_mask
from tests.engine.store_helpers import tiny_model
from tests.engine.test_painting_palette import _photo

TASK = "photo2monet"


@pytest.fixture
def crisp(store, tmp_path):
    """A bundled style ``crisp`` in the test's resources: black and white single pixels, far
    more fine contrast than any output."""
    folder = tmp_path / "resources" / "styles"
    folder.mkdir(parents=True)
    dots = np.random.default_rng(5).integers(0, 2, (32, 48, 1)).astype(np.float32)
    io.write(Image(pixels=np.repeat(dots, 3, axis=2)), folder / "crisp.png")


def _soft(seed: int = 0, size: int = 64) -> np.ndarray:
    """Mid-grey blobs with faint fine texture, values well inside [0, 1] (no clipping)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    base = np.stack([0.5 + 0.15 * np.sin(xx / 9), 0.5 + 0.15 * np.cos(yy / 7),
                     np.full_like(xx, 0.45)], -1)
    texture = cv2.GaussianBlur(rng.normal(0, 0.03, (size, size)).astype(np.float32), (0, 0), 0.8)
    return (base + texture[:, :, None]).astype(np.float32)


def test_detail_spread_is_zero_for_a_flat_image_and_grows_with_fine_texture():
    flat = np.full((40, 40, 3), 0.4, np.float32)
    assert stroke_detail.detail_spread(flat) < 1e-6
    soft = _soft()
    assert stroke_detail.detail_spread(unsharp_mask(soft, 1.0, 1.0, 0.0)) > \
        1.5 * stroke_detail.detail_spread(soft)


def test_match_detail_brings_the_fine_band_to_the_paintings_spread():
    content = _soft(0)
    painting = unsharp_mask(_soft(1), 0.6, 1.0, 0.0)  # the same kind of picture, crisper
    target = stroke_detail.detail_spread(painting)
    assert 1.2 < target / stroke_detail.detail_spread(content) < stroke_detail.MAX_GAIN
    mine = stroke_detail.detail_spread(content)
    result = stroke_detail.match_detail(content, painting)
    assert result.shape == content.shape and result.dtype == np.float32
    # The mask multiplies the finest detail by the gain, the band's coarser part by less.
    assert mine + 0.7 * (target - mine) < stroke_detail.detail_spread(result) <= target
    # Only the fine band changed: the broad shapes and colours are the content's.
    def broad(x):
        return cv2.GaussianBlur(x, (0, 0), 4.0)
    assert np.abs(broad(result) - broad(content)).mean() < 0.25 * np.abs(result - content).mean()


def test_match_detail_never_softens_and_caps_its_gain():
    content = _soft(0)
    smoother = cv2.GaussianBlur(_soft(1), (0, 0), 2.0)
    np.testing.assert_array_equal(stroke_detail.match_detail(content, smoother), content)
    wild = np.random.default_rng(2).uniform(0, 1, (64, 64, 3)).astype(np.float32)
    assert stroke_detail.detail_gain(content, wild) == stroke_detail.MAX_GAIN
    capped = stroke_detail.match_detail(content, wild)
    ratio = stroke_detail.detail_spread(capped) / stroke_detail.detail_spread(content)
    assert 1.5 < ratio <= stroke_detail.MAX_GAIN


def _run(model_id: str, **options) -> np.ndarray:
    task = get_task(TASK)
    return task.process(_photo(), task.parse_options({"model": model_id, **options}),
                        RunContext()).pixels


def test_the_task_sharpens_to_the_named_painting_only(crisp):
    tiny_model(TASK, "painter", painting="crisp")
    tiny_model(TASK, "plain")
    # Palette step off: the dots' palette alone would push the output to black and white.
    off = _run("painter", match_palette="false", match_detail="false")
    on = _run("painter", match_palette="false")
    assert stroke_detail.detail_spread(on) > 1.4 * stroke_detail.detail_spread(off)
    np.testing.assert_array_equal(_run("plain"), _run("plain", match_detail="false"))


def test_match_detail_is_a_declared_bool_parameter(store):
    tiny_model(TASK, "any")
    param = {p.name: p for p in get_task(TASK).params}["match_detail"]
    assert param.type == "bool" and param.default is True
    assert get_task(TASK).parse_options({"match_detail": "off"})["match_detail"] is False
    assert "match_detail" not in {p.name for p in get_task("monet2photo").params}
