"""Training runs in-process (the default backend) on tiny synthetic data: every trainer steps,
writes its run folder, resumes exactly, stops cleanly on cancel and exports to the store."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import h5py
import numpy as np
import pytest

from engine.cli.hints import explain
from engine.errors import HINT_RESUME, UsageError
from engine.events import CancelToken
from engine.training.runner import TrainRequest, train

# Toy sizes: every model a few thousand parameters, crops of 16 (64 for DCGAN's fixed size).
TINY = {
    "deblur": (16, {"ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 1, "val_count": 2}),
    "upscale": (16, {"n_blocks": 1, "width": 4, "d_width": 4, "d_dense": 8,
                     "stage1_fraction": 0.5, "val_count": 2}),
    "cyclegan": (16, {"ngf": 4, "n_blocks": 1, "ndf": 4, "d_layers": 1, "pool_size": 3,
                      "val_count": 2}),
    "dcgan": (64, {"ngf": 4, "ndf": 4, "latent_dim": 8, "val_count": 4}),
}
TIME_COLUMNS = ("images_per_s", "seconds")


class FakeDataset:
    """The ``datasets.Dataset`` protocol on random blocky images, a pure function of the rng.

    deblur: the target and a horizontally smeared copy; upscale: the target and its 4x
    subsample; cyclegan: two domains with different tone curves; dcgan: images.
    """

    def __init__(self, kind: str, crop: int) -> None:
        self.kind, self.crop = kind, crop

    def _images(self, rng: np.random.Generator, n: int) -> np.ndarray:
        small = rng.uniform(0, 1, (n, self.crop // 4, self.crop // 4, 3)).astype(np.float32)
        return np.repeat(np.repeat(small, 4, axis=1), 4, axis=2)

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        images = self._images(rng, batch)
        if self.kind == "deblur":
            return {"input": (images + np.roll(images, 1, axis=2)) / 2, "target": images}
        if self.kind == "upscale":
            return {"input": np.ascontiguousarray(images[:, ::4, ::4]), "target": images}
        if self.kind == "cyclegan":
            return {"a": images, "b": self._images(rng, batch) ** 2}
        return {"image": images}

    def validation(self, count: int, seed: int = 1234) -> dict[str, np.ndarray]:
        return self.sample(np.random.default_rng(seed), count)

    def describe(self) -> dict:
        return {"kind": self.kind, "images": 6}


def tiny_request(kind: str, out: Path, **changes) -> TrainRequest:
    crop, options = TINY[kind]
    fields = {"data": Path("unused"), "steps": 6, "batch": 2, "crop": crop,
              "options": dict(options), "sample_every": 2, "checkpoint_every": 4, **changes}
    return TrainRequest(kind, out, **fields)


def run_tiny(kind: str, out: Path, cancel_at: int | None = None, **changes) -> dict:
    """A tiny run; ``cancel_at`` cancels it from the progress callback after that step."""
    token = CancelToken()

    def progress(event):
        if cancel_at is not None and event.done == cancel_at:
            token.cancel()

    crop = TINY[kind][0]
    return train(tiny_request(kind, out, **changes), progress, token, FakeDataset(kind, crop))


def history(out: Path) -> list[dict]:
    with open(out / "history.csv", newline="") as fh:
        return [{k: v for k, v in row.items() if k not in TIME_COLUMNS}
                for row in csv.DictReader(fh)]


def checkpoint_arrays(folder: Path) -> dict[str, np.ndarray]:
    """Every array of a checkpoint folder: model weights, optimizer and trainer state."""
    arrays = {}
    for path in sorted(folder.glob("*.weights.h5")):
        with h5py.File(path, "r") as fh:
            fh.visititems(lambda name, obj, p=path: arrays.__setitem__(
                f"{p.name}/{name}", np.asarray(obj)) if hasattr(obj, "shape") else None)
    for path in sorted(folder.glob("*.npz")):
        with np.load(path, allow_pickle=False) as data:
            arrays.update({f"{path.name}/{k}": data[k] for k in data.files})
    return arrays


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """``finished(kind)``: the folder of an uninterrupted 6-step run, made once per module."""
    runs: dict[str, Path] = {}

    def get(kind: str) -> Path:
        if kind not in runs:
            runs[kind] = tmp_path_factory.mktemp("finished") / kind
            run_tiny(kind, runs[kind])
        return runs[kind]

    return get


def copy_run(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.mark.parametrize("kind", ["deblur", "upscale", "cyclegan", "dcgan"])
def test_each_trainer_steps_and_writes_its_run_folder(finished, kind):
    out = finished(kind)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "done" and summary["step"] == 6
    rows = history(out)
    assert [int(r["step"]) for r in rows] == list(range(7))
    for row in rows[1:]:
        values = [float(v) for k, v in row.items() if v and k != "step"]
        assert values and all(np.isfinite(values))
    metric = summary["metric"]
    assert [bool(r[metric]) for r in rows] == [True, False, True, False, True, False, True]
    assert sorted(p.name for p in (out / "samples").iterdir()) == [
        f"step_00000{i}.png" for i in (0, 2, 4, 6)]
    for which in ("last", "best"):
        state = json.loads((out / "checkpoints" / which / "state.json").read_text())
        assert state["step"] == (6 if which == "last" else summary["best_step"])
    config = json.loads((out / "config.json").read_text())
    assert config["kind"] == kind and config["steps"] == 6 and config["seed"] == 0
    if kind == "upscale":  # stage 2 (with a discriminator) takes the second half
        assert [bool(r["d_loss"]) for r in rows[1:]] == [False] * 3 + [True] * 3
    if kind == "deblur":
        lrs = [float(r["lr"]) for r in rows[1:]]
        assert lrs[:3] == pytest.approx([1e-4] * 3) and lrs[3:] == pytest.approx(
            [1e-4, 2e-4 / 3, 1e-4 / 3])  # linear decay over the second half


@pytest.mark.parametrize("kind", ["deblur", "cyclegan"])
def test_cancelled_then_resumed_run_equals_an_uninterrupted_one(tmp_path, finished, kind):
    whole = finished(kind)
    cancelled = run_tiny(kind, tmp_path / "parts", cancel_at=3)
    assert cancelled["status"] == "cancelled" and cancelled["step"] == 3
    state = json.loads((tmp_path / "parts" / "checkpoints" / "last" / "state.json").read_text())
    assert state["step"] == 3  # the cancel saved a checkpoint at the last finished step
    resumed = run_tiny(kind, tmp_path / "parts", resume=True)
    assert resumed["status"] == "done" and resumed["step"] == 6
    assert history(tmp_path / "parts") == history(whole)
    expected = checkpoint_arrays(whole / "checkpoints" / "last")
    got = checkpoint_arrays(tmp_path / "parts" / "checkpoints" / "last")
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, atol=1e-6, err_msg=key)


def test_resume_extends_a_run_and_drops_history_past_the_checkpoint(tmp_path, finished):
    out = copy_run(finished("dcgan"), tmp_path / "run")
    rows = history(out)
    with open(out / "history.csv", "a", newline="") as fh:  # as if killed after logging step 7
        fh.write("7,1,1,1,1,1,,,\n")
    summary = run_tiny("dcgan", out, resume=True, steps=7)
    assert summary["step"] == 7
    extended = history(out)
    assert extended[:7] == rows and int(extended[7]["step"]) == 7
    assert extended[7]["g_loss"] != "1"
    assert json.loads((out / "config.json").read_text())["steps"] == 7


def test_runs_refuse_to_mix_settings(tmp_path, finished):
    out = finished("dcgan")
    with pytest.raises(UsageError, match="already holds a training run") as caught:
        run_tiny("dcgan", out)
    assert caught.value.hint == HINT_RESUME and "Add --resume" in explain(caught.value)
    with pytest.raises(UsageError, match="ngf"):
        run_tiny("dcgan", out, resume=True, options={**TINY["dcgan"][1], "ngf": 8})
    with pytest.raises(UsageError, match="holds a dcgan run"):
        run_tiny("deblur", out, resume=True)
    with pytest.raises(UsageError, match="no training run"):
        run_tiny("dcgan", tmp_path / "empty", resume=True)
    with pytest.raises(UsageError, match="Unknown dcgan training option"):
        run_tiny("dcgan", tmp_path / "new", options={"wings": 2})
    with pytest.raises(UsageError, match="multiple of 16"):
        run_tiny("upscale", tmp_path / "sr", crop=24)
    with pytest.raises(UsageError, match="either steps or epochs"):
        run_tiny("dcgan", tmp_path / "both", epochs=1.0)


def test_epochs_set_the_number_of_steps(tmp_path):
    summary = run_tiny("dcgan", tmp_path / "run", steps=None, epochs=1.0)
    assert summary["steps"] == 3  # 6 images / batch 2


def test_a_content_only_deblur_run_trains_without_the_critic(tmp_path):
    options = {**TINY["deblur"][1], "adv_weight": 0.0}
    summary = run_tiny("deblur", tmp_path / "run", steps=3, options=options, sample_every=3,
                       checkpoint_every=3)
    assert summary["status"] == "done" and summary["losses"]["g_adv"] == 0.0
    assert "d_loss" not in summary["losses"]
    with open(tmp_path / "run" / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[-1]["d_loss"] == "" and float(rows[-1]["g_content"]) > 0


def test_a_pixel_loss_only_srgan_run_finishes_and_resumes(tmp_path):
    # stage1_fraction=1.0 (the PSNR model) has no stage-2 optimizer: the last report and a
    # resume of the finished run must not look for one.
    options = {**TINY["upscale"][1], "stage1_fraction": 1.0}
    summary = run_tiny("upscale", tmp_path / "run", steps=4, options=options)
    assert summary["status"] == "done" and summary["step"] == 4
    again = run_tiny("upscale", tmp_path / "run", steps=4, options=options, resume=True)
    assert again["status"] == "done" and again["step"] == 4


def test_export_puts_generators_into_the_store(tmp_path, store, finished):
    from engine.store import catalog
    from engine.store.loader import load_model

    # Resuming a finished run with an export name exports without training further.
    out = copy_run(finished("cyclegan"), tmp_path / "run")
    summary = run_tiny("cyclegan", out, resume=True, export="painter")
    assert summary["exports"] == [{"id": "painter", "task": "photo2monet"},
                                  {"id": "painter-inverse", "task": "monet2photo"}]
    forward = catalog.find("photo2monet", "painter")
    assert forward.source == "trained" and forward.arch == "cyclegan_resnet"
    assert forward.card["steps"] == 6 and forward.card["kind"] == "cyclegan"
    assert "val_cycle_l1" in forward.card["metric"]
    assert catalog.find("monet2photo", "painter-inverse").card["direction"].startswith("B")
    model = load_model(forward)
    assert model.predict_on_batch(np.zeros((1, 16, 16, 3), np.float32)).shape == (1, 16, 16, 3)
    with pytest.raises(UsageError, match="already exists"):
        run_tiny("cyclegan", tmp_path / "again", export="painter")
    assert not (tmp_path / "again").exists()  # refused before any training


def test_mixed_precision_run_keeps_float32_weights_and_restores_the_policy(tmp_path):
    import keras

    summary = run_tiny("dcgan", tmp_path / "run", steps=2,
                       options={**TINY["dcgan"][1], "mixed_precision": True})
    assert summary["status"] == "done" and summary["mixed_precision"] is True
    assert all(np.isfinite(list(summary["losses"].values())))
    assert keras.config.dtype_policy().name == "float32"
    arrays = checkpoint_arrays(tmp_path / "run" / "checkpoints" / "last")
    assert any("loss_scale" in key or "dynamic_scale" in key for key in
               json.loads((tmp_path / "run" / "checkpoints" / "last" / "state.json")
                          .read_text())["optimizer_variables"]["generator"])
    assert all(a.dtype != np.float16 for a in arrays.values())


def test_a_fresh_deblur_generator_starts_near_the_identity():
    from engine.models import build
    from engine.training.trainers.deblur import start_near_identity

    x = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    generator = build("deblurgan", ngf=4, n_blocks=1, norm="batch", upsample="resize_conv")
    before = np.abs(np.asarray(generator(x)) - x).mean()
    start_near_identity(generator)
    after = np.abs(np.asarray(generator(x)) - x).mean()
    assert after < 0.02 * before + 1e-6 and after > 0  # near, not exactly, the identity


def test_init_from_fine_tunes_a_stored_model(tmp_path, store, finished):
    from engine.store import catalog

    # Export a finished run, then start a new run from it: its step-0 validation is the
    # exported generator's, not a fresh generator's.
    out = copy_run(finished("deblur"), tmp_path / "base")
    run_tiny("deblur", out, resume=True, export="base")
    trained = float(history(out)[-1]["val_l1"])
    fresh = float(history(finished("deblur"))[0]["val_l1"])

    tuned = run_tiny("deblur", tmp_path / "tuned", steps=2, init_from="base")
    assert tuned["status"] == "done"
    start = float(history(tmp_path / "tuned")[0]["val_l1"])
    # The generator starts near the identity, so six steps move the metric only ~1e-5: the
    # tuned run must start much closer to the trained model than to a fresh one.
    assert abs(start - trained) < abs(fresh - trained) / 20
    config = json.loads((tmp_path / "tuned" / "config.json").read_text())
    assert config["init_from"] == "base"
    run_tiny("deblur", tmp_path / "tuned", resume=True, steps=2, export="tuned")
    assert catalog.get("tuned").card["fine_tuned_from"] == "base"
    # A resume keeps its checkpoint; naming another start model is refused.
    with pytest.raises(UsageError, match="init_from"):
        run_tiny("deblur", tmp_path / "tuned", steps=3, resume=True, init_from="other")


def test_init_from_refuses_a_model_of_another_size_or_task(tmp_path, store, finished):
    out = copy_run(finished("deblur"), tmp_path / "base")
    run_tiny("deblur", out, resume=True, export="base")
    bigger = {**TINY["deblur"][1], "ngf": 8}
    with pytest.raises(UsageError, match="size: ngf=4") as caught:
        run_tiny("deblur", tmp_path / "big", options=bigger, init_from="base")
    assert "--" not in str(caught.value) and "--set ngf=4" in explain(caught.value)
    with pytest.raises(UsageError, match="for task deblur"):
        run_tiny("upscale", tmp_path / "up", init_from="base")
    with pytest.raises(UsageError, match="No model named 'nothing'"):
        run_tiny("deblur", tmp_path / "none", init_from="nothing")
