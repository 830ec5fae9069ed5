"""Training options and the quick / standard / long presets (plain data, no Keras import).

``DEFAULTS[kind]`` lists every option a trainer understands (model size, loss weights,
optimizer) with its default; ``photogan train --set NAME=VALUE`` and ``api.train(options=...)``
override them. A preset fixes the run length, batch, crop, sampling/checkpoint cadence and a
model size for a laptop CPU (quick: minutes; standard: under an hour; long: overnight, or far
less on a GPU); the defaults themselves are the published full-size settings.

Why the deblur generator defaults to ``norm="batch"``: shipped models run *tiled* on large
photos. Instance norm normalises each tile by that tile's own statistics, so a tile's output
depends on what else is in the tile and seams or tone shifts appear between tiles; batch norm
in inference mode uses fixed, learned statistics, so tiled and whole-image inference agree.
The WGAN-GP critic never uses batch norm (the gradient penalty is per sample): ``instance``
(DeblurGAN) or ``none``. CycleGAN keeps the official instance norm (batch size 1 makes batch
norm statistics meaningless there); its outputs can differ slightly between tiles.

``estimate_seconds`` gives the wizard a rough duration from ``SECONDS_PER_STEP``, measured on
2 CPU cores with the quick presets (about two minutes each) and scaled by the work per step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.errors import UsageError

KINDS = ("deblur", "upscale", "cyclegan", "dcgan")
PRESET_NAMES = ("quick", "standard", "long")

COMMON = {
    "val_count": 4,  # fixed validation images (samples and the best-checkpoint metric)
    "mixed_precision": "auto",  # "auto" (on when a GPU is present), true or false
}

DEFAULTS: dict[str, dict] = {
    "deblur": {
        "ngf": 64, "n_blocks": 9, "norm": "batch", "upsample": "resize_conv", "dropout": 0.0,
        "ndf": 64, "d_layers": 3, "d_norm": "instance",
        "n_critic": 5, "gp_weight": 10.0, "adv_weight": 1.0,
        "perceptual": "auto", "perceptual_weight": 100.0, "perceptual_layer": "block3_conv3",
        "vgg19_weights": "", "plain_crops": 0.3,
        "lr": 1e-4, "beta_1": 0.5, "beta_2": 0.999, "decay_start": 0.5,
        # arch "deblur_unet" (engine/models/deblur_unet.py) uses "width" instead of ngf and
        # n_blocks; degradation "heavy" trains on engine/training/heavy_blur.py's mix.
        "arch": "deblurgan", "width": 24, "fft_weight": 0.0, "degradation": "mild",
    },
    "upscale": {
        "n_blocks": 16, "width": 64, "batch_norm": True, "skip": "none",
        "d_width": 64, "d_dense": 1024,
        "stage1_fraction": 0.5, "pixel_loss": "mse", "degradation": "realistic",
        "plain_crops": 0.0,
        "content": "auto", "content_layer": "block5_conv4", "content_weight": 1.0,
        "vgg19_weights": "",
        "adv_weight": 1e-3,
        "lr": 1e-4, "beta_1": 0.9, "beta_2": 0.999, "decay_start": 0.5,
        "final_lr_fraction": 0.1,
    },
    "cyclegan": {
        "ngf": 64, "n_blocks": 9, "norm": "instance", "upsample": "resize_conv",
        "ndf": 64, "d_layers": 3, "d_norm": "instance",
        "cycle_weight": 10.0, "identity_weight": 0.5, "pool_size": 50,
        "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "decay_start": 0.5,
    },
    "dcgan": {
        "arch": "dcgan64", "latent_dim": 100, "ngf": 64, "ndf": 64, "dropout": 0.3,
        "lr": 1e-4, "beta_1": 0.9, "beta_2": 0.999, "decay_start": 1.0,
    },
}
DEFAULTS["dcgan"] = {**DEFAULTS["dcgan"], "val_count": 16}


@dataclass(frozen=True)
class Preset:
    """A run length and model size.

    Attributes:
        steps: generator updates.
        batch: images per update.
        crop: training crop side in pixels (the high-resolution side for upscale; the image
            size for dcgan).
        sample_every: steps between sample grids and validation (and best checkpoints).
        checkpoint_every: steps between ``checkpoints/last`` saves.
        options: overrides of ``DEFAULTS[kind]`` (model size, stages).
    """

    steps: int
    batch: int
    crop: int
    sample_every: int
    checkpoint_every: int
    options: dict = field(default_factory=dict)


PRESETS: dict[str, dict[str, Preset]] = {
    "deblur": {
        "quick": Preset(1000, 2, 64, 100, 100, {"ngf": 16, "n_blocks": 3, "ndf": 16}),
        "standard": Preset(3000, 2, 96, 250, 250, {"ngf": 24, "n_blocks": 4, "ndf": 24}),
        "long": Preset(20000, 4, 128, 1000, 1000, {"ngf": 32, "n_blocks": 6, "ndf": 32}),
    },
    "upscale": {
        "quick": Preset(2000, 4, 64, 100, 100, {"n_blocks": 4, "width": 32,
                                                 "stage1_fraction": 1.0}),
        "standard": Preset(3000, 4, 64, 250, 250, {"n_blocks": 6, "width": 48, "d_width": 32,
                                                   "d_dense": 256}),
        "long": Preset(20000, 4, 96, 1000, 1000, {"n_blocks": 8, "width": 64, "d_width": 32,
                                                  "d_dense": 256}),
    },
    "cyclegan": {
        "quick": Preset(1500, 1, 64, 100, 100, {"ngf": 16, "n_blocks": 3, "ndf": 16}),
        "standard": Preset(4000, 1, 96, 250, 250, {"ngf": 24, "n_blocks": 4, "ndf": 24}),
        "long": Preset(20000, 1, 128, 1000, 1000, {"ngf": 32, "n_blocks": 6, "ndf": 32}),
    },
    "dcgan": {
        "quick": Preset(2000, 16, 64, 100, 100, {"ngf": 16, "ndf": 16}),
        "standard": Preset(5000, 32, 64, 500, 500, {"ngf": 32, "ndf": 32}),
        "long": Preset(20000, 64, 64, 1000, 1000, {"ngf": 64, "ndf": 64}),
    },
}

# Seconds per step of each kind's quick preset on 2 shared cores of a server CPU
# (TensorFlow, data loading included; deblur measured on photos at 0.1 s/step); other presets
# are scaled by the work per step (batch x crop^2 x width^2 x depth, SRGAN's GAN stage ~7.5x
# its pixel stage): a rough guide for the wizard, which can refine it from images/s.
SECONDS_PER_STEP = {"deblur": 0.1, "upscale": 0.04, "cyclegan": 0.07, "dcgan": 0.03}
SRGAN_GAN_STAGE_COST = 7.5
# Share of a quick step's time that does not grow with the model (data loading and
# degradation, Python, per-op overhead of small convolutions). Calibrated on deblur: the
# long preset's model (ngf 32, 6 blocks, 128 px, batch 4) took 1.2 s/step against the quick
# preset's 0.1 s on the same 2 cores, where scaling the whole step by the work would say 4.6 s.
STEP_OVERHEAD = 0.75
MEASURED_CORES = 2  # SECONDS_PER_STEP was measured on this many cores
# What a run costs besides its steps (issue 15: the wizard showed 25 s for a run that took
# 34 s, and 4 s for one that took 9 s). Before the first step: building the models, tracing
# the step, the step-0 validation (seconds, about the same on any device). Each validation
# (a sample grid of the fixed images, and the best checkpoint when it improves) and each
# checkpoint costs about this many of the run's own steps.
STARTUP_SECONDS = 4.0
VALIDATION_STEPS = 4.5
MAX_CPU_SPEEDUP = 4.0  # more cores stop helping much beyond this (small convolutions)
GPU_SPEEDUP = 10.0  # a rough guess for a desktop GPU against the 2 measured cores


def preset(kind: str, name: str) -> Preset:
    """The preset ``name`` of ``kind``; ``UsageError`` for unknown names."""
    check_kind(kind)
    if name not in PRESETS[kind]:
        raise UsageError(f"Unknown preset '{name}'; use one of {', '.join(PRESET_NAMES)}.")
    return PRESETS[kind][name]


def check_kind(kind: str) -> None:
    """``UsageError`` unless ``kind`` is a training kind."""
    if kind not in KINDS:
        raise UsageError(f"Unknown training kind '{kind}'; use one of {', '.join(KINDS)}.")


def option_defaults(kind: str) -> dict:
    """Every option of ``kind`` with its default (trainer options and ``COMMON``)."""
    check_kind(kind)
    return {**COMMON, **DEFAULTS[kind]}


def parse_option(kind: str, name: str, value):
    """Coerce one option value (a string from the command line, or typed) to its default's type.

    Raises:
        UsageError: an unknown option (listing the known ones) or a value of the wrong type.
    """
    defaults = option_defaults(kind)
    if name not in defaults:
        known = ", ".join(sorted(defaults))
        raise UsageError(f"Unknown {kind} training option '{name}'; known options: {known}.")
    default = defaults[name]
    try:
        return _coerce(default, value)
    except ValueError:
        kind_name = type(default).__name__
        raise UsageError(f"Option '{name}' expects {kind_name} values like {default!r}, got "
                         f"{value!r}.") from None


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _coerce(default, value):
    """``value`` as the type of ``default``; ``ValueError`` when it does not fit.

    A default of ``"auto"`` (mixed precision) takes ``auto``, true or false.
    """
    if isinstance(value, str):
        return _from_text(default, value.strip())
    if isinstance(default, bool) or default == "auto":
        if isinstance(value, bool):
            return value
        raise ValueError(value)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(value)
    if isinstance(default, float) and isinstance(value, (int, float)):
        return float(value)
    if isinstance(default, int) and isinstance(value, int):
        return value
    raise ValueError(value)


def _from_text(default, text: str):
    if isinstance(default, bool) or default == "auto":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        if default == "auto" and lowered == "auto":
            return "auto"
        raise ValueError(text)
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def parse_options(kind: str, given: dict) -> dict:
    """Coerce every entry of ``given`` (see ``parse_option``)."""
    return {name: parse_option(kind, name, value) for name, value in given.items()}


def resolve_options(kind: str, preset_name: str, given: dict) -> dict:
    """``DEFAULTS`` < preset options < ``given`` (already parsed), for a new run."""
    return {**option_defaults(kind), **preset(kind, preset_name).options, **given}


def _work(kind: str, batch: int, crop: int, options: dict) -> float:
    width = options.get("ngf", options.get("width", 64))
    depth = options.get("n_blocks", 4) + 4
    work = batch * crop * crop * width * width * depth
    if kind == "upscale":
        gan = 1.0 - options["stage1_fraction"]
        work *= options["stage1_fraction"] + SRGAN_GAN_STAGE_COST * gan
    return work


def estimate_seconds(kind: str, preset_name: str, steps: int | None = None,
                     batch: int | None = None, crop: int | None = None,
                     options: dict | None = None, sample_every: int | None = None) -> float:
    """Rough CPU duration of a run's steps and validations, scaled from the measured quick
    preset (``STARTUP_SECONDS`` not included: it does not scale with the device)."""
    quick = preset(kind, "quick")
    chosen = preset(kind, preset_name)
    opts = {**option_defaults(kind), **chosen.options, **(options or {})}
    base = _work(kind, quick.batch, quick.crop, {**option_defaults(kind), **quick.options})
    work = _work(kind, batch or chosen.batch, crop or chosen.crop, opts)
    per_step = SECONDS_PER_STEP[kind] * (STEP_OVERHEAD + (1 - STEP_OVERHEAD) * work / base)
    steps = steps or chosen.steps
    validations = 1 + math.ceil(steps / (sample_every or chosen.sample_every))
    return (steps + validations * VALIDATION_STEPS) * per_step


def device_factor(gpu: bool, cores: int) -> float:
    """How much faster than the measured 2 CPU cores a device runs (rough, for estimates).

    ``cores / 2`` capped at ``MAX_CPU_SPEEDUP`` for CPUs (never below 1); ``GPU_SPEEDUP``
    for a GPU.
    """
    if gpu:
        return GPU_SPEEDUP
    return min(MAX_CPU_SPEEDUP, max(1.0, cores / MEASURED_CORES))
