"""Model-exact inference for generators that normalise per image (instance norm).

Such a generator's output depends on the whole image it is given: each
``InstanceNormalization`` uses that image's per-channel mean and variance, and the borders are
padded by the network itself. So:

* **One pass** when the photo's canvas (reflect-padded at the bottom/right to the size
  multiple, as the official code needs) fits the tile budget: the model sees exactly what the
  official code gives it, and the output is the official one.
* **Statistics passes, then one output pass** when it does not. Tiles of the canvas
  (``imaging.canvas_tiling``) are normalised with the *photo's* statistics, held by
  ``PhotoInstanceNormalization`` layers. Those statistics are gathered over all tiles by
  ``WeightedChannelMoments`` (per-channel weighted sums, with weights that add up to one over
  the tiles at every pixel, so the sums are the whole canvas's). A norm layer's input depends
  on every earlier norm's statistics, so they are gathered one layer at a time: pass ``k``
  runs the network only up to norm ``k`` (Keras prunes the rest), with norms ``< k`` already
  set from the earlier passes, which makes every statistic the one-pass one (up to float32
  sums). Estimating them in fewer passes does not work: on the shipped style model, per-tile
  statistics or a half-size copy's statistics put the output 12-15 levels (mean) off the
  one-pass image, and iterating them diverges (see docs/BENCHMARKS.md). The passes cost
  about ``n_norms / 2`` full passes for a ResNet generator (measured in docs/BENCHMARKS.md);
  the last pass runs the whole network once per tile and blends.

The statistics and apply models are clones of the stored model built with
``keras.models.clone_model``; they share its layers and weights (nothing is copied) and use
only registered layers, so they run on every backend.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from engine import backend
from engine.events import CancelToken, ProgressFn, TileProgress, no_progress
from engine.imaging import canvas_tiling, color
from engine.imaging.tiling import halved_tile, is_out_of_memory

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def is_instance_norm(layer) -> bool:
    """Whether ``layer`` is an ``InstanceNormalization`` (not a subclass)."""
    from engine.models.layers import InstanceNormalization

    return type(layer) is InstanceNormalization


def has_instance_norm(model) -> bool:
    """Whether ``model`` (a functional Keras model) has ``InstanceNormalization`` layers."""
    return any(is_instance_norm(layer) for layer in getattr(model, "layers", []))


@dataclass
class PhotoNormModels:
    """The clones of one model used for tiling with the photo's statistics.

    Attributes:
        moments: per norm layer ``k``, a model ``[image (B, T, T, 3), weights (B, T, T, 1)]``
            -> ``(B, 2 C + 1)`` weighted moments of norm ``k``'s input (running the network
            only that far), with the earlier norms using the photo statistics.
        apply: image -> output, every norm using the photo statistics.
        norms: the ``PhotoInstanceNormalization`` layers, in the order of ``moments``.
    """

    moments: list
    apply: object
    norms: list

    def set_statistics(self, k: int, moments: np.ndarray) -> None:
        """Set norm ``k``'s photo mean and variance from its summed moments ``(2 C + 1,)``."""
        channels = (moments.shape[0] - 1) // 2
        mean = moments[:channels] / moments[-1]
        variance = np.maximum(moments[channels : 2 * channels] / moments[-1] - mean * mean, 0.0)
        self.norms[k].photo_mean.assign(mean.astype(np.float32))
        self.norms[k].photo_variance.assign(variance.astype(np.float32))


def photo_norm_models(model) -> PhotoNormModels:
    """The statistics and apply clones of ``model`` (cached per model)."""
    cached = _CACHE.get(model)
    if cached is None:
        cached = _build(model)
        _CACHE[model] = cached
    return cached


def _build(model) -> PhotoNormModels:
    from engine.models.layers import PhotoInstanceNormalization

    keras = backend.keras()
    photo = {}
    for layer in model.layers:
        if is_instance_norm(layer):
            norm = PhotoInstanceNormalization(
                epsilon=layer.epsilon, center=layer.center, scale=layer.scale,
                name=f"{layer.name}_photo", dtype=layer.dtype_policy)
            photo[id(layer)] = (layer, norm)
    stats, order = _clone(model, photo, with_moments=True)
    apply, _ = _clone(model, photo, with_moments=False)
    for layer, norm in photo.values():  # the original's scale and offset, if any
        for mine, theirs in ((norm.gamma, layer.gamma), (norm.beta, layer.beta)):
            if mine is not None:
                mine.assign(keras.ops.convert_to_tensor(theirs))
    per_norm = [keras.Model(stats.inputs, out, name=f"{model.name}_moments_{k}")
                for k, out in enumerate(stats.outputs)]
    return PhotoNormModels(per_norm, apply, order)


def _clone(model, photo: dict, with_moments: bool):
    """A clone of ``model`` whose instance norms are the photo norms; ``with_moments``, a
    model returning every norm input's weighted moments instead. Also returns the photo
    norms in the order they are called."""
    from engine.models.layers import WeightedChannelMoments

    keras = backend.keras()
    weights = keras.Input((None, None, 1), name="tile_weights")
    moments, order = [], []

    def call(layer, *args, **kwargs):
        if id(layer) not in photo:
            return layer(*args, **kwargs)
        order.append(photo[id(layer)][1])
        if with_moments:
            moments.append(WeightedChannelMoments(name=f"{layer.name}_moments",
                                                  dtype="float32")([args[0], weights]))
        return photo[id(layer)][1](*args, **kwargs)

    clone = keras.models.clone_model(model, clone_function=lambda layer: layer,
                                     call_function=call)
    if not with_moments:
        return clone, order
    return keras.Model([clone.inputs[0], weights], moments, name=f"{model.name}_moments"), order


def run_exact(model, pixels: np.ndarray, *, input_range: str, output_range: str,
              scale: int = 1, multiple: int = 4, tile: int = 1024, overlap: int = 64,
              progress: ProgressFn = no_progress,
              cancel: CancelToken | None = None, item: int | None = None) -> np.ndarray:
    """Run an instance-norm generator on a whole photo, in one pass when its canvas fits in
    ``tile x tile`` pixels, else over tiles with the photo's statistics (one statistics pass
    per norm layer, then the output pass); halves the tile and starts again when memory runs
    out.

    Args:
        pixels: ``(H, W, 3)`` float32 in ``[0, 1]``.
        tile: the tile budget: the canvas runs in one pass when its area is at most
            ``tile ** 2``; otherwise tiles have sides up to ``tile``.
        overlap: context (and blend ramp) width in input pixels at interior tile edges.

    Returns:
        ``(H * scale, W * scale, 3)`` float32, not clipped.
    """
    height, width = pixels.shape[:2]
    floor = canvas_tiling.min_tile(overlap, multiple)
    while True:
        plan = canvas_tiling.plan_canvas(height, width, tile, overlap, multiple)
        if plan.height * plan.width <= tile * tile:
            plan = canvas_tiling.plan_canvas(height, width, max(plan.height, plan.width),
                                             overlap, multiple)
        try:
            return _run(model, pixels, plan, (input_range, output_range), scale,
                        _Report(progress, cancel, item))
        except Exception as exc:
            if not is_out_of_memory(exc):
                raise
            tile = halved_tile(max(plan.tile_shape), floor, multiple, exc)


@dataclass
class _Report:
    progress: ProgressFn
    cancel: CancelToken | None
    item: int | None
    done: int = 0

    def step(self, total: int) -> None:
        self.done += 1
        self.progress(TileProgress(done=self.done, total=total, item=self.item))

    def check(self) -> None:
        if self.cancel is not None:
            self.cancel.check()


def _run(model, pixels, plan, ranges, scale, report: _Report) -> np.ndarray:
    from engine.inference import inference_model

    input_range, output_range = ranges
    report.done = 0
    if plan.count == 1:
        models, passes, final = None, 0, inference_model(model)
    else:
        models = photo_norm_models(model)
        passes, final = len(models.norms), inference_model(models.apply)
    total = plan.count * (passes + 1)
    for k in range(passes):
        moments = _moments(models.moments[k], pixels, plan, input_range, total, report)
        models.set_statistics(k, moments[0])
    h, w = pixels.shape[:2]
    out = np.zeros((h * scale, w * scale, 3), np.float32)
    for i, j, top, left in plan.tiles():
        report.check()
        x = color.to_model(canvas_tiling.canvas_tile(pixels, plan, top, left)[None], input_range)
        y = color.from_model(np.asarray(final.predict_on_batch(x), np.float32), output_range)
        canvas_tiling.blend_into(out, y[0], plan.weights(i, j), top, left, scale)
        report.step(total)
    return out


def _moments(stats, pixels, plan, input_range, total, report: _Report) -> list[np.ndarray]:
    """Per norm layer, the ``(2 C + 1,)`` float64 moments summed over all tiles."""
    sums = None
    for i, j, top, left in plan.tiles():
        report.check()
        x = color.to_model(canvas_tiling.canvas_tile(pixels, plan, top, left)[None], input_range)
        weights = plan.weights(i, j)[None, :, :, None]
        outs = stats.predict_on_batch([x, weights])
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        tile_sums = [np.asarray(o, np.float64)[0] for o in outs]
        sums = tile_sums if sums is None else [a + b for a, b in zip(sums, tile_sums)]
        report.step(total)
    return sums
