"""DCGAN: the TensorFlow tutorial's 28x28 grey model and the classic 64x64 RGB model
(Radford et al. 2016). Generators map a standard-normal latent vector to an image in [-1, 1];
discriminators return one logit per image.
"""

from __future__ import annotations

import keras
from keras import layers

from engine.models import register
from engine.models.layers import torch_init

VALUE_RANGE = "-1,1"
SIZE_MULTIPLE = 0  # fixed output size: 28 or 64
TUTORIAL_SLOPE = 0.3  # tf.keras LeakyReLU() default, used throughout the tutorial


def _check_positive(**values) -> None:
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, received {value!r}.")


def _check_dropout(dropout) -> None:
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), received {dropout!r}.")


def _bn(name: str):
    return layers.BatchNormalization(name=name)


@register("dcgan28", output_range=VALUE_RANGE, size_multiple=SIZE_MULTIPLE)
def build_dcgan28_generator(latent_dim: int = 100) -> keras.Model:
    """The TensorFlow DCGAN tutorial generator.

    Dense(7*7*256, no bias) + BN + LeakyReLU; reshape 7x7x256; ConvTranspose 5x5 to 128
    (stride 1), 64 (stride 2), 1 (stride 2, tanh), BN + LeakyReLU between.

    Args:
        latent_dim: length of the latent vector (100 in the tutorial).

    Returns:
        Model ``(B, latent_dim)`` standard normal -> ``(B, 28, 28, 1)`` in [-1, 1].
    """
    _check_positive(latent_dim=latent_dim)
    inputs = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(7 * 7 * 256, use_bias=False, name="project")(inputs)
    x = layers.LeakyReLU(TUTORIAL_SLOPE, name="project_lrelu")(_bn("project_bn")(x))
    x = layers.Reshape((7, 7, 256), name="reshape")(x)
    for i, (filters, strides) in enumerate([(128, 1), (64, 2)], start=1):
        x = layers.Conv2DTranspose(filters, 5, strides=strides, padding="same", use_bias=False,
                                   name=f"up{i}_convT")(x)
        x = layers.LeakyReLU(TUTORIAL_SLOPE, name=f"up{i}_lrelu")(_bn(f"up{i}_bn")(x))
    outputs = layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False,
                                     activation="tanh", name="output_convT")(x)
    return keras.Model(inputs, outputs, name="dcgan28")


@register("dcgan28_discriminator", input_range=VALUE_RANGE, size_multiple=SIZE_MULTIPLE)
def build_dcgan28_discriminator(dropout: float = 0.3) -> keras.Model:
    """The TensorFlow DCGAN tutorial discriminator.

    Conv 5x5 stride 2 to 64 and 128, each + LeakyReLU + Dropout; Flatten; Dense(1).

    Args:
        dropout: dropout rate after each conv (0.3 in the tutorial).

    Returns:
        Model ``(B, 28, 28, 1)`` in [-1, 1] -> logits ``(B, 1)``.
    """
    _check_dropout(dropout)
    inputs = keras.Input((28, 28, 1), name="image")
    x = inputs
    for i, filters in enumerate((64, 128), start=1):
        x = layers.Conv2D(filters, 5, strides=2, padding="same", name=f"d{i}_conv")(x)
        x = layers.LeakyReLU(TUTORIAL_SLOPE, name=f"d{i}_lrelu")(x)
        x = layers.Dropout(dropout, name=f"d{i}_dropout")(x)
    outputs = layers.Dense(1, name="logits")(layers.Flatten(name="flatten")(x))
    return keras.Model(inputs, outputs, name="dcgan28_discriminator")


@register("dcgan64", output_range=VALUE_RANGE, size_multiple=SIZE_MULTIPLE)
def build_dcgan64_generator(latent_dim: int = 100, ngf: int = 64) -> keras.Model:
    """Classic DCGAN generator.

    Dense to 4x4x(8 ngf) + BN + ReLU; ConvTranspose 4x4 stride 2 to 4, 2, 1 x ``ngf`` (+ BN +
    ReLU) and to 3 (tanh): 4 -> 8 -> 16 -> 32 -> 64 pixels.

    Args:
        latent_dim: length of the latent vector (100 in the paper).
        ngf: filters of the last hidden layer.

    Returns:
        Model ``(B, latent_dim)`` standard normal -> ``(B, 64, 64, 3)`` RGB in [-1, 1].
    """
    _check_positive(latent_dim=latent_dim, ngf=ngf)
    inputs = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(4 * 4 * ngf * 8, use_bias=False, kernel_initializer=torch_init(),
                     name="project")(inputs)
    x = layers.Reshape((4, 4, ngf * 8), name="reshape")(x)
    x = layers.ReLU(name="project_relu")(_bn("project_bn")(x))
    for i, mult in enumerate((4, 2, 1), start=1):
        x = layers.Conv2DTranspose(ngf * mult, 4, strides=2, padding="same", use_bias=False,
                                   kernel_initializer=torch_init(), name=f"up{i}_convT")(x)
        x = layers.ReLU(name=f"up{i}_relu")(_bn(f"up{i}_bn")(x))
    outputs = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh",
                                     kernel_initializer=torch_init(), name="output_convT")(x)
    return keras.Model(inputs, outputs, name="dcgan64")


@register("dcgan64_discriminator", input_range=VALUE_RANGE, size_multiple=SIZE_MULTIPLE)
def build_dcgan64_discriminator(ndf: int = 64) -> keras.Model:
    """Classic DCGAN discriminator, the generator mirrored.

    Conv 4x4 stride 2 to 1, 2, 4, 8 x ``ndf`` (64 -> 4 pixels), LeakyReLU(0.2), batch norm on
    all but the first; Flatten; Dense(1).

    Args:
        ndf: filters of the first conv.

    Returns:
        Model ``(B, 64, 64, 3)`` RGB in [-1, 1] -> logits ``(B, 1)``.
    """
    _check_positive(ndf=ndf)
    inputs = keras.Input((64, 64, 3), name="image")
    x = inputs
    for i, mult in enumerate((1, 2, 4, 8), start=1):
        x = layers.Conv2D(ndf * mult, 4, strides=2, padding="same", use_bias=i == 1,
                          kernel_initializer=torch_init(), name=f"d{i}_conv")(x)
        if i > 1:
            x = _bn(f"d{i}_bn")(x)
        x = layers.LeakyReLU(0.2, name=f"d{i}_lrelu")(x)
    outputs = layers.Dense(1, name="logits")(layers.Flatten(name="flatten")(x))
    return keras.Model(inputs, outputs, name="dcgan64_discriminator")
