"""Where a cluster job runs and how big its workers are; whether Ray is installed.

Importing this module never imports ray.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from engine.errors import UsageError

INSTALL_HINT = ("Ray is not installed; install the cluster extra with "
                "pip install 'photogan[cluster]' (or pip install 'ray[data,train]').")
DEFAULT_MAX_ATTEMPTS = 3


def ray_available() -> bool:
    """Whether ``import ray`` would work (checked without importing it)."""
    return importlib.util.find_spec("ray") is not None


def require_ray() -> None:
    """Raise a ``UsageError`` saying how to install Ray when it is missing."""
    if not ray_available():
        raise UsageError(INSTALL_HINT)


@dataclass
class ClusterSettings:
    """How a batch or a training run uses Ray.

    Attributes:
        address: ``local`` (start a private Ray on this machine), ``auto`` (join the cluster
            this machine belongs to, as ``ray start`` left it) or a Ray address
            (``HOST:PORT`` or ``ray://HOST:PORT``).
        workers: actors (batch) or training processes (train).
        gpus_per_worker: GPUs each worker reserves (0 on CPU; fractions share a GPU).
        cpus_per_worker: CPUs each worker reserves.
        max_attempts: a file whose processing killed this many workers is given up.
    """

    address: str = "local"
    workers: int = 1
    gpus_per_worker: float = 0.0
    cpus_per_worker: float = 1.0
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    def __post_init__(self) -> None:
        if not self.address:
            raise UsageError("The cluster address is empty; use local, auto or HOST:PORT.")
        if int(self.workers) < 1:
            raise UsageError(f"Workers must be at least 1, got {self.workers}.")
        if self.gpus_per_worker < 0 or self.cpus_per_worker <= 0:
            raise UsageError(
                f"GPUs per worker must be >= 0 and CPUs per worker > 0, got "
                f"{self.gpus_per_worker} and {self.cpus_per_worker}."
            )
        if int(self.max_attempts) < 1:
            raise UsageError(f"Max attempts must be at least 1, got {self.max_attempts}.")
        self.workers = int(self.workers)
        self.max_attempts = int(self.max_attempts)
