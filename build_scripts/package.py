"""Turns the PyInstaller folder ``dist/PhotoGAN/`` into the archive users download.

    .venv/bin/python build_scripts/package.py [--dist dist]

Linux: adds the desktop entry, the hicolor icons and ``install.sh`` to ``dist/PhotoGAN/`` and
writes ``dist/PhotoGAN-<version>-linux-<machine>.tar.gz`` (one top folder,
``PhotoGAN-<version>/``; symbolic links and permissions kept). Windows: a ``.zip`` of the
folder. macOS: a ``.zip`` of ``PhotoGAN.app``. Prints the archive's path and size.
`make package` runs this after PyInstaller.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import __version__  # noqa: E402

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def machine() -> str:
    """``x86_64``/``arm64`` style architecture name for the archive."""
    name = platform.machine().lower()
    return {"amd64": "x86_64", "aarch64": "arm64"}.get(name, name)


def add_linux_integration(app: Path) -> None:
    """Desktop entry, icons and the per-user installer, next to the executables."""
    share = app / "share"
    (share / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "packaging" / "linux" / "photogan.desktop", share / "applications")
    for size in ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "resources" / "icons" / f"photogan-{size}.png",
                     target / "photogan.png")
    shutil.copy2(ROOT / "packaging" / "linux" / "install.sh", app / "install.sh")
    (app / "install.sh").chmod(0o755)


def linux_archive(dist: Path) -> Path:
    app = dist / "PhotoGAN"
    add_linux_integration(app)
    out = dist / f"PhotoGAN-{__version__}-linux-{machine()}.tar.gz"
    partial = out.with_name(out.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(app, arcname=f"PhotoGAN-{__version__}")
    partial.replace(out)
    return out


def zip_archive(dist: Path, system: str) -> Path:
    folder = dist / ("PhotoGAN.app" if system == "macos" else "PhotoGAN")
    base = dist / f"PhotoGAN-{__version__}-{system}-{machine()}"
    return Path(shutil.make_archive(str(base), "zip", root_dir=dist, base_dir=folder.name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    if not (args.dist / "PhotoGAN").is_dir():
        sys.stderr.write(f"{args.dist / 'PhotoGAN'} is missing: run PyInstaller first "
                         "(make package).\n")
        return 1
    start = time.perf_counter()
    if sys.platform.startswith("linux"):
        out = linux_archive(args.dist)
    elif sys.platform == "win32":
        out = zip_archive(args.dist, "windows")
    else:
        out = zip_archive(args.dist, "macos")
    size = out.stat().st_size / 2**20
    print(f"{out} ({size:.0f} MiB, {time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
