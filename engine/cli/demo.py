"""``make demo``: runs the main jobs on the bundled sample photos and says where outputs are.

Every job goes through the real CLI with the models that ship in ``resources/weights/``;
the before/after pairs (deblur vs sharpen, upscale vs Lanczos) are written side by side
so the difference can be judged by eye.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.api import resource_path, side_by_side
from engine.cli import main as photogan

OUT = Path("demo_output")
SAMPLES = resource_path("samples")
REAL_BLUR = [str(SAMPLES / "licenseplate_motion.jpg"), str(SAMPLES / "text_defocus.jpg")]
SMALL = str(SAMPLES / "HappyFish.jpg")
COMMON = ["--overwrite", "--plain"]

# Side-by-side sheets written after the jobs: (sheet name, images left to right).
SHEETS = [
    ("licenseplate_input_sharpen_deblur.jpg",
     [REAL_BLUR[0], OUT / "sharpen" / "licenseplate_motion_sharpen.jpg",
      OUT / "deblur" / "licenseplate_motion_deblur.jpg"]),
    ("text_input_sharpen_deblur.jpg",
     [REAL_BLUR[1], OUT / "sharpen" / "text_defocus_sharpen.jpg",
      OUT / "deblur" / "text_defocus_deblur.jpg"]),
    ("happyfish_lanczos_srgan.jpg",
     [OUT / "resize" / "HappyFish_resize.jpg", OUT / "upscale" / "HappyFish_upscale.jpg"]),
]

# (title, photogan arguments); each job runs through the real CLI.
JOBS = [
    ("Deblur the two really blurred samples (camera shake, out of focus): deblur-unet",
     ["run", "deblur", *REAL_BLUR, "-o", str(OUT / "deblur"), *COMMON]),
    ("The same two with a classic unsharp mask, to compare",
     ["run", "sharpen", *REAL_BLUR, "-o", str(OUT / "sharpen"), *COMMON]),
    ("Enlarge the small photo 4x: SRGAN",
     ["run", "upscale", SMALL, "-o", str(OUT / "upscale"), *COMMON]),
    ("The same enlargement with Lanczos resampling, to compare",
     ["run", "resize", SMALL, "-o", str(OUT / "resize"), "--set", "scale=4", *COMMON]),
    ("Repaint the ladybird photo in the style the painting model learned: CycleGAN",
     ["run", "photo2monet", str(SAMPLES / "ladybird.jpg"), "-o", str(OUT / "painting"),
      *COMMON]),
    ("Sample 16 images and a latent walk from the Fashion-MNIST DCGAN",
     ["run", "sample", "-o", str(OUT / "sample"), "--set", "gif=true", *COMMON]),
]


def main() -> int:
    """Run each job; return the worst exit status."""
    from engine.api import logs

    logs.start("demo")  # library log lines go to the log file, as with `photogan` itself
    worst = 0
    for title, args in JOBS:
        print(f"\n== {title}\n$ photogan {' '.join(args)}", flush=True)
        worst = max(worst, photogan(args))
    for name, images in SHEETS:
        if all(Path(p).is_file() for p in images):
            print(f"side by side: {side_by_side([Path(p) for p in images], OUT / name)}")
    print(f"\nDemo finished. Outputs are in {OUT.resolve()}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
