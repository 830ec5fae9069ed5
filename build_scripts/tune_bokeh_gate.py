"""Choose the deblur task's ``keep_bokeh`` gate settings on the TRAINING photos.

Degrades each training photo with the evaluation's tiers (``mild``/``heavy`` motion and
defocus, ``sharp``; seeds offset by 100 so they differ from the held-out ones), runs the
default deblur model once per photo and tier (cached as 16-bit arrays in ``--cache``), then
scores the gated output ``blurred + gate * (restored - blurred)`` for each candidate
setting against the ungated one. The held-out photos are not used, so the evaluation on them
stays honest (docs/MODELS.md).

Usage:
    python build_scripts/tune_bokeh_gate.py --data data/photos/train --cache runs/gate-cache
    python build_scripts/tune_bokeh_gate.py ... --grid '[{"margin": 1.5}, {"margin": 2.5}]'
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from engine.evaluation.eval import _deblur_sets, _degraded, _task_method
from engine.imaging.blur_map import GateSettings, correction_gate
from engine.metrics import quality

SEED_OFFSET = 100


def collect(data: Path, cache: Path) -> None:
    """Write ``cache/<set>__<photo>.npz`` (truth, degraded, raw model output) once each."""
    cache.mkdir(parents=True, exist_ok=True)
    run = _task_method("deblur", {"keep_tones": False, "keep_bokeh": False})
    paths = sorted(p for p in data.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    for key, tier, kind in _deblur_sets("all"):
        for index, path in enumerate(paths):
            target = cache / f"{key.replace(' ', '_')}__{path.stem}.npz"
            if target.exists():
                continue
            truth, degraded, _, _ = _degraded("deblur", tier, kind, index + SEED_OFFSET, path, 512)
            arrays = {"t": truth, "d": degraded, "o": run(degraded)}
            np.savez_compressed(target, **{k: (v * 65535).astype(np.uint16)
                                           for k, v in arrays.items()})
            print(key, path.name, flush=True)


def _psnr_y(image: np.ndarray, truth: np.ndarray) -> float:
    return quality(image, truth, 8)["psnr_y"]


def score(cache: Path, grid: list[GateSettings]) -> None:
    """Print, per setting and set, the mean PSNR-Y change the gate makes and the photos it
    costs more than 0.2 dB."""
    items = []
    for path in sorted(cache.glob("*.npz")):
        arrays = np.load(path)
        t, d, o = (arrays[k].astype(np.float32) / 65535 for k in "tdo")
        items.append((path.name.split("__")[0], t, d, o, _psnr_y(o, t)))
    for settings in grid:
        change, hurt = defaultdict(list), defaultdict(int)
        for key, t, d, o, ungated in items:
            gate = correction_gate(d, settings)[:, :, None]
            delta = _psnr_y(d + gate * (o - d), t) - ungated
            change[key].append(delta)
            hurt[key] += delta < -0.2
        row = {key: f"{np.mean(v):+.3f} ({hurt[key]} hurt)" for key, v in change.items()}
        print(settings, row, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/photos/train"))
    parser.add_argument("--cache", type=Path, default=Path("runs/gate-cache"))
    parser.add_argument("--grid", default="[{}]", help="JSON list of GateSettings fields")
    args = parser.parse_args()
    collect(args.data, args.cache)
    score(args.cache, [GateSettings(**fields) for fields in json.loads(args.grid)])


if __name__ == "__main__":
    main()
