"""The GPU kit: building it, KitDataset batches, and gpu_train.py end to end on the CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.imaging import io
from engine.imaging.image import Image
from engine.training import kit_build

REPO = Path(__file__).resolve().parents[2]
CROP = 24  # the smallest crop a 3-layer critic takes
TILE = CROP + 2 * kit_build.MARGIN + 16


def _photos(folder: Path) -> Path:
    """Three small deterministic photos with edges and texture (and one flat one)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(5)
    for i in range(3):
        yy, xx = np.mgrid[0:150, 0:200].astype(np.float32)
        base = 0.5 + 0.4 * np.sin(xx / (6 + 3 * i))[:, :, None] * np.cos(yy / 9)[:, :, None]
        noise = rng.uniform(-0.1, 0.1, (150, 200, 3)).astype(np.float32)
        pixels = np.clip(base * np.array([1.0, 0.8, 0.6], np.float32) + noise, 0.0, 1.0)
        io.write(Image(pixels=pixels), folder / f"photo{i}.png")
    io.write(Image(pixels=np.full((100, 110, 3), 0.4, np.float32)), folder / "flat.png")
    return folder


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("kit")
    out = root / "kit"
    kit_build.build_kit(_photos(root / "photos"), out, tile=TILE, stride=TILE - 24,
                        kernels=24, seed=3)
    return out


def test_kit_manifest_counts_tiles_and_kernels(kit):
    manifest = json.loads((kit / "kit.json").read_text())
    # 200x150 photos: 2 x 2 tiles each; the 110x100 flat one: 1, mirrored up to size.
    assert manifest["tiles"] == 3 * 4 + 1
    assert 0 < manifest["textured_tiles"] < manifest["tiles"]
    assert manifest["kernels"] == 24 and sum(manifest["kernel_kinds"].values()) == 24
    assert manifest["max_crop"] == TILE - 2 * kit_build.MARGIN


def test_kernel_bank_round_trips_the_full_kernels():
    bank = kit_build.kernel_bank(6, seed=9)
    rng = np.random.default_rng([9, 2])
    for i in range(6):
        _, _, full = kit_build._draw_kernel(rng)
        cut = bank["values"][bank["offsets"][i]:bank["offsets"][i + 1]].reshape(
            bank["shapes"][i]).astype(np.float32)
        c = (full.shape[0] - 1) // 2
        ay, ax = bank["anchors"][i]
        placed = np.zeros_like(full)
        placed[c - ay:c - ay + cut.shape[0], c - ax:c - ax + cut.shape[1]] = cut
        np.testing.assert_allclose(placed, full, atol=2e-3)


def test_kit_batches_are_deterministic_and_blurred(kit):
    from engine.training.kit_dataset import KitDataset

    data = KitDataset(kit, crop=CROP, seed=0, plain_crops=0.3, device="cpu")
    a = data.sample(np.random.default_rng([1, 0]), 12)
    b = data.sample(np.random.default_rng([1, 0]), 12)
    c = data.sample(np.random.default_rng([1, 1]), 12)
    assert a["input"].shape == a["target"].shape == (12, CROP, CROP, 3)
    assert a["input"].dtype == np.float32 and 0.0 <= a["input"].min() <= a["input"].max() <= 1
    np.testing.assert_array_equal(a["input"], b["input"])
    np.testing.assert_array_equal(a["target"], b["target"])
    assert not np.array_equal(a["input"], c["input"])
    # The sharp share comes back untouched; every other item differs from its target.
    rng = np.random.default_rng([1, 0])
    sharp = [data._draw(rng)["sharp"] for _ in range(12)]
    for i, left_sharp in enumerate(sharp):
        diff = np.abs(a["input"][i] - a["target"][i]).mean()
        assert (diff == 0.0) == left_sharp, (i, diff)


def test_kit_bokeh_share_softens_targets_and_zero_keeps_the_stream(kit):
    from engine.training.kit_dataset import KitDataset

    def batch(share: float) -> dict:
        data = KitDataset(kit, crop=CROP, seed=0, plain_crops=0.3, device="cpu",
                          bokeh_share=share)
        return data.sample(np.random.default_rng([2, 0]), 8)

    def energy(t: np.ndarray) -> float:  # squared steps: blur lowers them
        return float((np.diff(t, axis=1) ** 2).mean() + (np.diff(t, axis=2) ** 2).mean())

    default = KitDataset(kit, crop=CROP, seed=0, plain_crops=0.3, device="cpu")
    plain, soft = batch(0.0), batch(1.0)
    np.testing.assert_array_equal(plain["target"],
                                  default.sample(np.random.default_rng([2, 0]), 8)["target"])
    np.testing.assert_array_equal(soft["target"], batch(1.0)["target"])
    assert energy(soft["target"]) < 0.8 * energy(plain["target"])


def test_kit_blur_matches_the_cpu_blur(kit):
    """The torch conv (mirrored border, correlation) equals ``degrade.blur`` on a window."""
    from engine.training import degrade
    from engine.training.kit_dataset import KitDataset

    data = KitDataset(kit, crop=CROP, device="cpu")
    item = {**data._draw(np.random.default_rng(4)), "sharp": False, "sigma": 0.0, "jpeg": 0,
            "gain": 1.0}
    kernel, (ay, ax) = data.kernels[item["kernel"]]
    reach = max(ay, ax, kernel.shape[0] - 1 - ay, kernel.shape[1] - 1 - ax)
    full = np.zeros((2 * reach + 1,) * 2, np.float32)
    full[reach - ay:reach - ay + kernel.shape[0], reach - ax:reach - ax + kernel.shape[1]] = \
        kernel
    window = data._window(item).astype(np.float32) / 255.0
    m = data.margin
    expected = degrade.blur(window, full)[m:m + CROP, m:m + CROP]
    blurred, _ = data._degrade([item])
    np.testing.assert_allclose(blurred[0], expected, atol=1e-4)


def test_validation_is_fixed_and_never_sharp(kit):
    from engine.training.kit_dataset import KitDataset

    data = KitDataset(kit, crop=CROP, device="cpu")
    v1, v2 = data.validation(3), data.validation(3)
    np.testing.assert_array_equal(v1["input"], v2["input"])
    assert all(np.abs(v1["input"][i] - v1["target"][i]).mean() > 0 for i in range(3))


def test_runner_picks_the_kit_for_deblur(kit):
    from engine.training import runner
    from engine.training.kit_dataset import KitDataset

    dataset = runner._make_dataset("deblur", kit, None, CROP, 0, {"plain_crops": 0.5})
    assert isinstance(dataset, KitDataset) and dataset.describe()["mode"] == "kit"


@pytest.mark.skipif(shutil.which("bash") is None, reason="gpu_train.sh needs bash")
def test_gpu_train_end_to_end_on_cpu(kit, tmp_path, store):
    """gpu_train.sh (torch backend): a few steps of a tiny U-Net, then a usable model."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHON": sys.executable, "PHOTOGAN_KIT": str(kit),
           "PHOTOGAN_RESOURCES": str(tmp_path / "no-resources"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        ["bash", str(REPO / "build_scripts" / "gpu_train.sh"), "deblur-unet-small", str(out),
         "10", "--run", str(tmp_path / "run"), "--batch", "2", "--crop", str(CROP),
         "--max-steps", "4", "--probe-steps", "2", "--precision", "float32",
         "--channels-last", "on", "--set", "width=4", "--set", "val_count=2",
         "--set", "ndf=4"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "images/s" in done.stdout and "GFLOP/s" in done.stdout
    assert "channels-last" in done.stdout
    files = sorted(p.name for p in out.iterdir())
    assert files == ["config.json", "history.csv", "manifest.json", "samples.png",
                     "summary.json", "weights.npz"]
    assert all(p.stat().st_size < 16 * 2**20 for p in out.iterdir())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["arch"] == "deblur_unet" and manifest["config"] == {"width": 4}
    assert manifest["card"]["steps"] == 4 and manifest["card"]["storage"] == "float16"
    with np.load(out / "weights.npz") as weights:
        assert all(weights[k].dtype == np.float16 for k in weights.files
                   if weights[k].dtype.kind == "f")
    _deblur_with(out, store)


def _deblur_with(outdir: Path, user_models: Path) -> None:
    """Install OUTDIR as a user model and deblur a small image with it."""
    from engine import api

    manifest = json.loads((outdir / "manifest.json").read_text())
    target = user_models / manifest["id"]
    target.mkdir(parents=True)
    for name in ("manifest.json", "weights.npz"):
        shutil.copy2(outdir / name, target / name)
    rng = np.random.default_rng(0)
    rgb = rng.integers(50, 200, (40, 56, 3), dtype=np.uint8)
    out = api.process_array("deblur", rgb, {"model": manifest["id"], "keep_tones": False})
    assert out.shape == rgb.shape and out.dtype == np.uint8
    diff = np.abs(out.astype(np.float32) - rgb)
    assert 0 < diff.mean() < 40  # changed, but near the identity: not a crash image


def test_init_from_goes_into_the_private_store(tmp_path, monkeypatch):
    """``--init-from OUTDIR`` (an earlier session's result) or a shipped id becomes a model
    of the run's private store, so ``runner.init_generators`` starts from its weights."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_train",
                                                  REPO / "build_scripts" / "gpu_train.py")
    gpu_train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_train)
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "manifest.json").write_text(json.dumps({"id": "deblur-unet",
                                                       "file": "weights.npz"}))
    (earlier / "weights.npz").write_bytes(b"npz")
    home = tmp_path / "home"
    monkeypatch.delenv("PHOTOGAN_RESOURCES", raising=False)
    assert gpu_train._init_model(str(earlier), home) == "deblur-unet"
    assert (home / "models" / "deblur-unet" / "weights.npz").read_bytes() == b"npz"
    assert gpu_train._init_model("deblur-fast", home) == "deblur-fast"  # a shipped id
    assert (home / "models" / "deblur-fast" / "manifest.json").is_file()
    assert gpu_train._init_model(None, home) is None
