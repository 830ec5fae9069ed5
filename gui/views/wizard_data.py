"""Wizard pages 1 and 2: what to train (and unfinished runs to resume), and the data."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from gui.paths import paths_from_mime
from gui.views.wizard import GatedPage

THUMB = 72
PREVIEW = 200


class KindPage(GatedPage):
    """One radio button per training choice, each with a sentence on the data it needs,
    and the unfinished runs (hidden when there are none)."""

    def __init__(self, choices: list[tuple[str, str]], parent: QWidget | None = None) -> None:
        super().__init__("What do you want to train?",
                         "Pick a model type; the next page asks for your photos.", parent)
        self.group = QButtonGroup(self)
        layout = QVBoxLayout(self)
        for index, (title, needs) in enumerate(choices):
            button = QRadioButton(title, self)
            button.setObjectName(f"choice_{index}")
            self.group.addButton(button, index)
            text = QLabel(needs, self)
            text.setWordWrap(True)
            text.setContentsMargins(24, 0, 0, 6)
            text.setStyleSheet("color: palette(placeholder-text);")
            layout.addWidget(button)
            layout.addWidget(text)
        self.runs_box = QGroupBox("Unfinished training runs", self)
        self.runs = QListWidget(self.runs_box)
        self.runs.setObjectName("unfinishedRuns")
        self.runs.setMaximumHeight(110)
        self.resume = QPushButton("Resume Selected Run", self.runs_box)
        self.resume.setObjectName("resumeRun")
        box = QVBoxLayout(self.runs_box)
        box.addWidget(self.runs)
        box.addWidget(self.resume, 0, Qt.AlignmentFlag.AlignRight)
        self.runs_box.hide()
        layout.addStretch(1)
        layout.addWidget(self.runs_box)
        layout.addWidget(self.reason)


class FolderField(QWidget):
    """A folder path: label, line edit and Browse; folders dropped on it fill it in.

    Signals:
        browse(): the Browse button was pressed.
    """

    browse = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.label = QLabel(self)
        self.label.setMinimumWidth(150)
        self.edit = QLineEdit(self)
        self.edit.setObjectName(f"folder_{name}")
        self.edit.setPlaceholderText("Drop a folder here, or Browse…")
        self.edit.setAcceptDrops(False)
        self.button = QPushButton("Browse…", self)
        self.button.clicked.connect(self.browse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def path(self) -> str:
        """The folder as typed (stripped)."""
        return self.edit.text().strip()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if _folder_of(paths_from_mime(event.mimeData())):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        folder = _folder_of(paths_from_mime(event.mimeData()))
        if folder is not None:
            event.acceptProposedAction()
            self.edit.setText(str(folder))


def _folder_of(paths: list[Path]) -> Path | None:
    """The dropped folder (or the folder of a dropped file)."""
    if not paths:
        return None
    first = paths[0]
    return first if first.is_dir() else first.parent


class DataPage(GatedPage):
    """Folder fields, the scan's summary, problems and thumbnails, and the degradation
    preview (synthetic modes only)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Your photos", "PhotoGAN checks the folders in the background.",
                         parent)
        self.folder_a = FolderField("a", self)
        self.folder_b = FolderField("b", self)
        self.status = QLabel(self)
        self.status.setObjectName("scanStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.warnings = QLabel(self)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("color: #8a5a00;")
        self.thumbs = QListWidget(self)
        self.thumbs.setObjectName("thumbs")
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setFlow(QListView.Flow.LeftToRight)
        self.thumbs.setWrapping(False)
        self.thumbs.setIconSize(QSize(THUMB, THUMB))
        self.thumbs.setFixedHeight(THUMB + 34)
        self.thumbs_caption = QLabel(self)
        self.thumbs_caption.setObjectName("thumbsCaption")
        self.thumbs_caption.setStyleSheet("color: palette(placeholder-text);")
        self.thumbs_caption.hide()
        self.problems = QListWidget(self)
        self.problems.setObjectName("problems")
        self.problems.setWordWrap(True)
        self.problems_label = QLabel("Skipped files", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folder_a)
        layout.addWidget(self.folder_b)
        layout.addWidget(self.status)
        layout.addWidget(self.warnings)
        layout.addWidget(self.thumbs)
        layout.addWidget(self.thumbs_caption)
        layout.addWidget(self._preview_box())
        layout.addWidget(self.problems_label)
        layout.addWidget(self.problems, 1)
        layout.addWidget(self.reason)

    def _preview_box(self) -> QGroupBox:
        self.preview_box = QGroupBox("What the model will learn from", self)
        self.before = QLabel(self.preview_box)
        self.after = QLabel(self.preview_box)
        for label in (self.before, self.after):
            label.setFixedSize(PREVIEW, PREVIEW)
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setStyleSheet("background: palette(dark);")
        self.caption = QLabel(self.preview_box)
        self.caption.setWordWrap(True)
        self.another = QPushButton("Another Example", self.preview_box)
        text = QVBoxLayout()
        text.addWidget(QLabel("<b>Target</b> (your photo) and <b>input</b> (made from it)"))
        text.addWidget(self.caption)
        text.addStretch(1)
        text.addWidget(self.another, 0, Qt.AlignmentFlag.AlignLeft)
        row = QHBoxLayout(self.preview_box)
        row.addWidget(self.before)
        row.addWidget(self.after)
        row.addLayout(text, 1)
        return self.preview_box
