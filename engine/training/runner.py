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
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from engine import backend
from engine.atomic import write_text_atomic
from engine.events import CancelToken, ProgressFn, TrainStep, no_progress
from engine.training import distributed
from engine.training.exports import check_export_names, export, init_generators
from engine.training.request import TrainRequest
from engine.training.run_config import (
    CONFIG,
    HISTORY,
    SUMMARY,
    RunConfig,
    _check_request,
    _make_dataset,
    _prepare,
)

__all__ = [
    "CONFIG", "HISTORY", "SUMMARY", "History", "RunConfig", "TrainRequest",
    "check_export_names", "_make_dataset", "export", "init_generators", "step_rng", "train",
]

VALIDATION_SEED = 1234  # one validation set for every seed, so runs compare


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


def train(req: TrainRequest, progress: ProgressFn = no_progress,
          cancel: CancelToken | None = None,
          dataset=None) -> dict:
    """Run (or resume) a training run and return its summary.

    Args:
        req: the request; see ``TrainRequest``.
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
        check_export_names(req.kind, req.export)
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
