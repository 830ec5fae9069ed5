"""Turns a stored Keras model into a tile ``predict`` function for ``run_tiled``.

One compiled predict function per model serves every tile of one fixed shape (Keras traces it
once per shape), several tiles per call. Inputs and outputs cross the model boundary in the
model's declared value range, converted by ``color``.

On the CPU the model is first given an equivalent inference graph (``inference_model``) that
shares its layers and weights (nothing is copied) and swaps two kinds of layer for faster
stand-ins (measured with ``photogan bench``, see docs/BENCHMARKS.md):

* The generators end in a wide-kernel convolution to 3 channels (SRGAN's 9x9, the ResNet
  generators' 7x7), which oneDNN runs at about a fifth of the machine's matrix-multiply rate
  because 3 output channels fill a fraction of its vector lanes; in the 4x upscaler that one
  layer took ~40% of the time. ``_BlockConv`` computes the same convolution on a 2x2
  space-to-depth view (4x the channels on both sides, a ``ceil((k+1)/2)``-tap kernel), which
  runs 2.3-2.8x faster despite ~1.3x the multiply-adds.
* ``InstanceNormalization`` written with ``keras.ops`` takes five passes over the activation;
  on TensorFlow, for one image per call, ``_FusedInstanceNorm`` runs it as TensorFlow's fused
  batch norm in training mode (statistics over height and width of the single image, which is
  exactly instance norm) in two, halving its cost.
* Keras' ``PReLU`` takes five passes (``relu(x) - alpha * relu(-x)``); with every slope at most
  1, which a runtime check confirms, ``max(x, alpha * x)`` is the same function in two
  (``_FastPReLU``). SRGAN has one after every residual block and upsampling.
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from engine import backend
from engine.imaging import color
from engine.imaging.tiling import PredictFn

# Activations alive at once while a generator runs, counted in its largest activation: the
# old fixed figure (64 channels x 4 B x 6) for a 64-filter ResNet generator, and 340 B per
# pixel measured for the deblur U-Net (largest activation 64 B per pixel).
LIVE_ACTIVATIONS = 6
# Input side of the shape-only probe that finds the largest activation.
PROBE_SIDE = 64
# When the probe cannot run (a model that is not functional): a 64-filter generator.
DEFAULT_BYTES_PER_PIXEL = 64 * 4 * LIVE_ACTIVATIONS

# Convolutions with at most this many output channels and kernels at least this wide run as a
# ``_BlockConv`` (a 3x3 kernel would need 1.8x the multiply-adds blocked, 5x5 and up <= 1.44x).
NARROW_FILTERS = 8
MIN_BLOCK_KERNEL = 5
BLOCK = 2

_INFERENCE_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_WORKING_SETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def make_predictor(model, input_range: str, output_range: str) -> PredictFn:
    """A batch predict: ``(N, T, T, 3)`` float32 in ``[0, 1]`` -> ``(N, T*s, T*s, 3)`` in
    ``[0, 1]`` (clipped), running ``model`` (via ``inference_model``) in inference mode."""
    fast = inference_model(model)

    def predict(batch: np.ndarray) -> np.ndarray:
        x = color.to_model(batch, input_range)
        y = fast.predict_on_batch(x)
        return color.from_model(np.asarray(y, dtype=np.float32), output_range)

    return predict


def working_set_per_pixel(model) -> float:
    """Bytes of working set per input tile pixel when ``model`` runs: ``LIVE_ACTIVATIONS``
    times its largest float32 activation per input pixel (an upscaler's activations at 4x the
    input size count 16x). Found from shapes alone on a ``PROBE_SIDE`` square input (nothing
    is computed) and cached per model; ``DEFAULT_BYTES_PER_PIXEL`` when that is not
    possible."""
    cached = _WORKING_SETS.get(model)
    if cached is None:
        cached = _largest_activation(model) * 4.0 * LIVE_ACTIVATIONS
        _WORKING_SETS[model] = cached
    return cached


def _largest_activation(model) -> float:
    keras = backend.keras()
    sizes = [3.0]

    def call(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        for tensor in keras.tree.flatten(out):
            sizes.append(math.prod(tensor.shape[1:]) / PROBE_SIDE**2)
        return out

    try:
        keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call,
                                 input_tensors=keras.Input((PROBE_SIDE, PROBE_SIDE, 3)))
    except (ValueError, TypeError):
        return DEFAULT_BYTES_PER_PIXEL / 4.0 / LIVE_ACTIVATIONS
    return max(sizes)


def inference_model(model):
    """``model``, or on the CPU an equivalent functional model sharing its layers and weights
    in which narrow convolutions and (on TensorFlow) instance norms run as faster stand-ins.
    Cached per model.

    Outputs agree with ``model`` to float32 rounding (sums are taken in another order).
    """
    cached = _INFERENCE_MODELS.get(model)
    if cached is not None:
        return cached
    fast = _rewrite(model)
    _INFERENCE_MODELS[model] = fast
    return fast


def _rewrite(model):
    keras = backend.keras()
    if backend.has_gpu() or isinstance(model, keras.Sequential):
        return model
    if not any(_stand_in(layer) for layer in getattr(model, "layers", [])):
        return model

    def call(layer, *args, **kwargs):
        stand_in = _stand_in(layer)
        return (stand_in(layer) if stand_in else layer)(*args, **kwargs)

    try:
        # Reusing the layers (not copies) keeps one set of weights; Keras documents this form.
        return keras.models.clone_model(model, clone_function=lambda layer: layer,
                                        call_function=call)
    except ValueError:  # not a functional model: run it as it is
        return model


def _stand_in(layer):
    """The stand-in class for ``layer``, or ``None`` to keep it."""
    if blockable(layer):
        return _classes()["block_conv"]
    if type(layer) is backend.keras().layers.PReLU:
        return _classes()["prelu"]
    if backend.backend_name() == "tensorflow":
        from engine.models.layers import InstanceNormalization

        if type(layer) is InstanceNormalization:
            return _classes()["instance_norm"]
    return None


def blockable(layer) -> bool:
    """Whether ``layer`` is a plain stride-1 ``Conv2D`` with an odd kernel of at least
    ``MIN_BLOCK_KERNEL`` and at most ``NARROW_FILTERS`` outputs (the layers oneDNN runs far
    below its peak)."""
    keras = backend.keras()
    if type(layer) is not keras.layers.Conv2D:
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


_CLASSES: dict = {}


def _classes() -> dict:
    """The stand-in layer classes, made once on first use so importing this module does not
    import Keras."""
    if not _CLASSES:
        _CLASSES.update(block_conv=_block_conv_class(), instance_norm=_instance_norm_class(),
                        prelu=_prelu_class())
    return _CLASSES


def _block_conv_class():
    keras = backend.keras()
    ops = keras.ops

    class _BlockConv(keras.layers.Layer):
        """Inference-only stand-in for a narrow stride-1 ``Conv2D`` (see ``blockable``): the
        same convolution on a ``BLOCK x BLOCK`` space-to-depth view of its input.

        Input ``(B, H, W, C)`` -> exactly the conv's output. The blocked kernel is gathered
        from the conv's own kernel variable on every call (a few hundred KB), so it can
        never go stale. Not serialisable: it lives only inside ``inference_model``.
        """

        def __init__(self, conv, **kwargs):
            super().__init__(name=f"{conv.name}_blocked", dtype=conv.dtype_policy, **kwargs)
            self.conv = conv
            kh, kw = conv.kernel_size
            self.index = block_kernel_index(kh, kw)
            # A "same" conv padded by whole blocks (k = 5, 9, 13, ...) is a "same" blocked
            # conv with centred taps, and then needs no padded copy of its input.
            self.same_blocks = (conv.padding == "same" and (kh // 2) % BLOCK == 0
                                and (kw // 2) % BLOCK == 0)

        def _kernel(self):
            conv, s = self.conv, BLOCK
            kh, kw = conv.kernel_size
            c, f = conv.kernel.shape[2], conv.kernel.shape[3]
            taps = ops.reshape(ops.convert_to_tensor(conv.kernel), (kh * kw, c, f))
            taps = ops.concatenate([taps, ops.zeros((1, c, f), dtype=taps.dtype)], axis=0)
            k = ops.take(taps, self.index, axis=0)  # (th, tw, dy, dx, oy, ox, c, f)
            k = ops.transpose(k, (0, 1, 2, 3, 6, 4, 5, 7))
            return ops.reshape(k, (self.index.shape[0], self.index.shape[1], s * s * c,
                                   s * s * f))

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

    return _BlockConv


def _instance_norm_class():
    keras = backend.keras()

    class _FusedInstanceNorm(keras.layers.Layer):
        """Inference-only stand-in for ``InstanceNormalization`` on TensorFlow: for a batch
        of one float32 image, TensorFlow's fused batch norm in training mode (per-channel
        statistics over the image, biased variance, ``epsilon`` inside the root: instance
        norm exactly); otherwise the original layer."""

        def __init__(self, norm, **kwargs):
            super().__init__(name=f"{norm.name}_fused", dtype=norm.dtype_policy, **kwargs)
            self.norm = norm

        def call(self, inputs):
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

    return _FusedInstanceNorm


def _prelu_class():
    keras = backend.keras()
    ops = keras.ops

    class _FastPReLU(keras.layers.Layer):
        """Inference-only stand-in for ``PReLU``: ``max(x, alpha * x)``, which equals
        ``PReLU`` exactly when every slope is at most 1 (checked on each call; otherwise
        the original layer runs)."""

        def __init__(self, prelu, **kwargs):
            super().__init__(name=f"{prelu.name}_fast", dtype=prelu.dtype_policy, **kwargs)
            self.prelu = prelu

        def call(self, inputs):
            alpha = ops.cast(self.prelu.alpha, inputs.dtype)
            return ops.cond(ops.max(alpha) <= 1.0,
                            lambda: ops.maximum(inputs, inputs * alpha),
                            lambda: self.prelu(inputs))

        def compute_output_shape(self, input_shape):
            return input_shape

    return _FastPReLU
