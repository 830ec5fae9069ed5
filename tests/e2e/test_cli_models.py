"""Model-backed tasks and the model store through the real CLI, on both Keras backends."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from PIL import Image

from tests.e2e.helpers import photo_like, save_rgb


@pytest.fixture(autouse=True)
def no_shipped_models(tmp_path, monkeypatch):
    """Resources as shipped but without ``weights/``, so only the tests' models exist."""
    from engine.resources import resource_path

    resources = tmp_path / "resources"
    resources.mkdir()
    for entry in resource_path().iterdir():
        if entry.name != "weights":
            (resources / entry.name).symlink_to(entry)
    monkeypatch.setenv("PHOTOGAN_RESOURCES", str(resources))


@pytest.fixture
def tiny_store(tmp_path, monkeypatch):
    """Two tiny deblur models and one upscale model in the subprocesses' user store."""
    from engine.store.loader import clear_cache
    from tests.engine.store_helpers import tiny_model

    monkeypatch.setenv("PHOTOGAN_HOME", str(tmp_path / "home"))
    clear_cache()
    tiny_model("deblur", "tiny-a", seed=1)
    tiny_model("deblur", "tiny-b", seed=2)
    tiny_model("upscale", "tiny-up", seed=3)
    yield
    clear_cache()


def test_models_list_and_verify(photogan, tiny_store):
    proc = photogan("models", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    assert {r["id"] for r in json.loads(proc.stdout)} == {"tiny-a", "tiny-b", "tiny-up"}
    proc = photogan("models", "verify")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("ok ") == 3
    proc = photogan("tasks", "--json")
    tasks = {t["id"]: t for t in json.loads(proc.stdout)}
    assert tasks["deblur"]["weights_ready"] and not tasks["photo2monet"]["weights_ready"]


def test_missing_weights_message(photogan, tmp_path):
    src = save_rgb(tmp_path / "x.png", photo_like(32, 32))
    proc = photogan("run", "photo2monet", src, "-o", tmp_path / "out")
    assert proc.returncode == 1
    assert "photogan models import" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_run_upscale_and_pick_model(photogan, tiny_store, tmp_path):
    src = save_rgb(tmp_path / "in" / "x.png", photo_like(30, 20))
    proc = photogan("run", "upscale", src, "-o", tmp_path / "up")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert Image.open(tmp_path / "up" / "x_upscale.png").size == (120, 80)
    proc = photogan("run", "upscale", src, "-o", tmp_path / "up2", "--set", "outscale=2")
    assert Image.open(tmp_path / "up2" / "x_upscale.png").size == (60, 40)
    raw = ("--set", "keep_tones=false")  # compare the two networks' own outputs
    a = photogan("run", "deblur", src, "-o", tmp_path / "a", *raw)
    b = photogan("run", "deblur", src, "-o", tmp_path / "b", "--set", "model=tiny-b", *raw)
    assert a.returncode == b.returncode == 0
    pa = np.asarray(Image.open(tmp_path / "a" / "x_deblur.png")).astype(int)
    pb = np.asarray(Image.open(tmp_path / "b" / "x_deblur.png")).astype(int)
    assert np.abs(pa - pb).max() > 2
    proc = photogan("run", "deblur", src, "-o", tmp_path / "c", "--set", "model=nope")
    assert proc.returncode == 2 and "tiny-a" in proc.stderr


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
@pytest.mark.parametrize("task", ["deblur", "upscale"])
def test_tensorflow_and_torch_backends_agree(photogan, tiny_store, tmp_path, task):
    src = save_rgb(tmp_path / "in" / "x.png", photo_like(40, 28, 5))
    outs = {}
    for backend in ("tensorflow", "torch"):
        out = tmp_path / backend
        proc = photogan("run", task, src, "-o", out, backend=backend)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        outs[backend] = np.asarray(Image.open(out / f"x_{task}.png")).astype(int)
    assert np.abs(outs["tensorflow"] - outs["torch"]).max() <= 1
