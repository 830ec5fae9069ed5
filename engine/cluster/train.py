"""A training run on N Ray Train workers (``TorchTrainer``), the same runner in each.

Every worker calls ``engine.training.runner.train`` on the Keras torch backend; Ray Train
starts the processes and the process group (gloo on CPU, NCCL on GPU), and
``engine.training.distributed`` does the rest (gradient all-reduce in the torch step, rank
seeds, rank-0 writes). The run folder must be on storage every node sees.

Rank 0's progress events and the driver's cancel travel through a small ``_Channel`` actor:
the driver shows the same progress as a local run, and Ctrl-C saves a checkpoint and ends
the run as ``cancelled`` on every rank at the same step. A worker that dies makes Ray Train
restart the group (``FailureConfig``), which resumes from the last checkpoint.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict
from pathlib import Path

from engine.cluster.connect import check_shared_storage, connect
from engine.cluster.settings import ClusterSettings
from engine.errors import HINT_RESUME, PhotoGANError, UsageError
from engine.events import CancelToken, ProgressFn, no_progress

# Variables a worker needs from the driver's environment (its model store, its data home).
PASSED_ENV = ("PHOTOGAN_HOME", "PHOTOGAN_MIXED_PRECISION", "PYTHONPATH")
POLL_S = 0.2


class _ChannelImpl:
    """Rank 0 -> driver progress events; driver -> rank 0 cancel flag."""

    def __init__(self) -> None:
        self.events: list = []
        self.cancelled = False

    def put(self, event) -> None:
        self.events.append(event)

    def take(self) -> list:
        events, self.events = self.events, []
        return events

    def cancel(self) -> None:
        self.cancelled = True

    def is_cancelled(self) -> bool:
        return self.cancelled


class _RemoteCancel:
    """Rank 0's view of the driver's cancel (read once per step by the runner)."""

    def __init__(self, channel) -> None:
        self.channel = channel
        self._local = CancelToken()

    @property
    def cancelled(self) -> bool:
        import ray

        if not self._local.cancelled and ray.get(self.channel.is_cancelled.remote()):
            self._local.cancel()
        return self._local.cancelled

    def cancel(self) -> None:
        self._local.cancel()

    def check(self) -> None:
        self._local.check()


def train_worker(config: dict) -> None:
    """The function every Ray Train worker runs (``train_loop_per_worker``)."""
    os.environ.update(config["env"])
    import ray.train
    from ray.train.torch import get_device

    device = get_device()
    if device.type == "cuda":  # Ray shares CUDA_VISIBLE_DEVICES among a node's workers
        os.environ["KERAS_TORCH_DEVICE"] = str(device)
    from engine.training.runner import CONFIG, TrainRequest, train

    request = TrainRequest(**config["request"])
    # Ray Train restarts a failed group: continue the run the first attempt started.
    request.resume = request.resume or (request.out / CONFIG).is_file()
    rank = ray.train.get_context().get_world_rank()
    channel = config["channel"]
    progress = (lambda event: channel.put.remote(event)) if rank == 0 else no_progress
    cancel = _RemoteCancel(channel) if rank == 0 else CancelToken()
    train(request, progress, cancel)  # rank 0 writes summary.json for the driver


def global_batch(request) -> int:
    """The run's batch as the runner will resolve it (for an up-front divisibility check)."""
    from engine.training import presets
    from engine.training.runner import CONFIG, RunConfig

    if request.resume and (Path(request.out) / CONFIG).is_file():
        return RunConfig.load(Path(request.out)).batch
    return int(request.batch or presets.preset(request.kind, request.preset or "quick").batch)


def run(request, cluster: ClusterSettings, progress: ProgressFn = no_progress,
        cancel: CancelToken | None = None) -> dict:
    """Train ``request`` (an ``engine.api.TrainRequest``) on ``cluster.workers``.

    Returns rank 0's summary (as ``runner.train``).

    Raises:
        UsageError: bad settings (checked before any worker starts), no cluster, files not on
            shared storage.
        PhotoGANError: the run failed on the workers (their error is quoted).
    """
    from engine.training.runner import CONFIG, SUMMARY

    cancel = cancel or CancelToken()
    out = Path(request.out).absolute()
    if not request.resume and (out / CONFIG).is_file():
        raise UsageError(f"{out} already holds a training run.", hint=HINT_RESUME)
    batch = global_batch(request)
    if batch % cluster.workers:
        raise UsageError(f"The batch ({batch}) must be a multiple of the number of training "
                         f"workers ({cluster.workers}): each worker takes an equal share.")
    fields = {**asdict(request), "out": out}
    for name in ("data", "data_b"):
        fields[name] = Path(fields[name]).absolute() if fields[name] else None
    with connect(cluster.address) as ray:
        out.mkdir(parents=True, exist_ok=True)
        check_shared_storage(ray, [p for p in (fields["data"], fields["data_b"]) if p], out)
        channel = ray.remote(num_cpus=0)(_ChannelImpl).remote()
        env = {k: os.environ[k] for k in PASSED_ENV if k in os.environ}
        env["KERAS_BACKEND"] = "torch"
        trainer = _trainer(cluster, out, {"request": fields, "env": env, "channel": channel})
        _fit(ray, trainer, channel, progress, cancel)
    return json.loads((out / SUMMARY).read_text(encoding="utf-8"))


def _trainer(cluster: ClusterSettings, out: Path, config: dict):
    from ray.train import FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    resources = {"CPU": cluster.cpus_per_worker}
    if cluster.gpus_per_worker:
        resources["GPU"] = cluster.gpus_per_worker
    return TorchTrainer(
        train_worker, train_loop_config=config,
        scaling_config=ScalingConfig(num_workers=cluster.workers,
                                     use_gpu=cluster.gpus_per_worker > 0,
                                     resources_per_worker=resources),
        run_config=RunConfig(name="photogan", storage_path=str(out / ".ray-train"),
                             failure_config=FailureConfig(max_failures=cluster.max_attempts - 1)),
    )


def _fit(ray, trainer, channel, progress: ProgressFn, cancel: CancelToken):
    """``trainer.fit()`` in a thread while this one relays progress and the cancel flag."""
    box: dict = {}

    def fit() -> None:
        try:
            box["result"] = trainer.fit()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=fit, name="ray-train-fit", daemon=True)
    thread.start()
    sent = False
    while thread.is_alive():
        thread.join(POLL_S)
        if cancel.cancelled and not sent:
            channel.cancel.remote()
            sent = True
        for event in ray.get(channel.take.remote()):
            progress(event)
    for event in ray.get(channel.take.remote()):
        progress(event)
    if "error" in box:
        raise PhotoGANError(f"Distributed training failed on the workers: "
                            f"{_first_line(box['error'])}") from box["error"]
    return box["result"]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    for line in text.splitlines():
        if "Error" in line or "error" in line:
            return line.strip()
    return text.splitlines()[0] if text else type(exc).__name__
