"""``FusedInstanceNorm``: instance norm as TensorFlow's fused batch norm, an inference-only
stand-in that ``engine.inference`` swaps in on the CPU with the TensorFlow backend.

``InstanceNormalization`` written with ``keras.ops`` takes five passes over the activation;
for one image per call, TensorFlow's fused batch norm in training mode (statistics over
height and width of the single image, biased variance, ``epsilon`` inside the root) computes
exactly instance norm in two: 7.2 -> 3.6 ms at 128x128x256 (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import keras
from keras import layers

from engine.models.layers import PACKAGE, InstanceNormalization


@keras.saving.register_keras_serializable(package=PACKAGE)
class FusedInstanceNorm(layers.Layer):
    """``norm`` computed by TensorFlow's fused batch norm for a batch of one float32 image on
    the TensorFlow backend; ``norm`` itself otherwise (other backends, batches, dtypes).

    Args:
        norm: the ``InstanceNormalization`` whose scale and offset (weights) it shares.

    Input ``(B, H, W, C)`` -> the same shape.
    """

    def __init__(self, norm, **kwargs):
        if type(norm) is not InstanceNormalization:
            raise ValueError(f"FusedInstanceNorm needs an InstanceNormalization, received "
                             f"{norm!r}.")
        kwargs.setdefault("name", f"{norm.name}_fused")
        kwargs.setdefault("dtype", norm.dtype_policy)
        super().__init__(**kwargs)
        self.norm = norm

    def build(self, input_shape):
        if not self.norm.built:
            self.norm.build(input_shape)

    def call(self, inputs):
        if keras.backend.backend() != "tensorflow":
            return self.norm(inputs)
        import tensorflow as tf

        if inputs.shape[0] != 1 or inputs.dtype != tf.float32:
            return self.norm(inputs)
        channels = inputs.shape[-1]
        scale = self.norm.gamma if self.norm.gamma is not None else tf.ones([channels])
        offset = self.norm.beta if self.norm.beta is not None else tf.zeros([channels])
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(
            inputs, scale, offset, epsilon=self.norm.epsilon, is_training=True)
        return y

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "norm": keras.layers.serialize(self.norm)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(keras.layers.deserialize(config.pop("norm")), **config)
