"""Decoding checked photo files to pixels: OpenCV for JPEG, PNG, WebP and BMP, Pillow or
tifffile for TIFF, then EXIF orientation, the same way for every format."""

from __future__ import annotations

import struct
from collections.abc import Callable
from io import BytesIO

import cv2
import numpy as np
import tifffile
from PIL import Image as PILImage

from engine.errors import (
    ImageReadError,
)
from engine.imaging import color, metadata
from engine.imaging.io.formats import _GREY_MODES, _PIL_CONVERT
from engine.imaging.io.sniff import _damaged, _Header, _not_an_image, _unsupported_depth

# --- reading: decoding -----------------------------------------------------------------------

Decoded = tuple[np.ndarray, np.ndarray | None, bool, int]  # color.decoded_to_rgb's result


def _decode(name: str, data: bytes, header: _Header) -> Decoded:
    """Pixels as stored (orientation not applied) in the contract."""
    if header.format == "tiff":
        return _decode_tiff(name, data, header)
    if header.format == "jpeg" and not _jpeg_complete(data):
        raise _damaged(name)
    arr = _cv2_decode(name, data)
    if header.mode == "CMYK" and arr.ndim == 3 and arr.shape[2] == 4:
        # Older OpenCV builds hand back raw CMYK; Pillow knows Adobe's inverted CMYK.
        return _pillow_decode(name, data)
    if header.mode in _GREY_MODES:
        arr = color.collapse_grey(arr)
    return color.decoded_to_rgb(arr)


def _cv2_decode(name: str, data: bytes) -> np.ndarray:
    try:
        arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except cv2.error as exc:
        raise _damaged(name) from exc
    if arr is None:
        raise _damaged(name)
    if arr.dtype not in (np.uint8, np.uint16):
        raise _unsupported_depth(name)
    return arr


def _jpeg_complete(data: bytes) -> bool:
    """Whether a JPEG has its end-of-image marker after the first scan.

    Some OpenCV builds decode a truncated JPEG to a half-grey image with only a warning. The
    marker segments are walked to the first SOS so an EOI inside an EXIF thumbnail is not
    mistaken for the end; data after the EOI (MPO pictures, phone trailers) is allowed.
    """
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return False
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if marker == 0xD9:
            return False  # EOI before any scan: no image data
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if marker == 0xDA:
            return data.find(b"\xff\xd9", pos + 2 + length) != -1
        pos += 2 + length
    return False


def _pillow_decode(name: str, data: bytes) -> Decoded:
    """Decode with Pillow into the contract (8-bit modes and 16-bit grey)."""
    try:
        with PILImage.open(BytesIO(data)) as im:
            im.load()
            target = _PIL_CONVERT.get(im.mode)
            if im.mode == "P":
                target = "RGBA" if "transparency" in im.info else "RGB"
            arr = np.asarray(im.convert(target) if target else im)
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise _damaged(name) from exc
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 2:
        arr = arr.astype(np.uint16)  # big-endian I;16B to native
    if arr.dtype not in (np.uint8, np.uint16):
        raise _unsupported_depth(name)
    return color.rgb_ordered_to_rgb(arr)


def _decode_tiff(name: str, data: bytes, header: _Header) -> Decoded:
    """Pillow for 8-bit, tifffile for 16-bit, OpenCV only for alpha-free leftovers.

    Pillow 13 and OpenCV 5 apply the TIFF Orientation tag while decoding (tifffile does not),
    so the tag is neutralised first and orientation applied later, as for every format.
    """
    if header.orientation != 1:
        data = metadata.tiff_without_orientation(data)
        if data is None:
            raise _not_an_image(name)
    if header.bits <= 8:
        try:
            return _pillow_decode(name, data)
        except ImageReadError:
            if header.alpha:
                raise
    elif header.bits == 16:
        try:
            return color.rgb_ordered_to_rgb(_tifffile_decode(data))
        except Exception as exc:  # missing codec, odd layout, damage
            if header.alpha:
                raise ImageReadError(
                    f"{name}: this 16-bit TIFF with alpha uses a compression or layout "
                    "PhotoGAN cannot decode; save it again with ZIP or no compression."
                ) from exc
    else:
        raise _unsupported_depth(name)
    arr = _cv2_decode(name, data)
    if header.mode == "L":
        arr = color.collapse_grey(arr)
    return color.decoded_to_rgb(arr)


def _tifffile_decode(data: bytes) -> np.ndarray:
    """First page of a 16-bit grey or RGB TIFF, RGB order, straight alpha, uint16."""
    with tifffile.TiffFile(BytesIO(data)) as tif:
        page = tif.pages.first
        if page.photometric not in (0, 1, 2) or page.sampleformat != 1:
            raise ValueError(f"unsupported TIFF layout {page.photometric!r}")
        ends = np.asarray(page.dataoffsets, np.int64) + np.asarray(page.databytecounts)
        if ends.size and int(ends.max()) > len(data):
            raise ValueError("truncated TIFF")
        arr = page.asarray()
        if arr.ndim == 3 and page.planarconfig == 2:
            arr = np.moveaxis(arr, 0, -1)
        colour = page.samplesperpixel - len(page.extrasamples)
        associated = bool(page.extrasamples) and page.extrasamples[0] == 1
        photometric = int(page.photometric)
    arr = arr.astype(np.uint16)
    if arr.ndim == 3:
        arr = arr[:, :, : colour + (1 if arr.shape[2] > colour else 0)]
    if photometric == 0:  # MinIsWhite: 0 is white
        colour_planes = arr[..., :colour] if arr.ndim == 3 else arr
        colour_planes[...] = 65535 - colour_planes
    if associated and arr.ndim == 3:
        alpha = arr[:, :, colour:].astype(np.float64)
        straight = arr[:, :, :colour] * (65535.0 / np.maximum(alpha, 1.0))
        arr[:, :, :colour] = np.clip(np.rint(straight), 0, 65535)
    return arr


def _orient(arr: np.ndarray | None, orientation: int) -> np.ndarray | None:
    """Apply EXIF orientation 1..8 to ``(H, W)`` or ``(H, W, C)`` (as Pillow's exif_transpose)."""
    if arr is None or orientation == 1:
        return arr
    ops: dict[int, Callable[[np.ndarray], np.ndarray]] = {
        2: lambda a: a[:, ::-1],  # mirror left-right
        3: lambda a: a[::-1, ::-1],  # 180 degrees
        4: lambda a: a[::-1],  # mirror top-bottom
        5: lambda a: a.swapaxes(0, 1),  # transpose
        6: lambda a: np.rot90(a, -1),  # 90 degrees clockwise
        7: lambda a: np.rot90(a, 2).swapaxes(0, 1),  # transverse
        8: lambda a: np.rot90(a, 1),  # 90 degrees counter-clockwise
    }
    return np.ascontiguousarray(ops[orientation](arr))
