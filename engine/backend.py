"""Picks the Keras backend and device before Keras is imported, and reports devices.

Call ``configure()`` before anything imports keras. Keras is imported lazily by the tasks that
need it, so classical tasks and ``photogan --version`` never pay for TensorFlow's start-up.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import sys

DEVICES = ("auto", "cpu", "gpu")
DEFAULT_BACKEND = "tensorflow"


def configure(device: str = "auto") -> None:
    """Set environment variables that must be in place before keras/tensorflow load.

    Args:
        device: ``auto`` (GPU when present), ``cpu`` (hide GPUs) or ``gpu``.
    """
    os.environ.setdefault("KERAS_BACKEND", DEFAULT_BACKEND)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    if device == "cpu" and "keras" not in sys.modules:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"


def backend_name() -> str:
    """The Keras backend that is or will be used (``tensorflow``, ``torch`` or ``jax``)."""
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    return os.environ.get("KERAS_BACKEND", DEFAULT_BACKEND)


def keras():
    """Import and return keras after ``configure()``."""
    configure()
    return importlib.import_module("keras")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries PhotoGAN depends on (``-`` when missing)."""
    names = ["keras", "tensorflow", "tensorflow-cpu", "torch", "numpy",
             "opencv-python-headless", "Pillow", "PySide6-Essentials", "PySide6"]
    found = {}
    for name in names:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def gpu_devices() -> list[dict]:
    """GPUs visible to the active backend: ``[{"name", "memory_mb"}]`` (empty on CPU)."""
    name = backend_name()
    try:
        if name == "torch":
            return _torch_gpus()
        if name == "tensorflow":
            return _tf_gpus()
    except Exception:  # device probing must never break `info`
        return []
    return []


def _torch_gpus() -> list[dict]:
    import torch

    if not torch.cuda.is_available():
        return []
    out = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        out.append({"name": props.name, "memory_mb": props.total_memory // 2**20})
    return out


def _tf_gpus() -> list[dict]:
    import tensorflow as tf

    out = []
    for dev in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(dev)
        out.append({"name": details.get("device_name", dev.name), "memory_mb": None})
    return out


def has_gpu() -> bool:
    """Whether the backend sees at least one GPU."""
    return bool(gpu_devices())


def cpu_description() -> dict:
    """CPU model string and thread count."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"name": model, "threads": os.cpu_count() or 1}


def describe() -> dict:
    """Everything ``photogan info`` prints: backend, versions, devices."""
    configure()
    gpus = gpu_devices()
    return {
        "backend": backend_name(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "libraries": library_versions(),
        "gpus": gpus,
        "cpu": cpu_description(),
        "device": "gpu" if gpus else "cpu",
    }


BACKENDS = ("tensorflow", "torch", "jax")


def available_backends() -> list[str]:
    """Keras backends whose library is installed (checked without importing them)."""
    import importlib.util

    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def keras_loaded() -> bool:
    """Whether Keras is imported already (its backend can no longer change in this process)."""
    return "keras" in sys.modules


def select_backend(name: str) -> None:
    """Use backend ``name`` for Keras in this process (before Keras is imported).

    Raises:
        UsageError: an unknown or uninstalled backend, or Keras already runs on another one.
    """
    from engine.errors import UsageError

    if name not in available_backends():
        raise UsageError(f"The Keras backend '{name}' is not installed; use one of "
                         f"{', '.join(available_backends())}.")
    if keras_loaded() and backend_name() != name:
        raise UsageError(f"Keras already runs on {backend_name()} in this PhotoGAN window; "
                         f"restart PhotoGAN and train before running any model to use {name}.")
    os.environ["KERAS_BACKEND"] = name
