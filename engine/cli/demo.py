"""``make demo``: runs the main jobs on the bundled sample photos and says where outputs are."""

from __future__ import annotations

import sys
from pathlib import Path

from engine.cli import main as photogan
from engine.resources import resource_path

OUT = Path("demo_output")

# (title, photogan arguments); each job runs through the real CLI.
JOBS = [
    ("Sharpen every sample photo (unsharp mask)",
     ["run", "sharpen", str(resource_path("samples")), "-o", str(OUT / "sharpen"),
      "--set", "amount=1.2", "--overwrite", "--plain"]),
    ("Enlarge the low-resolution photo 4x (Lanczos)",
     ["run", "resize", str(resource_path("samples", "HappyFish.jpg")), "-o",
      str(OUT / "resize"), "--set", "scale=4", "--overwrite", "--plain"]),
]


def main() -> int:
    """Run each job; return the worst exit status."""
    worst = 0
    for title, args in JOBS:
        print(f"\n== {title}\n$ photogan {' '.join(args)}", flush=True)
        worst = max(worst, photogan(args))
    print(f"\nDemo finished. Outputs are in {OUT.resolve()}")
    return worst


if __name__ == "__main__":
    sys.exit(main())
