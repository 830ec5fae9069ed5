"""Wizard page 3: presets with time estimates, and the advanced settings."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from gui.views.wizard import GatedPage

PRESETS = (("quick", "Quick"), ("standard", "Standard"), ("long", "Long"))


class SettingsPage(GatedPage):
    """Preset radio buttons (their labels carry the estimate), the device, and an
    expandable advanced section."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("How long to train", "Longer runs learn more. You can stop any "
                         "time and keep what the model has learned so far.", parent)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Start Training")
        self.group = QButtonGroup(self)
        self.preset_buttons: dict[str, QRadioButton] = {}
        layout = QVBoxLayout(self)
        for index, (name, title) in enumerate(PRESETS):
            button = QRadioButton(title, self)
            button.setObjectName(f"preset_{name}")
            self.group.addButton(button, index)
            self.preset_buttons[name] = button
            layout.addWidget(button)
        self.device = QLabel(self)
        self.device.setObjectName("deviceLabel")
        self.estimate = QLabel(self)
        self.estimate.setObjectName("estimate")
        self.estimate.setTextFormat(Qt.TextFormat.RichText)
        self.toggle = QToolButton(self)
        self.toggle.setText("Advanced")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.toggled.connect(self._on_toggle)
        self.advanced = self._advanced()
        self.advanced.hide()
        layout.addSpacing(8)
        layout.addWidget(self.device)
        layout.addWidget(self.estimate)
        layout.addSpacing(8)
        layout.addWidget(self.toggle)
        layout.addWidget(self.advanced)
        layout.addStretch(1)
        layout.addWidget(self.reason)

    def _advanced(self) -> QFrame:
        frame = QFrame(self)
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        self.steps = _spin(frame, "steps", 1, 10_000_000, 100, "Generator updates")
        self.batch = _spin(frame, "batch", 1, 256, 1, "Images per update")
        self.crop = MultipleSpinBox(frame)
        self.crop.setObjectName("crop")
        self.crop.setRange(8, 1024)
        self.crop.setSingleStep(16)
        self.crop.setToolTip("Training crop side in pixels")
        self.crop.setSuffix(" px")
        self.lr = QDoubleSpinBox(frame)
        self.lr.setObjectName("lr")
        self.lr.setDecimals(6)
        self.lr.setRange(1e-6, 1e-2)
        self.lr.setSingleStep(1e-5)
        self.width = _spin(frame, "width", 2, 256, 4, "Filters in the generator's first layer")
        self.blocks = _spin(frame, "blocks", 1, 32, 1, "Residual blocks in the generator")
        self.backend = QComboBox(frame)
        self.backend.setObjectName("backend")
        self.extra = QLineEdit(frame)
        self.extra.setObjectName("extraOptions")
        self.extra.setPlaceholderText("NAME=VALUE, … (as photogan train --set)")
        form = QFormLayout(frame)
        form.addRow("Steps", self.steps)
        form.addRow("Batch size", self.batch)
        form.addRow("Crop size", self.crop)
        form.addRow("Learning rate", self.lr)
        form.addRow("Model width", self.width)
        form.addRow("Model depth", self.blocks)
        form.addRow("Keras backend", self.backend)
        form.addRow("More options", self.extra)
        return frame

    def _on_toggle(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)


class MultipleSpinBox(QSpinBox):
    """A spin box whose arrows always land on a multiple of ``multiple`` (set it together
    with a single step that is a multiple of it); a typed value is kept as typed."""

    multiple = 1

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        target = self.value() + steps * self.singleStep()
        off = target % self.multiple
        if off:  # from a typed, off-grid value: the next multiple in the arrow's direction
            target += -off if steps > 0 else self.multiple - off
        self.setValue(target)


def _spin(parent: QWidget, name: str, low: int, high: int, step: int, tip: str) -> QSpinBox:
    spin = QSpinBox(parent)
    spin.setObjectName(name)
    spin.setRange(low, high)
    spin.setSingleStep(step)
    spin.setToolTip(tip)
    return spin
