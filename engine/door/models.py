"""The model store as the front ends see it: ``ModelInfo`` rows and the store operations."""

from __future__ import annotations

import gc
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelInfo:
    """One stored model: ``source`` is ``shipped``, ``imported`` or ``trained``; ``scale`` the
    output/input size ratio; ``size_mb`` the weights file in MiB (2 decimals, 0 if missing);
    ``card`` the model card (a dict, may be empty); ``folder`` where it is stored."""

    id: str
    task: str
    title: str
    source: str
    arch: str
    scale: int
    size_mb: float
    default: bool
    card: Any
    folder: str

    def to_json(self) -> dict:
        """The JSON form (``photogan models list --json``)."""
        return asdict(self)


def model_info(manifest) -> ModelInfo:
    """A ``ModelInfo`` from a store manifest (``engine.store.manifest.Manifest``)."""
    path = manifest.weights_path
    size = path.stat().st_size / 2**20 if path.is_file() else 0.0
    return ModelInfo(id=manifest.id, task=manifest.task, title=manifest.title,
                     source=manifest.source, arch=manifest.arch, scale=manifest.scale,
                     size_mb=round(size, 2), default=manifest.default, card=manifest.card,
                     folder=str(manifest.folder))


def list_models(task: str | None = None) -> list[ModelInfo]:
    """Stored models (shipped first), optionally only those for ``task``."""
    from engine.store import catalog

    return [model_info(m) for m in catalog.list_models(task)]


def verify_model(model_id: str) -> None:
    """Check a model's checksum and that it builds; raises ``ModelError`` with the problem."""
    from engine.store import catalog
    from engine.store.loader import load_model

    load_model(catalog.get(model_id))


def import_model(path: Path | str, task: str, name: str = "") -> ModelInfo:
    """Import a model file into the user store for ``task``; returns its row."""
    from engine.store.importers import import_file

    return model_info(import_file(Path(path), task, name))


def release_models() -> None:
    """Forget every loaded model (the app is closing; memory goes back before exit)."""
    from engine.store.loader import clear_cache

    clear_cache()
    gc.collect()


def remove_model(model_id: str) -> None:
    """Delete a user model (shipped models cannot be removed)."""
    from engine.store import catalog
    from engine.store.loader import clear_cache

    catalog.remove(model_id)
    clear_cache()
