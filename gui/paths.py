"""Turning drops, pastes and folders into the image files the queue holds."""

from __future__ import annotations

import mimetypes
import os
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl

from engine import api


@lru_cache(maxsize=1)
def supported_extensions() -> frozenset[str]:
    """Lower-case extensions (with the dot) the engine reads."""
    return frozenset(api.supported_extensions())


def is_supported(path: Path) -> bool:
    """Whether the engine reads files with this extension."""
    return path.suffix.lower() in supported_extensions()


def looks_like_image(path: Path) -> bool:
    """Supported, or an image type the engine cannot read (listed so it can be flagged)."""
    if is_supported(path):
        return True
    kind, _ = mimetypes.guess_type(path.name)
    return bool(kind and kind.startswith("image/"))


def paths_from_mime(mime: QMimeData | None) -> list[Path]:
    """Local paths carried by a drop or the clipboard: file URLs, or text with one path or
    ``file://`` URL per line (quotes stripped). Only paths that exist are returned."""
    if mime is None:
        return []
    candidates: list[Path] = []
    if mime.hasUrls():
        candidates = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    elif mime.hasText():
        candidates = [p for p in (_path_from_line(x) for x in mime.text().splitlines()) if p]
    return [p for p in candidates if p.exists()]


def _path_from_line(line: str) -> Path | None:
    text = line.strip().strip('"').strip("'")
    if not text:
        return None
    if text.startswith("file:"):
        local = QUrl(text).toLocalFile()
        return Path(local) if local else None
    return Path(os.path.expanduser(text))


def expand(paths: list[Path], recursive: bool) -> list[tuple[Path, Path | None]]:
    """``(file, root)`` pairs: a file given directly has root ``None``; files found in a
    folder keep the folder as root (outputs mirror it when recursive). Folders list image
    files only, sorted by name, skipping hidden entries."""
    found: list[tuple[Path, Path | None]] = []
    for path in paths:
        if path.is_dir():
            found.extend((f, path) for f in _walk(path, recursive))
        else:
            found.append((path, None))
    return found


def _walk(folder: Path, recursive: bool) -> list[Path]:
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name.lower())
    except OSError:
        return []
    files: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if recursive:
                files.extend(_walk(entry, recursive))
        elif looks_like_image(entry):
            files.append(entry)
    return files
