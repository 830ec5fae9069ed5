"""The inference stand-in layers in ``engine/models/``: each computes its original layer's
function with the original's weights, checks its argument, and round-trips its config."""

from __future__ import annotations

import numpy as np
import pytest

from engine import backend


def _keras():
    return backend.keras()


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("kernel, padding, shape", [
    (9, "same", (1, 21, 17, 6)), (7, "same", (2, 16, 16, 5)), (5, "valid", (1, 13, 11, 4)),
])
def test_block_conv_equals_the_convolution_it_stands_for(kernel, padding, shape):
    from engine.models.block_conv import BlockConv2D, blockable

    keras = _keras()
    keras.utils.set_random_seed(0)
    conv = keras.layers.Conv2D(3, kernel, padding=padding, activation="tanh")
    x = _x(shape)
    expected = np.asarray(conv(x))
    assert blockable(conv)
    np.testing.assert_allclose(np.asarray(BlockConv2D(conv)(x)), expected, atol=1e-5)


def test_block_conv_refuses_convolutions_it_cannot_block():
    from engine.models.block_conv import BlockConv2D

    keras = _keras()
    with pytest.raises(ValueError, match="received"):
        BlockConv2D(keras.layers.Conv2D(64, 3, padding="same"))


def test_fast_prelu_equals_prelu_and_falls_back_for_steep_slopes():
    from engine.models.fast_prelu import FastPReLU

    keras = _keras()
    prelu = keras.layers.PReLU(shared_axes=[1, 2])
    x = _x((1, 4, 4, 2))
    prelu.build(x.shape)
    for slopes in ([0.25, 1.0], [0.5, 1.5]):
        prelu.alpha.assign(np.array([[slopes]], np.float32))
        np.testing.assert_allclose(np.asarray(FastPReLU(prelu)(x)), np.asarray(prelu(x)),
                                   atol=1e-6)
    with pytest.raises(ValueError, match="received"):
        FastPReLU(keras.layers.ReLU())


def test_fused_instance_norm_equals_instance_norm():
    from engine.models.fused_instance_norm import FusedInstanceNorm
    from engine.models.layers import InstanceNormalization

    norm = InstanceNormalization(center=True, scale=True)
    x = _x((1, 8, 6, 3)) * 3 + 1
    norm.build(x.shape)
    norm.gamma.assign(np.array([1.0, 2.0, 0.5], np.float32))
    norm.beta.assign(np.array([0.0, -1.0, 0.25], np.float32))
    for batch in (x, np.concatenate([x, x[:, ::-1]])):  # one image: fused; two: the original
        np.testing.assert_allclose(np.asarray(FusedInstanceNorm(norm)(batch)),
                                   np.asarray(norm(batch)), atol=1e-4)
    with pytest.raises(ValueError, match="received"):
        FusedInstanceNorm(_keras().layers.BatchNormalization())


@pytest.mark.parametrize("make", ["block_conv", "fast_prelu", "fused_instance_norm"])
def test_stand_ins_are_registered_and_round_trip_their_config(make):
    from engine.models.block_conv import BlockConv2D
    from engine.models.fast_prelu import FastPReLU
    from engine.models.fused_instance_norm import FusedInstanceNorm
    from engine.models.layers import InstanceNormalization

    keras = _keras()
    layer = {
        "block_conv": lambda: BlockConv2D(keras.layers.Conv2D(3, 7, padding="same")),
        "fast_prelu": lambda: FastPReLU(keras.layers.PReLU()),
        "fused_instance_norm": lambda: FusedInstanceNorm(InstanceNormalization()),
    }[make]()
    again = keras.layers.deserialize(keras.layers.serialize(layer))
    assert type(again) is type(layer) and again.name == layer.name
    assert again.get_config() == layer.get_config()
