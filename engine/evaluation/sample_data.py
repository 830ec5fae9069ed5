"""The data of ``photogan eval sample``: the ``DIR/train|test/<label>/`` split read as the
scoring classifier's input, ``(N, 28, 28, 1)`` float32 grey in ``[0, 1]``.

Files are read through ``engine.imaging.io`` (the same decoders as every photo), then turned to
BT.601 luma and resized to 28x28.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engine.errors import HINT_EVAL_DATA, ImageReadError, UsageError
from engine.events import CancelToken, EvalProgress, ProgressFn, no_progress
from engine.imaging import color, io
from engine.imaging.resample import resize_to

SIDE = 28  # the classifier's input: (B, 28, 28, 1) grey in [0, 1]
LOAD_CHUNK = 5000  # images read between progress reports and cancel checks
READ_THREADS = 4
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


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
    """``(H, W, 1)`` float32 grey in ``[0, 1]``: a grey file as it is, colour as BT.601 luma
    (alpha is dropped, as the classifier never sees it)."""
    try:
        image = io.read(path)
    except ImageReadError as exc:
        raise UsageError(f"{path} is not a readable image ({exc}); remove it from the "
                         "data folder.") from None
    pixels = image.pixels
    if image.bit_depth == 8:  # exactly k / 255, as the cached classifiers were trained on
        pixels = color.quantize(pixels, 255.0).astype(np.float32) / 255.0
    grey = pixels[:, :, 0] if image.grey else color.luma(pixels)
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
