"""Measuring primitives of ``photogan bench`` (``engine.evaluation.bench``): peak memory,
best-of timing, the matrix-multiply peak, FLOPs of a Keras model, the synthetic photo and
the machine description. Nothing here prints."""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone

import numpy as np
import psutil

from engine import backend
from engine.imaging.image import Image

MATMUL_SIDE = 2048
MATMUL_REPEATS = 5
RSS_INTERVAL_S = 0.005
MB = 1024 * 1024


# --- measuring helpers ------------------------------------------------------------------------

class PeakRss:
    """Context manager: peak RSS of this process while the block runs, sampled by a thread.

    Attributes (after the block): ``start_mb``, ``peak_mb``.
    """

    def __init__(self, interval: float = RSS_INTERVAL_S) -> None:
        self.interval = interval
        self._process = psutil.Process()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.start_mb = self.peak_mb = 0.0

    def _rss_mb(self) -> float:
        return self._process.memory_info().rss / MB

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_mb = max(self.peak_mb, self._rss_mb())

    def __enter__(self) -> PeakRss:
        self._stop.clear()
        self.start_mb = self.peak_mb = self._rss_mb()
        self._thread = threading.Thread(target=self._watch, name="bench-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, self._rss_mb())


def best_time(fn: Callable[[], object], repeat: int) -> float:
    """Smallest wall time in seconds of ``repeat`` calls of ``fn`` (the least disturbed run on
    a shared machine)."""
    best = math.inf
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_peak_gflops(side: int = MATMUL_SIDE, repeats: int = MATMUL_REPEATS) -> float:
    """Best float32 GFLOP/s of a ``side x side`` matrix product with ``keras.ops.matmul`` on
    the active backend and device, after a warm-up (``2 * side**3`` FLOPs per product)."""
    ops = backend.keras().ops
    rng = np.random.default_rng(0)
    a = ops.convert_to_tensor(rng.standard_normal((side, side), dtype=np.float32))
    b = ops.convert_to_tensor(rng.standard_normal((side, side), dtype=np.float32))

    def product() -> None:
        # Reading one element back waits for asynchronous devices to finish the product.
        ops.convert_to_numpy(ops.matmul(a, b)[0, 0])

    product()
    return 2.0 * side**3 / best_time(product, repeats) / 1e9


# --- FLOP counting ----------------------------------------------------------------------------

def count_flops(model, input_shape: tuple[int, ...]) -> int:
    """Floating-point operations of one forward pass of ``model`` on one input of
    ``input_shape`` (without the batch axis, e.g. ``(256, 256, 3)`` or ``(100,)``).

    Counts multiply-adds as 2 FLOPs in ``Conv2D`` (``2 kh kw cin/groups cout Hout Wout``),
    ``DepthwiseConv2D``, ``Conv2DTranspose`` and ``Dense`` (``2 in out`` per position);
    normalisation, activations, padding and additions are ignored (cheap next to the convs).
    A transposed conv is counted per *input* pixel (``2 kh kw cin cout Hin Win``): that is the
    arithmetic it needs, and what oneDNN and cuDNN perform; counting per output pixel would
    include the multiplications by the zeros a stride inserts (``stride**2`` times more).

    The model is cloned onto a fixed-shape input so every layer's shapes are concrete; the
    original model is left untouched.
    """
    keras = backend.keras()
    inputs = keras.Input(shape=tuple(input_shape), batch_size=1)
    fixed = keras.models.clone_model(model, input_tensors=inputs)
    return sum(_layer_flops(layer, keras) for layer in fixed.layers)


def _layer_flops(layer, keras) -> int:
    layers = keras.layers
    if isinstance(layer, keras.Model):
        return count_flops(layer, tuple(layer.input.shape[1:]))
    if isinstance(layer, layers.Conv2DTranspose):
        kh, kw = layer.kernel_size
        _, h_in, w_in, c_in = layer.input.shape
        return 2 * kh * kw * c_in * layer.filters * h_in * w_in
    if isinstance(layer, layers.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        _, h_out, w_out, c_out = layer.output.shape
        return 2 * kh * kw * c_out * h_out * w_out
    if isinstance(layer, layers.Conv2D):
        kh, kw = layer.kernel_size
        c_in = layer.input.shape[-1] // layer.groups
        _, h_out, w_out, c_out = layer.output.shape
        return 2 * kh * kw * c_in * c_out * h_out * w_out
    if isinstance(layer, layers.Dense):
        positions = math.prod(layer.input.shape[1:-1])
        return 2 * layer.input.shape[-1] * layer.units * positions
    return 0


# --- the synthetic photo ----------------------------------------------------------------------

def synthetic_photo(width: int, height: int, seed: int = 0) -> Image:
    """A deterministic photo-like ``Image``: smooth colour regions plus fine texture."""
    from engine.imaging.resample import resize_to

    rng = np.random.default_rng(seed)
    coarse = rng.random((max(2, height // 64), max(2, width // 64), 3), dtype=np.float32)
    smooth = resize_to(coarse, width, height, "bicubic")
    texture = rng.normal(0.0, 0.04, (height, width, 3)).astype(np.float32)
    return Image(pixels=np.clip(smooth + texture, 0.0, 1.0).astype(np.float32))


# --- the machine ------------------------------------------------------------------------------

def compute_threads() -> dict:
    """The backend's thread pools as configured (``0``: the backend's default, one per core)."""
    name = backend.backend_name()
    if name == "tensorflow" and "tensorflow" in sys.modules:
        threading_config = sys.modules["tensorflow"].config.threading
        return {"intra_op": threading_config.get_intra_op_parallelism_threads(),
                "inter_op": threading_config.get_inter_op_parallelism_threads()}
    if name == "torch" and "torch" in sys.modules:
        torch = sys.modules["torch"]
        return {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
    return {}


def machine_info() -> dict:
    """CPU, threads, backend and library versions, and the date of the run."""
    backend.configure()
    info = {
        "cpu": backend.cpu_description(),
        "threads": compute_threads(),
        "backend": backend.backend_name(),
        "libraries": backend.library_versions(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "env": {k: os.environ[k] for k in ("TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS",
                                           "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
                if k in os.environ},
    }
    return info
