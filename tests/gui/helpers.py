"""Helpers for GUI tests: tiny photos made with Pillow, and simulated drops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QWidget


def make_photo(path: Path, width: int = 48, height: int = 32, seed: int = 0) -> Path:
    """A small smooth RGB photo-like image (format from the suffix)."""
    rng = np.random.default_rng(seed)
    small = (rng.random((max(2, height // 8), max(2, width // 8), 3)) * 255).astype(np.uint8)
    big = Image.fromarray(small).resize((width, height), Image.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    big.save(path)
    return path


def make_fake_png(path: Path) -> Path:
    """A text file named like a PNG (must be reported as failed, not crash anything)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("this is not an image\n", encoding="utf-8")
    return path


def url_mime(paths: list[Path]) -> QMimeData:
    """Mime data carrying file URLs, as a file manager drag does."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drop_on(widget: QWidget, paths: list[Path]) -> bool:
    """Drag ``paths`` onto ``widget`` and drop them, as a file manager does (enter, move,
    drop: Qt delivers the drop to the widget that accepted the drag, which may be a parent).
    Returns whether the drop was accepted. The events only borrow the mime data."""
    mime = url_mime(paths)
    where = QPointF(widget.rect().center())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, QDragEnterEvent(where.toPoint(), *args))
    QApplication.sendEvent(widget, QDragMoveEvent(where.toPoint(), *args))
    drop = QDropEvent(where, *args)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def files_under(folder: Path) -> list[Path]:
    """Every file below ``folder`` (hidden and temporary ones included)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []
