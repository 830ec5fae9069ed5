"""Training run folders seen from outside a run: where the GUI keeps them, which are
unfinished (to offer a resume after a restart), their loss history, and exporting a run's
latest checkpoint to the model store after the fact (the wizard names the model at the end).

Run folders are described in ``engine.training.runner``. Nothing here imports Keras except
``export_run``.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from engine.errors import UsageError
from engine.resources import user_data_dir
from engine.training import checkpoint, runner

RUNS_FOLDER = "training"


def runs_root() -> Path:
    """Where the GUI puts run folders: ``<user data dir>/training`` (``PHOTOGAN_HOME``)."""
    return user_data_dir() / RUNS_FOLDER


def new_run_dir(kind: str, root: Path | None = None) -> Path:
    """A fresh, not yet existing folder ``<root>/<kind>-<date>-<time>[-n]``."""
    base = Path(root or runs_root())
    stem = f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base / stem, 1
    while path.exists():
        n += 1
        path = base / f"{stem}-{n}"
    return path


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def checkpoint_step(run: Path) -> int:
    """The step saved in ``checkpoints/last`` (0 when there is none)."""
    found = checkpoint.find(Path(run) / "checkpoints" / "last")
    if found is None:
        return 0
    return int(_read_json(found / checkpoint.STATE).get("step", 0))


def describe_run(run: Path | str) -> dict | None:
    """One run folder, or ``None`` when ``run`` holds no ``config.json``.

    Returns:
        ``run``, ``kind``, ``data``, ``data_b``, ``preset``, ``steps`` (planned), ``step``
        (saved in the latest checkpoint), ``status`` (``done``, ``cancelled`` or
        ``interrupted``: the app stopped without saying), ``finished`` (``done`` with every
        step), ``seconds``, ``losses`` (of the last session) and ``updated`` (POSIX time).
    """
    run = Path(run)
    config = _read_json(run / runner.CONFIG)
    if not config:
        return None
    summary = _read_json(run / runner.SUMMARY)
    step = checkpoint_step(run)
    steps = int(config.get("steps", 0))
    status = summary.get("status", "interrupted") if summary.get("step") == step else (
        "interrupted")
    return {
        "run": str(run), "kind": config.get("kind", ""), "data": config.get("data", ""),
        "data_b": config.get("data_b"), "preset": config.get("preset", ""), "steps": steps,
        "step": step, "status": status, "finished": status == "done" and step >= steps,
        "seconds": float(summary.get("seconds", 0.0) or 0.0),
        "losses": summary.get("losses") or {}, "updated": _updated(run),
    }


RUN_FILES = (runner.CONFIG, runner.HISTORY, runner.SUMMARY, "samples")


def discard_empty_run(run: Path | str) -> bool:
    """Delete ``run`` when it is a run folder without any checkpoint (only the files a run
    writes before its first saved step: config, history, summary, samples); ``True`` when
    deleted. Anything else, including a folder that does not exist, is left as it is."""
    import shutil

    run = Path(run)
    if not (run / runner.CONFIG).is_file() or (run / "checkpoints").exists():
        return False
    if any(p.name not in RUN_FILES for p in run.iterdir()):
        return False
    shutil.rmtree(run)
    return True


def _updated(run: Path) -> float:
    times = [p.stat().st_mtime for p in (run / runner.CONFIG, run / runner.HISTORY,
                                          run / runner.SUMMARY) if p.is_file()]
    return max(times, default=0.0)


def list_runs(root: Path | str | None = None) -> list[dict]:
    """Every run folder directly under ``root`` (default ``runs_root()``), newest first."""
    base = Path(root or runs_root())
    if not base.is_dir():
        return []
    found = [describe_run(p) for p in base.iterdir() if p.is_dir()]
    return sorted((r for r in found if r), key=lambda r: r["updated"], reverse=True)


def unfinished_runs(root: Path | str | None = None) -> list[dict]:
    """Runs that stopped before their last step (cancelled, or the app closed)."""
    return [r for r in list_runs(root) if not r["finished"]]


def read_history(run: Path | str) -> list[dict]:
    """``history.csv`` as rows of floats (``None`` for empty cells), ``step`` as int."""
    history = runner.History(Path(run) / runner.HISTORY, (), "")
    return [{k: _number(k, v) for k, v in row.items()} for row in history.rows()]


def _number(key: str, text: str | None):
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if key == "step":
        return int(value)
    return value if math.isfinite(value) else None


def export_run(run: Path | str, name: str) -> list[dict]:
    """Put the generator(s) of ``run``'s latest checkpoint into the model store as ``name``.

    The model card records the data folders, the steps reached, training time and the final
    losses (the last history row), as an export at the end of ``train`` does.

    Returns:
        ``[{"id", "task"}]`` per stored model (CycleGAN stores ``name`` and
        ``name-inverse``).

    Raises:
        UsageError: ``run`` is not a run folder, has no checkpoint yet, or ``name`` is
            malformed or taken.
    """
    from engine.events import CancelToken, no_progress
    from engine.training.step import training_session

    run = Path(run)
    if not (run / runner.CONFIG).is_file():
        raise UsageError(f"{run} is not a training run folder (it has no {runner.CONFIG}).")
    config = runner.RunConfig.load(run)
    runner.check_export_names(config.kind, name)
    if checkpoint.find(run / "checkpoints" / "last") is None:
        raise UsageError(f"{run} has no checkpoint yet; train for at least one step first.")
    dataset = runner._make_dataset(config.kind, config.data, config.data_b, config.crop,
                                   config.seed, config.options)
    with runner._precision(config.mixed_precision), training_session():
        session = runner._Run(run, config, dataset, no_progress, CancelToken())
        session.restore()
        session.losses = _last_losses(run, session.trainer.loss_names, session.state["step"])
        return runner.export(session, name)


def _last_losses(run: Path, names, step: int) -> dict:
    rows = [r for r in read_history(run) if r["step"] <= step and r.get(names[0]) is not None]
    return {n: rows[-1][n] for n in names} if rows else {}
