"""EXIF, ICC and container helpers for ``imaging.io``: byte-level work, no pixel decoding.

EXIF is handled as raw TIFF-structured bytes (``II*\\0``/``MM\\0*``, no ``Exif\\0\\0`` header)
and edited in place, so maker notes and every tag we do not know survive untouched. Edits made
for an output (``exif_for_output``): Orientation set to 1, the pixel dimensions (ImageWidth and
ImageLength in IFD0, PixelXDimension and PixelYDimension in the Exif IFD) set to the output
size, and the IFD1 thumbnail unlinked, since it would show the input (and the input's
orientation), not the result.

Also here: reading EXIF out of TIFF files and PNG chunks, inserting ``iCCP``/``eXIf`` chunks into
a PNG, and the TIFF tags and Exif/GPS sub-IFDs written into TIFF outputs.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from PIL import Image as PILImage
from PIL import TiffImagePlugin

ORIENTATION = 0x0112
_IMAGE_WIDTH, _IMAGE_LENGTH = 0x0100, 0x0101
_PIXEL_X, _PIXEL_Y = 0xA002, 0xA003
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
_INTEROP = 0xA005
_SHORT, _LONG = 3, 4

# IFD0 tags of a TIFF source that are photo metadata rather than TIFF layout.
_TIFF_IFD0_KEEP = (
    0x010E,  # ImageDescription
    0x010F,  # Make
    0x0110,  # Model
    0x0112,  # Orientation
    0x011A,  # XResolution
    0x011B,  # YResolution
    0x0128,  # ResolutionUnit
    0x0131,  # Software
    0x0132,  # DateTime
    0x013B,  # Artist
    0x8298,  # Copyright
)
# IFD0 text tags copied into TIFF outputs as plain tags (the sub-IFDs are added separately).
_TIFF_TEXT_TAGS = (0x010F, 0x0110, 0x013B, 0x8298)
# Private-range tag numbers tifffile will write; patched to the Exif/GPS pointer tags afterwards.
_PLACEHOLDER = {65000: EXIF_IFD, 65001: GPS_IFD}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_TAIL = 1 << 20
_EXIF_HEADER = b"Exif\x00\x00"


# --- raw EXIF / TIFF structure ------------------------------------------------------------


def _byte_order(buf: bytes) -> str:
    """``'<'`` or ``'>'`` for a classic TIFF header; ``ValueError`` for anything else."""
    if buf[:4] == b"II*\x00":
        return "<"
    if buf[:4] == b"MM\x00*":
        return ">"
    raise ValueError("not a classic TIFF structure")


def _entries(buf: bytes, offset: int, bo: str) -> list[tuple[int, int, int, int]]:
    """IFD entries at ``offset`` as ``(tag, type, count, position of the entry)``."""
    if offset < 8 or offset + 2 > len(buf):
        raise ValueError("IFD offset out of range")
    (count,) = struct.unpack_from(bo + "H", buf, offset)
    if offset + 2 + 12 * count > len(buf):
        raise ValueError("IFD runs past the end")
    out = []
    for i in range(count):
        pos = offset + 2 + 12 * i
        tag, typ, n = struct.unpack_from(bo + "HHI", buf, pos)
        out.append((tag, typ, n, pos))
    return out


def _ifd0(buf: bytes) -> tuple[str, int, list[tuple[int, int, int, int]]]:
    bo = _byte_order(buf)
    (offset,) = struct.unpack_from(bo + "I", buf, 4)
    return bo, offset, _entries(buf, offset, bo)


def _get_int(buf: bytes, bo: str, typ: int, count: int, pos: int) -> int | None:
    """The single SHORT/LONG value of the entry at ``pos``, else ``None``."""
    if count != 1 or typ not in (_SHORT, _LONG):
        return None
    return struct.unpack_from(bo + ("H" if typ == _SHORT else "I"), buf, pos + 8)[0]


def _put_int(buf: bytearray, bo: str, typ: int, count: int, pos: int, value: int) -> None:
    """Overwrite the single SHORT/LONG value of the entry at ``pos`` (widening to LONG)."""
    if count != 1 or typ not in (_SHORT, _LONG):
        return
    if typ == _SHORT and value > 0xFFFF:
        struct.pack_into(bo + "H", buf, pos + 2, _LONG)
        typ = _LONG
    if typ == _SHORT:
        struct.pack_into(bo + "HH", buf, pos + 8, value, 0)
    else:
        struct.pack_into(bo + "I", buf, pos + 8, value)


def clean_exif(data: bytes | None) -> bytes | None:
    """Raw EXIF from a container: strip ``Exif\\0\\0``; ``None`` unless it parses as TIFF."""
    if not data:
        return None
    while data.startswith(_EXIF_HEADER):
        data = data[len(_EXIF_HEADER) :]
    try:
        _ifd0(data)
    except (ValueError, struct.error):
        return None
    return bytes(data)


def exif_orientation(exif: bytes | None) -> int:
    """The EXIF Orientation (1..8) of raw EXIF or a whole TIFF file; 1 when absent or invalid."""
    if not exif:
        return 1
    try:
        bo, _, entries = _ifd0(exif)
        for tag, typ, count, pos in entries:
            if tag == ORIENTATION:
                value = _get_int(exif, bo, typ, count, pos)
                return value if value in range(1, 9) else 1
    except (ValueError, struct.error):
        pass
    return 1


def exif_for_output(exif: bytes | None, width: int, height: int) -> bytes | None:
    """A copy of raw EXIF fit for an output of ``width`` x ``height`` pixels.

    Orientation becomes 1, the pixel-dimension tags become the output size and the IFD1
    thumbnail is unlinked; everything else is kept byte for byte. Returns ``None`` (drop the
    EXIF) when it cannot be parsed, since a stale Orientation would rotate the output twice.
    """
    if not exif:
        return None
    buf = bytearray(exif)
    try:
        bo, offset, entries = _ifd0(buf)
        sizes = {_IMAGE_WIDTH: width, _IMAGE_LENGTH: height, ORIENTATION: 1}
        exif_ifd = None
        for tag, typ, count, pos in entries:
            if tag in sizes:
                _put_int(buf, bo, typ, count, pos, sizes[tag])
            elif tag == EXIF_IFD:
                exif_ifd = _get_int(buf, bo, typ, count, pos)
        next_pos = offset + 2 + 12 * len(entries)
        if next_pos + 4 <= len(buf):
            struct.pack_into(bo + "I", buf, next_pos, 0)
        if exif_ifd:
            sizes = {_PIXEL_X: width, _PIXEL_Y: height}
            for tag, typ, count, pos in _entries(buf, exif_ifd, bo):
                if tag in sizes:
                    _put_int(buf, bo, typ, count, pos, sizes[tag])
    except (ValueError, struct.error):
        return None
    return bytes(buf)


def tiff_without_orientation(data: bytes) -> bytes | None:
    """A copy of a whole TIFF file with IFD0's Orientation set to 1 (``None`` if unparsable).

    OpenCV's TIFF decoder applies the Orientation tag itself, unlike its other decoders;
    neutralising it lets ``imaging.io`` orient every format the same way.
    """
    buf = bytearray(data)
    try:
        bo, _, entries = _ifd0(buf)
        for tag, typ, count, pos in entries:
            if tag == ORIENTATION:
                _put_int(buf, bo, typ, count, pos, 1)
    except (ValueError, struct.error):
        return None
    return bytes(buf)


def sub_ifd(exif: PILImage.Exif, pointer: int) -> dict:
    """The Exif or GPS IFD of a loaded ``PIL.Image.Exif`` as a dict ready to re-serialise.

    The Interop pointer inside the Exif IFD is an offset into the old bytes; it is replaced by
    the Interop IFD itself (Pillow writes dict values as nested IFDs) or dropped.
    """
    ifd = dict(exif.get_ifd(pointer))
    if pointer == EXIF_IFD and _INTEROP in ifd:
        interop = exif.get_ifd(_INTEROP)
        if interop:
            ifd[_INTEROP] = dict(interop)
        else:
            del ifd[_INTEROP]
    return ifd


def exif_from_tiff(data: bytes) -> bytes | None:
    """Photo metadata of a TIFF file as raw EXIF: chosen IFD0 tags plus the Exif and GPS IFDs.

    A TIFF file's IFD0 mixes layout tags (strip offsets, compression, ...) with photo tags;
    only the photo tags are kept so the result can be written into any output format.
    """
    try:
        source = PILImage.Exif()
        source.load(data)
        out = PILImage.Exif()
        for tag in _TIFF_IFD0_KEEP:
            if tag in source:
                out[tag] = source[tag]
        for tag in (EXIF_IFD, GPS_IFD):
            out.get_ifd(tag).update(sub_ifd(source, tag))
        if not len(out):
            return None
        return clean_exif(out.tobytes())
    except Exception:  # Pillow raises many types on malformed tags
        return None


def icc_fits(icc: bytes | None, grey: bool) -> bool:
    """Whether an ICC profile's colour space suits pixels stored grey or RGB.

    A profile only describes pixels in its own space: a CMYK profile from a CMYK JPEG, or an
    RGB profile on a greyscale output, would mislead colour-managed viewers (libpng rejects
    the latter), so such profiles are dropped rather than copied.
    """
    if not icc or len(icc) < 20:
        return False
    return icc[16:20] == (b"GRAY" if grey else b"RGB ")


# --- PNG chunks -----------------------------------------------------------------------------


def png_chunks(fh: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """``(type, offset of the chunk, payload length)`` for each chunk of a PNG file object.

    Only chunk headers are read (the file position moves); stops after IEND or at the end.
    """
    start = len(_PNG_SIGNATURE)
    while True:
        fh.seek(start)
        head = fh.read(8)
        if len(head) < 8:
            return
        length, ctype = struct.unpack(">I4s", head)
        yield ctype, start, length
        if ctype == b"IEND":
            return
        start += 12 + length


def png_exif(fh: BinaryIO) -> bytes | None:
    """Raw EXIF from a PNG's ``eXIf`` chunk, without reading a large file whole.

    Chunks are walked up to the first IDAT. An ``eXIf`` after the image data (allowed, and
    missed by Pillow) sits near the end, so only the last MiB is searched, CRC-checked.
    """
    idat = None
    for ctype, start, length in png_chunks(fh):
        if ctype == b"eXIf":
            fh.seek(start + 8)
            return clean_exif(fh.read(length))
        if ctype == b"IDAT":
            idat = start
            break
    if idat is None:
        return None
    size = fh.seek(0, io.SEEK_END)
    fh.seek(max(idat, size - _PNG_TAIL))
    tail = fh.read()
    at = tail.rfind(b"eXIf")
    while at >= 4:
        (length,) = struct.unpack_from(">I", tail, at - 4)
        end = at + 4 + length
        if end + 4 <= len(tail):
            (crc,) = struct.unpack_from(">I", tail, end)
            if crc == zlib.crc32(tail[at:end]) & 0xFFFFFFFF:
                return clean_exif(tail[at + 4 : end])
        at = tail.rfind(b"eXIf", 0, at)
    return None


def png_chunk(ctype: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, payload, CRC-32 of type and payload."""
    crc = zlib.crc32(ctype + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + ctype + payload + struct.pack(">I", crc)


def png_with_metadata(png: bytes, exif: bytes | None, icc: bytes | None) -> bytes:
    """Insert ``iCCP`` and ``eXIf`` chunks right after IHDR (so before PLTE and IDAT).

    Any ``sRGB`` chunk is dropped when a profile is added (the PNG spec forbids both).
    """
    if not exif and not icc:
        return png
    extra = b""
    if icc:
        extra += png_chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(icc))
    if exif:
        extra += png_chunk(b"eXIf", exif)
    parts = [png[: len(_PNG_SIGNATURE)]]
    for ctype, start, length in png_chunks(io.BytesIO(png)):
        if ctype == b"sRGB" and icc:
            continue
        parts.append(png[start : start + 12 + length])
        if ctype == b"IHDR":
            parts.append(extra)
    return b"".join(parts)


# --- TIFF outputs -----------------------------------------------------------------------------


def tifffile_metadata(exif: bytes | None) -> dict:
    """Keyword arguments for ``tifffile.imwrite`` carrying the photo tags of raw EXIF.

    IFD0 text tags become plain TIFF tags and Orientation is written as 1; the Exif and GPS
    sub-IFDs get placeholder tags that ``add_tiff_sub_ifds`` later turns into real pointers.
    """
    kwargs: dict = {"software": False, "extratags": []}
    if not exif:
        return kwargs
    try:
        tags = PILImage.Exif()
        tags.load(exif)
        text = {tag: tags.get(tag) for tag in (0x010E, 0x0131, 0x0132, *_TIFF_TEXT_TAGS)}
        if isinstance(text[0x010E], str):
            kwargs["description"] = text[0x010E]
        if isinstance(text[0x0131], str):
            kwargs["software"] = text[0x0131]
        kwargs["extratags"].append((ORIENTATION, "H", 1, 1, True))
        for tag in (0x0132, *_TIFF_TEXT_TAGS):
            if isinstance(text[tag], str) and text[tag]:
                kwargs["extratags"].append((tag, "s", 0, text[tag], True))
        xres, yres = tags.get(0x011A), tags.get(0x011B)
        if xres and yres:
            kwargs["resolution"] = (float(xres), float(yres))
            kwargs["resolutionunit"] = int(tags.get(0x0128, 2))
        for placeholder, pointer in _PLACEHOLDER.items():
            if tags.get_ifd(pointer):
                kwargs["extratags"].append((placeholder, "I", 1, 0, True))
    except Exception:  # malformed EXIF: write the TIFF without it
        return {"software": False, "extratags": []}
    return kwargs


def add_tiff_sub_ifds(tiff: bytes, exif: bytes | None) -> bytes:
    """Append the Exif and GPS IFDs of raw EXIF to a TIFF written with ``tifffile_metadata``.

    The placeholder entries in IFD0 are renamed to the pointer tags and pointed at the
    appended IFDs (a sub-IFD Pillow cannot serialise is left out with its entry), then IFD0's
    entries are re-sorted by tag number as the TIFF spec requires.
    """
    buf = bytearray(tiff)
    bo, offset, entries = _ifd0(buf)
    if not exif or not any(tag in _PLACEHOLDER for tag, *_ in entries):
        return tiff
    source = PILImage.Exif()
    source.load(exif)
    records = []
    for tag, _typ, _count, pos in entries:
        record = bytearray(buf[pos : pos + 12])
        pointer = _PLACEHOLDER.get(tag)
        if pointer is not None:
            start = len(buf) + len(buf) % 2  # IFDs start on a word boundary
            try:
                blob = _serialise_ifd(source, pointer, bytes(buf[:8]), start)
            except Exception:  # a tag Pillow cannot write: drop this sub-IFD
                continue
            buf += b"\x00" * (start - len(buf)) + blob
            struct.pack_into(bo + "HHII", record, 0, pointer, _LONG, 1, start)
        records.append(bytes(record))
    records.sort(key=lambda rec: struct.unpack_from(bo + "H", rec)[0])
    (next_ifd,) = struct.unpack_from(bo + "I", buf, offset + 2 + 12 * len(entries))
    struct.pack_into(bo + "H", buf, offset, len(records))
    buf[offset + 2 : offset + 2 + 12 * len(records)] = b"".join(records)
    struct.pack_into(bo + "I", buf, offset + 2 + 12 * len(records), next_ifd)
    return bytes(buf)


def _serialise_ifd(source: PILImage.Exif, pointer: int, header: bytes, start: int) -> bytes:
    """The Exif or GPS IFD of ``source`` as bytes valid at file offset ``start``."""
    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=header, group=pointer)
    for key, value in sub_ifd(source, pointer).items():
        ifd[key] = value
    return ifd.tobytes(start)
