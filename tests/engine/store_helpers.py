"""Tiny stored models for tests: real architectures at toy sizes, saved into a temp store."""

from __future__ import annotations

import keras

from engine.models import build
from engine.store.importers import add_model

TINY = {
    "deblur": ("deblurgan", {"ngf": 4, "n_blocks": 1, "norm": "batch"}),
    "upscale": ("srgan", {"n_blocks": 1, "width": 8}),
    "photo2monet": ("cyclegan_resnet", {"ngf": 4, "n_blocks": 1, "norm": "batch"}),
    "monet2photo": ("cyclegan_unet", {"gf": 4}),
}


def tiny_model(task: str, model_id: str, seed: int = 0, **card):
    """Build the task's architecture at toy size with seeded random weights and store it."""
    arch, config = TINY[task]
    keras.utils.set_random_seed(seed)
    model = build(arch, **config)
    _randomise_norm_stats(model, seed)
    return add_model(model, task, model_id, arch, config, source="trained", card=card)


def _randomise_norm_stats(model, seed: int) -> None:
    """Give batch-norm layers non-trivial statistics so outputs depend on them."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            mean, var = layer.moving_mean, layer.moving_variance
            mean.assign(rng.normal(0, 0.1, mean.shape).astype("float32"))
            var.assign(rng.uniform(0.5, 1.5, var.shape).astype("float32"))
