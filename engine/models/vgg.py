"""Feature extractors for perceptual and style losses.

``build_vgg19_features`` is VGG19 with ``keras.applications.vgg19`` layer names, so the ImageNet
file ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`` loads by layer name through
``load_vgg19_h5``. ``build_random_features`` is the fallback when that file is absent: a cheap,
seeded, multi-scale random filter bank (random shallow multi-scale filters already capture
texture and style, Ustyuzhaninov et al. 2017, "What does it take to generate natural
textures?") with the same interface.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from engine.errors import ModelError
from engine.models import register
from engine.models.layers import VGGPreprocess

VALUE_RANGE = "0,1"
SIZE_MULTIPLE = 1
VGG19_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))  # (filters, convs) per block
VGG19_LAYERS = tuple(
    name
    for block, (_, convs) in enumerate(VGG19_BLOCKS, start=1)
    for name in [f"block{block}_conv{i}" for i in range(1, convs + 1)] + [f"block{block}_pool"]
)
DEFAULT_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")
RANDOM_LAYERS = DEFAULT_LAYERS
RANDOM_WIDTHS = (48, 64, 96, 128, 128)
RANDOM_KERNEL = 7
EXPECTED_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"


def _check_layers(requested, known) -> tuple[str, ...]:
    requested = (requested,) if isinstance(requested, str) else tuple(requested)
    unknown = [name for name in requested if name not in known]
    if not requested or unknown:
        raise ValueError(
            f"layers must be a non-empty selection of {known}, received {requested!r}."
        )
    return requested


@register("vgg19_features", input_range=VALUE_RANGE, size_multiple=SIZE_MULTIPLE)
def build_vgg19_features(layers=DEFAULT_LAYERS, weights_path: str | Path | None = None
                         ) -> keras.Model:
    """VGG19 convolutional trunk returning the activations of ``layers``.

    Built only up to the deepest requested layer. Layer names match
    ``keras.applications.vgg19`` (``block1_conv1`` ... ``block5_conv4``, ``block1_pool`` ...).
    The model is frozen (``trainable=False``).

    Args:
        layers: names from ``VGG19_LAYERS`` whose activations are returned.
        weights_path: the Keras ImageNet ``...notop.h5`` file, loaded with ``load_vgg19_h5``;
            ``None`` leaves random weights.

    Returns:
        Model ``(B, H, W, 3)`` RGB in [0, 1] -> dict ``{name: (B, H / 2**k, W / 2**k, C)}``
        of ReLU activations (``k`` = pools before the layer). Any H and W; a layer after ``k``
        pools needs H, W >= ``2**k``.

    Raises:
        ValueError: an unknown layer name.
        ModelError: ``weights_path`` is missing or is not a VGG19 weights file.
    """
    requested = _check_layers(layers, VGG19_LAYERS)
    last = max(VGG19_LAYERS.index(name) for name in requested)
    inputs = keras.Input((None, None, 3), name="image")
    x = VGGPreprocess(name="preprocess")(inputs)
    found = {}
    for name in VGG19_LAYERS[: last + 1]:
        block = int(name[5])
        if name.endswith("_pool"):
            x = keras.layers.MaxPooling2D(2, strides=2, name=name)(x)
        else:
            filters = VGG19_BLOCKS[block - 1][0]
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu",
                                    name=name)(x)
        found[name] = x
    model = keras.Model(inputs, {name: found[name] for name in requested},
                        name="vgg19_features")
    model.trainable = False
    if weights_path is not None:
        load_vgg19_h5(model, weights_path)
    return model


def _layer_arrays(group) -> list[np.ndarray]:
    """A legacy Keras h5 layer group's weights, in the layer's order (kernel, bias)."""
    names = [n.decode() if isinstance(n, bytes) else str(n)
             for n in group.attrs.get("weight_names", [])]
    if names:
        return [np.asarray(group[name]) for name in names]
    datasets = []

    def collect(name, obj):
        if hasattr(obj, "shape"):
            datasets.append((name, obj))

    group.visititems(collect)
    datasets.sort(key=lambda item: (-len(item[1].shape), item[0]))  # kernels before biases
    return [np.asarray(obj) for _, obj in datasets]


def load_vgg19_h5(model: keras.Model, path: str | Path) -> list[str]:
    """Load a legacy Keras ``.h5`` weights file into ``model`` by layer name.

    Reads, with h5py, one group per layer name (under ``model_weights`` for whole-model
    files), taking the datasets listed in the group's ``weight_names`` attribute (Keras 1/2
    ``block1_conv1_W_1:0``-style or nested ``block1_conv1/kernel:0``), else every dataset in
    it, kernel first. Keras 3's ``load_weights`` has no ``by_name`` for these files, and a
    truncated trunk has fewer layers than the file, hence this loader. Layers of the file the
    model lacks (deeper blocks) are ignored. Nothing is assigned unless every layer fits.

    Args:
        model: a model from ``build_vgg19_features`` (or any model with matching names).
        path: the weights file.

    Returns:
        Names of the layers that received weights.

    Raises:
        ModelError: the file is missing, is not HDF5, lacks one of the model's layers, or a
            weight has the wrong shape.
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"VGG19 weights file not found: {path}. Expected {EXPECTED_FILE}.")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise ModelError(f"{path} is not an HDF5 weights file ({exc}). "
                         f"Expected {EXPECTED_FILE}.") from exc
    with handle:
        root = handle.get("model_weights", handle)
        targets = [layer for layer in model.layers if layer.weights]
        missing = [layer.name for layer in targets if layer.name not in root]
        if missing:
            raise ModelError(f"{path} is not a VGG19 weights file: it has no weights for "
                             f"layers {missing}. Expected {EXPECTED_FILE}.")
        arrays = {layer.name: _layer_arrays(root[layer.name]) for layer in targets}
    for layer in targets:
        _check_shapes(layer, arrays[layer.name], path)
    for layer in targets:
        layer.set_weights(arrays[layer.name])
    return [layer.name for layer in targets]


def _check_shapes(layer, arrays: list[np.ndarray], path: Path) -> None:
    expected = [tuple(w.shape) for w in layer.weights]
    received = [tuple(a.shape) for a in arrays]
    if expected != received:
        raise ModelError(f"{path}: layer {layer.name} expects weight shapes {expected}, "
                         f"received {received}. Expected {EXPECTED_FILE}.")


@register("random_features", input_range=VALUE_RANGE, size_multiple=SIZE_MULTIPLE)
def build_random_features(seed: int = 0, layers=DEFAULT_LAYERS,
                          widths=RANDOM_WIDTHS) -> keras.Model:
    """Seeded multi-scale random filter bank, a drop-in for ``build_vgg19_features``.

    Level ``k`` (1..5) average-pools the centred image ``2**(k-1)`` times and applies a
    7x7 conv with He-scaled Gaussian random weights (no bias) + ReLU, named
    ``block{k}_conv1`` so it answers to the same names and scales as VGG19's ``blockk_conv1``.
    Weights come from ``numpy.random.default_rng(seed)``: the same on every backend and
    every build. Frozen.

    Args:
        seed: random seed of the filters.
        layers: names from ``RANDOM_LAYERS`` to return.
        widths: filters per level (five ints).

    Returns:
        Model ``(B, H, W, 3)`` RGB in [0, 1] -> dict ``{name: (B, H / 2**(k-1),
        W / 2**(k-1), width_k)}`` of non-negative features.
    """
    requested = _check_layers(layers, RANDOM_LAYERS)
    widths = tuple(widths)
    if len(widths) != len(RANDOM_LAYERS) or not all(isinstance(w, int) and w > 0
                                                    for w in widths):
        raise ValueError(f"widths must be {len(RANDOM_LAYERS)} positive ints, received "
                         f"{widths!r}.")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, received {seed!r}.")
    levels = max(RANDOM_LAYERS.index(name) for name in requested) + 1
    inputs = keras.Input((None, None, 3), name="image")
    image = keras.layers.Rescaling(2.0, offset=-1.0, name="center")(inputs)
    found, convs = {}, []
    for k in range(1, levels + 1):
        if k > 1:
            image = keras.layers.AveragePooling2D(2, name=f"pyramid{k}")(image)
        conv = keras.layers.Conv2D(widths[k - 1], RANDOM_KERNEL, padding="same",
                                   use_bias=False, activation="relu", name=f"block{k}_conv1")
        found[f"block{k}_conv1"] = conv(image)
        convs.append(conv)
    model = keras.Model(inputs, {name: found[name] for name in requested},
                        name="random_features")
    rng = np.random.default_rng(seed)
    for conv in convs:
        shape = tuple(conv.kernel.shape)
        std = np.sqrt(2.0 / np.prod(shape[:3]))
        conv.set_weights([(rng.standard_normal(shape) * std).astype("float32")])
    model.trainable = False
    return model
