"""``BlockConv2D``: a narrow wide-kernel convolution computed on a 2x2 space-to-depth view,
an inference-only stand-in that ``engine.inference`` swaps in on the CPU.

The generators end in a wide-kernel convolution to 3 channels (SRGAN's 9x9, the ResNet
generators' 7x7), which oneDNN runs at about a fifth of the machine's matrix-multiply rate
because 3 output channels fill a fraction of its vector lanes. The same convolution on a
``BLOCK x BLOCK`` space-to-depth view (4x the channels on both sides, a ``ceil((k+1)/2)``-tap
kernel) runs 2.3-2.8x faster despite ~1.3x the multiply-adds (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from engine.models.layers import PACKAGE

# Convolutions with at most this many output channels and kernels at least this wide are
# blocked (a 3x3 kernel would need 1.8x the multiply-adds blocked, 5x5 and up <= 1.44x).
NARROW_FILTERS = 8
MIN_BLOCK_KERNEL = 5
BLOCK = 2


def blockable(layer) -> bool:
    """Whether ``layer`` is a plain stride-1 ``Conv2D`` with an odd kernel of at least
    ``MIN_BLOCK_KERNEL`` and at most ``NARROW_FILTERS`` outputs (the layers oneDNN runs far
    below its peak)."""
    if type(layer) is not layers.Conv2D:
        return False
    kh, kw = layer.kernel_size
    return (layer.filters <= NARROW_FILTERS and tuple(layer.strides) == (1, 1)
            and tuple(layer.dilation_rate) == (1, 1) and layer.groups == 1
            and layer.data_format == "channels_last" and min(kh, kw) >= MIN_BLOCK_KERNEL
            and kh % 2 == 1 and kw % 2 == 1 and layer.padding in ("same", "valid"))


def block_taps(kernel_size: int, block: int = BLOCK) -> int:
    """Taps along one axis of the blocked kernel: ``ceil((block + k - 1) / block)``."""
    return math.ceil((block + kernel_size - 1) / block)


def block_kernel_index(kh: int, kw: int, block: int = BLOCK) -> np.ndarray:
    """Where each blocked-kernel weight comes from, as an index into the ``kh * kw`` taps of
    the original kernel (``kh * kw`` meaning zero).

    Returns:
        int32 ``(th, tw, dy, dx, oy, ox)`` with ``th, tw = block_taps(kh), block_taps(kw)`` and
        the four offsets in ``[0, block)``: blocked tap ``(ty, tx)`` links input sub-pixel
        ``(dy, dx)`` to output sub-pixel ``(oy, ox)`` through original tap
        ``(ty * block + dy - oy, tx * block + dx - ox)``.
    """
    th, tw, s = block_taps(kh, block), block_taps(kw, block), block
    ty, tx, dy, dx, oy, ox = np.meshgrid(*(np.arange(n) for n in (th, tw, s, s, s, s)),
                                         indexing="ij")
    ky, kx = ty * s + dy - oy, tx * s + dx - ox
    inside = (ky >= 0) & (ky < kh) & (kx >= 0) & (kx < kw)
    return np.where(inside, ky * kw + kx, kh * kw).astype(np.int32)


@keras.saving.register_keras_serializable(package=PACKAGE)
class BlockConv2D(layers.Layer):
    """Runs ``conv`` (a ``blockable`` ``Conv2D``) on a ``BLOCK x BLOCK`` space-to-depth view
    of its input: the same function, faster on the CPU.

    The blocked kernel is gathered from the conv's own kernel variable on every call (a few
    hundred KB), so it shares the conv's weights and can never go stale.

    Args:
        conv: the ``Conv2D`` to run (stride 1, odd kernel >= ``MIN_BLOCK_KERNEL``, at most
            ``NARROW_FILTERS`` filters, ``same`` or ``valid`` padding).

    Input ``(B, H, W, C)`` -> exactly ``conv``'s output ``(B, H', W', filters)``.
    """

    def __init__(self, conv, **kwargs):
        if not blockable(conv):
            raise ValueError(f"BlockConv2D needs a narrow stride-1 Conv2D with an odd kernel of "
                             f"at least {MIN_BLOCK_KERNEL}, received {conv!r}.")
        kwargs.setdefault("name", f"{conv.name}_blocked")
        kwargs.setdefault("dtype", conv.dtype_policy)
        super().__init__(**kwargs)
        self.conv = conv
        kh, kw = conv.kernel_size
        self.index = block_kernel_index(kh, kw)
        # A "same" conv padded by whole blocks (k = 5, 9, 13, ...) is a "same" blocked conv
        # with centred taps, and then needs no padded copy of its input.
        self.same_blocks = (conv.padding == "same" and (kh // 2) % BLOCK == 0
                            and (kw // 2) % BLOCK == 0)

    def build(self, input_shape):
        if not self.conv.built:
            self.conv.build(input_shape)

    def _kernel(self):
        conv, s = self.conv, BLOCK
        kh, kw = conv.kernel_size
        c, f = conv.kernel.shape[2], conv.kernel.shape[3]
        taps = ops.reshape(ops.convert_to_tensor(conv.kernel), (kh * kw, c, f))
        taps = ops.concatenate([taps, ops.zeros((1, c, f), dtype=taps.dtype)], axis=0)
        k = ops.take(taps, self.index, axis=0)  # (th, tw, dy, dx, oy, ox, c, f)
        k = ops.transpose(k, (0, 1, 2, 3, 6, 4, 5, 7))
        return ops.reshape(k, (self.index.shape[0], self.index.shape[1], s * s * c, s * s * f))

    def _pad(self, x):
        kh, kw = self.conv.kernel_size
        if self.conv.padding == "same" and not self.same_blocks:
            x = ops.pad(x, [[0, 0], [kh // 2, kh // 2], [kw // 2, kw // 2], [0, 0]])
        h, w = x.shape[1], x.shape[2]
        if h is not None and w is not None and h % BLOCK == 0 and w % BLOCK == 0:
            return x
        shape = ops.shape(x)
        return ops.pad(x, [[0, 0], [0, shape[1] % BLOCK], [0, shape[2] % BLOCK], [0, 0]])

    def _out_size(self, inputs, axis: int):
        size = ops.shape(inputs)[axis]
        if self.conv.padding == "same":
            return size
        return size - self.conv.kernel_size[axis - 1] + 1

    def call(self, inputs):
        conv, s = self.conv, BLOCK
        x = self._pad(inputs)
        shape = ops.shape(x)
        hb, wb, c = shape[1] // s, shape[2] // s, x.shape[3]
        x = ops.reshape(x, (-1, hb, s, wb, s, c))
        x = ops.reshape(ops.transpose(x, (0, 1, 3, 2, 4, 5)), (-1, hb, wb, s * s * c))
        padding = "same" if self.same_blocks else "valid"
        y = ops.conv(x, self._kernel(), strides=1, padding=padding)
        yh, yw, f = ops.shape(y)[1], ops.shape(y)[2], conv.filters
        y = ops.reshape(y, (-1, yh, yw, s, s, f))
        y = ops.reshape(ops.transpose(y, (0, 1, 3, 2, 4, 5)), (-1, yh * s, yw * s, f))
        y = y[:, : self._out_size(inputs, 1), : self._out_size(inputs, 2), :]
        if conv.use_bias:
            y = y + conv.bias
        return conv.activation(y)

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "conv": keras.layers.serialize(self.conv)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(keras.layers.deserialize(config.pop("conv")), **config)
