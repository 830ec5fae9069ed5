"""The window's actions (menu items, toolbar buttons, shortcuts), created in one place.

Views place these actions; controllers connect their ``triggered`` signals.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle, QWidget

_SP = QStyle.StandardPixmap


class Actions(QObject):
    """Every main action, with its shortcut, tooltip and standard icon."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        style = parent.style()

        def make(text: str, shortcut=None, icon=None, tip: str = "") -> QAction:
            action = QAction(text, parent)
            if shortcut is not None:
                action.setShortcut(QKeySequence(shortcut))
            if icon is not None:
                action.setIcon(style.standardIcon(icon))
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip or text} ({keys})" if keys else (tip or text))
            parent.addAction(action)
            return action

        self.add_files = make("Add Files…", "Ctrl+O", _SP.SP_FileIcon, "Add photos to the queue")
        self.add_folder = make("Add Folder…", "Ctrl+Shift+O", _SP.SP_DirIcon,
                               "Add every photo in a folder")
        self.paste = make("Paste Paths", QKeySequence.StandardKey.Paste, None,
                          "Add files or folders whose paths are on the clipboard")
        self.remove = make("Remove", QKeySequence.StandardKey.Delete, _SP.SP_TrashIcon,
                           "Remove the selected photos from the queue")
        self.clear_finished = make("Clear Finished", None, _SP.SP_DialogResetButton,
                                   "Remove done and skipped photos from the queue")
        self.retry_failed = make("Retry Failed", None, _SP.SP_BrowserReload,
                                 "Queue failed and cancelled photos again")
        self.open_output = make("Open Output", None, _SP.SP_DialogOpenButton,
                                "Open the selected photo's output")
        self.reveal = make("Show in Folder", None, _SP.SP_DirOpenIcon,
                           "Show the selected photo's output in the file manager")
        self.start = make("Start", "Ctrl+Return", _SP.SP_MediaPlay, "Process the queue")
        self.cancel = make("Cancel", "Esc", _SP.SP_MediaStop,
                           "Stop after the current step; no partial file is left")
        self.preview = make("Preview", "Ctrl+P", _SP.SP_MediaSeekForward,
                            "Run the task on the visible region only")
        self.zoom_fit = make("Fit", "Ctrl+0", None, "Fit the photo in the view")
        self.zoom_100 = make("100%", "Ctrl+1", None, "Show actual pixels")
        self.side_by_side = make("Side by Side", "Ctrl+B", None,
                                 "Before and after next to each other instead of a split")
        self.side_by_side.setCheckable(True)
        self.models = make("Model Manager…", "Ctrl+M", _SP.SP_DriveHDIcon,
                           "See, verify, import and remove models")
        self.train = make("Train a Model…", "Ctrl+T", _SP.SP_ComputerIcon,
                          "Train your own model on your photos")
        self.quit = make("Quit", QKeySequence.StandardKey.Quit)
        self.open_logs = make("Open Log Folder", None, _SP.SP_DirOpenIcon,
                              "Open the folder of PhotoGAN's log files (attach the newest "
                              "to a bug report)")
        self.about = make("About PhotoGAN")
        self.cancel.setEnabled(False)
