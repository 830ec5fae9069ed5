"""One local Ray for the whole test session (Ray takes seconds to start; tests share it).

Every test here is skipped, with the reason, only when ray is not importable; CI installs
the cluster extra (``make test``), so there they run.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from pathlib import Path

import pytest

HAVE_RAY = importlib.util.find_spec("ray") is not None
NO_RAY = "ray is not installed (pip install 'photogan[cluster]'); cluster tests skipped"
ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.ray)
            if not HAVE_RAY:
                item.add_marker(pytest.mark.skip(reason=NO_RAY))


@pytest.fixture(scope="session")
def ray_cluster():
    """``ray`` initialised with 2 CPUs, no dashboard and a small object store."""
    import ray

    if not ray.is_initialized():
        # Workers import this checkout's engine (the venv's editable install may point
        # elsewhere in a multi-worktree setup).
        path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=80 * 2**20,
                 log_to_driver=False, logging_level=logging.WARNING,
                 runtime_env={"env_vars": {"PYTHONPATH": path, "KERAS_BACKEND": "torch",
                                           "OMP_NUM_THREADS": "1"}})
    yield ray
    ray.shutdown()
