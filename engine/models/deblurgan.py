"""DeblurGAN (Kupyn et al. 2018): the pix2pix ResNet generator with a global skip.

The generator body is ``cyclegan.resnet_generator_body`` (the official ``ResnetGenerator``);
DeblurGAN's ``learn_residual`` adds the input back and clips. The critic is the official
PatchGAN (``cyclegan.build_patchgan``), used without sigmoid for WGAN-GP.
"""

from __future__ import annotations

import keras

from engine.models import register
from engine.models.cyclegan import RESNET_SIZE_MULTIPLE, build_patchgan, resnet_generator_body
from engine.models.layers import ResidualClip

SIZE_MULTIPLE = RESNET_SIZE_MULTIPLE
VALUE_RANGE = "-1,1"


@register("deblurgan", size_multiple=SIZE_MULTIPLE, input_range=VALUE_RANGE,
          output_range=VALUE_RANGE)
def build_deblurgan_generator(ngf: int = 64, n_blocks: int = 9, norm: str = "instance",
                              upsample: str = "transpose", dropout: float = 0.0,
                              use_bias: bool | None = None) -> keras.Model:
    """DeblurGAN generator: ``clip(x + ResnetGenerator(x), -1, 1)``.

    Args:
        ngf: filters of the first conv (64 official).
        n_blocks: residual blocks (9 official).
        norm: ``"instance"`` (``InstanceNorm2d(affine=False)``) or ``"batch"``.
        upsample: ``"transpose"`` (exactly torch ``ConvTranspose2d(3, 2, 1,
            output_padding=1)``, for official weights) or ``"resize_conv"``.
        dropout: dropout rate inside residual blocks (official ``--use_dropout`` is 0.5).
        use_bias: conv biases; ``None`` = official rule (with instance norm only).

    Returns:
        Model ``(B, H, W, 3)`` blurred RGB in [-1, 1] -> ``(B, H, W, 3)`` sharp RGB in [-1, 1];
        H and W must be multiples of ``SIZE_MULTIPLE`` (4).
    """
    inputs = keras.Input((None, None, 3), name="image")
    residual = resnet_generator_body(inputs, ngf=ngf, n_blocks=n_blocks, norm=norm,
                                     upsample=upsample, dropout=dropout, use_bias=use_bias)
    outputs = ResidualClip(-1.0, 1.0, name="global_skip")([inputs, residual])
    return keras.Model(inputs, outputs, name="deblurgan")


@register("deblurgan_critic")
def build_deblurgan_critic(n_layers: int = 3, ndf: int = 64,
                           norm: str = "instance") -> keras.Model:
    """DeblurGAN WGAN-GP critic: the official PatchGAN without sigmoid.

    Args:
        n_layers: stride-2 convs (3 official).
        ndf: filters of the first conv.
        norm: ``"instance"`` or ``"none"`` (batch norm breaks the gradient penalty).

    Returns:
        Model ``(B, H, W, 3)`` in [-1, 1] -> patch scores ``(B, H / 8 - 2, W / 8 - 2, 1)``
        for three layers (unbounded).
    """
    if norm == "batch":
        raise ValueError(f"A WGAN-GP critic cannot use batch norm, received norm={norm!r}.")
    return build_patchgan(n_layers=n_layers, ndf=ndf, norm=norm, in_channels=3)
