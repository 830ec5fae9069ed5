"""Window-level wiring: connects the other controllers, drops, the model manager, messages,
window geometry, and closing (asking first, then cancelling cleanly, during a run)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from engine import api
from engine.api import __version__, logs
from gui import background
from gui.controllers.models import ModelManagerController, open_model_manager
from gui.views.confirm import confirm_quit

if TYPE_CHECKING:
    from gui.main_window import MainWindow

MESSAGE_MS = 8000


def ask_cancel_run(parent: QWidget) -> bool:
    """Ask whether to cancel the running work and close (tests replace this)."""
    return confirm_quit(parent, "A run is in progress. Cancel it and close PhotoGAN?\n\n"
                                "The photo being processed is discarded; finished outputs "
                                "are kept.")


class WindowController(QObject):
    """Wires the main window's parts together; owns closing and settings persistence."""

    def __init__(self, window: MainWindow, settings_path: Path | None = None) -> None:
        super().__init__(window)
        self.window, self.settings_path = window, settings_path
        self.closing = False
        self.models: ModelManagerController | None = None
        w = window
        w.paths_dropped.connect(w.queue.add_paths)
        w.queue.current_changed.connect(w.compare.show_item)
        w.queue.added.connect(self._on_added)
        for source in (w.run, w.compare, w.sampler):
            source.message.connect(self._on_message)
        w.actions.models.triggered.connect(self.open_models)
        w.tasks.models_requested.connect(self.open_models)
        w.actions.quit.triggered.connect(w.close)
        w.actions.about.triggered.connect(self._on_about)
        w.actions.open_logs.triggered.connect(self._on_open_logs)
        w.host.busy_changed.connect(self._on_busy_changed)
        self._restore_geometry()

    # -- wiring -------------------------------------------------------------------------
    @Slot(int)
    def _on_added(self, count: int) -> None:
        items = self.window.queue_model.items()
        if items:
            self.window.tasks.set_example_name(items[0].path.name)
        self._on_message(f"Added {count} photo(s) to the queue.")

    @Slot(str)
    def _on_message(self, text: str) -> None:
        self.window.status.showMessage(text, MESSAGE_MS)

    @Slot()
    def open_models(self) -> ModelManagerController:
        """Show the model manager (refreshing task weights when models change)."""
        task_ids = list(self.window.tasks.tasks)
        self.models = open_model_manager(self.window, task_ids)
        self.models.models_changed.connect(self._on_models_changed)
        self.models.train_requested.connect(self.models.dialog.accept)
        self.models.train_requested.connect(self.window.training.open_wizard)
        self.models.dialog.open()
        return self.models

    @Slot()
    def _on_models_changed(self) -> None:
        self.window.tasks.refresh_tasks()
        self.window.sampler.refresh()

    @Slot()
    def _on_about(self) -> None:
        QMessageBox.about(self.window, "About PhotoGAN",
                          f"<b>PhotoGAN {__version__}</b><p>Batch photo tool: deblur, upscale, "
                          "photo ↔ painting, style transfer and a DCGAN sampler, on Keras.</p>")

    @Slot()
    def _on_open_logs(self) -> None:
        try:
            folder = logs.folder()
        except OSError as exc:
            self._on_message(f"Could not create the log folder: {exc}")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))
        self._on_message(f"Log files are in {folder}")

    # -- closing ------------------------------------------------------------------------
    def may_close(self) -> bool:
        """Whether the window may close now. During a run: ask, then cancel and close once
        the worker has finished (the window stays responsive meanwhile)."""
        host = self.window.host
        if not self.window.training.may_close():
            return False
        if not host.busy:
            self._save()
            self.shutdown()
            return True
        if self.closing:
            return False
        if not ask_cancel_run(self.window):
            return False
        self.closing = True
        self.window.run.cancel()
        host.cancel()
        self._on_message("Cancelling; PhotoGAN closes when the current step stops…")
        return False

    def shutdown(self) -> None:
        """Orderly end before the app quits: stop and join every worker thread (batch,
        training, background calls), then let go of the loaded models, so nothing of Keras
        is freed while Python itself shuts down."""
        self.window.training.shutdown()
        self.window.host.shutdown()
        background.drain()
        api.release_models()

    @Slot(bool)
    def _on_busy_changed(self, busy: bool) -> None:
        if busy:
            self._save()  # a run's settings survive a crash or a killed session
        if self.closing and not busy:
            self.window.close()

    def _save(self) -> None:
        s, w = self.window.settings, self.window
        s.geometry = bytes(w.saveGeometry().toHex().data()).decode()
        s.window_state = bytes(w.saveState().toHex().data()).decode()
        s.splitter = bytes(w.splitter.saveState().toHex().data()).decode()
        try:
            s.save(self.settings_path)
        except OSError as exc:
            self._on_message(f"Could not save settings: {exc}")

    def _restore_geometry(self) -> None:
        s, w = self.window.settings, self.window
        if s.geometry:
            w.restoreGeometry(QByteArray.fromHex(s.geometry.encode()))
        else:
            w.resize(1400, 900)
        if s.window_state:
            w.restoreState(QByteArray.fromHex(s.window_state.encode()))
        if s.splitter:
            w.splitter.restoreState(QByteArray.fromHex(s.splitter.encode()))
