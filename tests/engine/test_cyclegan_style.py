"""The CycleGAN trainer's texture loss (``style_weight``): zero when the output has the
painting crop's statistics, larger for a flat output, trainable (a few generator updates on it
alone bring it down), and named in the model card only when used (in a run's logs only when
asked for: ``test_cyclegan_shift.test_a_weight_adds_its_term_to_a_run``)."""

from __future__ import annotations

from types import SimpleNamespace

import keras
import numpy as np
import pytest

from engine.models import build
from engine.style.features import load_feature_net
from engine.training.step import make_adam, make_step
from engine.training.trainers.cyclegan import CycleGANTrainer

SIZE = 32


def _paintings(seed: int = 0) -> np.ndarray:
    """Two ``(SIZE, SIZE, 3)`` "paintings" in [-1, 1]: diagonal strokes over 8-px patches of
    random colour (a texture with structure at every level of the feature pyramid)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    stripes = np.sin((rows + cols) * 0.8)[None, :, :, None]
    patches = np.kron(rng.uniform(-1, 1, (2, SIZE // 8, SIZE // 8, 3)), np.ones((1, 8, 8, 1)))
    return np.clip(0.5 * patches + 0.4 * stripes, -1, 1).astype(np.float32)


def _style(outputs, paintings) -> float:
    return float(CycleGANTrainer._style(load_feature_net(0), outputs, paintings))


def test_style_loss_is_zero_for_the_paintings_in_any_order_and_grows_for_a_flat_image():
    paintings = _paintings()
    assert _style(paintings, paintings) < 1e-6
    assert _style(paintings[::-1], paintings) < 1e-6  # statistics pooled over the batch
    assert _style(np.zeros_like(paintings), paintings) > 1.0


def test_generator_updates_on_the_style_loss_bring_it_down():
    keras.utils.set_random_seed(3)
    net = load_feature_net(0)
    generator = build("cyclegan_resnet", ngf=4, n_blocks=1, norm="instance",
                      upsample="resize_conv")
    photos = np.random.default_rng(4).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)
    paintings = _paintings()

    def loss(batch):
        value = CycleGANTrainer._style(net, generator(batch["a"], training=True), batch["b"])
        return value, {"style": value}

    step = make_step(loss, generator.trainable_variables, make_adam(1e-3, 100))
    values = [float(step({"a": photos, "b": paintings})["style"]) for _ in range(25)]
    assert min(values[-5:]) < 0.5 * values[0]


@pytest.mark.parametrize("weight", [0.0, 4.0])
def test_card_names_the_style_term_only_when_used(weight):
    options = {"cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 50,
               "shift_weight": 0.0, "style_weight": weight}
    losses = CycleGANTrainer.card(SimpleNamespace(options=options))["losses"]
    assert ("4.0 x random-feature style loss against the B crops" in losses) == (weight > 0)
