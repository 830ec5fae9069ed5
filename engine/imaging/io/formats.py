"""File formats PhotoGAN reads and writes: extensions, Pillow modes, magic numbers, and the
library settings reading relies on."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import cv2
from PIL import Image as PILImage

from engine.errors import (
    ImageWriteError,
)

DEFAULT_MAX_PIXELS = 250_000_000
MIN_SIDE = 8  # smallest photo side training uses; any image of 1x1 or more can be processed
READ_EXTENSIONS = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"}
FORMAT_EXT = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "webp": ".webp", "bmp": ".bmp"}

_EXT_FORMAT = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".png": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".webp": "webp",
    ".bmp": "bmp",
}
_FORMAT_ALIASES = {"jpg": "jpeg", "tif": "tiff"}
# Pillow format ids we read (MPO: multi-picture JPEGs many phones write); TIFF goes to tifffile.
_PIL_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp", "BMP": "bmp"}
_PIL_OPENERS = ["JPEG", "PNG", "WEBP", "BMP"]  # JPEG's opener also returns MPO images
_GREY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}
# Pillow modes decoded via a conversion to one of L, LA, RGB, RGBA.
_PIL_CONVERT = {
    "1": "L",
    "La": "LA",
    "RGBa": "RGBA",
    "PA": "RGBA",
    "CMYK": "RGB",
    "YCbCr": "RGB",
    "RGBX": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
_OTHER_FORMATS = (
    (b"GIF8", "a GIF"),
    (b"8BPS", "a Photoshop (PSD)"),
    (b"%PDF", "a PDF"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000"),
    (b"\xff\x4f\xff\x51", "a JPEG 2000"),
    (b"qoif", "a QOI"),
)
_READABLE = "JPEG, PNG, TIFF, WebP or BMP"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# ``max_pixels`` is checked on the header instead; Pillow's own guard would warn at 89 MP.
PILImage.MAX_IMAGE_PIXELS = None
PILImage.init()  # Image.open(formats=...) only knows plugins that are already loaded
# The engine never prints; OpenCV would log every damaged file to stderr.
with contextlib.suppress(AttributeError):  # builds without the logging bindings
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)


def format_for_path(path: str | os.PathLike) -> str:
    """The output format id for ``path``'s extension: jpeg, png, tiff, webp or bmp.

    Raises:
        ImageWriteError: the extension is not one PhotoGAN writes.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in _EXT_FORMAT:
        shown = f"'{suffix}'" if suffix else "a name without an extension"
        raise ImageWriteError(
            f"cannot write {path}: {shown} is not an output type PhotoGAN writes; "
            "use .jpg, .png, .tif, .webp or .bmp."
        )
    return _EXT_FORMAT[suffix]
