"""The public engine surface used by both front ends (the CLI and the Qt GUI).

Everything a user can do goes through here; front ends never reach into tasks, models or
imaging directly. Arrays handed to front ends for display are RGB uint8 ``(H, W, 3)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from engine import backend, batch
from engine.batch import BatchResult, PlanItem, RunSettings
from engine.cluster.settings import ClusterSettings, require_ray
from engine.errors import HINT_IMPORT_MODEL, UsageError, WeightsMissingError
from engine.events import CancelToken, ItemResult, ProgressFn, no_progress
from engine.imaging import color, io
from engine.tasks.registry import RunContext, all_tasks, get_task

__all__ = [
    "BatchResult", "CancelToken", "ClusterSettings", "ItemResult", "PlanItem", "RunSettings",
    "describe_tasks", "describe_task", "plan", "run_batch", "generate", "info",
    "load_display", "probe", "process_array", "supported_extensions",
]


def describe_tasks() -> list[dict]:
    """Every task as JSON-ready dicts (id, title, description, kind, params, weights)."""
    return [t.describe() for t in all_tasks()]


def describe_task(task_id: str) -> dict:
    """One task's description; ``UsageError`` for an unknown id."""
    return get_task(task_id).describe()


def parse_options(task_id: str, given: dict) -> dict:
    """Validate options for a task (strings or typed values) and fill in defaults."""
    return get_task(task_id).parse_options(given)


def plan(inputs: Iterable[Path | str], task_id: str, settings: RunSettings) -> list[PlanItem]:
    """Expand inputs and decide each output path (see ``engine.batch.plan``)."""
    return batch.plan(inputs, get_task(task_id), settings)


def run_batch(
    items: list[PlanItem],
    task_id: str,
    options: dict,
    settings: RunSettings,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> BatchResult:
    """Run a planned batch. ``options`` may be raw; they are validated here.

    Raises:
        UsageError: bad options or a task that cannot run (e.g. missing weights).
    """
    task = get_task(task_id)
    opts = task.parse_options(options)
    _require_weights(task_id, opts)
    if task.kind != "image":
        raise UsageError(f"Task '{task_id}' generates images; use generate() instead.")
    backend.configure(settings.device)
    return batch.run(items, task, opts, settings, progress, cancel)


def run_batch_on_cluster(
    items: list[PlanItem],
    task_id: str,
    options: dict,
    settings: RunSettings,
    cluster: ClusterSettings,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> BatchResult:
    """``run_batch`` on Ray workers (``engine.cluster.batch``): same outputs, same results.

    Raises:
        UsageError: as ``run_batch``; also Ray not installed (the message says how to
            install it), no cluster at the address, or files not on shared storage.
    """
    require_ray()
    task = get_task(task_id)
    opts = task.parse_options(options)
    _require_weights(task_id, opts)
    if task.kind != "image":
        raise UsageError(f"Task '{task_id}' generates images; it cannot run on a cluster.")
    from engine.cluster import batch as cluster_batch

    return cluster_batch.run(items, task_id, opts, settings, cluster, progress, cancel)


def generate(
    task_id: str,
    options: dict,
    settings: RunSettings,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Run a ``generate`` task (e.g. ``sample``) writing into ``settings.out_dir``."""
    task = get_task(task_id)
    opts = task.parse_options(options)
    _require_weights(task_id, opts)
    backend.configure(settings.device)
    batch.ensure_out_dir(settings.out_dir)
    ctx = RunContext(progress, cancel or CancelToken(), settings.tile, settings.device)
    return task.generate(opts, settings.out_dir, ctx)


def _require_weights(task_id: str, options: dict) -> None:
    problem = get_task(task_id).weights_status(options)
    if problem:
        raise WeightsMissingError(problem, hint=HINT_IMPORT_MODEL, task=task_id)


def process_array(
    task_id: str,
    rgb: np.ndarray,
    options: dict,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    tile: int = 0,
) -> np.ndarray:
    """Run a task on an RGB uint8 ``(H, W, 3)`` array (GUI previews); returns RGB uint8."""
    task = get_task(task_id)
    opts = task.parse_options(options)
    _require_weights(task_id, opts)
    image = io.Image(pixels=rgb.astype(np.float32) / 255.0)
    ctx = RunContext(progress, cancel or CancelToken(), tile)
    return color.to_display(task.process(image, opts, ctx).pixels)


def load_display(path: Path | str, max_side: int = 0) -> np.ndarray:
    """Read a photo for display: RGB uint8 ``(H, W, 3)``, downscaled so the long side is at
    most ``max_side`` (0 keeps full size). Raises ``ImageReadError`` with a sentence."""
    image = io.read(Path(path))
    pixels = image.pixels
    long_side = max(pixels.shape[:2])
    if max_side and long_side > max_side:
        from engine.imaging.resample import resize_area

        pixels = resize_area(pixels, max_side / long_side)
    return color.to_display(pixels)


def probe(path: Path | str) -> tuple[int, int]:
    """``(width, height)`` from the file header without decoding; raises ``ImageReadError``."""
    return io.probe(Path(path))


def supported_extensions() -> list[str]:
    """File extensions the queue accepts, lower case with the dot."""
    return sorted(io.READ_EXTENSIONS)


def info() -> dict:
    """Backend, library versions and devices (imports the Keras backend)."""
    return backend.describe()


# --- model store ---------------------------------------------------------------------------

def list_models(task: str | None = None) -> list[dict]:
    """Stored models as dicts: id, task, title, source, arch, scale, size_mb, default, card."""
    from engine.store import catalog

    return [_model_row(m) for m in catalog.list_models(task)]


def _model_row(manifest) -> dict:
    path = manifest.weights_path
    size = path.stat().st_size / 2**20 if path.is_file() else 0.0
    return {"id": manifest.id, "task": manifest.task, "title": manifest.title,
            "source": manifest.source, "arch": manifest.arch, "scale": manifest.scale,
            "size_mb": round(size, 2), "default": manifest.default, "card": manifest.card,
            "folder": str(manifest.folder)}


def verify_model(model_id: str) -> None:
    """Check a model's checksum and that it builds; raises ``ModelError`` with the problem."""
    from engine.store import catalog
    from engine.store.loader import load_model

    load_model(catalog.get(model_id))


def import_model(path: Path | str, task: str, name: str = "") -> dict:
    """Import a model file into the user store for ``task``; returns its row."""
    from engine.store.importers import import_file

    return _model_row(import_file(Path(path), task, name))


def release_models() -> None:
    """Forget every loaded model (the app is closing; memory goes back before exit)."""
    import gc

    from engine.store.loader import clear_cache

    clear_cache()
    gc.collect()


def remove_model(model_id: str) -> None:
    """Delete a user model (shipped models cannot be removed)."""
    from engine.store import catalog
    from engine.store.loader import clear_cache

    catalog.remove(model_id)
    clear_cache()


# --- training ------------------------------------------------------------------------------

def train(
    kind: str,
    data: Path | str | None,
    out_dir: Path | str,
    data_b: Path | str | None = None,
    steps: int | None = None,
    epochs: float | None = None,
    batch: int | None = None,
    crop: int | None = None,
    preset: str | None = "quick",
    resume: bool = False,
    export: str | None = None,
    seed: int | None = 0,
    options: dict | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    sample_every: int | None = None,
    checkpoint_every: int | None = None,
    init_from: str | None = None,
    cluster: ClusterSettings | None = None,
) -> dict:
    """Train (or resume) a GAN run in ``out_dir``; returns the run summary.

    Args:
        kind: ``deblur``, ``upscale``, ``cyclegan`` or ``dcgan``.
        data: the training folder (domain A for cyclegan); may be ``None`` on resume.
        out_dir: the run folder (config, checkpoints, history.csv, samples).
        data_b: domain B for cyclegan.
        steps, epochs: run length (one of them; default: the preset's steps).
        batch, crop: default: the preset's.
        preset: ``quick``, ``standard`` or ``long`` (``engine.training.presets``).
        resume: continue the run in ``out_dir`` exactly where it stopped; its saved settings
            are kept (``preset`` and ``seed`` are ignored; changed model options are refused).
        export: put the trained generator(s) into the model store under this name at the end.
        seed: seeds model initialisation and every step's randomness.
        options: trainer options by name (``--set``), e.g. ``{"ngf": 32, "lr": 2e-4}``.
        progress: receives ``TrainStep`` events with ``losses``,
            ``images_per_s``, ``eta_s``, ``seconds`` (training time so far), ``samples`` (the
            latest grid), ``val`` (this step's validation metric, or ``None``), ``metric`` (its
            name), ``lr`` and ``run``.
        cancel: a cancelled token saves a checkpoint and returns ``status="cancelled"``.
        sample_every, checkpoint_every: cadence in steps (default: the preset's).
        init_from: a stored model to fine-tune (new runs; same architecture and size).
        cluster: train data-parallel on ``cluster.workers`` Ray Train workers (torch
            backend only; ``batch`` is the global batch, split evenly). Under ``torchrun``
            (``WORLD_SIZE`` > 1) every process joins the run without it.

    Returns:
        The summary dict (see ``engine.training.runner.train``).

    Raises:
        UsageError: bad settings or folders, or a resume that does not fit the run.
    """
    from engine.training.runner import Request
    from engine.training.runner import train as run_training

    request = Request(
        kind=kind, out=Path(out_dir), data=Path(data) if data else None,
        data_b=Path(data_b) if data_b else None, steps=steps, epochs=epochs, batch=batch,
        crop=crop, preset=preset, resume=resume, export=export, seed=seed,
        options=dict(options or {}), sample_every=sample_every,
        checkpoint_every=checkpoint_every, init_from=init_from,
    )
    from engine.training import distributed

    if cluster is not None:
        distributed.check_backend(backend.backend_name())
        require_ray()
        from engine.cluster import train as cluster_train

        return cluster_train.run(request, cluster, progress, cancel)
    if distributed.launched_by_torchrun():
        distributed.check_backend(backend.backend_name())
        distributed.init_from_env()
        if not distributed.is_writer():
            progress = no_progress
    return run_training(request, progress, cancel)


# --- the training wizard's helpers ------------------------------------------------------------

def scan_training_data(kind: str, data: Path | str | None, data_b: Path | str | None = None,
                       crop: int | None = None, paired: bool | None = None) -> dict:
    """What training would use in these folders; never raises for bad folders.

    Returns ``engine.training.survey.survey``'s dict: ``mode``, ``usable``, ``reason`` (a
    sentence when not usable), ``folders`` (counts, smallest/largest sizes, example paths),
    ``pairs``, ``problems`` (one sentence per skipped file) and ``warnings``.
    """
    from engine.training.survey import survey

    return survey(kind, data, data_b, crop, paired)


def degradation_preview(kind: str, path: Path | str, seed: int = 0) -> dict:
    """A photo and the synthetic training input made from it: ``before`` and ``after`` RGB
    uint8 ``(s, s, 3)``, and a ``caption``; for ``deblur`` and ``upscale``."""
    from engine.training.survey import degradation_preview as preview

    return preview(kind, path, seed)


def training_presets(kind: str) -> dict[str, dict]:
    """The presets of ``kind`` by name: ``steps``, ``batch``, ``crop``, ``sample_every``,
    ``checkpoint_every`` and ``options`` (the model size), plus ``defaults`` (every option)."""
    from dataclasses import asdict

    from engine.training import presets

    found = {name: asdict(p) for name, p in presets.PRESETS[kind].items()}
    for entry in found.values():
        entry["options"] = {**presets.option_defaults(kind), **entry["options"]}
    return found


def estimate_training_seconds(kind: str, preset: str, steps: int | None = None,
                              batch: int | None = None, crop: int | None = None,
                              options: dict | None = None, gpu: bool = False,
                              cores: int | None = None,
                              sample_every: int | None = None) -> float:
    """A rough wall-clock duration of a run on a device (``gpu``, or a CPU with ``cores``
    cores; default this machine's), from the measured quick presets: start-up, the steps,
    and a validation every ``sample_every`` steps (default: the preset's) and at the end
    (``engine.training.presets``)."""
    import os

    from engine.training import presets

    opts = presets.parse_options(kind, options or {})
    seconds = presets.estimate_seconds(kind, preset, steps, batch, crop, opts, sample_every)
    factor = presets.device_factor(gpu, cores or os.cpu_count() or 1)
    return presets.STARTUP_SECONDS + seconds / factor


def training_limits(kind: str, preset: str = "quick", options: dict | None = None) -> dict:
    """The crop sides ``kind`` accepts with ``options`` (over ``preset``'s): ``minimum``,
    ``multiple``, ``fixed`` (dcgan's one size, else ``None``) and ``rule`` (a sentence).
    ``UsageError`` for unknown options or values of the wrong type."""
    from dataclasses import asdict

    from engine.training import limits

    return asdict(limits.crop_limits(kind, limits.resolved_options(kind, preset, options)))


def check_training_settings(kind: str, preset: str, steps: int | None = None,
                            batch: int | None = None, crop: int | None = None,
                            options: dict | None = None) -> None:
    """``UsageError`` (the sentence training would raise) unless a new run with these
    settings can start; checks settings only, not the data folders. Never imports Keras."""
    from engine.training import limits

    limits.check_settings(kind, preset, steps, batch, crop, options)


def training_backends() -> dict:
    """``current`` (the backend Keras uses or will use), ``available`` (installed) and
    ``locked`` (Keras is loaded, so only ``current`` can train in this process)."""
    return {"current": backend.backend_name(), "available": backend.available_backends(),
            "locked": backend.keras_loaded()}


def select_backend(name: str) -> None:
    """Train on Keras backend ``name``; ``UsageError`` once Keras runs on another one."""
    backend.select_backend(name)


def training_runs_dir() -> Path:
    """Where the GUI keeps training runs (``<user data dir>/training``)."""
    from engine.training.runs import runs_root

    return runs_root()


def new_training_run_dir(kind: str) -> Path:
    """A fresh run folder path under ``training_runs_dir()`` (not created)."""
    from engine.training.runs import new_run_dir

    return new_run_dir(kind)


def list_training_runs(root: Path | str | None = None, unfinished: bool = False) -> list[dict]:
    """Run folders under ``root`` (default ``training_runs_dir()``), newest first; each a dict
    of ``engine.training.runs.describe_run`` (run, kind, data, step, steps, status, ...)."""
    from engine.training import runs

    return runs.unfinished_runs(root) if unfinished else runs.list_runs(root)


def discard_training_run(run: Path | str) -> bool:
    """Remove a run folder that holds no checkpoint (a start that failed before its first
    saved step), so it is not offered for resuming; ``True`` when removed. A folder with a
    checkpoint, or with files a run does not write, is left alone."""
    from engine.training.runs import discard_empty_run

    return discard_empty_run(run)


def describe_training_run(run: Path | str) -> dict | None:
    """One run folder's description (see ``list_training_runs``), ``None`` if it is none."""
    from engine.training.runs import describe_run

    return describe_run(run)


def training_history(run: Path | str) -> list[dict]:
    """A run's ``history.csv`` rows: ``step`` (int) and every loss, lr and metric (float or
    ``None``)."""
    from engine.training.runs import read_history

    return read_history(run)


def check_model_name(kind: str, name: str) -> None:
    """``UsageError`` (a sentence) unless ``name`` is a valid, free name for a ``kind`` model."""
    from engine.training.runner import _check_export_names

    _check_export_names(kind, name)


def export_training_run(run: Path | str, name: str) -> list[dict]:
    """Store the latest checkpoint's generator(s) of ``run`` as ``name``; returns
    ``[{"id", "task"}]``. Raises ``UsageError`` for a taken name or a run without checkpoint."""
    from engine.training.runs import export_run

    return export_run(run, name)
