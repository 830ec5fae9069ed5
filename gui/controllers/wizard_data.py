"""Wizard pages 1 and 2 wiring: the training choices, and the data page's background scan,
thumbnails and degradation preview."""

from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QFileDialog, QListWidgetItem

from engine import api
from gui.background import call_in_pool
from gui.qimage import to_qimage
from gui.settings import GuiSettings
from gui.views.wizard_data import PREVIEW, THUMB, DataPage, FolderField

SCAN_DELAY_MS = 250  # typing in a folder field rescans once typing pauses
THUMBS = 8  # thumbnails shown, shared between the folders


@dataclass(frozen=True)
class Choice:
    """One thing the wizard can train.

    Attributes:
        kind: the engine's training kind.
        paired: ``True`` real pairs, ``False`` synthetic degradation, ``None`` n/a.
        title: the radio button's text.
        needs: one sentence on the data it needs.
        folder_a, folder_b: labels of the folder fields (``folder_b`` empty: one folder).
    """

    kind: str
    paired: bool | None
    title: str
    needs: str
    folder_a: str
    folder_b: str = ""

    @property
    def key(self) -> str:
        """Names the choice in the settings (remembered folders)."""
        return f"{self.kind}:{self.paired}"


CHOICES = tuple(Choice(spec.name, c.paired, c.title, c.needs, c.folder_a, c.folder_b)
                for spec in api.training_kinds() for c in spec.choices)


class DataController(QObject):
    """Scans the chosen folders off the UI thread and shows what training would use.

    Signals:
        scanned(object): the scan result (``api.scan_training_data``) now shown.
        preview_shown(): the degradation preview was drawn.
    """

    scanned = Signal(object)
    preview_shown = Signal()

    def __init__(self, page: DataPage, settings: GuiSettings | None = None) -> None:
        super().__init__(page)
        self.page = page
        self.gui_settings = settings
        self.choice: Choice | None = None
        self.result: api.DataScan | None = None
        self._generation = 0
        self._seed = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SCAN_DELAY_MS)
        self._timer.timeout.connect(self.rescan)
        for field in (page.folder_a, page.folder_b):
            field.edit.textChanged.connect(self._timer.start)
            field.browse.connect(lambda f=field: self._on_browse(f))
        page.another.clicked.connect(self._on_another)
        page.set_ready(False)

    def set_choice(self, choice: Choice) -> None:
        """Label the fields for ``choice`` and scan again."""
        self.choice = choice
        p = self.page
        p.folder_a.label.setText(choice.folder_a)
        p.folder_b.label.setText(choice.folder_b)
        p.folder_b.setVisible(bool(choice.folder_b))
        p.setSubTitle(choice.needs)
        remembered = self.gui_settings.training_folders if self.gui_settings else {}
        for field, suffix in ((p.folder_a, ""), (p.folder_b, ":b")):
            folder = remembered.get(choice.key + suffix)
            if isinstance(folder, str) and folder and not field.path():
                field.edit.setText(folder)
        self.rescan()

    def folders(self) -> tuple[str, str | None]:
        """``(data, data_b)`` as typed (``data_b`` ``None`` for one-folder choices)."""
        b = self.page.folder_b.path() if self.choice and self.choice.folder_b else None
        return self.page.folder_a.path(), b

    @Slot()
    def rescan(self) -> None:
        """Start a background scan; older answers still on their way are ignored."""
        if self.choice is None:
            return
        self._timer.stop()
        self._generation += 1
        self.result = None
        data, data_b = self.folders()
        self.page.set_ready(False)
        self.page.status.setText("Checking the folders…")
        call_in_pool(api.scan_training_data, self.choice.kind, data, data_b, None,
                     self.choice.paired, tag=self._generation, on_done=self._on_scanned,
                     on_error=self._on_scan_error)

    @Slot(object, object)
    def _on_scanned(self, generation: int, result: api.DataScan) -> None:
        if generation != self._generation:
            return
        self.result = result
        self._show(result)
        self.page.set_ready(result.usable, result.reason)
        if result.usable:
            self._remember()
        self.scanned.emit(result)

    @Slot(object, str)
    def _on_scan_error(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.page.status.setText("")
            self.page.set_ready(False, f"Could not check the folders: {message}")

    def _remember(self) -> None:
        """Keep the usable folders for the next session (saved with the window settings)."""
        if self.gui_settings is None or self.choice is None:
            return
        data, data_b = self.folders()
        folders = self.gui_settings.training_folders
        folders[self.choice.key] = data
        if data_b:
            folders[self.choice.key + ":b"] = data_b

    def _show(self, result: api.DataScan) -> None:
        p = self.page
        p.status.setText(summary_html(result))
        p.warnings.setText(" ".join(result.warnings))
        p.warnings.setVisible(bool(result.warnings))
        p.problems.clear()
        p.problems.addItems(list(result.problems))
        p.problems_label.setText(f"Skipped files ({len(result.problems)})")
        self._load_thumbs(result)
        synthetic = result.mode == "synthetic" and result.usable
        p.preview_box.setVisible(synthetic)
        if synthetic:
            self._load_preview()

    def _load_thumbs(self, result: api.DataScan) -> None:
        self.page.thumbs.clear()
        shown = usable = 0
        for folder in result.folders:
            paths = folder.thumbs[: THUMBS // max(1, len(result.folders))]
            shown += len(paths)
            usable += folder.images
            for path in paths:
                call_in_pool(api.load_display, path, THUMB, tag=(self._generation, path),
                             on_done=self._on_thumb, on_error=lambda *_: None)
        caption = self.page.thumbs_caption
        caption.setText(f"{shown} of {usable} usable images shown")
        caption.setVisible(0 < shown < usable)

    @Slot(object, object)
    def _on_thumb(self, tag, rgb) -> None:
        generation, path = tag
        if generation != self._generation:
            return
        pixmap = QPixmap.fromImage(to_qimage(rgb)).scaled(
            QSize(THUMB, THUMB), Qt.AspectRatioMode.KeepAspectRatio)
        item = QListWidgetItem(QIcon(pixmap), "")
        item.setToolTip(path)
        self.page.thumbs.addItem(item)

    def _load_preview(self) -> None:
        thumbs = self.result.folders[0].thumbs if self.result else ()
        if not thumbs or self.choice is None:
            return
        path = thumbs[self._seed % len(thumbs)]
        call_in_pool(api.degradation_preview, self.choice.kind, path, self._seed,
                     tag=self._generation, on_done=self._on_preview,
                     on_error=self._on_preview_error)

    @Slot(object, object)
    def _on_preview(self, generation: int, preview: api.DegradationPreview) -> None:
        if generation != self._generation:
            return
        for label, pixels in ((self.page.before, preview.before), (self.page.after, preview.after)):
            label.setPixmap(QPixmap.fromImage(to_qimage(pixels)).scaled(
                QSize(PREVIEW, PREVIEW), Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
        self.page.caption.setText(preview.caption)
        self.preview_shown.emit()

    @Slot(object, str)
    def _on_preview_error(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.page.caption.setText(f"No preview: {message}")

    @Slot()
    def _on_another(self) -> None:
        self._seed += 1
        self._load_preview()

    def _on_browse(self, field: FolderField) -> None:
        folder = QFileDialog.getExistingDirectory(self.page, field.label.text(), field.path())
        if folder:
            field.edit.setText(folder)


def _size(size) -> str:
    return f"{size[0]}×{size[1]}" if size else "?"


def summary_html(result: api.DataScan) -> str:
    """The scan in a few lines of HTML: counts and size ranges per folder."""
    lines = []
    if result.pairs is not None:
        lines.append(f"<b>{result.pairs} pair(s)</b> with matching names.")
    for folder in result.folders:
        count = folder.images
        sizes = (f", {_size(folder.smallest)} to {_size(folder.largest)} pixels"
                 if count else "")
        lines.append(f"{html.escape(folder.label)}: <b>{count} usable image(s)</b> in "
                     f"{html.escape(folder.root)}{sizes}.")
    if result.problems:
        lines.append(f"{len(result.problems)} file(s) skipped (listed below).")
    return "<br>".join(lines)
