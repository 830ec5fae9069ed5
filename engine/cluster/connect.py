"""Joining or starting Ray, and checking that every node sees the batch's files.

``connect`` returns a context manager: it starts a private local Ray (``local``) or joins a
running cluster (``auto`` or an address) and shuts down only what it started, so a caller
(or a test session) that already called ``ray.init`` keeps its Ray.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from engine.cluster.ledger import FOLDER
from engine.cluster.settings import require_ray
from engine.errors import UsageError

# Ray's own object store default is 30% of RAM; a desktop batch moves only file names.
LOCAL_OBJECT_STORE_BYTES = 256 * 2**20


@contextmanager
def connect(address: str) -> Iterator[object]:
    """``with connect("local") as ray:``: Ray ready to use; yields the ``ray`` module.

    Raises:
        UsageError: Ray is not installed, or no cluster answers at ``address``.
    """
    require_ray()
    import ray

    started = False
    if not ray.is_initialized():
        _init(ray, address)
        started = True
    _quiet_data()
    try:
        yield ray
    finally:
        if started:
            ray.shutdown()


def _init(ray, address: str) -> None:
    if address == "local":
        # address="local" always starts a new, private Ray (never joins one already there).
        ray.init(address="local", num_cpus=os.cpu_count() or 1, include_dashboard=False,
                 object_store_memory=LOCAL_OBJECT_STORE_BYTES, log_to_driver=False,
                 logging_level=logging.WARNING)
        return
    try:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UsageError(
            f"Could not join a Ray cluster at {address!r} ({exc}). Start one with "
            "'ray start --head' on the head node (and 'ray start --address=HEAD:6379' on "
            "the others), or use local to run on this machine only."
        ) from None


def _quiet_data() -> None:
    """No Ray Data progress bars or per-operator log lines: the front end draws progress."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)


def probe_paths(paths: Sequence[str], marker: str, token: str) -> str:
    """On one node: ``""`` when every path exists and ``marker`` holds ``token``, else why.

    Runs inside a Ray task pinned to the node (plain Python, testable without Ray).
    """
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        return f"cannot see {missing[0]}"
    try:
        seen = Path(marker).read_text(encoding="utf-8")
    except OSError:
        return f"cannot read {marker}"
    return "" if seen == token else f"sees a different {marker}"


def check_shared_storage(ray, inputs: Sequence[Path], out_dir: Path, force: bool = False
                         ) -> None:
    """Every alive node must see the inputs and the output folder at the same paths.

    Writes a marker file with a random token under ``out_dir`` and runs a probe task on
    each node. Skipped for a single-node cluster unless ``force``.

    Raises:
        UsageError: naming the node and what it cannot see.
    """
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if len(nodes) <= 1 and not force:
        return
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    token = secrets.token_hex(8)
    marker = Path(out_dir) / FOLDER / f"probe-{token}.txt"
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(token, encoding="utf-8")
    probe = ray.remote(num_cpus=0)(probe_paths)
    sample = sorted({str(Path(p).absolute()) for p in inputs})[:8]
    try:
        refs = {n["NodeManagerAddress"]: probe.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)
        ).remote(sample, str(marker.absolute()), token) for n in nodes}
        problems = {node: ray.get(ref, timeout=300) for node, ref in refs.items()}
    finally:
        marker.unlink(missing_ok=True)
    bad = {node: why for node, why in problems.items() if why}
    if bad:
        node, why = next(iter(bad.items()))
        raise UsageError(
            f"Node {node} {why}: the input files and the output folder must be on storage "
            "every node mounts at the same path (NFS, SMB or a cluster file system). "
            f"{len(bad)} of {len(nodes)} nodes cannot see them; nothing was processed."
        )
