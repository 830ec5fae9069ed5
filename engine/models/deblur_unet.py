"""A multi-scale encoder-decoder deblurring generator (MIMO-UNet / NAFNet family, CPU-sized).

Camera shake spreads a point over 10-35 pixels; a network needs a receptive field well beyond
that to undo it. The DeblurGAN ResNet generator works at 1/4 resolution at best, with 3x3
convolutions, and sees about 40 px. This U-Net halves the resolution ``depth`` times (1/8 by
default), so the blocks at the bottom see 100+ px of context for the same cost per pixel at
every level (channels double as the area quarters), then comes back up with additive skips.

Each block is ``x + s * conv3x3(relu(conv3x3(x)))`` with a learned per-channel ``s``
(``ChannelScale``, started small), and the output is a residual added to the input
(``ResidualClip``): a fresh network is close to the identity, so it never makes a sharp photo
worse while it learns. Only local operations (no global pooling, no per-image normalisation),
so tiled output equals whole-image output away from the tile borders.
"""

from __future__ import annotations

import keras
from keras import layers

from engine.models import register
from engine.models.channel_scale import ChannelScale
from engine.models.layers import ResidualClip

VALUE_RANGE = "-1,1"
DEPTH = 3
SIZE_MULTIPLE = 2**DEPTH


def _block(x, channels: int, name: str):
    """Residual block: ``x + scale * conv(relu(conv(x)))``, shape unchanged."""
    y = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(x)
    y = layers.ReLU(name=f"{name}_relu")(y)
    y = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(y)
    y = ChannelScale(init=0.1, name=f"{name}_scale")(y)
    return layers.Add(name=f"{name}_add")([x, y])


@register("deblur_unet", size_multiple=SIZE_MULTIPLE, input_range=VALUE_RANGE,
          output_range=VALUE_RANGE)
def build_deblur_unet(width: int = 24, enc_blocks=(1, 2, 2), mid_blocks: int = 4,
                      dec_blocks=(2, 2, 1)) -> keras.Model:
    """Deblurring U-Net: ``clip(x + UNet(x), -1, 1)``.

    Args:
        width: channels at full resolution; level ``i`` has ``width * 2**i``.
        enc_blocks: residual blocks at each encoder level, full resolution first; its length
            is the number of halvings (3: the bottom runs at 1/8).
        mid_blocks: blocks at the bottom level.
        dec_blocks: blocks at each decoder level, coarsest first (same length).

    Returns:
        Model ``(B, H, W, 3)`` blurred RGB in [-1, 1] -> ``(B, H, W, 3)`` sharp RGB in
        [-1, 1]; H and W must be multiples of ``2 ** len(enc_blocks)`` (8 by default).

    Example:
        >>> model = build_deblur_unet(width=8)
        >>> model(np.zeros((1, 32, 48, 3), "float32")).shape
        (1, 32, 48, 3)
    """
    enc_blocks, dec_blocks = tuple(enc_blocks), tuple(dec_blocks)
    if len(enc_blocks) != len(dec_blocks) or not enc_blocks:
        raise ValueError(f"enc_blocks and dec_blocks must have the same non-zero length, "
                         f"received {enc_blocks!r} and {dec_blocks!r}.")
    if int(width) < 1:
        raise ValueError(f"width must be a positive int, received {width!r}.")
    inputs = keras.Input((None, None, 3), name="image")
    channels = int(width)
    x = layers.Conv2D(channels, 3, padding="same", name="head_conv")(inputs)
    skips = []
    for level, count in enumerate(enc_blocks):
        for i in range(count):
            x = _block(x, channels, f"enc{level}_{i}")
        skips.append(x)
        channels *= 2
        x = layers.Conv2D(channels, 2, strides=2, name=f"down{level}")(x)
    for i in range(mid_blocks):
        x = _block(x, channels, f"mid_{i}")
    for level, count in zip(reversed(range(len(enc_blocks))), dec_blocks):
        channels //= 2
        x = layers.Conv2DTranspose(channels, 2, strides=2, name=f"up{level}")(x)
        x = layers.Add(name=f"skip{level}")([x, skips[level]])
        for i in range(count):
            x = _block(x, channels, f"dec{level}_{i}")
    residual = layers.Conv2D(3, 3, padding="same", name="output_conv")(x)
    outputs = ResidualClip(-1.0, 1.0, name="global_skip")([inputs, residual])
    return keras.Model(inputs, outputs, name="deblur_unet")
