"""SRGAN (Ledig et al. 2017): the SRResNet 4x generator and the VGG-style discriminator.

Value ranges: the generator takes low-resolution RGB in [0, 1] and returns high-resolution RGB
with a linear output that is approximately [0, 1]; callers clip it. (The paper's tanh output in
[-1, 1] is not used: a linear head trains as well and keeps one range on both sides.)
"""

from __future__ import annotations

import keras
from keras import layers

from engine.models import register
from engine.models.layers import BilinearUpsample, PixelShuffle

SCALE = 4
SIZE_MULTIPLE = 1
INPUT_RANGE = "0,1"
OUTPUT_RANGE = "0,1"
VALUE_RANGE = INPUT_RANGE


def _check_positive(**values) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, received {value!r}.")


def _prelu(name: str):
    # One slope per channel shared over space; 0.25 is torch.nn.PReLU's initial slope.
    return layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25),
                        shared_axes=[1, 2], name=name)


def _conv(x, filters: int, kernel_size: int, name: str, use_bias: bool = True):
    return layers.Conv2D(filters, kernel_size, padding="same", use_bias=use_bias, name=name)(x)


def _bn(x, batch_norm: bool, name: str):
    if not batch_norm:
        return x
    return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)(x)


def _residual_block(x, width: int, batch_norm: bool, name: str):
    """conv3x3-BN-PReLU-conv3x3-BN + skip."""
    y = _conv(x, width, 3, f"{name}_conv1", use_bias=not batch_norm)
    y = _prelu(f"{name}_prelu")(_bn(y, batch_norm, f"{name}_bn1"))
    y = _conv(y, width, 3, f"{name}_conv2", use_bias=not batch_norm)
    y = _bn(y, batch_norm, f"{name}_bn2")
    return layers.Add(name=f"{name}_add")([x, y])


@register("srgan", size_multiple=SIZE_MULTIPLE, input_range=INPUT_RANGE,
          output_range=OUTPUT_RANGE, scale=SCALE)
def build_srgan_generator(n_blocks: int = 16, width: int = 64,
                          batch_norm: bool = True, skip: str = "none") -> keras.Model:
    """SRResNet generator, a true 4x upscaler.

    Conv 9x9 + PReLU; ``n_blocks`` residual blocks; conv 3x3 + BN + long skip; two
    [conv 3x3 to ``4 * width`` + PixelShuffle(2) + PReLU]; conv 9x9 to 3 (linear).

    Args:
        n_blocks: residual blocks (16 in the paper).
        width: feature channels (64 in the paper).
        batch_norm: batch norm in the residual blocks and after the trunk (the paper has it;
            ESRGAN-style training drops it).
        skip: ``"none"`` (the paper) or ``"bilinear"``: add the bilinearly enlarged input to
            the output, so the network learns only the missing detail. Such a model starts
            at interpolation quality and beats it after far less training (VDSR's insight).

    Returns:
        Model ``(B, H, W, 3)`` RGB in [0, 1] -> ``(B, 4H, 4W, 3)`` RGB, linear, about [0, 1]
        (clip it). Any H and W.
    """
    _check_positive(n_blocks=n_blocks, width=width)
    if not isinstance(batch_norm, bool):
        raise ValueError(f"batch_norm must be a bool, received {batch_norm!r}.")
    if skip not in ("none", "bilinear"):
        raise ValueError(f"skip must be 'none' or 'bilinear', received {skip!r}.")
    inputs = keras.Input((None, None, 3), name="image")
    head = _prelu("head_prelu")(_conv(inputs, width, 9, "head_conv"))
    x = head
    for i in range(1, n_blocks + 1):
        x = _residual_block(x, width, batch_norm, name=f"res{i}")
    x = _bn(_conv(x, width, 3, "trunk_conv", use_bias=not batch_norm), batch_norm, "trunk_bn")
    x = layers.Add(name="long_skip")([head, x])
    for i in (1, 2):
        x = _conv(x, width * 4, 3, f"up{i}_conv")
        x = _prelu(f"up{i}_prelu")(PixelShuffle(2, name=f"up{i}_shuffle")(x))
    outputs = _conv(x, 3, 9, "output_conv")
    if skip == "bilinear":
        enlarged = BilinearUpsample(SCALE, name="input_upsample")(inputs)
        outputs = layers.Add(name="global_skip")([outputs, enlarged])
    return keras.Model(inputs, outputs, name="srgan")


@register("srgan_discriminator", size_multiple=0, input_range=OUTPUT_RANGE)
def build_srgan_discriminator(patch: int = 96, width: int = 64,
                              dense: int = 1024) -> keras.Model:
    """SRGAN discriminator: eight 3x3 convs, Dense(1024), Dense(1) logits.

    Convs to ``width * (1, 1, 2, 2, 4, 4, 8, 8)`` filters with strides ``(1, 2) * 4``, each
    followed by LeakyReLU(0.2), with batch norm on all but the first; Flatten; Dense(dense) +
    LeakyReLU(0.2); Dense(1).

    Args:
        patch: the fixed height and width of HR patches, a multiple of 16 (96 in the paper).
        width: filters of the first conv.
        dense: units of the hidden dense layer.

    Returns:
        Model ``(B, patch, patch, 3)`` RGB in [0, 1] -> logits ``(B, 1)``.
    """
    _check_positive(patch=patch, width=width, dense=dense)
    if patch % 16:
        raise ValueError(f"patch must be a multiple of 16, received {patch!r}.")
    inputs = keras.Input((patch, patch, 3), name="image")
    x = inputs
    for i, (mult, strides) in enumerate(
        [(1, 1), (1, 2), (2, 1), (2, 2), (4, 1), (4, 2), (8, 1), (8, 2)], start=1
    ):
        x = layers.Conv2D(width * mult, 3, strides=strides, padding="same",
                          name=f"d{i}_conv")(x)
        if i > 1:
            x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"d{i}_bn")(x)
        x = layers.LeakyReLU(0.2, name=f"d{i}_lrelu")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.LeakyReLU(0.2, name="dense_lrelu")(layers.Dense(dense, name="dense")(x))
    outputs = layers.Dense(1, name="logits")(x)
    return keras.Model(inputs, outputs, name="srgan_discriminator")
