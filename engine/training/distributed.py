"""Data-parallel training with ``torch.distributed``: ranks, gradient averaging, who writes.

The same training function (``engine.training.runner.train``) runs in every process; this
module is what makes N copies one run. It needs no Ray: Ray Train (``engine.cluster.train``)
and ``torchrun`` both start the processes and set up the process group (gloo on CPU, NCCL on
GPU); ``init_from_env`` does it for ``torchrun``.

- Every rank builds its models from the same seed, so all start with identical weights.
- ``average_gradients`` (called by the torch step adapter, ``engine.training.step``) sums each
  update's gradients over the ranks and divides by their number before the optimizer step,
  so the optimizers stay identical too (PyTorch DDP cannot be used: it does not support
  ``torch.autograd.grad``, which the gradient penalty needs).
- Each rank draws its own batch (``step_rng(seed, step, rank)``) of ``batch / world`` images:
  the global batch is the run's ``batch``.
- Only rank 0 writes (config, history, samples, checkpoints, summary, export);
  ``sync_state`` copies rank 0's batch-norm statistics to the others at the end.

In a single process every function here is a cheap no-op (``world() == (0, 1)``) and torch is
not imported on the TensorFlow backend.
"""

from __future__ import annotations

import os
import sys

from engine.errors import UsageError

TORCH_ONLY = ("Distributed training runs on the Keras torch backend, and this process uses "
              "{backend}. Set KERAS_BACKEND=torch (with the torch extra installed: pip "
              "install 'photogan[torch]') and start it again.")


def _dist():
    """``torch.distributed`` when a process group is up, else ``None``."""
    if "torch" not in sys.modules:
        return None
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def world() -> tuple[int, int]:
    """``(rank, world_size)``: ``(0, 1)`` outside a distributed run."""
    dist = _dist()
    return (dist.get_rank(), dist.get_world_size()) if dist else (0, 1)


def is_writer() -> bool:
    """Whether this process writes the run's files (rank 0)."""
    return world()[0] == 0


def check_backend(backend: str) -> None:
    """``UsageError`` (saying how to switch) unless ``backend`` is ``torch``."""
    if backend != "torch":
        raise UsageError(TORCH_ONLY.format(backend=backend))


def launched_by_torchrun() -> bool:
    """Whether ``torchrun`` (or another launcher) started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_from_env() -> bool:
    """Join the process group ``torchrun`` describes (``RANK``, ``WORLD_SIZE``, ...).

    Returns whether this process is part of a multi-process run. Sets the process's torch
    device to ``cuda:LOCAL_RANK`` when GPUs are visible (before keras is imported).
    """
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return False
    import torch
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        os.environ.setdefault("KERAS_TORCH_DEVICE", f"cuda:{local}")
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return True


def local_batch(batch: int) -> int:
    """This rank's share of the global ``batch``; ``UsageError`` when it does not divide."""
    _, size = world()
    if batch % size:
        raise UsageError(f"The batch ({batch}) must be a multiple of the number of training "
                         f"workers ({size}): each worker takes an equal share of it.")
    return batch // size


def average_gradients(grads: list) -> None:
    """All-reduce ``grads`` (torch tensors) in place to their mean over the ranks."""
    dist = _dist()
    if dist is None or dist.get_world_size() == 1 or not grads:
        return
    import torch

    flat = torch.cat([g.reshape(-1).float() for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat /= dist.get_world_size()
    offset = 0
    for g in grads:
        n = g.numel()
        g.copy_(flat[offset:offset + n].view_as(g).to(g.dtype))
        offset += n


def average_scalars(logs: dict) -> dict:
    """Scalar tensors in ``logs`` averaged over the ranks (the global batch's losses)."""
    dist = _dist()
    if dist is None or dist.get_world_size() == 1:
        return logs
    import torch

    names = [k for k, v in logs.items() if getattr(v, "ndim", 1) == 0]
    if not names:
        return logs
    stacked = torch.stack([logs[k].detach().float().reshape(()) for k in names])
    dist.all_reduce(stacked, op=dist.ReduceOp.SUM)
    stacked /= dist.get_world_size()
    return {**logs, **{k: stacked[i] for i, k in enumerate(names)}}


def sync_state(models) -> None:
    """Copy rank 0's non-trainable variables (batch-norm statistics, seeds) to every rank."""
    dist = _dist()
    if dist is None or dist.get_world_size() == 1:
        return
    for model in models:
        for variable in model.non_trainable_variables:
            value = variable.value
            dist.broadcast(value.data, src=0)


def replicas_agree(models) -> bool | None:
    """Whether every rank holds bit-identical variables (``None`` outside a distributed run).

    Each rank hashes all its models' variables; the hashes are gathered and compared. A
    distributed run records the answer in its summary: ``False`` would mean the ranks drifted
    apart (a gradient that was not averaged), and the exported model is rank 0's.
    """
    dist = _dist()
    if dist is None or dist.get_world_size() == 1:
        return None
    import hashlib

    import numpy as np
    import torch

    digest = hashlib.sha256()
    for model in models:
        for variable in model.variables:
            digest.update(np.ascontiguousarray(variable.numpy()).tobytes())
    mine = torch.tensor([int.from_bytes(digest.digest()[:7], "little")], dtype=torch.int64)
    every = [torch.zeros_like(mine) for _ in range(dist.get_world_size())]
    dist.all_gather(every, mine)
    return all(int(t.item()) == int(mine.item()) for t in every)


def barrier() -> None:
    """Wait for every rank (no-op in one process)."""
    dist = _dist()
    if dist is not None and dist.get_world_size() > 1:
        dist.barrier()


def any_rank(flag: bool) -> bool:
    """Whether ``flag`` is true on any rank (a cancel seen by one stops all at one step)."""
    dist = _dist()
    if dist is None or dist.get_world_size() == 1:
        return flag
    import torch

    value = torch.tensor([1.0 if flag else 0.0])
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item() > 0)


class SharedCancel:
    """A ``CancelToken`` look-alike whose ``cancelled`` is true once any rank cancelled.

    Every rank must read ``cancelled`` at the same points (the runner checks it once before
    every step), since reading it is a collective operation.
    """

    def __init__(self, local) -> None:
        self.local = local
        self._seen = False

    @property
    def cancelled(self) -> bool:
        if not self._seen:
            self._seen = any_rank(bool(self.local.cancelled))
        return self._seen

    def cancel(self) -> None:
        self.local.cancel()

    def check(self) -> None:
        self.local.check()
