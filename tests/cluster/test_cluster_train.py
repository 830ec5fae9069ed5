"""``train --distributed``: DCGAN data-parallel on two CPU workers under Ray Train.

One distributed run (module fixture, on the session's local Ray) is checked from several
sides; the single-process reference runs in a fresh interpreter on the torch backend.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import pytest

from engine import api
from engine.events import TrainStep
from tests.e2e.helpers import photo_like, save_rgb

STEPS, BATCH = 6, 8
OPTIONS = {"arch": "dcgan28", "val_count": 4}  # DCGAN's own learning rate, 1e-4


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dcgan_data")
    for i in range(16):
        save_rgb(folder / f"i{i:02d}.png", photo_like(28, 28, seed=i))
    return folder


@pytest.fixture(scope="module")
def distributed_run(ray_cluster, data, tmp_path_factory):
    """``api.train(..., cluster=2 workers)``: (summary, progress events, run folder, home)."""
    home = tmp_path_factory.mktemp("home")
    out = tmp_path_factory.mktemp("runs") / "dist"
    events = []
    patch = pytest.MonkeyPatch()
    patch.setenv("PHOTOGAN_HOME", str(home))
    # The driver only checks the user's choice of backend; the workers always run torch.
    patch.setattr("engine.backend.backend_name", lambda: "torch")
    try:
        request = api.TrainRequest("dcgan", out, data, steps=STEPS, batch=BATCH,
                                   options=OPTIONS, export="dist-dcgan", sample_every=STEPS)
        summary = api.train(request, progress=events.append,
                            cluster=api.ClusterSettings(workers=2))
    finally:
        patch.undo()
    return summary, events, out, home


def _history(run):
    with open(run / "history.csv", newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["g_loss"]]


def test_two_workers_train_export_and_end_with_identical_weights(distributed_run):
    summary, events, out, home = distributed_run
    assert summary.status == "done" and summary.step == STEPS
    assert summary.workers == 2
    assert summary.replicas_identical is True
    assert summary.exports == (api.ExportedModel(id="dist-dcgan", task="sample"),)
    assert (home / "models" / "dist-dcgan").is_dir()
    assert [int(r["step"]) for r in _history(out)] == list(range(1, STEPS + 1))
    # Rank 0's progress reached the driver; nothing else wrote beside rank 0's files.
    assert [e.done for e in events if isinstance(e, TrainStep)][-1] == STEPS
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        "step_000000.png", f"step_{STEPS:06d}.png"]


def test_loss_curve_matches_one_process_with_the_same_global_batch(distributed_run, data,
                                                                    tmp_path):
    _, _, out, _ = distributed_run
    ref = tmp_path / "single"
    env = {**os.environ, "KERAS_BACKEND": "torch", "PHOTOGAN_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "engine", "train", "dcgan", "--data", str(data), "--out",
           str(ref), "--steps", str(STEPS), "--batch", str(BATCH), "--set", "arch=dcgan28",
           "--set", "val_count=4", "--plain"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    single, dist = _history(ref), _history(out)
    for name in ("g_loss", "d_loss"):
        a = [float(r[name]) for r in single]
        b = [float(r[name]) for r in dist]
        # Each worker draws its own crops and latents, so the curves agree statistically,
        # not bit for bit (the weights are the same at the start; the batches differ).
        assert len(a) == len(b) == STEPS
        assert max(abs(x - y) for x, y in zip(a, b)) < 0.06, (name, a, b)


def test_distributed_on_the_tensorflow_backend_says_how_to_switch(data, tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    cmd = [sys.executable, "-m", "engine", "train", "dcgan", "--data", str(data), "--out",
           str(tmp_path / "run"), "--steps", "1", "--distributed", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2
    assert "KERAS_BACKEND=torch" in done.stderr
    assert not (tmp_path / "run").exists()
