"""The batch queue: one row per input file, with its status and output (a Qt table model)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

COLUMNS = ("", "Name", "Size", "Status", "Output")
COL_THUMB, COL_NAME, COL_SIZE, COL_STATUS, COL_OUTPUT = range(len(COLUMNS))

QUEUED, RUNNING, DONE, SKIPPED, FAILED, CANCELLED = (
    "queued", "running", "done", "skipped", "failed", "cancelled",
)
FINISHED = (DONE, SKIPPED)
RETRYABLE = (FAILED, CANCELLED)
_ROOT = QModelIndex()
PERCENT_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2

# Mid-tone colours that read on both light and dark palettes.
_STATUS_COLOURS = {DONE: "#3a9d4a", SKIPPED: "#b58a00", FAILED: "#d64541", CANCELLED: "#8a8a8a"}


@dataclass
class QueueItem:
    """One input file.

    Attributes:
        path: the file.
        root: the folder it was added with (outputs mirror it when recursive), or ``None``.
        size: bytes on disk.
        dims: ``(width, height)`` from the header, once probed.
        status: queued, running, done, skipped, failed or cancelled.
        percent: progress of a running item, 0..100.
        reason: why it failed or was skipped.
        output: where its output goes (planned) or went.
        thumb: the thumbnail, once loaded.
        flagged: found unreadable on entry; left out of runs until retried.
    """

    path: Path
    root: Path | None = None
    size: int = 0
    dims: tuple[int, int] | None = None
    status: str = QUEUED
    percent: float = 0.0
    reason: str = ""
    output: Path | None = None
    thumb: QIcon | None = None
    flagged: bool = False

    @property
    def key(self) -> str:
        """Identity in the queue (absolute path)."""
        return os.path.abspath(self.path)

    def status_text(self) -> str:
        """What the Status column shows."""
        if self.status == RUNNING:
            return f"running {self.percent:.0f}%"
        if self.reason and self.status in (FAILED, SKIPPED):
            return f"{self.status}: {self.short_reason()}"
        return self.status

    def short_reason(self) -> str:
        """The reason without the leading file name (the Name column already shows it)."""
        prefix = f"{self.path.name}: "
        return self.reason[len(prefix):] if self.reason.startswith(prefix) else self.reason

    def size_text(self) -> str:
        """What the Size column shows: bytes, plus pixels once known."""
        text = human_bytes(self.size)
        return f"{text} · {self.dims[0]}×{self.dims[1]}" if self.dims else text


def human_bytes(n: int) -> str:
    """``1536`` -> ``1.5 KB``."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


class QueueModel(QAbstractTableModel):
    """The queue's rows. Views and controllers change it only through these methods."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: list[QueueItem] = []
        self._rows: dict[str, int] = {}
        self.flag_icon: QIcon | None = None  # shown for unreadable files (set by the view)

    # -- Qt model interface -------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0):
        if not index.isValid():
            return None
        item, col = self._items[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, col)
        if role == Qt.ItemDataRole.DecorationRole and col == COL_THUMB:
            return item.thumb if item.thumb is not None or not item.flagged else self.flag_icon
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, col)
        if role == Qt.ItemDataRole.ForegroundRole and col == COL_STATUS:
            colour = _STATUS_COLOURS.get(item.status)
            return QColor(colour) if colour else None
        if role == PERCENT_ROLE:
            return item.percent
        if role == STATUS_ROLE:
            return item.status
        return None

    @staticmethod
    def _display(item: QueueItem, col: int) -> str | None:
        if col == COL_NAME:
            return item.path.name
        if col == COL_SIZE:
            return item.size_text()
        if col == COL_STATUS:
            return item.status_text()
        if col == COL_OUTPUT:
            return str(item.output) if item.output else ""
        return None

    @staticmethod
    def _tooltip(item: QueueItem, col: int) -> str | None:
        if col == COL_STATUS and item.reason:
            return item.reason
        if col == COL_OUTPUT and item.output:
            return str(item.output)
        return str(item.path)

    # -- queue operations ---------------------------------------------------------------
    def items(self) -> list[QueueItem]:
        """All items, in order (do not mutate; use the methods below)."""
        return list(self._items)

    def item(self, row: int) -> QueueItem:
        """The item in ``row``."""
        return self._items[row]

    def row_of(self, path: Path | str) -> int:
        """The row of a file, or -1."""
        return self._rows.get(os.path.abspath(path), -1)

    def add(self, pairs: list[tuple[Path, Path | None]]) -> list[QueueItem]:
        """Append ``(file, root)`` pairs not already queued; returns the new items."""
        new = []
        for path, root in pairs:
            item = QueueItem(Path(path), root, size=_file_size(path))
            if item.key in self._rows or any(n.key == item.key for n in new):
                continue
            new.append(item)
        if new:
            first = len(self._items)
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            self._items.extend(new)
            self.endInsertRows()
            self._reindex()
        return new

    def remove_rows(self, rows: list[int]) -> None:
        """Remove rows (any order)."""
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._items):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._items[row]
                self.endRemoveRows()
        self._reindex()

    def clear_finished(self) -> int:
        """Remove done and skipped rows; returns how many."""
        rows = [r for r, it in enumerate(self._items) if it.status in FINISHED]
        self.remove_rows(rows)
        return len(rows)

    def retry_failed(self) -> list[QueueItem]:
        """Put failed and cancelled rows back to queued; returns them."""
        again = [it for it in self._items if it.status in RETRYABLE]
        for item in again:
            self.update(item.path, status=QUEUED, percent=0.0, reason="", flagged=False)
        return again

    def requeue_all(self) -> list[QueueItem]:
        """Put every readable row back to queued (to run the queue again, e.g. with another
        task); returns them."""
        again = [it for it in self._items if not it.flagged and it.status != QUEUED]
        for item in again:
            self.update(item.path, status=QUEUED, percent=0.0, reason="")
        return again

    def runnable_rows(self) -> list[int]:
        """Rows a run would process: queued and not flagged unreadable."""
        return [r for r, it in enumerate(self._items) if it.status == QUEUED and not it.flagged]

    def update(self, path: Path | str, **changes) -> None:
        """Change fields of one item (e.g. ``status=DONE, output=...``) and refresh its row."""
        row = self.row_of(path)
        if row < 0:
            return
        item = self._items[row]
        for name, value in changes.items():
            setattr(item, name, value)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _reindex(self) -> None:
        self._rows = {it.key: r for r, it in enumerate(self._items)}


def _file_size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0
