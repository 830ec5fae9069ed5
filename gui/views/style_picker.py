"""The style picker: bundled style paintings as thumbnails, or any image file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.api import resource_path
from gui.views.icon_grid import icon_grid

ICON_SIDE = 72
_PATTERNS = ("*.jpg", "*.jpeg", "*.png", "*.webp")


def bundled_styles() -> list[Path]:
    """Style images shipped in ``resources/styles``, sorted by name."""
    folder = resource_path("styles")
    if not folder.is_dir():
        return []
    return sorted({p for pat in _PATTERNS for p in folder.glob(pat)}, key=lambda p: p.name)


def style_title(path: Path) -> str:
    """``starry_night.jpg`` -> ``Starry night``."""
    words = path.stem.replace("_", " ").replace("-", " ")
    return words[:1].upper() + words[1:]


def _icon(path: Path) -> QIcon:
    reader = QImageReader(str(path))
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(ICON_SIDE, ICON_SIDE, Qt.AspectRatioMode.KeepAspectRatio))
    return QIcon(QPixmap.fromImage(reader.read()))


class StylePicker(QWidget):
    """Thumbnails of the bundled styles plus "Other image…".

    The value is a bundled style's name (its file stem, e.g. ``starry_night``, which the
    engine accepts) or the path of any other image.

    Signals:
        changed(): the chosen style changed.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = ""
        self.list = icon_grid(self, ICON_SIDE, "styleList")
        self.list.setFixedHeight(ICON_SIDE + 40)
        for path in bundled_styles():
            item = QListWidgetItem(_icon(path), style_title(path))
            item.setData(Qt.ItemDataRole.UserRole, path.stem)
            item.setToolTip(str(path))
            self.list.addItem(item)
        self.other = QPushButton("Other image…", self)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        row = QHBoxLayout()
        row.addWidget(self.label, 1)
        row.addWidget(self.other)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(row)
        self.list.currentItemChanged.connect(self._on_item)
        self.other.clicked.connect(self._on_other)

    def value(self) -> str:
        """The chosen style: a bundled style's name or an image path (empty when none)."""
        return self._value

    def set_value(self, value: object) -> None:
        """Choose a style by name or path (a bundled one is highlighted)."""
        self._value = "" if value is None else str(value)
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        for row in range(self.list.count()):
            item = self.list.item(row)
            if self._value in (item.data(Qt.ItemDataRole.UserRole), item.toolTip()):
                self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        bundled = self.list.currentItem()
        if bundled is not None:
            self.label.setText(bundled.text())
        else:
            self.label.setText(Path(self._value).name if self._value else "No style chosen")
        self.changed.emit()

    def _on_item(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None:
            self.set_value(item.data(Qt.ItemDataRole.UserRole))

    def _on_other(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Choose a style image", self._value,
            "Images (*.jpg *.jpeg *.png *.tif *.tiff *.webp *.bmp)")
        if chosen:
            self.set_value(chosen)
