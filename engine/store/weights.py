"""A safe, backend-neutral weights file: ``.npz`` of the model's variables, optionally float16.

No pickle is involved (``allow_pickle=False``), so a weights file can never run code. Arrays are
stored in ``model.weights`` order under keys ``"<index>:<variable path>"``; loading checks the
count and every shape, so a file made for another architecture gives a clear error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.atomic import write_atomic
from engine.errors import ModelError


def save_weights(model, path: Path, float16: bool = False) -> Path:
    """Write ``model``'s variables to ``path`` (``.npz``), float32 or float16 storage."""
    arrays = {}
    for i, var in enumerate(model.weights):
        value = np.asarray(var.numpy() if hasattr(var, "numpy") else var)
        if float16 and value.dtype == np.float32:
            value = value.astype(np.float16)
        arrays[f"{i:04d}:{var.path}"] = value

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(Path(path), lambda fh: np.savez(fh, **arrays))


def load_weights(model, path: Path) -> None:
    """Assign weights from ``path`` to ``model`` (cast to each variable's dtype).

    Raises:
        ModelError: when the file does not fit the model (count or shape mismatch).
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = [data[k] for k in sorted(data.files)]
    except (OSError, ValueError) as exc:
        raise ModelError(f"Cannot read the weights file {Path(path).name}: {exc}.") from None
    variables = model.weights
    if len(arrays) != len(variables):
        raise ModelError(
            f"The weights file {Path(path).name} holds {len(arrays)} arrays but the "
            f"architecture needs {len(variables)}; it was made for a different model.")
    for var, value in zip(variables, arrays):
        if tuple(var.shape) != tuple(value.shape):
            raise ModelError(
                f"The weights file {Path(path).name} does not fit this architecture: "
                f"{var.path} needs shape {tuple(var.shape)}, the file has {tuple(value.shape)}.")
        var.assign(value.astype(var.dtype if isinstance(var.dtype, str) else "float32"))
