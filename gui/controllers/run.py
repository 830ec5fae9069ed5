"""Run wiring: plan the queue, run it in the worker, show progress and ETA, cancel."""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from engine import api
from engine.errors import PhotoGANError
from engine.events import (
    Event,
    GenerateProgress,
    ItemProgress,
    ItemStarted,
    IterationProgress,
    Notice,
    SampleWritten,
    TileProgress,
)
from gui.actions import Actions
from gui.controllers.tasks import TaskController
from gui.hints import error_text, explain, notice_text
from gui.jobs import batch_job
from gui.queue_model import CANCELLED, QUEUED, RUNNING, QueueItem, QueueModel
from gui.views.run_bar import RunBar
from gui.worker import Worker, WorkerHost

# What the per-photo label counts, by event type.
_UNIT_WORDS: tuple[tuple[type, str], ...] = (
    (TileProgress, "tile"), (IterationProgress, "iteration"), (GenerateProgress, "generate"),
    (SampleWritten, "write"),
)


def plan_items(items: list[QueueItem], task_id: str,
               settings: api.RunSettings) -> list[api.PlanItem]:
    """One engine plan item per queue item, in queue order.

    Folders are planned as the user added them, so outputs mirror their sub-folders when
    recursive; a file no longer found that way (e.g. recursion was turned off) is planned on
    its own.
    """
    roots = list(dict.fromkeys(it.root for it in items if it.root is not None))
    direct = [it.path for it in items if it.root is None]
    planned = {os.path.abspath(p.input): p for p in api.plan([*roots, *direct], task_id, settings)}
    out = []
    for item in items:
        found = planned.get(item.key)
        out.append(found if found is not None else api.plan([item.path], task_id, settings)[0])
    return out


def format_eta(seconds: float) -> str:
    """``83`` -> ``about 1 min 23 s left``."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"about {seconds} s left"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"about {minutes} min {secs:02d} s left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min left"


class RunController(QObject):
    """Starts and cancels batch runs and reflects their progress in the queue and run bar.

    Signals:
        run_started(): a batch began.
        run_finished(object): the ``BatchResult`` (``None`` when the run failed as a whole);
            emitted after the queue has been updated.
        message(str): a line for the status bar.
    """

    run_started = Signal()
    run_finished = Signal(object)
    message = Signal(str)

    def __init__(self, model: QueueModel, bar: RunBar, actions: Actions,
                 tasks: TaskController, host: WorkerHost, parent: QWidget) -> None:
        super().__init__(parent)
        self.model, self.bar, self.actions, self.tasks, self.host = (
            model, bar, actions, tasks, host)
        self.worker: Worker | None = None
        self.last_error = ""
        self._paths: list[Path] = []
        self._names: list[str] = []
        self._finished = 0
        self._item_fraction = 0.0
        self._started_at = 0.0
        self._left_out = 0
        actions.start.triggered.connect(self.start)
        actions.cancel.triggered.connect(self.cancel)
        host.busy_changed.connect(self._on_busy)
        tasks.task_changed.connect(self._on_busy)
        self._on_busy()

    @property
    def running(self) -> bool:
        """Whether a batch run is in progress."""
        return self.worker is not None

    # -- start and cancel ---------------------------------------------------------------
    @Slot()
    def start(self) -> bool:
        """Run every queued photo with the chosen task; returns whether a run started.

        When nothing is queued but photos have finished (say the user picked another task),
        the whole queue runs again; existing outputs follow the overwrite/skip setting.
        """
        if self.host.busy:
            return False
        rows = self.model.runnable_rows()
        if not rows and self.model.requeue_all():
            rows = self.model.runnable_rows()
        if not rows:
            self.message.emit("Nothing to run: add photos first.")
            return False
        task_id = self.tasks.task_id()
        try:
            settings = self.tasks.run_settings()
            items = [self.model.item(r) for r in rows]
            plan = plan_items(items, task_id, settings)
        except PhotoGANError as exc:
            self._warn("Cannot start", explain(exc))
            return False
        self._left_out = sum(1 for it in self.model.items() if it.flagged)
        self._begin(plan, task_id, settings)
        return True

    def _begin(self, plan: list[api.PlanItem], task_id: str, settings: api.RunSettings) -> None:
        self._paths = [p.input for p in plan]
        self._names = [p.input.name for p in plan]
        for p in plan:
            self.model.update(p.input, status=QUEUED, percent=0.0, reason="", output=p.output)
        self._finished, self._item_fraction = 0, 0.0
        self._started_at = time.monotonic()
        self.last_error = ""
        worker = Worker(batch_job(plan, task_id, self.tasks.options(), settings), name="batch")
        worker.progress.connect(self._on_progress)
        worker.item_done.connect(self._on_item_done)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self.worker = worker
        self.bar.reset()
        self.bar.overall_label.setText(f"Running {task_id} on {len(plan)} photo(s)…")
        self.host.start(worker)
        self.run_started.emit()

    @Slot()
    def cancel(self) -> None:
        """Ask the running work to stop (the current item leaves no partial file)."""
        if self.host.busy:
            self.host.cancel()
            self.message.emit("Cancelling after the current step…")

    # -- worker signals -----------------------------------------------------------------
    @Slot(object)
    def _on_progress(self, event: Event) -> None:
        if self.worker is None:
            return
        if isinstance(event, ItemStarted):
            self._on_item_start(event.item)
        elif isinstance(event, Notice):
            self.message.emit(notice_text(event))
        elif (isinstance(event, ItemProgress) and event.item is not None
              and event.item < len(self._paths)):
            self._item_fraction = event.fraction
            self.model.update(self._paths[event.item], percent=event.fraction * 100)
            self.bar.show_item_progress(int(event.fraction * 100))
            word = next((w for cls, w in _UNIT_WORDS if isinstance(event, cls)), "step")
            self.bar.item_label.setText(
                f"{self._names[event.item]}: {word} {event.done}/{event.total}")
        self._update_overall()

    def _on_item_start(self, index: int) -> None:
        self._item_fraction = 0.0
        self.model.update(self._paths[index], status=RUNNING, percent=0.0)
        self.bar.item.setValue(0)
        self.bar.item_label.setText(self._names[index])
        self.bar.overall_label.setText(f"Photo {index + 1} of {len(self._paths)}")

    @Slot(int, object)
    def _on_item_done(self, index: int, result: api.ItemResult) -> None:
        if not 0 <= index < len(self._paths):
            return
        self._finished += 1
        self._item_fraction = 0.0
        path = self._paths[index]
        status = result.status
        reason = ("cancelled; no output was written" if status == CANCELLED
                  else error_text(result))
        row = self.model.row_of(path)
        planned = self.model.item(row).output if row >= 0 else None
        output = result.output or (planned if status == "skipped" else None)
        self.model.update(path, status=status, percent=100.0 if status == "done" else 0.0,
                          reason=reason, output=output)
        self._update_overall()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.last_error = message
        self._warn("Run failed", message)

    @Slot(object)
    def _on_finished(self, result: api.BatchResult | None) -> None:
        cancelled = bool(result and result.cancelled) or (
            self.worker is not None and self.worker.cancelled)
        for path in self._paths:
            row = self.model.row_of(path)
            if row >= 0 and self.model.item(row).status == RUNNING:
                self.model.update(path, status=CANCELLED if cancelled else QUEUED,
                                  percent=0.0, reason="cancelled; no output was written")
        self.worker = None
        summary = self._summary(result, cancelled)
        self.bar.overall_label.setText(summary)
        self.bar.eta.setText("")
        self.bar.item_label.setText("")
        self.bar.item.setValue(0)
        self.bar.item.setTextVisible(False)
        self.message.emit(summary)
        self.run_finished.emit(result)

    # -- display ------------------------------------------------------------------------
    def _update_overall(self) -> None:
        total = max(1, len(self._paths))
        fraction = min(1.0, (self._finished + self._item_fraction) / total)
        self.bar.overall.setValue(int(fraction * 100))
        elapsed = time.monotonic() - self._started_at
        if 0.01 < fraction < 1.0 and elapsed > 1.0:
            self.bar.eta.setText(format_eta(elapsed * (1.0 - fraction) / fraction))

    def _summary(self, result: api.BatchResult | None, cancelled: bool) -> str:
        if result is None:
            return "Cancelled." if cancelled else "The run did not start; see the message."
        counts = ", ".join(f"{result.count(s)} {s}" for s in ("done", "skipped", "failed")
                           if result.count(s))
        head = "Cancelled" if cancelled else "Finished"
        text = f"{head}: {counts or 'nothing processed'} in {result.seconds:.1f} s."
        if self._left_out:
            text += f" {self._left_out} unreadable file(s) left out."
        return text

    @Slot()
    def _on_busy(self, *_args) -> None:
        busy = self.host.busy
        self.actions.start.setEnabled(not busy and self.tasks.weights_ready())
        self.actions.cancel.setEnabled(busy)

    def _warn(self, title: str, text: str) -> None:
        self.message.emit(text)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self.parent())
        box.setObjectName("runMessage")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
