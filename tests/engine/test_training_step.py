"""The training building blocks: gradient steps, the gradient penalty, the learning-rate
schedule, losses, the CycleGAN history pool and option parsing (in-process backend)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from engine.errors import UsageError
from engine.training import losses, presets
from engine.training.step import (
    LinearDecay,
    current_lr,
    gradient_penalty,
    make_adam,
    make_joint_step,
    make_step,
)
from engine.training.trainers.cyclegan import ImagePool


def _linear_critic(w: np.ndarray) -> keras.Model:
    """``D(x) = sum(w * x)`` for ``x`` of shape ``w.shape``, as a Keras model."""
    inputs = keras.Input(w.shape)
    flat = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(1, use_bias=False)
    model = keras.Model(inputs, dense(flat))
    dense.kernel.assign(w.reshape(-1, 1))
    return model


def test_gradient_penalty_matches_closed_form_for_a_linear_critic():
    # For D(x) = <w, x> the input gradient is w everywhere, so GP = (|w| - 1)^2 and its
    # gradient with respect to w is 2 (|w| - 1) w / |w|: a second-order gradient.
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 4, 3)).astype(np.float32)
    critic = _linear_critic(w)
    norm = float(np.linalg.norm(w))

    def loss_fn(batch):
        penalty = gradient_penalty(critic, batch["real"], batch["fake"], batch["alpha"])
        return penalty, {"gp": penalty}

    sgd = keras.optimizers.SGD(learning_rate=0.01)
    step = make_step(loss_fn, critic.trainable_variables, sgd)
    batch = {"real": rng.uniform(-1, 1, (2, 4, 4, 3)).astype(np.float32),
             "fake": rng.uniform(-1, 1, (2, 4, 4, 3)).astype(np.float32),
             "alpha": rng.uniform(size=(2, 1, 1, 1)).astype(np.float32)}
    logs = step(batch)
    assert logs["gp"] == pytest.approx((norm - 1) ** 2, rel=1e-5)
    expected = w - 0.01 * 2 * (norm - 1) * w / norm
    updated = keras.ops.convert_to_numpy(critic.trainable_variables[0]).reshape(w.shape)
    np.testing.assert_allclose(updated, expected, rtol=1e-5, atol=1e-6)


def test_gradient_penalty_is_zero_for_a_unit_norm_critic():
    w = np.zeros((2, 2, 3), np.float32)
    w[0, 0, 0] = 1.0
    critic = _linear_critic(w)
    x = np.ones((3, 2, 2, 3), np.float32)
    alpha = np.full((3, 1, 1, 1), 0.5, np.float32)
    assert float(keras.ops.convert_to_numpy(gradient_penalty(critic, x, -x, alpha))) < 1e-10


def test_linear_decay_is_constant_then_falls_linearly_in_the_second_half():
    schedule = LinearDecay(1.0, total_steps=100)
    values = [float(keras.ops.convert_to_numpy(schedule(k))) for k in (0, 49, 50, 75, 100, 150)]
    assert values == pytest.approx([1.0, 1.0, 1.0, 0.5, 0.0, 0.0])
    floor = LinearDecay(1e-4, total_steps=10, decay_start=0.5, final_fraction=0.1)
    assert float(keras.ops.convert_to_numpy(floor(10))) == pytest.approx(1e-5)
    with pytest.raises(ValueError, match="decay_start"):
        LinearDecay(1.0, 10, decay_start=1.5)


def test_adam_learning_rate_follows_its_update_count():
    v = keras.Variable(np.ones(3, np.float32))
    adam = make_adam(1e-3, total_updates=4, beta_1=0.5)
    step = make_step(lambda b: (keras.ops.sum(v * v), {}), [v], adam)
    seen = []
    for _ in range(4):
        seen.append(current_lr(adam))
        step({"x": np.zeros(1, np.float32)})
    assert seen == pytest.approx([1e-3, 1e-3, 1e-3, 5e-4])


def test_joint_step_updates_each_group_from_its_own_loss():
    a = keras.Variable(np.array([1.0], np.float32))
    b = keras.Variable(np.array([2.0], np.float32))

    def loss_fn(batch):
        shared = a * b * batch["x"]  # one forward pass feeds both losses
        return {"a": keras.ops.sum(shared), "b": -keras.ops.sum(shared)}, {}

    step = make_joint_step(loss_fn, {"a": ([a], keras.optimizers.SGD(0.1)),
                                     "b": ([b], keras.optimizers.SGD(0.1))})
    step({"x": np.array([1.0], np.float32)})
    # d(ab)/da = b = 2 -> a = 1 - 0.2; d(-ab)/db = -a = -1 -> b = 2 + 0.1 (old values).
    assert float(keras.ops.convert_to_numpy(a)[0]) == pytest.approx(0.8)
    assert float(keras.ops.convert_to_numpy(b)[0]) == pytest.approx(2.1)


def test_losses_values():
    x = np.linspace(0, 1, 2 * 8 * 8 * 3, dtype=np.float32).reshape(2, 8, 8, 3)
    assert float(losses.l1_gradient_loss(x, x)) == 0.0
    assert float(losses.l1_gradient_loss(x, x[:, ::-1])) > 0.0
    assert float(losses.bce_logits(np.zeros((4, 1), np.float32), 1.0)) == pytest.approx(
        np.log(2.0), rel=1e-6)
    assert float(losses.lsgan(np.full((2, 3), 0.5, np.float32), 1.0)) == pytest.approx(0.25)


def test_perceptual_loss_is_zero_for_equal_images():
    loss = losses.PerceptualLoss(("block2_conv2",), weights_path=None)
    x = np.random.default_rng(0).uniform(size=(1, 16, 16, 3)).astype(np.float32)
    assert float(loss(x, x)) == 0.0
    assert float(loss(x, 1.0 - x)) > 0.0


def test_perceptual_choice_falls_back_without_vgg_weights(tmp_path):
    assert losses.resolve_perceptual("l1_gradient") == ("l1_gradient", None)
    fake = tmp_path / "vgg.h5"
    fake.write_bytes(b"x")
    assert losses.resolve_perceptual("auto", str(fake)) == ("vgg19", str(fake))
    with pytest.raises(ValueError, match="perceptual"):
        losses.resolve_perceptual("sharpest")


def test_image_pool_fills_then_swaps_half_of_the_time():
    pool = ImagePool(2)
    rng = np.random.default_rng(0)
    first = np.arange(2 * 1 * 1 * 1, dtype=np.float32).reshape(2, 1, 1, 1)
    np.testing.assert_array_equal(pool.query(first, rng), first)  # fills, passes through
    later = np.full((200, 1, 1, 1), 9.0, np.float32)
    out = pool.query(later, rng)
    assert 0 < int(np.sum(out != 9.0)) <= 2  # only the two stored fakes can come back
    restored = ImagePool(2)
    restored.load(pool.state())
    np.testing.assert_array_equal(restored.state(), pool.state())
    assert ImagePool(0).query(first, rng) is first


def test_options_are_parsed_to_their_default_types():
    assert presets.parse_options("deblur", {"ngf": "8", "gp_weight": "5", "norm": "none"}) == {
        "ngf": 8, "gp_weight": 5.0, "norm": "none"}
    assert presets.parse_option("upscale", "batch_norm", "false") is False
    assert presets.parse_option("deblur", "mixed_precision", "auto") == "auto"
    with pytest.raises(UsageError, match="known options"):
        presets.parse_option("deblur", "wings", "2")
    with pytest.raises(UsageError, match="expects int"):
        presets.parse_option("cyclegan", "ngf", "wide")
    assert presets.estimate_seconds("deblur", "standard") > presets.estimate_seconds(
        "deblur", "quick")


def test_estimates_match_the_measured_step_times():
    # Measured on 2 cores: quick deblur 0.1 s/step; the long preset's model 1.2 s/step;
    # each of the 11 validations (step 0, then every 100 steps) costs about 4.5 steps.
    assert presets.estimate_seconds("deblur", "quick") == pytest.approx((1000 + 11 * 4.5) * 0.1)
    long_per_step = presets.estimate_seconds("deblur", "long") / 20000
    assert long_per_step == pytest.approx(1.2, rel=0.1)
