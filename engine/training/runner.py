"""The run loop every trainer shares: run folder, resume, history, samples, checkpoints,
progress, cancel and export.

A run folder holds::

    config.json             what was asked for, resolved (kind, folders, steps, options, ...)
    history.csv             step, each loss, lr, the validation metric, images/s, seconds
    samples/step_000100.png input | output | target grids of the fixed validation inputs
    checkpoints/last/       models, optimizers, trainer state and the step (checkpoint.py)
    checkpoints/best/       the same, at the lowest validation metric so far
    summary.json            the outcome of the latest session

**Exact resume.** Everything random in a step comes from ``np.random.default_rng([seed,
step])`` (batches, mixing weights, latents, pool choices), so no generator state has to be
carried; models are built after ``keras.utils.set_random_seed(seed)``; a checkpoint stores
weights, batch-norm statistics, dropout seed states, every optimizer variable (update counts
drive the learning-rate schedules) and trainer state (CycleGAN pools). Resuming from step
``k`` therefore replays steps ``k+1...`` exactly as an uninterrupted run would; history rows
after ``k`` (written before an interruption) are dropped first. Validation never changes
training state. On resume the saved config wins: only ``steps``/``epochs`` (a longer run,
which also stretches the learning-rate schedule), the data folders (moved), the sampling and
checkpoint cadence and ``export`` may change.

**Fine-tuning.** ``init_from`` names a stored model whose weights replace the fresh
generator(s) of a new run before the step-0 validation (``init_generators``); critics start
fresh. A resumed run restores its checkpoint instead.

**Cancel.** The ``CancelToken`` is checked before every step; a cancelled run saves
``checkpoints/last`` at the last completed step and returns ``status="cancelled"``.
"""

from __future__ import annotations

import csv
import json
import math
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from engine import backend
from engine.atomic import write_text_atomic
from engine.errors import HINT_CROP, HINT_DATA, HINT_MODEL_OPTIONS, HINT_RESUME, UsageError
from engine.events import CancelToken, ProgressFn, TrainStep, no_progress
from engine.training import distributed, presets

CONFIG = "config.json"
HISTORY = "history.csv"
SUMMARY = "summary.json"
VALIDATION_SEED = 1234  # one validation set for every seed, so runs compare
DCGAN_SIZES = {"dcgan64": 64, "dcgan28": 28}


@dataclass
class Request:
    """What the caller asked for; ``None`` means "the preset's value" (or the saved one).

    ``options`` may hold strings (from ``--set``) or typed values; see ``presets.DEFAULTS``.
    """

    kind: str
    out: Path
    data: Path | None = None
    data_b: Path | None = None
    steps: int | None = None
    epochs: float | None = None
    batch: int | None = None
    crop: int | None = None
    preset: str | None = None
    resume: bool = False
    export: str | None = None
    seed: int | None = None
    options: dict = field(default_factory=dict)
    sample_every: int | None = None
    checkpoint_every: int | None = None
    init_from: str | None = None


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


def _check_request(req: Request) -> None:
    presets.check_kind(req.kind)
    for name in ("steps", "epochs", "batch", "crop", "sample_every", "checkpoint_every"):
        _positive(name, getattr(req, name))
    if req.steps is not None and req.epochs is not None:
        raise UsageError("Give either steps or epochs, not both.")


def _dataset_size(dataset) -> int:
    info = dataset.describe()
    return int(info.get("pairs") or max(info.get("images", 0), info.get("images_b", 0)) or 1)


def _steps_for(req: Request, preset: presets.Preset, batch: int, dataset) -> int:
    if req.steps is not None:
        return int(req.steps)
    if req.epochs is not None:
        return max(1, math.ceil(req.epochs * _dataset_size(dataset) / batch))
    return preset.steps


def _crop_for(kind: str, requested: int | None, preset: presets.Preset, options: dict) -> int:
    if kind != "dcgan":
        return int(requested or preset.crop)
    size = DCGAN_SIZES.get(options["arch"])
    if size is None:
        raise UsageError(f"arch must be one of {', '.join(DCGAN_SIZES)}, got "
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


def _new_config(req: Request, dataset):
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


def _resumed_config(req: Request, out: Path, dataset):
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
    from engine.training.datasets import make_dataset
    from engine.training.kit_dataset import KitDataset, is_kit

    if kind == "deblur" and is_kit(data):  # a GPU kit (make gpu-kit): heavy mix on the device
        return KitDataset(Path(data), crop=crop, seed=seed,
                          plain_crops=options.get("plain_crops", 0.3))
    return make_dataset(kind, Path(data), Path(data_b) if data_b else None, crop=crop,
                        seed=seed, degradation=options.get("degradation", "realistic"),
                        plain_crops=options.get("plain_crops", 0.0))


def _prepare(req: Request, dataset) -> tuple[RunConfig, object]:
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


# --- history ---------------------------------------------------------------------------------


class History:
    """``history.csv``: one row per step (and a step-0 row with the first validation).

    Values are written with ``repr`` so a resumed run's rows compare exactly.
    """

    def __init__(self, path: Path, loss_names, metric: str) -> None:
        self.path = path
        self.columns = ["step", *loss_names, "lr", metric, "images_per_s", "seconds"]

    def truncate(self, step: int) -> None:
        """Keep the header and the rows up to ``step`` (drops rows of an interrupted run)."""
        rows = [r for r in self.rows() if int(r["step"]) <= step]
        with open(self.path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, self.columns)
            writer.writeheader()
            writer.writerows(rows)

    def append(self, row: dict) -> None:
        cells = {k: ("" if row.get(k) is None else _cell(row[k])) for k in self.columns}
        with open(self.path, "a", newline="", encoding="utf-8") as fh:
            csv.DictWriter(fh, self.columns).writerow(cells)

    def rows(self) -> list[dict]:
        if not self.path.is_file():
            return []
        with open(self.path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))


def _cell(value) -> str:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


# --- the loop --------------------------------------------------------------------------------


@contextmanager
def _precision(mixed: bool):
    """``mixed_float16`` while the run builds and uses models; the old policy after."""
    import keras

    previous = keras.config.dtype_policy()
    if mixed:
        keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def step_rng(seed: int, step: int, rank: int = 0) -> np.random.Generator:
    """The only random source of training step ``step`` (0-based) of a run (of ``rank``'s
    share of it in a distributed run: each rank draws different crops)."""
    return np.random.default_rng([seed, step, rank] if rank else [seed, step])


class _Clock:
    """Step times of this session (the first, which traces and compiles, left out)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def add(self, seconds: float) -> None:
        self.times.append(seconds)

    def per_step(self) -> float:
        recent = self.times[1:][-50:] or self.times
        return float(np.mean(recent)) if recent else 0.0


class _Costs:
    """Seconds spent on validation (with its sample grid) and on checkpoints this session,
    so the time left counts them too, not only the training steps."""

    def __init__(self) -> None:
        self.evaluations: list[float] = []
        self.saves: list[float] = []

    @staticmethod
    def _mean(times: list[float]) -> float:
        recent = times[1:][-10:] or times  # the first validation also traces the model
        return float(np.mean(recent)) if recent else 0.0

    def remaining(self, step: int, total: int, sample_every: int, checkpoint_every: int
                  ) -> float:
        """Expected seconds of the validations and checkpoints still to come after ``step``."""
        def count(every: int) -> int:
            # multiples of ``every`` in (step, total], plus the final step when it is none
            later = total // every - step // every
            return later + (0 if total % every == 0 or step >= total else 1)

        return (count(sample_every) * self._mean(self.evaluations)
                + count(checkpoint_every) * self._mean(self.saves))


class _Run:
    """One session of a run: a trainer, its run folder and the loop state."""

    def __init__(self, out: Path, config: RunConfig, dataset, progress: ProgressFn,
                 cancel: CancelToken) -> None:
        from engine.training import trainers
        from engine.training.step import seed_everything

        self.out, self.config, self.progress, self.cancel = out, config, progress, cancel
        self.rank = distributed.world()[0]
        self.writer = self.rank == 0  # in a distributed run only rank 0 writes files
        seed_everything(config.seed)
        cls = trainers.get(config.kind)
        setup = trainers.Setup(config.options, config.steps,
                               distributed.local_batch(config.batch), config.crop,
                               config.mixed_precision)
        self.trainer = cls(setup, dataset)
        self.val = dataset.validation(config.options["val_count"], seed=VALIDATION_SEED)
        self.history = History(out / HISTORY, cls.loss_names, cls.metric)
        self.state = {"step": 0, "best": None, "best_step": None, "best_stage": 1,
                      "seconds": 0.0, "val_first": None, "val": None, "samples": None}
        self.clock = _Clock()
        self.costs = _Costs()
        self.losses: dict = {}
        self.extra_val: dict = {}

    # checkpoints

    def restore(self) -> bool:
        from engine.training import checkpoint

        found = checkpoint.find(self.out / "checkpoints" / "last")
        if found is None:
            return False
        state, arrays = checkpoint.load(found, self.trainer.models, self.trainer.optimizers)
        self.trainer.load_state(arrays)
        self.state.update({k: v for k, v in state.items() if k in self.state})
        return True

    def save(self, which: str) -> None:
        from engine.training import checkpoint

        if not self.writer:
            return
        # Step randomness is step_rng(seed, step): the seed and the step are the RNG state.
        state = {**self.state, "seed": self.config.seed}
        checkpoint.save(self.out / "checkpoints" / which, self.trainer.models,
                        self.trainer.optimizers, state, self.trainer.state())

    # validation and samples

    def evaluate(self) -> float:
        from engine.imaging import io
        from engine.imaging.image import Image

        step = self.state["step"]
        scores = self.trainer.validate(self.val)
        metric = scores[self.trainer.metric]
        self.extra_val = scores
        path = self.out / "samples" / f"step_{step:06d}.png"
        io.write(Image(pixels=self.trainer.sample_grid(self.val)), path)
        self.state.update(val=metric, samples=str(path))
        if self.state["val_first"] is None:
            self.state["val_first"] = metric
        return metric

    def consider_best(self, metric: float) -> None:
        stage = self.trainer.stage(self.state["step"] - 1)
        if stage != self.state["best_stage"]:
            self.state.update(best=None, best_step=None, best_stage=stage)
        if self.state["best"] is None or metric < self.state["best"]:
            self.state.update(best=metric, best_step=self.state["step"])
            self.save("best")

    # the loop

    def start(self) -> None:
        """Fresh run: history header, and the untrained model's validation as step 0."""
        if not self.writer:
            return
        self.history.truncate(-1)
        metric = self.evaluate()
        self.history.append({"step": 0, self.trainer.metric: metric,
                             "lr": self.trainer.lr()})

    def loop(self) -> str:
        total = self.config.steps
        while self.state["step"] < total:
            if self.cancel.cancelled:
                self.save("last")
                return "cancelled"
            self.one_step()
        return "done"

    def one_step(self) -> None:
        step = self.state["step"]
        lr = self.trainer.lr()
        began = time.perf_counter()
        self.losses = self.trainer.train_step(step, step_rng(self.config.seed, step,
                                                             self.rank))
        elapsed = time.perf_counter() - began
        self.clock.add(elapsed)
        self.state["step"] = step = step + 1
        self.state["seconds"] += elapsed
        metric = None
        sample = step % self.config.sample_every == 0 or step == self.config.steps
        if sample and self.writer:
            began = time.perf_counter()
            metric = self.evaluate()
            self.consider_best(metric)
            self.costs.evaluations.append(time.perf_counter() - began)
        if self.writer:
            self.history.append({"step": step, **self.losses, "lr": lr,
                                 self.trainer.metric: metric,
                                 "images_per_s": self.config.batch / max(elapsed, 1e-9),
                                 "seconds": self.state["seconds"]})
        if step % self.config.checkpoint_every == 0 or step == self.config.steps:
            began = time.perf_counter()
            self.save("last")
            self.costs.saves.append(time.perf_counter() - began)
        self.report(step, metric)

    def images_per_s(self) -> float:
        per_step = self.clock.per_step()
        return self.config.batch / per_step if per_step else 0.0

    def report(self, step: int, metric: float | None) -> None:
        c = self.config
        total = c.steps
        eta = (total - step) * self.clock.per_step() + self.costs.remaining(
            step, total, c.sample_every, c.checkpoint_every)
        self.progress(TrainStep(
            done=step, total=total, losses=dict(self.losses),
            images_per_s=self.images_per_s(), eta_s=eta, samples=self.state["samples"],
            val=metric, lr=self.trainer.lr(), run=str(self.out),
            seconds=self.state["seconds"], metric=self.trainer.metric,
        ))


def train(req: Request, progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
          dataset=None) -> dict:
    """Run (or resume) a training run and return its summary.

    Args:
        req: the request; see ``Request``.
        progress: receives a ``TrainStep`` event after every step.
        cancel: checked before every step; a cancel saves ``checkpoints/last``.
        dataset: a ready dataset (tests); default ``datasets.make_dataset`` on the folders.

    Returns:
        The summary (also written to ``summary.json``): ``status`` (``done`` or
        ``cancelled``), ``step``, ``steps``, ``losses``, ``metric``, ``val``, ``val_first``,
        ``best``, ``best_step``, ``images_per_s``, ``seconds``, ``samples``, ``exports``, ...

    Raises:
        UsageError: bad settings, folders, or a resume that does not fit.
    """
    _check_request(req)
    backend.configure()
    if req.export:
        _check_export_names(req.kind, req.export)
    config, dataset = _prepare(req, dataset)
    out = Path(req.out)
    from engine.training.step import training_session

    cancel = cancel or CancelToken()
    if distributed.world()[1] > 1:
        cancel = distributed.SharedCancel(cancel)
    with _precision(config.mixed_precision), training_session():
        run = _Run(out, config, dataset, progress, cancel)
        resumed = run.restore()
        if not resumed:
            if config.init_from:
                init_generators(run.trainer, config.init_from)
            run.start()
        if run.writer:
            run.history.truncate(run.state["step"])
        run.report(run.state["step"], None if resumed else run.state["val"])
        status = run.loop()
        distributed.sync_state(run.trainer.models.values())
        agree = distributed.replicas_agree(run.trainer.models.values())
        exports = []
        if status == "done" and req.export and run.writer:
            exports = export(run, req.export)
    summary = _summary(run, status, exports)
    if agree is not None:
        summary.update(workers=distributed.world()[1], replicas_identical=agree)
    if run.writer:
        write_text_atomic(out / SUMMARY, json.dumps(summary, indent=2))
    return summary


def _summary(run: _Run, status: str, exports: list[dict]) -> dict:
    c, s = run.config, run.state
    return {
        "status": status, "kind": c.kind, "run": str(run.out), "step": s["step"],
        "steps": c.steps, "losses": run.losses, "metric": run.trainer.metric,
        "val": s["val"], "val_first": s["val_first"], "best": s["best"],
        "best_step": s["best_step"], "validation": run.extra_val,
        "images_per_s": run.images_per_s(), "seconds": s["seconds"],
        "samples": s["samples"], "exports": exports, "backend": c.backend,
        "mixed_precision": c.mixed_precision, "preset": c.preset,
    }


# --- fine-tuning and export ------------------------------------------------------------------


def init_generators(trainer, model_id: str) -> None:
    """Start the run's generator(s) from a stored model: fine-tuning instead of training
    from scratch. CycleGAN takes ``model_id`` (A -> B) and ``model_id-inverse`` (B -> A).

    The model must have the run's architecture and size (``--set`` options); critics start
    fresh. Called on a new run only: a resumed run restores its checkpoint instead.

    Raises:
        UsageError: no such model, or one of another task, architecture or size.
        ModelError: its weights file is missing, corrupt or does not fit.
    """
    from engine.store import catalog
    from engine.store.manifest import verify
    from engine.store.weights import load_weights

    for spec in trainer.exports():
        manifest = catalog.get(f"{model_id}{spec.suffix}")
        if manifest.task != spec.task:
            raise UsageError(f"Model '{manifest.id}' is for task {manifest.task}; fine-tuning "
                             f"a {spec.task} run needs a {spec.task} model.")
        if manifest.arch != spec.arch or manifest.config != spec.config \
                or not manifest.file.endswith(".npz"):
            sets = " ".join(f"{k}={v}" for k, v in manifest.config.items())
            raise UsageError(f"Model '{manifest.id}' ({manifest.arch}, {manifest.config}) does "
                             f"not have this run's generator ({spec.arch}, {spec.config}). "
                             f"Train with the model's size: {sets or 'its own options'}.",
                             hint=HINT_MODEL_OPTIONS, options=dict(manifest.config))
        verify(manifest)
        load_weights(spec.model, manifest.weights_path)




def _check_export_names(kind: str, name: str) -> None:
    """Refuse a taken or malformed export name before training, not after it."""
    from engine.store import catalog
    from engine.training import trainers

    for suffix in trainers.get(kind).export_suffixes:
        catalog.check_new_id(f"{name}{suffix}")


def export(run: _Run, name: str) -> list[dict]:
    """Put the run's generator(s) into the model store as ``name`` (+ suffixes).

    Returns ``[{"id", "task"}]`` per stored model.

    CycleGAN exports ``name`` (A -> B, task ``photo2monet``) and ``name-inverse`` (B -> A,
    task ``monet2photo``); DCGAN exports to task ``sample``.
    """
    from engine.store import catalog
    from engine.store.importers import add_model

    specs = run.trainer.exports()
    ids = [f"{name}{spec.suffix}" for spec in specs]
    for model_id in ids:
        catalog.check_new_id(model_id)
    for spec, model_id in zip(specs, ids):
        add_model(spec.model, spec.task, model_id, spec.arch, spec.config, source="trained",
                  card={**_card(run), **spec.card}, title=f"{model_id} (trained)")
    return [{"id": model_id, "task": spec.task} for spec, model_id in zip(specs, ids)]


def _card(run: _Run) -> dict:
    c, s, t = run.config, run.state, run.trainer
    return {
        "trained_on": {"data": c.data, "data_b": c.data_b},
        "kind": c.kind, "preset": c.preset, "steps": s["step"], "batch": c.batch,
        "crop": c.crop, "seed": c.seed, "seconds": round(s["seconds"], 1),
        "final_losses": run.losses, "metric": f"{t.metric}: {t.metric_help}",
        "val": s["val"], "val_first": s["val_first"], "backend": c.backend,
        "mixed_precision": c.mixed_precision, "run": str(run.out), **t.card(),
        **({"fine_tuned_from": c.init_from} if c.init_from else {}),
    }
