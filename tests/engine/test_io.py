"""Behaviour of engine.imaging.io: reading, writing, metadata and every bad input."""

from __future__ import annotations

import os
import struct
import zlib
from io import BytesIO
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import ExifTags, ImageCms, ImageOps, JpegImagePlugin
from PIL import Image as PILImage

from engine.errors import ImageReadError, ImageTooLargeError, ImageWriteError, UsageError
from engine.imaging import io, metadata
from engine.imaging.image import Image

FORMATS = ["jpeg", "png", "tiff", "webp", "bmp"]
LOSSY = {"jpeg", "webp"}
META_FORMATS = ["jpeg", "png", "tiff", "webp"]
PIL_NAMES = {"jpeg": "JPEG", "png": "PNG", "tiff": "TIFF", "webp": "WEBP", "bmp": "BMP"}
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)


# --- test images ----------------------------------------------------------------------------


def quadrants_rgb(height: int = 24, width: int = 40) -> np.ndarray:
    """uint8 RGB ``(H, W, 3)``: red, green / blue, white quadrants; not square, so every one of
    the 8 EXIF orientations gives a different array."""
    arr = np.empty((height, width, 3), np.uint8)
    h, w = height // 2, width // 2
    arr[:h, :w], arr[:h, w:], arr[h:, :w], arr[h:, w:] = RED, GREEN, BLUE, WHITE
    return arr


def quadrant_centres(arr: np.ndarray) -> np.ndarray:
    """The colour at the centre of each quadrant, ``(4, C)``, for lossy comparisons."""
    h, w = arr.shape[0] // 4, arr.shape[1] // 4
    return np.stack([arr[h, w], arr[h, 3 * w], arr[3 * h, w], arr[3 * h, 3 * w]])


def as_float(arr: np.ndarray) -> np.ndarray:
    top = 65535.0 if arr.dtype == np.uint16 else 255.0
    return arr.astype(np.float32) / top


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def grey_icc() -> bytes:
    """A GRAY-space profile: the sRGB one with its colour space field rewritten."""
    icc = bytearray(srgb_icc())
    icc[16:20] = b"GRAY"
    return bytes(icc)


def camera_exif(orientation: int = 6, width: int = 40, height: int = 24) -> bytes:
    """Raw EXIF (no ``Exif\\0\\0``) like a camera's: IFD0, Exif IFD, GPS IFD and an IFD1
    thumbnail (a real little JPEG, so the EXIF contains an FFD9 end-of-image marker)."""
    exif = PILImage.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "EOS R5"
    exif[0x0112] = orientation
    exif[0x0131] = "Camera 1.0"
    exif[0x8298] = "(c) Jo"
    sub = exif.get_ifd(metadata.EXIF_IFD)
    sub[0x9003] = "2021:06:01 12:34:56"
    sub[0xA002] = width
    sub[0xA003] = height
    exif.get_ifd(metadata.GPS_IFD)[1] = "N"
    return _with_thumbnail(exif.tobytes()[6:])


def _with_thumbnail(raw: bytes) -> bytes:
    """Append an IFD1 holding a JPEG thumbnail and link it from IFD0 (Pillow never writes one)."""
    thumb = BytesIO()
    PILImage.new("RGB", (8, 8), RED).save(thumb, "JPEG")
    bo = "<" if raw[:2] == b"II" else ">"
    (ifd0,) = struct.unpack_from(bo + "I", raw, 4)
    (count,) = struct.unpack_from(bo + "H", raw, ifd0)
    buf = bytearray(raw) + b"\x00" * (len(raw) % 2)
    ifd1 = len(buf)
    buf += struct.pack(bo + "H", 2)
    buf += struct.pack(bo + "HHII", 0x0201, 4, 1, ifd1 + 2 + 24 + 4)  # JPEGInterchangeFormat
    buf += struct.pack(bo + "HHII", 0x0202, 4, 1, len(thumb.getvalue()))
    buf += struct.pack(bo + "I", 0) + thumb.getvalue()
    struct.pack_into(bo + "I", buf, ifd0 + 2 + 12 * count, ifd1)
    return bytes(buf)


def pil_save(arr: np.ndarray, path: Path, fmt: str, **kwargs) -> Path:
    if fmt == "webp":
        kwargs.setdefault("lossless", True)
    PILImage.fromarray(arr).save(path, PIL_NAMES[fmt], **kwargs)
    return path


def make_image(pixels_u8: np.ndarray, **kwargs) -> Image:
    return Image(pixels=as_float(pixels_u8), **kwargs)


def assert_message(exc: pytest.ExceptionInfo, name: str) -> None:
    text = str(exc.value)
    assert name in text
    assert "Traceback" not in text and "\n" not in text


# --- names and formats ----------------------------------------------------------------------


def test_is_image_path_by_extension_case_insensitive():
    assert io.is_image_path("a/b/photo.JPG")
    assert io.is_image_path(Path("x.TiFf"))
    assert io.is_image_path("scan.webp") and io.is_image_path("old.bmp")
    assert not io.is_image_path("anim.gif")
    assert not io.is_image_path("notes.txt")
    assert not io.is_image_path("no_extension")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jpg", "jpeg"),
        ("a.JPEG", "jpeg"),
        ("a.png", "png"),
        ("a.tif", "tiff"),
        ("a.tiff", "tiff"),
        ("a.webp", "webp"),
        ("a.bmp", "bmp"),
    ],
)
def test_format_for_path(name, fmt):
    assert io.format_for_path(name) == fmt
    assert io.FORMAT_EXT[fmt] == Path(f"x{io.FORMAT_EXT[fmt]}").suffix


def test_format_for_unknown_extension_is_a_write_error():
    with pytest.raises(ImageWriteError) as exc:
        io.format_for_path("out/result.gif")
    assert_message(exc, "result.gif")


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_regions_stay_in_place_reading_files_written_by_pillow(tmp_path, fmt):
    arr = quadrants_rgb()
    path = pil_save(arr, tmp_path / f"q{io.FORMAT_EXT[fmt]}", fmt)
    image = io.read(path)
    assert image.pixels.shape == (24, 40, 3) and image.pixels.dtype == np.float32
    assert (image.format, image.bit_depth, image.grey, image.alpha) == (fmt, 8, False, None)
    assert image.source == path
    tol = 0.05 if fmt in LOSSY else 0.5 / 255
    np.testing.assert_allclose(
        quadrant_centres(image.pixels), quadrant_centres(as_float(arr)), atol=tol
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_regions_stay_in_place_after_write_then_read(tmp_path, fmt):
    arr = quadrants_rgb()
    out = io.write(make_image(arr), tmp_path / f"out{io.FORMAT_EXT[fmt]}")
    assert out == tmp_path / f"out{io.FORMAT_EXT[fmt]}"
    with PILImage.open(out) as im:  # an independent decoder sees the same layout
        assert im.format == PIL_NAMES[fmt]
        pil = np.asarray(im.convert("RGB"))
    back = io.read(out)
    tol = 0.05 if fmt in LOSSY else 0.5 / 255
    for got in (back.pixels, as_float(pil)):
        np.testing.assert_allclose(quadrant_centres(got), quadrant_centres(as_float(arr)), atol=tol)


@pytest.mark.parametrize("fmt", ["png", "tiff", "bmp"])
def test_lossless_8bit_round_trip_is_exact(tmp_path, fmt):
    arr = np.random.default_rng(1).integers(0, 256, (16, 20, 3), dtype=np.uint8)
    back = io.read(io.write(make_image(arr), tmp_path / f"r{io.FORMAT_EXT[fmt]}"))
    np.testing.assert_array_equal(np.rint(back.pixels * 255).astype(np.uint8), arr)


@pytest.mark.parametrize("fmt", ["png", "tiff"])
@pytest.mark.parametrize("layout", ["rgb", "rgba", "grey", "grey_alpha"])
def test_16bit_round_trip_keeps_depth_and_values(tmp_path, fmt, layout):
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 65536, (12, 18, 3), dtype=np.uint16)
    grey = layout.startswith("grey")
    if grey:
        rgb = np.repeat(rng.integers(0, 65536, (12, 18, 1), dtype=np.uint16), 3, axis=2)
    has_alpha = layout in ("rgba", "grey_alpha")
    alpha = rng.integers(0, 65536, (12, 18), dtype=np.uint16) if has_alpha else None
    image = Image(as_float(rgb), None if alpha is None else as_float(alpha), 16, grey)
    back = io.read(io.write(image, tmp_path / f"d16{io.FORMAT_EXT[fmt]}"))
    assert (back.bit_depth, back.grey) == (16, grey)
    np.testing.assert_array_equal(np.rint(back.pixels * 65535).astype(np.uint16), rgb)
    if alpha is None:
        assert back.alpha is None
    else:
        np.testing.assert_array_equal(np.rint(back.alpha * 65535).astype(np.uint16), alpha)


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "bmp"])
def test_16bit_image_to_8bit_only_format_is_written_8bit(tmp_path, fmt):
    rgb = np.full((10, 10, 3), 40000, np.uint16)
    out = io.write(Image(as_float(rgb), bit_depth=16), tmp_path / f"x{io.FORMAT_EXT[fmt]}")
    back = io.read(out)
    assert back.bit_depth == 8
    np.testing.assert_allclose(back.pixels, 40000 / 65535, atol=0.02)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff", "bmp"])
def test_grey_stays_grey(tmp_path, fmt):
    grey = np.tile(np.linspace(0, 255, 24).astype(np.uint8), (16, 1))
    image = io.read(pil_save(grey, tmp_path / f"g{io.FORMAT_EXT[fmt]}", fmt))
    assert image.grey
    assert np.array_equal(image.pixels[..., 0], image.pixels[..., 2])
    tol = 0.03 if fmt in LOSSY else 0.5 / 255
    np.testing.assert_allclose(image.pixels[..., 1], as_float(grey), atol=tol)
    back = io.read(io.write(image, tmp_path / "out" / f"g{io.FORMAT_EXT[fmt]}"))
    assert back.grey
    np.testing.assert_allclose(back.pixels[..., 1], as_float(grey), atol=tol)
    with PILImage.open(tmp_path / "out" / f"g{io.FORMAT_EXT[fmt]}") as im:
        assert im.mode in ("L", "P")


@pytest.mark.parametrize("fmt", ["png", "tiff", "webp"])
def test_alpha_is_preserved_separately(tmp_path, fmt):
    rng = np.random.default_rng(3)
    rgba = np.concatenate([quadrants_rgb(), rng.integers(0, 256, (24, 40, 1), np.uint8)], 2)
    image = io.read(
        pil_save(
            rgba,
            tmp_path / f"a{io.FORMAT_EXT[fmt]}",
            fmt,
            **({"exact": True} if fmt == "webp" else {}),
        )
    )
    assert image.alpha is not None and image.alpha.shape == (24, 40)
    np.testing.assert_array_equal(np.rint(image.alpha * 255).astype(np.uint8), rgba[..., 3])
    np.testing.assert_allclose(image.pixels, as_float(rgba[..., :3]), atol=0.5 / 255)
    back = io.read(io.write(image, tmp_path / "out" / f"a{io.FORMAT_EXT[fmt]}", quality=100))
    np.testing.assert_array_equal(np.rint(back.alpha * 255).astype(np.uint8), rgba[..., 3])
    np.testing.assert_allclose(back.pixels, as_float(rgba[..., :3]), atol=0.5 / 255)


@pytest.mark.parametrize("fmt", ["jpeg", "bmp"])
def test_alpha_is_dropped_where_the_format_cannot_hold_it(tmp_path, fmt):
    alpha = np.full((24, 40), 0.5, np.float32)
    out = io.write(make_image(quadrants_rgb(), alpha=alpha), tmp_path / f"x{io.FORMAT_EXT[fmt]}")
    back = io.read(out)
    assert back.alpha is None
    np.testing.assert_allclose(
        quadrant_centres(back.pixels), quadrant_centres(as_float(quadrants_rgb())), atol=0.05
    )


# --- EXIF orientation -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "png", "tiff", "webp"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow_exif_transpose(tmp_path, fmt, orientation):
    exif = PILImage.Exif()
    exif[0x0112] = orientation
    path = pil_save(quadrants_rgb(), tmp_path / f"o{io.FORMAT_EXT[fmt]}", fmt, exif=exif.tobytes())
    with PILImage.open(path) as im:
        expected = as_float(np.asarray(ImageOps.exif_transpose(im).convert("RGB")))
    image = io.read(path)
    assert image.pixels.shape == expected.shape
    tol = 0.05 if fmt in LOSSY else 0.5 / 255
    np.testing.assert_allclose(quadrant_centres(image.pixels), quadrant_centres(expected), atol=tol)
    assert io.probe(path) == (image.width, image.height)
    assert metadata.exif_orientation(image.exif) == 1


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_of_16bit_tiff_and_its_alpha(tmp_path, orientation):
    rgba = np.zeros((12, 20, 4), np.uint16)
    rgba[0, 0] = (65535, 0, 0, 1000)  # a single marked corner pixel, alpha marked too
    path = tmp_path / "o16.tif"
    tifffile.imwrite(
        path,
        rgba,
        photometric="rgb",
        extrasamples=["unassalpha"],
        extratags=[(274, "H", 1, orientation, True)],
    )
    reference = np.zeros((12, 20), np.uint8)
    reference[0, 0] = 255
    with PILImage.fromarray(reference) as im:
        exif = im.getexif()
        exif[0x0112] = orientation
        im.info["exif"] = exif.tobytes()
        expected = np.asarray(ImageOps.exif_transpose(im)) > 0
    image = io.read(path)
    assert image.bit_depth == 16
    np.testing.assert_array_equal(image.pixels[..., 0] > 0.5, expected)
    np.testing.assert_array_equal(image.alpha > 0, expected)


def test_exif_after_idat_in_png_is_found(tmp_path):
    png = BytesIO()
    PILImage.fromarray(quadrants_rgb()).save(png, "PNG")
    data = png.getvalue()
    exif = PILImage.Exif()
    exif[0x0112] = 6
    iend = data.rindex(b"IEND") - 4
    path = tmp_path / "late_exif.png"
    path.write_bytes(data[:iend] + metadata.png_chunk(b"eXIf", exif.tobytes()[6:]) + data[iend:])
    assert io.read(path).pixels.shape == (40, 24, 3)
    assert io.probe(path) == (24, 40)


# --- metadata written -----------------------------------------------------------------------


def _exif_and_icc(path: Path) -> tuple[dict, bytes | None]:
    """IFD0 tags plus the Exif and GPS IFDs (under their pointer tags) and the ICC profile."""
    with PILImage.open(path) as im:  # sub-IFDs are read lazily, so while the file is open
        exif = im.getexif()
        tags = dict(exif)
        for pointer in (metadata.EXIF_IFD, metadata.GPS_IFD):
            tags[pointer] = dict(exif.get_ifd(pointer))
        return tags, im.info.get("icc_profile")


@pytest.mark.parametrize("fmt", META_FORMATS)
@pytest.mark.parametrize("depth", [8, 16])
def test_exif_and_icc_are_copied_with_orientation_1_and_new_size(tmp_path, fmt, depth):
    icc = srgb_icc()
    source = pil_save(
        quadrants_rgb(),
        tmp_path / "src.jpg",
        "jpeg",
        exif=b"Exif\x00\x00" + camera_exif(6),
        icc_profile=icc,
    )
    image = io.read(source)
    assert image.icc == icc
    assert (image.width, image.height) == (24, 40)  # rotated by orientation 6
    bigger = np.repeat(np.repeat(image.pixels, 2, axis=0), 2, axis=1)  # like a 2x upscale
    result = Image(bigger, bit_depth=depth, exif=image.exif, icc=image.icc)
    out = io.write(result, tmp_path / f"out{io.FORMAT_EXT[fmt]}")
    exif, out_icc = _exif_and_icc(out)
    assert out_icc == icc
    assert exif.get(0x010F) == "Canon" and exif.get(0x0110) == "EOS R5"
    assert exif.get(0x8298) == "(c) Jo"
    assert exif.get(0x0112) == 1
    sub = exif[metadata.EXIF_IFD]
    assert sub.get(0x9003) == "2021:06:01 12:34:56"
    assert (sub.get(0xA002), sub.get(0xA003)) == (48, 80)
    assert exif[metadata.GPS_IFD].get(1) == "N"
    back = io.read(out)
    assert (back.width, back.height) == (48, 80)  # orientation not applied a second time
    assert back.icc == icc


def test_read_exif_has_orientation_1_and_no_stale_thumbnail(tmp_path):
    source = pil_save(
        quadrants_rgb(), tmp_path / "src.jpg", "jpeg", exif=b"Exif\x00\x00" + camera_exif(8)
    )
    with PILImage.open(source) as im:
        assert im.getexif().get_ifd(ExifTags.IFD.IFD1)  # the source has a thumbnail
    image = io.read(source)
    exif = PILImage.Exif()
    exif.load(image.exif)
    assert image.exif[:4] in (b"II*\x00", b"MM\x00*")
    assert exif.get(0x0112) == 1
    assert not exif.get_ifd(ExifTags.IFD.IFD1)
    assert exif.get_ifd(metadata.EXIF_IFD)[0xA002] == 24  # 40x24 stored, rotated on read


def test_bmp_is_written_without_metadata(tmp_path):
    image = make_image(quadrants_rgb(), exif=camera_exif(1), icc=srgb_icc())
    tags, icc = _exif_and_icc(io.write(image, tmp_path / "x.bmp"))
    assert icc is None and not any(tags.values())


def test_icc_profile_that_does_not_fit_the_output_is_dropped(tmp_path):
    rgb_image = make_image(quadrants_rgb(), icc=grey_icc())
    assert _exif_and_icc(io.write(rgb_image, tmp_path / "rgb.png"))[1] is None
    grey = make_image(np.zeros((10, 10, 3), np.uint8), grey=True, icc=srgb_icc())
    assert _exif_and_icc(io.write(grey, tmp_path / "grey_rgb_icc.png"))[1] is None
    grey.icc = grey_icc()
    assert _exif_and_icc(io.write(grey, tmp_path / "grey.tif"))[1] == grey.icc


def test_tiff_source_exif_is_read(tmp_path):
    path = tmp_path / "cam.tif"
    exif = PILImage.Exif()
    exif.load(camera_exif(1))
    PILImage.fromarray(quadrants_rgb()).save(path, "TIFF", exif=exif)
    image = io.read(path)
    kept = PILImage.Exif()
    kept.load(image.exif)
    assert kept.get(0x010F) == "Canon"
    assert kept.get_ifd(metadata.EXIF_IFD).get(0x9003) == "2021:06:01 12:34:56"
    assert 0x0111 not in kept  # TIFF layout tags (StripOffsets) are not photo metadata


def _studio_exif() -> bytes:
    """Camera EXIF plus what scanners and editors add: DPI, DateTime, description, Interop."""
    exif = PILImage.Exif()
    exif.load(camera_exif(1))
    exif[0x010E] = "A description"
    exif[0x0132] = "2021:06:02 08:00:00"
    exif[0x011A], exif[0x011B], exif[0x0128] = 300.0, 300.0, 2
    exif.get_ifd(metadata.EXIF_IFD)[0xA005] = {1: "R98"}  # Interop IFD
    return exif.tobytes()[6:]


@pytest.mark.parametrize("depth", [8, 16])
def test_tiff_output_keeps_description_resolution_datetime_and_interop(tmp_path, depth):
    image = make_image(quadrants_rgb(), bit_depth=depth, exif=_studio_exif())
    out = io.write(image, tmp_path / "studio.tif")
    with PILImage.open(out) as im:
        exif = im.getexif()
        assert im.info.get("dpi") == (300.0, 300.0)
        assert exif.get(0x010E) == "A description" and exif.get(0x0132) == "2021:06:02 08:00:00"
        assert exif.get_ifd(0xA005) == {1: "R98"}
        assert 65000 not in exif and 65001 not in exif


def test_tiff_sub_ifd_that_cannot_be_written_is_left_out(tmp_path, monkeypatch):
    real = metadata._serialise_ifd

    def gps_fails(source, pointer, header, start):
        if pointer == metadata.GPS_IFD:
            raise ValueError("unwritable tag")
        return real(source, pointer, header, start)

    monkeypatch.setattr(metadata, "_serialise_ifd", gps_fails)
    out = io.write(make_image(quadrants_rgb(), exif=camera_exif(1)), tmp_path / "x.tif")
    tags, _ = _exif_and_icc(out)
    assert tags[metadata.EXIF_IFD].get(0x9003) == "2021:06:01 12:34:56"
    assert not tags[metadata.GPS_IFD] and 65001 not in tags
    np.testing.assert_allclose(
        quadrant_centres(io.read(out).pixels), quadrant_centres(as_float(quadrants_rgb()))
    )


def test_jpeg_is_written_444_at_quality_95(tmp_path):
    rng = np.random.default_rng(4)
    arr = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    out = io.write(make_image(arr), tmp_path / "q.jpg")
    reference = BytesIO()
    PILImage.fromarray(arr).save(reference, "JPEG", quality=95, subsampling=0)
    with PILImage.open(out) as im, PILImage.open(reference) as ref:
        assert JpegImagePlugin.get_sampling(im) == 0
        assert im.quantization == ref.quantization


def test_quality_is_passed_to_jpeg_and_checked(tmp_path):
    arr = np.random.default_rng(5).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    small = io.write(make_image(arr), tmp_path / "q50.jpg", quality=50).stat().st_size
    large = io.write(make_image(arr), tmp_path / "q95.jpg").stat().st_size
    assert small < large
    with pytest.raises(UsageError):
        io.write(make_image(arr), tmp_path / "bad.jpg", quality=0)


def test_format_argument_overrides_extension(tmp_path):
    out = io.write(make_image(quadrants_rgb()), tmp_path / "x.dat", format="PNG")
    with PILImage.open(out) as im:
        assert im.format == "PNG"
    with pytest.raises(ImageWriteError) as exc:
        io.write(make_image(quadrants_rgb()), tmp_path / "x.gif", format="gif")
    assert_message(exc, "x.gif")


# --- source variants ------------------------------------------------------------------------


def test_cmyk_jpeg_is_read_as_rgb(tmp_path):
    cmyk = np.zeros((16, 32, 4), np.uint8)
    cmyk[:, :8] = (0, 255, 255, 0)  # red
    cmyk[:, 8:16] = (255, 0, 255, 0)  # green
    cmyk[:, 16:24] = (255, 255, 0, 0)  # blue
    cmyk[:, 24:] = (0, 0, 0, 255)  # black
    path = tmp_path / "cmyk.jpg"
    PILImage.frombytes("CMYK", (32, 16), cmyk.tobytes()).save(path, "JPEG", quality=100)
    image = io.read(path)
    assert not image.grey and image.alpha is None
    centres = image.pixels[8, [4, 12, 20, 28]]
    np.testing.assert_allclose(
        centres, as_float(np.array([RED, GREEN, BLUE, (0, 0, 0)], np.uint8)), atol=0.04
    )


def test_palette_png_with_and_without_transparency(tmp_path):
    indices = np.zeros((10, 12), np.uint8)
    indices[:, 6:] = 1
    pal = PILImage.frombytes("P", (12, 10), indices.tobytes())
    pal.putpalette([200, 10, 30, 5, 120, 250] + [0] * 762)
    pal.save(tmp_path / "p.png")
    pal.save(tmp_path / "pt.png", transparency=1)
    image = io.read(tmp_path / "p.png")
    np.testing.assert_allclose(
        image.pixels[5, [0, 11]],
        as_float(np.array([[200, 10, 30], [5, 120, 250]], np.uint8)),
        atol=0.5 / 255,
    )
    assert image.alpha is None and not image.grey
    transparent = io.read(tmp_path / "pt.png")
    np.testing.assert_array_equal(transparent.alpha[5, [0, 11]], [1.0, 0.0])


def test_grey_alpha_png_is_grey_with_alpha(tmp_path):
    la = np.stack([np.full((10, 12), 100, np.uint8), np.full((10, 12), 50, np.uint8)], 2)
    PILImage.fromarray(la).save(tmp_path / "la.png")
    image = io.read(tmp_path / "la.png")
    assert image.grey and image.bit_depth == 8
    np.testing.assert_allclose(image.pixels, 100 / 255, atol=1e-6)
    np.testing.assert_allclose(image.alpha, 50 / 255, atol=1e-6)


@pytest.mark.parametrize("writer", ["tifffile", "pillow"])
def test_16bit_grey_tiff(tmp_path, writer):
    grey = np.random.default_rng(6).integers(0, 65536, (12, 16), dtype=np.uint16)
    path = tmp_path / "g16.tif"
    if writer == "tifffile":
        tifffile.imwrite(path, grey, photometric="minisblack", compression="zlib")
    else:
        PILImage.fromarray(grey).save(path, "TIFF")
    image = io.read(path)
    assert image.grey and image.bit_depth == 16
    np.testing.assert_array_equal(np.rint(image.pixels[..., 0] * 65535).astype(np.uint16), grey)


def test_16bit_rgb_png_and_lzw_tiff_written_by_opencv(tmp_path):
    rgb = np.random.default_rng(7).integers(0, 65536, (10, 14, 3), dtype=np.uint16)
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    for ext in (".png", ".tif"):  # OpenCV's TIFF encoder uses LZW, which tifffile lacks here
        path = tmp_path / f"cv16{ext}"
        path.write_bytes(cv2.imencode(ext, bgr)[1].tobytes())
        image = io.read(path)
        assert image.bit_depth == 16
        np.testing.assert_array_equal(np.rint(image.pixels * 65535).astype(np.uint16), rgb)


def test_unicode_and_space_paths_in_every_format(tmp_path):
    folder = tmp_path / "папка с пробелом"
    arr = quadrants_rgb()
    for fmt in FORMATS:
        path = folder / f"фото été 1{io.FORMAT_EXT[fmt]}"
        io.write(make_image(arr), path)
        assert path.is_file()
        assert io.probe(path) == (40, 24)
        np.testing.assert_allclose(
            quadrant_centres(io.read(path).pixels), quadrant_centres(as_float(arr)), atol=0.05
        )


def test_mpo_style_jpeg_with_trailing_data_reads(tmp_path):
    path = pil_save(quadrants_rgb(), tmp_path / "trail.jpg", "jpeg")
    path.write_bytes(path.read_bytes() + b"\x00" * 64 + b"phone trailer")
    assert io.read(path).pixels.shape == (24, 40, 3)


# --- bad inputs -----------------------------------------------------------------------------


BAD_NAMES = {
    "empty": "empty.jpg",
    "truncated_jpeg": "cut.jpg",
    "truncated_jpeg_end": "cut_end.jpg",
    "text_png": "notes.png",
    "random_tif": "noise.tif",
    "folder_jpg": "x.jpg",
    "gif_extension": "anim.gif",
    "gif_renamed": "really_gif.png",
    "animated_webp": "anim.webp",
    "animated_png": "anim.png",
    "missing": "missing.jpg",
    "truncated_png": "cut.png",
    "truncated_tiff": "cut.tif",
    "float_tiff": "float.tif",
    "heic_renamed": "phone.jpg",
}


def _bad(tmp_path: Path, kind: str) -> Path:
    """Create one kind of bad input and return its path."""
    jpeg = BytesIO()
    PILImage.fromarray(np.random.default_rng(8).integers(0, 256, (64, 64, 3), np.uint8)).save(
        jpeg, "JPEG", exif=b"Exif\x00\x00" + camera_exif(1)
    )
    frames = [PILImage.new("RGB", (16, 16), c) for c in (RED, GREEN)]
    path = tmp_path / BAD_NAMES[kind]
    data = jpeg.getvalue()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated_jpeg":
        path.write_bytes(data[: len(data) * 2 // 3])
    elif kind == "truncated_jpeg_end":
        path.write_bytes(data[:-2])
    elif kind == "text_png":
        path.write_text("this is not an image\n")
    elif kind == "random_tif":
        path.write_bytes(np.random.default_rng(9).integers(0, 256, 4096, np.uint8).tobytes())
    elif kind == "folder_jpg":
        path.mkdir()
    elif kind in ("gif_extension", "gif_renamed"):
        frames[0].save(path, "GIF", save_all=True, append_images=frames[1:])
    elif kind == "animated_webp":
        frames[0].save(path, "WEBP", save_all=True, append_images=frames[1:])
    elif kind == "animated_png":
        frames[0].save(path, "PNG", save_all=True, append_images=frames[1:])
    elif kind == "truncated_png":
        png = BytesIO()
        PILImage.fromarray(np.random.default_rng(10).integers(0, 256, (64, 64, 3), np.uint8)).save(
            png, "PNG"
        )
        path.write_bytes(png.getvalue()[:-40])
    elif kind == "truncated_tiff":
        tif = BytesIO()
        tifffile.imwrite(tif, np.ones((64, 64, 3), np.uint16), photometric="rgb")
        path.write_bytes(tif.getvalue()[:-5000])
    elif kind == "float_tiff":
        tifffile.imwrite(path, np.full((16, 16, 3), 0.5, np.float32), photometric="rgb")
    elif kind == "heic_renamed":
        path.write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    return path


BAD_KINDS = list(BAD_NAMES)


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_bad_input_raises_one_sentence_read_error(tmp_path, kind):
    path = _bad(tmp_path, kind)
    with pytest.raises(ImageReadError) as exc:
        io.read(path)
    assert_message(exc, path.name)


@pytest.mark.parametrize(
    "kind",
    [
        "empty",
        "text_png",
        "random_tif",
        "folder_jpg",
        "gif_extension",
        "gif_renamed",
        "animated_webp",
        "missing",
        "heic_renamed",
    ],
)
def test_probe_rejects_the_same_bad_inputs(tmp_path, kind):
    path = _bad(tmp_path, kind)
    with pytest.raises(ImageReadError) as exc:
        io.probe(path)
    assert_message(exc, path.name)


def test_messages_say_what_is_wrong(tmp_path):
    cases = {
        "gif_renamed": "GIF",
        "animated_webp": "animated",
        "empty": "empty",
        "folder_jpg": "folder",
        "gif_extension": "not supported",
        "truncated_jpeg": "incomplete",
        "missing": "no such file",
    }
    for kind, words in cases.items():
        with pytest.raises(ImageReadError, match=words):
            io.read(_bad(tmp_path, kind))


def _png_header_only(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + metadata.png_chunk(b"IHDR", ihdr)
        + metadata.png_chunk(b"IDAT", idat)
        + metadata.png_chunk(b"IEND", b"")
    )


def test_decompression_bomb_png_is_refused_from_the_header(tmp_path, monkeypatch):
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(100_000, 100_000))

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("pixels must not be decoded")

    monkeypatch.setattr(io.cv2, "imdecode", no_decoding)
    for call in (io.read, io.probe):
        with pytest.raises(ImageTooLargeError) as exc:
            call(path)
        assert_message(exc, "bomb.png")
        assert "100000x100000 (10000.0 megapixels)" in str(exc.value)
        assert "250-megapixel limit" in str(exc.value)


def test_pixel_limit_is_configurable(tmp_path):
    path = pil_save(quadrants_rgb(), tmp_path / "q.png", "png")
    with pytest.raises(ImageTooLargeError):
        io.read(path, max_pixels=40 * 24 - 1)
    assert io.read(path, max_pixels=40 * 24).width == 40


# --- atomic, safe writes ----------------------------------------------------------------------


def _partials(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".partial")]


def test_write_creates_missing_folders(tmp_path):
    out = io.write(make_image(quadrants_rgb()), tmp_path / "a" / "b c" / "out.png")
    assert out.is_file() and not _partials(tmp_path)


def test_failed_rename_leaves_no_partial_and_keeps_old_output(tmp_path, monkeypatch):
    out = io.write(make_image(quadrants_rgb()), tmp_path / "out.png")
    before = out.read_bytes()

    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(io.os, "replace", refuse)
    with pytest.raises(ImageWriteError) as exc:
        io.write(make_image(np.zeros((10, 10, 3), np.uint8)), out)
    assert_message(exc, str(out))
    assert "permission denied" in str(exc.value)
    assert out.read_bytes() == before
    assert not _partials(tmp_path)


def test_encoder_failure_leaves_no_partial(tmp_path, monkeypatch):
    def broken(*_args):
        raise ValueError("boom")

    monkeypatch.setitem(io._ENCODERS, "png", broken)
    with pytest.raises(ImageWriteError) as exc:
        io.write(make_image(quadrants_rgb()), tmp_path / "x.png")
    assert_message(exc, "x.png")
    assert not (tmp_path / "x.png").exists() and not _partials(tmp_path)


def test_parent_that_is_a_file_is_a_write_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    for target in (blocker / "out.png", blocker / "deeper" / "out.png"):
        with pytest.raises(ImageWriteError) as exc:
            io.write(make_image(quadrants_rgb()), target)
        assert "blocker" in str(exc.value) and "\n" not in str(exc.value)
    assert not _partials(tmp_path)


def test_output_that_is_a_folder_is_a_write_error(tmp_path):
    (tmp_path / "taken.png").mkdir()
    with pytest.raises(ImageWriteError, match="folder"):
        io.write(make_image(quadrants_rgb()), tmp_path / "taken.png")


def test_write_refuses_to_overwrite_its_source(tmp_path):
    source = pil_save(quadrants_rgb(), tmp_path / "in.png", "png")
    before = source.read_bytes()
    image = io.read(source)
    other_spelling = tmp_path / "sub" / ".." / "in.png"
    (tmp_path / "sub").mkdir()
    for target in (source, other_spelling):
        with pytest.raises(ImageWriteError) as exc:
            io.write(image, target)
        assert_message(exc, "in.png")
    if hasattr(os, "link"):
        os.link(source, tmp_path / "hardlink.png")
        with pytest.raises(ImageWriteError):
            io.write(image, tmp_path / "hardlink.png")
    assert source.read_bytes() == before
    assert io.write(image, tmp_path / "in_out.png").is_file()


# --- metadata helpers -----------------------------------------------------------------------


def test_exif_dimension_tags_widen_to_long_for_huge_outputs():
    exif = metadata.exif_for_output(camera_exif(6), 70_000, 50)
    loaded = PILImage.Exif()
    loaded.load(exif)
    assert loaded.get_ifd(metadata.EXIF_IFD)[0xA002] == 70_000
    assert loaded.get(0x0112) == 1


def test_unparsable_exif_is_dropped_not_trusted():
    assert metadata.exif_for_output(b"II*\x00\xff\xff\xff\xff", 10, 10) is None
    assert metadata.exif_orientation(b"garbage") == 1
    assert metadata.clean_exif(b"Exif\x00\x00nonsense") is None


@pytest.mark.parametrize("size", [(1, 1), (1, 7), (7, 2)])
def test_images_of_any_size_from_one_pixel_are_read(tmp_path, size):
    path = tmp_path / "small.png"
    PILImage.new("RGB", size, RED).save(path)
    image = io.read(path)
    assert image.pixels.shape == (size[1], size[0], 3)
    assert tuple(image.pixels[0, 0]) == (1.0, 0.0, 0.0)
