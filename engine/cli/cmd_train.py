"""``photogan train KIND --data DIR --out RUN_DIR``: train a GAN on your own folders."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.api import TRAINING_KINDS as KINDS
from engine.api import TRAINING_PRESETS as PRESET_NAMES
from engine.api import TRAINING_SPECS as SPECS
from engine.cli.base import EXIT_CANCELLED, EXIT_OK, command
from engine.cli.cmd_run import ctrl_c_cancels, parse_sets
from engine.errors import UsageError
from engine.events import CancelToken, Event, TrainStep

if TYPE_CHECKING:
    from engine import api

DESCRIPTION = """\
Train a GAN on your own folders. A run folder (--out) keeps config.json, history.csv,
samples/step_*.png (input | output | target) and checkpoints/last and best; --resume
continues it exactly where it stopped, and Ctrl-C saves a checkpoint first.

""" + "".join(f"  {spec.name:<10}{spec.cli_help}\n" for spec in SPECS.values())


def _epilog() -> str:
    lines = ["model and loss options (--set NAME=VALUE), with their defaults:"]
    for kind, spec in SPECS.items():
        shown = ", ".join(f"{k}={v}" for k, v in spec.defaults.items() if k != "vgg19_weights")
        lines.append(f"  {kind}: {shown}")
    lines.append("  all kinds: val_count, mixed_precision=auto|true|false, vgg19_weights=FILE "
                 "(deblur, upscale)")
    return "\n".join(lines)


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("train", help="train a GAN on your own folders",
                        description=DESCRIPTION, epilog=_epilog(),
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=KINDS, metavar="KIND", help=", ".join(KINDS))
    p.add_argument("--data", type=Path, metavar="DIR", help="training folder (domain A)")
    p.add_argument("--data-b", type=Path, metavar="DIR", help="domain B folder (cyclegan)")
    p.add_argument("--out", required=True, type=Path, metavar="RUN_DIR", help="run folder")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, metavar="N", help="generator updates")
    length.add_argument("--epochs", type=float, metavar="N", help="passes over the images")
    p.add_argument("--batch", type=int, metavar="B", help="images per step")
    p.add_argument("--crop", type=int, metavar="PX", help="training crop side in pixels")
    p.add_argument("--preset", choices=PRESET_NAMES, default="quick",
                   help="run length and model size for a laptop (default: quick)")
    p.add_argument("--resume", action="store_true", help="continue the run in RUN_DIR")
    p.add_argument("--export", metavar="NAME",
                   help="put the trained generator into the model store at the end")
    p.add_argument("--init-from", metavar="MODEL",
                   help="fine-tune a stored model (same architecture and --set sizes) "
                        "instead of starting from random weights")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    p.add_argument("--lr", type=float, metavar="X", help="learning rate")
    p.add_argument("--sample-every", type=int, metavar="N", help="steps between samples")
    p.add_argument("--checkpoint-every", type=int, metavar="N",
                   help="steps between checkpoints")
    p.add_argument("--set", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="model or loss option, repeatable (listed below)")
    p.add_argument("--device", choices=("auto", "cpu", "gpu"), default="auto")
    p.add_argument("--plain", action="store_true", help="plain lines instead of a progress bar")
    g = p.add_argument_group("distributed training (torch backend, photogan[cluster]; see "
                             "docs/CLUSTER.md)")
    g.add_argument("--distributed", type=int, metavar="N",
                   help="train data-parallel on N Ray workers (--batch is the global batch)")
    g.add_argument("--cluster", metavar="WHERE",
                   help="local (default: this machine), auto or HOST:PORT")
    g.add_argument("--gpus-per-worker", type=float, metavar="G",
                   help="GPUs per worker (default 0)")
    g.add_argument("--cpus-per-worker", type=float, metavar="C",
                   help="CPUs per worker (default 1)")
    p.set_defaults(handler=handle)


def _cluster(args: argparse.Namespace):
    """``ClusterSettings`` for ``--distributed N``, or ``None`` for a one-process run."""
    from engine import api

    if args.distributed is None:
        extra = [flag for flag, value in (("--cluster", args.cluster),
                                          ("--gpus-per-worker", args.gpus_per_worker),
                                          ("--cpus-per-worker", args.cpus_per_worker))
                 if value is not None]
        if extra:
            raise UsageError(f"{', '.join(extra)} only apply with --distributed N.")
        return None
    if args.distributed < 1:
        raise UsageError(f"--distributed needs at least 1 worker, got {args.distributed}.")
    sizes = {"gpus_per_worker": args.gpus_per_worker, "cpus_per_worker": args.cpus_per_worker}
    return api.ClusterSettings(address=args.cluster or "local", workers=args.distributed,
                               **{k: v for k, v in sizes.items() if v is not None})


def _request(args: argparse.Namespace, options: dict):
    """The ``TrainRequest`` the flags describe (``options``: ``--set`` and ``--lr``)."""
    from engine import api

    return api.TrainRequest(
        kind=args.kind, out=args.out, data=args.data, data_b=args.data_b, steps=args.steps,
        epochs=args.epochs, batch=args.batch, crop=args.crop, preset=args.preset,
        resume=args.resume, export=args.export, seed=args.seed, options=options,
        sample_every=args.sample_every, checkpoint_every=args.checkpoint_every,
        init_from=args.init_from,
    )


def handle(args: argparse.Namespace) -> int:
    from engine import api

    api.configure_device(args.device)
    cluster = _cluster(args)
    options = parse_sets(args.params)
    if args.lr is not None:
        options["lr"] = args.lr
    token = CancelToken()
    with ctrl_c_cancels(token), TrainDisplay(args.plain) as display:
        summary = api.train(_request(args, options), progress=display, cancel=token,
                            cluster=cluster)
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun, one summary (rank 0's)
        _finish(args, summary)
    return EXIT_CANCELLED if summary.status == "cancelled" else EXIT_OK


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def step_line(event: TrainStep) -> str:
    """``step 50/200  g_loss=1.23 ...  val_l1=0.031  4.1 img/s  ETA 2m10s``."""
    parts = [f"step {event.done}/{event.total}", event.message]
    if event.images_per_s:
        parts.append(f"{event.images_per_s:.1f} img/s")
    if event.done < event.total and event.eta_s:
        parts.append(f"ETA {_duration(event.eta_s)}")
    return "  ".join(p for p in parts if p)


class TrainDisplay:
    """Training progress: a rich bar on a terminal, else a line per sample step."""

    def __init__(self, force_plain: bool = False) -> None:
        self.plain = force_plain or not sys.stdout.isatty()
        self.bars = None
        self.task = None

    def __enter__(self) -> TrainDisplay:
        if not self.plain:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
            from rich.progress import Progress as RichProgress

            self.bars = RichProgress(TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TextColumn("{task.fields[info]}"))
            self.bars.__enter__()
            self.task = self.bars.add_task("training", total=1, info="")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bars is not None:
            self.bars.__exit__(None, None, None)
        sys.stdout.flush()

    def __call__(self, event: Event) -> None:
        if not isinstance(event, TrainStep):
            return
        sampled = event.validated
        if self.bars is not None:
            info = step_line(event).split("  ", 1)[-1]
            self.bars.update(self.task, completed=event.done, total=event.total, info=info)
            if sampled:
                self.bars.console.print(step_line(event), markup=False)
        elif sampled or event.done in (0, event.total):
            print(step_line(event), flush=True)


def _finish(args: argparse.Namespace, summary: api.TrainSummary) -> None:
    if summary.status == "cancelled":
        print(f"Cancelled at step {summary.step}/{summary.steps}; checkpoint saved. "
              f"Continue with: photogan train {summary.kind} --out {summary.run} --resume")
        return
    speed = f"{summary.images_per_s:.1f} images/s" if summary.images_per_s else ""
    print(f"Done: {summary.step} steps in {_duration(summary.seconds)} ({speed}).")
    if summary.val is not None:
        best = summary.best
        best_text = f" (best {best:.4f} at step {summary.best_step})" if best is not None \
            else ""
        first = summary.val_first
        start = f"{first:.4f} -> " if first is not None else ""
        print(f"{summary.metric}: {start}{summary.val:.4f}{best_text}")
    print(f"Run folder: {summary.run}  (samples: {summary.samples})")
    for entry in summary.exports:
        usage = "-o OUTDIR" if entry.task == "sample" else "INPUT... -o OUTDIR"
        print(f"Exported '{entry.id}' for task {entry.task}. Use it with: photogan run "
              f"{entry.task} {usage} --set model={entry.id}")
