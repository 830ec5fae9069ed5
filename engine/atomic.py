"""Atomic file writes: a hidden temp file in the target folder, fsync, then rename.

A reader never sees a half-written file, and a failure or cancel leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path


def temp_path_for(path: Path) -> Path:
    """The hidden temp name used while writing ``path``: ``.<name>.<random>.partial``."""
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(temp_path)`` then move the temp file onto ``path``.

    The temp file is removed on any failure, KeyboardInterrupt included. Parent folders are
    created. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path_for(path)
    try:
        write(temp)
        with open(temp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    """Atomically write UTF-8 text to ``path``."""
    return write_atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    """Atomically write bytes to ``path``."""
    return write_atomic(Path(path), lambda tmp: tmp.write_bytes(data))
