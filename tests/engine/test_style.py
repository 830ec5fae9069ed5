"""The ``style`` task: parameters, the optimisation loop, colour preservation, cancelling, the
choice of feature network (VGG19 file or the random fallback) and both Keras backends."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.errors import Cancelled, UsageError
from engine.events import CancelToken, Event, IterationProgress, Notice
from engine.imaging import color, io
from engine.imaging.image import Image
from engine.store import vgg19
from engine.style import features
from engine.tasks.registry import RunContext, get_task

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_weights(store, tmp_path, monkeypatch):
    """An empty user store, home folder and Keras cache: no VGG19 file anywhere. The bundled
    styles stay visible in the ``store`` fixture's stand-in resources folder."""
    (tmp_path / "resources" / "styles").symlink_to(ROOT / "resources" / "styles")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "models"


def photo(height: int = 32, width: int = 48) -> np.ndarray:
    """Smooth colourful shapes, ``(H, W, 3)`` float32 in [0, 1]."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    red = 0.5 + 0.4 * np.sin(x / 6.0)
    green = 0.5 + 0.3 * np.cos(y / 5.0)
    blue = 0.3 + 0.2 * np.sin((x + y) / 9.0)
    return np.stack([red, green, blue], axis=2).astype(np.float32)


@pytest.fixture
def style_path(tmp_path) -> Path:
    """A tiny, strongly textured style image: saturated diagonal stripes."""
    y, x = np.mgrid[0:40, 0:40]
    stripes = ((x + y) // 3 % 2).astype(np.float32)
    pixels = np.stack([stripes, 0.2 + 0.0 * stripes, 1.0 - stripes], axis=2)
    path = tmp_path / "stripes.png"
    io.write(Image(pixels.astype(np.float32)), path)
    return path


def run(image: Image, events: list | None = None, cancel: CancelToken | None = None,
        **given) -> Image:
    task = get_task("style")
    sink = events.append if events is not None else (lambda _: None)
    ctx = RunContext(progress=sink, cancel=cancel or CancelToken())
    return task.process(image, task.parse_options(given), ctx)


def losses(events: list[Event]) -> list[float]:
    return [e.loss for e in events if isinstance(e, IterationProgress)]


# --- parameters -------------------------------------------------------------------------


def test_registered_with_declared_params():
    task = get_task("style")
    assert task.kind == "image"
    names = [p.name for p in task.params]
    assert names == ["style_image", "content_weight", "style_weight", "tv_weight",
                     "structure_weight", "iterations", "size", "keep_colors", "optimizer",
                     "seed"]
    options = task.parse_options({})
    assert options["style_image"] == "starry_night"
    assert options["optimizer"] == "lbfgs" and options["size"] == 512
    assert options["keep_colors"] is False
    assert task.weights_status() is None


@pytest.mark.parametrize("given", [
    {"iterations": "0"}, {"iterations": "2001"}, {"size": "32"}, {"optimizer": "sgd"},
    {"keep_colors": "maybe"}, {"style_weight": "-1"}, {"style_image": "no_such_style"},
    {"brush": "3"},
])
def test_bad_params_raise_usage_error(given):
    with pytest.raises(UsageError):
        get_task("style").parse_options(given)


def test_bundled_styles_and_style_paths(style_path):
    styles = features.bundled_styles()
    assert styles["starry_night"].is_file()
    assert features.resolve_style("starry_night") == styles["starry_night"]
    assert features.resolve_style(str(style_path)) == style_path
    assert get_task("style").parse_options({"style_image": str(style_path)})


def test_unreadable_style_file_is_a_usage_error(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(UsageError, match="style_image"):
        run(Image(photo()), style_image=str(bad), iterations=1)


# --- the optimisation -------------------------------------------------------------------


def test_end_to_end_keeps_size_range_and_alpha(style_path):
    alpha = np.linspace(0, 1, 32 * 48, dtype=np.float32).reshape(32, 48)
    out = run(Image(photo(), alpha=alpha), style_image=str(style_path), iterations=3)
    assert out.pixels.shape == (32, 48, 3) and out.pixels.dtype == np.float32
    assert out.pixels.min() >= 0.0 and out.pixels.max() <= 1.0
    np.testing.assert_array_equal(out.alpha, alpha)
    assert not np.allclose(out.pixels, photo(), atol=1e-3)


def test_output_keeps_the_photo_size_when_working_smaller():
    events = []
    out = run(Image(photo(72, 100)), events, style_image="starry_night", size=64,
              iterations=2)
    assert out.pixels.shape == (72, 100, 3)
    assert out.pixels.min() >= 0.0 and out.pixels.max() <= 1.0
    assert [e.done for e in events if isinstance(e, IterationProgress)] == [1, 2]


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_loss_decreases(style_path, optimizer):
    events = []
    run(Image(photo()), events, style_image=str(style_path), iterations=6,
        optimizer=optimizer)
    recorded = losses(events)
    assert len(recorded) == 6
    assert recorded[-1] < recorded[0]
    last = [e for e in events if isinstance(e, IterationProgress)][-1]
    assert (last.done, last.total) == (6, 6) and last.message.startswith("loss ")


def test_keep_colors_keeps_the_photos_chroma(style_path):
    content = photo()
    kept = run(Image(content), style_image=str(style_path), iterations=5, style_weight=100,
               keep_colors=True)
    free = run(Image(content), style_image=str(style_path), iterations=5, style_weight=100)
    source = color.rgb_to_ycbcr(content)
    kept_ycc, free_ycc = color.rgb_to_ycbcr(kept.pixels), color.rgb_to_ycbcr(free.pixels)
    kept_chroma = np.abs(kept_ycc[..., 1:] - source[..., 1:]).mean()
    assert kept_chroma < 0.01
    assert np.abs(free_ycc[..., 1:] - source[..., 1:]).mean() > 3 * kept_chroma
    assert np.abs(kept_ycc[..., 0] - source[..., 0]).mean() > 0.005


def test_ycbcr_round_trip():
    pixels = np.random.default_rng(0).random((4, 5, 3), dtype=np.float32)
    ycc = color.rgb_to_ycbcr(pixels)
    np.testing.assert_allclose(ycc[..., 0], color.luma(pixels), atol=1e-6)
    np.testing.assert_allclose(color.ycbcr_to_rgb(ycc), pixels, atol=1e-5)
    np.testing.assert_allclose(color.rgb_to_ycbcr(np.full((1, 3), 0.3))[0, 1:], 0.5, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_cancel_after_two_iterations(style_path, optimizer):
    token = CancelToken()
    events = []

    def progress(event: Event) -> None:
        events.append(event)
        if isinstance(event, IterationProgress) and event.done == 2:
            token.cancel()

    task = get_task("style")
    options = task.parse_options({"style_image": str(style_path), "iterations": 50,
                                  "optimizer": optimizer})
    with pytest.raises(Cancelled):
        task.process(Image(photo()), options, RunContext(progress=progress, cancel=token))
    assert [e.done for e in events if isinstance(e, IterationProgress)] == [1, 2]


def test_gradient_matches_finite_differences():
    from keras import ops

    from engine.style import losses as style_losses
    from engine.style import optimize

    net = features.load_feature_net(seed=0)
    grad_fn = optimize.value_and_grad(
        style_losses.make_loss_fn(net.model, net.content_layer, net.style_layers))
    rng = np.random.default_rng(1)
    image = rng.random((1, 24, 24, 3), dtype=np.float32) * 0.5 + 0.25
    content, style = rng.random((2, 1, 24, 24, 3), dtype=np.float32)
    targets = style_losses.targets(net.model, net.content_layer, net.style_layers, content,
                                   style)
    weights = ops.convert_to_tensor(np.array([1.0, 10.0, 3.0, 5.0], np.float32))
    loss, grad, parts = grad_fn(image, *targets, weights)
    assert grad.shape == image.shape and set(parts) == {"content", "style", "tv", "structure"}
    direction = rng.standard_normal(image.shape).astype(np.float32)
    # Small: the random network's ReLU kinks make a 1e-2 step's secant differ by ~10%.
    step = 1e-3
    ahead = grad_fn(image + step * direction, *targets, weights)[0]
    behind = grad_fn(image - step * direction, *targets, weights)[0]
    numeric = (ahead - behind) / (2 * step)
    assert numeric == pytest.approx(float((grad * direction).sum()), rel=0.05)


# --- the feature network ----------------------------------------------------------------


def test_without_vgg19_the_fallback_runs_and_says_so(monkeypatch, style_path):
    used = []
    load = features.load_feature_net

    def spy(seed=0, weights=None):
        used.append(load(seed, weights))
        return used[-1]

    monkeypatch.setattr(features, "load_feature_net", spy)
    assert features.find_vgg19_weights() is None
    assert get_task("style").quality_notice() == features.QUALITY_NOTICE
    events = []
    run(Image(photo()), events, style_image=str(style_path), iterations=2)
    notices = [e for e in events if isinstance(e, Notice)]
    assert len(notices) == 1 and "reduced quality" in notices[0].message
    assert features.VGG19_NOTOP_FILE in notices[0].message
    assert [net.kind for net in used] == ["random"]


def test_fallback_network_shapes():
    model = features.build_fallback_features(seed=0)
    outputs = model(np.zeros((1, 40, 24, 3), np.float32))
    shapes = {name: tuple(outputs[name].shape) for name in features.STYLE_LAYERS}
    widths = features.FALLBACK_WIDTHS
    assert shapes["block1_conv1"] == (1, 40, 24, widths[0])
    assert shapes["block5_conv1"] == (1, 3, 2, widths[4])


def test_weights_file_name_matches_the_vgg_module():
    from engine.models import vgg

    assert features.VGG19_NOTOP_FILE == vgg.EXPECTED_FILE
    assert features.VGG19_NOTOP_MD5 in vgg19.TRUSTED_VGG19_MD5


def test_vgg19_search_order_and_md5_check(store, no_weights, monkeypatch):
    cache_file = no_weights / features.VGG19_NOTOP_FILE
    store_file = store / features.STORE_FOLDER / features.VGG19_NOTOP_FILE
    for path, text in ((cache_file, b"cache"), (store_file, b"store")):
        path.parent.mkdir(parents=True)
        path.write_bytes(text)
    assert features.find_vgg19_weights() is None  # neither is the official file
    cache_md5, store_md5 = features.file_md5(cache_file), features.file_md5(store_file)
    assert features.find_vgg19_weights(frozenset({cache_md5})) == cache_file
    assert features.find_vgg19_weights(frozenset({cache_md5, store_md5})) == store_file
    monkeypatch.setattr(vgg19, "TRUSTED_VGG19_MD5", frozenset({cache_md5}))
    assert features.find_vgg19_weights() == cache_file
    assert features.quality_notice() is None


def write_fake_vgg19(path: Path) -> None:
    """A Keras-2-style ``...notop.h5`` with VGG19's conv layers and small random weights."""
    import h5py

    from engine.models.vgg import VGG19_BLOCKS

    rng = np.random.default_rng(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    names, channels = [], 3
    with h5py.File(path, "w") as handle:
        for block, (filters, convs) in enumerate(VGG19_BLOCKS, start=1):
            for i in range(1, convs + 1):
                name = f"block{block}_conv{i}"
                group = handle.create_group(name)
                weight_names = [f"{name}/kernel:0", f"{name}/bias:0"]
                group.attrs["weight_names"] = [n.encode() for n in weight_names]
                std = np.float32(np.sqrt(2.0 / (9 * channels)))
                kernel = rng.standard_normal((3, 3, channels, filters), np.float32) * std
                group.create_dataset(weight_names[0], data=kernel)
                group.create_dataset(weight_names[1], data=np.zeros(filters, np.float32))
                names.append(name)
                channels = filters
        handle.attrs["layer_names"] = [n.encode() for n in names]


@pytest.mark.slow
def test_verified_vgg19_file_is_used(no_weights, monkeypatch, style_path):
    path = no_weights / features.VGG19_NOTOP_FILE
    write_fake_vgg19(path)
    assert features.find_vgg19_weights() is None  # an unknown file is not trusted
    monkeypatch.setattr(vgg19, "TRUSTED_VGG19_MD5",
                        frozenset({features.file_md5(path)}))
    assert features.find_vgg19_weights() == path
    assert get_task("style").quality_notice() is None
    net = features.load_feature_net(seed=0, weights=path)
    assert (net.kind, net.content_layer, net.weights) == ("vgg19", "block4_conv2", path)
    with __import__("h5py").File(path, "r") as handle:
        expected = np.asarray(handle["block3_conv2"]["block3_conv2/kernel:0"])
    np.testing.assert_array_equal(net.model.get_layer("block3_conv2").get_weights()[0],
                                  expected)
    events = []
    out = run(Image(photo()), events, style_image=str(style_path), iterations=2)
    assert out.pixels.shape == (32, 48, 3)
    assert not [e for e in events if isinstance(e, Notice)]
    assert len(losses(events)) == 2


# --- backends ---------------------------------------------------------------------------

TORCH_SCRIPT = """
import json, sys
import numpy as np
from keras import ops
from engine.imaging.image import Image
from engine.style import features, losses, optimize
from engine.tasks.registry import RunContext, get_task

net = features.load_feature_net(seed=0)
rng = np.random.default_rng(1)
image, content, style = rng.random((3, 1, 24, 24, 3), dtype=np.float32)
targets = losses.targets(net.model, net.content_layer, net.style_layers, content, style)
weights = ops.convert_to_tensor(np.array([1.0, 10.0, 3.0, 5.0], np.float32))
fn = optimize.value_and_grad(losses.make_loss_fn(net.model, net.content_layer,
                                                 net.style_layers))
loss, grad, parts = fn(image, *targets, weights)
np.save(sys.argv[1], grad)
task = get_task("style")
seen = []
pixels = np.full((32, 48, 3), 0.5, np.float32)
pixels[:, ::4] = 0.9
out = task.process(Image(pixels), task.parse_options({"iterations": 2}),
                   RunContext(progress=lambda e: seen.append(type(e).__name__)))
print(json.dumps({"backend": __import__("keras").backend.backend(), "loss": loss,
                  "shape": list(out.pixels.shape), "iterations": seen.count("IterationProgress")}))
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_torch_backend_matches(tmp_path):
    from keras import ops

    from engine.style import losses as style_losses
    from engine.style import optimize

    env = dict(os.environ, KERAS_BACKEND="torch", CUDA_VISIBLE_DEVICES="")
    grad_file = tmp_path / "torch_grad.npy"
    done = subprocess.run([sys.executable, "-c", TORCH_SCRIPT, str(grad_file)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["backend"] == "torch"
    assert report["shape"] == [32, 48, 3] and report["iterations"] == 2

    net = features.load_feature_net(seed=0)
    rng = np.random.default_rng(1)
    image, content, style = rng.random((3, 1, 24, 24, 3), dtype=np.float32)
    targets = style_losses.targets(net.model, net.content_layer, net.style_layers, content,
                                   style)
    weights = ops.convert_to_tensor(np.array([1.0, 10.0, 3.0, 5.0], np.float32))
    loss, grad, _ = optimize.value_and_grad(style_losses.make_loss_fn(
        net.model, net.content_layer, net.style_layers))(image, *targets, weights)
    assert report["loss"] == pytest.approx(loss, rel=1e-4)
    np.testing.assert_allclose(np.load(grad_file), grad, rtol=1e-3,
                               atol=1e-3 * np.abs(grad).max())
