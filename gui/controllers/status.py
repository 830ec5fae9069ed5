"""Status bar wiring: the Keras backend and device (asked off the UI thread, since it imports
the backend) and the memory this process uses."""

from __future__ import annotations

import os

import psutil
from PySide6.QtCore import QObject, QTimer, Slot

from engine import api
from gui.background import call_in_pool
from gui.queue_model import human_bytes
from gui.views.status_bar import StatusBar

MEMORY_INTERVAL_MS = 2000


def describe_backend(facts: api.SystemInfo) -> tuple[str, str]:
    """``(label, tooltip)`` for ``api.info()``'s facts."""
    device = f"GPU: {facts.gpus[0].name}" if facts.gpus else f"CPU: {facts.cpu.name}"
    label = f"Keras ({facts.backend}) · {device}"
    versions = ", ".join(f"{k} {v}" for k, v in facts.libraries.items())
    return label, versions


class StatusController(QObject):
    """Keeps the backend/device label and the memory label current."""

    def __init__(self, bar: StatusBar, probe_backend: bool = True) -> None:
        super().__init__(bar)
        self.bar = bar
        self._process = psutil.Process(os.getpid())
        self._timer = QTimer(self)
        self._timer.setInterval(MEMORY_INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()
        self._on_tick()
        if probe_backend:
            bar.backend.setText("Backend: detecting…")
            call_in_pool(api.info, on_done=self._on_info, on_error=self._on_info_failed)
        else:
            bar.backend.setText("Backend: not checked")

    @Slot()
    def _on_tick(self) -> None:
        try:
            rss = self._process.memory_info().rss
        except psutil.Error:
            return
        self.bar.memory.setText(f"Memory: {human_bytes(rss)}")

    @Slot(object, object)
    def _on_info(self, _tag: object, facts: api.SystemInfo) -> None:
        label, tip = describe_backend(facts)
        self.bar.backend.setText(label)
        self.bar.backend.setToolTip(tip)

    @Slot(object, str)
    def _on_info_failed(self, _tag: object, message: str) -> None:
        self.bar.backend.setText("Backend: unavailable")
        self.bar.backend.setToolTip(message)
