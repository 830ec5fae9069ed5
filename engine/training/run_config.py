"""A training run's settings: the request, ``config.json`` and how a new or resumed run
resolves them (preset, options, crop, steps from epochs, the dataset).

On resume the saved config wins: only ``steps``/``epochs``, the data folders, the sampling
and checkpoint cadence and ``export`` may change (see ``engine.training.runner``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from engine import backend
from engine.atomic import write_text_atomic
from engine.errors import HINT_CROP, HINT_DATA, HINT_RESUME, UsageError
from engine.training import distributed, kinds, presets
from engine.training.request import TrainRequest

CONFIG = "config.json"
HISTORY = "history.csv"
SUMMARY = "summary.json"


@dataclass
class RunConfig:
    """``config.json``: a run's resolved settings."""

    kind: str
    data: str
    data_b: str | None
    preset: str
    steps: int
    batch: int
    crop: int
    seed: int
    sample_every: int
    checkpoint_every: int
    options: dict
    epochs: float | None = None
    mixed_precision: bool = False
    backend: str = ""
    init_from: str | None = None
    version: int = 1

    def save(self, out: Path) -> None:
        write_text_atomic(out / CONFIG, json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, out: Path) -> RunConfig:
        data = json.loads((out / CONFIG).read_text(encoding="utf-8"))
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


# --- configuration ---------------------------------------------------------------------------


def _positive(name: str, value) -> None:
    if value is not None and (not isinstance(value, (int, float)) or value <= 0):
        raise UsageError(f"{name} must be a positive number, got {value!r}.")


def _check_request(req: TrainRequest) -> None:
    presets.check_kind(req.kind)
    for name in ("steps", "epochs", "batch", "crop", "sample_every", "checkpoint_every"):
        _positive(name, getattr(req, name))
    if req.steps is not None and req.epochs is not None:
        raise UsageError("Give either steps or epochs, not both.")


def _dataset_size(dataset) -> int:
    info = dataset.describe()
    return int(info.get("pairs") or max(info.get("images", 0), info.get("images_b", 0)) or 1)


def _steps_for(req: TrainRequest, preset: presets.Preset, batch: int, dataset) -> int:
    if req.steps is not None:
        return int(req.steps)
    if req.epochs is not None:
        return max(1, math.ceil(req.epochs * _dataset_size(dataset) / batch))
    return preset.steps


def _crop_for(kind: str, requested: int | None, preset: presets.Preset, options: dict) -> int:
    sizes = kinds.get(kind).crop_sizes
    if sizes is None:
        return int(requested or preset.crop)
    size = sizes.get(options["arch"])
    if size is None:
        raise UsageError(f"arch must be one of {', '.join(sizes)}, got "
                         f"{options['arch']!r}.")
    if requested and requested != size:
        raise UsageError(f"{options['arch']} makes {size}x{size} images; train on "
                         f"{size}-pixel crops.", hint=HINT_CROP, size=size)
    return size


def _mixed(choice) -> bool:
    """``auto``: as inference decides (a GPU is present; ``PHOTOGAN_MIXED_PRECISION``)."""
    if choice == "auto":
        from engine.store.loader import use_mixed_precision

        return use_mixed_precision()
    return bool(choice)


def _resolve(cls, options: dict, crop: int) -> dict:
    try:
        return cls.resolve(options, crop)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _new_config(req: TrainRequest, dataset):
    """A new run's config (and its dataset, which decides steps for ``epochs``)."""
    from engine.training import trainers

    if req.data is None:
        raise UsageError(f"Training {req.kind} needs a data folder.", hint=HINT_DATA)
    name = req.preset or "quick"
    preset = presets.preset(req.kind, name)
    options = presets.resolve_options(req.kind, name, presets.parse_options(req.kind,
                                                                            req.options))
    crop = _crop_for(req.kind, req.crop, preset, options)
    batch = int(req.batch or preset.batch)
    seed = int(req.seed or 0)
    options = _resolve(trainers.get(req.kind), options, crop)
    if dataset is None:
        dataset = _make_dataset(req.kind, req.data, req.data_b, crop, seed, options)
    config = RunConfig(
        kind=req.kind, data=str(req.data), data_b=str(req.data_b) if req.data_b else None,
        preset=name, steps=_steps_for(req, preset, batch, dataset), batch=batch, crop=crop,
        seed=seed, sample_every=int(req.sample_every or preset.sample_every),
        checkpoint_every=int(req.checkpoint_every or preset.checkpoint_every),
        options=options, epochs=req.epochs, mixed_precision=_mixed(options["mixed_precision"]),
        backend=backend.backend_name(), init_from=req.init_from or None,
    )
    return config, dataset


def _resumed_config(req: TrainRequest, out: Path, dataset):
    """The saved config with the changes a resume allows; ``UsageError`` for others."""
    config = RunConfig.load(out)
    if config.kind != req.kind:
        raise UsageError(f"{out} holds a {config.kind} run, not {req.kind}.")
    given = presets.parse_options(config.kind, req.options)
    changed = [f"{k}={v!r} (saved {config.options.get(k)!r})" for k, v in given.items()
               if config.options.get(k) != v]
    changed += [f"{k}={getattr(req, k)!r} (saved {getattr(config, k)!r})"
                for k in ("batch", "crop", "init_from")
                if getattr(req, k) not in (None, getattr(config, k))]
    if changed:
        raise UsageError(f"Resuming continues {out} with its saved settings; these differ: "
                         f"{', '.join(changed)}. Drop them, or start a new run folder.")
    if req.data is not None:
        config.data = str(req.data)
    if req.data_b is not None:
        config.data_b = str(req.data_b)
    config.sample_every = int(req.sample_every or config.sample_every)
    config.checkpoint_every = int(req.checkpoint_every or config.checkpoint_every)
    if dataset is None:
        dataset = _make_dataset(config.kind, config.data, config.data_b, config.crop,
                                config.seed, config.options)
    if req.steps is not None or req.epochs is not None:
        config.steps = _steps_for(req, presets.preset(config.kind, config.preset),
                                  config.batch, dataset)
        config.epochs = req.epochs
    return config, dataset


def _make_dataset(kind: str, data, data_b, crop: int, seed: int, options: dict):
    """The run's dataset: the kind's own (``KindSpec.run_dataset``, e.g. a deblur GPU kit)
    or ``datasets.make_dataset`` on its layout."""
    from engine.training.datasets import make_dataset

    special = kinds.get(kind).run_dataset
    dataset = special(data, data_b, crop, seed, options) if special else None
    if dataset is not None:
        return dataset
    return make_dataset(kind, Path(data), Path(data_b) if data_b else None, crop=crop,
                        seed=seed, degradation=options.get("degradation", "realistic"),
                        plain_crops=options.get("plain_crops", 0.0),
                        bokeh_share=options.get("bokeh_share", 0.0))


def _prepare(req: TrainRequest, dataset) -> tuple[RunConfig, object]:
    out = Path(req.out)
    has_run = (out / CONFIG).is_file()
    if req.resume and not has_run:
        raise UsageError(f"There is no training run to resume in {out}.")
    if not req.resume and has_run:
        raise UsageError(f"{out} already holds a training run.", hint=HINT_RESUME)
    distributed.barrier()  # every rank has looked before rank 0 writes
    if has_run:
        config, dataset = _resumed_config(req, out, dataset)
    else:
        config, dataset = _new_config(req, dataset)
    if distributed.is_writer():
        out.mkdir(parents=True, exist_ok=True)
        config.save(out)
    return config, dataset
