"""``photogan bench``: per-task speed, memory and compute efficiency on this machine."""

from __future__ import annotations

import argparse
import json
import sys

from engine.cli.base import EXIT_FAILED, EXIT_OK, command
from engine.cli.cmd_run import ctrl_c_cancels
from engine.events import BenchProgress, CancelToken

COLUMNS = (
    ("task", "task", "{}"),
    ("MP/s", "mp_per_s", "{:.3f}"),
    ("rate", "rate", "{:.2f}"),
    ("GFLOP/s", "gflops", "{:.1f}"),
    ("of peak", "peak_fraction", "{:.0%}"),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
    ("+RSS MB", "rss_delta_mb", "{:.0f}"),
    ("s/run", "seconds", "{:.2f}"),
    ("tile", "tile", "{}"),
    ("tile eff.", "tile_efficiency", "{:.0%}"),
)


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser(
        "bench", help="measure each task's speed, memory and efficiency on this machine",
        description="Measure, in one run, each task's megapixels per second, peak memory and "
                    "(for the generators) achieved GFLOP/s against a matrix-multiply peak "
                    "measured in the same run. Generators use freshly initialised weights.")
    p.add_argument("--tasks", metavar="LIST", default="",
                   help="comma-separated tasks (default: all but monet2photo and the "
                        "training steps), e.g. deblur,deblur-fast,upscale,sample,sharpen; "
                        "train-deblur, train-deblur-crop192: one step of deblur training")
    p.add_argument("--size", default="1024x768", metavar="WxH",
                   help="size of the synthetic photo (default 1024x768)")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="timed runs per task, best kept (default 1)")
    p.add_argument("--tile", type=int, default=0, metavar="N",
                   help="generator tile size (default: automatic, as `run` chooses)")
    p.add_argument("--compare", action="store_true",
                   help="also time each generator through the plain Keras graph (rows "
                        "TASK[plain]), to see what the inference rewrite gains")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    p.add_argument("--json", action="store_true", help="print the rows as a JSON list")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from engine import api

    api.configure_device(args.device)
    tasks = api.parse_tasks(args.tasks)
    size = api.parse_size(args.size)
    token = CancelToken()
    with ctrl_c_cancels(token):
        report = api.run_bench(tasks, size, repeat=max(1, args.repeat),
                               tile=max(0, args.tile), progress=_announce, cancel=token,
                               compare=args.compare)
    rows = [row.to_json() for row in report.rows]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(format_report(report))
    return EXIT_FAILED if any(row["error"] for row in rows) else EXIT_OK


def _announce(event) -> None:
    if isinstance(event, BenchProgress) and event.task:
        sys.stderr.write(f"[{event.done + 1}/{event.total}] measuring {event.task}...\n")
        sys.stderr.flush()


def _cell(value, fmt: str) -> str:
    return "-" if value is None or value == "" else fmt.format(value)


def format_report(report) -> str:
    """The bench table with a header saying where and how it was measured."""
    cpu = report.machine["cpu"]
    peak = report.matmul_peak_gflops
    pools = report.machine.get("threads") or {}
    pool_text = ", ".join(f"{k} {v or 'default'}" for k, v in pools.items())
    lines = [
        f"CPU: {cpu['name']}, {cpu['threads']} threads; backend {report.machine['backend']}"
        + (f" ({pool_text})" if pool_text else "") + f"; {report.machine['date']}",
        f"Photo {report.size[0]}x{report.size[1]}, best of {report.repeat}; matmul peak "
        + (f"{peak:.1f} GFLOP/s" if peak else "not measured"),
        "",
    ]
    table = [[head for head, _, _ in COLUMNS]]
    for row in report.rows:
        data = row.to_json()
        table.append([_cell(data[key], fmt) for _, key, fmt in COLUMNS])
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    for r in table:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths))))
    units = {row.task: row.rate_unit for row in report.rows if row.rate_unit}
    lines += [f"rate of {task}: {unit}" for task, unit in units.items()]
    lines += [f"{row.task}: {row.config['cpu_seconds']} CPU-seconds (all cores) for the full run"
              for row in report.rows if (row.config or {}).get("cpu_seconds")]
    lines += [f"{row.task} failed: {row.error}" for row in report.rows if row.error]
    return "\n".join(lines)
