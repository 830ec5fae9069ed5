"""Atomic file writes: a hidden temp file in the target folder, fsync, then rename.

A reader never sees a half-written file, and a failure or cancel (KeyboardInterrupt included)
leaves nothing behind.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def temp_path_for(path: Path) -> Path:
    """The hidden temp name used while writing ``path``: ``.<name>.<random>.partial``."""
    return path.with_name(f".{path.name[:120]}.{secrets.token_hex(4)}.partial")


def write_atomic(path: Path, encode: Callable[[BinaryIO], None]) -> Path:
    """Call ``encode(file)`` on a temp file next to ``path``, then move it onto ``path``.

    The parent folder must exist. Exceptions from ``encode`` or the file system propagate
    unchanged after the temp file is removed. Returns ``path``.
    """
    path = Path(path)
    temp = temp_path_for(path)
    try:
        with open(temp, "xb") as fh:
            encode(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def write_atomic_to_path(path: Path, save: Callable[[Path], None]) -> Path:
    """``write_atomic`` for libraries that only write to a file name (e.g. Keras'
    ``save_weights``): ``save(temp)`` writes a hidden temp file next to ``path`` whose name ends
    like ``path``'s (``.<random>.<name>``, so suffix checks pass), which is then synced and
    moved onto ``path``. Creates the parent folder; on any failure the temp file is removed
    and ``path`` is left as it was. Returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{secrets.token_hex(4)}.{path.name[:120]}")
    try:
        save(temp)
        with open(temp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable where the OS allows opening folders (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Atomically write bytes to ``path``, creating its folder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(Path(path), lambda fh: fh.write(data))


def write_text_atomic(path: Path, text: str) -> Path:
    """Atomically write UTF-8 text to ``path``, creating its folder."""
    return write_bytes_atomic(path, text.encode("utf-8"))
