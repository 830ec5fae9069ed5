"""``photogan eval deblur|upscale --data DIR``: the model against classical baselines;
``photogan eval sample --data DIR``: sample quality through a classifier trained on DIR;
``photogan eval style|painting --data DIR``: style, palette and structure scores
(``engine.evaluation.eval_style``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli.base import EXIT_OK, command
from engine.cli.cmd_run import ctrl_c_cancels, parse_sets
from engine.events import CancelToken


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("eval", help="score deblur/upscale against classical baselines, or "
                        "sample quality with a classifier")
    p.add_argument("task", choices=("deblur", "upscale", "sample", "style", "painting"))
    p.add_argument("--data", type=Path, required=True, help="folder of sharp held-out photos "
                   "(sample: a folder with train/<label>/ and test/<label>/ images)")
    p.add_argument("--model", default="", help="model id (default: the task's default; "
                   "painting: the model whose card names --style, else the default)")
    p.add_argument("--crop", type=int, default=512,
                   help="side of the evaluated window (the most detailed of a fixed 3x3 grid)")
    p.add_argument("--limit", type=int, default=0, help="only the first N photos")
    p.add_argument("--tier", choices=("mild", "heavy", "sharp", "all"), default="all",
                   help="deblur: mild blur, heavy shake/defocus, sharp photos (no blur), or "
                   "all (default)")
    p.add_argument("--no-baselines", action="store_true",
                   help="deblur/upscale: score only the degraded input and the model")
    p.add_argument("--count", type=int, default=2000, help="sample: images per row")
    p.add_argument("--seed", type=int, default=0, help="sample: latent and split seed")
    p.add_argument("--report", type=Path, metavar="FILE", help="write the results as JSON")
    add_style_arguments(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from engine import api
    from engine.cli.display import PlainDisplay

    if args.task == "sample":
        return handle_sample(args)
    if args.task in ("style", "painting"):
        return handle_style(args)
    token = CancelToken()
    with ctrl_c_cancels(token):
        results = api.evaluate(args.task, args.data, args.model, args.crop, args.limit,
                           PlainDisplay(), token, tier=args.tier,
                           baselines=not args.no_baselines)
    for kind, rows in results.sets.items():
        for line in eval_table(args.task, kind, rows):
            print(line)
    if args.report:
        api.write_text_atomic(args.report, json.dumps(results.to_json(), indent=2))
    return EXIT_OK


def eval_table(task: str, kind: str, rows) -> list[str]:
    """One set's table: mean scores per method, then PSNR-Y per photo (short column names)."""
    sharp = kind == "sharp"
    against = "the sharp photo itself" if sharp else "border cropped"
    lines = [f"\n{task} / {kind} ({rows[0].count} photos, {against})",
             f"{'method':<34} {'PSNR RGB':>9} {'SSIM RGB':>9} {'PSNR Y':>8} {'median Y':>9}"
             f" {'SSIM Y':>8} {'s/MP':>8}"]
    lines += [f"{row.method:<34} {row.psnr_rgb:>9.2f} {row.ssim_rgb:>9.4f} "
              f"{row.psnr_y:>8.2f} {row.psnr_y_median:>9.2f} {row.ssim_y:>8.4f} "
              f"{row.seconds_per_mp:>8.2f}" for row in rows]
    if any(row.method.startswith("ref: ") for row in rows):
        lines.append("ref: given each photo's true blur kernel (non-blind), which a real "
                     "photo does not come with; shown for scale, not as a competitor.")
    if task == "deblur":
        legend = " | ".join(f"{i}: {r.method}" for i, r in enumerate(rows))
        lines.append(f"PSNR Y per photo ({legend})")
        lines.append(f"{'photo':<26}" + "".join(f"{i:>7}" for i in range(len(rows))))
        for n, scores in enumerate(rows[0].per_image):
            lines.append(f"{scores['image'][:25]:<26}"
                         + "".join(f"{r.per_image[n]['psnr_y']:>7.2f}" for r in rows))
    return lines


def handle_sample(args: argparse.Namespace) -> int:
    from engine import api
    from engine.cli.display import PlainDisplay

    token = CancelToken()
    with ctrl_c_cancels(token):
        result = api.evaluate_sample(args.data, args.model, args.count, args.seed, PlainDisplay(),
                                 token)
    for line in sample_table(result):
        print(line)
    if args.report:
        api.write_text_atomic(args.report, json.dumps(result.to_json(), indent=2))
    return EXIT_OK


def sample_table(result) -> list[str]:
    """The ``eval sample`` table: the classifier, one row per image set, class histograms."""
    from engine.api import SAMPLE_COVERAGE_MIN as COVERAGE_MIN

    clf = result.classifier
    how = f"trained in {clf.train_seconds:.0f} s" if clf.trained else "cached"
    lines = [f"\nsample / {result.model_id} ({result.arch}), seed {result.seed}",
             f"classifier: {clf.train_images} train images, test accuracy "
             f"{clf.test_accuracy:.1%} on {clf.test_images} ({how}: {clf.cache})",
             f"{'images':<40} {'count':>6} {'class score':>11} {'FCD':>9} "
             f"{f'classes >= {COVERAGE_MIN:.0%}':>15}"]
    n = len(result.classes)
    lines += [f"{r.name:<40} {r.count:>6} {r.classifier_score:>11.3f} {r.fcd:>9.3f} "
              f"{f'{r.covered}/{n}':>15}" for r in result.rows]
    lines.append(f"\npredicted class histogram (%)\n{'class':<40} "
                 + " ".join(f"{c[:5]:>5}" for c in result.classes))
    lines += [f"{r.name:<40} " + " ".join(f"{h * 100:>5.1f}" for h in r.histogram)
              for r in result.rows]
    return lines


# --- style / painting (issue 18) ---------------------------------------------------------


def add_style_arguments(p: argparse.ArgumentParser) -> None:
    """The options only ``eval style`` and ``eval painting`` read."""
    p.add_argument("--style", default="starry_night",
                   help="style/painting: the painting to compare with (a bundled style name "
                   "or an image file)")
    p.add_argument("--size", type=int, default=512,
                   help="style/painting: working size, long side in pixels")
    p.add_argument("--save", type=Path, metavar="DIR",
                   help="style/painting: also write each output there (PNG, working size)")
    p.add_argument("--input-size", type=int, default=0, metavar="PX",
                   help="style/painting: give the task each photo at this long side (at most "
                   "its own; 0: at --size) and score its output brought to --size")
    p.add_argument("--set", dest="params", action="append", default=[], metavar="NAME=VALUE",
                   help="style/painting: a task parameter (repeatable), as in `photogan run`")


def handle_style(args: argparse.Namespace) -> int:
    from engine import api
    from engine.cli.display import PlainDisplay

    token = CancelToken()
    with ctrl_c_cancels(token):
        rows = api.evaluate_style(args.task, args.data, args.style, args.model, args.size,
                              args.limit, PlainDisplay(), cancel=token, save=args.save,
                              input_size=args.input_size, options=parse_sets(args.params))
    for line in api.style_table(args.task, rows, args.style, args.size):
        print(line)
    if args.report:
        api.write_text_atomic(args.report, json.dumps([r.to_json() for r in rows], indent=2))
    return EXIT_OK
