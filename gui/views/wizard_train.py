"""Wizard pages 4 and 5: training (curves, samples, speed, pause/stop) and finishing
(naming the model and adding it to the store), plus the status-bar indicator of a run."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.views.wizard import GatedPage
from gui.views.wizard_chart import LossChart

STATS = (("step", "Step"), ("speed", "Speed"), ("elapsed", "Training time"),
         ("eta", "Time left"), ("val", "Validation"))


class TrainPage(GatedPage):
    """Progress, figures, loss curves and the latest sample grid; Pause/Resume and Stop,
    and Continue for a stopped run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Training", "The rest of PhotoGAN stays usable, and closing this "
                         "window keeps the run going in the background.", parent)
        self.heading = QLabel(self)
        self.heading.setObjectName("runHeading")
        self.heading.setWordWrap(True)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("trainProgress")
        self.stats: dict[str, QLabel] = {}
        grid = QGridLayout()
        for col, (key, title) in enumerate(STATS):
            caption = QLabel(title, self)
            caption.setStyleSheet("color: palette(placeholder-text);")
            value = QLabel("–", self)
            value.setObjectName(f"stat_{key}")
            self.stats[key] = value
            grid.addWidget(caption, 0, col)
            grid.addWidget(value, 1, col)
        self.chart = LossChart(self)
        self.sample = QLabel(self)
        self.sample.setObjectName("sampleImage")
        self.sample.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sample.setMinimumSize(240, 160)
        self.sample.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.sample_caption = QLabel("Samples appear here as they are written.", self)
        self.sample_caption.setWordWrap(True)
        samples = QWidget(self)
        column = QVBoxLayout(samples)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.sample, 1)
        column.addWidget(self.sample_caption)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.chart)
        split.addWidget(samples)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([540, 360])
        self.pause = QPushButton("Pause", self)
        self.pause.setObjectName("pauseButton")
        self.stop = QPushButton("Stop", self)
        self.stop.setObjectName("stopButton")
        self.stop.setToolTip("Save a checkpoint and stop; you can continue later")
        self.resume = QPushButton("Continue Training", self)
        self.resume.setObjectName("continueButton")
        self.resume.hide()
        self.message = QLabel(self)
        self.message.setObjectName("trainMessage")
        self.message.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.pause)
        buttons.addWidget(self.stop)
        buttons.addWidget(self.resume)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.progress)
        layout.addLayout(grid)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.reason)


class FinishPage(GatedPage):
    """The model's name, the button that stores it, and its model card."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Name your model", "It goes into your model store and is selected "
                         "in the task panel, ready to use.", parent)
        self.summary = QLabel(self)
        self.summary.setObjectName("finishSummary")
        self.summary.setWordWrap(True)
        self.name = QLineEdit(self)
        self.name.setObjectName("modelName")
        self.save = QPushButton("Add to My Models", self)
        self.save.setObjectName("saveModel")
        self.status = QLabel(self)
        self.status.setObjectName("saveStatus")
        self.status.setWordWrap(True)
        self.card = QTextBrowser(self)
        self.card.setObjectName("finishCard")
        self.card.setPlaceholderText("The model card appears here once the model is saved.")
        row = QHBoxLayout()
        row.addWidget(QLabel("Name", self))
        row.addWidget(self.name, 1)
        row.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.card, 1)
        layout.addWidget(self.reason)


class TrainingIndicator(QWidget):
    """Status-bar widget: a small progress bar and a button that opens the wizard
    (showing a running run, or offering to resume an unfinished one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingIndicator")
        self.bar = QProgressBar(self)
        self.bar.setFixedWidth(110)
        self.bar.setMaximumHeight(16)
        self.bar.setTextVisible(False)
        self.button = QToolButton(self)
        self.button.setObjectName("trainingButton")
        self.button.setAutoRaise(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.bar)
        self.hide()
