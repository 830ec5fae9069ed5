"""The public engine surface used by both front ends (the CLI and the Qt GUI).

Everything a user can do goes through here: ``engine/cli`` and ``gui`` import this module,
``engine.errors`` and ``engine.events``, nothing else of the engine (``.importlinter``,
contract "front-door"). Results are dataclasses, not dicts (``TaskInfo``, ``ModelInfo``,
``BatchResult``, ``BenchReport``, ``EvalTable``, ``TrainSummary``, ``TrainingRun``,
``DataScan``, ``SystemInfo``, ...), implemented in small modules (``engine.door``,
``engine.evaluation``) and re-exported here, all listed in ``__all__``; those a front end
writes out have ``to_json()``, the JSON it writes. Arrays handed to front ends for display
are RGB uint8 ``(H, W, 3)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from engine import __version__, backend, batch, logs
from engine.atomic import write_text_atomic
from engine.batch import OUTPUT_FORMATS, BatchResult, PlanItem, RunSettings
from engine.cluster.settings import ClusterSettings, require_ray
from engine.door.models import (
    ModelInfo,
    import_model,
    list_models,
    release_models,
    remove_model,
    verify_model,
)
from engine.door.showcase import side_by_side
from engine.door.tasks import ParamInfo, TaskInfo, describe_task, describe_tasks
from engine.door.training import (
    CpuInfo,
    DegradationPreview,
    ExportedModel,
    GpuInfo,
    HistoryRow,
    SystemInfo,
    TrainingBackends,
    TrainingRun,
    TrainSummary,
    history_row,
    system_info,
    train_summary,
    training_run,
)
from engine.door.training_data import DataScan, ScannedFolder, data_scan
from engine.errors import HINT_IMPORT_MODEL, UsageError, WeightsMissingError
from engine.evaluation.bench import BenchReport, BenchRow, parse_size, parse_tasks, run_bench
from engine.evaluation.eval import EvalRow, EvalTable, evaluate
from engine.evaluation.eval_sample import COVERAGE_MIN as SAMPLE_COVERAGE_MIN
from engine.evaluation.eval_sample import SampleEval, ScoreRow, evaluate_sample
from engine.evaluation.eval_style import StyleRow, evaluate_style
from engine.evaluation.eval_style import table as style_table
from engine.events import CancelToken, ItemResult, ProgressFn, no_progress
from engine.imaging import color, io
from engine.resources import APP_NAME, resource_path, user_config_dir
from engine.tasks.registry import RunContext, get_task
from engine.training.kinds import SPECS as TRAINING_SPECS
from engine.training.presets import KINDS as TRAINING_KINDS
from engine.training.presets import PRESET_NAMES as TRAINING_PRESETS
from engine.training.request import TrainRequest
from engine.training.spec import CropLimits, KindSpec, Preset, WizardChoice

__all__ = [
    # types
    "BatchResult", "BenchReport", "BenchRow", "CancelToken", "ClusterSettings", "CpuInfo",
    "CropLimits", "DataScan", "DegradationPreview", "EvalRow", "EvalTable", "ExportedModel",
    "GpuInfo", "HistoryRow", "ItemResult", "KindSpec", "ModelInfo", "ParamInfo", "PlanItem",
    "Preset", "RunSettings", "SampleEval", "ScannedFolder", "ScoreRow", "StyleRow",
    "SystemInfo", "TaskInfo", "TrainingBackends", "TrainingRun", "TrainRequest",
    "TrainSummary", "WizardChoice",
    # the application: version, files, logs (the per-run log file: start, record_exception,
    # where, folder, current, on_terminal, exit_fast)
    "APP_NAME", "OUTPUT_FORMATS", "__version__", "configure_device", "logs", "resource_path",
    "user_config_dir", "write_text_atomic",
    # tasks and runs
    "describe_tasks", "describe_task", "parse_options", "plan", "run_batch",
    "run_batch_on_cluster", "generate", "process_array",
    # images and devices
    "info", "load_display", "probe", "side_by_side", "supported_extensions",
    # model store
    "check_model_name", "import_model", "list_models", "release_models", "remove_model",
    "verify_model",
    # evaluation and benchmarks (developer tools)
    "SAMPLE_COVERAGE_MIN", "evaluate", "evaluate_sample", "evaluate_style", "parse_size",
    "parse_tasks", "run_bench", "style_table",
    # training and the training wizard
    "TRAINING_KINDS", "TRAINING_PRESETS", "TRAINING_SPECS",
    "training_kind", "training_kinds",
    "train", "scan_training_data", "degradation_preview", "training_presets",
    "estimate_training_seconds", "training_limits", "check_training_settings",
    "training_backends", "select_backend", "training_runs_dir", "new_training_run_dir",
    "list_training_runs", "discard_training_run", "describe_training_run", "training_history",
    "export_training_run",
]


def configure_device(device: str = "auto") -> None:
    """Pick the device (``auto``, ``cpu`` or ``gpu``) before Keras is imported."""
    backend.configure(device)


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


def info() -> SystemInfo:
    """Backend, library versions and devices (imports the Keras backend)."""
    return system_info(backend.describe())


# --- model store: engine.door.models (ModelInfo, list/verify/import/remove/release) ----


# --- training ------------------------------------------------------------------------------

def train(
    request: TrainRequest,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    cluster: ClusterSettings | None = None,
) -> TrainSummary:
    """Train (or resume) the GAN run ``request`` describes; returns the run summary.

    Args:
        request: the run (``TrainRequest``: kind, folders, run folder, length, preset,
            options, resume, export, seed, ...); its ``backend``, when set, is selected first.
        progress: receives ``TrainStep`` events with ``losses``,
            ``images_per_s``, ``eta_s``, ``seconds`` (training time so far), ``samples`` (the
            latest grid), ``val`` (this step's validation metric, or ``None``), ``metric`` (its
            name), ``lr`` and ``run``.
        cancel: a cancelled token saves a checkpoint and returns ``status="cancelled"``.
        cluster: train data-parallel on ``cluster.workers`` Ray Train workers (torch
            backend only; ``batch`` is the global batch, split evenly). Under ``torchrun``
            (``WORLD_SIZE`` > 1) every process joins the run without it.

    Returns:
        The summary (``TrainSummary``; its ``to_json()`` is what ``summary.json`` holds).

    Raises:
        UsageError: bad settings or folders, or a resume that does not fit the run.
    """
    from engine.training.runner import train as run_training

    if request.backend:
        select_backend(request.backend)
    from engine.training import distributed

    if cluster is not None:
        distributed.check_backend(backend.backend_name())
        require_ray()
        from engine.cluster import train as cluster_train

        return train_summary(cluster_train.run(request, cluster, progress, cancel))
    if distributed.launched_by_torchrun():
        distributed.check_backend(backend.backend_name())
        distributed.init_from_env()
        if not distributed.is_writer():
            progress = no_progress
    return train_summary(run_training(request, progress, cancel))


def training_kinds() -> list[KindSpec]:
    """Every training kind's spec (``engine/training/kinds/<kind>.py``), in display order:
    its wizard choices, sample heading, width/blocks options and whether the architecture
    fixes the crop."""
    from engine.training import kinds

    return list(kinds.SPECS.values())


def training_kind(kind: str) -> KindSpec:
    """The spec of training kind ``kind``; ``UsageError`` for an unknown name."""
    from engine.training import kinds

    return kinds.get(kind)


# --- the training wizard's helpers ------------------------------------------------------------

def scan_training_data(kind: str, data: Path | str | None, data_b: Path | str | None = None,
                       crop: int | None = None, paired: bool | None = None) -> DataScan:
    """What training would use in these folders (``DataScan``: ``mode``, ``usable``,
    ``reason``, ``folders``, ``pairs``, ``problems``, ``warnings``); never raises for bad
    folders."""
    from engine.training.survey import survey

    return data_scan(survey(kind, data, data_b, crop, paired))


def degradation_preview(kind: str, path: Path | str, seed: int = 0) -> DegradationPreview:
    """A photo and the synthetic training input made from it: ``before`` and ``after`` RGB
    uint8 ``(s, s, 3)``, and a ``caption``; for ``deblur`` and ``upscale``."""
    from engine.training.survey import degradation_preview as preview

    return DegradationPreview(**preview(kind, path, seed))


def training_presets(kind: str) -> dict[str, Preset]:
    """The presets of ``kind`` by name (``Preset``: ``steps``, ``batch``, ``crop``,
    ``sample_every``, ``checkpoint_every``), their ``options`` filled in with every default."""
    from dataclasses import replace

    from engine.training import kinds, presets

    defaults = presets.option_defaults(kind)
    return {name: replace(p, options={**defaults, **p.options})
            for name, p in kinds.get(kind).presets.items()}


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


def training_limits(kind: str, preset: str = "quick", options: dict | None = None) -> CropLimits:
    """The crop sides ``kind`` accepts with ``options`` (over ``preset``'s): ``minimum``,
    ``multiple``, ``fixed`` (dcgan's one size, else ``None``) and ``rule`` (a sentence).
    ``UsageError`` for unknown options or values of the wrong type."""
    from engine.training import limits

    return limits.crop_limits(kind, limits.resolved_options(kind, preset, options))


def check_training_settings(kind: str, preset: str, steps: int | None = None,
                            batch: int | None = None, crop: int | None = None,
                            options: dict | None = None) -> None:
    """``UsageError`` (the sentence training would raise) unless a new run with these
    settings can start; checks settings only, not the data folders. Never imports Keras."""
    from engine.training import limits

    limits.check_settings(kind, preset, steps, batch, crop, options)


def training_backends() -> TrainingBackends:
    """The backend Keras uses or will use, those installed, and whether Keras is loaded."""
    return TrainingBackends(current=backend.backend_name(), locked=backend.keras_loaded(),
                            available=tuple(backend.available_backends()))


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


def list_training_runs(root: Path | str | None = None,
                       unfinished: bool = False) -> list[TrainingRun]:
    """Run folders under ``root`` (default ``training_runs_dir()``), newest first (only those
    stopped before their last step when ``unfinished``)."""
    from engine.training import runs

    found = runs.unfinished_runs(root) if unfinished else runs.list_runs(root)
    return [training_run(r) for r in found]


def discard_training_run(run: Path | str) -> bool:
    """Remove a run folder that holds no checkpoint (a start that failed before its first
    saved step), so it is not offered for resuming; ``True`` when removed. A folder with a
    checkpoint, or with files a run does not write, is left alone."""
    from engine.training.runs import discard_empty_run

    return discard_empty_run(run)


def describe_training_run(run: Path | str) -> TrainingRun | None:
    """One run folder's description, ``None`` if it is none."""
    from engine.training.runs import describe_run

    return training_run(describe_run(run))


def training_history(run: Path | str) -> list[HistoryRow]:
    """A run's ``history.csv`` rows: ``step`` and every loss, lr and metric (float or
    ``None``)."""
    from engine.training.runs import read_history

    return [history_row(r) for r in read_history(run)]


def check_model_name(kind: str, name: str) -> None:
    """``UsageError`` (a sentence) unless ``name`` is a valid, free name for a ``kind`` model."""
    from engine.training.runner import check_export_names

    check_export_names(kind, name)


def export_training_run(run: Path | str, name: str) -> list[ExportedModel]:
    """Store the latest checkpoint's generator(s) of ``run`` as ``name`` (CycleGAN: ``name``
    and ``name-inverse``). ``UsageError`` for a taken name or a run without checkpoint."""
    from engine.training.runs import export_run

    return [ExportedModel(id=e["id"], task=e["task"]) for e in export_run(run, name)]
