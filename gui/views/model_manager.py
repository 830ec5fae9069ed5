"""The model manager dialog: every model in the store, its card, and verify/import/remove."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Model", "Task", "Source", "Size", "Status")


class ModelManagerDialog(QDialog):
    """Widgets only; ``gui.controllers.models`` fills them and handles the buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelManager")
        self.setWindowTitle("Model Manager")
        self.resize(900, 520)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setObjectName("modelNotice")
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("modelTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, len(COLUMNS)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.card = QTextBrowser(self)
        self.card.setObjectName("modelCard")
        self.card.setOpenExternalLinks(True)
        self.card.setPlaceholderText("Select a model to read its card.")
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.card)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.verify = QPushButton("Verify", self)
        self.import_button = QPushButton("Import File…", self)
        self.remove = QPushButton("Remove", self)
        self.refresh = QPushButton("Refresh", self)
        self.train = QPushButton("Train New Model…", self)
        self.train.setObjectName("trainModel")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        buttons = QHBoxLayout()
        for button in (self.verify, self.import_button, self.remove, self.refresh, self.train):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
