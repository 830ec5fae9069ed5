"""The models in resources/weights/ work out of the box through the real CLI."""

from __future__ import annotations

import json

from PIL import Image

from tests.e2e.helpers import photo_like, save_rgb

SHIPPED = {"deblur-unet": "deblur", "deblur-fast": "deblur", "upscale-fast": "upscale",
           "starry-night": "photo2monet", "starry-night-inverse": "monet2photo",
           "elephants": "photo2monet", "elephants-inverse": "monet2photo",
           "fashion-dcgan": "sample"}


def test_shipped_models_are_listed_verified_and_default(photogan):
    proc = photogan("models", "list", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)}
    for model_id, task in SHIPPED.items():
        assert rows[model_id]["task"] == task and rows[model_id]["source"] == "shipped"
    proc = photogan("models", "verify")
    assert proc.returncode == 0 and proc.stdout.count("ok ") >= len(SHIPPED), proc.stdout
    tasks = {t["id"]: t for t in json.loads(photogan("tasks", "--json").stdout)}
    assert all(tasks[task]["weights_ready"] for task in SHIPPED.values())


def test_each_shipped_model_runs_on_a_photo(photogan, tmp_path):
    src = save_rgb(tmp_path / "in" / "x.png", photo_like(40, 28, 3))
    for task in ("deblur", "upscale", "photo2monet", "monet2photo"):
        proc = photogan("run", task, src, "-o", tmp_path / task)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out = Image.open(tmp_path / task / f"x_{task}.png")
        assert out.size == ((160, 112) if task == "upscale" else (40, 28))
    proc = photogan("run", "sample", "-o", tmp_path / "sample", "--set", "count=4")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert Image.open(tmp_path / "sample" / "sample_0_000.png").size == (28, 28)


def test_shipped_painting_models_name_a_bundled_painting():
    """The painting task's palette step and ``eval painting --style`` find each shipped
    photo2monet model's painting through its card (issue 18)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "resources"
    styles = {p.stem for p in (root / "styles").iterdir()}
    cards = {m: json.loads((root / "weights" / m / "manifest.json").read_text())["card"]
             for m, task in SHIPPED.items() if task == "photo2monet"}
    assert {m: c.get("painting") for m, c in cards.items()} == {
        "starry-night": "starry_night", "elephants": "elephants"}
    assert all(c["painting"] in styles for c in cards.values())
