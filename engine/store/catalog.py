"""Finds stored models: shipped ones under ``resources/weights/`` and the user's own under the
per-user data folder (``<user data>/models/``). User models may share a task with shipped ones;
ids are unique across both."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path

from engine.errors import HINT_MODEL_NAME, ModelError, UsageError
from engine.resources import resource_path, user_data_dir
from engine.store.manifest import MANIFEST, Manifest, load_manifest

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def shipped_dir() -> Path:
    """Read-only folder of models that ship with PhotoGAN."""
    return resource_path("weights")


def user_models_dir() -> Path:
    """Writable folder of imported and trained models."""
    return user_data_dir() / "models"


# root -> (signature of its manifests, the manifests read then).
_CACHE: dict[Path, tuple[tuple, list[Manifest]]] = {}


def _signature(root: Path) -> tuple:
    """What changes when a model is added, removed or edited under ``root``: each model
    folder's name and its manifest's modification time and size (a few ``stat`` calls, no
    reading)."""
    entries = []
    for folder in sorted(root.iterdir()):
        try:
            stat = (folder / MANIFEST).stat()
        except OSError:
            continue
        entries.append((folder.name, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def _scan(root: Path) -> list[Manifest]:
    """The manifests under ``root``, read again only when ``_signature`` changed."""
    if not root.is_dir():
        return []
    signature = _signature(root)
    cached = _CACHE.get(root)
    if cached is not None and cached[0] == signature:
        return copy.deepcopy(cached[1])  # callers may change what they get
    found = []
    for folder in sorted(root.iterdir()):
        if (folder / MANIFEST).is_file():
            try:
                found.append(load_manifest(folder))
            except ModelError:
                continue  # a broken user folder must not hide every other model
    _CACHE[root] = (signature, copy.deepcopy(found))
    return found


def list_models(task: str | None = None) -> list[Manifest]:
    """Every stored model (shipped first), optionally only those for ``task``."""
    models = _scan(shipped_dir()) + _scan(user_models_dir())
    return [m for m in models if task is None or m.task == task]


def find(task: str, name: str = "") -> Manifest | None:
    """The model ``name`` for ``task``; with no name, the task's default model (the one
    marked ``default``, else the first shipped, else the newest user model). ``None`` when the
    task has no model at all.

    Raises:
        UsageError: ``name`` given but not found for this task, listing what exists.
    """
    models = list_models(task)
    if name:
        for model in models:
            if model.id == name:
                return model
        known = ", ".join(m.id for m in models) or "none yet"
        raise UsageError(f"No model named '{name}' for task '{task}'. Models for it: {known}. "
                         "See `photogan models list`.")
    if not models:
        return None
    marked = [m for m in models if m.default]
    return (marked or models)[0]


def get(model_id: str) -> Manifest:
    """A model by id, whatever its task; ``UsageError`` when there is none."""
    for model in list_models():
        if model.id == model_id:
            return model
    raise UsageError(f"No model named '{model_id}'. See `photogan models list`.")


def check_new_id(model_id: str) -> None:
    """Raise ``UsageError`` when ``model_id`` is malformed or already used."""
    if not _ID.match(model_id):
        raise UsageError(f"Model name '{model_id}' must be 1-64 letters, digits, '.', '-' or "
                         "'_', starting with a letter or digit.")
    if any(m.id == model_id for m in list_models()):
        raise UsageError(f"A model named '{model_id}' already exists.", hint=HINT_MODEL_NAME)


def new_model_folder(model_id: str) -> Path:
    """Create and return an empty user folder for a new model."""
    check_new_id(model_id)
    folder = user_models_dir() / model_id
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def remove(model_id: str) -> None:
    """Delete a user model. Shipped models cannot be removed."""
    model = get(model_id)
    if model.source == "shipped" or _inside(model.folder, shipped_dir()):
        raise UsageError(f"'{model_id}' ships with PhotoGAN and cannot be removed.")
    shutil.rmtree(model.folder)


def _inside(path: Path | None, root: Path) -> bool:
    if path is None:
        return False
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False
