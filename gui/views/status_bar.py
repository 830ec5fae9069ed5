"""The status bar: messages on the left, backend/device and memory in use on the right."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget


class StatusBar(QStatusBar):
    """``backend`` and ``memory`` labels are permanent; messages come and go."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = QLabel("Backend: …", self)
        self.backend.setObjectName("backendLabel")
        self.memory = QLabel("", self)
        self.memory.setObjectName("memoryLabel")
        self.addPermanentWidget(self.backend)
        self.addPermanentWidget(self.memory)
