"""Test-image makers and checks shared by the end-to-end tests."""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image


def photogan_cmd() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m engine``."""
    script = Path(sys.executable).parent / "photogan"
    if script.exists():
        return [str(script)]
    found = shutil.which("photogan")
    return [found] if found else [sys.executable, "-m", "engine"]


def rgb_regions(width: int = 60, height: int = 40) -> np.ndarray:
    """uint8 RGB image: left third red, middle green, right blue (flat, so filters keep them)."""
    img = np.zeros((height, width, 3), np.uint8)
    third = width // 3
    img[:, :third, 0] = 255
    img[:, third:2 * third, 1] = 255
    img[:, 2 * third:, 2] = 255
    return img


def photo_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A smooth random uint8 RGB image (low-frequency noise), like a photo to filters."""
    rng = np.random.default_rng(seed)
    small = rng.random((max(2, height // 8), max(2, width // 8), 3))
    big = Image.fromarray((small * 255).astype(np.uint8)).resize((width, height), Image.BICUBIC)
    return np.asarray(big)


def save_rgb(path: Path, arr: np.ndarray, **kw) -> Path:
    """Write an RGB uint8 array with Pillow (format from the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, **kw)
    return path


def digest(path: Path) -> str:
    """sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[Path]:
    """Temp or partial files under ``folder`` (there must never be any after a run)."""
    return [p for p in folder.rglob("*") if p.name.endswith(".partial") or p.name.startswith(".")]
