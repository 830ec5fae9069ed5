"""Writing photos: output format, the refusal to overwrite inputs, atomic writes, and one
encoder per format (JPEG, PNG with its small 16-bit grey+alpha writer, TIFF, WebP, BMP)."""

from __future__ import annotations

import errno
import os
import struct
import zlib
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
import tifffile
from PIL import Image as PILImage

from engine.atomic import write_atomic
from engine.errors import (
    ImageWriteError,
    PhotoGANError,
)
from engine.imaging import color, metadata
from engine.imaging.image import Image
from engine.imaging.io.formats import _FORMAT_ALIASES, _PNG_SIGNATURE, FORMAT_EXT, format_for_path

# --- writing ---------------------------------------------------------------------------------


def _output_format(path: Path, format: str | None) -> str:
    if format is None:
        return format_for_path(path)
    fmt = _FORMAT_ALIASES.get(format.lower(), format.lower())
    if fmt not in FORMAT_EXT:
        raise ImageWriteError(
            f"cannot write {path}: unknown output format '{format}'; use jpeg, png, tiff, "
            "webp or bmp."
        )
    return fmt


def _refuse_source(image: Image, path: Path) -> None:
    if image.source is not None and _same_file(Path(image.source), path):
        raise ImageWriteError(
            f"cannot write {path}: it is the input file itself and PhotoGAN never overwrites "
            "inputs; choose another output name or folder."
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        try:
            return a.resolve() == b.resolve()
        except OSError:
            return False


def make_folder(folder: Path) -> None:
    """Create ``folder`` (and parents) or raise a user-facing ``ImageWriteError``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise ImageWriteError(
            f"cannot create the folder {folder}: a file with that name is in the way; choose "
            "another output folder."
        ) from exc
    except OSError as exc:
        reason = (exc.strerror or type(exc).__name__).lower()
        raise ImageWriteError(
            f"cannot create the folder {folder}: {reason}; choose another output folder."
        ) from exc


def _atomic_write(path: Path, fmt: str, encode: Callable[[BinaryIO], None]) -> None:
    """``atomic.write_atomic`` with its failures turned into ``ImageWriteError`` sentences."""
    try:
        write_atomic(path, encode)
    except PhotoGANError:
        raise
    except OSError as exc:
        raise ImageWriteError(_write_os_message(path, exc)) from exc
    except Exception as exc:
        detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
        raise ImageWriteError(
            f"cannot write {path}: the {fmt} encoder failed ({detail or type(exc).__name__});"
            " try another output format."
        ) from exc


def _write_os_message(path: Path, exc: OSError) -> str:
    reason = (exc.strerror or type(exc).__name__).lower()
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        advice = "free some disk space or choose another output folder"
    elif exc.errno == errno.ENAMETOOLONG:
        advice = "use a shorter output name or folder"
    else:
        advice = "choose another output folder"
    return f"cannot write {path}: {reason}; {advice}."


def _pil_image(image: Image, keep_alpha: bool) -> PILImage.Image:
    alpha = image.alpha if keep_alpha else None
    return PILImage.fromarray(color.rgb_to_pil_array(image.pixels, alpha, image.grey))


def _output_icc(image: Image, grey: bool) -> bytes | None:
    """The image's profile if it suits the output's layout (grey or RGB), else ``None``."""
    return image.icc if metadata.icc_fits(image.icc, grey) else None


def _output_exif(image: Image) -> bytes | None:
    return metadata.exif_for_output(image.exif, image.width, image.height)


def _pil_metadata(image: Image, grey: bool, max_exif: int | None = None) -> dict:
    """``exif``/``icc_profile`` keyword arguments for Pillow's savers."""
    kwargs = {}
    exif = _output_exif(image)
    if exif and (max_exif is None or len(exif) <= max_exif):
        kwargs["exif"] = b"Exif\x00\x00" + exif
    icc = _output_icc(image, grey)
    if icc:
        kwargs["icc_profile"] = icc
    return kwargs


def _encode_jpeg(image: Image, fh: BinaryIO, quality: int) -> None:
    # One APP1 segment holds 65533 bytes, "Exif\0\0" included.
    meta = _pil_metadata(image, image.grey, max_exif=65533 - 6)
    _pil_image(image, keep_alpha=False).save(fh, "JPEG", quality=quality, subsampling=0, **meta)


def _encode_webp(image: Image, fh: BinaryIO, quality: int) -> None:
    _pil_image(image, keep_alpha=True).save(
        fh,
        "WEBP",
        quality=quality,
        lossless=quality >= 100,
        exact=True,
        **_pil_metadata(image, False),
    )


def _encode_bmp(image: Image, fh: BinaryIO, quality: int) -> None:
    _pil_image(image, keep_alpha=False).save(fh, "BMP")


def _encode_png(image: Image, fh: BinaryIO, quality: int) -> None:
    if image.bit_depth != 16:
        _pil_image(image, keep_alpha=True).save(fh, "PNG", **_pil_metadata(image, image.grey))
        return
    arr = color.rgb_to_encodable(image.pixels, image.alpha, 16, image.grey)
    if arr.ndim == 3 and arr.shape[2] == 2:
        png = _grey_alpha_png16(arr)  # OpenCV's PNG encoder takes 1, 3 or 4 channels
    else:
        ok, buf = cv2.imencode(".png", arr)
        if not ok:
            raise ValueError("OpenCV could not encode the PNG")
        png = buf.tobytes()
    fh.write(metadata.png_with_metadata(png, _output_exif(image), _output_icc(image, image.grey)))


def _grey_alpha_png16(arr: np.ndarray) -> bytes:
    """A minimal PNG encoder for ``(H, W, 2)`` uint16 grey+alpha (filter type 0 rows)."""
    height, width = arr.shape[:2]
    rows = np.zeros((height, 1 + width * 4), np.uint8)
    rows[:, 1:] = arr.astype(">u2").view(np.uint8).reshape(height, width * 4)
    idat = zlib.compress(rows.tobytes(), 6)
    chunks = [metadata.png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 16, 4, 0, 0, 0))]
    step = 1 << 20
    chunks += [metadata.png_chunk(b"IDAT", idat[i : i + step]) for i in range(0, len(idat), step)]
    chunks.append(metadata.png_chunk(b"IEND", b""))
    return _PNG_SIGNATURE + b"".join(chunks)


def _encode_tiff(image: Image, fh: BinaryIO, quality: int) -> None:
    depth = 16 if image.bit_depth == 16 else 8
    arr = color.rgb_to_array(image.pixels, image.alpha, image.grey, depth)
    exif = _output_exif(image)
    buf = BytesIO()
    tifffile.imwrite(
        buf,
        arr,
        photometric="minisblack" if image.grey else "rgb",
        extrasamples=("unassalpha",) if image.alpha is not None else None,
        compression="zlib",
        predictor=True,
        iccprofile=_output_icc(image, image.grey),
        metadata=None,
        **metadata.tifffile_metadata(exif),
    )
    fh.write(metadata.add_tiff_sub_ifds(buf.getvalue(), exif))


_ENCODERS: dict[str, Callable[[Image, BinaryIO, int], None]] = {
    "jpeg": _encode_jpeg,
    "png": _encode_png,
    "tiff": _encode_tiff,
    "webp": _encode_webp,
    "bmp": _encode_bmp,
}
