"""Queue wiring: adding photos (drop, dialogs, paste), checking them on entry, thumbnails,
and the row actions (remove, clear finished, retry failed, open output, reveal)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon, QImage, QPixmap
from PySide6.QtWidgets import QFileDialog

from engine import api
from gui.actions import Actions
from gui.background import call_in_pool
from gui.paths import expand, is_supported, paths_from_mime, supported_extensions
from gui.qimage import to_qimage
from gui.queue_model import FAILED, QueueItem, QueueModel
from gui.settings import GuiSettings
from gui.views.queue_view import QueueView

THUMB_MAX_SIDE = 96


def load_thumbnail(path: Path) -> QImage:
    """A small display image of ``path`` (runs in a pool thread; ``QImage`` is thread-safe)."""
    return to_qimage(api.load_display(path, max_side=THUMB_MAX_SIDE))


def unsupported_reason(path: Path) -> str:
    """The sentence for a file whose extension the engine cannot read."""
    kind = path.suffix or "extension-less"
    return (f"{path.name}: the {kind} format is not supported; "
            "convert it to JPEG, PNG, TIFF or WebP first.")


class QueueController(QObject):
    """Everything that changes the queue's rows outside a run.

    Signals:
        added(int): this many photos were added.
        current_changed(object): the current ``QueueItem`` (or ``None``).
    """

    added = Signal(int)
    current_changed = Signal(object)

    def __init__(self, model: QueueModel, view: QueueView, actions: Actions,
                 settings: GuiSettings) -> None:
        super().__init__(view)
        self.model, self.view, self.actions, self.settings = model, view, actions, settings
        actions.add_files.triggered.connect(self._on_add_files)
        actions.add_folder.triggered.connect(self._on_add_folder)
        actions.paste.triggered.connect(self._on_paste)
        actions.remove.triggered.connect(self._on_remove)
        actions.clear_finished.triggered.connect(self._on_clear_finished)
        actions.retry_failed.triggered.connect(self._on_retry_failed)
        actions.open_output.triggered.connect(self._on_open_output)
        actions.reveal.triggered.connect(self._on_reveal)
        view.table.selectionModel().selectionChanged.connect(self._on_selection)
        view.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        model.dataChanged.connect(self._on_data_changed)
        model.rowsRemoved.connect(self._update_actions)
        self._update_actions()

    # -- adding -------------------------------------------------------------------------
    def add_paths(self, paths: list[Path]) -> list[QueueItem]:
        """Add files and folders (folders expanded, recursively when set); returns new items."""
        new = self.model.add(expand([Path(p) for p in paths], self.settings.recursive))
        for item in new:
            self._check(item)
        if new:
            self.added.emit(len(new))
            if self.view.current_row() < 0:
                self.view.table.selectRow(self.model.row_of(new[0].path))
        self._update_actions()
        return new

    def handle_mime(self, mime: QMimeData | None) -> int:
        """Add what a drop or the clipboard carries; returns how many photos were added."""
        return len(self.add_paths(paths_from_mime(mime)))

    def _check(self, item: QueueItem) -> None:
        """Flag an unsupported file now; probe the header and load the thumbnail off-thread."""
        if not is_supported(item.path):
            self.model.update(item.path, status=FAILED, flagged=True,
                              reason=unsupported_reason(item.path))
            return
        call_in_pool(api.probe, item.path, tag=item.path,
                     on_done=self._on_probed, on_error=self._on_unreadable)

    @Slot(object, object)
    def _on_probed(self, path: Path, dims: tuple[int, int]) -> None:
        if self.model.row_of(path) < 0:
            return
        self.model.update(path, dims=tuple(dims))
        call_in_pool(load_thumbnail, path, tag=path,
                     on_done=self._on_thumbnail, on_error=self._on_unreadable)

    @Slot(object, object)
    def _on_thumbnail(self, path: Path, image: QImage) -> None:
        self.model.update(path, thumb=QIcon(QPixmap.fromImage(image)))

    @Slot(object, str)
    def _on_unreadable(self, path: Path, message: str) -> None:
        row = self.model.row_of(path)
        if row >= 0 and self.model.item(row).status not in ("running", "done"):
            self.model.update(path, status=FAILED, flagged=True, reason=message)

    # -- actions ------------------------------------------------------------------------
    @Slot()
    def _on_add_files(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in sorted(supported_extensions()))
        files, _ = QFileDialog.getOpenFileNames(
            self.view, "Add photos", self.settings.last_input_dir,
            f"Photos ({patterns});;All files (*)")
        if files:
            self.settings.last_input_dir = str(Path(files[0]).parent)
            self.add_paths([Path(f) for f in files])

    @Slot()
    def _on_add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.view, "Add a folder of photos",
                                                  self.settings.last_input_dir)
        if folder:
            self.settings.last_input_dir = folder
            self.add_paths([Path(folder)])

    @Slot()
    def _on_paste(self) -> None:
        self.handle_mime(QGuiApplication.clipboard().mimeData())

    @Slot()
    def _on_remove(self) -> None:
        rows = [r for r in self.view.selected_rows() if self.model.item(r).status != "running"]
        self.model.remove_rows(rows)

    @Slot()
    def _on_clear_finished(self) -> None:
        self.model.clear_finished()

    @Slot()
    def _on_retry_failed(self) -> None:
        for item in self.model.retry_failed():
            self._check(item)
        self._update_actions()

    def _current_output(self) -> Path | None:
        row = self.view.current_row()
        if row < 0:
            return None
        output = self.model.item(row).output
        return output if output and output.exists() else None

    @Slot()
    def _on_open_output(self) -> None:
        output = self._current_output()
        if output:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(output)))

    @Slot()
    def _on_reveal(self) -> None:
        output = self._current_output()
        if output:
            reveal_in_file_manager(output)

    # -- selection ----------------------------------------------------------------------
    def _on_selection(self, *_args) -> None:
        self._update_actions()

    def _on_current_row(self, *_args) -> None:
        row = self.view.current_row()
        self.current_changed.emit(self.model.item(row) if row >= 0 else None)
        self._update_actions()

    def _on_data_changed(self, top, _bottom, _roles=None) -> None:
        if top.row() == self.view.current_row():
            self._update_actions()

    def _update_actions(self, *_args) -> None:
        a = self.actions
        a.remove.setEnabled(bool(self.view.selected_rows()))
        statuses = {it.status for it in self.model.items()}
        a.clear_finished.setEnabled(bool(statuses & {"done", "skipped"}))
        a.retry_failed.setEnabled(bool(statuses & {"failed", "cancelled"}))
        has_output = self._current_output() is not None
        a.open_output.setEnabled(has_output)
        a.reveal.setEnabled(has_output)


def reveal_in_file_manager(path: Path) -> None:
    """Show ``path`` selected in Explorer or Finder; elsewhere open its folder."""
    if sys.platform == "win32":
        subprocess.Popen(["explorer", f"/select,{path}"])
    elif sys.platform == "darwin":
        subprocess.Popen(["open", "-R", str(path)])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
