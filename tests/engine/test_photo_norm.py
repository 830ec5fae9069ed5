"""Tiling with the photo's statistics: canvas geometry, the two registered layers, the models
(serialisable, no Lambda) and the torch backend."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from engine.imaging import canvas_tiling
from engine.models import build
from engine.models import layers as pl
from engine.photo_norm import has_instance_norm, photo_norm_models, run_exact

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("height, width, tile, overlap, multiple", [
    (301, 257, 128, 16, 4), (1000, 90, 256, 64, 4), (77, 500, 96, 8, 16), (40, 40, 512, 64, 4),
])
def test_canvas_tiles_align_to_the_multiple_and_weights_sum_to_one(height, width, tile,
                                                                    overlap, multiple):
    plan = canvas_tiling.plan_canvas(height, width, tile, overlap, multiple)
    assert plan.height == -(-height // multiple) * multiple
    total = np.zeros((plan.height, plan.width))
    for i, j, top, left in plan.tiles():
        assert top % multiple == 0 and left % multiple == 0
        assert top + plan.rows.side <= plan.height and left + plan.cols.side <= plan.width
        total[top : top + plan.rows.side, left : left + plan.cols.side] += plan.weights(i, j)
    np.testing.assert_allclose(total, 1.0, atol=1e-6)
    if plan.count > 1:  # interior edges give zero weight to their context band
        assert plan.rows.weights[0][-1] == 0 or len(plan.rows.starts) == 1


def test_photo_norm_with_the_image_statistics_is_instance_norm_and_moments_are_sums():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, (1, 8, 12, 5)).astype(np.float32)
    norm = pl.PhotoInstanceNormalization()
    norm.build(x.shape)
    norm.photo_mean.assign(x.mean(axis=(0, 1, 2)))
    norm.photo_variance.assign(x.var(axis=(0, 1, 2)))
    expected = keras.ops.convert_to_numpy(pl.InstanceNormalization()(x))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm(x)), expected, atol=1e-5)

    weights = rng.random((1, 16, 24, 1)).astype(np.float32)  # input resolution: 2x the map
    got = keras.ops.convert_to_numpy(pl.WeightedChannelMoments()([x, weights]))[0]
    block = weights[0, :, :, 0].reshape(8, 2, 12, 2).mean(axis=(1, 3))[:, :, None]
    np.testing.assert_allclose(got[:5], (x[0] * block).sum(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(got[5:10], (x[0] ** 2 * block).sum(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(got[10], block.sum(), rtol=1e-5)


@pytest.mark.parametrize("layer", [pl.PhotoInstanceNormalization(epsilon=1e-3, center=True),
                                   pl.WeightedChannelMoments()])
def test_new_layers_config_round_trips(layer):
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def _tiny(arch="cyclegan_resnet", **config):
    keras.utils.set_random_seed(3)
    return build(arch, **config)


def test_apply_model_saves_and_loads_in_safe_mode_without_lambda_layers(tmp_path):
    model = _tiny(ngf=4, n_blocks=1, norm="instance")
    models = photo_norm_models(model)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    moments = [np.asarray(m.predict_on_batch([x, np.ones((1, 32, 32, 1), np.float32)]))
               for m in models.moments[:1]]
    models.set_statistics(0, moments[0][0].astype(np.float64))
    for clone in (models.apply, *models.moments):
        assert not [la for la in clone.layers if isinstance(la, keras.layers.Lambda)]
    path = tmp_path / "apply.keras"
    models.apply.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    np.testing.assert_allclose(loaded.predict_on_batch(x), models.apply.predict_on_batch(x),
                               atol=1e-6)


def test_batch_norm_models_are_left_to_the_usual_tiling():
    assert not has_instance_norm(_tiny(ngf=4, n_blocks=1, norm="batch"))
    assert has_instance_norm(_tiny("cyclegan_unet", gf=4))


def test_unet_tiles_agree_with_one_pass():
    """Another instance-norm family (size multiple 16, epsilon 1e-3) through the same path."""
    model = _tiny("cyclegan_unet", gf=4)
    rng = np.random.default_rng(5)
    pixels = rng.random((150, 430, 3)).astype(np.float32)
    kw = dict(input_range="-1,1", output_range="-1,1", multiple=16, overlap=48)
    whole = run_exact(model, pixels, tile=1024, **kw)
    tiled = run_exact(model, pixels, tile=208, **kw)  # the U-Net sees ~48 px around
    assert np.abs(tiled - whole).max() * 255 <= 0.5


TORCH_SCRIPT = r"""
import numpy as np, keras
from engine.models import build
from engine.photo_norm import run_exact
keras.utils.set_random_seed(2)
model = build("deblurgan", ngf=4, n_blocks=1, norm="instance")
pixels = np.random.default_rng(0).random((130, 170, 3)).astype(np.float32)
kw = dict(input_range="-1,1", output_range="-1,1", multiple=4, overlap=32)
diff = np.abs(run_exact(model, pixels, tile=112, **kw) - run_exact(model, pixels, tile=512, **kw))
print("MAXDIFF", diff.max() * 255)
"""


@pytest.mark.slow
def test_photo_statistics_tiling_runs_on_the_torch_backend():
    pytest.importorskip("torch")
    env = {**os.environ, "KERAS_BACKEND": "torch", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-c", TORCH_SCRIPT], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("MAXDIFF"))
    assert float(line.split()[1]) <= 0.5
