"""The queue panel: action buttons above a table of photos (layout and painting only)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from gui.actions import Actions
from gui.queue_model import (
    COL_NAME,
    COL_OUTPUT,
    COL_SIZE,
    COL_STATUS,
    COL_THUMB,
    PERCENT_ROLE,
    RUNNING,
    STATUS_ROLE,
    QueueModel,
)

THUMB_SIDE = 40
_EMPTY_HINT = "Drop photos or folders here\nor use Add Files (Ctrl+O) / Add Folder (Ctrl+Shift+O)"


class StatusDelegate(QStyledItemDelegate):
    """Draws a progress bar in the Status cell of a running item; other statuses are text
    cut at the end (the whole reason is in the tooltip)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight  # type: ignore[attr-defined]

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if index.data(STATUS_ROLE) != RUNNING:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(4, 8, -4, -8)  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 100
        bar.progress = int(index.data(PERCENT_ROLE) or 0)
        bar.text = index.data(Qt.ItemDataRole.DisplayRole)
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
        style = option.widget.style() if option.widget else QApplication.style()  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, option.widget)  # type: ignore[attr-defined]


class QueueTable(QTableView):
    """A table that shows how to add photos while it is empty."""

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() > 0:
            return
        painter = QPainter(self.viewport())
        # QColor(...) copies: palette().color() refers into a temporary palette (a crash once freed)
        colour = QColor(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        painter.setPen(colour)
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        painter.setFont(font)
        rect: QRect = self.viewport().rect()
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, _EMPTY_HINT)
        painter.end()


class QueueView(QWidget):
    """Buttons for the queue actions and the table (``self.table``)."""

    def __init__(self, model: QueueModel, actions: Actions, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QueueTable(self)
        self.table.setObjectName("queueTable")
        self.table.setModel(model)
        model.flag_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._setup_table()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._buttons(actions))
        layout.addWidget(self.table)

    def _buttons(self, actions: Actions) -> QToolBar:
        """A tool bar: when the window is narrow, its overflow menu holds the rest."""
        bar = QToolBar(self)
        bar.setObjectName("queueToolBar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setIconSize(QSize(16, 16))
        for action in (actions.add_files, actions.add_folder, None, actions.remove,
                       actions.clear_finished, actions.retry_failed, None,
                       actions.open_output, actions.reveal):
            if action is None:
                bar.addSeparator()
            else:
                bar.addAction(action)
        return bar

    def _setup_table(self) -> None:
        table = self.table
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(THUMB_SIDE + 8)
        table.setItemDelegateForColumn(COL_STATUS, StatusDelegate(table))
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(COL_THUMB, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(COL_THUMB, THUMB_SIDE + 12)
        header.resizeSection(COL_NAME, 200)
        header.resizeSection(COL_SIZE, 150)
        header.resizeSection(COL_STATUS, 320)
        header.setSectionResizeMode(COL_OUTPUT, QHeaderView.ResizeMode.Stretch)
        table.setMinimumHeight(160)

    def selected_rows(self) -> list[int]:
        """Selected row numbers, ascending."""
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def current_row(self) -> int:
        """The current row, or -1."""
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1
