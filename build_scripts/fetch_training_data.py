"""Fetch the offline training sources into ``data/`` and split off a held-out set by image.

Sources (Debian packages, installed with apt-get when missing, plus scikit-image's samples):

- ``mate-backgrounds``: nature photos (``/usr/share/backgrounds/mate/nature``)
- ``ukui-wallpapers``: the photographic wallpapers among ``/usr/share/backgrounds``
- ``opencv-doc``: real photos under ``/usr/share/doc/opencv-doc/examples/data`` (the real
  motion/defocus-blurred ones are kept apart for qualitative checks, never trained on), and
  Van Gogh's *The Starry Night* for the painting domain
- ``dataset-fashion-mnist``: Fashion-MNIST (idx files, converted to 28x28 PNG folders)
- scikit-image's bundled sample photos (``skimage/data``)

Layout written (``--out``, default ``data/``)::

    photos/train/      sharp photos for deblur and upscale training
    photos/heldout/    held-out photos, never trained on (evaluation)
    photos/real_blur/  really blurred photos (qualitative checks only)
    paintings/train/   painting domain for photo<->painting
    fashion_mnist/train/<label>/*.png, fashion_mnist/test/<label>/*.png

The split is fixed by name (``HELDOUT`` below), so every run gives the same sets. Files are
copied, never modified. Run: ``.venv/bin/python build_scripts/fetch_training_data.py``.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import struct
import subprocess
from pathlib import Path

PACKAGES = ["mate-backgrounds", "ukui-wallpapers", "opencv-doc", "dataset-fashion-mnist"]
NATURE = Path("/usr/share/backgrounds/mate/nature")
UKUI = Path("/usr/share/backgrounds")
UKUI_PHOTOS = ["calla.png", "city.png", "desert.png", "goldfish.png", "the-mouse.jpg",
               "2004default.jpg"]
OPENCV = Path("/usr/share/doc/opencv-doc/examples/data")
OPENCV_PHOTOS = ["HappyFish.jpg", "aero1.jpg", "aero3.jpg", "apple.jpg", "baboon.jpg",
                 "basketball1.png", "building.jpg", "butterfly.jpg", "fruits.jpg", "home.jpg",
                 "leuvenA.jpg", "leuvenB.jpg", "messi5.jpg", "orange.jpg", "rubberwhale1.png",
                 "smarties.png", "squirrel_cls.jpg", "stuff.jpg", "box_in_scene.png",
                 "Blender_Suzanne1.jpg", "graf1.png"]
OPENCV_REAL_BLUR = ["licenseplate_motion.jpg", "text_motion.jpg", "text_defocus.jpg"]
PAINTINGS = ["starry_night.jpg"]
SKIMAGE_PHOTOS = ["astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg",
                  "motorcycle_left.png", "rocket.jpg", "retina.jpg", "immunohistochemistry.png",
                  "ihc.png", "brick.png", "grass.png", "gravel.png"]
FASHION = Path("/usr/share/datasets/fashion-mnist")

# Held out by image: never trained on. A mix of nature, city, macro and object photos, plus
# the photos bundled in resources/samples (so the demo shows photos the models never saw).
HELDOUT = {"Aqua.jpg", "GreenMeadow.jpg", "TwoWings.jpg", "city.png", "fruits.jpg",
           "building.jpg", "coffee.png", "butterfly.jpg", "HappyFish.jpg", "LadyBird.jpg"}


def ensure_packages() -> None:
    """apt-get install the source packages that are missing (needs root)."""
    missing = [p for p in PACKAGES if subprocess.run(
        ["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing],
                   check=True)


def photo_sources() -> list[Path]:
    """Every sharp photo file, in a fixed order."""
    found = sorted(NATURE.glob("*.jpg"))
    found += [UKUI / n for n in UKUI_PHOTOS]
    found += [OPENCV / n for n in OPENCV_PHOTOS]
    try:
        import skimage

        root = Path(skimage.__file__).parent / "data"
        found += [root / n for n in SKIMAGE_PHOTOS]
    except ImportError:
        pass
    return [p for p in found if p.is_file()]


def copy_photos(out: Path) -> dict[str, int]:
    """Copy photos into train/heldout/real_blur; returns counts."""
    counts = {"train": 0, "heldout": 0, "real_blur": 0}
    for src in photo_sources():
        split = "heldout" if src.name in HELDOUT else "train"
        _copy(src, out / "photos" / split / f"{src.parent.name}_{src.name}")
        counts[split] += 1
    for name in OPENCV_REAL_BLUR:
        _copy(OPENCV / name, out / "photos" / "real_blur" / name)
        counts["real_blur"] += 1
    for name in PAINTINGS:
        _copy(OPENCV / name, out / "paintings" / "train" / name)
    return counts


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if not dst.exists():
        shutil.copyfile(src, dst)


def read_idx(path: Path):
    """Decode an idx-ubyte(.gz) file into a numpy array."""
    import numpy as np

    with gzip.open(path, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_fashion(out: Path, limit: int | None) -> dict[str, int]:
    """Fashion-MNIST as ``<split>/<label>/<index>.png`` greyscale PNGs."""
    from PIL import Image

    counts = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = read_idx(FASHION / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(FASHION / f"{prefix}-labels-idx1-ubyte.gz")
        n = len(images) if limit is None else min(limit, len(images))
        for i in range(n):
            dst = out / "fashion_mnist" / split / str(labels[i]) / f"{i:05d}.png"
            if not dst.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(images[i], "L").save(dst)
        counts[split] = n
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("data"))
    parser.add_argument("--fashion-limit", type=int, default=None,
                        help="only the first N Fashion-MNIST images per split")
    parser.add_argument("--no-apt", action="store_true", help="do not install packages")
    args = parser.parse_args()
    if not args.no_apt:
        ensure_packages()
    photos = copy_photos(args.out)
    fashion = write_fashion(args.out, args.fashion_limit)
    print(f"photos: {photos}; fashion-mnist: {fashion}; written under {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
