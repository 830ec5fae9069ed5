"""A static grid of thumbnails (sampler results, bundled styles, training data previews)."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QListWidget, QWidget


def icon_grid(parent: QWidget, side: int, name: str) -> QListWidget:
    """A ``QListWidget`` in icon mode: ``side`` x ``side`` px icons that reflow with the
    widget's width and cannot be dragged around; ``name`` is its object name (tests)."""
    grid = QListWidget(parent)
    grid.setObjectName(name)
    grid.setViewMode(QListWidget.ViewMode.IconMode)
    grid.setIconSize(QSize(side, side))
    grid.setResizeMode(QListWidget.ResizeMode.Adjust)
    grid.setMovement(QListWidget.Movement.Static)
    return grid
