"""Put a deblur run's checkpoint (``last`` or ``best``) into the user model store, mid-run.

A campaign's curve (quality against training hours) needs evaluations of checkpoints while
the run goes on; ``photogan train --export`` only exports finished runs. This reads the
run's ``config.json``, rebuilds its generator, loads the checkpoint's generator weights and
stores them under ``ID`` (task ``deblur``, source ``trained``), ready for
``photogan eval deblur --model ID`` or ``photogan run deblur --set model=ID``::

    .venv/bin/python build_scripts/checkpoint_to_store.py runs/deblur-unet-heavy1 unet-1400
    .venv/bin/photogan eval deblur --data data/photos/heldout --model unet-1400 --tier heavy \\
        --no-baselines

The run itself is not touched (it may still be training).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="deblur run folder")
    parser.add_argument("id", help="model id to store it as (must be new)")
    parser.add_argument("--which", choices=("last", "best"), default="last")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from engine.models import build
    from engine.store.importers import add_model

    config = json.loads((args.run / "config.json").read_text())
    if config["kind"] != "deblur":
        raise SystemExit(f"{args.run} is a {config['kind']} run; this script stores deblur.")
    options = config["options"]
    arch = options.get("arch", "deblurgan")
    gen_config = ({"width": options["width"]} if arch == "deblur_unet" else
                  {k: options[k] for k in ("ngf", "n_blocks", "norm", "upsample", "dropout")})
    checkpoint = args.run / "checkpoints" / args.which
    state = json.loads((checkpoint / "state.json").read_text())
    model = build(arch, **gen_config)
    model.load_weights(checkpoint / "generator.weights.h5")
    card = {"run": str(args.run), "checkpoint": args.which, "steps": state["step"],
            "seconds": round(state["seconds"], 1), "options": options}
    add_model(model, "deblur", args.id, arch, gen_config, source="trained", card=card,
              title=f"{args.id} ({args.run.name} at step {state['step']})")
    print(f"stored {args.id}: {arch} {gen_config}, step {state['step']}, "
          f"{state['seconds'] / 3600:.2f} h of training")
    return 0


if __name__ == "__main__":
    sys.exit(main())
