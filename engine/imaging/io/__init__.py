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

import contextlib
import errno
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
import tifffile
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from engine.atomic import write_atomic
from engine.errors import (
    ImageReadError,
    ImageTooLargeError,
    ImageWriteError,
    PhotoGANError,
    UsageError,
)
from engine.imaging import color, metadata
from engine.imaging.image import Image

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


# --- public API ------------------------------------------------------------------------------


def is_image_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` has an extension ``read`` accepts (case-insensitive; no file access)."""
    return Path(path).suffix.lower() in READ_EXTENSIONS


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
