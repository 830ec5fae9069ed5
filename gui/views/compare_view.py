"""The before/after panel: view buttons above the compare canvas."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolBar, QVBoxLayout, QWidget

from gui.actions import Actions
from gui.views.compare_canvas import CompareCanvas


class CompareView(QWidget):
    """``self.canvas`` plus buttons for fit, 100%, side by side and preview."""

    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = CompareCanvas(self)
        self.title = QLabel("Before / after", self)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        bar = QToolBar(self)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setIconSize(QSize(16, 16))
        for action in (actions.zoom_fit, actions.zoom_100, actions.side_by_side, actions.preview):
            bar.addAction(action)
        self.title.setMinimumWidth(40)
        row = QHBoxLayout()
        row.addWidget(self.title, 1)
        row.addWidget(bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.canvas, 1)
