"""``photogan eval sample``: the figures are right, generated images reach the classifier as
the sample task writes them, the classifier cache is reused and invalidated, and the CLI
prints and reports every row. Runs on a tiny synthetic 10-class data set."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image as PILImage

from engine.cli.main import EXIT_OK, EXIT_USAGE, main
from engine.errors import Cancelled, UsageError
from engine.evaluation import sample_classifier
from engine.evaluation.eval_sample import (
    class_histogram,
    classifier_score,
    evaluate_sample,
    feature_stats,
    frechet_distance,
    score_row,
)
from engine.evaluation.sample_classifier import (
    ClassifierConfig,
    build_classifier,
    cache_key,
    classify,
    get_classifier,
    train_classifier,
)
from engine.evaluation.sample_data import list_split, load_images, to_classifier_input
from engine.events import CancelToken

CLASSES = 10
TINY = ClassifierConfig(filters=(4, 8), dense=16, dropout=0.0, epochs=12, batch=12,
                        learning_rate=1e-2, seed=0)


def _pattern(label: int, rng: np.random.Generator) -> np.ndarray:
    """28x28 uint8: a bright 7x7 block at a class-specific place on a dark noisy ground."""
    img = rng.integers(0, 40, (28, 28)).astype(np.uint8)
    y, x = (label // 4) * 7 + 3, (label % 4) * 7
    img[y:y + 7, x:x + 7] = rng.integers(200, 256, (7, 7))
    return img


def _write_split(root, split: str, per_class: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for label in range(CLASSES):
        folder = root / split / str(label)
        folder.mkdir(parents=True)
        for i in range(per_class):
            PILImage.fromarray(_pattern(label, rng), "L").save(folder / f"{i:03d}.png")


@pytest.fixture
def data(tmp_path):
    """``train/`` with 6 and ``test/`` with 4 images per class, 10 classes."""
    root = tmp_path / "fashion"
    _write_split(root, "train", 6, seed=1)
    _write_split(root, "test", 4, seed=2)
    return root


@pytest.fixture
def tiny_dcgan(store):
    """A seeded dcgan28 with an 8-long latent, the only ``sample`` model."""
    return _store_generator("tiny-dcgan", "dcgan28", {"latent_dim": 8})


def _store_generator(model_id: str, arch: str, config: dict):
    import keras

    from engine.models import build
    from engine.store.importers import add_model

    keras.utils.set_random_seed(123)
    return add_model(build(arch, **config), "sample", model_id, arch, config)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny classifier trained on the synthetic set (no cache), and the test split."""
    root = tmp_path_factory.mktemp("shared") / "fashion"
    _write_split(root, "train", 6, seed=1)
    _write_split(root, "test", 4, seed=2)
    paths, labels, _ = list_split(root, "train")
    model = train_classifier(load_images(paths), labels, CLASSES, TINY)
    test_paths, test_labels, _ = list_split(root, "test")
    return model, load_images(test_paths), test_labels


# --- the figures ------------------------------------------------------------------------------


def test_classifier_score_spans_one_to_the_class_count():
    confident_balanced = np.eye(CLASSES)[np.arange(100) % CLASSES]
    assert classifier_score(confident_balanced) == pytest.approx(CLASSES, rel=1e-6)
    assert classifier_score(np.tile(np.eye(CLASSES)[3], (50, 1))) == pytest.approx(1.0)
    assert classifier_score(np.full((50, CLASSES), 1 / CLASSES)) == pytest.approx(1.0)
    two_classes = np.eye(CLASSES)[np.arange(100) % 2]
    assert classifier_score(two_classes) == pytest.approx(2.0, rel=1e-6)


def test_frechet_distance_is_zero_for_a_set_with_itself_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(400, 6))
    feats -= feats.mean(axis=0)  # zero mean, so scaling keeps the mean
    stats = feature_stats(feats)
    assert frechet_distance(*stats, *stats) == pytest.approx(0.0, abs=1e-6)
    shifted = feats + np.array([0.5, 0.5, 0.5, 0.5, 0.0, 0.0])  # same covariance
    assert frechet_distance(*feature_stats(shifted), *stats) == pytest.approx(1.0, rel=1e-6)
    wider = feats * 2.0  # same mean, covariance x4: trace term sum(s + 4s - 2*2s) = sum(s)
    expected = float(np.trace(stats[1]))
    assert frechet_distance(*feature_stats(wider), *stats) == pytest.approx(expected, rel=1e-4)


def test_frechet_distance_copes_with_fewer_images_than_features():
    rng = np.random.default_rng(1)
    few, other = feature_stats(rng.normal(size=(5, 16))), feature_stats(rng.normal(size=(5, 16)))
    assert frechet_distance(*few, *few) == pytest.approx(0.0, abs=1e-4)
    assert frechet_distance(*few, *other) > 1.0


def test_histogram_and_coverage_count_classes_above_two_percent():
    labels = np.array([0] * 90 + [1] * 8 + [2] * 1 + [3] * 1)
    probs = np.eye(CLASSES)[labels] * 0.9 + 0.01
    assert class_histogram(probs).tolist() == [0.9, 0.08, 0.01, 0.01] + [0.0] * 6
    feats = np.random.default_rng(0).normal(size=(100, 3))
    row = score_row("x", "model", probs, feats, feature_stats(feats))
    assert row.covered == 2 and row.count == 100 and row.fcd == pytest.approx(0.0, abs=1e-6)
    assert sum(row.histogram) == pytest.approx(1.0)


# --- the classifier on real-looking data ------------------------------------------------------


def test_real_balanced_images_score_higher_than_a_constant_set(trained):
    model, x_test, labels = trained
    probs, feats = classify(model, x_test)
    assert np.mean(np.argmax(probs, axis=1) == labels) >= 0.9
    constant = np.full_like(x_test, 0.5)
    c_probs, c_feats = classify(model, constant)
    assert classifier_score(probs) > 5.0
    assert classifier_score(c_probs) == pytest.approx(1.0, abs=1e-3)
    reference = feature_stats(feats[::2])
    real = score_row("real", "real", probs[1::2], feats[1::2], reference)
    flat = score_row("flat", "random", c_probs[1::2], c_feats[1::2], reference)
    assert real.fcd < flat.fcd and real.covered == CLASSES and flat.covered == 1


# --- generated images reach the classifier as the sample task writes them ---------------------


@pytest.mark.parametrize("arch, config", [("dcgan28", {"latent_dim": 8}),
                                          ("dcgan64", {"latent_dim": 8, "ngf": 4})])
def test_generated_images_match_the_sample_tasks_pngs(store, tmp_path, arch, config):
    from engine.store.loader import load_model
    from engine.tasks.registry import RunContext, get_task
    from engine.tasks.sample import render, sample_latents

    manifest = _store_generator("gen", arch, config)
    task = get_task("sample")
    paths = task.generate(task.parse_options({"count": 3, "seed": 5, "grid": False}),
                          tmp_path / "out", RunContext())
    rendered = render(load_model(manifest), sample_latents(3, 8, 5), manifest.output_range,
                      RunContext())
    ours = to_classifier_input(rendered)
    assert ours.shape == (3, 28, 28, 1) and ours.dtype == np.float32
    assert ours.min() >= 0.0 and ours.max() <= 1.0 and ours.std() > 0
    np.testing.assert_allclose(ours, load_images(paths), atol=1e-6)


def test_rgb_images_become_luma():
    rgb = np.zeros((2, 64, 64, 3), np.float32)
    rgb[..., 0] = 1.0  # pure red: BT.601 luma 0.299
    out = to_classifier_input(rgb)
    assert out.shape == (2, 28, 28, 1)
    np.testing.assert_allclose(out, 0.299, atol=1e-6)


# --- the cache --------------------------------------------------------------------------------


@pytest.fixture
def untrained_spy(monkeypatch):
    """Replace training with a seeded untrained classifier; the list counts the calls."""
    calls = []

    def fake_train(x, y, classes, config, progress=None, cancel=None):
        import keras

        calls.append(len(x))
        keras.utils.set_random_seed(len(calls))  # each "training" gives other weights
        return build_classifier(classes, config)

    monkeypatch.setattr(sample_classifier, "train_classifier", fake_train)
    return calls


def test_classifier_is_cached_and_retrained_when_the_data_changes(store, data, untrained_spy):
    first, _, info1 = get_classifier(data, TINY)
    assert untrained_spy == [60] and info1.trained and info1.cache.is_file()
    assert info1.cache.parent == store.parent / "eval"  # PHOTOGAN_HOME/eval

    second, _, info2 = get_classifier(data, TINY)
    assert untrained_spy == [60] and not info2.trained and info2.cache == info1.cache
    x = load_images(list_split(data, "test")[0])
    np.testing.assert_allclose(classify(second, x)[0], classify(first, x)[0], atol=1e-6)

    PILImage.fromarray(np.zeros((28, 28), np.uint8), "L").save(data / "train" / "3" / "new.png")
    _, _, info3 = get_classifier(data, TINY)
    assert untrained_spy == [60, 61] and info3.trained and info3.cache != info1.cache

    info3.cache.write_bytes(b"not an h5 file")  # a damaged cache entry is retrained
    _, _, info4 = get_classifier(data, TINY)
    assert untrained_spy == [60, 61, 61] and info4.trained and info4.cache == info3.cache
    assert not get_classifier(data, TINY)[2].trained


def test_cache_key_follows_files_sizes_classes_and_settings(data):
    paths, _, classes = list_split(data, "train")
    key = cache_key(data, paths, classes, TINY)
    assert cache_key(data, list(paths), list(classes), TINY) == key
    assert cache_key(data, paths[1:], classes, TINY) != key
    assert cache_key(data, paths, classes, ClassifierConfig(**{**vars(TINY), "epochs": 1})) != key
    assert cache_key(data, paths, classes[::-1], TINY) != key
    paths[0].write_bytes(paths[0].read_bytes() + b"\0")  # same name, other size
    assert cache_key(data, paths, classes, TINY) != key


# --- the whole run and the CLI ----------------------------------------------------------------


def test_evaluate_scores_real_model_and_random_rows(tiny_dcgan, data):
    result = evaluate_sample(data, count=12, seed=0, config=TINY)
    assert [r.kind for r in result.rows] == ["real", "model", "random"]
    real, model, floor = result.rows
    assert (real.count, model.count, floor.count) == (12, 12, 12)
    assert result.classifier.test_accuracy >= 0.9 and result.classifier.test_images == 40
    assert real.classifier_score > floor.classifier_score
    assert real.fcd < floor.fcd and real.fcd < model.fcd
    assert model.histogram != floor.histogram or model.fcd != floor.fcd  # different weights
    again = evaluate_sample(data, count=12, seed=0, config=TINY)
    assert again.to_json()["rows"] == result.to_json()["rows"]  # fixed seeds
    assert not again.classifier.trained


def test_cli_prints_every_row_and_writes_the_report(tiny_dcgan, data, tmp_path, capsys,
                                                    monkeypatch, untrained_spy):
    monkeypatch.setattr(sample_classifier, "DEFAULT_CONFIG", TINY)
    report = tmp_path / "report.json"
    status = main(["eval", "sample", "--data", str(data), "--count", "10", "--seed", "3",
                   "--report", str(report)])
    out = capsys.readouterr().out
    assert status == EXIT_OK
    for text in ("real test images", "tiny-dcgan", "random dcgan28 (untrained)",
                 "test accuracy", "class score", "FCD", "histogram"):
        assert text in out
    saved = json.loads(report.read_text())
    assert [r["kind"] for r in saved["rows"]] == ["real", "model", "random"]
    assert saved["model"] == "tiny-dcgan" and saved["seed"] == 3
    assert all(r["count"] == 10 and len(r["histogram"]) == CLASSES for r in saved["rows"])
    assert saved["classifier"]["trained"] is True


def test_without_a_model_or_a_test_folder_it_is_a_usage_error(store, data, capsys):
    assert main(["eval", "sample", "--data", str(data)]) == EXIT_USAGE
    assert "photogan models import" in capsys.readouterr().err
    with pytest.raises(UsageError, match="test"):
        list_split(data.parent, "test")


def test_cancel_stops_before_training(store, data):
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        get_classifier(data, TINY, cancel=cancel)
