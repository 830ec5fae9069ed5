"""The run bar: Start and Cancel, overall progress with ETA, and the current item's progress."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QToolButton, QWidget

from gui.actions import Actions


class RunBar(QWidget):
    """Widgets only; ``gui.controllers.run`` drives them."""

    def show_item_progress(self, percent: int) -> None:
        """Per-item progress (tiles or iterations) of the photo being processed."""
        self.item.setTextVisible(True)
        self.item.setValue(percent)

    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start = self._button(actions.start)
        self.start.setObjectName("startButton")
        self.cancel = self._button(actions.cancel)
        self.cancel.setObjectName("cancelButton")
        self.overall = QProgressBar(self)
        self.overall.setObjectName("overallProgress")
        self.overall.setFormat("%p%")
        self.overall_label = QLabel("Ready", self)
        self.eta = QLabel("", self)
        self.eta.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.item = QProgressBar(self)
        self.item.setObjectName("itemProgress")
        self.item_label = QLabel("", self)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.addWidget(self.start, 0, 0, 2, 1)
        grid.addWidget(self.cancel, 0, 1, 2, 1)
        grid.addWidget(self.overall_label, 0, 2)
        grid.addWidget(self.overall, 0, 3)
        grid.addWidget(self.eta, 0, 4)
        grid.addWidget(self.item_label, 1, 2)
        grid.addWidget(self.item, 1, 3)
        grid.setColumnStretch(3, 1)
        for label in (self.overall_label, self.item_label):
            # a fixed column, wrapping long summaries, so the bars never jump sideways
            label.setFixedWidth(300)
            label.setWordWrap(True)
        grid.setColumnMinimumWidth(4, 100)
        self.reset()

    def _button(self, action) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        button.setMinimumWidth(72)
        return button

    def reset(self) -> None:
        """Idle state: empty bars."""
        self.overall.setRange(0, 100)
        self.overall.setValue(0)
        self.item.setRange(0, 100)
        self.item.setValue(0)
        self.item.setTextVisible(False)
        self.item_label.setText("")
        self.eta.setText("")
