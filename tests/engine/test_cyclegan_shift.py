"""The CycleGAN trainer's shift-equivariance loss (``shift_weight``): zero for a network that
follows the picture, positive for one whose output is locked to its stride grid, and trained
into a real run's logs and model card only when asked for."""

from __future__ import annotations

import csv
from types import SimpleNamespace

import keras
import numpy as np
import pytest

from engine.events import CancelToken
from engine.models import build
from engine.training import limits
from engine.training.kinds.cyclegan import SHIFT_MIN_CROP
from engine.training.runner import train
from engine.training.trainers.cyclegan import CycleGANTrainer
from tests.engine.test_training_runs import FakeDataset, tiny_request

SIZE = SHIFT_MIN_CROP + 8


def _images(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, (2, SIZE, SIZE, 3)).astype(np.float32)


def _shift_l1(model, offset) -> float:
    images = _images()
    outputs = model(images)
    return float(CycleGANTrainer._shift_l1(model, images, outputs, np.array(offset, np.int32)))


@pytest.mark.parametrize("offset", [(0, 2), (2, 0), (2, 2)])
def test_shift_l1_is_zero_for_a_network_without_stride(offset):
    keras.utils.set_random_seed(1)
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(3, 3, padding="same")(inputs))
    assert _shift_l1(model, offset) < 1e-6


@pytest.mark.parametrize("offset", [(0, 2), (2, 0), (2, 2)])
def test_shift_l1_sees_a_grid_locked_output(offset):
    # Keep every 4th pixel and repeat it: the output moves by whole 4-px blocks, so a 2-px
    # shift of the input does not move it by 2 px.
    inputs = keras.Input((None, None, 3))
    pooled = keras.layers.AveragePooling2D(1, strides=4)(inputs)
    model = keras.Model(inputs, keras.layers.UpSampling2D(4)(pooled))
    assert _shift_l1(model, offset) > 0.1


def test_shift_l1_of_the_cyclegan_generator_is_positive_and_finite():
    keras.utils.set_random_seed(2)
    model = build("cyclegan_resnet", ngf=4, n_blocks=1, norm="instance",
                  upsample="resize_conv")
    value = _shift_l1(model, (2, 2))
    assert np.isfinite(value) and value > 0


def _shift_column(out) -> list[float]:
    with open(out / "history.csv", newline="") as fh:
        return [float(row["shift"]) for row in csv.DictReader(fh) if row["shift"]]


def test_shift_weight_adds_the_term_to_a_run(tmp_path):
    for name, weight in (("on", 2.0), ("off", 0.0)):
        request = tiny_request("cyclegan", tmp_path / name, crop=SIZE, steps=4, sample_every=4)
        request.options["shift_weight"] = weight
        train(request, lambda event: None, CancelToken(), FakeDataset("cyclegan", SIZE))
    on, off = _shift_column(tmp_path / "on"), _shift_column(tmp_path / "off")
    assert on and all(value > 0 for value in on)
    assert off and all(value == 0 for value in off)


@pytest.mark.parametrize("weight", [0.0, 3.0])
def test_card_names_the_shift_term_only_when_used(weight):
    options = {"cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 50,
               "shift_weight": weight}
    losses = CycleGANTrainer.card(SimpleNamespace(options=options))["losses"]
    assert ("3.0 x 2-px shift-equivariance L1" in losses) == (weight > 0)


def test_shift_weight_refuses_crops_too_small_for_its_margin():
    options = {"ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 1, "shift_weight": 1.0}
    rule = f"at least {SHIFT_MIN_CROP} pixels with shift_weight"
    assert rule in limits.problem("cyclegan", options, SHIFT_MIN_CROP - 4)
    assert limits.problem("cyclegan", {**options, "shift_weight": 0.0}, SHIFT_MIN_CROP - 4) == ""
    with pytest.raises(ValueError, match=rule):
        CycleGANTrainer.resolve(options, SHIFT_MIN_CROP - 4)
    assert CycleGANTrainer.resolve(options, SHIFT_MIN_CROP)["shift_weight"] == 1.0
