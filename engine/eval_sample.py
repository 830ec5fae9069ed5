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

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import HINT_EVAL_COUNT, HINT_EVAL_DATA, HINT_IMPORT_MODEL, UsageError
from engine.events import CancelToken, EvalProgress, ProgressFn, no_progress
from engine.imaging import color
from engine.imaging.resample import resize_to

SIDE = 28  # the classifier's input: (B, 28, 28, 1) grey in [0, 1]
COVERAGE_MIN = 0.02
DEFAULT_COUNT = 2000
PREDICT_BATCH = 256
LOAD_CHUNK = 5000  # images read between progress reports and cancel checks
READ_THREADS = 4
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class ClassifierConfig:
    """Architecture and training settings of the scoring classifier (part of its cache key).

    Two conv 3x3 + ReLU + 2x2 max-pool blocks with ``filters``, a ReLU dense layer of
    ``dense`` units (the features for FCD), dropout, and a softmax over the classes.
    """

    filters: tuple[int, int] = (32, 64)
    dense: int = 128
    dropout: float = 0.3
    epochs: int = 3
    batch: int = 128
    learning_rate: float = 1e-3
    seed: int = 0

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


# Fashion-MNIST: ~90% test accuracy after 3 epochs, well under two minutes on two CPU cores.
DEFAULT_CONFIG = ClassifierConfig()


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
class ClassifierInfo:
    """The scoring classifier: where it is cached, whether this run trained it, how good it is.

    ``test_accuracy`` is over the whole test split, in ``[0, 1]``.
    """

    cache: Path
    trained: bool
    train_seconds: float
    test_accuracy: float = 0.0
    train_images: int = 0
    test_images: int = 0
    config: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(cache=str(self.cache), train_seconds=round(self.train_seconds, 2),
                    test_accuracy=round(self.test_accuracy, 4))
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


# --- data -------------------------------------------------------------------------------------


def _class_key(name: str) -> tuple:
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def list_split(root: Path, split: str, classes: list[str] | None = None
               ) -> tuple[list[Path], np.ndarray, list[str]]:
    """Image files of ``root/split/<label>/``, sorted, with integer labels.

    Args:
        classes: the label folders to use (those of the train split); found when ``None``.

    Returns:
        ``(paths, labels (N,) int32 indices into classes, classes)``.

    Raises:
        UsageError: the folder is missing, has fewer than two classes or no images.
    """
    folder = Path(root) / split
    if not folder.is_dir():
        raise UsageError(f"{folder} does not exist; the data folder needs train/<label>/ and "
                         "test/<label>/ folders of images (as Fashion-MNIST is laid out).",
                         hint=HINT_EVAL_DATA)
    if classes is None:
        classes = sorted((d.name for d in folder.iterdir() if d.is_dir()), key=_class_key)
    paths, labels = [], []
    for index, name in enumerate(classes):
        files = _images_in(folder / name)
        paths += files
        labels += [index] * len(files)
    if len(classes) < 2 or not paths:
        raise UsageError(f"{folder} needs images in at least two label folders; found "
                         f"{len(paths)} images in {len(classes)} folders.")
    return paths, np.asarray(labels, np.int32), classes


def _images_in(folder: Path) -> list[Path]:
    """Image files directly in ``folder``, sorted by name (none when it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(Path(e.path) for e in os.scandir(folder)
                  if e.is_file() and e.name.lower().endswith(IMAGE_SUFFIXES))


def _read_grey(path: Path) -> np.ndarray:
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as im:
            if im.mode == "L":
                grey = np.asarray(im, np.float32) / 255.0
            else:
                grey = color.luma(np.asarray(im.convert("RGB"), np.float32) / 255.0)
    except OSError as exc:
        raise UsageError(f"{path} is not a readable image ({exc}); remove it from the "
                         "data folder.") from None
    return grey[:, :, None]


def load_images(paths: list[Path], progress: ProgressFn = no_progress,
                cancel: CancelToken | None = None) -> np.ndarray:
    """Read images as classifier input: ``(N, 28, 28, 1)`` float32 grey in ``[0, 1]``.

    Colour files are turned to BT.601 luma, other sizes area/bicubic-resized to 28x28. Files
    are read by a few threads (decoding and disk waits release the GIL).
    """
    from concurrent.futures import ThreadPoolExecutor

    cancel = cancel or CancelToken()
    out = np.empty((len(paths), SIDE, SIDE, 1), np.float32)
    with ThreadPoolExecutor(READ_THREADS) as pool:
        for start in range(0, len(paths), LOAD_CHUNK):
            cancel.check()
            chunk = paths[start:start + LOAD_CHUNK]
            out[start:start + len(chunk)] = list(pool.map(_load_one, chunk))
            progress(EvalProgress(done=start + len(chunk), total=len(paths),
                                  message=f"reading {Path(chunk[0]).parent.parent.name} images"))
    return out


def _load_one(path: Path) -> np.ndarray:
    return _to_side(_read_grey(path))


def _to_side(grey: np.ndarray) -> np.ndarray:
    """``(H, W, 1)`` in ``[0, 1]`` -> ``(28, 28, 1)`` (area down, bicubic up, clipped)."""
    if grey.shape[:2] == (SIDE, SIDE):
        return grey
    method = "area" if min(grey.shape[:2]) > SIDE else "bicubic"
    return np.clip(resize_to(grey, SIDE, SIDE, method), 0.0, 1.0)


def to_classifier_input(images: np.ndarray) -> np.ndarray:
    """Generated images as the classifier sees real ones.

    Args:
        images: ``(N, H, W, 1|3)`` float32 in ``[0, 1]`` (``tasks.sample.render`` output).

    Returns:
        ``(N, 28, 28, 1)`` float32 in ``[0, 1]``: 8-bit quantised like a written PNG, RGB
        turned to BT.601 luma, resized to 28x28 when needed.
    """
    images = color.quantize(images, 255.0).astype(np.float32) / 255.0
    if images.shape[-1] == 3:
        images = np.stack([color.luma(img) for img in images])[..., None]
    return np.stack([_to_side(img) for img in images]) if len(images) else images


# --- the classifier ---------------------------------------------------------------------------


def build_classifier(classes: int, config: ClassifierConfig = DEFAULT_CONFIG):
    """The scoring CNN.

    Returns:
        Model ``(B, 28, 28, 1)`` grey in ``[0, 1]`` -> class probabilities ``(B, classes)``;
        its ``features`` layer ``(B, config.dense)`` (ReLU, ``>= 0``) feeds FCD.
    """
    from engine import backend

    keras = backend.keras()
    layers = keras.layers
    inputs = keras.Input((SIDE, SIDE, 1), name="image")
    x = inputs
    for i, filters in enumerate(config.filters, start=1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    features = layers.Dense(config.dense, activation="relu", name="features")(x)
    x = layers.Dropout(config.dropout, name="dropout")(features)
    outputs = layers.Dense(classes, activation="softmax", dtype="float32", name="probs")(x)
    return keras.Model(inputs, outputs, name="sample_eval_classifier")


def cache_key(root: Path, paths: list[Path], classes: list[str],
              config: ClassifierConfig) -> str:
    """Hex sha256 of the classifier settings, the classes and every training file's relative
    path and size: any change to the data set or the settings gives a new key."""
    digest = hashlib.sha256(json.dumps([config.to_json(), classes]).encode())
    for path in paths:
        digest.update(f"{path.relative_to(root).as_posix()}\t{path.stat().st_size}\n".encode())
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where trained classifiers are kept: ``<user data>/eval``."""
    from engine.resources import user_data_dir

    return user_data_dir() / "eval"


def _callback(keras, epochs: int, progress: ProgressFn, cancel: CancelToken):
    """A Keras callback reporting progress per epoch and checking ``cancel`` per batch."""

    class Report(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            cancel.check()

        def on_epoch_end(self, epoch, logs=None):
            accuracy = (logs or {}).get("accuracy", 0.0)
            progress(EvalProgress(done=epoch + 1, total=epochs,
                                  message=f"training classifier (train accuracy {accuracy:.3f})"))

    return Report()


def train_classifier(x: np.ndarray, y: np.ndarray, classes: int, config: ClassifierConfig,
                     progress: ProgressFn = no_progress, cancel: CancelToken | None = None):
    """Train a fresh classifier (seeded) on ``x`` ``(N, 28, 28, 1)`` in ``[0, 1]`` and labels
    ``y`` ``(N,)``; returns the model."""
    from engine import backend

    keras = backend.keras()
    keras.utils.set_random_seed(config.seed)
    model = build_classifier(classes, config)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    report = _callback(keras, config.epochs, progress, cancel or CancelToken())
    model.fit(x, y, batch_size=config.batch, epochs=config.epochs, shuffle=True, verbose=0,
              callbacks=[report])
    return model


def _save_weights(model, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{os.getpid()}.{path.name}")  # keeps the .weights.h5 suffix
    try:
        model.save_weights(temp)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def get_classifier(root: Path, config: ClassifierConfig | None = None,
                   progress: ProgressFn = no_progress, cancel: CancelToken | None = None):
    """The classifier for ``root/train``: loaded from the cache, else trained and cached.

    Returns:
        ``(model, classes, ClassifierInfo)`` (test accuracy not yet filled in).
    """
    config = config or DEFAULT_CONFIG
    paths, labels, classes = list_split(root, "train")
    key = cache_key(Path(root), paths, classes, config)
    path = cache_dir() / f"classifier-{key[:24]}.weights.h5"
    info = ClassifierInfo(cache=path, trained=False, train_seconds=0.0,
                          train_images=len(paths), config=config.to_json())
    cached = _load_cached(path, len(classes), config)
    if cached is not None:
        return cached, classes, info
    x = load_images(paths, progress, cancel)
    started = time.perf_counter()
    model = train_classifier(x, labels, len(classes), config, progress, cancel)
    info.trained, info.train_seconds = True, time.perf_counter() - started
    _save_weights(model, path)
    return model, classes, info


def _load_cached(path: Path, classes: int, config: ClassifierConfig):
    """The cached classifier, or ``None`` when there is none or the file is unreadable (it is
    then retrained and overwritten)."""
    if not path.is_file():
        return None
    model = build_classifier(classes, config)
    try:
        model.load_weights(path)
    except Exception:  # h5py and Keras raise many types for a damaged file
        return None
    return model


def classify(model, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities ``(N, classes)`` and features ``(N, dense)`` float64 for ``(N, 28, 28, 1)``
    images in ``[0, 1]``."""
    from engine import backend

    keras = backend.keras()
    both = keras.Model(model.inputs, [model.output, model.get_layer("features").output])
    probs, feats = both.predict(images, batch_size=PREDICT_BATCH, verbose=0)
    return np.asarray(probs, np.float64), np.asarray(feats, np.float64)


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
