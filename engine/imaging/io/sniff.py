"""Opening photo files and reading their headers (format, size, mode, orientation, EXIF, ICC)
before any pixel is decoded, and the read errors that name the file and what to do."""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import tifffile
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from engine.errors import (
    ImageReadError,
    ImageTooLargeError,
)
from engine.imaging import metadata
from engine.imaging.io.formats import (
    _GREY_MODES,
    _OTHER_FORMATS,
    _PIL_FORMATS,
    _PIL_OPENERS,
    _READABLE,
    _TIFF_MAGIC,
    READ_EXTENSIONS,
)


@dataclass(frozen=True)
class _Header:
    """What the file header says, before any pixel is decoded.

    ``width``/``height`` are as stored (before orientation); ``mode`` is a Pillow mode name;
    ``bits`` the bits per sample; ``alpha`` whether an alpha channel is stored.
    """

    format: str
    width: int
    height: int
    mode: str
    bits: int = 8
    alpha: bool = False
    orientation: int = 1
    exif: bytes | None = None
    icc: bytes | None = None


# --- reading: files and headers --------------------------------------------------------------


@contextlib.contextmanager
def _open(path: Path) -> Iterator[BinaryIO]:
    """Open ``path`` for reading, turning every file problem into an ``ImageReadError``."""
    name, suffix = path.name, path.suffix.lower()
    if suffix not in READ_EXTENSIONS:
        kind = f"'{suffix}' files" if suffix else "files without an extension"
        raise ImageReadError(f"{name}: {kind} are not supported; convert it to {_READABLE} first.")
    if path.is_dir():
        raise ImageReadError(
            f"{name}: this is a folder, not an image file; add the folder itself to read the "
            "images inside it."
        )
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with block below
    except OSError as exc:
        raise _file_error(path, exc) from exc
    with fh:
        if os.fstat(fh.fileno()).st_size == 0:
            raise ImageReadError(f"{name}: the file is empty (0 bytes); copy or export it again.")
        yield fh


def _file_error(path: Path, exc: OSError) -> ImageReadError:
    if isinstance(exc, FileNotFoundError):
        return ImageReadError(f"{path.name}: no such file at {path}; check that it still exists.")
    if isinstance(exc, PermissionError):
        return ImageReadError(f"{path.name}: permission denied; check the file's permissions.")
    reason = (exc.strerror or type(exc).__name__).lower()
    return ImageReadError(f"{path.name}: cannot read the file ({reason}); copy it to a local disk.")


def _read_all(path: Path, fh: BinaryIO) -> bytes:
    try:
        return fh.read()
    except OSError as exc:
        raise _file_error(path, exc) from exc


def _read_header(name: str, fh: BinaryIO) -> _Header:
    """Identify the format and read size, mode and metadata without decoding pixels."""
    head = fh.read(32)
    fh.seek(0)
    if head[:4] in _TIFF_MAGIC:
        return _tiff_header(name, fh)
    _refuse_other_formats(name, head)
    try:
        with PILImage.open(fh, formats=_PIL_OPENERS) as im:
            fmt = _PIL_FORMATS[im.format]
            if fmt in ("png", "webp") and getattr(im, "is_animated", False):
                raise ImageReadError(
                    f"{name}: animated {im.format} images are not supported; export one frame "
                    "as a still PNG or JPEG."
                )
            width, height, mode = im.width, im.height, im.mode
            if fmt == "png":
                mode = _png_mode(head, mode)
            alpha = "A" in mode or "a" in mode or "transparency" in im.info
            icc = im.info.get("icc_profile") or None
            exif = metadata.clean_exif(im.info.get("exif"))
        if fmt == "png":
            exif = metadata.png_exif(fh)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error) as e:
        raise _not_an_image(name) from e
    return _Header(fmt, width, height, mode, 8, alpha, metadata.exif_orientation(exif), exif, icc)


def _png_mode(head: bytes, mode: str) -> str:
    """Pillow reports 16-bit grey+alpha PNGs as RGBA; the IHDR colour type is what counts."""
    if head[12:16] == b"IHDR" and len(head) > 25 and head[25] in (0, 4):
        return "LA" if head[25] == 4 else ("L" if mode not in _GREY_MODES else mode)
    return mode


def _tiff_header(name: str, fh: BinaryIO) -> _Header:
    try:
        with tifffile.TiffFile(fh) as tif:
            page = tif.pages.first
            tags = page.tags
            colour = page.samplesperpixel - len(page.extrasamples)
            if page.photometric in (0, 1):
                mode = "L" if colour == 1 else "other"
            else:
                mode = {2: "RGB", 3: "P", 5: "CMYK", 6: "RGB"}.get(int(page.photometric), "other")
            orientation = tags.valueof(274, 1)
            icc = tags.valueof(34675)
            return _Header(
                "tiff",
                int(page.imagewidth),
                int(page.imagelength),
                mode,
                int(page.bitspersample),
                bool(page.extrasamples),
                orientation if orientation in range(1, 9) else 1,
                None,
                bytes(icc) if icc else None,
            )
    except Exception as exc:  # tifffile raises many types on malformed files
        raise _not_an_image(name) from exc


def _refuse_other_formats(name: str, head: bytes) -> None:
    """Name formats people often rename by mistake, instead of a vague "not an image"."""
    kind = next((kind for magic, kind in _OTHER_FORMATS if head.startswith(magic)), None)
    if head[4:8] == b"ftyp":
        kind = "an AVIF" if head[8:12] in (b"avif", b"avis") else "a HEIC/HEIF or video"
    if kind:
        raise ImageReadError(
            f"{name}: this is {kind} file, which is not supported (whatever its extension); "
            f"convert it to {_READABLE} first."
        )


def _check_size(name: str, width: int, height: int, max_pixels: int) -> None:
    pixels = width * height
    if pixels > max_pixels:
        raise ImageTooLargeError(
            f"{name}: image is {width}x{height} ({pixels / 1e6:.1f} megapixels), over the "
            f"{max_pixels / 1e6:g}-megapixel limit; downscale it first or raise the pixel "
            "limit in the settings."
        )
    if min(width, height) < 1:
        raise ImageReadError(f"{name}: image has no pixels ({width}x{height}); "
                             "use another image.")


def _not_an_image(name: str) -> ImageReadError:
    return ImageReadError(
        f"{name}: not a readable {_READABLE} image (it is damaged or another kind of file); "
        f"export it again as {_READABLE}."
    )


def _damaged(name: str) -> ImageReadError:
    return ImageReadError(
        f"{name}: the image data is damaged or incomplete (truncated file?); copy or export "
        "it again."
    )


def _unsupported_depth(name: str) -> ImageReadError:
    return ImageReadError(
        f"{name}: only 8- and 16-bit integer images are supported (this one is 32-bit or "
        "floating point); save it as 8- or 16-bit."
    )
