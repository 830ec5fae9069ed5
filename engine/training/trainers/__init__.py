"""One trainer per GAN, registered by kind; the shared base class and helpers.

A trainer owns its models, optimizers and compiled steps (``engine.training.step``) and knows
how to do one *training step* (one generator update, with whatever discriminator updates go
with it), how to score and draw the fixed validation inputs, and which generators to export.
The run loop around it (config, checkpoints, history, samples, progress, cancel, export) is
``engine.training.runner`` and is the same for every kind.

Randomness: a step's only random source is the ``np.random.Generator`` the runner passes in,
derived from ``(seed, step)``; batches, GP mixing weights and latent vectors are drawn from it
on the host. Dropout inside a model uses Keras seed generators whose state is checkpointed.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from engine.training import kinds

TRAINERS: dict[str, type[Trainer]] = {}


def register(cls: type[Trainer]) -> type[Trainer]:
    """Class decorator adding a trainer under its ``kind``."""
    TRAINERS[cls.kind] = cls
    return cls


def get(kind: str) -> type[Trainer]:
    """The trainer class of ``kind`` (importing the module its spec names: it imports keras)."""
    spec = kinds.get(kind)
    if kind not in TRAINERS:
        importlib.import_module(spec.trainer)
    return TRAINERS[kind]


@dataclass
class Setup:
    """What a trainer is built from.

    Attributes:
        options: resolved options (the kind's ``defaults`` keys, resolved choices included).
        steps: total training steps (sets the learning-rate schedules).
        batch: images per step.
        crop: training crop side.
        mixed_precision: models are built under the ``mixed_float16`` policy.
    """

    options: dict
    steps: int
    batch: int
    crop: int
    mixed_precision: bool = False


@dataclass
class Export:
    """A generator to put into the model store.

    Attributes:
        task: the task it serves.
        suffix: appended to the export name (``""`` or ``"-inverse"``).
        model: the Keras generator.
        arch: its architecture name in ``engine.models``.
        config: the builder keyword arguments.
        card: model-card entries specific to this generator.
    """

    task: str
    suffix: str
    model: object
    arch: str
    config: dict
    card: dict = field(default_factory=dict)


class Trainer:
    """Base class of the per-GAN trainers.

    Subclasses set the class attributes and implement the methods that raise here.

    Attributes:
        kind: the training kind.
        loss_names: the values ``train_step`` returns (history columns, in order).
        metric: name of the validation metric (lower is better) that picks ``best``.
        metric_help: one line saying what the metric is (written into the model card).
        export_suffixes: what ``exports`` appends to the export name, one per generator.
    """

    kind: ClassVar[str]
    loss_names: ClassVar[tuple[str, ...]]
    metric: ClassVar[str] = "val_l1"
    metric_help: ClassVar[str] = "L1 between output and target on the fixed validation images"
    export_suffixes: ClassVar[tuple[str, ...]] = ("",)

    def __init__(self, setup: Setup, dataset) -> None:
        self.setup = setup
        self.options = setup.options
        self.dataset = dataset
        self.models: dict = {}
        self.optimizers: dict = {}

    @classmethod
    def resolve(cls, options: dict, crop: int) -> dict:
        """Options with run-time choices made (e.g. ``auto`` perceptual loss); checked.

        Raises ``ValueError`` with a sentence for an unusable combination.
        """
        return dict(options)

    def train_step(self, step: int, rng: np.random.Generator) -> dict[str, float]:
        """One generator update (and its discriminator updates); returns ``loss_names``."""
        raise NotImplementedError

    def validate(self, val: dict) -> dict[str, float]:
        """Scores on the fixed validation batch; must include ``metric``."""
        raise NotImplementedError

    def sample_grid(self, val: dict) -> np.ndarray:
        """A picture of the current model on ``val``: ``(H, W, 3)`` float32 in ``[0, 1]``."""
        raise NotImplementedError

    def exports(self) -> list[Export]:
        """Generators to store when the run is exported."""
        raise NotImplementedError

    def lr(self) -> float:
        """The generator's current learning rate."""
        from engine.training.step import current_lr

        return current_lr(self.optimizers["generator"])

    def stage(self, step: int) -> int:
        """Training stage at ``step`` (the best checkpoint restarts with each stage)."""
        return 1

    def state(self) -> dict[str, np.ndarray]:
        """Trainer state to checkpoint beyond models and optimizers."""
        return {}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore what ``state`` returned."""

    def card(self) -> dict:
        """Model-card entries describing how the generator was trained."""
        return {}


def resolve_content(options: dict, choice_key: str, weights_key: str = "vgg19_weights"
                    ) -> dict:
    """Resolve an ``auto`` perceptual choice into ``vgg19`` (with its file) or the fallback.

    Raises ``ValueError`` when ``vgg19`` is asked for and no weights file is found.
    """
    from engine.training.losses import resolve_perceptual

    choice, path = resolve_perceptual(options[choice_key], options.get(weights_key))
    return {**options, choice_key: choice, weights_key: path or ""}


def predict(model, x: np.ndarray) -> np.ndarray:
    """``model`` in inference mode on a numpy batch; float32 numpy out."""
    return np.asarray(model.predict_on_batch(x), dtype=np.float32)


def grid(rows: list[list[np.ndarray]], gap: int = 2) -> np.ndarray:
    """Tile images into a picture: ``rows[r][c]`` are ``(h, w, 1|3)`` in ``[0, 1]``.

    Images are padded to the largest size with white; grey ones are repeated to RGB.
    Returns ``(H, W, 3)`` float32 in ``[0, 1]``.
    """
    cells = [[_rgb(img) for img in row] for row in rows]
    height = max(img.shape[0] for row in cells for img in row)
    width = max(img.shape[1] for row in cells for img in row)
    n_cols = max(len(row) for row in cells)
    out = np.ones((len(cells) * (height + gap) - gap, n_cols * (width + gap) - gap, 3),
                  np.float32)
    for r, row in enumerate(cells):
        for c, img in enumerate(row):
            y, x = r * (height + gap), c * (width + gap)
            out[y:y + img.shape[0], x:x + img.shape[1]] = img
    return out


def _rgb(img: np.ndarray) -> np.ndarray:
    img = np.clip(np.asarray(img, np.float32), 0.0, 1.0)
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


def upsample_nearest(images: np.ndarray, factor: int) -> np.ndarray:
    """``(B, H, W, C)`` -> ``(B, H*f, W*f, C)`` by pixel repetition (for sample grids)."""
    return np.repeat(np.repeat(images, factor, axis=1), factor, axis=2)


def mean_of(logs: list[dict]) -> dict[str, float]:
    """Per-key mean of several steps' logs (scalars only)."""
    return {key: float(np.mean([entry[key] for entry in logs])) for key in logs[0]}
