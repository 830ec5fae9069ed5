"""Turns a stored Keras model into a tile ``predict`` function for ``run_tiled``.

One compiled predict function per model serves every tile of one fixed shape (Keras traces it
once per shape), several tiles per call. Inputs and outputs cross the model boundary in the
model's declared value range, converted by ``color``.

On the CPU the model is first given an equivalent inference graph (``inference_model``) that
shares its layers and weights (nothing is copied) and swaps three kinds of layer for faster
stand-ins, registered layers in ``engine/models/`` (measured with ``photogan bench``, see
docs/BENCHMARKS.md):

* a narrow wide-kernel ``Conv2D`` (the generators' last layer) -> ``BlockConv2D``
  (``models/block_conv.py``), the same convolution on a 2x2 space-to-depth view;
* ``InstanceNormalization`` on TensorFlow -> ``FusedInstanceNorm``
  (``models/fused_instance_norm.py``), TensorFlow's fused batch norm for one image;
* ``PReLU`` -> ``FastPReLU`` (``models/fast_prelu.py``), ``max(x, alpha * x)`` when every
  slope is at most 1.

It also estimates a model's working set per tile pixel (``working_set_per_pixel``), which
sizes its tiles (``imaging.tiling.TilingPolicy``).
"""

from __future__ import annotations

import math
import weakref

import numpy as np

from engine import backend
from engine.imaging import color
from engine.imaging.tiling import PredictFn

# Activations alive at once while a generator runs, counted in its largest activation: the
# old fixed figure (64 channels x 4 B x 6) for a 64-filter ResNet generator, and 340 B per
# pixel measured for the deblur U-Net (largest activation 64 B per pixel).
LIVE_ACTIVATIONS = 6
# Input side of the shape-only probe that finds the largest activation.
PROBE_SIDE = 64
# When the probe cannot run (a model that is not functional): a 64-filter generator.
DEFAULT_BYTES_PER_PIXEL = 64 * 4 * LIVE_ACTIVATIONS

_INFERENCE_MODELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_WORKING_SETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def make_predictor(model, input_range: str, output_range: str) -> PredictFn:
    """A batch predict: ``(N, T, T, 3)`` float32 in ``[0, 1]`` -> ``(N, T*s, T*s, 3)`` in
    ``[0, 1]`` (clipped), running ``model`` (via ``inference_model``) in inference mode."""
    fast = inference_model(model)

    def predict(batch: np.ndarray) -> np.ndarray:
        x = color.to_model(batch, input_range)
        y = fast.predict_on_batch(x)
        return color.from_model(np.asarray(y, dtype=np.float32), output_range)

    return predict


def working_set_per_pixel(model) -> float:
    """Bytes of working set per input tile pixel when ``model`` runs: ``LIVE_ACTIVATIONS``
    times its largest float32 activation per input pixel (an upscaler's activations at 4x the
    input size count 16x). Found from shapes alone on a ``PROBE_SIDE`` square input (nothing
    is computed) and cached per model; ``DEFAULT_BYTES_PER_PIXEL`` when that is not
    possible."""
    cached = _WORKING_SETS.get(model)
    if cached is None:
        cached = _largest_activation(model) * 4.0 * LIVE_ACTIVATIONS
        _WORKING_SETS[model] = cached
    return cached


def _largest_activation(model) -> float:
    keras = backend.keras()
    sizes = [3.0]

    def call(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        for tensor in keras.tree.flatten(out):
            sizes.append(math.prod(tensor.shape[1:]) / PROBE_SIDE**2)
        return out

    try:
        keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call,
                                 input_tensors=keras.Input((PROBE_SIDE, PROBE_SIDE, 3)))
    except (ValueError, TypeError):
        return DEFAULT_BYTES_PER_PIXEL / 4.0 / LIVE_ACTIVATIONS
    return max(sizes)


def inference_model(model):
    """``model``, or on the CPU an equivalent functional model sharing its layers and weights
    in which narrow convolutions and (on TensorFlow) instance norms run as faster stand-ins.
    Cached per model.

    Outputs agree with ``model`` to float32 rounding (sums are taken in another order).
    """
    cached = _INFERENCE_MODELS.get(model)
    if cached is not None:
        return cached
    fast = _rewrite(model)
    _INFERENCE_MODELS[model] = fast
    return fast


def _rewrite(model):
    keras = backend.keras()
    if backend.has_gpu() or isinstance(model, keras.Sequential):
        return model
    if not any(_stand_in(layer) for layer in getattr(model, "layers", [])):
        return model

    def call(layer, *args, **kwargs):
        stand_in = _stand_in(layer)
        return (stand_in(layer) if stand_in else layer)(*args, **kwargs)

    try:
        # Reusing the layers (not copies) keeps one set of weights; Keras documents this form.
        return keras.models.clone_model(model, clone_function=lambda layer: layer,
                                        call_function=call)
    except ValueError:  # not a functional model: run it as it is
        return model


def _stand_in(layer):
    """The stand-in class for ``layer``, or ``None`` to keep it."""
    from engine.models.block_conv import BlockConv2D, blockable

    if blockable(layer):
        return BlockConv2D
    if type(layer) is backend.keras().layers.PReLU:
        from engine.models.fast_prelu import FastPReLU

        return FastPReLU
    if backend.backend_name() == "tensorflow":
        from engine.models.fused_instance_norm import FusedInstanceNorm
        from engine.models.layers import InstanceNormalization

        if type(layer) is InstanceNormalization:
            return FusedInstanceNorm
    return None
