"""Training checkpoints: everything a run needs to continue bit for bit, in one folder.

A checkpoint folder (``RUN/checkpoints/last`` or ``RUN/checkpoints/best``) holds:

- ``<model>.weights.h5``: each model's weights (Keras format; batch-norm statistics included);
- ``variables.npz``: model variables Keras leaves out of weight files (the dropout
  seed-generator states), in ``model.variables`` order;
- ``optimizers.npz``: every optimizer variable (update count, Adam moments, loss scale), in
  ``optimizer.variables`` order, keyed ``<optimizer>:<index>``;
- ``trainer.npz``: trainer state such as CycleGAN's image history pools;
- ``state.json``: the completed step, best metric, stage and the variable paths (checked on
  load, so a checkpoint from another model size fails with a clear message).

Arrays are stored with ``numpy.savez`` and read with ``allow_pickle=False``: nothing in a
checkpoint can run code. A save writes a hidden ``.<name>.partial`` folder, then swaps it in
(the previous folder is kept as ``.<name>.old`` until the swap is done), so an interrupted
save never leaves a half-written checkpoint behind; ``find`` falls back to ``.old``.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np

from engine.errors import UsageError

STATE = "state.json"
_OPTIMIZERS = "optimizers.npz"
_VARIABLES = "variables.npz"
_TRAINER = "trainer.npz"


def _extra_variables(model) -> list:
    """Variables of ``model`` that ``save_weights`` does not store (seed-generator states)."""
    saved = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in saved]


def _value(variable) -> np.ndarray:
    from keras import ops

    return np.asarray(ops.convert_to_numpy(variable.value))


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def save(folder: Path, models: dict, optimizers: dict, state: dict,
         arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Write a checkpoint to ``folder`` (replacing what is there) and return it.

    Args:
        folder: the checkpoint folder, e.g. ``RUN/checkpoints/last``.
        models: name -> Keras model.
        optimizers: name -> built Keras optimizer.
        state: JSON-ready run state (step, best metric, ...).
        arrays: trainer state arrays (history pools, ...).
    """
    folder = Path(folder)
    partial = folder.with_name(f".{folder.name}.partial")
    old = folder.with_name(f".{folder.name}.old")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, model in models.items():
        model.save_weights(partial / f"{name}.weights.h5")
    extra = {f"{name}:{i:04d}": _value(v) for name, model in models.items()
             for i, v in enumerate(_extra_variables(model))}
    _write_npz(partial / _VARIABLES, extra)
    _write_npz(partial / _OPTIMIZERS, {f"{name}:{i:04d}": _value(v)
                                       for name, opt in optimizers.items()
                                       for i, v in enumerate(opt.variables)})
    _write_npz(partial / _TRAINER, dict(arrays or {}))
    layout = {name: [v.path for v in opt.variables] for name, opt in optimizers.items()}
    full = {**state, "optimizer_variables": layout}
    (partial / STATE).write_text(json.dumps(full, indent=2), encoding="utf-8")
    if folder.exists():
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
    partial.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return folder


def find(folder: Path) -> Path | None:
    """``folder`` if it holds a complete checkpoint, else its ``.old`` copy, else ``None``."""
    folder = Path(folder)
    for candidate in (folder, folder.with_name(f".{folder.name}.old")):
        if (candidate / STATE).is_file():
            return candidate
    return None


def load(folder: Path, models: dict, optimizers: dict) -> tuple[dict, dict[str, np.ndarray]]:
    """Restore ``models`` and ``optimizers`` (built, same sizes) from ``folder``.

    Returns:
        ``(state, trainer arrays)`` as saved.

    Raises:
        UsageError: the checkpoint does not fit these models (another model size or kind).
    """
    folder = Path(folder)
    state = json.loads((folder / STATE).read_text(encoding="utf-8"))
    for name, model in models.items():
        _load_model(folder / f"{name}.weights.h5", model, name)
    extra = _read_npz(folder / _VARIABLES)
    for name, model in models.items():
        _assign(_extra_variables(model), extra, name, folder)
    saved = _read_npz(folder / _OPTIMIZERS)
    for name, optimizer in optimizers.items():
        _assign(optimizer.variables, saved, name, folder)
    return state, _read_npz(folder / _TRAINER)


def _load_model(path: Path, model, name: str) -> None:
    if not path.is_file():
        raise UsageError(f"The checkpoint {path.parent} has no weights for '{name}'; it was "
                         "made by another kind of run.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Keras only warns on a mismatch; never half-load
            model.load_weights(path)
    except Exception as exc:
        raise UsageError(f"The checkpoint {path} does not fit the '{name}' model of this run "
                         f"(was the model size changed?): {exc}") from None


def _assign(variables, arrays: dict[str, np.ndarray], name: str, folder: Path) -> None:
    keys = sorted(k for k in arrays if k.rpartition(":")[0] == name)
    if len(keys) != len(variables):
        raise UsageError(f"The checkpoint {folder} holds {len(keys)} '{name}' variables, this "
                         f"run has {len(variables)}; it was made with other settings.")
    for key, variable in zip(keys, variables):
        value = arrays[key]
        if tuple(value.shape) != tuple(variable.shape):
            raise UsageError(f"The checkpoint {folder} does not fit this run: {variable.path} "
                             f"has shape {tuple(variable.shape)}, saved {tuple(value.shape)}.")
        variable.assign(value)
