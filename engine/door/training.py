"""Training runs as the front ends see them: ``TrainSummary``, ``TrainingRun``,
``HistoryRow``, ``ExportedModel``, ``DegradationPreview``, ``TrainingBackends`` and the
machine description ``SystemInfo`` (frozen dataclasses).

The engine's training modules keep their plain dicts (the runner writes its summary dict to
``summary.json``; ``runs.describe_run`` feeds the resume logic); this module converts them at
the door, so ``engine.api`` stays a list of short functions. ``to_json()`` gives back the
former dict, key for key, where a front end serialises one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np


@dataclass(frozen=True)
class TrainingRun:
    """One training run folder (``engine.training.runs.describe_run``).

    Attributes:
        run: the run folder (a string path).
        kind: the training kind (``deblur``, ``upscale``, ...; empty when unknown).
        data: the (first) data folder; ``data_b`` the second one (cyclegan) or ``None``.
        preset: the preset the run started from.
        steps: the planned generator updates; ``step`` the last saved one.
        status: ``done``, ``cancelled``, ``failed`` or ``interrupted`` (no summary for the
            saved step: the app closed or the process died).
        finished: ``status == "done"`` and every planned step saved.
        seconds: training time so far (0.0 when unknown).
        losses: the last losses by name (empty when unknown).
        updated: the newest file time in the folder (seconds since the epoch).
    """

    run: str
    kind: str
    data: str
    data_b: str | None
    preset: str
    steps: int
    step: int
    status: str
    finished: bool
    seconds: float
    losses: dict = field(default_factory=dict)
    updated: float = 0.0

    def to_json(self) -> dict:
        """The fields as the former dict, in the same order."""
        return asdict(self)


def training_run(found: dict | None) -> TrainingRun | None:
    """``describe_run``'s dict as a ``TrainingRun`` (``None`` stays ``None``)."""
    return None if found is None else TrainingRun(**found)


@dataclass(frozen=True)
class ExportedModel:
    """A model a training run was stored as: its store ``id`` and the ``task`` using it."""

    id: str
    task: str


@dataclass(frozen=True)
class HistoryRow:
    """One row of a run's ``history.csv``: the ``step`` and every other column by name
    (losses, ``lr``, the validation metric, ``images_per_s``, ``seconds``): a float, or
    ``None`` for a blank cell."""

    step: int
    values: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The former dict: ``step`` first, then the columns."""
        return {"step": self.step, **self.values}


def history_row(row: dict) -> HistoryRow:
    """``runs.read_history``'s row dict as a ``HistoryRow``."""
    return HistoryRow(step=row["step"], values={k: v for k, v in row.items() if k != "step"})


@dataclass(frozen=True)
class TrainSummary:
    """The outcome of a training session (``runner.train``; also ``summary.json``).

    Attributes:
        status: ``done`` or ``cancelled`` (a checkpoint was saved either way).
        kind, run, preset, backend: what ran where (``run`` is the run folder, a string).
        step: the last step trained; ``steps`` the planned total.
        losses: the last losses by name.
        metric: the validation metric's name (e.g. ``val_l1``); ``val`` its latest value,
            ``val_first`` the value before training, ``best`` / ``best_step`` the best one
            (each ``None`` until measured).
        validation: the last extra validation scores by name.
        images_per_s: training speed (``None`` before a timed step); ``seconds`` training time.
        samples: the latest sample grid (a path) or ``None``.
        exports: the models stored at the end (``--export``).
        mixed_precision: whether float16 compute was on.
        workers, replicas_identical: set for data-parallel runs only (process count, and
            whether every replica ended with identical weights).
    """

    status: str
    kind: str
    run: str
    step: int
    steps: int
    losses: dict = field(default_factory=dict)
    metric: str = ""
    val: float | None = None
    val_first: float | None = None
    best: float | None = None
    best_step: int | None = None
    validation: dict = field(default_factory=dict)
    images_per_s: float | None = None
    seconds: float = 0.0
    samples: str | None = None
    exports: tuple[ExportedModel, ...] = ()
    backend: str = ""
    mixed_precision: bool = False
    preset: str = ""
    workers: int | None = None
    replicas_identical: bool | None = None

    def to_json(self) -> dict:
        """The dict ``summary.json`` holds, key for key (``workers`` and
        ``replicas_identical`` only for data-parallel runs)."""
        found = {**asdict(self), "exports": [asdict(e) for e in self.exports]}
        if self.workers is None and self.replicas_identical is None:
            del found["workers"], found["replicas_identical"]
        return found


def train_summary(summary: dict) -> TrainSummary:
    """``runner.train``'s summary dict as a ``TrainSummary``."""
    exports = tuple(ExportedModel(id=e["id"], task=e["task"]) for e in summary["exports"])
    return TrainSummary(**{**summary, "exports": exports})


@dataclass(frozen=True)
class DegradationPreview:
    """A training photo and the synthetic input made from it: ``before`` and ``after`` are RGB
    uint8 ``(s, s, 3)``; ``caption`` says what was done (a sentence)."""

    before: np.ndarray
    after: np.ndarray
    caption: str


@dataclass(frozen=True)
class TrainingBackends:
    """The Keras backends for training: ``current`` (the one Keras uses or will use),
    ``available`` (installed) and ``locked`` (Keras is loaded, so only ``current`` can train
    in this process)."""

    current: str
    available: tuple[str, ...]
    locked: bool


@dataclass(frozen=True)
class GpuInfo:
    """One GPU the backend sees: its ``name`` and memory in MiB (``None`` when unknown)."""

    name: str
    memory_mb: int | None = None


@dataclass(frozen=True)
class CpuInfo:
    """The CPU: its model ``name`` and the number of hardware ``threads``."""

    name: str
    threads: int


@dataclass(frozen=True)
class SystemInfo:
    """What ``photogan info`` prints.

    Attributes:
        backend: the Keras backend (``tensorflow``, ``torch`` or ``jax``).
        python: the Python version; ``platform`` the OS description.
        libraries: library name -> version string.
        gpus: the GPUs the backend sees (empty on a CPU-only machine).
        cpu: the CPU.
        device: ``gpu`` when a GPU is seen, else ``cpu``.
    """

    backend: str
    python: str
    platform: str
    libraries: dict
    gpus: tuple[GpuInfo, ...]
    cpu: CpuInfo
    device: str

    def to_json(self) -> dict:
        """The JSON form (``photogan info --json``), keys in the former order."""
        return {"backend": self.backend, "python": self.python, "platform": self.platform,
                "libraries": dict(self.libraries), "gpus": [asdict(g) for g in self.gpus],
                "cpu": asdict(self.cpu), "device": self.device}


def system_info(facts: dict) -> SystemInfo:
    """``engine.backend.describe``'s dict as a ``SystemInfo``."""
    return SystemInfo(backend=facts["backend"], python=facts["python"],
                      platform=facts["platform"], libraries=dict(facts["libraries"]),
                      gpus=tuple(GpuInfo(**g) for g in facts["gpus"]),
                      cpu=CpuInfo(**facts["cpu"]), device=facts["device"])
