"""Carry a training run to another machine in a few megabytes (a campaign spans sessions).

``pack(run, out)`` keeps what ``photogan train --resume`` needs: ``config.json``,
``history.csv`` and the ``last`` checkpoint, with the model weights and the Adam moments in
float16 (about a third of the float32 size; the second moments as their square roots, which
float16 holds without flushing small ones to zero). ``unpack(packed, run)`` writes a run
folder back (float32 again) that ``--resume`` continues from the packed step. The data is not
packed: the run's ``config.json`` names its folder, which a project script fetches.

The continuation is not bit-exact (float16 rounds weights and moments by about 1e-3
relative), but the step, schedule, random streams and history continue exactly where they
stopped. Only numpy and h5py are used: packing needs no Keras.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import h5py
import numpy as np

from engine.errors import UsageError

RUN_FILES = ("config.json", "history.csv")
CHECKPOINT_AS_IS = ("state.json", "variables.npz", "trainer.npz")
OPTIMIZERS = "optimizers.npz"
SQRT = "~sqrt"  # key suffix of a second moment stored as its square root
MANIFEST = "campaign.json"


def _cast_h5(source: Path, target: Path, dtype: str) -> None:
    """Copy a Keras weights file, float datasets cast to ``dtype`` (groups, attributes kept)."""
    with h5py.File(source, "r") as src, h5py.File(target, "w") as dst:
        dst.attrs.update(dict(src.attrs))

        def copy(name: str, item) -> None:
            if isinstance(item, h5py.Group):
                dst.require_group(name).attrs.update(dict(item.attrs))
                return
            data = item[()]
            if isinstance(data, np.ndarray) and data.dtype.kind == "f":
                data = data.astype(dtype)
            dst.create_dataset(name, data=data).attrs.update(dict(item.attrs))

        src.visititems(copy)


def _pack_optimizers(source: Path, target: Path, paths: dict[str, list[str]]) -> None:
    velocity = {f"{name}:{i:04d}" for name, names in paths.items()
                for i, path in enumerate(names) if path.endswith("_velocity")}
    out = {}
    with np.load(source, allow_pickle=False) as saved:
        for key in saved.files:
            value = saved[key]
            if value.dtype != np.float32 or value.ndim == 0:
                out[key] = value
            elif key in velocity:
                out[key + SQRT] = np.sqrt(np.maximum(value, 0.0)).astype(np.float16)
            else:
                out[key] = value.astype(np.float16)
    np.savez_compressed(target, **out)


def _unpack_optimizers(source: Path, target: Path) -> None:
    out = {}
    with np.load(source, allow_pickle=False) as saved:
        for key in saved.files:
            value = saved[key]
            if key.endswith(SQRT):
                out[key[: -len(SQRT)]] = np.square(value.astype(np.float32))
            else:
                out[key] = value.astype(np.float32) if value.dtype == np.float16 else value
    np.savez(target, **out)


def pack(run: Path, out: Path) -> Path:
    """Write ``run``'s resumable state (its ``last`` checkpoint) to the new folder ``out``.

    Raises:
        UsageError: ``run`` has no checkpoint, or ``out`` already exists.
    """
    run, out = Path(run), Path(out)
    last = run / "checkpoints" / "last"
    if not (last / "state.json").is_file():
        raise UsageError(f"{run} has no checkpoint to pack (checkpoints/last/state.json).")
    if out.exists():
        raise UsageError(f"{out} already exists; pack into a new folder.")
    state = json.loads((last / "state.json").read_text(encoding="utf-8"))
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "last").mkdir(parents=True)
    for name in RUN_FILES:
        shutil.copy2(run / name, partial / name)
    for name in CHECKPOINT_AS_IS:
        if (last / name).is_file():
            shutil.copy2(last / name, partial / "last" / name)
    for weights in sorted(last.glob("*.weights.h5")):
        _cast_h5(weights, partial / "last" / weights.name, "float16")
    _pack_optimizers(last / OPTIMIZERS, partial / "last" / OPTIMIZERS,
                     state.get("optimizer_variables", {}))
    (partial / MANIFEST).write_text(json.dumps(
        {"run": run.name, "step": state["step"], "storage": "float16"}, indent=2) + "\n",
        encoding="utf-8")
    partial.rename(out)
    return out


def unpack(packed: Path, run: Path) -> Path:
    """Recreate a run folder from ``pack``'s output; ``photogan train --out RUN --resume``
    then continues it.

    Raises:
        UsageError: ``packed`` is not a packed run, or ``run`` already exists.
    """
    packed, run = Path(packed), Path(run)
    if not (packed / MANIFEST).is_file():
        raise UsageError(f"{packed} is not a packed training run (no {MANIFEST}).")
    if run.exists():
        raise UsageError(f"{run} already exists; unpack into a new run folder.")
    last = run / "checkpoints" / "last"
    last.mkdir(parents=True)
    for name in RUN_FILES:
        shutil.copy2(packed / name, run / name)
    for name in CHECKPOINT_AS_IS:
        if (packed / "last" / name).is_file():
            shutil.copy2(packed / "last" / name, last / name)
    for weights in sorted((packed / "last").glob("*.weights.h5")):
        _cast_h5(weights, last / weights.name, "float32")
    _unpack_optimizers(packed / "last" / OPTIMIZERS, last / OPTIMIZERS)
    return run
