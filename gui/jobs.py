"""Jobs for the worker: closures over engine API calls, run off the UI thread.

Each factory returns ``job(progress, cancel) -> result`` (see ``gui.worker.Job``). Jobs take
plain data (paths, dicts, numpy arrays), never widgets.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine import api
from engine.errors import ImageWriteError
from gui.worker import Job


def batch_job(items: list, task_id: str, options: dict, settings: api.RunSettings) -> Job:
    """Run planned items through ``api.run_batch``; the result is the ``BatchResult``."""

    def job(progress, cancel):
        ensure_folder(settings.out_dir)
        return api.run_batch(items, task_id, options, settings, progress, cancel)

    return job


def preview_job(task_id: str, rgb: np.ndarray, options: dict, tile: int = 0) -> Job:
    """Run a task on an RGB uint8 crop (``api.process_array``); the result is RGB uint8."""

    def job(progress, cancel):
        return api.process_array(task_id, rgb, options, progress, cancel, tile)

    return job


def generate_job(task_id: str, options: dict, settings: api.RunSettings) -> Job:
    """Run a generate task (``sample``); the result is the list of written paths."""

    def job(progress, cancel):
        ensure_folder(settings.out_dir)
        return api.generate(task_id, options, settings, progress, cancel)

    return job


def ensure_folder(folder: Path) -> None:
    """Create an output folder or raise ``ImageWriteError`` with a sentence."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImageWriteError(
            f"Cannot create the output folder {folder}: {exc.strerror or exc}; "
            "choose a folder you can write to."
        ) from None
