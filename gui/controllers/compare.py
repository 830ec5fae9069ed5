"""Before/after wiring: load the selected photo and its output, zoom actions, and the
visible-region preview run in the worker."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QRect, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from engine import api
from gui.actions import Actions
from gui.background import call_in_pool
from gui.controllers.tasks import TaskController
from gui.jobs import preview_job
from gui.qimage import to_qimage
from gui.queue_model import QueueItem, QueueModel
from gui.views.compare_view import CompareView
from gui.worker import Worker, WorkerHost

# The preview covers at most this many pixels a side (the centre of the visible region), so
# it stays a matter of seconds even for model-backed tasks on a CPU.
MAX_PREVIEW_SIDE = 1024


def load_for_display(path: Path) -> tuple[np.ndarray, QImage]:
    """Full-size RGB uint8 pixels and a ``QImage`` of them (runs in a pool thread)."""
    rgb = api.load_display(path)
    return rgb, to_qimage(rgb)


def preview_rect(visible: QRect, max_side: int = MAX_PREVIEW_SIDE) -> QRect:
    """The part of ``visible`` to preview: all of it, or its centre cut to ``max_side``."""
    width, height = min(visible.width(), max_side), min(visible.height(), max_side)
    rect = QRect(0, 0, width, height)
    rect.moveCenter(visible.center())
    return rect.intersected(visible)


class CompareController(QObject):
    """Keeps the compare canvas showing the current queue item and runs previews.

    Signals:
        preview_done(object): the preview's RGB uint8 array (``None`` when it did not finish).
        message(str): a line for the status bar.
    """

    preview_done = Signal(object)
    message = Signal(str)

    def __init__(self, view: CompareView, model: QueueModel, actions: Actions,
                 tasks: TaskController, host: WorkerHost) -> None:
        super().__init__(view)
        self.view, self.canvas, self.model = view, view.canvas, model
        self.actions, self.tasks, self.host = actions, tasks, host
        self.item: QueueItem | None = None
        self.before: np.ndarray | None = None
        self.worker: Worker | None = None
        self._after_shown: Path | None = None
        self._preview_for: Path | None = None
        self._preview_rect = QRect()
        actions.zoom_fit.triggered.connect(self.canvas.zoom_fit)
        actions.zoom_100.triggered.connect(self.canvas.zoom_100)
        actions.side_by_side.toggled.connect(self.canvas.set_side_by_side)
        actions.preview.triggered.connect(self.preview)
        model.dataChanged.connect(self._on_data_changed)
        host.busy_changed.connect(self._update_actions)
        tasks.task_changed.connect(self._update_actions)
        self._update_actions()

    # -- showing an item ----------------------------------------------------------------
    @Slot(object)
    def show_item(self, item: QueueItem | None) -> None:
        """Show ``item`` (or nothing): its photo now, its output when there is one."""
        self.item, self.before, self._after_shown = item, None, None
        self.canvas.set_before(None)
        if item is None:
            self.view.title.setText("Before / after")
            self.canvas.set_message("Select a photo in the queue to see it here.")
        else:
            self.view.title.setText(f"Before / after — {item.path.name}")
            self.canvas.set_message("Loading…")
            call_in_pool(load_for_display, item.path, tag=item.path,
                         on_done=self._on_before_loaded, on_error=self._on_load_failed)
        self._update_actions()

    @Slot(object, object)
    def _on_before_loaded(self, path: Path, loaded: tuple[np.ndarray, QImage]) -> None:
        if self.item is None or self.item.path != path:
            return
        self.before = loaded[0]
        self.canvas.set_before(QPixmap.fromImage(loaded[1]))
        self.canvas.set_message("")
        self._load_after()
        self._update_actions()

    @Slot(object, str)
    def _on_load_failed(self, path: Path, message: str) -> None:
        if self.item is not None and self.item.path == path:
            self.canvas.set_message(message)

    def _load_after(self) -> None:
        item = self.item
        if item is None or self.before is None or item.status != "done" or not item.output:
            return
        if item.output == self._after_shown or not item.output.exists():
            return
        self._after_shown = item.output
        call_in_pool(load_for_display, item.output, tag=(item.path, item.output),
                     on_done=self._on_after_loaded, on_error=self._on_after_failed)

    @Slot(object, object)
    def _on_after_loaded(self, tag: tuple[Path, Path], loaded: tuple[np.ndarray, QImage]) -> None:
        if self.item is None or self.item.path != tag[0]:
            return
        self.canvas.set_after(QPixmap.fromImage(loaded[1]), None, f"After: {tag[1].name}")

    @Slot(object, str)
    def _on_after_failed(self, _tag: object, message: str) -> None:
        self.message.emit(message)

    def _on_data_changed(self, top, _bottom, _roles=None) -> None:
        if self.item is not None and self.model.row_of(self.item.path) == top.row():
            self._load_after()

    # -- preview ------------------------------------------------------------------------
    @Slot()
    def preview(self) -> bool:
        """Run the task on the visible region in the worker; returns whether it started."""
        if self.host.busy or self.before is None or self.item is None:
            return False
        rect = preview_rect(self.canvas.visible_region())
        if rect.isEmpty():
            return False
        crop = self.before[rect.top():rect.bottom() + 1, rect.left():rect.right() + 1].copy()
        task_id = self.tasks.task_id()
        job = preview_job(task_id, crop, self.tasks.options(), self.tasks.tile())
        worker = Worker(job, name="preview")
        worker.failed.connect(self._on_preview_failed)
        worker.finished.connect(self._on_preview_finished)
        self.worker, self._preview_for, self._preview_rect = worker, self.item.path, rect
        self.message.emit(f"Previewing {task_id} on {rect.width()}×{rect.height()} pixels…")
        self.host.start(worker)
        return True

    @Slot(str)
    def _on_preview_failed(self, message: str) -> None:
        self.message.emit(f"Preview failed: {message}")

    @Slot(object)
    def _on_preview_finished(self, result: np.ndarray | None) -> None:
        self.worker = None
        current = self.item is not None and self.item.path == self._preview_for
        if result is not None and current:
            self.canvas.set_after(QPixmap.fromImage(to_qimage(result)), self._preview_rect,
                                  "After (preview)")
            self._after_shown = None
            self.message.emit("Preview ready: drag the split to compare.")
        self.preview_done.emit(result)

    def _update_actions(self, *_args) -> None:
        ready = self.before is not None and not self.host.busy and self.tasks.weights_ready()
        self.actions.preview.setEnabled(ready)
