"""Draws the PhotoGAN icon with Pillow and writes every size the packages need.

    .venv/bin/python build_scripts/make_icons.py

Writes ``resources/icons/photogan-<N>.png`` (16 to 512 px), ``photogan.png`` (256 px, the
window icon), ``photogan.ico`` (Windows, 16-256 px) and ``photogan.icns`` (macOS). The icon is
a lens with aperture blades on a rounded square, half sharp and half pixelated: the app's job
in one picture. The files are committed; run this again only to change the design.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
MASTER = 1024  # drawn once at this size, then downsampled


def _gradient(size: int, top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """A diagonal gradient from ``top`` (top left) to ``bottom`` (bottom right)."""
    vertical = Image.linear_gradient("L").resize((size, size))
    ramp = ImageChops.add(vertical, vertical.transpose(Image.Transpose.ROTATE_90), scale=2)
    return Image.composite(Image.new("RGB", (size, size), bottom),
                           Image.new("RGB", (size, size), top), ramp)


def draw_master(size: int = MASTER) -> Image.Image:
    """The icon at ``size`` x ``size``, RGBA."""
    s = size / 1024
    icon = Image.new("RGBA", (size, size), (0, 0, 0, 0))

    # Rounded-square tile with a soft shadow.
    margin, radius = int(64 * s), int(200 * s)
    shadow = Image.new("L", (size, size), 0)
    ImageDraw.Draw(shadow).rounded_rectangle(
        (margin, margin + int(24 * s), size - margin, size - margin + int(24 * s)), radius,
        fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(int(28 * s)))
    icon.paste((0, 0, 0, 255), (0, 0), shadow)
    mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(mask).rounded_rectangle((margin, margin, size - margin, size - margin),
                                           radius, fill=255)
    icon.paste(_gradient(size, (37, 44, 118), (20, 160, 160)), (0, 0), mask)

    # The lens: a light ring, dark glass, six aperture blades.
    cx = cy = size / 2
    outer, ring, glass = 330 * s, 285 * s, 265 * s
    draw = ImageDraw.Draw(icon)
    draw.ellipse((cx - outer, cy - outer, cx + outer, cy + outer), fill=(236, 240, 245, 255))
    draw.ellipse((cx - ring, cy - ring, cx + ring, cy + ring), fill=(30, 34, 48, 255))
    blades = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    bdraw = ImageDraw.Draw(blades)
    for k in range(6):
        a0 = math.radians(k * 60 + 15)
        a1 = math.radians(k * 60 + 75)
        pts = [(cx + glass * math.cos(a0), cy + glass * math.sin(a0)),
               (cx + glass * math.cos(a1), cy + glass * math.sin(a1)),
               (cx + 105 * s * math.cos(a1 + 0.9), cy + 105 * s * math.sin(a1 + 0.9))]
        shade = 70 + 14 * k
        bdraw.polygon(pts, fill=(shade, shade + 10, shade + 40, 255))
    glass_mask = Image.new("L", (size, size), 0)
    ImageDraw.Draw(glass_mask).ellipse((cx - glass, cy - glass, cx + glass, cy + glass), fill=255)
    icon.paste(blades, (0, 0), Image.composite(blades.getchannel("A"), glass_mask, glass_mask))

    # Left half of the aperture opening pixelated, right half sharp: "fixes photos".
    hole = 105 * s
    opening = _gradient(int(2 * hole), (255, 196, 92), (236, 88, 120)).convert("RGBA")
    blocky = opening.resize((6, 6), Image.Resampling.BILINEAR).resize(
        opening.size, Image.Resampling.NEAREST)
    opening.paste(blocky.crop((0, 0, opening.width // 2, opening.height)), (0, 0))
    omask = Image.new("L", opening.size, 0)
    ImageDraw.Draw(omask).ellipse((0, 0, opening.width - 1, opening.height - 1), fill=255)
    icon.paste(opening, (int(cx - hole), int(cy - hole)), omask)

    # A highlight on the glass and a sparkle at the top right.
    hl = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(hl).ellipse((cx - 200 * s, cy - 230 * s, cx - 60 * s, cy - 150 * s),
                               fill=(255, 255, 255, 90))
    icon.alpha_composite(hl.filter(ImageFilter.GaussianBlur(int(12 * s))))
    sx, sy, r = 790 * s, 235 * s, 95 * s
    star = []
    for k in range(8):  # a four-pointed star: long points, short waists
        length = r if k % 2 == 0 else r * 0.31
        angle = math.radians(k * 45 - 90)
        star.append((sx + length * math.cos(angle), sy + length * math.sin(angle)))
    draw = ImageDraw.Draw(icon)
    draw.polygon(star, fill=(255, 244, 200, 255))
    return icon


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    master = draw_master()
    images = {n: master.resize((n, n), Image.Resampling.LANCZOS) for n in PNG_SIZES}
    for n, image in images.items():
        image.save(ICONS / f"photogan-{n}.png", optimize=True)
    images[256].save(ICONS / "photogan.png", optimize=True)
    images[256].save(ICONS / "photogan.ico", sizes=[(n, n) for n in ICO_SIZES])
    master.resize((512, 512), Image.Resampling.LANCZOS).save(ICONS / "photogan.icns")
    print(f"wrote {len(PNG_SIZES) + 3} icon files to {ICONS}")


if __name__ == "__main__":
    main()
