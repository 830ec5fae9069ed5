"""Feature networks and style images for style transfer.

The ImageNet VGG19 weights (Keras' ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``,
80 MB) are looked for, in order, in the user model store (``<user models>/vgg19/``, or the
weights file of any stored model whose task is ``style``) and in Keras' download cache
(``$KERAS_HOME/models/``, else ``~/.keras/models/``). A file is used only when its MD5 is one
of ``engine.store.vgg19.TRUSTED_VGG19_MD5`` (Keras publishes MD5, not SHA-256, for this file).

Without it, style transfer still runs offline on ``build_random_features``' seeded filters
(on an anti-aliased pyramid, ``build_fallback_features``): random shallow multi-scale filters
already capture texture and style (Ustyuzhaninov et al. 2017; He et al. 2016), at reduced
quality, which ``quality_notice`` tells the user.

This module does not import keras until a network is built, so listing styles and checking
for the weights file stay cheap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from engine.errors import UsageError
from engine.resources import resource_path
from engine.store import catalog, vgg19
from engine.store.vgg19 import STORE_FOLDER, VGG19_NOTOP_FILE, VGG19_NOTOP_MD5, file_md5  # noqa: F401

# The file's identity (name, trusted MD5s) lives with the store: engine.store.vgg19.
STYLE_TASK = "style"

STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
# Gatys et al. match content at conv4_2: deep enough to let textures change, shallow enough
# to keep a photo's shapes (block5_conv2, the Keras example's choice, loses more of them).
VGG_CONTENT_LAYER = "block4_conv2"
# Random filters carry no semantics: content matched on a pooled level keeps only blurry
# blobs of colour, so the fallback matches it at full resolution and keeps the photo sharp.
RANDOM_CONTENT_LAYER = "block1_conv1"
# Binomial low-pass (Burt & Adelson) of the fallback's image pyramid; see build_fallback_features.
PYRAMID_TAPS = (1.0, 4.0, 6.0, 4.0, 1.0)
# Filters per level of the fallback network: many channels make random features describe
# texture well (Ustyuzhaninov et al. 2017), at a cost per iteration.
FALLBACK_WIDTHS = (64, 128, 128, 192, 192)
STYLE_EXTENSIONS = (".jpg", ".jpeg", ".png")

QUALITY_NOTICE = (
    "Style transfer is using a simple built-in feature network, so results are reduced "
    f"quality. For full quality add the ImageNet VGG19 weights file {VGG19_NOTOP_FILE}: "
    "put it in ~/.keras/models/ or import it into the model store."
)


@dataclass(frozen=True)
class FeatureNet:
    """A frozen feature extractor and which of its outputs the losses use.

    Attributes:
        model: ``(1, H, W, 3)`` RGB in ``[0, 1]`` -> dict ``{layer: (1, h, w, C)}``.
        kind: ``"vgg19"`` (ImageNet weights) or ``"random"`` (the fallback).
        content_layer: output matched to the content image.
        style_layers: outputs whose Gram matrices are matched to the style image.
        weights: the VGG19 file used, or ``None`` for the fallback.
    """

    model: Any
    kind: str
    content_layer: str
    style_layers: tuple[str, ...]
    weights: Path | None = None


def keras_models_dir() -> Path:
    """Keras' download cache: ``$KERAS_HOME/models`` or ``~/.keras/models``."""
    home = os.environ.get("KERAS_HOME")
    return Path(home) / "models" if home else Path.home() / ".keras" / "models"


def vgg19_candidates() -> list[Path]:
    """Where a VGG19 weights file may be, in order of preference (existing or not)."""
    found = [catalog.user_models_dir() / STORE_FOLDER / VGG19_NOTOP_FILE]
    found += [m.weights_path for m in catalog.list_models(STYLE_TASK) if m.folder is not None]
    found.append(keras_models_dir() / VGG19_NOTOP_FILE)
    return found


def find_vgg19_weights(trusted_md5: frozenset[str] | None = None) -> Path | None:
    """The first VGG19 ImageNet weights file in ``vgg19_candidates`` whose MD5 is trusted.

    Args:
        trusted_md5: accepted hex digests; ``None`` uses ``vgg19.TRUSTED_VGG19_MD5``.

    Returns:
        The file's path, or ``None`` when no candidate exists and verifies (a truncated
        download or another file with the same name is skipped, not used).
    """
    trusted = vgg19.TRUSTED_VGG19_MD5 if trusted_md5 is None else trusted_md5
    for path in vgg19_candidates():
        try:
            if path.is_file() and file_md5(path) in trusted:
                return path
        except OSError:
            continue
    return None


def quality_notice() -> str | None:
    """``None`` when verified VGG19 weights are present, else the reduced-quality sentence."""
    return None if find_vgg19_weights() is not None else QUALITY_NOTICE


def bundled_styles() -> dict[str, Path]:
    """Style images shipped in ``resources/styles/``: ``{name: path}``, name = file stem."""
    folder = resource_path("styles")
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() in STYLE_EXTENSIONS}


def resolve_style(name_or_path: str) -> Path:
    """A bundled style's file by name (``starry_night``), or an image file by path.

    Raises:
        UsageError: neither a bundled style nor an existing file, listing the bundled names.
    """
    text = str(name_or_path).strip()
    styles = bundled_styles()
    if text in styles:
        return styles[text]
    path = Path(text).expanduser()
    if text and path.is_file():
        return path
    names = ", ".join(styles) or "none installed"
    raise UsageError(f"Parameter 'style_image' must be a bundled style ({names}) or an image "
                     f"file, got {text!r}.")


def load_feature_net(seed: int = 0, weights: Path | None = None) -> FeatureNet:
    """The feature network to use: VGG19 on ``weights`` when given, else the random fallback.

    Networks are built once and cached (per weights file, or per ``seed``), so a batch reuses
    the same model and the compiled loss-and-gradient function that belongs to it.

    Args:
        seed: seed of the fallback network's random filters.
        weights: a verified VGG19 file (``find_vgg19_weights()``), or ``None``.
    """
    if weights is not None:
        return _vgg19(str(weights))
    return _random(int(seed))


@lru_cache(maxsize=2)
def _vgg19(weights: str) -> FeatureNet:
    from engine.models.vgg import build_vgg19_features

    model = build_vgg19_features(STYLE_LAYERS + (VGG_CONTENT_LAYER,), weights_path=weights)
    return FeatureNet(model, "vgg19", VGG_CONTENT_LAYER, STYLE_LAYERS, Path(weights))


@lru_cache(maxsize=4)
def _random(seed: int) -> FeatureNet:
    return FeatureNet(build_fallback_features(seed), "random", RANDOM_CONTENT_LAYER,
                      STYLE_LAYERS)


def build_fallback_features(seed: int = 0):
    """``build_random_features``' seeded filters on an anti-aliased image pyramid.

    ``build_random_features`` halves the image with 2x2 average pooling, whose gradient is
    constant over ``2**k``-pixel blocks; optimising pixels through it paints a visible block
    grid. Here each halving is a 5x5 binomial blur with stride 2 (a Gaussian pyramid), whose
    gradient is smooth; the filters, layer names and output shapes are those of
    ``build_random_features(seed)``.

    Returns:
        Frozen model ``(B, H, W, 3)`` RGB in ``[0, 1]`` -> dict ``{f"block{k}_conv1":
        (B, ceil(H / 2**(k-1)), ceil(W / 2**(k-1)), width_k)}`` for ``k`` in 1..5.
    """
    import keras
    import numpy as np

    from engine.models.vgg import build_random_features

    source = build_random_features(seed=seed, layers=STYLE_LAYERS, widths=FALLBACK_WIDTHS)
    taps = np.asarray(PYRAMID_TAPS, np.float32) / sum(PYRAMID_TAPS)
    blur = np.repeat(np.outer(taps, taps)[:, :, None, None], 3, axis=2)
    inputs = keras.Input((None, None, 3), name="image")
    image = keras.layers.Rescaling(2.0, offset=-1.0, name="center")(inputs)
    outputs = {}
    for level, name in enumerate(STYLE_LAYERS, start=1):
        if level > 1:
            down = keras.layers.DepthwiseConv2D(len(taps), strides=2, padding="same",
                                                use_bias=False, name=f"pyramid{level}")
            image = down(image)
            down.set_weights([blur])
        filters = source.get_layer(name)
        conv = keras.layers.Conv2D(filters.filters, filters.kernel_size, padding="same",
                                   use_bias=False, activation="relu", name=name)
        outputs[name] = conv(image)
        conv.set_weights(filters.get_weights())
    model = keras.Model(inputs, outputs, name="fallback_features")
    model.trainable = False
    return model
