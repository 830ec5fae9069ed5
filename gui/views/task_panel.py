"""The task panel: task choice and its options, output settings, processing settings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from gui.views.param_form import ParamForm

FORMATS = (("Same as input", "same"), ("PNG", "png"), ("JPEG", "jpg"), ("TIFF", "tiff"),
           ("WebP", "webp"))
DEVICES = (("Automatic", "auto"), ("CPU", "cpu"), ("GPU", "gpu"))


class WeightsBanner(QFrame):
    """Says a task's model is missing, with a button to the model manager."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("weightsBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        icon.setPixmap(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton("Open Model Manager…", self)
        text = QVBoxLayout()
        text.addWidget(self.message)
        text.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        layout = QHBoxLayout(self)
        layout.addWidget(icon)
        layout.addLayout(text, 1)


class TaskPanel(QScrollArea):
    """Widgets only; ``gui.controllers.tasks`` fills and reads them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addWidget(self._task_group())
        layout.addWidget(self._output_group())
        layout.addWidget(self._processing_group())
        layout.addStretch(1)
        self.setWidget(body)
        self.setMinimumWidth(320)
        self.form: ParamForm | None = None

    def _task_group(self) -> QGroupBox:
        box = QGroupBox("Task", self)
        self.task_combo = QComboBox(box)
        self.task_combo.setObjectName("taskCombo")
        self.description = QLabel(box)
        self.description.setWordWrap(True)
        self.banner = WeightsBanner(box)
        self.banner.hide()
        self.options_box = QGroupBox("Options", box)
        self.options_layout = QVBoxLayout(self.options_box)
        self.reset_button = QPushButton("Reset to Defaults", self.options_box)
        self.options_layout.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(box)
        layout.addWidget(self.task_combo)
        layout.addWidget(self.description)
        layout.addWidget(self.banner)
        layout.addWidget(self.options_box)
        return box

    def _output_group(self) -> QGroupBox:
        box = QGroupBox("Output", self)
        self.out_dir = QLineEdit(box)
        self.out_dir.setObjectName("outputDir")
        self.browse_out = QPushButton("Browse…", box)
        folder = QHBoxLayout()
        folder.addWidget(self.out_dir, 1)
        folder.addWidget(self.browse_out)
        self.naming = QLabel(box)
        self.naming.setObjectName("namingPreview")
        self.naming.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.format_combo = QComboBox(box)
        for title, value in FORMATS:
            self.format_combo.addItem(title, value)
        self.quality = QSpinBox(box)
        self.quality.setRange(1, 100)
        self.quality.setToolTip("JPEG and WebP quality (1-100)")
        self.overwrite = QCheckBox("Replace existing outputs (otherwise skip them)", box)
        self.recursive = QCheckBox("Include sub-folders (mirrored in the output)", box)
        form = QFormLayout(box)
        form.addRow("Folder", folder)
        form.addRow("Names", self.naming)
        form.addRow("Format", self.format_combo)
        form.addRow("Quality", self.quality)
        form.addRow(self.overwrite)
        form.addRow(self.recursive)
        return box

    def _processing_group(self) -> QGroupBox:
        box = QGroupBox("Processing", self)
        self.tile = QSpinBox(box)
        self.tile.setObjectName("tileSize")
        self.tile.setRange(0, 8192)
        self.tile.setSingleStep(64)
        self.tile.setSpecialValueText("Automatic")
        self.tile.setSuffix(" px")
        self.tile.setToolTip("Tile size in pixels; smaller uses less memory. "
                             "Automatic picks it from free memory.")
        self.device = QComboBox(box)
        for title, value in DEVICES:
            self.device.addItem(title, value)
        form = QFormLayout(box)
        form.addRow("Tile size", self.tile)
        form.addRow("Device", self.device)
        return box

    def set_form(self, form: ParamForm) -> None:
        """Replace the options form."""
        if self.form is not None:
            self.form.setParent(None)
            self.form.deleteLater()
        self.form = form
        self.options_layout.insertWidget(0, form)
