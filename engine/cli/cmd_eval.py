"""``photogan eval deblur|upscale --data DIR``: the model against classical baselines."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli.main import EXIT_OK, command


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("eval", help="score deblur/upscale against classical baselines")
    p.add_argument("task", choices=("deblur", "upscale"))
    p.add_argument("--data", type=Path, required=True, help="folder of sharp held-out photos")
    p.add_argument("--model", default="", help="model id (default: the task's default)")
    p.add_argument("--crop", type=int, default=512, help="centre crop side in pixels")
    p.add_argument("--limit", type=int, default=0, help="only the first N photos")
    p.add_argument("--report", type=Path, metavar="FILE", help="write the results as JSON")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from engine.atomic import write_text_atomic
    from engine.cli.display import PlainDisplay
    from engine.eval import evaluate

    results = evaluate(args.task, args.data, args.model, args.crop, args.limit,
                       PlainDisplay())
    for kind, rows in results.items():
        print(f"\n{args.task} / {kind} ({rows[0].count} photos, border cropped)")
        print(f"{'method':<30} {'PSNR RGB':>9} {'SSIM RGB':>9} {'PSNR Y':>8} {'SSIM Y':>8}"
              f" {'s/MP':>8}")
        for row in rows:
            print(f"{row.method:<30} {row.psnr_rgb:>9.2f} {row.ssim_rgb:>9.4f} "
                  f"{row.psnr_y:>8.2f} {row.ssim_y:>8.4f} {row.seconds_per_mp:>8.2f}")
    if args.report:
        data = {kind: [r.to_json() for r in rows] for kind, rows in results.items()}
        write_text_atomic(args.report, json.dumps(data, indent=2))
    return EXIT_OK
