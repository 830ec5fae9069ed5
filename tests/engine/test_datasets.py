"""Training datasets: folder scans, pairs, batches of every kind, determinism, failures."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from engine.errors import UsageError
from engine.imaging.resample import resize_to
from engine.training import crops, datasets
from engine.training.datasets import ImageCache, make_dataset, match_pairs, scan_folder


def _photo(height=80, width=96, seed=0, block=8) -> np.ndarray:
    """uint8 RGB of random colour blocks (sharp edges everywhere)."""
    rng = np.random.default_rng(seed)
    small = (rng.random((-(-height // block), -(-width // block), 3)) * 255).astype(np.uint8)
    return np.repeat(np.repeat(small, block, axis=0), block, axis=1)[:height, :width]


def _save(path: Path, arr: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path)
    return path


def _folder(root: Path, count=4, height=80, width=96, ext="png") -> Path:
    for i in range(count):
        _save(root / f"img{i}.{ext}", _photo(height, width, seed=i))
    return root


def _truncated_png(path: Path) -> Path:
    """A PNG whose header is fine but whose pixel data is cut off."""
    _save(path, _photo(80, 96, seed=99))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _sharpness(batch: np.ndarray) -> list[float]:
    return [float(cv2.Laplacian(img.mean(axis=2), cv2.CV_32F).var()) for img in batch]


# --- scanning --------------------------------------------------------------------------------


def test_scan_is_recursive_sorted_and_reports_skipped_files(tmp_path):
    root = tmp_path / "photos"
    _save(root / "b.png", _photo())
    _save(root / "a.jpg", _photo(seed=1))
    _save(root / "sub" / "deeper" / "c.webp", _photo(seed=2))
    _save(root / "tiny.png", _photo(30, 90))
    (root / "broken.jpg").write_bytes(b"not a jpeg at all")
    (root / "notes.txt").write_text("hello")
    (root / ".hidden.png").write_bytes(b"junk")
    scan = scan_folder(root)
    assert [p.relative_to(root).as_posix() for p in scan.paths] == [
        "a.jpg", "b.png", "sub/deeper/c.webp"]
    assert scan.sizes == [(96, 80)] * 3
    assert len(scan.problems) == 3
    text = "\n".join(scan.problems)
    assert "photos/broken.jpg was skipped" in text
    assert "photos/tiny.png was skipped" in text and "90x30" in text
    assert "photos/notes.txt was skipped" in text and "'.txt'" in text
    assert ".hidden" not in text


def test_scan_refuses_too_few_images_with_the_count(tmp_path):
    _folder(tmp_path / "few", count=3)
    with pytest.raises(UsageError, match="has 3 usable images; at least 8 are needed"):
        scan_folder(tmp_path / "few", min_count=8)


def test_scan_refuses_a_missing_folder(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        scan_folder(tmp_path / "nowhere")


# --- pairs -----------------------------------------------------------------------------------


def test_pairs_match_by_relative_name_across_extensions(tmp_path):
    for name in ("x/1", "x/2", "3"):
        _save(tmp_path / "A" / f"{name}.jpg", _photo())
        _save(tmp_path / "B" / f"{name}.png", _photo())
    _save(tmp_path / "A" / "lonely.png", _photo())
    _save(tmp_path / "B" / "other.png", _photo())
    a, b = scan_folder(tmp_path / "A"), scan_folder(tmp_path / "B")
    pairs = match_pairs(a, b)
    assert [(p.relative_to(tmp_path).as_posix(), q.relative_to(tmp_path).as_posix())
            for p, q in pairs] == [("A/3.jpg", "B/3.png"), ("A/x/1.jpg", "B/x/1.png"),
                                   ("A/x/2.jpg", "B/x/2.png")]
    assert any("A/lonely.png" in p for p in a.problems)
    assert any("B/other.png" in p for p in b.problems)


def test_pairs_that_do_not_match_name_the_files(tmp_path):
    _folder(tmp_path / "A", count=2)
    _save(tmp_path / "B" / "different.png", _photo())
    with pytest.raises(UsageError, match=r"only 0 image.*A/img0.png"):
        match_pairs(scan_folder(tmp_path / "A"), scan_folder(tmp_path / "B"))


def test_pairs_tolerate_a_scale_suffix(tmp_path):
    _save(tmp_path / "lr" / "0001x4.png", _photo(20, 24))
    _save(tmp_path / "hr" / "0001.png", _photo(80, 96))
    pairs = match_pairs(scan_folder(tmp_path / "lr", 8), scan_folder(tmp_path / "hr"))
    assert [(p.name, q.name) for p, q in pairs] == [("0001x4.png", "0001.png")]


# --- batches of every kind -------------------------------------------------------------------


@pytest.fixture
def photos(tmp_path):
    return _folder(tmp_path / "photos", count=3)


SHAPES = {
    "deblur": {"input": (2, 32, 32, 3), "target": (2, 32, 32, 3)},
    "upscale": {"input": (2, 8, 8, 3), "target": (2, 32, 32, 3)},
    "cyclegan": {"a": (2, 32, 32, 3), "b": (2, 32, 32, 3)},
    "dcgan": {"image": (2, 32, 32, 3)},
}


def _make(kind: str, folder: Path, **options):
    data_b = folder if kind == "cyclegan" else None
    return make_dataset(kind, folder, data_b, crop=32, **options)


@pytest.mark.parametrize("kind", list(SHAPES))
def test_batches_have_the_contract_shapes_dtypes_and_ranges(kind, photos):
    dataset = _make(kind, photos)
    assert dataset.kind == kind
    for batch in (dataset.sample(np.random.default_rng(0), 2), dataset.validation(2)):
        assert {k: v.shape for k, v in batch.items()} == SHAPES[kind]
        for value in batch.values():
            assert value.dtype == np.float32
            assert value.min() >= 0.0 and value.max() <= 1.0
    info = dataset.describe()
    assert info["kind"] == kind and info["problems"] == []


@pytest.mark.parametrize("kind", list(SHAPES))
def test_same_generator_state_same_batch_other_state_other_batch(kind, photos):
    dataset = _make(kind, photos)
    first = dataset.sample(np.random.default_rng(11), 3)
    again = _make(kind, photos).sample(np.random.default_rng(11), 3)
    other = dataset.sample(np.random.default_rng(12), 3)
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
    assert any(not np.array_equal(first[k], other[k]) for k in first)


@pytest.mark.parametrize("kind", list(SHAPES))
def test_validation_is_fixed_across_calls(kind, photos):
    dataset = _make(kind, photos)
    first = dataset.validation(4)
    dataset.sample(np.random.default_rng(0), 2)
    for key, value in dataset.validation(4).items():
        np.testing.assert_array_equal(first[key], value)
    assert len(next(iter(first.values()))) == 4  # cycles when the folder has fewer images


def test_synthetic_deblur_inputs_are_blurred_versions_of_the_targets(photos):
    dataset = make_dataset("deblur", photos, crop=48)
    assert dataset.describe()["mode"] == "synthetic"
    batch = dataset.sample(np.random.default_rng(3), 6)
    for blurred, sharp in zip(_sharpness(batch["input"]), _sharpness(batch["target"])):
        assert blurred < sharp
    assert np.abs(batch["input"].mean(axis=(1, 2)) - batch["target"].mean(axis=(1, 2))).max() \
        < 0.05  # same place, same colours


def test_synthetic_upscale_input_is_a_quarter_size_downscale_of_the_target(tmp_path):
    for i in range(3):  # photo-like chroma: 4:2:0 JPEG smears saturated colour edges
        colour = _photo(seed=i, block=16).astype(np.float32)
        grey = colour.mean(axis=2, keepdims=True)
        _save(tmp_path / "photos" / f"{i}.png", (0.8 * grey + 0.2 * colour).astype(np.uint8))
    dataset = make_dataset("upscale", tmp_path / "photos", crop=32)
    batch = dataset.sample(np.random.default_rng(5), 8)
    for lr, hr in zip(batch["input"], batch["target"]):
        assert lr.shape == (8, 8, 3)
        assert np.abs(lr - resize_to(hr, 8, 8, "area")).mean() < 0.05


def test_flips_are_horizontal_only(tmp_path):
    yy, xx = np.mgrid[0:64, 0:64]
    ramp = np.stack([xx * 4, yy * 4, np.zeros_like(xx)], axis=2).astype(np.uint8)
    _save(tmp_path / "ramp" / "r.png", ramp)
    dataset = make_dataset("cyclegan", tmp_path / "ramp", tmp_path / "ramp", crop=48)
    images = dataset.sample(np.random.default_rng(0), 16)["a"]
    red_rising = [img[:, -1, 0].mean() > img[:, 0, 0].mean() for img in images]
    assert any(red_rising) and not all(red_rising)  # left-right flips happen
    assert all(img[-1, :, 1].mean() > img[0, :, 1].mean() for img in images)  # never upside down


def test_texture_tells_flat_from_detailed_patches():
    flat = np.full((32, 32, 3), 120, np.uint8)
    assert datasets.texture(flat) == 0.0
    assert datasets.texture(_photo(32, 32, block=2)) > 30 * datasets.TEXTURE_MIN / 6


@pytest.mark.parametrize("kind", ["deblur", "upscale"])
def test_synthetic_crops_prefer_the_detailed_part_of_a_photo(tmp_path, monkeypatch, kind):
    # A wallpaper-like photo: two thirds flat sky, one third sharp blocks.
    photo = np.full((256, 384, 3), 150, np.uint8)
    photo[:, 256:] = _photo(256, 128, block=4)
    _save(tmp_path / "wall" / "w.png", photo)

    def detailed_share(tries: int) -> float:
        monkeypatch.setattr(crops, "TEXTURE_TRIES", tries)
        dataset = make_dataset(kind, tmp_path / "wall", crop=32, min_count=1)
        targets = dataset.sample(np.random.default_rng(0), 48)["target"]
        return float(np.mean([datasets.texture(np.round(t * 255)) >= datasets.TEXTURE_MIN
                              for t in targets]))

    tries = datasets.TEXTURE_TRIES
    uniform, chosen = detailed_share(1), detailed_share(tries)
    assert uniform < 0.5 and chosen >= 0.7 and chosen >= uniform + 0.3
    validation = make_dataset(kind, tmp_path / "wall", crop=32, min_count=1).validation(1)
    assert datasets.texture(np.round(validation["target"][0] * 255)) >= datasets.TEXTURE_MIN


def test_plain_crops_bring_flat_areas_back_into_training(tmp_path):
    # Two thirds flat sky: detail-seeking crops seldom show it, plain crops mostly do.
    photo = np.full((256, 384, 3), 150, np.uint8)
    photo[:, 256:] = _photo(256, 128, block=4)
    _save(tmp_path / "wall" / "w.png", photo)

    def flat_share(plain: float) -> float:
        dataset = make_dataset("deblur", tmp_path / "wall", crop=32, plain_crops=plain)
        targets = dataset.sample(np.random.default_rng(0), 64)["target"]
        return float(np.mean([datasets.texture(np.round(t * 255)) < 1.0 for t in targets]))

    detailed, half, plain = flat_share(0.0), flat_share(0.5), flat_share(1.0)
    assert detailed < 0.35 and plain > 0.6 and detailed + 0.15 < half < plain - 0.15
    assert make_dataset("deblur", tmp_path / "wall", crop=32,
                        plain_crops=0.5).describe()["plain_crops"] == 0.5
    with pytest.raises(UsageError, match="plain_crops"):
        make_dataset("deblur", tmp_path / "wall", crop=32, plain_crops=1.5)


def test_small_images_are_mirror_padded_to_the_crop(tmp_path):
    _folder(tmp_path / "small", count=2, height=70, width=80)
    dataset = make_dataset("cyclegan", tmp_path / "small", tmp_path / "small", crop=96)
    assert dataset.sample(np.random.default_rng(0), 2)["a"].shape == (2, 96, 96, 3)


# --- real pairs ------------------------------------------------------------------------------


def test_paired_deblur_crops_stay_aligned(tmp_path):
    for i in range(3):
        sharp = _photo(72, 88, seed=i)
        _save(tmp_path / "data" / "B" / f"{i}.png", sharp)
        _save(tmp_path / "data" / "A" / f"{i}.png", sharp // 2)
    dataset = make_dataset("deblur", tmp_path / "data", crop=32)
    assert dataset.describe()["mode"] == "paired" and dataset.describe()["pairs"] == 3
    batch = dataset.sample(np.random.default_rng(1), 8)
    np.testing.assert_allclose(batch["input"], np.floor(batch["target"] * 255 / 2) / 255,
                               atol=1e-6)


def test_paired_upscale_aligns_low_and_high_resolution(tmp_path):
    for i in range(2):
        hr = _photo(96, 128, seed=i, block=4)
        lr = cv2.resize(hr, (32, 24), interpolation=cv2.INTER_AREA)
        _save(tmp_path / "data" / "hr" / f"{i}.png", hr)
        _save(tmp_path / "data" / "lr" / f"{i}.png", lr)
    dataset = make_dataset("upscale", tmp_path / "data", crop=32)
    batch = dataset.sample(np.random.default_rng(2), 6)
    assert batch["input"].shape == (6, 8, 8, 3) and batch["target"].shape == (6, 32, 32, 3)
    for lr, hr in zip(batch["input"], batch["target"]):
        np.testing.assert_allclose(lr, resize_to(hr, 8, 8, "area"), atol=1.5 / 255)


def test_paired_upscale_refuses_the_wrong_scale(tmp_path):
    _save(tmp_path / "data" / "HR" / "0.png", _photo(96, 128))
    _save(tmp_path / "data" / "LR" / "0.png", _photo(48, 64))  # 2x, not 4x
    with pytest.raises(UsageError, match=r"64x48 is not 1/4 of 128x96"):
        make_dataset("upscale", tmp_path / "data", crop=32)


def test_gopro_layout_pairs_every_sequence(tmp_path):
    for seq in ("GOPR01", "GOPR02"):
        for i in range(2):
            _save(tmp_path / "train" / seq / "sharp" / f"{i:06d}.png", _photo(seed=i))
            _save(tmp_path / "train" / seq / "blur" / f"{i:06d}.png", _photo(seed=i))
    dataset = make_dataset("deblur", tmp_path / "train", crop=32)
    assert dataset.describe()["pairs"] == 4
    assert len(dataset.describe()["folders"]) == 2


# --- dcgan -----------------------------------------------------------------------------------


def test_greyscale_fashion_like_folder_gives_one_channel(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(6):
        _save(tmp_path / "fm" / str(i % 2) / f"{i:05d}.png",
              (rng.random((28, 28)) * 255).astype(np.uint8))
    dataset = make_dataset("dcgan", tmp_path / "fm", crop=28)
    batch = dataset.sample(np.random.default_rng(0), 5)["image"]
    assert batch.shape == (5, 28, 28, 1) and batch.dtype == np.float32
    info = dataset.describe()
    assert info["channels"] == 1 and info["native_size"] == (28, 28) and info["images"] == 6


def test_dcgan_resizes_whole_colour_images(photos):
    dataset = make_dataset("dcgan", photos, crop=16)
    assert dataset.sample(np.random.default_rng(0), 2)["image"].shape == (2, 16, 16, 3)


# --- failures --------------------------------------------------------------------------------


def test_files_failing_at_load_time_are_skipped_and_reported(photos):
    _truncated_png(photos / "zz_truncated.png")
    dataset = make_dataset("deblur", photos, crop=32)
    assert dataset.describe()["images"] == 4  # the header looked fine
    for seed in range(6):
        dataset.sample(np.random.default_rng(seed), 4)
    problems = dataset.describe()["problems"]
    assert len(problems) == 1 and "zz_truncated.png was skipped" in problems[0]


def test_too_many_load_failures_raise_a_usage_error(tmp_path):
    _truncated_png(tmp_path / "bad" / "a.png")
    _truncated_png(tmp_path / "bad" / "b.png")
    dataset = make_dataset("deblur", tmp_path / "bad", crop=32)
    with pytest.raises(UsageError, match="has 0 usable images"):
        dataset.sample(np.random.default_rng(0), 2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (dict(kind="sharpen"), "unknown training kind"),
        (dict(kind="cyclegan"), "two folders"),
        (dict(kind="upscale", crop=30), "divides the crop"),
        (dict(kind="deblur", min_count=10), "has 3 usable images; at least 10"),
    ],
)
def test_bad_requests_are_usage_errors(photos, args, message):
    args = {"crop": 32, **args}
    with pytest.raises(UsageError, match=message):
        make_dataset(data=photos, **args)


def test_missing_data_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        make_dataset("deblur", tmp_path / "missing")


# --- the cache -------------------------------------------------------------------------------


def test_cache_is_bounded_by_bytes_and_evicts_least_recently_used():
    cache = ImageCache(max_bytes=300)
    for key in "abc":
        cache.put(key, np.zeros(100, np.uint8))
    assert cache.get("a") is not None  # now the most recent
    cache.put("d", np.zeros(100, np.uint8))
    assert cache.get("b") is None and cache.get("a") is not None
    assert cache.nbytes == 300
    cache.put("huge", np.zeros(400, np.uint8))
    assert cache.get("huge") is None and len(cache) == 3


def test_decoded_images_are_cached_between_batches(photos, monkeypatch):
    dataset = make_dataset("deblur", photos, crop=32)
    dataset.sample(np.random.default_rng(0), 12)
    calls = []
    monkeypatch.setattr(datasets.io, "read", lambda *a, **k: calls.append(a) or 1 / 0)
    dataset.sample(np.random.default_rng(1), 12)
    assert calls == []
