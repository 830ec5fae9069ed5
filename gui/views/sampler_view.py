"""The sampler view for the ``sample`` task: options, a grid of generated images and the
latent-walk animation."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from gui.views.icon_grid import icon_grid
from gui.views.param_form import ParamForm

CELL = 128
UNAVAILABLE = ("The sampler needs the <b>sample</b> task (a DCGAN generator), which this "
               "installation does not have yet.")


class SamplerView(QStackedWidget):
    """Page 0 says the sampler is unavailable; page 1 is the sampler."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.unavailable = QLabel(UNAVAILABLE, self)
        self.unavailable.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unavailable.setWordWrap(True)
        self.addWidget(self.unavailable)
        self.addWidget(self._sampler_page())
        self.form: ParamForm | None = None

    def _sampler_page(self) -> QWidget:
        page = QWidget(self)
        self.options_box = QGroupBox("Options", page)
        self.options_layout = QVBoxLayout(self.options_box)
        self.weights_label = QLabel(page)
        self.weights_label.setWordWrap(True)
        self.generate = QPushButton("Generate", page)
        self.reroll = QPushButton("Re-roll (new seed)", page)
        self.cancel = QPushButton("Cancel", page)
        self.progress = QProgressBar(page)
        self.message = QLabel(page)
        self.message.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.options_box)
        left.addWidget(self.weights_label)
        for widget in (self.generate, self.reroll, self.cancel, self.progress, self.message):
            left.addWidget(widget)
        left.addStretch(1)
        self.grid = icon_grid(page, CELL, "sampleGrid")
        self.grid.setSpacing(6)
        self.save = QPushButton("Save Checked…", page)
        self.walk = QLabel("The latent walk plays here after a run with the GIF option.", page)
        self.walk.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.walk.setMinimumSize(CELL, CELL)
        right = QVBoxLayout()
        right.addWidget(QLabel("Generated images (tick the ones to keep)", page))
        right.addWidget(self.grid, 3)
        right.addWidget(self.save, 0, Qt.AlignmentFlag.AlignRight)
        right.addWidget(self.walk, 1)
        layout = QHBoxLayout(page)
        layout.addLayout(left, 1)
        layout.addLayout(right, 3)
        return page

    def set_available(self, available: bool) -> None:
        """Show the sampler, or the sentence saying why it is not there."""
        self.setCurrentIndex(1 if available else 0)

    def set_form(self, form: ParamForm) -> None:
        """Replace the options form."""
        if self.form is not None:
            self.form.setParent(None)
            self.form.deleteLater()
        self.form = form
        self.options_layout.addWidget(form)
