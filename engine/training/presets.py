"""Training options and the quick / standard / long presets (plain data, no Keras import).

A kind's ``defaults`` list every option its trainer understands (model size, loss weights,
optimizer) with its default; ``photogan train --set NAME=VALUE`` and ``TrainRequest.options``
override them. A preset fixes the run length, batch, crop, sampling/checkpoint cadence and a
model size for a laptop CPU (quick: minutes; standard: under an hour; long: overnight, or far
less on a GPU); the defaults themselves are the published full-size settings.

Each kind's defaults, presets and seconds per step are declared in its spec
(``engine/training/kinds/<kind>.py``); this module reads them.

``estimate_seconds`` gives the wizard a rough duration from the kind's ``seconds_per_step``,
measured on 2 CPU cores with the quick presets (about two minutes each) and scaled by the work
per step.
"""

from __future__ import annotations

import math

from engine.errors import UsageError
from engine.training import kinds
from engine.training.spec import Preset

__all__ = ["COMMON", "KINDS", "PRESET_NAMES", "Preset", "check_kind",
           "estimate_seconds", "option_defaults", "parse_option", "parse_options", "preset",
           "resolve_options"]

KINDS = kinds.KINDS
PRESET_NAMES = ("quick", "standard", "long")

COMMON = {
    "val_count": 4,  # fixed validation images (samples and the best-checkpoint metric)
    "mixed_precision": "auto",  # "auto" (on when a GPU is present), true or false
}


# Seconds per step of each kind's quick preset on 2 shared cores of a server CPU
# (TensorFlow, data loading included; ``KindSpec.seconds_per_step``); other presets are scaled
# by the work per step (batch x crop^2 x width^2 x depth, times ``KindSpec.work_factor``):
# a rough guide for the wizard, which can refine it from images/s.
# Share of a quick step's time that does not grow with the model (data loading and
# degradation, Python, per-op overhead of small convolutions). Calibrated on deblur: the
# long preset's model (ngf 32, 6 blocks, 128 px, batch 4) took 1.2 s/step against the quick
# preset's 0.1 s on the same 2 cores, where scaling the whole step by the work would say 4.6 s.
STEP_OVERHEAD = 0.75
MEASURED_CORES = 2  # seconds_per_step was measured on this many cores
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
    presets = kinds.get(kind).presets
    if name not in presets:
        raise UsageError(f"Unknown preset '{name}'; use one of {', '.join(PRESET_NAMES)}.")
    return presets[name]


def check_kind(kind: str) -> None:
    """``UsageError`` unless ``kind`` is a training kind."""
    kinds.get(kind)


def option_defaults(kind: str) -> dict:
    """Every option of ``kind`` with its default (trainer options and ``COMMON``)."""
    check_kind(kind)
    return {**COMMON, **kinds.get(kind).defaults}


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
    """Defaults < preset options < ``given`` (already parsed), for a new run."""
    return {**option_defaults(kind), **preset(kind, preset_name).options, **given}


def _work(kind: str, batch: int, crop: int, options: dict) -> float:
    width = options.get("ngf", options.get("width", 64))
    depth = options.get("n_blocks", 4) + 4
    return batch * crop * crop * width * width * depth * kinds.get(kind).work_factor(options)


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
    scale = STEP_OVERHEAD + (1 - STEP_OVERHEAD) * work / base
    per_step = kinds.get(kind).seconds_per_step * scale
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
