"""Loss functions of the four trainers, in ``keras.ops`` (any backend).

Images are NHWC tensors; each function says which value range it expects. Every loss returns
a float32 scalar (inputs are cast, so float16 activations under mixed precision are safe).

Perceptual (content) losses use ImageNet VGG19 features when the weights file is on this
computer (``find_vgg19_weights``); PhotoGAN never downloads it. Without it the documented
fallback is ``l1_gradient_loss``: L1 plus an L1 on finite-difference image gradients at three
scales (full, 1/2, 1/4), which rewards sharp edges the way a feature loss does, at no cost. The
choice is resolved once per run (``resolve_perceptual``), saved in the run config and written
into the model card.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from keras import ops

PERCEPTUAL_CHOICES = ("auto", "vgg19", "l1_gradient")
VGG19_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
# Keras' VGG19 takes caffe inputs (0..255 minus the mean); torchvision's, used by DeblurGAN
# and most SRGAN code, takes (x - mean) / std with std ~ 0.226, so its activations are about
# 255 * 0.226 = 57.6 times smaller. Scaling by this keeps the published loss weights meaningful.
VGG_FEATURE_SCALE = 1.0 / 57.6
GRADIENT_SCALES = 3


def _f32(x):
    return ops.cast(x, "float32")


def l1(a, b):
    """Mean absolute difference of two same-shape tensors."""
    return ops.mean(ops.abs(_f32(a) - _f32(b)))


def mse(a, b):
    """Mean squared difference of two same-shape tensors."""
    return ops.mean(ops.square(_f32(a) - _f32(b)))


def bce_logits(logits, target: float):
    """Binary cross-entropy of ``logits`` against the constant label ``target`` (0 or 1)."""
    logits = _f32(logits)
    labels = ops.full_like(logits, target)
    return ops.mean(ops.binary_crossentropy(labels, logits, from_logits=True))


def lsgan(scores, target: float):
    """Least-squares GAN loss: ``mean((scores - target)^2)`` (Mao et al.; CycleGAN)."""
    return ops.mean(ops.square(_f32(scores) - target))


def image_gradients(x):
    """Forward differences of ``(B, H, W, C)``: ``dy (B, H-1, W, C)``, ``dx (B, H, W-1, C)``."""
    return x[:, 1:, :, :] - x[:, :-1, :, :], x[:, :, 1:, :] - x[:, :, :-1, :]


def multiscale_gradient_l1(a, b, scales: int = GRADIENT_SCALES):
    """L1 between the image gradients of ``a`` and ``b`` at ``scales`` dyadic scales.

    Scale ``s`` average-pools both images by ``2**s`` first; scales an image is too small for
    are skipped. Any value range (differences keep it).
    """
    a, b = _f32(a), _f32(b)
    total = ops.convert_to_tensor(0.0)
    for s in range(scales):
        if s:
            if a.shape[1] is not None and min(a.shape[1], a.shape[2]) < 4:
                break
            a = ops.average_pool(a, 2, 2)
            b = ops.average_pool(b, 2, 2)
        for ga, gb in zip(image_gradients(a), image_gradients(b)):
            total = total + l1(ga, gb)
    return total


def l1_gradient_loss(a, b):
    """The perceptual fallback: ``l1(a, b) + multiscale_gradient_l1(a, b)``; any range."""
    return l1(a, b) + multiscale_gradient_l1(a, b)


def fft_l1(a, b):
    """L1 between the 2-D Fourier transforms of ``a`` and ``b`` (MIMO-UNet's frequency loss).

    Blur removes high frequencies; a pixel loss lets a model leave them faint (a blurry
    average is a safe bet), a loss on the spectrum asks for them directly. The transform is
    orthonormal (divided by ``sqrt(H * W)``), so the value is on the scale of ``l1``.

    Args:
        a, b: ``(B, H, W, C)`` tensors, any value range.

    Returns:
        Scalar: mean over batch, channels and frequencies of ``|Re| + |Im|`` of the
        difference's spectrum.
    """
    diff = ops.transpose(_f32(a) - _f32(b), (0, 3, 1, 2))  # fft2 acts on the last two axes
    real, imag = ops.fft2((diff, ops.zeros_like(diff)))
    norm = ops.sqrt(ops.cast(ops.shape(diff)[2] * ops.shape(diff)[3], "float32"))
    return (ops.mean(ops.abs(real)) + ops.mean(ops.abs(imag))) / norm


def find_vgg19_weights() -> Path | None:
    """The ImageNet VGG19 ``notop`` weights file if present, else ``None`` (never downloads).

    Asks ``engine.style.features.find_vgg19_weights`` when that module exists (style transfer
    owns the search), else looks in ``~/.keras/models``.
    """
    try:
        from engine.style.features import find_vgg19_weights as style_find
    except ImportError:
        style_find = None
    if style_find is not None:
        found = style_find()
        return Path(found) if found else None
    path = Path.home() / ".keras" / "models" / VGG19_FILE
    return path if path.is_file() else None


def resolve_perceptual(choice: str, weights: str | None = None) -> tuple[str, str | None]:
    """``("vgg19", path)`` or ``("l1_gradient", None)`` for a config value.

    Args:
        choice: ``auto`` (VGG19 when its weights are found), ``vgg19`` or ``l1_gradient``.
        weights: an explicit VGG19 weights path (else ``find_vgg19_weights``).

    Raises:
        ValueError: an unknown choice, or ``vgg19`` requested without a weights file.
    """
    if choice not in PERCEPTUAL_CHOICES:
        raise ValueError(f"perceptual must be one of {PERCEPTUAL_CHOICES}, received {choice!r}.")
    if choice == "l1_gradient":
        return choice, None
    path = Path(weights) if weights else find_vgg19_weights()
    if path is not None and path.is_file():
        return "vgg19", str(path)
    if choice == "vgg19":
        raise ValueError(f"perceptual='vgg19' needs the ImageNet VGG19 weights file "
                         f"{VGG19_FILE} (in ~/.keras/models); use perceptual=l1_gradient.")
    return "l1_gradient", None


class PerceptualLoss:
    """MSE between (scaled) VGG19 features of two RGB images in ``[0, 1]``.

    Args:
        layers: VGG19 layer names (``block3_conv3`` for DeblurGAN, ``block5_conv4`` for SRGAN).
        weights_path: the ImageNet weights file; ``None`` keeps random weights (tests only).
        scale: factor on the features before the MSE (``VGG_FEATURE_SCALE``).
    """

    def __init__(self, layers, weights_path: str | None, scale: float = VGG_FEATURE_SCALE):
        from engine.models.vgg import build_vgg19_features

        self.layers = tuple(layers)
        self.model = build_vgg19_features(layers=self.layers, weights_path=weights_path)
        self.scale = float(scale)

    def __call__(self, output, target):
        """``output``, ``target``: ``(B, H, W, 3)`` RGB in ``[0, 1]`` -> scalar."""
        fake = self.model(output, training=False)
        real = self.model(target, training=False)
        total = ops.convert_to_tensor(0.0)
        for name in self.layers:
            total = total + mse(fake[name] * self.scale, ops.stop_gradient(real[name])
                                * self.scale)
        return total / len(self.layers)


def content_loss(choice: str, weights_path: str | None, layers) -> Callable:
    """A loss ``(output, target) -> scalar`` on RGB ``[0, 1]`` images for a resolved choice."""
    if choice == "vgg19":
        return PerceptualLoss(layers, weights_path)
    return l1_gradient_loss
