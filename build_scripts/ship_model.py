"""Publish a finished training run as a shipped model under ``resources/weights/<id>/``.

The run's generator is exported through the normal store path (``photogan train --resume
--export``, into a throw-away user folder), then copied into the shipped folder with float16
weights, ``source: shipped``, a title, the model card (what it was trained on, how long, the
final losses) plus the notes given here, and optionally the ``default`` flag for its task.

Run (after ``photogan train ... --out runs/NAME``)::

    .venv/bin/python build_scripts/ship_model.py runs/deblur-fast --kind deblur \\
        --id deblur-fast --title "DeblurGAN fast (ngf 32, 6 blocks)" --default \\
        --note "Trained on data/photos/train (40 photos, see docs/MODELS.md)."

An OUTDIR written by ``build_scripts/gpu_train.sh`` (docs/GPU.md) is published the same way,
without a run folder: pass it instead of ``RUN``.

CycleGAN runs publish two models, ``ID`` (photo2monet) and ``ID-inverse`` (monet2photo).
``--eval FILE`` adds a ``photogan eval --report`` JSON to the card of every published model.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _export(run: Path, kind: str, model_id: str, home: Path) -> list[Path]:
    """Export the run's generator(s) into ``home``'s user store; returns their folders."""
    os.environ["PHOTOGAN_HOME"] = str(home)
    # Hide the shipped models during the export, so re-publishing an id replaces it.
    os.environ["PHOTOGAN_RESOURCES"] = str(home / "no-resources")
    sys.path.insert(0, str(ROOT))
    from engine import api

    summary = api.train(api.TrainRequest(kind=kind, out=run, resume=True, export=model_id))
    if summary.status != "done" or not summary.exports:
        raise SystemExit(f"{run}: the run is not finished ({summary.step} of "
                         f"{summary.steps} steps); finish it with --resume first.")
    return [home / "models" / e.id for e in summary.exports]


def _from_outdir(outdir: Path, model_id: str, home: Path) -> list[Path]:
    """An OUTDIR of ``build_scripts/gpu_train.sh`` (manifest.json + weights.npz, history.csv)
    as an exported model folder named ``model_id`` (the run itself stayed on the device)."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    folder = home / model_id
    folder.mkdir(parents=True)
    shutil.copy2(outdir / manifest["file"], folder / manifest["file"])
    manifest["id"] = model_id
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return [folder]


def _float16(folder: Path, manifest: dict) -> None:
    """Rewrite the weights file with float16 storage and update the manifest's sha256."""
    from engine.store.manifest import file_sha256

    path = folder / manifest["file"]
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: (v.astype(np.float16) if v.dtype == np.float32 else v)
                  for k, v in data.items()}
    path.unlink()
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)
    manifest["sha256"] = file_sha256(path)


def _relative(path: str | None) -> str | None:
    """A data folder relative to the repository (``data/photos/train``) when inside it."""
    if not path:
        return path
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def final_losses(run: Path, last: int = 100) -> dict[str, float]:
    """Mean of each loss column over the run's last ``last`` logged steps (history.csv); an
    export from a finished run has no fresh losses of its own."""
    import csv

    with open(run / "history.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("step") not in (None, "0")][-last:]
    skip = {"step", "lr", "images_per_s", "seconds"}
    out = {}
    for column in (rows[0].keys() if rows else ()):
        values = [float(r[column]) for r in rows if r[column] and column not in skip]
        if values:
            out[column] = round(sum(values) / len(values), 5)
    return out


def publish(folder: Path, title: str, default: bool, notes: list[str], evaluation: dict | None,
            shipped: Path, losses: dict | None = None, painting: str = "") -> Path:
    """Copy one exported model ``folder`` into ``shipped`` as a shipped model; ``painting``
    (a bundled style name) is written to the card for the painting task's palette step."""
    manifest = json.loads((folder / "manifest.json").read_text())
    target = shipped / manifest["id"]
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(folder, target)
    _float16(target, manifest)
    card = manifest.get("card", {})
    card.pop("run", None)  # a path on the training machine means nothing to users
    card["trained_on"] = {k: _relative(v) for k, v in card.get("trained_on", {}).items()}
    if painting:
        card["painting"] = painting
    card["storage"] = "float16"
    if losses:
        card["final_losses"] = {"mean of the last 100 steps": losses}
    if notes:
        card["notes"] = notes
    if evaluation:
        card["evaluation"] = evaluation
    manifest.update(source="shipped", default=default, title=title, card=card)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="finished run folder, or the OUTDIR of "
                        "build_scripts/gpu_train.sh")
    parser.add_argument("--kind", required=True, choices=["deblur", "upscale", "cyclegan",
                                                          "dcgan"])
    parser.add_argument("--id", required=True, help="model id (folder name)")
    parser.add_argument("--title", required=True)
    parser.add_argument("--inverse-title", default="", help="title of ID-inverse (cyclegan)")
    parser.add_argument("--default", action="store_true", help="the task's default model")
    parser.add_argument("--note", action="append", default=[], help="model card note")
    parser.add_argument("--painting", default="", help="cyclegan: the bundled style the "
                        "painting domain was made from (starry_night), for the palette step")
    parser.add_argument("--eval", type=Path, help="photogan eval --report JSON for the card")
    parser.add_argument("--shipped", type=Path, default=ROOT / "resources" / "weights")
    args = parser.parse_args(argv)

    evaluation = json.loads(args.eval.read_text()) if args.eval else None
    with tempfile.TemporaryDirectory(prefix="photogan-ship-") as home:
        if (args.run / "manifest.json").is_file():  # gpu_train.sh's OUTDIR
            folders = _from_outdir(args.run, args.id, Path(home))
        else:
            folders = _export(args.run.resolve(), args.kind, args.id, Path(home))
        for folder in folders:
            inverse = folder.name.endswith("-inverse")
            title = (args.inverse_title or f"{args.title} (inverse)") if inverse else args.title
            target = publish(folder, title, args.default, args.note, evaluation, args.shipped,
                             final_losses(args.run), args.painting)
            size = (target / "weights.npz").stat().st_size / 1e6
            print(f"shipped {target} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
