"""``photogan train`` as a subprocess: a run on real image files, exported into an isolated
store and used by ``photogan run`` at once; Ctrl-C saves a checkpoint and exits with 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest
from PIL import Image

from tests.e2e.helpers import photo_like, photogan_cmd, save_rgb

TINY_DEBLUR = ["--batch", "2", "--crop", "32", "--set", "ngf=4", "--set", "n_blocks=1",
               "--set", "ndf=4", "--set", "d_layers=1", "--set", "val_count=2", "--plain"]


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    for i in range(3):
        save_rgb(folder / f"p{i}.png", photo_like(96, 80, seed=i))
    return folder


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, PHOTOGAN_HOME=str(tmp_path / "home"), KERAS_BACKEND="tensorflow",
                PYTHONUNBUFFERED="1")


@pytest.mark.slow
def test_trained_and_exported_model_runs_through_photogan_run(tmp_path, photos, env):
    run = tmp_path / "run"
    done = subprocess.run(
        photogan_cmd() + ["train", "deblur", "--data", str(photos), "--out", str(run),
                          "--steps", "3", "--sample-every", "3", "--export", "mine",
                          *TINY_DEBLUR],
        capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Exported 'mine' for task deblur" in done.stdout
    assert "step 3/3" in done.stdout and "val_l1" in done.stdout
    assert (run / "samples" / "step_000003.png").is_file()
    assert len((run / "history.csv").read_text().splitlines()) == 1 + 4
    assert json.loads((run / "config.json").read_text())["options"]["ngf"] == 4

    out = tmp_path / "out"
    ran = subprocess.run(
        photogan_cmd() + ["run", "deblur", str(photos / "p0.png"), "-o", str(out),
                          "--set", "model=mine", "--plain"],
        capture_output=True, text=True, env=env, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    with Image.open(out / "p0_deblur.png") as result:
        assert result.size == (96, 80)


@pytest.mark.slow
def test_ctrl_c_saves_a_checkpoint_and_exits_130(tmp_path, photos, env):
    run = tmp_path / "run"
    proc = subprocess.Popen(
        photogan_cmd() + ["train", "deblur", "--data", str(photos), "--out", str(run),
                          "--steps", "100000", "--sample-every", "100000", *TINY_DEBLUR],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    first = proc.stdout.readline()  # "step 0/100000 ...", printed once training is set up
    assert first.startswith("step 0/"), first + proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stdout + stderr
    assert "Cancelled at step" in stdout and "--resume" in stdout
    assert "Traceback" not in stderr
    state = json.loads((run / "checkpoints" / "last" / "state.json").read_text())
    assert 0 <= state["step"] < 100000
    rows = (run / "history.csv").read_text().splitlines()
    assert int(rows[-1].split(",")[0]) == state["step"]
