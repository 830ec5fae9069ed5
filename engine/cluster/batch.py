"""A planned batch on Ray Data: the same per-item code as the local runner, on N workers.

The driver plans as the local runner does (``engine.batch.plan``), reports problems and
skips itself, and sends one row ``{index, input, output}`` per remaining item through::

    ray.data.from_items(rows).map_batches(ItemWorker, batch_size=1,
                                          compute=ActorPoolStrategy(size=N), ...)

Each ``ItemWorker`` actor builds the task once and calls ``engine.batch.run_item`` (read ->
process -> atomic write) per row, so decoding and encoding happen in the worker and EXIF, ICC,
16-bit and alpha survive exactly as locally. Per-file errors are caught there; results stream
back to the driver, which emits the usual ``ItemFinished`` events.

A worker that dies is restarted by Ray and its row retried; ``ledger.Ledger`` counts the
attempts so a file that keeps killing workers is given up after ``max_attempts``. Items that
never reported (the pipeline failed, or the batch was cancelled) are reconciled with the disk:
an existing output is done, anything else failed or cancelled.

Test hook: ``PHOTOGAN_TEST_CRASH_ON=NAME`` makes a worker exit abruptly (``os._exit``) on its
first attempt at the input file ``NAME`` (``NAME:always``: on every attempt).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from engine import batch as local
from engine.batch import BatchResult, PlanItem, RunSettings
from engine.cluster.connect import check_shared_storage, connect
from engine.cluster.ledger import Ledger, remove_stale_temps
from engine.cluster.settings import ClusterSettings
from engine.errors import UsageError
from engine.events import CancelToken, ItemFinished, ItemResult, ProgressFn, no_progress

CRASH_ENV = "PHOTOGAN_TEST_CRASH_ON"
BUDGET_ENV = "PHOTOGAN_MEMORY_BUDGET"
_FIELDS = ("index", "status", "output", "error", "seconds", "hint")


def memory_share(cpus_per_worker: float, gpus_per_worker: float) -> float:
    """The fraction of the node's free RAM one worker may plan tiles for.

    CPU workers split the node by CPUs (a node with 16 CPUs runs up to 16 one-CPU workers);
    a GPU worker's model work happens in device memory, so it keeps its CPU share too.
    """
    cpus = os.cpu_count() or 1
    return min(1.0, max(cpus_per_worker, 1e-3) / cpus)


class ItemWorker:
    """A Ray Data actor: builds the task once, then processes rows of planned items."""

    def __init__(self, task_id: str, options: dict, settings: RunSettings,
                 max_attempts: int, share: float, crash_on: str = "") -> None:
        import psutil

        from engine import backend

        backend.configure(settings.device)
        os.environ[BUDGET_ENV] = str(int(psutil.virtual_memory().available * share))
        from engine.tasks.registry import get_task

        self.task = get_task(task_id)
        self.options, self.settings = options, settings
        self.ledger = Ledger(settings.out_dir)
        self.max_attempts = max_attempts
        self.crash_name, _, mode = crash_on.partition(":")
        self.crash_always = mode == "always"

    def __call__(self, rows: dict) -> dict:
        out: dict[str, list] = {name: [] for name in _FIELDS}
        for index, source, target in zip(rows["index"], rows["input"], rows["output"]):
            result = self.one(int(index), Path(str(source)), Path(str(target)))
            out["index"].append(int(index))
            out["status"].append(result.status)
            out["output"].append(str(result.output) if result.output else "")
            out["error"].append(result.error)
            out["seconds"].append(float(result.seconds))
            out["hint"].append(result.hint)
        return {name: np.asarray(values) for name, values in out.items()}

    def one(self, index: int, source: Path, target: Path) -> ItemResult:
        """One item with crash bookkeeping around ``engine.batch.run_item``."""
        earlier = self.ledger.attempts(target)
        if earlier >= self.max_attempts:
            return ItemResult(source, None, "failed", gave_up_message(source, earlier,
                                                                     self.settings.out_dir))
        attempt = self.ledger.begin(target)
        if source.name == self.crash_name and (self.crash_always or attempt == 1):
            os._exit(1)  # test hook: a worker dying mid-batch
        result = local.run_item(PlanItem(source, target), self.task, self.options,
                                self.settings, index=index)
        self.ledger.end(target)
        return result


def gave_up_message(source: Path, attempts: int, out_dir: Path) -> str:
    return (f"{source.name}: gave up after it stopped a cluster worker {attempts} times "
            f"(a crash while decoding or processing it); check the file, then delete "
            f"{Path(out_dir) / '.photogan-cluster'} to try it again.")


def run(
    items: list[PlanItem],
    task_id: str,
    options: dict,
    settings: RunSettings,
    cluster: ClusterSettings,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> BatchResult:
    """Run a planned batch on Ray; results come back in item order (as the local runner's).

    ``options`` must be parsed already (``Task.parse_options``). Emits
    ``ItemFinished`` events as items finish (in completion order).

    Raises:
        UsageError: Ray missing, no cluster at the address, or files not on shared storage.
    """
    cancel = cancel or CancelToken()
    started = time.perf_counter()
    state = _Collector(items, progress)
    rows = []
    for index, item in enumerate(items):
        if item.problem:
            state.finish(index, ItemResult(item.input, None, "failed", item.problem,
                                           hint=item.hint))
        elif item.skip:
            state.finish(index, ItemResult(item.input, item.output, "skipped", item.skip,
                                           hint=item.hint))
        else:
            rows.append({"index": index, "input": str(item.input), "output": str(item.output)})
    lost = ""
    if rows and not cancel.cancelled:
        local.ensure_out_dir(settings.out_dir)
        remove_stale_temps(Path(r["output"]) for r in rows)
        lost = _execute(rows, task_id, options, settings, cluster, state, cancel)
    result = BatchResult(cancelled=cancel.cancelled)
    result.results = state.reconcile(cancel.cancelled, lost)
    Ledger(settings.out_dir).clear_all()
    result.seconds = time.perf_counter() - started
    return result


def _execute(rows, task_id, options, settings, cluster, state, cancel) -> str:
    """Stream rows through the workers; returns why the pipeline stopped early, or ``""``."""
    with connect(cluster.address) as ray:
        check_shared_storage(ray, [Path(r["input"]) for r in rows], settings.out_dir,
                             force=cluster.address != "local")
        from ray.data import ActorPoolStrategy

        worker_args = {
            "task_id": task_id, "options": options, "settings": settings,
            "max_attempts": cluster.max_attempts,
            "share": memory_share(cluster.cpus_per_worker, cluster.gpus_per_worker),
            "crash_on": os.environ.get(CRASH_ENV, ""),
        }
        dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            ItemWorker, fn_constructor_kwargs=worker_args, batch_size=1,
            compute=ActorPoolStrategy(size=min(cluster.workers, len(rows))),
            num_cpus=cluster.cpus_per_worker, num_gpus=cluster.gpus_per_worker or None,
        )
        stream = iter(dataset.iter_batches(batch_size=1, batch_format="numpy"))
        try:
            for out in stream:
                state.take(out)
                if cancel.cancelled:
                    break
        except UsageError:
            raise
        except Exception as exc:  # the pipeline gave up; reconcile what did not report
            return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
    return ""


class _Collector:
    """Results by item index, with the driver's progress events."""

    def __init__(self, items: list[PlanItem], progress: ProgressFn) -> None:
        self.items, self.progress = items, progress
        self.results: dict[int, ItemResult] = {}
        # An output that existed before the run (--overwrite) proves nothing until replaced.
        self.before = {i: _mtime(item.output) for i, item in enumerate(items)}

    def written(self, index: int) -> bool:
        """Whether item ``index``'s output was (re)written during this run."""
        now = _mtime(self.items[index].output)
        return now is not None and (self.before[index] is None or now > self.before[index])

    def finish(self, index: int, result: ItemResult) -> None:
        self.results[index] = result
        name = self.items[index].input.name
        self.progress(ItemFinished(done=len(self.results), total=len(self.items), item=index,
                                   name=name, result=result))

    def take(self, out: dict) -> None:
        for i in range(len(out["index"])):
            index = int(out["index"][i])
            if index in self.results:
                continue
            output = str(out["output"][i])
            self.finish(index, ItemResult(self.items[index].input,
                                          Path(output) if output else None,
                                          str(out["status"][i]), str(out["error"][i]),
                                          float(out["seconds"][i]), hint=str(out["hint"][i])))

    def reconcile(self, cancelled: bool, lost: str) -> list[ItemResult]:
        """Every item's result in plan order; unreported items judged by their output."""
        for index, item in enumerate(self.items):
            if index in self.results:
                continue
            if self.written(index):
                result = ItemResult(item.input, item.output, "done", "")
            elif cancelled:
                result = ItemResult(item.input, None, "cancelled",
                                    f"{item.input.name}: not finished: the batch was "
                                    "cancelled; no output was written.")
            else:
                result = ItemResult(item.input, None, "failed",
                                    f"{item.input.name}: a cluster worker stopped before "
                                    f"finishing it ({lost or 'no result came back'}); no "
                                    "output was written; run the batch again to retry it.")
            self.finish(index, result)
        return [self.results[i] for i in range(len(self.items))]


def _mtime(path: Path | None) -> int | None:
    try:
        return path.stat().st_mtime_ns if path is not None else None
    except OSError:
        return None
