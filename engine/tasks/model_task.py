"""The base of every image-to-image task backed by a stored generator (deblur, upscale,
photo<->painting): model selection, the weights check, and tiled inference. The model selection
and weights check (``StoredModelMixin``) are shared with the ``sample`` generate task."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine import photo_norm
from engine.errors import HINT_IMPORT_MODEL, WeightsMissingError
from engine.imaging.image import Image
from engine.imaging.tiling import (
    PredictFn,
    TilingPolicy,
    process_image,
    round_down_side,
    scaled_alpha,
)
from engine.inference import make_predictor, working_set_per_pixel
from engine.store import catalog
from engine.store.loader import load_model
from engine.store.manifest import Manifest
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, Task

MODEL_HELP = "Model from the store to use (`photogan models list`); empty for the default."


class StoredModelMixin:
    """Model selection shared by every task backed by a stored model (image and generate).

    Gives the task a ``model`` parameter (choices: the store's models for the task's ``id``,
    default: its default model) followed by ``extra_params``, and the weights check: a task
    without a model says how to get one and never runs on random weights.
    """

    id: ClassVar[str]
    extra_params: ClassVar[tuple[Param, ...]] = ()

    @property
    def params(self) -> tuple[Param, ...]:  # type: ignore[override]
        names = tuple(m.id for m in catalog.list_models(self.id))
        default = catalog.find(self.id)
        model = Param("model", "str", default.id if default else "", MODEL_HELP, choices=names)
        return (model, *self.extra_params)

    def manifest(self, options: dict | None = None) -> Manifest | None:
        """The model these options select (``None`` when the task has none)."""
        return catalog.find(self.id, (options or {}).get("model", ""))

    def weights_status(self, options: dict | None = None) -> str | None:
        if self.manifest(options) is None:
            return (f"Task '{self.id}' has no trained model installed; import one into the "
                    "model store or train one.")
        return None

    def require_manifest(self, options: dict | None = None) -> Manifest:
        """The selected model's manifest; ``WeightsMissingError`` (saying how to get one) when
        the task has none."""
        manifest = self.manifest(options)
        if manifest is None:
            raise WeightsMissingError(self.weights_status(options), hint=HINT_IMPORT_MODEL,
                                      task=self.id)
        return manifest


class ModelTask(StoredModelMixin, Task):
    """An image task running a stored generator over tiles.

    Subclasses set ``id``, ``title``, ``description``, ``extra_params`` and ``tiling`` (whose
    ``overlap`` is the context in input pixels each tile gets; large enough for the network's
    receptive field to make seams invisible; the size multiple and working set come from the
    model) and may override ``finish`` to post-process the model output.
    """

    tiling: ClassVar[TilingPolicy] = TilingPolicy(overlap=32)
    # Instance-norm generators run the whole photo in one pass up to this side (memory
    # permitting), and tile beyond it with the photo's statistics (``engine.photo_norm``).
    exact_max_tile: ClassVar[int] = 8192

    def output_scale(self, options: dict) -> float:
        manifest = self.manifest(options)
        return float(manifest.scale) if manifest else 1.0

    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        return self.finish(image, self.run_model(image, options, ctx), options, ctx)

    def run_model(self, image: Image, options: dict, ctx: RunContext) -> Image:
        """The selected model's output for ``image`` (pixels ``(H * scale, W * scale, 3)``
        float32 in ``[0, 1]``, alpha brought along), before ``finish``: one exact pass or
        tiles with the photo's statistics for instance-norm generators, tiles otherwise."""
        manifest = self.require_manifest(options)
        model = load_model(manifest)
        if photo_norm.has_instance_norm(model):
            return self.process_exact(image, model, manifest, ctx)
        predict = make_predictor(model, manifest.input_range, manifest.output_range)
        return process_image(image, predict, self.policy(manifest, model), ctx,
                             scale=manifest.scale)

    def policy(self, manifest: Manifest, model=None) -> TilingPolicy:
        """The task's tiling policy for ``manifest``'s model: its size multiple, and the
        working set per tile pixel of ``model`` (``inference.working_set_per_pixel``)."""
        per_pixel = working_set_per_pixel(model) if model is not None else None
        return self.tiling.with_model(manifest.size_multiple, per_pixel)

    def process_exact(self, image: Image, model, manifest: Manifest, ctx: RunContext) -> Image:
        """Run an instance-norm generator as the official code would on the whole photo: one
        pass when the canvas fits the tile budget (``ctx.tile`` squared, or sized from free
        memory), else tiles normalised with the photo's statistics (two passes)."""
        policy = self.policy(manifest, model)
        budget = int(ctx.tile) or round_down_side(policy, self.exact_max_tile)
        pixels = photo_norm.run_exact(
            model, image.pixels, input_range=manifest.input_range,
            output_range=manifest.output_range, scale=manifest.scale, multiple=policy.multiple,
            tile=budget, overlap=policy.overlap, progress=ctx.progress, cancel=ctx.cancel,
            item=ctx.item)
        np.clip(pixels, 0.0, 1.0, out=pixels)
        return image.with_pixels(pixels, scaled_alpha(image, pixels.shape[0], pixels.shape[1],
                                                      ctx))

    def process_with(self, image: Image, predict: PredictFn, manifest: Manifest, options: dict,
                     ctx: RunContext, policy: TilingPolicy | None = None) -> Image:
        """Tile ``predict`` (made from ``manifest``'s model) over ``image`` under ``policy``
        (default: ``self.policy(manifest)``) and ``finish``; what ``process`` does once the
        model is loaded (``photogan bench`` times this path)."""
        policy = policy or self.policy(manifest)
        result = process_image(image, predict, policy, ctx, scale=manifest.scale)
        return self.finish(image, result, options, ctx)

    def finish(self, source: Image, result: Image, options: dict, ctx: RunContext) -> Image:
        """Post-process the model output (default: unchanged)."""
        return result
