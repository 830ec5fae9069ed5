"""Issue 18: the painting task's palette step (``match_palette``): a model whose card names its
painting gets that painting's Lab mean and spread after the generator; switched off, or for a
model whose card names no painting (or one not installed), the output is the generator's."""

from __future__ import annotations

import numpy as np
import pytest

from engine.imaging import color, io
from engine.imaging.image import Image
from engine.tasks.painting import model_for_painting
from engine.tasks.registry import RunContext, get_task
from tests.engine.store_helpers import tiny_model

TASK = "photo2monet"


@pytest.fixture
def painting(store, tmp_path):
    """A bundled style ``redblue`` in the test's resources: reddish and bluish stripes, a
    palette far from the tiny model's output (Lab ``(H, W, 3)``-averaged)."""
    folder = tmp_path / "resources" / "styles"
    folder.mkdir(parents=True)
    pixels = np.zeros((32, 48, 3), np.float32)
    pixels[::2] = (0.65, 0.35, 0.3)
    pixels[1::2] = (0.25, 0.3, 0.5)
    io.write(Image(pixels=pixels), folder / "redblue.png")
    return color.rgb_to_lab(io.read(folder / "redblue.png").pixels).reshape(-1, 3)


def _photo(seed: int = 0) -> Image:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0.2, 0.9, 40, dtype=np.float32)
    pixels = np.stack([ramp[None, :].repeat(36, 0), ramp[:, None].repeat(40, 1)[:36],
                       np.full((36, 40), 0.5, np.float32)], -1)
    return Image(pixels=np.clip(pixels + rng.normal(0, 0.02, pixels.shape), 0, 1)
                 .astype(np.float32))


def _run(model_id: str, **options) -> np.ndarray:
    task = get_task(TASK)
    given = task.parse_options({"model": model_id, **options})
    return task.process(_photo(), given, RunContext()).pixels


def _lab_stats(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = color.rgb_to_lab(pixels).reshape(-1, 3)
    return lab.mean(0), lab.std(0)


def test_palette_step_moves_the_lab_statistics_to_the_paintings(painting):
    tiny_model(TASK, "painter", painting="redblue")
    raw = _run("painter", match_palette="false", match_detail="false")
    matched = _run("painter", match_detail="false")
    target_mean, target_std = painting.mean(0), painting.std(0)
    raw_mean, raw_std = _lab_stats(raw)
    mean, std = _lab_stats(matched)
    # Far before, close after (clipping to [0, 1] leaves a little error).
    assert np.abs(raw_mean - target_mean).max() > 10
    assert np.abs(mean - target_mean).max() < 0.25 * np.abs(raw_mean - target_mean).max()
    assert np.abs(std - target_std).max() < 0.25 * np.abs(raw_std - target_std).max()
    # A per-channel linear map in Lab: the output's luma order (its shapes) is the raw one's.
    raw_l = color.rgb_to_lab(raw)[..., 0].ravel()
    new_l = color.rgb_to_lab(matched)[..., 0].ravel()
    assert np.corrcoef(raw_l, new_l)[0, 1] > 0.99


@pytest.mark.parametrize("card", [{}, {"painting": "not_installed"}])
def test_no_named_painting_keeps_the_generators_output(painting, card):
    tiny_model(TASK, "plain", **card)
    np.testing.assert_array_equal(_run("plain"),
                                  _run("plain", match_palette="false", match_detail="false"))


def test_match_palette_is_a_declared_bool_parameter(store):
    tiny_model(TASK, "any")
    param = {p.name: p for p in get_task(TASK).params}["match_palette"]
    assert param.type == "bool" and param.default is True
    assert get_task(TASK).parse_options({"match_palette": "off"})["match_palette"] is False


def test_model_for_painting_prefers_the_default_of_the_models_naming_it(painting):
    tiny_model(TASK, "a", painting="redblue")
    tiny_model(TASK, "b", seed=1)
    assert model_for_painting("redblue") == "a"
    assert model_for_painting("starry_night") == ""


def test_match_moments_is_the_mean_spread_transfer_in_chunks(monkeypatch):
    from engine.style import palette

    rng = np.random.default_rng(3)
    photo = rng.random((30, 21, 3)).astype(np.float32)
    paint = rng.random((9, 14, 3)).astype(np.float32) * 0.5 + 0.3
    whole = palette.match_colors(photo, paint, histogram_share=0.0)
    monkeypatch.setattr(palette, "CHUNK_PIXELS", 100)  # 7 chunks, the last one short
    chunked = palette.match_moments(photo, paint)
    assert chunked.shape == photo.shape and chunked.dtype == np.float32
    np.testing.assert_allclose(chunked, whole, atol=2e-4)
