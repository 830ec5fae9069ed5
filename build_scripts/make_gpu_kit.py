"""Pack ``gpu-kit/``: what a deblur training run on an accelerator machine needs (<= 60 MB).

- sharp tiles of data/photos/train at the 1280-px working size, lossless WebP (``tiles.npz``), and a
  bank of blur kernels of the heavy mix (``kernels.npz``): ``engine.training.kit_build``;
- ``wheels/``: keras (the venv's version) and the packages it needs that the device
  machine's PyTorch image lacks (namex, optree), for CPython 3.12 manylinux x86-64, fetched
  with ``pip download`` (see /work/.library/device/README.md);
- ``kit.json``: counts, sizes, versions, seed.

Run ``make gpu-kit`` (or ``.venv/bin/python build_scripts/make_gpu_kit.py [--out DIR]``);
the photos come from build_scripts/fetch_training_data.py. docs/GPU.md says how to use it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WHEELS = ("keras", "namex", "optree")  # keras' needs missing on the device (KINDS.md)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
             "manylinux2014_x86_64", "manylinux1_x86_64")
LIMIT_MB = 40  # the issue allows 60; the repository (~19 MB) travels too, 64 MiB in all


def download_wheels(folder: Path) -> list[str]:
    """``pip download`` the pinned wheels into ``folder``; returns their file names."""
    folder.mkdir(parents=True, exist_ok=True)
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in WHEELS]
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--only-binary=:all:", "--python-version", "3.12", "--implementation",
                    "cp", *platforms, "-d", str(folder), *pins], check=True)
    return sorted(p.name for p in folder.glob("*.whl"))


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--photos", type=Path, default=ROOT / "data" / "photos" / "train")
    p.add_argument("--out", type=Path, default=ROOT / "gpu-kit")
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--stride", type=int, default=512)
    p.add_argument("--kernels", type=int, default=4096)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-wheels", action="store_true")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from engine.training.kit_build import build_kit

    if not args.photos.is_dir():
        raise SystemExit(f"{args.photos} is missing: run build_scripts/fetch_training_data.py")
    wheels = [] if args.no_wheels else download_wheels(args.out / "wheels")
    versions = {name: importlib.metadata.version(name) for name in (*WHEELS, "numpy")}
    manifest = build_kit(args.photos, args.out, tile=args.tile, stride=args.stride,
                         kernels=args.kernels, seed=args.seed,
                         extra={"wheels": wheels, "versions": versions,
                                "wheels_bytes": round(folder_mb(args.out / "wheels") * 1e6),
                                "python": "cp312 manylinux x86_64 (wheels)"})
    size = folder_mb(args.out)
    manifest["total_bytes"] = round(size * 1e6)
    (args.out / "kit.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    print(f"{args.out}: {manifest['tiles']} tiles ({manifest['textured_tiles']} detailed, "
          f"{manifest['tiles_bytes'] / 1e6:.1f} MB), {manifest['kernels']} kernels "
          f"({manifest['kernels_bytes'] / 1e6:.2f} MB), {len(wheels)} wheels; {size:.1f} MB")
    if size > LIMIT_MB:
        raise SystemExit(f"the kit is {size:.1f} MB, over {LIMIT_MB} MB: use a larger "
                         "--stride or fewer --kernels")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
