"""Measure ``photogan run`` with the local runner vs ``--cluster local`` (docs/CLUSTER.md).

Usage: python build_scripts/cluster_overhead.py TASK N1 N2 [WIDTH HEIGHT] [--workers W]

Runs TASK on N1 and N2 generated photos both ways and prints wall-clock seconds; the per-photo
overhead is the difference of the slopes, the fixed overhead the difference of intercepts.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image


def make_photos(folder: Path, count: int, width: int, height: int) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        small = rng.random((height // 8, width // 8, 3))
        img = Image.fromarray((small * 255).astype(np.uint8)).resize((width, height),
                                                                    Image.BICUBIC)
        img.save(folder / f"p{i:04d}.jpg", quality=92)


def timed(args: list[str]) -> float:
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
    return time.perf_counter() - began


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("task")
    p.add_argument("counts", type=int, nargs=2)
    p.add_argument("size", type=int, nargs="*", default=[512, 384])
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    width, height = a.size if len(a.size) == 2 else (512, 384)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in a.counts:
            src = Path(tmp) / f"in{count}"
            make_photos(src, count, width, height)
            base = ["run", a.task, str(src), "--tile", "256", "--plain"]
            local = timed([*base, "-o", str(Path(tmp) / f"l{count}")])
            cluster = timed([*base, "-o", str(Path(tmp) / f"c{count}"), "--cluster", "local",
                             "--workers", str(a.workers)])
            rows[count] = (local, cluster)
            print(f"{a.task} {count} photos {width}x{height}: local {local:.1f} s, "
                  f"--cluster local --workers {a.workers} {cluster:.1f} s", flush=True)
    (n1, (l1, c1)), (n2, (l2, c2)) = sorted(rows.items())
    slope_l, slope_c = (l2 - l1) / (n2 - n1), (c2 - c1) / (n2 - n1)
    print(f"per photo: local {slope_l:.3f} s, cluster {slope_c:.3f} s "
          f"(overhead {slope_c - slope_l:+.3f} s/photo); fixed: local {l1 - slope_l * n1:.1f} s,"
          f" cluster {c1 - slope_c * n1:.1f} s")


if __name__ == "__main__":
    main()
