"""Side-by-side crops of the deblur models on heavy blur and on the real blurred photos.

Writes into ``docs/models/``:

- ``heavy_<kind>_<photo>.jpg``: a held-out photo degraded exactly as ``photogan eval deblur
  --tier heavy`` degrades it (same working size, window, kernel, noise and JPEG), left to
  right: blurred input | each model | the sharp truth;
- ``real_<photo>.jpg``: a really blurred photo (opencv-doc's samples), input | each model.

Run: ``.venv/bin/python build_scripts/heavy_crops.py --models deblur-fast,deblur-unet``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model_crops import _centre, _row  # noqa: E402  (beside this script)

from engine.evaluation.eval import _degraded, _task_method  # noqa: E402
from engine.imaging import io  # noqa: E402
from engine.imaging.image import Image  # noqa: E402

HEAVY = [("motion", "nature_GreenMeadow.jpg"), ("motion", "data_building.jpg"),
         ("defocus", "backgrounds_city.png")]
REAL = ["licenseplate_motion.jpg", "text_motion.jpg"]
SIDE = 224


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="deblur-fast,deblur-unet")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "photos")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "models")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    methods = [_task_method("deblur", {"model": m}) for m in models]
    held = args.data / "heldout"
    names = sorted(p.name for p in held.iterdir())
    for kind, name in HEAVY:
        truth, blurred, _, _ = _degraded("deblur", "heavy", kind, names.index(name),
                                         held / name, 512)
        outs = [blurred, *[method(blurred) for method in methods], truth]
        row = _row([_centre(o, SIDE) for o in outs])
        path = args.out / f"heavy_{kind}_{Path(name).stem}.jpg"
        print(io.write(Image(pixels=row), path, quality=92))
    for name in REAL:
        photo = io.read(args.data / "real_blur" / name).pixels
        outs = [photo, *[method(photo) for method in methods]]
        row = _row([_centre(o, 2 * SIDE) for o in outs])
        print(io.write(Image(pixels=row), args.out / f"real_{Path(name).stem}.jpg", quality=92))
    print("left to right: input | " + " | ".join(models) + " | truth (heavy rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
