"""The distributed training function without Ray: two processes under ``torchrun`` (gloo)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.helpers import photo_like, save_rgb

TORCHRUN = Path(sys.executable).parent / "torchrun"


@pytest.mark.slow
@pytest.mark.skipif(not TORCHRUN.exists() and not shutil.which("torchrun"),
                    reason="torchrun (the torch extra) is not installed")
def test_two_processes_under_torchrun_train_one_run(tmp_path):
    for i in range(8):
        save_rgb(tmp_path / "data" / f"i{i}.png", photo_like(28, 28, seed=i))
    out = tmp_path / "run"
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1",
           "PHOTOGAN_HOME": str(tmp_path / "home")}
    cmd = [str(TORCHRUN) if TORCHRUN.exists() else "torchrun", "--nproc-per-node", "2",
           "-m", "engine", "train", "dcgan", "--data", str(tmp_path / "data"), "--out",
           str(out), "--steps", "2", "--batch", "4", "--set", "arch=dcgan28", "--set",
           "val_count=4", "--plain"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "done" and summary["step"] == 2
    assert summary["workers"] == 2 and summary["replicas_identical"] is True
    assert done.stdout.count("Done: 2 steps") == 1  # rank 0 alone reports
