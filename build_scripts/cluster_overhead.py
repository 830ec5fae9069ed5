"""Measure ``photogan run`` with the local runner vs ``--cluster local`` (docs/CLUSTER.md).

Usage: python build_scripts/cluster_overhead.py TASK N1 N2 [WIDTH HEIGHT] [--workers W]
       [--cpus-per-worker C] [--steady]

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
    p.add_argument("--cpus-per-worker", type=float, default=1.0)
    p.add_argument("--steady", action="store_true",
                   help="in-process with Ray already started (per-photo cost only)")
    a = p.parse_args()
    width, height = a.size if len(a.size) == 2 else (512, 384)
    if a.steady:
        steady_state(a.task, a.counts, width, height, a.workers, a.cpus_per_worker)
        return
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in a.counts:
            src = Path(tmp) / f"in{count}"
            make_photos(src, count, width, height)
            base = ["run", a.task, str(src), "--tile", "256", "--plain"]
            local = timed([*base, "-o", str(Path(tmp) / f"l{count}")])
            cluster = timed([*base, "-o", str(Path(tmp) / f"c{count}"), "--cluster", "local",
                             "--workers", str(a.workers), "--cpus-per-worker",
                             str(a.cpus_per_worker)])
            rows[count] = (local, cluster)
            print(f"{a.task} {count} photos {width}x{height}: local {local:.1f} s, "
                  f"--cluster local --workers {a.workers} {cluster:.1f} s", flush=True)
    (n1, (l1, c1)), (n2, (l2, c2)) = sorted(rows.items())
    slope_l, slope_c = (l2 - l1) / (n2 - n1), (c2 - c1) / (n2 - n1)
    print(f"per photo: local {slope_l:.3f} s, cluster {slope_c:.3f} s "
          f"(overhead {slope_c - slope_l:+.3f} s/photo); fixed: local {l1 - slope_l * n1:.1f} s,"
          f" cluster {c1 - slope_c * n1:.1f} s")


def steady_state(task: str, counts: list[int], width: int, height: int, workers: int,
                 cpus: float) -> None:
    """Per-photo cost with Ray already running (start-up excluded): the API in-process."""
    import logging

    import ray

    from engine import api

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             logging_level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        for count in counts:
            src = Path(tmp) / f"in{count}"
            make_photos(src, count, width, height)
            for mode in ("local", "cluster"):
                settings = api.RunSettings(out_dir=Path(tmp) / f"{mode}{count}", tile=256)
                items = api.plan([src], task, settings)
                began = time.perf_counter()
                if mode == "local":
                    api.run_batch(items, task, {}, settings)
                else:
                    api.run_batch_on_cluster(items, task, {}, settings,
                                             api.ClusterSettings(workers=workers,
                                                                 cpus_per_worker=cpus))
                seconds = time.perf_counter() - began
                print(f"steady {task} {count} photos: {mode} {seconds:.2f} s "
                      f"({seconds / count:.3f} s/photo)", flush=True)
    ray.shutdown()


if __name__ == "__main__":
    main()
