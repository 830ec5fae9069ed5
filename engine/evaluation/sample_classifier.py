"""The scoring classifier of ``photogan eval sample``: a small CNN trained on
``DIR/train`` and cached in ``<user data>/eval``, keyed by the data set and its settings."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from engine import backend
from engine.atomic import write_atomic_to_path
from engine.evaluation.sample_data import SIDE, list_split, load_images
from engine.events import CancelToken, EvalProgress, ProgressFn, no_progress
from engine.resources import user_data_dir

PREDICT_BATCH = 256


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


def build_classifier(classes: int, config: ClassifierConfig = DEFAULT_CONFIG):
    """The scoring CNN.

    Returns:
        Model ``(B, 28, 28, 1)`` grey in ``[0, 1]`` -> class probabilities ``(B, classes)``;
        its ``features`` layer ``(B, config.dense)`` (ReLU, ``>= 0``) feeds FCD.
    """
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
    keras = backend.keras()
    keras.utils.set_random_seed(config.seed)
    model = build_classifier(classes, config)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    report = _callback(keras, config.epochs, progress, cancel or CancelToken())
    model.fit(x, y, batch_size=config.batch, epochs=config.epochs, shuffle=True, verbose=0,
              callbacks=[report])
    return model


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
    write_atomic_to_path(path, model.save_weights)
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
    keras = backend.keras()
    both = keras.Model(model.inputs, [model.output, model.get_layer("features").output])
    probs, feats = both.predict(images, batch_size=PREDICT_BATCH, verbose=0)
    return np.asarray(probs, np.float64), np.asarray(feats, np.float64)
