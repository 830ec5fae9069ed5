"""The style task's structure term (issue 18) and the bundled style images.

Tiny images and fixed seeds; nothing here depends on timing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.style import features

ROOT = Path(__file__).resolve().parents[2]


def shapes(height: int = 40, width: int = 40) -> np.ndarray:
    """A bright square on a dark ground with a soft colour ramp, ``(H, W, 3)`` in [0, 1]."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    grey = np.where((abs(y - height / 2) < height / 4) & (abs(x - width / 2) < width / 4),
                    0.8, 0.2)
    return np.stack([grey, grey * 0.9 + 0.05 * x / width, grey * 0.7], 2).astype(np.float32)


def test_structure_loss_is_zero_for_the_same_outlines_and_about_one_when_flat():
    from keras import ops

    from engine.style import losses

    image = shapes()[None]
    target = losses.luma_edges(ops.convert_to_tensor(image))
    assert float(losses.structure_loss(ops.convert_to_tensor(image), target)) < 1e-10
    # A colour change that keeps the brightness outlines costs nothing...
    tinted = image.copy()
    tinted[..., 0] += 0.05
    tinted[..., 2] -= 0.05
    assert float(losses.structure_loss(ops.convert_to_tensor(tinted), target)) < 1e-6
    flat = np.full_like(image, 0.5)
    assert float(losses.structure_loss(ops.convert_to_tensor(flat), target)) == pytest.approx(
        1.0, abs=1e-6)
    # ...and fine texture (2-px checks) much less than the outlines' loss.
    y, x = np.mgrid[0:40, 0:40]
    textured = (image + 0.1 * ((x // 2 + y // 2) % 2)[None, :, :, None]).astype(np.float32)
    assert float(losses.structure_loss(ops.convert_to_tensor(textured), target)) < 0.1


def test_structure_gradient_is_grey_so_it_paints_no_colour_fringes():
    from keras import ops

    from engine.style import losses, optimize

    net = features.load_feature_net(seed=0)
    fn = optimize.value_and_grad(losses.make_loss_fn(net.model, net.content_layer,
                                                     net.style_layers))
    rng = np.random.default_rng(3)
    content = shapes(24, 24)[None]
    image = np.clip(content + rng.normal(0, 0.1, content.shape), 0, 1).astype(np.float32)
    targets = losses.targets(net.model, net.content_layer, net.style_layers, content,
                             rng.random((1, 24, 24, 3), dtype=np.float32))
    only_structure = ops.convert_to_tensor(np.array([0.0, 0.0, 0.0, 1.0], np.float32))
    loss, grad, parts = fn(image, *targets, only_structure)
    assert loss == pytest.approx(parts["structure"], rel=1e-5) and loss > 0
    assert np.abs(grad).max() > 0
    np.testing.assert_allclose(grad[..., 0], grad[..., 1], atol=1e-7)
    np.testing.assert_allclose(grad[..., 0], grad[..., 2], atol=1e-7)


def test_structure_weight_keeps_more_of_the_photos_outlines(store, tmp_path, monkeypatch):
    from engine.evaluation.eval_style import structure_kept
    from engine.imaging.image import Image
    from engine.tasks.registry import RunContext, get_task

    (tmp_path / "resources" / "styles").symlink_to(ROOT / "resources" / "styles")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    task = get_task("style")
    photo = shapes(48, 48)
    kept = {}
    for weight in (0.0, 100.0):
        options = task.parse_options({"style_image": "starry_night", "iterations": 15,
                                      "size": 64, "structure_weight": weight})
        out = task.process(Image(photo), options, RunContext()).pixels
        kept[weight] = structure_kept(out, photo)
    assert kept[100.0] > kept[0.0] + 0.05, kept


def test_every_bundled_style_is_offered_and_licensed():
    from engine.tasks.registry import get_task

    styles = features.bundled_styles()
    assert {"starry_night", "elephants"} <= set(styles)
    task = get_task("style")
    licences = (ROOT / "resources" / "styles" / "LICENSES.md").read_text(encoding="utf-8")
    for path in styles.values():
        assert f"`{path.name}`" in licences, path.name
        assert features.resolve_style(path.stem) == path
        assert task.parse_options({"style_image": path.stem})["style_image"] == path.stem
