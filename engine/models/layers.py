"""Registered custom layers and small block helpers shared by the model families.

Every layer here uses ``keras.ops`` only, so models run on the TensorFlow and torch backends,
and is registered under the ``photogan`` package so ``.keras`` files load with
``safe_mode=True``. Tensors are channels-last: ``(batch, height, width, channels)``.
"""

from __future__ import annotations

import keras
from keras import layers, ops

PACKAGE = "photogan"
NORMS = ("instance", "batch", "none")


def _pair(value, name: str) -> tuple[int, int]:
    """``int`` or 2-sequence of non-negative ints -> ``(a, b)``; says what was received."""
    if isinstance(value, int) and not isinstance(value, bool):
        pair = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = tuple(value)
    else:
        raise ValueError(f"{name} must be an int or a pair of ints, received {value!r}.")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in pair):
        raise ValueError(f"{name} must hold non-negative ints, received {value!r}.")
    return pair


@keras.saving.register_keras_serializable(package=PACKAGE)
class ReflectionPadding2D(layers.Layer):
    """Reflect-pads height and width, like ``torch.nn.ReflectionPad2d`` (edge not repeated).

    Args:
        padding: ``p`` or ``(p_height, p_width)``, pixels added on each side.

    Input ``(B, H, W, C)`` -> output ``(B, H + 2 p_h, W + 2 p_w, C)``; needs ``p < H, W``.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pair(padding, "padding")

    def call(self, inputs):
        ph, pw = self.padding
        return ops.pad(inputs, [[0, 0], [ph, ph], [pw, pw], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        ph, pw = self.padding
        return (b, None if h is None else h + 2 * ph, None if w is None else w + 2 * pw, c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package=PACKAGE)
class InstanceNormalization(layers.Layer):
    """Normalises each sample and channel over height and width.

    With ``center=False, scale=False`` (the defaults) it equals ``torch.nn.InstanceNorm2d`` with
    ``affine=False, track_running_stats=False``, the norm of the official CycleGAN/pix2pix
    weights: biased variance, ``epsilon`` inside the square root, no running statistics.

    Args:
        epsilon: added to the variance.
        center: learn a per-channel offset ``beta``.
        scale: learn a per-channel gain ``gamma``.
    """

    def __init__(self, epsilon=1e-5, center=False, scale=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(epsilon, (int, float)) or isinstance(epsilon, bool) or epsilon <= 0:
            raise ValueError(f"epsilon must be a positive number, received {epsilon!r}.")
        for name, value in (("center", center), ("scale", scale)):
            if not isinstance(value, bool):
                raise ValueError(f"{name} must be a bool, received {value!r}.")
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"InstanceNormalization expects (batch, height, width, channels) with known "
                f"channels, received input shape {input_shape}."
            )
        channels = input_shape[-1]
        self.gamma = self.beta = None
        if self.scale:
            self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        if self.center:
            self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")

    def call(self, inputs):
        mean, variance = ops.moments(inputs, axes=[1, 2], keepdims=True)
        outputs = (inputs - mean) * ops.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            outputs = outputs * self.gamma
        if self.beta is not None:
            outputs = outputs + self.beta
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale}


@keras.saving.register_keras_serializable(package=PACKAGE)
class PhotoInstanceNormalization(InstanceNormalization):
    """``InstanceNormalization`` with given statistics: the photo's, gathered over all tiles.

    ``(x - photo_mean) * rsqrt(photo_variance + epsilon)`` (then ``gamma`` / ``beta`` as the
    base layer), with per-channel ``photo_mean`` / ``photo_variance`` non-trainable weights
    that the caller sets before running tiles. Every tile of a photo is then normalised
    alike, as in one pass over the whole photo. Same arguments as ``InstanceNormalization``.
    """

    def build(self, input_shape):
        super().build(input_shape)
        channels = input_shape[-1]
        self.photo_mean = self.add_weight(shape=(channels,), initializer="zeros",
                                          trainable=False, name="photo_mean")
        self.photo_variance = self.add_weight(shape=(channels,), initializer="ones",
                                              trainable=False, name="photo_variance")

    def call(self, inputs):
        outputs = (inputs - self.photo_mean) * ops.rsqrt(self.photo_variance + self.epsilon)
        if self.gamma is not None:
            outputs = outputs * self.gamma
        if self.beta is not None:
            outputs = outputs + self.beta
        return outputs


@keras.saving.register_keras_serializable(package=PACKAGE)
class WeightedChannelMoments(layers.Layer):
    """Per-channel weighted sums of a feature map, for statistics gathered over tiles.

    Called on ``[features (B, h, w, C), weights (B, H, W, 1)]`` where ``H = d_h * h`` and
    ``W = d_w * w`` (the weights are given at input resolution and averaged over
    ``d_h x d_w`` blocks). Returns ``(B, 2 C + 1)``: ``sum(w x)``, ``sum(w x^2)`` per channel
    and ``sum(w)``, over height and width.
    """

    def call(self, inputs):
        x, weights = inputs
        h, w = ops.shape(x)[1], ops.shape(x)[2]
        big_h, big_w = ops.shape(weights)[1], ops.shape(weights)[2]
        blocks = ops.reshape(weights, (-1, h, big_h // h, w, big_w // w))
        wx = ops.expand_dims(ops.mean(blocks, axis=(2, 4)), -1)
        sums = [ops.sum(x * wx, axis=(1, 2)), ops.sum(x * x * wx, axis=(1, 2)),
                ops.sum(wx, axis=(1, 2))]
        return ops.concatenate(sums, axis=-1)

    def compute_output_shape(self, input_shape):
        features = input_shape[0]
        return (features[0], 2 * features[-1] + 1)


@keras.saving.register_keras_serializable(package=PACKAGE)
class PixelShuffle(layers.Layer):
    """Sub-pixel upsampling with ``torch.nn.PixelShuffle`` channel ordering, channels-last.

    Output channel ``c`` at sub-pixel ``(i, j)`` reads input channel ``c * r*r + i * r + j``
    (PyTorch's ordering). Note this differs from ``tf.nn.depth_to_space``, which reads
    ``(i * r + j) * C + c``; PyTorch's ordering lets SRGAN weights converted from PyTorch load
    as they are.

    Args:
        scale: upscale factor ``r``.

    Input ``(B, H, W, C * r*r)`` -> output ``(B, H * r, W * r, C)``.
    """

    def __init__(self, scale=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
            raise ValueError(f"scale must be a positive int, received {scale!r}.")
        self.scale = scale

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % (self.scale**2):
            raise ValueError(
                f"PixelShuffle(scale={self.scale}) needs channels divisible by "
                f"{self.scale ** 2}, received input shape {input_shape}."
            )

    def call(self, inputs):
        r = self.scale
        shape = ops.shape(inputs)
        height, width, channels = shape[1], shape[2], inputs.shape[-1] // (r * r)
        x = ops.reshape(inputs, (-1, height, width, channels, r, r))
        x = ops.transpose(x, (0, 1, 4, 2, 5, 3))  # (B, H, i, W, j, C)
        return ops.reshape(x, (-1, height * r, width * r, channels))

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.scale
        return (b, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package=PACKAGE)
class BilinearUpsample(layers.Layer):
    """Bilinear enlargement by an integer ``scale``, half-pixel centres, edges clamped: the
    same numbers as ``UpSampling2D(scale, interpolation="bilinear")`` (``tf.image.resize``),
    but built from pads, slices and reshapes, so it also runs when height and width are only
    known at run time (TensorFlow retraces tiled inference with relaxed, unknown shapes, where
    ``UpSampling2D``'s resize fails).

    Input ``(B, H, W, C)`` -> output ``(B, H * scale, W * scale, C)``.
    """

    def __init__(self, scale=4, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(scale, int) or isinstance(scale, bool) or scale < 1:
            raise ValueError(f"scale must be a positive int, received {scale!r}.")
        self.scale = scale

    def _phases(self) -> list[tuple[float, float, float]]:
        """Weights on (previous, current, next) sample for each of the ``scale`` outputs."""
        out = []
        for k in range(self.scale):
            offset = (k + 0.5) / self.scale - 0.5  # source position relative to the sample
            out.append((max(-offset, 0.0), 1.0 - abs(offset), max(offset, 0.0)))
        return out

    def _along(self, x, axis: int):
        """Enlarge ``x`` along ``axis`` (1 = height, 2 = width)."""
        size = ops.shape(x)[axis]
        pads = [[0, 0], [0, 0], [0, 0], [0, 0]]
        pads[axis] = [1, 1]
        padded = ops.pad(x, pads, mode="symmetric")  # a 1-pixel symmetric pad repeats the edge
        taps = [ops.take(padded, ops.arange(i, i + size), axis=axis) for i in range(3)]
        phases = [w0 * taps[0] + w1 * taps[1] + w2 * taps[2] for w0, w1, w2 in self._phases()]
        stacked = ops.stack(phases, axis=axis + 1)  # (..., size, scale, ...)
        shape = ops.shape(x)
        new_shape = [-1, shape[1], shape[2], x.shape[-1]]
        new_shape[axis] = size * self.scale
        return ops.reshape(stacked, new_shape)

    def call(self, inputs):
        return self._along(self._along(inputs, 1), 2)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        s = self.scale
        return (b, None if h is None else h * s, None if w is None else w * s, c)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


@keras.saving.register_keras_serializable(package=PACKAGE)
class ResidualClip(layers.Layer):
    """Global skip: ``clip(inputs + residual, clip_min, clip_max)`` (DeblurGAN learn_residual).

    Args:
        clip_min: lower bound of the output.
        clip_max: upper bound of the output.

    Called on ``[inputs, residual]`` of equal shapes; returns that shape.
    """

    def __init__(self, clip_min=-1.0, clip_max=1.0, **kwargs):
        super().__init__(**kwargs)
        if not float(clip_min) < float(clip_max):
            raise ValueError(
                f"clip_min must be below clip_max, received clip_min={clip_min!r}, "
                f"clip_max={clip_max!r}."
            )
        self.clip_min = float(clip_min)
        self.clip_max = float(clip_max)

    def call(self, inputs):
        image, residual = inputs
        return ops.clip(image + residual, self.clip_min, self.clip_max)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "clip_min": self.clip_min, "clip_max": self.clip_max}


def torch_init():
    """Kernel initialiser of the official pix2pix/CycleGAN and DCGAN code: N(0, 0.02)."""
    return keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def norm_layer(kind: str, name: str):
    """A norm layer by name, matching the PyTorch reference code; ``None`` for ``"none"``.

    ``"instance"`` is ``InstanceNorm2d(affine=False)``; ``"batch"`` is ``BatchNorm2d`` (torch
    momentum 0.1 is Keras momentum 0.9, epsilon 1e-5).
    """
    if kind == "instance":
        return InstanceNormalization(name=name)
    if kind == "batch":
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)
    if kind == "none":
        return None
    raise ValueError(f"norm must be one of {NORMS}, received {kind!r}.")


def apply_norm(x, kind: str, name: str):
    """``x`` through ``norm_layer(kind)``, or unchanged for ``"none"``."""
    layer = norm_layer(kind, name)
    return x if layer is None else layer(x)


def reflect_conv(x, filters: int, kernel_size: int, name: str, use_bias: bool = True):
    """"Same"-size stride-1 conv with reflection padding (torch ReflectionPad2d + Conv2d).

    ``kernel_size`` must be odd. ``(B, H, W, C) -> (B, H, W, filters)``.
    """
    if kernel_size % 2 != 1:
        raise ValueError(f"reflect_conv needs an odd kernel_size, received {kernel_size!r}.")
    x = ReflectionPadding2D(kernel_size // 2, name=f"{name}_pad")(x)
    return layers.Conv2D(filters, kernel_size, padding="valid", use_bias=use_bias,
                         kernel_initializer=torch_init(), name=name)(x)


def torch_conv(x, filters: int, kernel_size: int, strides: int, padding: int, name: str,
               use_bias: bool = True):
    """``torch.nn.Conv2d(..., stride, padding)`` with zero padding, exactly.

    Keras ``padding="same"`` pads asymmetrically for even kernels or strides > 1, so the
    torch padding is applied explicitly before a ``"valid"`` conv.
    """
    if padding:
        x = layers.ZeroPadding2D(padding, name=f"{name}_pad")(x)
    return layers.Conv2D(filters, kernel_size, strides=strides, padding="valid",
                         use_bias=use_bias, kernel_initializer=torch_init(), name=name)(x)


def torch_conv_transpose(x, filters: int, name: str, kernel_size: int = 3, strides: int = 2,
                         padding: int = 1, output_padding: int = 1, use_bias: bool = True):
    """``torch.nn.ConvTranspose2d(kernel_size, stride, padding, output_padding)``, exactly.

    A ``"valid"`` ``Conv2DTranspose`` gives the full output, ``(H - 1) * s + k`` rows; torch
    keeps rows ``[padding, padding + (H - 1) * s - 2 * padding + k + output_padding)`` of it,
    i.e. crops ``padding`` at the top/left and ``padding - output_padding`` at the
    bottom/right. For the defaults that is ``2H x 2W``. A torch weight ``(in, out, kH, kW)``
    maps to the Keras kernel ``(kH, kW, out, in)`` by ``transpose(2, 3, 1, 0)``, no flip.
    """
    if not 0 <= output_padding <= padding:
        raise ValueError(
            f"torch_conv_transpose needs 0 <= output_padding <= padding, received "
            f"padding={padding!r}, output_padding={output_padding!r}."
        )
    x = layers.Conv2DTranspose(filters, kernel_size, strides=strides, padding="valid",
                               use_bias=use_bias, kernel_initializer=torch_init(), name=name)(x)
    crop = ((padding, padding - output_padding), (padding, padding - output_padding))
    return layers.Cropping2D(crop, name=f"{name}_crop")(x)


IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)


@keras.saving.register_keras_serializable(package=PACKAGE)
class VGGPreprocess(layers.Layer):
    """RGB in [0, 1] -> the "caffe" input of the Keras ImageNet VGG weights.

    Scales to [0, 255], reverses the channels to BGR and subtracts the ImageNet BGR mean,
    i.e. ``keras.applications.vgg19.preprocess_input(255 * x)``. This channel swap is a tensor
    op on model inputs, not image I/O: images still reach the model as RGB, per the pixel
    contract in ``engine/imaging/color.py``.
    """

    def call(self, inputs):
        bgr = ops.flip(inputs * 255.0, axis=-1)
        return bgr - ops.convert_to_tensor(IMAGENET_BGR_MEAN, dtype=bgr.dtype)

    def build(self, input_shape):
        if input_shape[-1] != 3:
            raise ValueError(f"VGGPreprocess expects 3 RGB channels, received shape "
                             f"{input_shape}.")

    def compute_output_shape(self, input_shape):
        return input_shape
