"""Train a deblur generator from a GPU kit within a time budget and write it to OUTDIR.

Run by ``build_scripts/gpu_train.sh`` (which installs the kit's wheels first) on the Keras
torch backend; see docs/GPU.md. The run is an ordinary ``photogan train deblur`` run folder
(``--run``), driven in three calls of ``engine.training.runner.train``:

1. *probe*: a few steps to measure the step time (the first step, which compiles, is left
   out), then a cancel (which checkpoints);
2. *main*: resumed with as many steps as fit in the minutes left (the learning rate's linear
   decay then ends at the deadline), checkpointing about every ``--checkpoint-minutes``;
   cancelled at the deadline if the estimate was optimistic;
3. *export*: resumed with the steps done, exported into a private store and copied to OUTDIR
   as ``manifest.json`` + float16 ``weights.npz`` (the format of resources/weights/*), plus
   ``history.csv``, ``summary.json`` and the last validation samples.

``--init-from`` continues a campaign from an earlier OUTDIR (or a model id): its weights
start the generator (the optimizer starts fresh, as ``photogan train --init-from`` does).
Precision: ``bf16`` builds the models under Keras' ``mixed_bfloat16`` policy (float32
variables, bfloat16 compute, no loss scaling); the default picks it when CUDA is present.
Channels-last: see ``_channels_last`` (on with CUDA); ``cudnn.benchmark`` and TF32 are on.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
MODELS = {  # MODEL argument -> trainer options
    "deblur-unet": {"arch": "deblur_unet", "width": 32},
    "deblur-unet-small": {"arch": "deblur_unet", "width": 16},
}
EXPORT_RESERVE_S = 45.0  # the export call (model build, checkpoint restore, copy)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help=f"one of {', '.join(MODELS)}")
    p.add_argument("outdir", type=Path)
    p.add_argument("minutes", type=float, nargs="?", default=8.0)
    p.add_argument("--kit", type=Path, default=ROOT / "gpu-kit")
    p.add_argument("--run", type=Path, help="run folder, kept off OUTDIR (default "
                   "/tmp/photogan-gpu/<model>-run; an existing one is continued)")
    p.add_argument("--init-from", help="an earlier OUTDIR (manifest.json + weights.npz) "
                   "or a model id")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-steps", type=int, help="never more steps than this")
    p.add_argument("--probe-steps", type=int, default=20)
    p.add_argument("--checkpoint-minutes", type=float, default=3.0)
    p.add_argument("--precision", choices=("auto", "bf16", "float32"), default="auto")
    p.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto",
                   help="convolutions in the channels-last layout without copies (auto: "
                   "with CUDA)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="more trainer options (e.g. width=4, fft_weight=0.1)")
    p.add_argument("--id", default=None, help="model id in OUTDIR's manifest (default MODEL)")
    return p.parse_args(argv)


def _options(args) -> dict:
    if args.model not in MODELS:
        raise SystemExit(f"unknown MODEL {args.model!r}; use one of {', '.join(MODELS)}.")
    options = {**MODELS[args.model], "adv_weight": 0.0, "fft_weight": 0.1,
               "degradation": "heavy", "lr": args.lr, "mixed_precision": False,
               "plain_crops": 0.3, "decay_start": 0.5}
    for item in args.set:
        key, _, value = item.partition("=")
        options[key] = value
    return options


def _precision(choice: str) -> str:
    import torch

    if choice == "auto":
        return "bf16" if torch.cuda.is_available() else "float32"
    return choice


def _setup_torch() -> str:
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    return torch.cuda.get_device_name(0)


def _channels_last(choice: str) -> bool:
    """Keras' torch convolutions copy every NHWC activation to NCHW (``permute(...)
    .contiguous()``) and permute the result back. A permuted NHWC tensor already *is* a
    channels-last NCHW tensor, so asking for that layout instead copies nothing, and cuDNN
    runs its NHWC kernels (the layout its bf16 tensor-core convolutions prefer); outputs
    come back NHWC-contiguous. Patched here, for this process only (``auto``: with CUDA).
    """
    import torch

    if choice == "off" or (choice == "auto" and not torch.cuda.is_available()):
        return False
    from keras.src.backend.torch import nn

    original = nn._transpose_spatial_inputs

    def transpose(inputs):
        if inputs.ndim == 4:
            return torch.permute(inputs, (0, 3, 1, 2)).contiguous(
                memory_format=torch.channels_last)
        return original(inputs)

    nn._transpose_spatial_inputs = transpose
    return True


def _init_model(init_from: str | None, home: Path) -> str | None:
    """Copy the model to start from into the run's private store; returns its id.

    ``init_from`` is a folder holding manifest.json (an earlier OUTDIR, or a folder of
    resources/weights) or a stored model's id. The run's store is private and the shipped
    models are hidden from it afterwards (``run``), so the export's id never clashes with a
    shipped one.
    """
    if not init_from:
        return None
    folder = Path(init_from)
    if not (folder / "manifest.json").is_file():
        from engine.store import catalog

        folder = catalog.get(init_from).weights_path.parent
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    target = home / "models" / manifest["id"]
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in ("manifest.json", manifest["file"]):
        shutil.copy2(folder / name, target / name)
    return manifest["id"]


class Budget:
    """Progress callback: measures step times and cancels at a step count or a deadline."""

    def __init__(self, cancel, deadline: float, stop_at: int | None = None) -> None:
        self.cancel, self.deadline, self.stop_at = cancel, deadline, stop_at
        self.times: list[float] = []
        self.last = None
        self.step = 0

    def __call__(self, event) -> None:
        now = time.monotonic()
        if self.last is not None and event.done > self.step:
            self.times.append((now - self.last) / (event.done - self.step))
        self.last, self.step = now, event.done
        if (self.stop_at is not None and event.done >= self.stop_at) or now >= self.deadline:
            self.cancel.cancel()

    def seconds_per_step(self) -> float:
        recent = self.times[1:] or self.times  # the first step traces and compiles
        return float(np.median(recent)) if recent else 1.0


def _dataset(args, run_dir: Path, options: dict):
    """The kit's dataset, built once for the three calls (decoding the tiles takes a while);
    a continued run keeps its saved crop, seed, plain-crop and bokeh shares."""
    from engine.training.kit_dataset import KitDataset

    crop, seed = args.crop, args.seed
    plain, bokeh = float(options["plain_crops"]), float(options.get("bokeh_share", 0.0))
    if (run_dir / "config.json").is_file():
        saved = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        crop, seed = saved["crop"], saved["seed"]
        plain = float(saved["options"].get("plain_crops", plain))
        bokeh = float(saved["options"].get("bokeh_share", 0.0))
    return KitDataset(args.kit, crop=crop, seed=seed, plain_crops=plain, bokeh_share=bokeh)


def _train(runner, request, budget: Budget, dataset) -> dict:
    return runner.train(request, progress=budget, cancel=budget.cancel, dataset=dataset)


def run(args) -> dict:
    from engine import events
    from engine.training import runner

    began = time.monotonic()
    deadline = began + args.minutes * 60.0 - EXPORT_RESERVE_S
    out = args.outdir
    run_dir = args.run or Path("/tmp/photogan-gpu") / f"{args.model}-run"
    home = run_dir / "home"
    os.environ["PHOTOGAN_HOME"] = str(home)
    device = _setup_torch()
    layout = "channels-last" if _channels_last(args.channels_last) else "keras default"
    options = _options(args)
    init_id = _init_model(args.init_from, home)
    os.environ["PHOTOGAN_RESOURCES"] = str(run_dir / "no-shipped-models")
    base = dict(kind="deblur", out=run_dir, data=args.kit, batch=args.batch, crop=args.crop,
                seed=args.seed, options=options, init_from=init_id)
    cap = args.max_steps or 10**7
    resume = (run_dir / "config.json").is_file()
    probe = Budget(events.CancelToken(), deadline, stop_at=args.probe_steps)
    request = runner.TrainRequest(**base, steps=cap, sample_every=cap, checkpoint_every=cap,
                             resume=resume)
    if resume:  # a cut-off session of the same run: continue it (saved settings win)
        print(f"continuing the run in {run_dir} with its saved settings", flush=True)
        request = runner.TrainRequest(kind="deblur", out=run_dir, data=args.kit, steps=cap,
                                 resume=True)
    dataset = _dataset(args, run_dir, options)
    summary = _train(runner, request, probe, dataset)
    per_step = probe.seconds_per_step()
    left = max(0.0, deadline - time.monotonic())
    steps = min(cap, summary["step"] + int(left / per_step))
    if steps > summary["step"]:
        main = Budget(events.CancelToken(), deadline)
        every = max(1, int(args.checkpoint_minutes * 60.0 / per_step))
        summary = _train(runner, runner.TrainRequest(
            kind="deblur", out=run_dir, data=args.kit, steps=steps, resume=True,
            checkpoint_every=every, sample_every=max(1, steps // 8)), main, dataset)
        per_step = main.seconds_per_step()
    model_id = args.id or args.model
    shutil.rmtree(home / "models" / model_id, ignore_errors=True)  # an earlier session's
    final = runner.train(runner.TrainRequest(kind="deblur", out=run_dir, data=args.kit,
                                        steps=summary["step"], resume=True, export=model_id),
                         dataset=dataset)
    copied = _publish(home / "models" / model_id, run_dir, out, final, device, args)
    config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    rate = config["batch"] / per_step
    gflops = _gflops(config["options"], config["crop"], rate)
    print(f"throughput: {rate:.1f} images/s at {config['crop']}px, batch {config['batch']}, "
          f"{per_step * 1000:.0f} ms/step, ~{gflops:.0f} GFLOP/s (3x forward FLOPs), "
          f"{final['step']} steps in {time.monotonic() - began:.0f} s on {device} "
          f"({_precision(args.precision)}, {layout})")
    return {"summary": final, "files": copied, "images_per_s": rate, "gflops": gflops}


def _gflops(options: dict, crop: int, rate: float) -> float:
    """Achieved training GFLOP/s: forward + backward taken as 3x the forward FLOPs.

    The forward FLOPs of one ``crop`` image are counted by torch's ``FlopCounterMode``
    (2 per multiply-add, as ``engine.evaluation.measure.count_flops``; cloning the model for
    that one would import TensorFlow where it is installed).
    """
    from torch.utils.flop_counter import FlopCounterMode

    from engine.models import build

    model = build(options["arch"], width=int(options["width"]))
    with FlopCounterMode(display=False) as counter:
        model.predict_on_batch(np.zeros((1, crop, crop, 3), np.float32))
    return 3.0 * counter.get_total_flops() * rate / 1e9


def _publish(model_dir: Path, run_dir: Path, out: Path, summary: dict, device: str,
             args) -> list[str]:
    """manifest.json + float16 weights.npz + history/summary/samples into ``out``."""
    from engine.store.manifest import file_sha256

    out.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((model_dir / "manifest.json").read_text(encoding="utf-8"))
    with np.load(model_dir / manifest["file"], allow_pickle=False) as data:
        arrays = {k: (v.astype(np.float16) if v.dtype == np.float32 else v)
                  for k, v in data.items()}
    weights = out / "weights.npz"
    with open(weights, "wb") as fh:
        np.savez(fh, **arrays)
    manifest.update(file="weights.npz", sha256=file_sha256(weights))
    manifest["card"] = {**manifest.get("card", {}), "storage": "float16",
                        "hardware": device, "precision": _precision(args.precision),
                        "kit": json.loads((args.kit / "kit.json").read_text("utf-8"))
                        .get("tiles"), "run": run_dir.name}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    names = ["manifest.json", "weights.npz"]
    for name in ("history.csv", "summary.json", "config.json"):
        shutil.copy2(run_dir / name, out / name)
        names.append(name)
    if summary.get("samples"):
        shutil.copy2(summary["samples"], out / "samples.png")
        names.append("samples.png")
    return names


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("KERAS_BACKEND", "torch")
    sys.path.insert(0, str(ROOT))
    import keras

    if _precision(args.precision) == "bf16":
        # runner._precision leaves the global policy alone when mixed_precision is false.
        keras.config.set_dtype_policy("mixed_bfloat16")
    result = run(args)
    print(json.dumps({"outdir": str(args.outdir), "files": result["files"],
                      "steps": result["summary"]["step"], "val": result["summary"]["val"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
