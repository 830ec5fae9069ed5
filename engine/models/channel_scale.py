"""``ChannelScale``: a learned per-channel multiplier (LayerScale, Touvron et al. 2021)."""

from __future__ import annotations

import keras
from keras import layers, ops

from engine.models.layers import PACKAGE


@keras.saving.register_keras_serializable(package=PACKAGE)
class ChannelScale(layers.Layer):
    """Multiplies each channel by a learned scale, started at ``init``.

    Put on a residual branch, a small ``init`` starts the block near the identity, which
    keeps a fresh deep network stable and close to "change nothing".

    Args:
        init: the starting value of every scale (any float).

    Input ``(..., C)`` -> output of the same shape.

    Example:
        >>> ChannelScale(init=0.5)(np.ones((1, 2, 2, 3), "float32"))[0, 0, 0]
        [0.5, 0.5, 0.5]
    """

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        if isinstance(init, bool) or not isinstance(init, (int, float)):
            raise ValueError(f"init must be a number, received {init!r}.")
        self.init = float(init)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError("ChannelScale needs a known channel count, received None.")
        self.scale = self.add_weight(
            shape=(int(channels),), name="scale",
            initializer=keras.initializers.Constant(self.init))

    def call(self, inputs):
        return inputs * ops.cast(self.scale, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "init": self.init}
