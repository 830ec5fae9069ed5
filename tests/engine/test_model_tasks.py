"""Model-backed image tasks end to end with tiny stored models: tiling, scale, model choice."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from engine import api
from engine.errors import WeightsMissingError
from engine.imaging import color
from engine.imaging.image import Image
from engine.inference import make_predictor
from engine.store import catalog
from engine.store.loader import load_model
from engine.tasks.registry import RunContext, get_task
from tests.engine.photo_helpers import block_texture, soft_background
from tests.engine.store_helpers import tiny_model


def _image(width: int, height: int, seed: int = 0) -> Image:
    rng = np.random.default_rng(seed)
    small = rng.random((height // 4 + 1, width // 4 + 1, 3)).astype(np.float32)
    import cv2

    pixels = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    return Image(pixels=pixels.astype(np.float32))


def _whole(task: str, image: Image) -> np.ndarray:
    """The model applied once to the whole image, padded to its size multiple by reflection."""
    manifest = catalog.find(task)
    predict = make_predictor(load_model(manifest), manifest.input_range, manifest.output_range)
    m = manifest.size_multiple
    h, w = image.height, image.width
    ph, pw = -h % m, -w % m
    padded = np.pad(image.pixels, ((0, ph), (0, pw), (0, 0)), mode="reflect")
    out = predict(padded[None])[0]
    return out[: h * manifest.scale, : w * manifest.scale]


@pytest.mark.parametrize("task", ["deblur", "upscale", "photo2monet"])
def test_tiled_output_matches_whole_image(store, task):
    tiny_model(task, f"tiny-{task}")
    image = _image(100, 76)
    ctx = RunContext(tile=64)
    raw = {"keep_tones": False, "keep_bokeh": False}
    opts = get_task(task).parse_options(raw if task == "deblur" else {})
    tiled = get_task(task).process(image, opts, ctx).pixels
    whole = _whole(task, image)
    scale = catalog.find(task).scale
    assert tiled.shape == (76 * scale, 100 * scale, 3)
    border = 16 * scale  # the reference pads only bottom/right; tiles mirror every side
    diff = np.abs(tiled - whole)[border:-border, border:-border]
    assert diff.max() <= 1 / 255


def test_keep_tones_removes_a_tint_and_keeps_the_detail():
    from engine.tasks.deblur import keep_tones

    rng = np.random.default_rng(3)
    blurred = (0.3 + 0.4 * rng.random((96, 96, 3))).astype(np.float32)
    detail = (0.05 * rng.standard_normal((96, 96, 3))).astype(np.float32)
    tint = np.array([0.03, -0.02, 0.01], np.float32)
    out = keep_tones(blurred + detail + tint, blurred)
    assert np.abs((out - blurred).mean(axis=(0, 1))).max() < 2e-3  # the tint is gone
    kept = out - blurred
    assert np.corrcoef(kept.ravel(), detail.ravel())[0, 1] > 0.95  # the detail is not


def test_deblur_keeps_the_photos_colours_unless_asked_not_to(store):
    from engine.tasks.deblur import keep_tones

    tiny_model("deblur", "tiny")
    task, image = get_task("deblur"), _image(64, 48)
    kept = task.process(image, task.parse_options({"keep_bokeh": False}), RunContext()).pixels
    raw = task.process(image, task.parse_options({"keep_tones": False, "keep_bokeh": False}),
                       RunContext()).pixels
    assert np.abs(kept - raw).max() > 1e-5
    np.testing.assert_allclose(kept, keep_tones(raw, image.pixels), atol=1e-6)


def test_deblur_leaves_a_soft_background_soft_unless_asked_not_to(store):
    """A sharp left half and a soft right half (a shallow depth of field): the deblur keeps its
    correction on the left and holds it back on the right; ``keep_bokeh`` off corrects both."""
    from engine.tasks.deblur import keep_bokeh

    tiny_model("deblur", "tiny")
    pixels = soft_background(block_texture(192, 256, block=12), 128)
    task, image = get_task("deblur"), Image(pixels=pixels)
    off = {"keep_tones": False, "keep_bokeh": False}
    raw = task.process(image, task.parse_options(off), RunContext()).pixels
    kept = task.process(image, task.parse_options({"keep_tones": False}), RunContext()).pixels
    np.testing.assert_allclose(kept, keep_bokeh(raw.copy(), pixels), atol=1e-6)
    change_raw, change_kept = np.abs(raw - pixels), np.abs(kept - pixels)
    assert change_raw[:, 208:].mean() > 1e-4  # the network does change the background
    assert change_kept[:, 208:].mean() < 0.2 * change_raw[:, 208:].mean()
    np.testing.assert_allclose(kept[:, :80], raw[:, :80], atol=1e-5)


def test_upscale_outscale_and_alpha(store):
    tiny_model("upscale", "tiny-up")
    image = _image(20, 12)
    image.alpha = np.linspace(0, 1, 240, dtype=np.float32).reshape(12, 20)
    task = get_task("upscale")
    out4 = task.process(image, task.parse_options({}), RunContext())
    out2 = task.process(image, task.parse_options({"outscale": "2"}), RunContext())
    assert out4.pixels.shape == (48, 80, 3) and out4.alpha.shape == (48, 80)
    assert out2.pixels.shape == (24, 40, 3) and out2.alpha.shape == (24, 40)
    assert task.output_scale({"outscale": 3}) == 3.0


def test_model_parameter_picks_another_model(store):
    tiny_model("deblur", "one", seed=1)
    tiny_model("deblur", "two", seed=2)
    task = get_task("deblur")
    assert {p.name: p for p in task.params}["model"].choices == ("one", "two")
    image = _image(32, 32)
    a = task.process(image, task.parse_options({}), RunContext()).pixels
    b = task.process(image, task.parse_options({"model": "two"}), RunContext()).pixels
    assert np.abs(a - b).max() > 1e-3


def test_missing_weights_never_run_random(store, tmp_path):
    assert "import one into the model store" in get_task("deblur").weights_status()
    settings = api.RunSettings(tmp_path / "out")
    src = tmp_path / "x.png"
    PILImage.new("RGB", (16, 16)).save(src)
    items = api.plan([src], "deblur", settings)
    with pytest.raises(WeightsMissingError, match="no trained model"):
        api.run_batch(items, "deblur", {}, settings)
    assert not (tmp_path / "out").exists()


def test_run_batch_writes_outputs_with_colours_in_place(store, tmp_path):
    tiny_model("deblur", "tiny")
    src = tmp_path / "flag.png"
    arr = np.zeros((24, 36, 3), np.uint8)
    arr[:, :12, 0] = arr[:, 12:24, 1] = arr[:, 24:, 2] = 255
    PILImage.fromarray(arr).save(src)
    settings = api.RunSettings(tmp_path / "out")
    result = api.run_batch(api.plan([src], "deblur", settings), "deblur", {}, settings)
    assert result.count("done") == 1
    out = np.asarray(PILImage.open(tmp_path / "out" / "flag_deblur.png")).astype(int)
    assert out.shape == (24, 36, 3)
    # A near-identity check is not possible with random weights; the global skip keeps the
    # input dominant, so each flag region stays brightest in its own channel.
    for region, channel in ((0, 0), (1, 1), (2, 2)):
        pixel = out[12, 6 + 12 * region]
        assert pixel.argmax() == channel, pixel


def test_display_array_is_rgb(store):
    arr = np.zeros((8, 9, 3), np.uint8)
    arr[..., 0] = 200
    out = api.process_array("sharpen", arr, {"amount": 0})
    assert out.dtype == np.uint8 and out[4, 4, 0] == 200 and out[4, 4, 2] == 0
    assert color.to_display(np.ones((2, 2, 3), np.float32)).max() == 255


def test_mixed_precision_inference_path(store, monkeypatch):
    """The GPU path (float16 compute, float32 weights) builds, loads and stays close."""
    from engine.store.loader import clear_cache

    tiny_model("deblur", "tiny")
    image = _image(32, 32)
    task = get_task("deblur")
    full = task.process(image, task.parse_options({}), RunContext()).pixels
    monkeypatch.setenv("PHOTOGAN_MIXED_PRECISION", "1")
    clear_cache()
    half = task.process(image, task.parse_options({}), RunContext()).pixels
    assert half.dtype == np.float32
    assert np.abs(half - full).max() < 0.02
    import keras

    assert keras.config.dtype_policy().name == "float32"


SMALL_OPTIONS = {"style": {"iterations": 2, "size": 64}, "deblur": {"keep_tones": True}}


@pytest.mark.parametrize("task", ["deblur", "upscale", "photo2monet", "monet2photo", "style",
                                  "sharpen", "resize"])
@pytest.mark.parametrize("size", [(1, 1), (1, 5), (7, 3)])
def test_every_image_task_processes_images_from_one_pixel(store, task, size, tmp_path):
    """Model tasks pad up to their minimum and crop back; the result has the expected size."""
    from pathlib import Path

    from engine.tasks.registry import all_tasks

    styles = Path(__file__).resolve().parents[2] / "resources" / "styles"
    (tmp_path / "resources" / "styles").symlink_to(styles)

    assert {t.id for t in all_tasks() if t.kind == "image"} <= {
        "deblur", "upscale", "photo2monet", "monet2photo", "style", "sharpen", "resize"}
    if task in ("deblur", "upscale", "photo2monet", "monet2photo"):
        tiny_model(task, f"tiny-{task}")
    height, width = size
    pixels = np.random.default_rng(1).random((height, width, 3)).astype(np.float32)
    opts = get_task(task).parse_options(SMALL_OPTIONS.get(task, {}))
    out = get_task(task).process(Image(pixels=pixels), opts, RunContext()).pixels
    scale = catalog.find("upscale").scale if task == "upscale" else 2 if task == "resize" else 1
    assert out.shape == (height * scale, width * scale, 3)
    assert np.isfinite(out).all() and out.min() >= 0.0 and out.max() <= 1.0
