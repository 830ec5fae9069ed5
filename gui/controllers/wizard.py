"""The training wizard's wiring: page flow, the unfinished-run offer, the training page (live
figures, curves, samples, pause/stop/continue) and the finish page (naming and storing the
model). Data and settings pages have controllers of their own.

A start that fails before the first step (settings or data the engine refuses, a model that
cannot be built) returns to the page it came from with the engine's sentence and leaves no
run behind: the run folder, if it was made, is removed, and the wizard no longer holds a run,
so the next Train opens a fresh one.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Qt, QTimer, Signal, SignalInstance, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QListWidgetItem, QWidget

from engine import api
from engine.errors import PhotoGANError
from engine.events import Event, TrainStep
from gui.background import call_in_pool
from gui.controllers.models import ModelEntry, card_html
from gui.controllers.wizard_data import CHOICES, Choice, DataController
from gui.controllers.wizard_settings import SettingsController, format_duration
from gui.hints import explain
from gui.settings import GuiSettings
from gui.views.wizard import GatedPage, Page, TrainingWizard
from gui.views.wizard_data import DataPage, KindPage
from gui.views.wizard_settings import SettingsPage
from gui.views.wizard_train import FinishPage, TrainPage

if TYPE_CHECKING:  # the session's module imports this one to open the wizard
    from gui.controllers.training import TrainingSession

HIDDEN_COLUMNS = ("lr", "images_per_s", "seconds")
# "Time left" outside a running run (a paused or stopped run has no time left to count down)
ETA_STATES = {"paused": "paused", "stopping": "stopping…", "stopped": "stopped",
              "done": "done", "failed": "–"}


class WizardController(QObject):
    """Runs one wizard over the app's ``TrainingSession``.

    Signals:
        closed(): the wizard was closed (the run, if any, goes on).
        saved(object): the ``[{"id", "task"}]`` the finish page stored.
    """

    closed = Signal()
    saved = Signal(object)

    def __init__(self, wizard: TrainingWizard, session: TrainingSession,
                 model_added: SignalInstance | None = None,
                 gui_settings: GuiSettings | None = None) -> None:
        super().__init__(wizard)
        self.wizard, self.session, self.model_added = wizard, session, model_added
        self.kind_page: KindPage = wizard.page_of(Page.KIND)
        self.train_page: TrainPage = wizard.page_of(Page.TRAIN)
        self.finish_page: FinishPage = wizard.page_of(Page.FINISH)
        self.data = DataController(wizard.page_of(Page.DATA), gui_settings)
        self.settings = SettingsController(wizard.page_of(Page.SETTINGS))
        self.settings.page.before_leaving = self._settings_fit
        self.choice: Choice | None = None
        self.resume_plan: api.TrainRequest | None = None
        self.run_dir: Path | None = None
        self.unfinished: list[api.TrainingRun] = []
        self.exports: list[api.ExportedModel] = []
        self._connect()
        self.kind_page.set_ready(False)

    def _connect(self) -> None:
        k, t, f = self.kind_page, self.train_page, self.finish_page
        k.group.idToggled.connect(self._on_choice)
        k.resume.clicked.connect(self._on_resume_run)
        k.runs.itemSelectionChanged.connect(self._on_run_selected)
        self.wizard.currentIdChanged.connect(self._on_page)
        self.wizard.closed.connect(self.closed)
        t.pause.clicked.connect(self._on_pause)
        t.stop.clicked.connect(self.session.stop)
        t.resume.clicked.connect(self.session.resume_stopped)
        f.name.textChanged.connect(self._on_name)
        f.save.clicked.connect(self._on_save)
        self.session.progress.connect(self._on_progress)
        self.session.state_changed.connect(self._on_state)
        self.session.failed.connect(self._on_failed)

    # -- showing --------------------------------------------------------------------------
    @property
    def visible(self) -> bool:
        """Whether the wizard window is shown."""
        return self.wizard.isVisible()

    @property
    def holds_run(self) -> bool:
        """Whether this wizard started a run whose model is not stored yet (so reopening
        the wizard should show this one again); not after the run failed."""
        failed = self._mine() and self.session.state == "failed"
        return self.run_dir is not None and not self.exports and not failed

    @property
    def unsaved(self) -> bool:
        """Whether this wizard's run finished every step and its model is not stored yet."""
        return self.holds_run and self._mine() and self.session.state == "done"

    def show_finish(self) -> None:
        """Show the wizard; on a finished run's training page, go on to naming the model."""
        self.show()
        if self.unsaved and self.wizard.currentId() == Page.TRAIN:
            self.wizard.next()

    def show(self) -> None:
        """Show and raise the wizard."""
        self.wizard.show()
        self.wizard.raise_()
        self.wizard.activateWindow()

    def dispose(self) -> None:
        """Close and delete the wizard (not while its run is active)."""
        self.wizard.hide()
        self.wizard.deleteLater()

    # -- page 1 ---------------------------------------------------------------------------
    def set_unfinished(self, runs: list[api.TrainingRun]) -> None:
        """Offer these runs (from ``api.list_training_runs``) for resuming."""
        self.unfinished = list(runs)
        lst = self.kind_page.runs
        lst.clear()
        for run in runs:
            item = QListWidgetItem(f"{run.kind}: step {run.step} of {run.steps} "
                                   f"({run.status}), {Path(run.data).name or '?'} — "
                                   f"{Path(run.run).name}")
            item.setToolTip(run.run)
            lst.addItem(item)
        self.kind_page.runs_box.setVisible(bool(runs))
        self.kind_page.resume.setEnabled(False)
        if runs:
            lst.setCurrentRow(0)

    @Slot(int, bool)
    def _on_choice(self, index: int, checked: bool) -> None:
        if not checked:
            return
        self.choice = CHOICES[index]
        self.wizard.skip_to_training = False
        self.kind_page.set_ready(True)

    @Slot()
    def _on_run_selected(self) -> None:
        self.kind_page.resume.setEnabled(bool(self.kind_page.runs.selectedItems()))

    @Slot()
    def _on_resume_run(self) -> None:
        row = self.kind_page.runs.currentRow()
        if row < 0:
            return
        run = self.unfinished[row]
        self.resume_plan = api.TrainRequest(kind=run.kind, out=Path(run.run), resume=True)
        self.wizard.skip_to_training = True
        self.kind_page.set_ready(True)
        self.wizard.next()

    # -- page flow ------------------------------------------------------------------------
    @Slot(int)
    def _on_page(self, page_id: int) -> None:
        if page_id == Page.DATA and self.choice is not None:
            if self.data.choice != self.choice:
                self.data.set_choice(self.choice)
        elif page_id == Page.SETTINGS and self.choice is not None:
            if self.settings.kind != self.choice.kind:
                self.settings.setup(self.choice.kind)
        elif page_id == Page.TRAIN and self.run_dir is None:
            self._start()
        elif page_id == Page.FINISH:
            self._enter_finish()

    def _settings_fit(self) -> bool:
        """Start Training's last check (the page already gates it as values change)."""
        problem = self.settings.check()
        if problem:
            self.settings.page.set_ready(False, problem)
        return not problem

    def _start(self) -> None:
        page = self.train_page
        if self.resume_plan is not None:
            plan = self.resume_plan
        else:
            data, data_b = self.data.folders()
            try:
                plan = self.settings.plan(data, data_b, api.new_training_run_dir(
                    self.choice.kind))
            except PhotoGANError as exc:
                message = explain(exc)
                QTimer.singleShot(0, lambda m=message: self._back_with(m))
                return
        page.heading.setText(_heading(plan))
        page.message.setText("Starting…")
        for key in page.stats:
            page.stats[key].setText("–")
        page.set_ready(False)
        self.run_dir = Path(plan.out)
        if not self.session.start(plan):
            self.run_dir = None
            QTimer.singleShot(0, lambda: self._back_with(
                "Another training run is still active; wait for it to stop."))
            return
        self._draw_history()

    def _back_with(self, message: str) -> None:
        """Return from the training page to the page before it, showing ``message``."""
        self.run_dir = None
        self.resume_plan = None
        self.wizard.skip_to_training = False
        if self.wizard.currentId() != Page.TRAIN:
            return
        self.wizard.back()
        if self.wizard.currentId() == Page.KIND:
            self.kind_page.set_ready(self.choice is not None)
        page = self.wizard.currentPage()
        if isinstance(page, GatedPage):
            page.show_message(message)

    # -- page 4 ---------------------------------------------------------------------------
    @Slot()
    def _on_pause(self) -> None:
        if self.session.state == "paused":
            self.session.resume()
        else:
            self.session.pause()

    @Slot(object)
    def _on_progress(self, event: Event) -> None:
        if not self._mine() or not isinstance(event, TrainStep):
            return
        page = self.train_page
        page.progress.setRange(0, max(1, event.total))
        page.progress.setValue(event.done)
        page.stats["step"].setText(f"{event.done} / {event.total}")
        speed = event.images_per_s or 0.0
        page.stats["speed"].setText(f"{speed:.1f} images/s" if speed else "measuring…")
        if self.session.state == "running":
            page.stats["eta"].setText(format_duration(event.eta_s) if speed else "–")
        if event.validated:
            page.stats["val"].setText(f"{event.val:.4g}")
        page.stats["elapsed"].setText(format_duration(event.seconds))
        self._draw_history()
        if event.samples:
            self._show_sample(event.samples, event.done)

    def _draw_history(self) -> None:
        series: dict[str, list[tuple[int, float]]] = {}
        for row in self.session.history:
            for key, value in row.values.items():
                if key not in HIDDEN_COLUMNS and value is not None:
                    series.setdefault(key, []).append((row.step, value))
        self.train_page.chart.set_series(series)

    def _show_sample(self, path: str, step: int) -> None:
        label = self.train_page.sample
        pixmap = QPixmap(path)
        if pixmap.isNull():
            return
        size = label.size().expandedTo(QSize(240, 160))
        label.setPixmap(pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.FastTransformation))
        self.train_page.sample_caption.setText(
            f"{Path(path).name}: fixed validation images, {_grid_help(self._kind())}")

    def _kind(self) -> str:
        plan = self.session.plan
        return plan.kind if plan else ""

    def _mine(self) -> bool:
        plan = self.session.plan
        return plan is not None and self.run_dir is not None and Path(plan.out) == self.run_dir

    @Slot(str)
    def _on_state(self, state: str) -> None:
        if not self._mine():
            return
        page = self.train_page
        active = state in ("running", "paused", "stopping")
        page.pause.setText("Resume" if state == "paused" else "Pause")
        page.pause.setEnabled(state in ("running", "paused"))
        page.stop.setEnabled(state in ("running", "paused"))
        page.resume.setVisible(state == "stopped")
        messages = {"running": "Training…", "paused": "Paused after the last step.",
                    "stopping": "Stopping after this step; saving a checkpoint…",
                    "stopped": "Stopped; checkpoint saved. Continue Training, or Next to keep "
                               "the model as it is now.",
                    "done": "Done. Next: name your model."}
        if state in messages:
            page.message.setText(messages[state])
        if state in ETA_STATES:
            page.stats["eta"].setText(ETA_STATES[state])
        summary = self.session.summary
        if summary is not None:
            page.stats["elapsed"].setText(format_duration(summary.seconds))
        if state in ("stopped", "done"):
            self._draw_history()
            if summary is not None and summary.samples:
                self._show_sample(summary.samples, 0)
        step = summary.step if summary is not None else 0
        ready = not active and state in ("stopped", "done") and step > 0
        page.set_ready(ready, "" if ready or active else "Train for at least one step first.")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if not self._mine():
            return
        last = self.session.last
        if last is not None and last.done > 0:  # it trained (or resumed): keep its page
            self.train_page.message.setText(f"Training stopped with an error: {message}")
            return
        # Nothing was trained: no run to keep; back to where it started, with the reason.
        if self.resume_plan is None:
            api.discard_training_run(self.run_dir)
        self._back_with(f"Training could not start: {message}")

    # -- page 5 ---------------------------------------------------------------------------
    def _enter_finish(self) -> None:
        page, summary = self.finish_page, self.session.summary
        losses = ", ".join(f"{k} {v:.4g}" for k, v in (summary.losses if summary else {}).items())
        step, steps, seconds = (summary.step, summary.steps, summary.seconds) if summary else (
            0, 0, 0.0)
        page.summary.setText(
            f"Trained {step} of {steps} steps in "
            f"{format_duration(seconds)}. Final losses: {losses or '–'}.")
        if not page.name.text():
            page.name.setText(_free_name(f"my-{self._kind()}", self._kind()))
        page.set_ready(False, "Add the model to your store first (Close keeps only the run "
                              "folder).")
        self._on_name(page.name.text())

    @Slot(str)
    def _on_name(self, name: str) -> None:
        page = self.finish_page
        try:
            api.check_model_name(self._kind(), name.strip())
        except PhotoGANError as exc:
            page.save.setEnabled(False)
            page.status.setText(explain(exc))
            return
        page.save.setEnabled(True)
        page.status.setText("")

    @Slot()
    def _on_save(self) -> None:
        page = self.finish_page
        name = page.name.text().strip()
        page.save.setEnabled(False)
        page.name.setEnabled(False)
        page.status.setText(f"Adding '{name}' to your models…")
        call_in_pool(api.export_training_run, self.run_dir, name, tag=name,
                     on_done=self._on_saved, on_error=self._on_save_failed)

    @Slot(object, object)
    def _on_saved(self, name: str, exports: list[api.ExportedModel]) -> None:
        page = self.finish_page
        first = exports[0]
        rows = [r for r in api.list_models(first.task) if r.id == first.id]
        if rows:
            page.card.setHtml(card_html(ModelEntry.from_row(rows[0])))
        names = ", ".join(f"{e.id} ({e.task})" for e in exports)
        page.status.setText(f"Saved as {names}; it is selected in the task panel.")
        page.set_ready(True)
        self.exports = list(exports)
        self.saved.emit(exports)
        if self.model_added is not None:
            self.model_added.emit(first.task, first.id)

    @Slot(object, str)
    def _on_save_failed(self, name: str, message: str) -> None:
        page = self.finish_page
        page.name.setEnabled(True)
        page.save.setEnabled(True)
        page.status.setText(f"Could not save '{name}': {message}")


def _heading(plan: api.TrainRequest) -> str:
    if plan.resume:
        return f"Continuing the {plan.kind} run in {plan.out}"
    folders = f"{plan.data}" + (f" and {plan.data_b}" if plan.data_b else "")
    return f"Training {plan.kind} on {folders}; run folder {plan.out}"


def _grid_help(kind: str) -> str:
    return api.training_kind(kind).sample_heading if kind else ""


def _free_name(base: str, kind: str) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever name is free."""
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        try:
            api.check_model_name(kind, name)
        except PhotoGANError:
            continue
        return name
    return base


def open_wizard(parent: QWidget, session: TrainingSession,
                model_added: SignalInstance | None = None,
                gui_settings: GuiSettings | None = None) -> WizardController:
    """Build the wizard and its controller (the caller shows it); ``gui_settings`` remembers
    the data folders between sessions."""
    pages = {Page.KIND: KindPage([(c.title, c.needs) for c in CHOICES]),
             Page.DATA: DataPage(), Page.SETTINGS: SettingsPage(), Page.TRAIN: TrainPage(),
             Page.FINISH: FinishPage()}
    wizard = TrainingWizard(pages, parent)
    return WizardController(wizard, session, model_added, gui_settings)
