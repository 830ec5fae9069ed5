"""The training wizard's frame: page ids, the gated page base, and the ``QWizard`` itself.

Layout only; ``gui.controllers.wizard`` fills the pages, decides when Next is allowed and
runs the training.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QWidget, QWizard, QWizardPage


class Page(IntEnum):
    """Page ids, in order."""

    KIND = 0
    DATA = 1
    SETTINGS = 2
    TRAIN = 3
    FINISH = 4


class GatedPage(QWizardPage):
    """A page whose Next (or Finish) button its controller enables, with the reason shown
    in ``reason`` while it is disabled."""

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self._ready = True
        self.before_leaving: Callable[[], bool] | None = None  # a last check on Next
        self.reason = QLabel(self)
        self.reason.setObjectName("pageReason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: #b3261e;")
        self.reason.hide()

    def set_ready(self, ready: bool, reason: str = "") -> None:
        """Enable or disable Next; ``reason`` says why it is disabled."""
        self._ready = ready
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason) and not ready)
        self.completeChanged.emit()

    def show_message(self, text: str) -> None:
        """Show ``text`` where the reason goes, Next staying as it is (until ``set_ready``)."""
        self.reason.setText(text)
        self.reason.setVisible(bool(text))

    def validatePage(self) -> bool:  # noqa: N802 (Qt override)
        return self.before_leaving() if self.before_leaving is not None else True

    def isComplete(self) -> bool:  # noqa: N802 (Qt override)
        return self._ready


class TrainingWizard(QWizard):
    """Five pages: what to train, data, settings, training, finish.

    ``skip_to_training`` makes Next on the first page go straight to the training page (to
    resume an unfinished run). Closing it from the training or finish page (Close is shown
    on every page) only hides it (``QWizard`` would start over), so it can be shown again as
    it was.

    Signals:
        closed(): the wizard was closed or finished.
    """

    closed = Signal()

    def __init__(self, pages: dict[Page, QWizardPage], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainingWizard")
        self.setWindowTitle("Train a Model")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.CancelButton, "Close")
        self.resize(920, 700)
        self.skip_to_training = False
        for page_id, page in pages.items():
            self.setPage(int(page_id), page)
        self.setStartId(int(Page.KIND))

    def page_of(self, page_id: Page) -> QWizardPage:
        """The page with this id."""
        return self.page(int(page_id))

    def done(self, result: int) -> None:
        if result == QDialog.DialogCode.Rejected and self.currentId() >= Page.TRAIN:
            self.setResult(result)
            self.hide()
        else:
            super().done(result)
        self.closed.emit()

    def nextId(self) -> int:  # noqa: N802 (Qt override)
        if self.currentId() == Page.KIND and self.skip_to_training:
            return int(Page.TRAIN)
        return super().nextId()
