"""Issue 18: the painting tasks' working size (``work_size``), grid averaging (``degrain``) and
``keep_colors``: the output always has the photo's size, alpha and metadata; a large photo is
painted at the working size; 0 (and no degrain) is the old full-size path bit for bit; the
grid average cancels a pattern locked to the generator's pixel grid and keeps the picture;
``keep_colors`` gives the photo's chroma under the generator's luma."""

from __future__ import annotations

import numpy as np
import pytest

from engine.events import TileProgress
from engine.imaging import color
from engine.imaging.image import Image
from engine.tasks import painting
from engine.tasks.model_task import ModelTask
from engine.tasks.registry import RunContext, get_task
from tests.engine.store_helpers import tiny_model

TASK = "photo2monet"


def _photo(height: int = 37, width: int = 50, seed: int = 0, alpha: bool = False) -> Image:
    """A smooth colourful photo (red, green and blue blobs) with a little noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.stack([0.5 + 0.4 * np.sin(xx / 7.0), 0.5 + 0.4 * np.cos(yy / 5.0),
                       0.5 + 0.3 * np.sin((xx + yy) / 9.0)], -1)
    pixels = np.clip(pixels + rng.normal(0, 0.02, pixels.shape), 0, 1).astype(np.float32)
    plane = rng.random((height, width)).astype(np.float32) if alpha else None
    return Image(pixels=pixels, alpha=plane, exif=b"Exif\0\0fake")


def _run(image: Image, ctx: RunContext | None = None, task: str = TASK, **options):
    obj = get_task(task)
    return obj.process(image, obj.parse_options({"model": "m", **options}), ctx or RunContext())


@pytest.mark.parametrize("task", [TASK, "monet2photo"])
@pytest.mark.parametrize("side", [0, 12, 24, 37, 50, 400])
def test_output_has_the_photos_size_alpha_and_metadata_at_any_working_size(store, task, side):
    tiny_model(task, "m")
    image = _photo(alpha=True)
    out = _run(image, task=task, work_size=side)
    assert out.pixels.shape == (37, 50, 3) and out.pixels.dtype == np.float32
    assert out.pixels.min() >= 0.0 and out.pixels.max() <= 1.0
    np.testing.assert_array_equal(out.alpha, image.alpha)
    assert out.exif == image.exif


def test_work_size_zero_without_degrain_is_the_full_size_path_bit_for_bit(store):
    tiny_model(TASK, "m")
    image = _photo(60, 80)
    obj = get_task(TASK)
    old = ModelTask.process(obj, image, obj.parse_options({"model": "m"}), RunContext())
    for side in (0, "full", 80, 500):  # never enlarged: at least the long side = full size
        new = _run(image, work_size=side, degrain="false")
        np.testing.assert_array_equal(new.pixels, old.pixels)


def test_a_large_photo_is_painted_at_the_working_size(store, monkeypatch):
    tiny_model(TASK, "m")
    seen = []
    real = ModelTask.run_model

    def spy(self, image, options, ctx):
        seen.append((image.height, image.width))
        return real(self, image, options, ctx)

    monkeypatch.setattr(ModelTask, "run_model", spy)
    out = _run(_photo(90, 120), work_size=40, degrain="false")
    assert seen == [(30, 40)] and out.pixels.shape == (90, 120, 3)
    seen.clear()
    _run(_photo(90, 120), work_size=40)  # the four grid passes, each padded by its offsets
    assert seen == [(30, 40), (30, 42), (32, 40), (32, 42)]


def test_grid_average_cancels_a_pattern_locked_to_the_pixel_grid(store, monkeypatch):
    """A fake generator that keeps the picture and adds a mesh of period 4 px locked to the
    pixel grid of whatever it is given (as the strided generators do): the average over the
    grid offsets 0 and 2 is the picture alone."""
    tiny_model(TASK, "m")

    def meshy(self, image, options, ctx):
        yy, xx = np.mgrid[0:image.height, 0:image.width]
        mesh = 0.1 * np.cos(np.pi / 2 * xx) * np.cos(np.pi / 2 * yy)
        return image.with_pixels((image.pixels + mesh[:, :, None]).astype(np.float32))

    monkeypatch.setattr(ModelTask, "run_model", meshy)
    image = _photo(44, 52)
    options = {"work_size": 0, "match_palette": "false"}
    raw = _run(image, degrain="false", **options).pixels
    clean = _run(image, **options).pixels
    inner = np.s_[4:-4, 4:-4]  # np.clip in the raw output only bites at the extremes
    assert np.abs(raw - image.pixels)[inner].mean() > 0.02  # the mesh is there...
    np.testing.assert_allclose(clean, image.pixels, atol=1e-5)


def test_grid_passes_tiled_equal_whole_and_report_progress_over_all_passes(store):
    tiny_model(TASK, "m")
    image = _photo(76, 100)
    events = []
    tiled = _run(image, RunContext(progress=events.append, tile=64)).pixels
    whole = _run(image, RunContext(tile=0)).pixels
    border = 16  # tiles mirror every side; one pass pads only the bottom and right
    assert np.abs(tiled - whole)[border:-border, border:-border].max() <= 1 / 255
    ticks = [(e.done, e.total) for e in events if isinstance(e, TileProgress)]
    assert ticks[-1][0] == ticks[-1][1] and len({t for _, t in ticks}) == 1
    assert [d for d, _ in ticks] == sorted(d for d, _ in ticks)
    assert ticks[-1][1] == len(painting.GRID_SHIFTS) * (ticks[-1][1] // 4)


def test_keep_colors_gives_the_photos_chroma_under_the_generators_luma(store):
    tiny_model(TASK, "m")
    image = _photo(60, 80)
    for side in (0, 40):
        free = _run(image, work_size=side).pixels
        kept = _run(image, work_size=side, keep_colors="true").pixels
        photo_ycc, free_ycc = color.rgb_to_ycbcr(image.pixels), color.rgb_to_ycbcr(free)
        kept_ycc = color.rgb_to_ycbcr(kept)
        kept_chroma = np.abs(kept_ycc[..., 1:] - photo_ycc[..., 1:]).mean()
        assert kept_chroma < 0.01
        assert np.abs(free_ycc[..., 1:] - photo_ycc[..., 1:]).mean() > 3 * kept_chroma
        assert np.abs(kept_ycc[..., 0] - free_ycc[..., 0]).mean() < 0.01
        assert np.abs(kept_ycc[..., 0] - photo_ycc[..., 0]).mean() > 0.03


def test_work_size_degrain_and_keep_colors_are_declared_parameters(store):
    tiny_model(TASK, "m")
    params = {p.name: p for p in get_task(TASK).params}
    assert params["work_size"].type == "int" and params["work_size"].default == painting.WORK_SIZE
    assert params["degrain"].default is True and params["keep_colors"].default is False
    assert get_task(TASK).parse_options({"work_size": "Full"})["work_size"] == 0
    assert {p.name for p in get_task("monet2photo").params} == {"model", "work_size", "degrain"}
