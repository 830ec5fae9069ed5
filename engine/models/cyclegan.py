"""CycleGAN family: the ResNet generator and PatchGAN of the official PyTorch code, and the
U-Net generator of Foster's *Generative Deep Learning* (CycleGAN chapter).

The ResNet generator and the PatchGAN are written once here, with the padding semantics of
``pytorch-CycleGAN-and-pix2pix`` (``ResnetGenerator``, ``NLayerDiscriminator``) so converted
official weights fit; DeblurGAN reuses both and adds its global skip.
"""

from __future__ import annotations

import keras
from keras import layers

from engine.models import register
from engine.models.layers import (
    InstanceNormalization,
    apply_norm,
    reflect_conv,
    torch_conv,
    torch_conv_transpose,
)

RESNET_SIZE_MULTIPLE = 4  # two stride-2 downsamplings
UNET_SIZE_MULTIPLE = 16  # four stride-2 downsamplings
VALUE_RANGE = "-1,1"
UPSAMPLES = ("transpose", "resize_conv")
RESNET_NORMS = ("instance", "batch")
UNET_DOWN_ACTIVATIONS = ("relu", "leaky_relu")


def _check_positive(**values) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, received {value!r}.")


def _check_choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, received {value!r}.")


def _resnet_block(x, dim: int, norm: str, dropout: float, use_bias: bool, name: str):
    """Official ``ResnetBlock`` (reflect padding): x + norm(conv(relu(norm(conv(x)))))."""
    y = reflect_conv(x, dim, 3, name=f"{name}_conv1", use_bias=use_bias)
    y = apply_norm(y, norm, f"{name}_norm1")
    y = layers.ReLU(name=f"{name}_relu")(y)
    if dropout:
        y = layers.Dropout(dropout, name=f"{name}_dropout")(y)
    y = reflect_conv(y, dim, 3, name=f"{name}_conv2", use_bias=use_bias)
    y = apply_norm(y, norm, f"{name}_norm2")
    return layers.Add(name=f"{name}_add")([x, y])


def _upsample(x, filters: int, mode: str, use_bias: bool, name: str):
    """2x upsampling: torch ConvTranspose2d(3, 2, 1, output_padding=1) or resize + conv."""
    if mode == "transpose":
        return torch_conv_transpose(x, filters, name=f"{name}_convT", use_bias=use_bias)
    x = layers.UpSampling2D(2, interpolation="nearest", name=f"{name}_resize")(x)
    return reflect_conv(x, filters, 3, name=f"{name}_conv", use_bias=use_bias)


def resnet_generator_body(inputs, *, ngf: int = 64, n_blocks: int = 9, norm: str = "instance",
                          upsample: str = "transpose", dropout: float = 0.0,
                          use_bias: bool | None = None, out_channels: int = 3):
    """The official ``ResnetGenerator`` applied to a Keras tensor; returns its tanh output.

    Shared by ``build_resnet_generator`` and DeblurGAN. ``use_bias=None`` follows the official
    code: biases with instance norm, none with batch norm (the final conv always has one).
    """
    _check_positive(ngf=ngf, out_channels=out_channels)
    if not isinstance(n_blocks, int) or isinstance(n_blocks, bool) or n_blocks < 0:
        raise ValueError(f"n_blocks must be a non-negative int, received {n_blocks!r}.")
    _check_choice("norm", norm, RESNET_NORMS)
    _check_choice("upsample", upsample, UPSAMPLES)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), received {dropout!r}.")
    if use_bias is None:
        use_bias = norm == "instance"

    x = reflect_conv(inputs, ngf, 7, name="head_conv", use_bias=use_bias)
    x = layers.ReLU(name="head_relu")(apply_norm(x, norm, "head_norm"))
    for i, mult in enumerate((2, 4), start=1):
        x = torch_conv(x, ngf * mult, 3, strides=2, padding=1, name=f"down{i}_conv",
                       use_bias=use_bias)
        x = layers.ReLU(name=f"down{i}_relu")(apply_norm(x, norm, f"down{i}_norm"))
    for i in range(1, n_blocks + 1):
        x = _resnet_block(x, ngf * 4, norm, dropout, use_bias, name=f"res{i}")
    for i, mult in enumerate((2, 1), start=1):
        x = _upsample(x, ngf * mult, upsample, use_bias, name=f"up{i}")
        x = layers.ReLU(name=f"up{i}_relu")(apply_norm(x, norm, f"up{i}_norm"))
    x = reflect_conv(x, out_channels, 7, name="output_conv", use_bias=True)
    return layers.Activation("tanh", name="output_tanh")(x)


@register("cyclegan_resnet", size_multiple=RESNET_SIZE_MULTIPLE, input_range=VALUE_RANGE,
          output_range=VALUE_RANGE)
def build_resnet_generator(ngf: int = 64, n_blocks: int = 9, norm: str = "instance",
                           upsample: str = "transpose", dropout: float = 0.0,
                           use_bias: bool | None = None, in_channels: int = 3,
                           out_channels: int = 3) -> keras.Model:
    """CycleGAN ResNet generator, layer for layer the official ``ResnetGenerator``.

    ReflectionPad(3) + conv 7x7 + norm + ReLU; two conv 3x3 stride 2 (zero pad 1); ``n_blocks``
    residual blocks; two 2x upsamplings; ReflectionPad(3) + conv 7x7 + tanh.

    Args:
        ngf: filters of the first conv (64 official).
        n_blocks: residual blocks (9 for 256px training, 6 for 128px).
        norm: ``"instance"`` (``InstanceNorm2d(affine=False)``, official CycleGAN) or
            ``"batch"``.
        upsample: ``"transpose"`` (exactly torch ``ConvTranspose2d(3, 2, 1, output_padding=1)``,
            for official weights) or ``"resize_conv"`` (nearest 2x + reflect conv 3x3, no
            checkerboard artefacts).
        dropout: dropout rate inside residual blocks (official ``--use_dropout`` is 0.5).
        use_bias: conv biases; ``None`` = official rule (with instance norm only).
        in_channels: input channels.
        out_channels: output channels.

    Returns:
        Model ``(B, H, W, in_channels)`` in [-1, 1] -> ``(B, H, W, out_channels)`` in [-1, 1];
        H and W must be multiples of ``RESNET_SIZE_MULTIPLE`` (4).
    """
    _check_positive(in_channels=in_channels)
    inputs = keras.Input((None, None, in_channels), name="image")
    outputs = resnet_generator_body(inputs, ngf=ngf, n_blocks=n_blocks, norm=norm,
                                    upsample=upsample, dropout=dropout, use_bias=use_bias,
                                    out_channels=out_channels)
    return keras.Model(inputs, outputs, name="cyclegan_resnet")


@register("patchgan")
def build_patchgan(n_layers: int = 3, ndf: int = 64, norm: str = "instance",
                   in_channels: int = 3) -> keras.Model:
    """PatchGAN critic, layer for layer the official ``NLayerDiscriminator`` (zero pad 1 each).

    Conv 4x4 stride 2 + LeakyReLU(0.2); ``n_layers - 1`` conv 4x4 stride 2 + norm + LeakyReLU;
    conv 4x4 stride 1 + norm + LeakyReLU; conv 4x4 stride 1 to one channel. ``n_layers=3`` is
    the 70x70 PatchGAN of pix2pix/CycleGAN. No sigmoid: logits for BCE/LSGAN, scores for
    WGAN-GP (use ``norm="instance"`` or ``"none"`` there, never batch norm).

    Args:
        n_layers: stride-2 convs (3 -> 70x70 receptive field).
        ndf: filters of the first conv; doubles per layer up to ``8 * ndf``.
        norm: ``"instance"``, ``"batch"`` or ``"none"``.
        in_channels: input channels.

    Returns:
        Model ``(B, H, W, in_channels)`` in [-1, 1] -> patch logits ``(B, H', W', 1)`` with
        ``H' = H / 2**n_layers - 2`` for H a multiple of ``2**n_layers`` (256 -> 30 for 3
        layers). H and W must be at least ``3 * 2**n_layers`` (24 for 3 layers).
    """
    _check_positive(n_layers=n_layers, ndf=ndf, in_channels=in_channels)
    _check_choice("norm", norm, ("instance", "batch", "none"))
    use_bias = norm != "batch"
    inputs = keras.Input((None, None, in_channels), name="image")
    x = torch_conv(inputs, ndf, 4, strides=2, padding=1, name="d1_conv")
    x = layers.LeakyReLU(0.2, name="d1_lrelu")(x)
    for i in range(2, n_layers + 2):
        strides = 2 if i <= n_layers else 1
        filters = ndf * min(2 ** (i - 1), 8)
        x = torch_conv(x, filters, 4, strides=strides, padding=1, name=f"d{i}_conv",
                       use_bias=use_bias)
        x = apply_norm(x, norm, f"d{i}_norm")
        x = layers.LeakyReLU(0.2, name=f"d{i}_lrelu")(x)
    outputs = torch_conv(x, 1, 4, strides=1, padding=1, name="logits_conv")
    return keras.Model(inputs, outputs, name="patchgan")


def _unet_norm(name: str):
    # keras_contrib's InstanceNormalization (used by the book) defaults to epsilon=1e-3.
    return InstanceNormalization(epsilon=1e-3, center=False, scale=False, name=name)


def _unet_down(x, filters: int, activation: str, name: str):
    x = layers.Conv2D(filters, 4, strides=2, padding="same", name=f"{name}_conv")(x)
    x = _unet_norm(f"{name}_norm")(x)
    if activation == "leaky_relu":
        return layers.LeakyReLU(0.2, name=f"{name}_lrelu")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _unet_up(x, skip, filters: int, dropout: float, name: str):
    x = layers.UpSampling2D(2, name=f"{name}_resize")(x)
    x = layers.Conv2D(filters, 4, strides=1, padding="same", name=f"{name}_conv")(x)
    x = layers.ReLU(name=f"{name}_relu")(_unet_norm(f"{name}_norm")(x))
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return layers.Concatenate(name=f"{name}_concat")([x, skip])


@register("cyclegan_unet", size_multiple=UNET_SIZE_MULTIPLE, input_range=VALUE_RANGE,
          output_range=VALUE_RANGE)
def build_unet_generator(gf: int = 32, dropout: float = 0.0, down_activation: str = "relu",
                         in_channels: int = 3, out_channels: int = 3) -> keras.Model:
    """U-Net CycleGAN generator of *Generative Deep Learning* (Foster), CycleGAN chapter.

    Four downsamplings (conv 4x4 stride 2 "same" + InstanceNorm(center=False, scale=False) +
    activation) to ``gf, 2gf, 4gf, 8gf`` filters; three upsamplings (nearest 2x + conv 4x4
    "same" + InstanceNorm + ReLU, concatenated with the matching skip); nearest 2x + conv 4x4
    to ``out_channels`` + tanh.

    Args:
        gf: filters of the first downsampling (32 in the book).
        dropout: dropout rate after each upsampling conv (0 in the book).
        down_activation: ``"relu"`` (the book) or ``"leaky_relu"`` (slope 0.2).
        in_channels: input channels.
        out_channels: output channels.

    Returns:
        Model ``(B, H, W, in_channels)`` in [-1, 1] -> ``(B, H, W, out_channels)`` in [-1, 1];
        H and W must be multiples of ``UNET_SIZE_MULTIPLE`` (16).
    """
    _check_positive(gf=gf, in_channels=in_channels, out_channels=out_channels)
    _check_choice("down_activation", down_activation, UNET_DOWN_ACTIVATIONS)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), received {dropout!r}.")
    inputs = keras.Input((None, None, in_channels), name="image")
    d1 = _unet_down(inputs, gf, down_activation, "down1")
    d2 = _unet_down(d1, gf * 2, down_activation, "down2")
    d3 = _unet_down(d2, gf * 4, down_activation, "down3")
    d4 = _unet_down(d3, gf * 8, down_activation, "down4")
    u1 = _unet_up(d4, d3, gf * 4, dropout, "up1")
    u2 = _unet_up(u1, d2, gf * 2, dropout, "up2")
    u3 = _unet_up(u2, d1, gf, dropout, "up3")
    x = layers.UpSampling2D(2, name="output_resize")(u3)
    outputs = layers.Conv2D(out_channels, 4, padding="same", activation="tanh",
                            name="output_conv")(x)
    return keras.Model(inputs, outputs, name="cyclegan_unet")

