"""Maps official PyTorch generators onto our Keras models.

Supported: pytorch-CycleGAN-and-pix2pix ``ResnetGenerator`` state dicts (``style_monet.pth``,
``monet2photo.pth``: resnet_9blocks, ngf 64, instance norm) and DeblurGAN's generator
(``latest_net_G.pth``: the same ResnetGenerator with dropout in the blocks and
``learn_residual``). The layout (ngf, block count, dropout, norm) is read from the keys and
shapes; anything else is refused with a message saying what was found.

Key layout of the official ``nn.Sequential`` (``model.N``), for ``n`` blocks::

    1 conv7x7 | 4, 7 stride-2 convs | 10..9+n ResnetBlock (conv_block.1 and .5, or .6 with
    dropout) | 10+n, 13+n ConvTranspose2d | 17+n conv7x7

Norm layers sit right after each conv (index + 1). Batch norm has ``weight``, ``bias``,
``running_mean``, ``running_var`` (and ``num_batches_tracked``). The official instance norm
(``InstanceNorm2d(affine=False)``) has no weights, but checkpoints saved by the PyTorch
versions of the published files (<= 0.3, and later with ``track_running_stats``) carry
``running_mean`` / ``running_var`` / ``num_batches_tracked`` for it, which the official loader
drops (``__patch_instance_norm_state_dict``); so do we. Every key must find its place: a
missing key, a shape mismatch or a key left over is refused with one line naming the layer.
"""

from __future__ import annotations

import re

import numpy as np

from engine.errors import ModelError

_BLOCK = re.compile(r"^model\.(\d+)\.conv_block\.(\d+)\.weight$")


def detect_resnet_layout(state: dict[str, np.ndarray]) -> dict:
    """Architecture config of an official ResnetGenerator state dict.

    Returns:
        ``{"ngf", "n_blocks", "norm", "dropout"}`` for ``build_resnet_generator``.

    Raises:
        ModelError: when the keys are not a ResnetGenerator's.
    """
    head = state.get("model.1.weight")
    if head is None or head.ndim != 4 or head.shape[2:] != (7, 7):
        found = ", ".join(list(state)[:4])
        raise ModelError("This .pth file is not a pytorch-CycleGAN-and-pix2pix or DeblurGAN "
                         f"ResnetGenerator (its first keys are {found}); unsupported layout.")
    blocks, conv2 = set(), set()
    for key in state:
        match = _BLOCK.match(key)
        if match and state[key].ndim == 4:  # convs only, not batch-norm scales
            blocks.add(int(match.group(1)))
            if int(match.group(2)) > 1:
                conv2.add(int(match.group(2)))
    if not blocks or blocks != set(range(10, 10 + len(blocks))) or len(conv2) != 1:
        raise ModelError("The .pth file's residual blocks are not laid out as in the official "
                         "ResnetGenerator; unsupported layout.")
    return {"ngf": int(head.shape[0]), "n_blocks": len(blocks), "norm": _norm_kind(state),
            "dropout": 0.5 if conv2 == {6} else 0.0}


_NORM_STATS = ("running_mean", "running_var", "num_batches_tracked")


def _norm_kind(state: dict[str, np.ndarray]) -> str:
    """``"batch"`` when the first norm layer (``model.2``) has an affine scale, else
    ``"instance"`` (with or without the running statistics old PyTorch saved for it)."""
    if "model.2.weight" in state:
        if "model.2.running_mean" not in state:
            raise ModelError("The .pth file's norm layer model.2 has a scale but no running "
                             "statistics (an affine instance norm?), which the official "
                             "generators never use; unsupported layout.")
        return "batch"
    return "instance"


def drop_instance_norm_stats(state: dict[str, np.ndarray], layout: dict) -> dict:
    """``state`` without the running statistics of instance-norm layers (what the official
    ``__patch_instance_norm_state_dict`` removes); batch-norm files are returned unchanged."""
    if layout["norm"] != "instance":
        return state
    return {k: v for k, v in state.items() if k.rsplit(".", 1)[-1] not in _NORM_STATS}


def _conv(weight: np.ndarray) -> np.ndarray:
    """torch Conv2d ``(out, in, kh, kw)`` -> Keras ``(kh, kw, in, out)``."""
    return np.transpose(weight, (2, 3, 1, 0))


def _conv_transpose(weight: np.ndarray) -> np.ndarray:
    """torch ConvTranspose2d ``(in, out, kh, kw)`` -> Keras Conv2DTranspose
    ``(kh, kw, out, in)``; no spatial flip is needed (checked against torch in the tests)."""
    return np.transpose(weight, (2, 3, 1, 0))


def resnet_assignments(state: dict[str, np.ndarray], layout: dict) -> dict[str, list]:
    """Keras layer name -> weights list, for every layer with weights.

    Instance-norm running statistics are dropped first; then every remaining key must be
    used, and a missing one is named.

    Raises:
        ModelError: a key is missing or left over (one line naming it).
    """
    state = _Tracked(drop_instance_norm_stats(state, layout))
    out = _assignments(state, layout)
    left = [k for k in state if k not in state.used and not k.endswith(".num_batches_tracked")]
    if left:
        raise ModelError(f"The .pth file has tensors the official ResnetGenerator has no "
                         f"place for ({', '.join(left[:3])}); unsupported layout.")
    return out


class _Tracked(dict):
    """A state dict that remembers which keys were read."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.used: set[str] = set()

    def take(self, key: str, layer: str) -> np.ndarray:
        if key not in self:
            raise ModelError(f"The .pth file lacks {key} (for layer {layer}); unsupported "
                             "layout.")
        self.used.add(key)
        return self[key]


def _assignments(state: _Tracked, layout: dict) -> dict[str, list]:
    n = layout["n_blocks"]
    conv2 = 6 if layout["dropout"] else 5
    convs = {"head_conv": 1, "down1_conv": 4, "down2_conv": 7, "output_conv": 17 + n}
    out: dict[str, list] = {}
    for name, index in convs.items():
        out[name] = _with_bias(state, f"model.{index}", _conv)
        if name != "output_conv":
            _add_norm(out, state, f"model.{index + 1}", name.replace("conv", "norm"), layout)
    for i, index in enumerate((10 + n, 13 + n), start=1):
        out[f"up{i}_convT"] = _with_bias(state, f"model.{index}", _conv_transpose)
        _add_norm(out, state, f"model.{index + 1}", f"up{i}_norm", layout)
    for b in range(1, n + 1):
        prefix = f"model.{9 + b}.conv_block"
        out[f"res{b}_conv1"] = _with_bias(state, f"{prefix}.1", _conv)
        _add_norm(out, state, f"{prefix}.2", f"res{b}_norm1", layout)
        out[f"res{b}_conv2"] = _with_bias(state, f"{prefix}.{conv2}", _conv)
        _add_norm(out, state, f"{prefix}.{conv2 + 1}", f"res{b}_norm2", layout)
    return out


def _with_bias(state: _Tracked, prefix: str, convert) -> list:
    weight = state.take(f"{prefix}.weight", prefix)
    if weight.ndim != 4:
        raise ModelError(f"The .pth file's {prefix}.weight has shape {tuple(weight.shape)}, "
                         "not a convolution's; unsupported layout.")
    weights = [convert(weight)]
    if f"{prefix}.bias" in state:
        weights.append(state.take(f"{prefix}.bias", prefix))
    return weights


def _add_norm(out: dict, state: _Tracked, prefix: str, name: str, layout: dict) -> None:
    if layout["norm"] == "batch":
        out[name] = [state.take(f"{prefix}.{k}", prefix) for k in
                     ("weight", "bias", "running_mean", "running_var")]


def load_into(model, assignments: dict[str, list]) -> None:
    """Set each named layer's weights, checking names and shapes first.

    Raises:
        ModelError: a layer is missing from the model or a shape differs.
    """
    layers = {layer.name: layer for layer in model.layers}
    unset = [n for n, layer in layers.items() if layer.get_weights() and n not in assignments]
    if unset:
        raise ModelError(f"The .pth file has no weights for {', '.join(unset[:3])}; "
                         "unsupported layout.")
    for name, weights in assignments.items():
        layer = layers.get(name)
        if layer is None:
            raise ModelError(f"The Keras model has no layer {name}; unsupported layout.")
        expected = [tuple(w.shape) for w in layer.get_weights()]
        given = [tuple(w.shape) for w in weights]
        if expected != given:
            raise ModelError(f"Layer {name} needs weights of shapes {expected}, the .pth "
                             f"file gives {given}.")
    for name, weights in assignments.items():
        layers[name].set_weights([np.asarray(w, dtype=np.float32) for w in weights])
