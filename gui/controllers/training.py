"""The app-wide training session (one run at a time, outliving the wizard) and its wiring to
the main window: the Train action, the status-bar indicator, the resume offer after a
restart, closing during a run, and selecting a finished model in the task panel.

A run that finishes (or fails) while the wizard is closed is announced: a status-bar message,
a desktop notification where the desktop has a system tray (``notify``), and the indicator
offering to name and save the trained model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from engine import api
from engine.events import Event, TrainStep
from gui.background import call_in_pool
from gui.controllers.wizard import WizardController, open_wizard
from gui.training_worker import TrainingWorker
from gui.views.confirm import confirm_quit
from gui.worker import WorkerHost

if TYPE_CHECKING:
    from gui.main_window import MainWindow

# Session states: idle, running, paused, stopping, stopped (checkpoint saved), done, failed.
ACTIVE = ("running", "paused", "stopping")


def ask_stop_training(parent: QWidget) -> bool:
    """Ask whether to stop the training run and close (tests replace this)."""
    return confirm_quit(parent, "A model is training. Stop it (a checkpoint is saved) and "
                                "close PhotoGAN?\n\nYou can continue it from Tools > Train "
                                "a Model next time.")


def notify(window: QWidget, title: str, text: str) -> bool:
    """A desktop notification (through a system-tray icon where the desktop has a tray),
    and the taskbar entry asks for attention; ``True`` when a notification was shown.
    Tests replace this."""
    QApplication.alert(window)
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return False
    tray = window.findChild(QSystemTrayIcon, "trainingTray")
    if tray is None:
        tray = QSystemTrayIcon(window.windowIcon(), window)
        tray.setObjectName("trainingTray")
        tray.setToolTip("PhotoGAN")
        tray.messageClicked.connect(window.raise_)
    tray.show()
    tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15000)
    return True


class TrainingSession(QObject):
    """Runs training plans on a ``WorkerHost`` of its own and remembers the run's progress.

    Signals:
        state_changed(str): the new state (see ``ACTIVE`` and the module constants).
        progress(object): the running step's ``engine.events.TrainStep``.
        finished(object): the run summary, or ``None`` after a failure.
        failed(str): the sentence to show.
    """

    state_changed = Signal(str)
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = WorkerHost(self)
        self.worker: TrainingWorker | None = None
        self.plan: api.TrainRequest | None = None
        self.state = "idle"
        self.last = None
        self.summary: api.TrainSummary | None = None
        self.error = ""
        self.history: list[api.HistoryRow] = []

    @property
    def active(self) -> bool:
        """Whether a run is in progress (running, paused or stopping)."""
        return self.state in ACTIVE

    def start(self, plan: api.TrainRequest) -> bool:
        """Start (or resume) ``plan``; ``False`` while another run is active."""
        if self.active or self.host.busy:
            return False
        self.plan, self.summary, self.error, self.last = plan, None, "", None
        self.history = self._saved_history(plan) if plan.resume else []
        worker = TrainingWorker(plan)
        worker.progress.connect(self._on_progress)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        worker.pause_changed.connect(self._on_pause_changed)
        self.worker = worker
        self._set_state("running")
        self.host.start(worker)
        return True

    def resume_stopped(self) -> bool:
        """Continue the stopped run from its checkpoint."""
        if self.plan is None or self.state != "stopped":
            return False
        plan = api.TrainRequest(kind=self.plan.kind, out=self.plan.out, resume=True)
        return self.start(plan)

    def pause(self) -> None:
        """Pause after the current step."""
        if self.worker is not None and self.state == "running":
            self.worker.pause()

    def resume(self) -> None:
        """Continue a paused run."""
        if self.worker is not None and self.state == "paused":
            self.worker.resume()

    def stop(self) -> None:
        """Stop; the engine saves a checkpoint first."""
        if self.worker is not None and self.active:
            self._set_state("stopping")
            self.worker.cancel()

    def _saved_history(self, plan: api.TrainRequest) -> list[api.HistoryRow]:
        try:
            rows = api.training_history(plan.out)
            found = api.describe_training_run(plan.out)
            step = found.step if found else 0
        except OSError:
            return []
        return [r for r in rows if r.step <= step]

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    @Slot(object)
    def _on_progress(self, event: Event) -> None:
        if not isinstance(event, TrainStep):
            return
        self.last = event
        values = dict(event.losses)
        if event.validated:
            values[event.metric] = event.val
        row = api.HistoryRow(step=event.done, values=values)
        self.history = [r for r in self.history if r.step < event.done] + [row]
        self.progress.emit(event)

    @Slot(bool)
    def _on_pause_changed(self, paused: bool) -> None:
        if self.state in ("running", "paused"):
            self._set_state("paused" if paused else "running")

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.error = message
        self.failed.emit(message)

    @Slot(object)
    def _on_finished(self, summary: api.TrainSummary | None) -> None:
        self.worker = None
        self.summary = summary
        if summary is not None and self.plan is not None:
            self.history = api.training_history(self.plan.out) or self.history
        if summary is None:
            state = "failed" if self.error else "stopped"
        else:
            state = "done" if summary.status == "done" else "stopped"
        self._set_state(state)
        self.finished.emit(summary)

    def shutdown(self, msecs: int = 60000) -> None:
        """Stop any run and wait for its thread (the window is closing)."""
        if self.worker is not None:
            self.worker.cancel()
        self.host.wait(msecs)


def indicator_text(session: TrainingSession) -> tuple[str, int, int]:
    """``(button text, done, total)`` for the status-bar indicator of an active run."""
    event = session.last
    done, total = (event.done, event.total) if event is not None else (0, 0)
    kind = session.plan.kind if session.plan else ""
    state = {"paused": "paused", "stopping": "stopping…"}.get(session.state, "")
    label = f"Training {kind}: step {done}/{total}" if total else f"Training {kind}: starting…"
    return (f"{label} ({state})" if state else label), done, total


class TrainingController(QObject):
    """Main-window side of training: opens the wizard, shows the indicator, offers to resume
    unfinished runs at start-up, asks before closing during a run, and selects the trained
    model in the task panel.

    Signals:
        model_added(str, str): ``(task id, model id)`` of a model the wizard stored.
    """

    model_added = Signal(str, str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session = TrainingSession(self)
        self.wizard: WizardController | None = None
        self.unfinished: list[api.TrainingRun] = []
        self.closing = False
        indicator = window.training_indicator
        indicator.button.clicked.connect(self.open_wizard)
        window.actions.train.triggered.connect(self.open_wizard)
        self.session.state_changed.connect(self._on_state)
        self.session.progress.connect(self._update_indicator)
        self.session.finished.connect(self._on_finished)
        self.session.failed.connect(self._on_failed)
        self.model_added.connect(self._on_model_added)
        self.refresh_unfinished()

    def refresh_unfinished(self) -> None:
        """Look for unfinished runs (in the background) to offer them."""
        call_in_pool(api.list_training_runs, None, True, on_done=self._on_unfinished,
                     on_error=lambda *_: None)

    @Slot(object, object)
    def _on_unfinished(self, _tag, runs: list[api.TrainingRun]) -> None:
        current = str(self.session.plan.out) if self.session.plan else ""
        self.unfinished = [r for r in runs if r.run != current]
        self._update_indicator()

    @Slot()
    def open_wizard(self) -> WizardController:
        """Show the wizard: the one of an active run, or a new one."""
        keep = self.wizard is not None and (self.session.active or self.wizard.visible
                                            or self.wizard.holds_run)
        if not keep:
            if self.wizard is not None:
                self.wizard.dispose()
            self.wizard = open_wizard(self.window, self.session, self.model_added,
                                      self.window.settings)
            self.wizard.set_unfinished(self.unfinished)
            self.wizard.closed.connect(self._on_wizard_closed)
            self.wizard.saved.connect(self._update_indicator)
        self.wizard.show_finish()
        return self.wizard

    def _unsaved(self) -> bool:
        """Whether a finished run's model waits to be named and saved."""
        return self.wizard is not None and self.wizard.unsaved

    @Slot(object)
    def _on_finished(self, summary: api.TrainSummary | None) -> None:
        if summary is None or self.wizard is None or self.wizard.visible:
            return
        if self._unsaved():
            kind = self.session.plan.kind if self.session.plan else ""
            text = (f"The {kind} model has finished training but is not saved yet: click "
                    "“Name and save” in the status bar to add it to your models.")
            self.window.status.showMessage(text)
            notify(self.window, "PhotoGAN: training finished", text)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        if self.wizard is None or not self.wizard.visible:
            text = f"Training stopped with an error: {message}"
            self.window.status.showMessage(text)
            notify(self.window, "PhotoGAN: training stopped", text)

    @Slot()
    def _on_wizard_closed(self) -> None:
        if self.session.active:
            self.window.status.showMessage("Training goes on in the background; click its "
                                           "progress in the status bar to watch it.", 8000)

    @Slot(str)
    def _on_state(self, state: str) -> None:
        if state in ("stopped", "done", "failed"):
            self.refresh_unfinished()
        self._update_indicator()
        if self.closing and not self.session.active:
            self.window.close()

    @Slot()
    def _update_indicator(self, *_args) -> None:
        indicator, session = self.window.training_indicator, self.session
        if session.active:
            text, done, total = indicator_text(session)
            indicator.bar.setRange(0, max(total, 1))
            indicator.bar.setValue(done)
            indicator.bar.show()
            indicator.button.setText(text)
            indicator.button.setToolTip("Show the training run")
            indicator.show()
        elif self._unsaved():
            kind = session.plan.kind if session.plan else ""
            indicator.bar.hide()
            indicator.button.setText(f"Trained {kind} model: Name and save…")
            indicator.button.setToolTip("The run finished; name the model to add it to your "
                                        "models")
            indicator.show()
        elif self.unfinished:
            run = self.unfinished[0]
            indicator.bar.hide()
            indicator.button.setText(f"Resume training ({len(self.unfinished)} unfinished)…")
            indicator.button.setToolTip(f"{run.kind} run stopped at step {run.step} of "
                                        f"{run.steps}: {run.run}")
            indicator.show()
        else:
            indicator.hide()

    @Slot(str, str)
    def _on_model_added(self, task_id: str, model_id: str) -> None:
        w = self.window
        w.tasks.refresh_tasks()
        w.sampler.refresh()
        if w.tasks.select_model(task_id, model_id):
            w.status.showMessage(f"Your model '{model_id}' is selected in the task panel.", 8000)
        elif task_id == "sample":
            w.tabs.setCurrentWidget(w.sampler_view)
            form = w.sampler_view.form
            if form is not None:
                form.set_values({**form.values(), "model": model_id})

    def may_close(self) -> bool:
        """Whether the window may close now; during a run: ask, stop, close when stopped."""
        if not self.session.active:
            return True
        if self.closing:
            return False
        if not ask_stop_training(self.window):
            return False
        self.closing = True
        self.session.stop()
        return False

    def shutdown(self) -> None:
        """The window closes: end the training thread, close the wizard, drop the tray."""
        self.session.shutdown()
        if self.wizard is not None:
            self.wizard.dispose()
            self.wizard = None
        tray = self.window.findChild(QSystemTrayIcon, "trainingTray")
        if tray is not None:
            tray.hide()
