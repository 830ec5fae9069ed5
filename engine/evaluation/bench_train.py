"""Training-step rows of ``photogan bench`` (``train-deblur``, ...): how fast the real
trainer's step runs here and what share of the machine's matrix-multiply peak it reaches.

A 2x faster step is 2x more training in the same hours, so the step is measured like
inference: the trainer the ``train`` command builds (same options, losses, optimiser), fed
synthetic crops so no data folder is needed, timed over a few steps after one warm-up step
(which traces the step function). FLOPs per step are ``3 x`` the generator's forward FLOPs
per image (forward, plus the gradients for the activations and the weights, each about a
forward's worth) times the batch; the loss terms (FFT, gradients) are not counted, so the
share is a lower bound of the arithmetic done. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.evaluation.measure import best_time, count_flops
from engine.events import CancelToken

TIMED_STEPS = 4
BACKWARD_FACTOR = 3  # forward + activation gradients + weight gradients


@dataclass(frozen=True)
class TrainBench:
    """A training setting to time: kind, ``--set`` options, batch and crop."""

    kind: str
    options: dict
    batch: int
    crop: int


# The campaign's settings (docs/MODELS.md): the default deblur U-Net on content loss (the
# perceptual term resolves as ``train`` does: VGG19 features when the weights are found).
TRAIN_BENCHES = {
    "train-deblur": TrainBench("deblur", {"arch": "deblur_unet", "width": 16, "adv_weight": 0.0,
                                          "fft_weight": 1.0},
                               batch=8, crop=128),
    "train-deblur-crop192": TrainBench("deblur", {"arch": "deblur_unet", "width": 16,
                                                   "adv_weight": 0.0, "fft_weight": 1.0},
                                        batch=4, crop=192),
}


class SyntheticPairs:
    """A stand-in dataset: ``sample(rng, batch)`` gives ``{"input", "target"}``, each
    ``(batch, crop, crop, 3)`` float32 in ``[0, 1]`` (speed does not depend on content)."""

    def __init__(self, crop: int) -> None:
        self.crop = crop

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        shape = (batch, self.crop, self.crop, 3)
        return {"input": rng.random(shape, dtype=np.float32),
                "target": rng.random(shape, dtype=np.float32)}


@dataclass(frozen=True)
class StepTiming:
    """One timed training setting.

    Attributes:
        seconds: best wall time of one step; images_per_s: ``batch / seconds``.
        flops: FLOPs counted per step (``BACKWARD_FACTOR`` x forward x batch).
        pixels: crop pixels per step (``batch * crop**2``).
        arch, config: the generator trained.
    """

    seconds: float
    images_per_s: float
    flops: float
    pixels: int
    arch: str
    config: dict


def time_train_step(name: str, repeat: int, cancel: CancelToken) -> StepTiming:
    """Build the trainer of ``TRAIN_BENCHES[name]`` and time its step."""
    from engine.training import presets, trainers

    bench = TRAIN_BENCHES[name]
    options = presets.resolve_options(bench.kind, "quick",
                                      presets.parse_options(bench.kind, bench.options))
    trainer_cls = trainers.get(bench.kind)
    options = trainer_cls.resolve(options, bench.crop)
    setup = trainers.Setup(options, steps=1000, batch=bench.batch, crop=bench.crop)
    trainer = trainer_cls(setup, SyntheticPairs(bench.crop))
    rng = np.random.default_rng(0)
    trainer.train_step(0, rng)  # traces the step function

    def steps() -> None:
        for step in range(1, TIMED_STEPS + 1):
            cancel.check()
            trainer.train_step(step, rng)

    seconds = best_time(steps, repeat) / TIMED_STEPS
    forward = count_flops(trainer.models["generator"], (bench.crop, bench.crop, 3))
    return StepTiming(seconds=seconds, images_per_s=bench.batch / seconds,
                      flops=float(BACKWARD_FACTOR * forward * bench.batch),
                      pixels=bench.batch * bench.crop * bench.crop,
                      arch=getattr(trainer, "arch", ""), config=dict(trainer.gen_config))
