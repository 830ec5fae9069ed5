"""``FastPReLU``: ``PReLU`` in two passes instead of five, an inference-only stand-in that
``engine.inference`` swaps in on the CPU.

Keras' ``PReLU`` computes ``relu(x) - alpha * relu(-x)`` (five passes over the activation);
with every slope at most 1, ``max(x, alpha * x)`` is the same function in two (81 -> 41 ms
at 1024x1024x64, docs/BENCHMARKS.md). SRGAN has one after every residual block and upsampling.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from engine.models.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class FastPReLU(layers.Layer):
    """``max(x, alpha * x)`` with ``prelu``'s own slopes, which equals ``prelu(x)`` exactly
    when every slope is at most 1 (checked on each call; otherwise ``prelu`` itself runs).

    Args:
        prelu: the ``keras.layers.PReLU`` whose slopes (weights) it shares.

    Input any shape ``prelu`` takes -> the same shape.
    """

    def __init__(self, prelu, **kwargs):
        if not isinstance(prelu, layers.PReLU):
            raise ValueError(f"FastPReLU needs a keras.layers.PReLU, received {prelu!r}.")
        kwargs.setdefault("name", f"{prelu.name}_fast")
        kwargs.setdefault("dtype", prelu.dtype_policy)
        super().__init__(**kwargs)
        self.prelu = prelu

    def build(self, input_shape):
        if not self.prelu.built:
            self.prelu.build(input_shape)

    def call(self, inputs):
        alpha = ops.cast(self.prelu.alpha, inputs.dtype)
        return ops.cond(ops.max(alpha) <= 1.0,
                        lambda: ops.maximum(inputs, inputs * alpha),
                        lambda: self.prelu(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "prelu": keras.layers.serialize(self.prelu)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(keras.layers.deserialize(config.pop("prelu")), **config)
