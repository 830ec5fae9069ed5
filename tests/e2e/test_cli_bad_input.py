"""One bad file never stops a batch: each gets a one-line error, the rest finish, exit 1."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
from PIL import Image

from tests.e2e.helpers import digest, leftovers, photo_like, save_rgb


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width x height`` with one tiny IDAT (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b""))


def make_bad_folder(root):
    """A folder with two good photos and one of every kind of bad input."""
    save_rgb(root / "good1.png", photo_like(48, 32, 1))
    good_jpg = save_rgb(root / "good2.jpg", photo_like(48, 32, 2), quality=90)
    (root / "empty.jpg").write_bytes(b"")
    (root / "truncated.jpg").write_bytes(good_jpg.read_bytes()[: len(good_jpg.read_bytes()) // 2])
    (root / "text.png").write_text("this is not a picture\n")
    (root / "noise.tif").write_bytes(np.random.default_rng(0).bytes(4096))
    (root / "bomb.png").write_bytes(_png_header_only(100000, 100000))
    (root / "folder.jpg").mkdir()
    frames = [Image.fromarray(photo_like(16, 16, s)) for s in range(3)]
    frames[0].save(root / "anim.gif", save_all=True, append_images=frames[1:], duration=100)
    return root


BAD = ["anim.gif", "bomb.png", "empty.jpg", "folder.jpg", "noise.tif", "text.png",
       "truncated.jpg"]


def test_bad_files_fail_alone(photogan, tmp_path):
    src = make_bad_folder(tmp_path / "in")
    before = {p.name: digest(p) for p in src.iterdir() if p.is_file()}
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    proc = photogan("run", "sharpen", src, "-o", out, "--report", report)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    entries = {e["input"].split("/")[-1]: e for e in json.loads(report.read_text())}
    assert entries["good1.png"]["status"] == "done"
    assert entries["good2.jpg"]["status"] == "done"
    for name in BAD:
        entry = entries[name]
        assert entry["status"] == "failed", name
        assert name in entry["error"], entry
        assert "\n" not in entry["error"]
    assert "megapixel" in entries["bomb.png"]["error"]
    assert "Traceback" not in proc.stdout + proc.stderr
    after = {p.name: digest(p) for p in src.iterdir() if p.is_file()}
    assert after == before
    assert sorted(p.name for p in out.iterdir()) == ["good1_sharpen.png", "good2_sharpen.jpg"]
    assert leftovers(out) == []


def test_a_one_pixel_png_is_sharpened(photogan, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (1, 1), (200, 40, 10)).save(src / "dot.png")
    proc = photogan("run", "sharpen", src, "-o", tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = Image.open(tmp_path / "out" / "dot_sharpen.png")
    assert out.size == (1, 1) and out.getpixel((0, 0)) == (200, 40, 10)


def test_unusual_but_valid_files_are_read(photogan, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    cmyk = Image.new("CMYK", (32, 24), (0, 255, 255, 0))  # pure red in CMYK
    cmyk.save(src / "cmyk.jpg", quality=95)
    Image.fromarray(photo_like(32, 24)).convert("P").save(src / "palette.png")
    la = Image.merge("LA", (Image.new("L", (32, 24), 120), Image.new("L", (32, 24), 200)))
    la.save(src / "grey_alpha.png")
    grey16 = (np.arange(32 * 24, dtype=np.uint16).reshape(24, 32) * 80)
    import tifffile

    tifffile.imwrite(src / "grey16.tif", grey16)
    out = tmp_path / "out"
    proc = photogan("run", "sharpen", src, "-o", out, "--set", "amount=0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    red = np.asarray(Image.open(out / "cmyk_sharpen.jpg").convert("RGB")).astype(int)
    assert red[12, 16, 0] > 200 and red[12, 16, 1] < 60 and red[12, 16, 2] < 60
    la_out = Image.open(out / "grey_alpha_sharpen.png")
    assert la_out.mode == "LA"
    assert abs(np.asarray(la_out)[5, 5, 1].astype(int) - 200) <= 1
    g16 = tifffile.imread(out / "grey16_sharpen.tif")
    assert g16.dtype == np.uint16 and g16.ndim == 2
    assert np.abs(g16.astype(int) - grey16.astype(int)).max() <= 1
