"""Pack a training run's resumable state into a few MB to commit, or unpack it on a new machine.

    .venv/bin/python build_scripts/campaign_state.py pack runs/deblur-unet-heavy8 \\
        campaign/deblur-unet-heavy8
    .venv/bin/python build_scripts/campaign_state.py unpack campaign/deblur-unet-heavy8 \\
        runs/deblur-unet-heavy8
    .venv/bin/photogan train deblur --out runs/deblur-unet-heavy8 --resume

See ``engine/training/campaign.py`` (float16 weights and Adam moments; the data is fetched by
``build_scripts/fetch_training_data.py``, never packed). Delete the packed folder when the
model ships.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.training.campaign import pack, unpack  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("pack", "unpack"))
    parser.add_argument("source", type=Path, help="run folder (pack) or packed folder (unpack)")
    parser.add_argument("target", type=Path, help="new folder to write")
    args = parser.parse_args(argv)
    done = (pack if args.action == "pack" else unpack)(args.source, args.target)
    size = sum(p.stat().st_size for p in done.rglob("*") if p.is_file()) / 1e6
    print(f"{args.action}ed {args.source} -> {done} ({size:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
