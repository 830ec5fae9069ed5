"""``photogan eval sample --data DIR``: how good are the sampler's images, in numbers?

A small CNN classifier is trained on ``DIR/train/<label>/*.png`` (Fashion-MNIST, by default
a few CPU epochs) and cached in the per-user data folder, keyed by a hash of the file list and
the classifier's settings, so a different data set trains a new one. Through that classifier
each set of images gets three figures:

- **classifier score** ``exp(E_x KL(p(y|x) || p(y)))``: the Inception Score with the data
  set's own classifier. 1 when every image looks the same to it, at most the number of
  classes when every image is one confident class and the classes are evenly used.
- **FCD** (Fréchet classifier distance): the Fréchet distance between Gaussians fitted to the
  classifier's penultimate-layer features of the images and of a fixed half of
  ``DIR/test``. 0 is the same distribution; lower is better.
- **coverage**: the histogram of predicted classes, and how many classes get at least
  ``COVERAGE_MIN`` of the images (mode collapse shows up as a low count).

Three rows are scored the same way, with the same number of images, so the model's figures
can be read in context: the other half of the real test images (the best achievable), the
model, and a generator of the same architecture with fresh random weights (the floor).

Generated images reach the classifier as they reach the disk in ``photogan run sample``: the
model's output range to ``[0, 1]`` (``tasks.sample.render``), 8-bit quantised; RGB models
(``dcgan64``) are then turned to grey with BT.601 luma and area-resized to 28x28.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from engine.errors import HINT_EVAL_COUNT, HINT_IMPORT_MODEL, UsageError
from engine.evaluation.sample_classifier import (
    ClassifierConfig,
    ClassifierInfo,
    classify,
    get_classifier,
)
from engine.evaluation.sample_data import list_split, load_images, to_classifier_input
from engine.events import CancelToken, ProgressFn, no_progress

COVERAGE_MIN = 0.02
DEFAULT_COUNT = 2000


@dataclass
class ScoreRow:
    """Figures for one set of images.

    Attributes:
        name: what was scored (shown in the table).
        kind: ``real``, ``model`` or ``random``.
        count: images scored.
        classifier_score: ``exp(E KL(p(y|x) || p(y)))`` in ``[1, classes]``.
        fcd: Fréchet distance to the test reference features, ``>= 0``.
        histogram: fraction of images per predicted class, in class order, summing to 1.
        covered: classes with at least ``COVERAGE_MIN`` of the images.
    """

    name: str
    kind: str
    count: int
    classifier_score: float
    fcd: float
    histogram: list[float]
    covered: int

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(classifier_score=round(self.classifier_score, 4), fcd=round(self.fcd, 4),
                    histogram=[round(h, 4) for h in self.histogram])
        return data


@dataclass
class SampleEval:
    """The whole evaluation: rows ``real``, ``model``, ``random`` in that order."""

    model_id: str
    arch: str
    seed: int
    classes: list[str]
    classifier: ClassifierInfo
    rows: list[ScoreRow]

    def to_json(self) -> dict:
        return {"model": self.model_id, "arch": self.arch, "seed": self.seed,
                "classes": self.classes, "coverage_min": COVERAGE_MIN,
                "classifier": self.classifier.to_json(),
                "rows": [row.to_json() for row in self.rows]}


# --- the figures ------------------------------------------------------------------------------


def classifier_score(probs: np.ndarray, eps: float = 1e-12) -> float:
    """``exp(mean_x KL(p(y|x) || p(y)))`` for ``probs`` ``(N, K)`` (rows sum to 1); in
    ``[1, K]``."""
    p = np.clip(np.asarray(probs, np.float64), eps, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def feature_stats(feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (float64) of features ``(N, D)``."""
    feats = np.asarray(feats, np.float64)
    return feats.mean(axis=0), np.atleast_2d(np.cov(feats, rowvar=False))


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     eps: float = 1e-6) -> float:
    """Fréchet distance between Gaussians ``N(mu1, sigma1)`` and ``N(mu2, sigma2)``:
    ``|mu1 - mu2|^2 + Tr(sigma1 + sigma2 - 2 sqrt(sigma1 sigma2))``, ``>= 0``.

    A singular product (fewer images than features) is regularised with ``eps * I``.
    """
    covmean = _sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(sigma1)) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    value = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)
    return float(max(value, 0.0))


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    """``scipy.linalg.sqrtm`` without its singular-matrix warning (the caller regularises)."""
    import warnings

    from scipy import linalg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        return linalg.sqrtm(matrix)


def class_histogram(probs: np.ndarray) -> np.ndarray:
    """Fraction of images ``(K,)`` whose most likely class is each class, for ``(N, K)``."""
    counts = np.bincount(np.argmax(probs, axis=1), minlength=probs.shape[1])
    return counts / max(len(probs), 1)


def score_row(name: str, kind: str, probs: np.ndarray, feats: np.ndarray,
              reference: tuple[np.ndarray, np.ndarray]) -> ScoreRow:
    """All figures for one image set from its probabilities and features."""
    histogram = class_histogram(probs)
    return ScoreRow(name=name, kind=kind, count=len(probs),
                    classifier_score=classifier_score(probs),
                    fcd=frechet_distance(*feature_stats(feats), *reference),
                    histogram=[float(h) for h in histogram],
                    covered=int(np.sum(histogram >= COVERAGE_MIN)))


# --- the run ----------------------------------------------------------------------------------


def split_test(count: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``n`` test indices: the reference half, and up to ``count`` indices of
    the other half for the ``real`` row."""
    order = np.random.default_rng(seed).permutation(n)
    half = n // 2
    return order[:half], order[half:][:count]


def _generated(generator, output_range: str, count: int, seed: int,
               progress: ProgressFn, cancel: CancelToken) -> np.ndarray:
    """``count`` samples as the sample task makes them, as classifier input."""
    from engine.tasks.registry import RunContext
    from engine.tasks.sample import latent_dim, render, sample_latents

    latents = sample_latents(count, latent_dim(generator), seed)
    images = render(generator, latents, output_range, RunContext(progress, cancel))
    return to_classifier_input(images)


def random_like(generator, seed: int):
    """A generator of the same architecture with fresh, seeded random weights."""
    from engine import backend

    keras = backend.keras()
    keras.utils.set_random_seed(seed)
    return keras.models.clone_model(generator)


def evaluate_sample(data: Path, model: str = "", count: int = DEFAULT_COUNT, seed: int = 0,
                    progress: ProgressFn = no_progress, cancel: CancelToken | None = None,
                    config: ClassifierConfig | None = None) -> SampleEval:
    """Score the ``sample`` model (default or ``model``), real test images and a random
    generator on ``count`` images each (seeded by ``seed``), against ``data/test``.

    Raises:
        UsageError: no sample model, unknown model id, bad count or a badly laid out folder.
    """
    from engine.store.loader import load_model

    if count < 2:
        raise UsageError(f"The image count must be at least 2, received {count}.",
                         hint=HINT_EVAL_COUNT)
    manifest = _manifest(model)
    cancel = cancel or CancelToken()
    clf, classes, info = get_classifier(Path(data), config, progress, cancel)
    reference, real_row = _score_test(clf, Path(data), classes, info, count, seed, progress,
                                      cancel)
    generator = load_model(manifest)
    rows = [real_row]
    for name, kind in ((manifest.id, "model"), (f"random {manifest.arch} (untrained)", "random")):
        net = generator if kind == "model" else random_like(generator, seed)
        images = _generated(net, manifest.output_range, count, seed, progress, cancel)
        rows.append(score_row(name, kind, *classify(clf, images), reference))
    return SampleEval(manifest.id, manifest.arch, seed, classes, info, rows)


def _score_test(clf, data: Path, classes: list[str], info: ClassifierInfo, count: int,
                seed: int, progress: ProgressFn, cancel: CancelToken):
    """Classify ``data/test``: fills in the test accuracy, returns the reference-half feature
    statistics and the ``real`` row (other half)."""
    paths, labels, _ = list_split(data, "test", classes)
    probs, feats = classify(clf, load_images(paths, progress, cancel))
    info.test_accuracy = float(np.mean(np.argmax(probs, axis=1) == labels))
    info.test_images = len(paths)
    ref, real = split_test(count, len(paths), seed)
    reference = feature_stats(feats[ref])
    row = score_row(f"real test images ({len(real)} held out)", "real", probs[real],
                    feats[real], reference)
    return reference, row


def _manifest(model: str):
    """The sample model's manifest; ``UsageError`` saying how to get one when there is none."""
    from engine.store import catalog
    from engine.tasks.registry import get_task

    manifest = catalog.find("sample", model)
    if manifest is None:
        raise UsageError(get_task("sample").weights_status(), hint=HINT_IMPORT_MODEL,
                         task="sample")
    return manifest
