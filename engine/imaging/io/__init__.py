"""Reading and writing photos: where files become ``Image`` objects and back.

Reading takes the file's bytes in Python (so unicode and space-containing paths work on every
OS), checks the header with Pillow (or tifffile for TIFF) before any pixel is decoded (format,
size limit, animation, EXIF orientation, ICC profile), then decodes:

- JPEG, PNG, WebP, BMP: ``cv2.imdecode(..., IMREAD_UNCHANGED)``, which keeps 16 bits and alpha
  and ignores EXIF orientation; orientation is applied here, the same way for every format.
- TIFF: OpenCV 5's TIFF decoder premultiplies 8-bit alpha and drops grey+alpha to 8-bit grey,
  so TIFFs are decoded by Pillow (8-bit: exact, any compression) or tifffile (16-bit: exact;
  none, ZIP and PackBits compression). Alpha-free TIFFs those cannot decode (16-bit LZW
  without ``imagecodecs``, ...) fall back to OpenCV. Pillow and OpenCV apply the TIFF
  Orientation tag themselves, so it is set to 1 in a copy of the bytes before they decode.

The returned ``Image.exif`` has Orientation 1, pixel-dimension tags matching the pixels and no
IFD1 thumbnail, so writing it later is correct.

What ``write`` keeps, per output format (everything else is dropped):

- JPEG: 8-bit, EXIF (up to the 64 KB a JPEG segment holds) and ICC; 4:4:4 chroma, quality
  ``quality``. No alpha: JPEG cannot hold it, so alpha is dropped (not composited).
- PNG: 8 or 16 bits, grey, alpha, EXIF (``eXIf``) and ICC (``iCCP``). 16-bit files are encoded
  by OpenCV (grey+alpha by a small encoder here) with the chunks inserted after IHDR.
- TIFF: 8 or 16 bits, grey, alpha (unassociated), ICC, ZIP compression with predictor, written
  by tifffile. EXIF becomes ImageDescription, Make, Model, Software, DateTime, Artist,
  Copyright and the resolution as IFD0 tags, plus the Exif and GPS sub-IFDs appended after
  writing. Maker notes inside the Exif IFD are copied as bytes; ones that use absolute offsets
  may not survive.
- WebP: 8-bit, alpha, EXIF and ICC; lossy at ``quality`` (lossless at 100). WebP has no grey
  mode, so grey is stored as equal RGB channels.
- BMP: 8-bit grey or RGB only; no metadata, no alpha.

Never kept: XMP, IPTC, PNG text chunks, the EXIF thumbnail, an ICC profile whose colour space
does not match the output (a CMYK profile, an RGB profile on a grey output), and for 16-bit
inputs written to JPEG/WebP/BMP the low 8 bits.

Writes are atomic: a ``.<name>.<random>.partial`` file in the output folder, fsync, then
``os.replace``; a failed write leaves no partial file behind.
"""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

import cv2  # noqa: F401  (tests reach OpenCV through this module)

from engine.errors import ImageWriteError, UsageError
from engine.imaging import metadata
from engine.imaging.image import Image
from engine.imaging.io.decode import _decode, _orient
from engine.imaging.io.encode import (
    _ENCODERS,
    _atomic_write,
    _output_format,
    _refuse_source,
    make_folder,
)
from engine.imaging.io.formats import (
    DEFAULT_MAX_PIXELS,
    FORMAT_EXT,
    MIN_SIDE,
    READ_EXTENSIONS,
    format_for_path,
)
from engine.imaging.io.sniff import _check_size, _damaged, _open, _read_all, _read_header

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "FORMAT_EXT",
    "MIN_SIDE",
    "READ_EXTENSIONS",
    "Image",
    "format_for_path",
    "is_image_path",
    "probe",
    "read",
    "write",
]



# --- public API ------------------------------------------------------------------------------


def is_image_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` has an extension ``read`` accepts (case-insensitive; no file access)."""
    return Path(path).suffix.lower() in READ_EXTENSIONS


def probe(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[int, int]:
    """``(width, height)`` as ``read`` would return it (after EXIF orientation), header only.

    Reads a few header bytes, never the pixels: cheap enough for checks when files are queued.

    Raises:
        ImageReadError: the file is missing, unreadable, not a supported image, or too small.
        ImageTooLargeError: ``width * height > max_pixels``.
    """
    path = Path(path)
    with _open(path) as fh:
        header = _read_header(path.name, fh)
    _check_size(path.name, header.width, header.height, max_pixels)
    if header.orientation >= 5:
        return header.height, header.width
    return header.width, header.height


def read(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image:
    """Decode a JPEG, PNG, TIFF, WebP or BMP file into an ``Image``.

    EXIF orientation is applied; 16-bit PNG and TIFF stay 16-bit (``bit_depth=16``); grey
    sources set ``grey``; alpha is returned separately; EXIF and ICC are kept as bytes.

    Args:
        path: the file; any characters, including spaces and non-ASCII.
        max_pixels: decompression-bomb guard, checked on the header before decoding.

    Returns:
        ``Image`` with ``pixels`` ``(H, W, 3)`` float32 RGB in ``[0, 1]``.

    Raises:
        ImageReadError: one sentence naming the file and what to do (missing, empty, folder,
            damaged or truncated, unsupported or animated format).
        ImageTooLargeError: more than ``max_pixels`` pixels.
    """
    path = Path(path)
    name = path.name
    with _open(path) as fh:
        data = _read_all(path, fh)
    header = _read_header(name, BytesIO(data))
    _check_size(name, header.width, header.height, max_pixels)
    pixels, alpha, grey, depth = _decode(name, data, header)
    if pixels.shape[:2] != (header.height, header.width):
        raise _damaged(name)
    pixels, alpha = _orient(pixels, header.orientation), _orient(alpha, header.orientation)
    exif = metadata.exif_from_tiff(data) if header.format == "tiff" else header.exif
    return Image(
        pixels=pixels,
        alpha=alpha,
        bit_depth=depth,
        grey=grey,
        exif=metadata.exif_for_output(exif, pixels.shape[1], pixels.shape[0]),
        icc=header.icc if metadata.icc_fits(header.icc, grey) else None,
        format=header.format,
        source=path,
    )


def write(
    image: Image, path: str | os.PathLike, format: str | None = None, quality: int = 95
) -> Path:
    """Encode ``image`` to ``path`` atomically, keeping bit depth, alpha, grey, EXIF and ICC
    where the format can hold them (see the module docstring for what each format keeps).

    Args:
        image: the image; ``image.source`` is never overwritten.
        path: the output file; missing parent folders are created.
        format: ``jpeg``, ``png``, ``tiff``, ``webp`` or ``bmp``; ``None`` picks it from the
            path's extension.
        quality: JPEG and WebP quality, 1..100 (WebP is lossless at 100).

    Returns:
        The path written.

    Raises:
        ImageWriteError: one sentence naming the file and what to do; no partial file is left.
        UsageError: ``quality`` outside 1..100.
    """
    path = Path(path)
    fmt = _output_format(path, format)
    quality = int(quality)
    if not 1 <= quality <= 100:
        raise UsageError(f"quality must be between 1 and 100, got {quality}.")
    _refuse_source(image, path)
    make_folder(path.parent)
    if path.is_dir():
        raise ImageWriteError(
            f"cannot write {path}: a folder with that name exists; choose another output name."
        )
    encoder = _ENCODERS[fmt]
    _atomic_write(path, fmt, lambda fh: encoder(image, fh, quality))
    return path
