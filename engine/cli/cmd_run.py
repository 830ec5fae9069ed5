"""``photogan run TASK INPUT... -o OUTDIR``: the batch runner from the command line."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

from engine.api import OUTPUT_FORMATS, BatchResult, logs
from engine.cli.base import (
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_NO_INPUT,
    EXIT_OK,
    command,
)
from engine.cli.display import error_text, make_display
from engine.errors import UsageError
from engine.events import CancelToken


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("run", help="run a task on files and folders",
                        description="Run TASK on every image in INPUT (files and folders).")
    p.add_argument("task", metavar="TASK", help="task id (see `photogan tasks`)")
    p.add_argument("inputs", metavar="INPUT", nargs="*", type=Path,
                   help="image files and folders (none for tasks that generate images)")
    p.add_argument("-o", "--output", required=True, type=Path, metavar="OUTDIR",
                   help="output folder (created if missing)")
    p.add_argument("--set", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="task parameter, repeatable (see `photogan tasks`)")
    p.add_argument("--tile", type=int, default=0, metavar="N",
                   help="tile size in pixels (default: automatic from free memory)")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    p.add_argument("--recursive", action="store_true",
                   help="walk sub-folders and mirror them under OUTDIR")
    p.add_argument("--format", choices=OUTPUT_FORMATS, default="same",
                   help="output format (default: same as the input)")
    p.add_argument("--quality", type=int, default=95, metavar="Q",
                   help="JPEG/WebP quality 1-100 (default 95)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--report", type=Path, metavar="FILE", help="write a JSON report")
    p.add_argument("--plain", action="store_true", help="plain lines instead of a progress bar")
    add_cluster_arguments(p)
    p.set_defaults(handler=handle)


def add_cluster_arguments(p: argparse.ArgumentParser) -> None:
    """``--cluster`` and the worker sizes (see docs/CLUSTER.md)."""
    g = p.add_argument_group("cluster (needs photogan[cluster]; see docs/CLUSTER.md)")
    g.add_argument("--cluster", metavar="WHERE",
                   help="run on Ray: local (this machine), auto (the cluster this machine "
                        "joined with `ray start`) or HOST:PORT")
    g.add_argument("--workers", type=int, metavar="N", help="worker processes (default 1)")
    g.add_argument("--gpus-per-worker", type=float, metavar="G",
                   help="GPUs per worker (default 0)")
    g.add_argument("--cpus-per-worker", type=float, metavar="C",
                   help="CPUs per worker (default 1)")


def parse_sets(pairs: list[str]) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; ``UsageError`` on a missing ``=``."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--set expects NAME=VALUE, got {pair!r}.")
        out[name.strip()] = value
    return out


@contextmanager
def ctrl_c_cancels(token: CancelToken):
    """First Ctrl-C (or SIGTERM, as sent by ``kill`` or a session ending) asks the work to
    stop cleanly, so a training run saves its checkpoint; a second one interrupts at once."""

    def on_signal(signum, frame):
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()
        sys.stderr.write("\nCancelling after the current step (Ctrl-C again to force)...\n")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def handle(args: argparse.Namespace) -> int:
    from engine import api

    api.configure_device(args.device)
    settings = api.RunSettings(
        out_dir=args.output, format=args.format, quality=args.quality,
        overwrite=args.overwrite, recursive=args.recursive, tile=args.tile, device=args.device,
    )
    task = api.describe_task(args.task)
    options = api.parse_options(args.task, parse_sets(args.params))
    token = CancelToken()
    if task.kind == "generate":
        return _generate(args, settings, options, token)
    if not args.inputs:
        raise UsageError(f"Task '{args.task}' needs at least one INPUT file or folder.")
    cluster = cluster_settings(args)
    items = api.plan(args.inputs, args.task, settings)
    if not items:
        sys.stderr.write("photogan: no input images found in the given files and folders.\n")
        return EXIT_NO_INPUT
    with ctrl_c_cancels(token), make_display(args.plain) as display:
        if cluster is not None:
            result = api.run_batch_on_cluster(items, args.task, options, settings, cluster,
                                              display, token)
        else:
            result = api.run_batch(items, args.task, options, settings, display, token)
    _finish(args, items, result)
    if result.cancelled:
        return EXIT_CANCELLED
    return EXIT_FAILED if result.count("failed") else EXIT_OK


def cluster_settings(args: argparse.Namespace):
    """``ClusterSettings`` from ``--cluster`` and the worker sizes, or ``None`` (local run)."""
    from engine import api

    sizes = {"workers": args.workers, "gpus_per_worker": args.gpus_per_worker,
             "cpus_per_worker": args.cpus_per_worker}
    given = {k: v for k, v in sizes.items() if v is not None}
    if not args.cluster:
        if given:
            flags = ", ".join("--" + k.replace("_", "-") for k in given)
            raise UsageError(f"{flags} only apply with --cluster local|auto|HOST:PORT.")
        return None
    return api.ClusterSettings(address=args.cluster, **given)


def _generate(args, settings, options, token: CancelToken) -> int:
    from engine import api

    if getattr(args, "cluster", None):
        raise UsageError(f"Task '{args.task}' generates images on this machine; drop --cluster.")
    if args.inputs:
        raise UsageError(f"Task '{args.task}' generates images and takes no INPUT.")
    with ctrl_c_cancels(token), make_display(args.plain) as display:
        paths = api.generate(args.task, options, settings, display, token)
    for path in paths:
        print(f"wrote {path}")
    if args.report:
        entries = [{"input": None, "output": str(p), "status": "done", "error": "",
                    "seconds": 0.0} for p in paths]
        _write_report(args.report, entries)
    return EXIT_OK


def _finish(args: argparse.Namespace, items, result: BatchResult) -> None:
    done, skipped, failed = (result.count(s) for s in ("done", "skipped", "failed"))
    entries = [{**r.to_json(), "error": error_text(r)} for r in result.results]
    not_started = items[len(result.results):]
    for item in not_started:
        entries.append({"input": str(item.input), "output": None, "status": "skipped",
                        "error": "not started: the batch was cancelled.", "seconds": 0.0})
    head = "Cancelled. " if result.cancelled else ""
    print(f"{head}{done} done, {skipped} skipped, {failed} failed"
          + (f", {len(not_started)} not started" if not_started else "")
          + f" in {result.seconds:.1f} s. Outputs in {args.output}")
    for r in result.results:
        if r.status == "failed":
            print(f"  failed: {error_text(r)}")
            if args.debug and r.details and not logs.on_terminal():  # (else shown already)
                sys.stderr.write(r.details)
    if args.report:
        _write_report(args.report, entries)


def _write_report(path: Path, entries: list[dict]) -> None:
    from engine import api

    api.write_text_atomic(path, json.dumps(entries, indent=2))
