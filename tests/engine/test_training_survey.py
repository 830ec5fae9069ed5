"""The training wizard's engine helpers (no Keras): folder surveys, the degradation preview,
run folders (unfinished runs, history), estimates per device and backend selection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import api, backend
from engine.errors import UsageError
from engine.training import presets, runs


def png(path: Path, width: int = 72, height: int = 72, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray((rng.random((height, width, 3)) * 255).astype(np.uint8)).save(path)
    return path


def test_a_folder_of_photos_with_problems_is_usable_and_lists_them(tmp_path):
    for n in range(3):
        png(tmp_path / "p" / f"{n}.png", 80, 72, n)
    png(tmp_path / "p" / "small.png", 30, 30)
    (tmp_path / "p" / "bad.jpg").write_text("no")

    found = api.scan_training_data("deblur", tmp_path / "p")

    assert found.usable and found.mode == "synthetic" and found.reason == ""
    (folder,) = found.folders
    assert folder.images == 3 and folder.smallest == folder.largest == (80, 72)
    assert len(folder.thumbs) == 3
    assert len(found.problems) == 2
    assert any("small.png" in p and "64-pixel minimum" in p for p in found.problems)
    assert found.warnings  # three photos are few


def test_the_minimum_side_follows_the_crop(tmp_path):
    png(tmp_path / "p" / "a.png", 40, 40)
    assert not api.scan_training_data("deblur", tmp_path / "p").usable
    assert api.scan_training_data("deblur", tmp_path / "p", crop=32).usable


@pytest.mark.parametrize(("kind", "data", "data_b", "paired", "words"), [
    ("deblur", "", None, False, "Choose the folder"),
    ("deblur", "missing", None, False, "does not exist"),
    ("deblur", "empty", None, False, "no usable images"),
    ("deblur", "plain", None, True, "no paired sub-folders"),
    ("deblur", "pairs", None, False, "paired sub-folders"),
    ("cyclegan", "plain", None, None, "second folder"),
    ("cyclegan", "plain", "empty", None, "domain B"),
])
def test_unusable_data_says_why(tmp_path, kind, data, data_b, paired, words):
    (tmp_path / "empty").mkdir()
    png(tmp_path / "plain" / "a.png")
    png(tmp_path / "pairs" / "A" / "a.png")
    png(tmp_path / "pairs" / "B" / "a.png")
    folder = str(tmp_path / data) if data else ""
    found = api.scan_training_data(kind, folder, tmp_path / data_b if data_b else None,
                                   paired=paired)
    assert not found.usable and words in found.reason


def test_pairs_are_counted_and_unmatched_files_reported(tmp_path):
    for name in ("a", "b", "c"):
        png(tmp_path / "d" / "A" / f"{name}.png")
    for name in ("a", "b", "z"):
        png(tmp_path / "d" / "B" / f"{name}.png")
    found = api.scan_training_data("deblur", tmp_path / "d", paired=True)
    assert found.usable and found.mode == "paired" and found.pairs == 2
    assert sum("no partner" in p for p in found.problems) == 2


def test_cyclegan_and_dcgan_folders(tmp_path):
    png(tmp_path / "a" / "1.png")
    png(tmp_path / "b" / "1.png")
    png(tmp_path / "b" / "2.png")
    both = api.scan_training_data("cyclegan", tmp_path / "a", tmp_path / "b")
    assert both.usable and [f.images for f in both.folders] == [1, 2]
    single = api.scan_training_data("dcgan", tmp_path / "b")
    assert single.usable and single.mode == "single"


@pytest.mark.parametrize("kind", ["deblur", "upscale"])
def test_degradation_preview_is_seeded_and_sized(tmp_path, kind):
    photo = png(tmp_path / "p.png", 90, 70)
    first = api.degradation_preview(kind, photo, seed=3)
    again = api.degradation_preview(kind, photo, seed=3)
    other = api.degradation_preview(kind, photo, seed=4)
    assert first.before.shape == first.after.shape == (68, 68, 3)
    assert first.before.dtype == np.uint8
    assert np.array_equal(first.after, again.after)
    assert not np.array_equal(first.after, other.after)
    assert not np.array_equal(first.after, first.before)
    assert first.caption
    if kind == "upscale":  # the 4x smaller input, enlarged by repetition
        assert np.array_equal(first.after[0::4, 0::4], first.after[3::4, 3::4])


def test_degradation_preview_refuses_other_kinds(tmp_path):
    with pytest.raises(UsageError, match="Only deblur and upscale"):
        api.degradation_preview("dcgan", png(tmp_path / "p.png"))


def fake_run(folder: Path, step: int, steps: int, summary: dict | None) -> Path:
    """A run folder as the runner leaves it (config, history, checkpoint state, summary)."""
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(
        {"kind": "deblur", "data": "/photos", "data_b": None, "preset": "quick",
         "steps": steps}))
    rows = ["step,g_loss,lr,val_l1,images_per_s,seconds", "0,,0.1,0.5,,"]
    rows += [f"{s},{1.0 / s},0.1,,20.0,{s * 0.5}" for s in range(1, step + 2)]
    (folder / "history.csv").write_text("\n".join(rows) + "\n")
    last = folder / "checkpoints" / "last"
    last.mkdir(parents=True)
    (last / "state.json").write_text(json.dumps({"step": step}))
    if summary is not None:
        (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_runs_are_listed_and_unfinished_ones_found(tmp_path):
    fake_run(tmp_path / "done", 4, 4, {"status": "done", "step": 4, "seconds": 2.0})
    fake_run(tmp_path / "stopped", 2, 4, {"status": "cancelled", "step": 2})
    fake_run(tmp_path / "crashed", 3, 4, {"status": "cancelled", "step": 1})
    (tmp_path / "not-a-run").mkdir()

    found = {Path(r.run).name: r for r in api.list_training_runs(tmp_path)}
    unfinished = {Path(r.run).name for r in api.list_training_runs(tmp_path, True)}

    assert set(found) == {"done", "stopped", "crashed"}
    assert found["done"].finished and found["done"].seconds == 2.0
    assert (found["stopped"].status, found["stopped"].step) == ("cancelled", 2)
    assert found["crashed"].status == "interrupted"  # its checkpoint is newer than summary
    assert unfinished == {"stopped", "crashed"}
    assert api.describe_training_run(tmp_path / "stopped") == found["stopped"]
    assert api.describe_training_run(tmp_path / "not-a-run") is None


def test_history_reads_numbers_and_blanks(tmp_path):
    run = fake_run(tmp_path / "r", 2, 4, None)
    rows = api.training_history(run)
    assert rows[0] == api.HistoryRow(step=0, values={
        "g_loss": None, "lr": 0.1, "val_l1": 0.5, "images_per_s": None, "seconds": None})
    assert rows[2].step == 2 and rows[2].values["g_loss"] == 0.5
    assert list(rows[0].to_json()) == ["step", "g_loss", "lr", "val_l1", "images_per_s",
                                       "seconds"]


def test_new_run_folders_live_in_the_user_data_dir_and_never_collide(tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOGAN_HOME", str(tmp_path))
    first = api.new_training_run_dir("deblur")
    assert first.parent == tmp_path / "training" and first.name.startswith("deblur-")
    first.mkdir(parents=True)
    assert api.new_training_run_dir("deblur") != first
    assert runs.runs_root() == api.training_runs_dir()


def test_estimates_scale_with_steps_and_device():
    startup = presets.STARTUP_SECONDS  # the same on any device

    def estimate(**kwargs) -> float:
        return api.estimate_training_seconds("deblur", "quick", **kwargs) - startup

    base = estimate(cores=2)
    assert base == pytest.approx(presets.estimate_seconds("deblur", "quick"))
    assert estimate(steps=2000, cores=2) == pytest.approx(2 * base, rel=0.01)
    assert estimate(cores=8) == pytest.approx(base / 4)
    assert estimate(gpu=True) < base / 4
    assert api.estimate_training_seconds("deblur", "standard", cores=2) > base + startup


def test_estimates_count_start_up_and_validations():
    # The wizard's 40-step run with a sample every 4 steps: 4 s to start, 40 steps of 0.1 s,
    # and 11 validations of about 4.5 steps each (issue 15: 4 s shown, 9 s taken).
    seconds = api.estimate_training_seconds("deblur", "quick", steps=40, cores=2,
                                            sample_every=4)
    assert seconds == pytest.approx(4.0 + (40 + 11 * 4.5) * 0.1)
    with pytest.raises(UsageError, match="bogus"):
        api.estimate_training_seconds("deblur", "quick", options={"bogus": 1})


def test_presets_are_described_with_their_full_options():
    found = api.training_presets("upscale")
    assert set(found) == {"quick", "standard", "long"}
    assert found["standard"].options["width"] == 48
    assert found["quick"].options["lr"] == presets.option_defaults("upscale")["lr"]
    assert found["quick"].steps == presets.preset("upscale", "quick").steps


def test_backend_selection_refuses_what_cannot_work(monkeypatch):
    monkeypatch.setattr(backend, "available_backends", lambda: ["tensorflow", "torch"])
    with pytest.raises(UsageError, match="not installed"):
        api.select_backend("jax")
    monkeypatch.setattr(backend, "keras_loaded", lambda: True)
    monkeypatch.setattr(backend, "backend_name", lambda: "tensorflow")
    with pytest.raises(UsageError, match="restart PhotoGAN"):
        api.select_backend("torch")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    api.select_backend("tensorflow")
    facts = api.training_backends()
    assert facts.locked and facts.available == ("tensorflow", "torch")
    assert facts.current == "tensorflow"


def test_model_names_are_checked_before_export(tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOGAN_HOME", str(tmp_path))
    api.check_model_name("cyclegan", "my-monet")
    with pytest.raises(UsageError, match="must be"):
        api.check_model_name("deblur", "no spaces")


def test_export_needs_a_run_with_a_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOGAN_HOME", str(tmp_path / "home"))
    with pytest.raises(UsageError, match="not a training run folder"):
        api.export_training_run(tmp_path, "x")
