"""Sampler wiring for the ``sample`` task: generate a grid with a seed, re-roll, save the
ticked images, play the latent-walk GIF."""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QMovie, QPixmap
from PySide6.QtWidgets import QFileDialog, QListWidgetItem

from engine import api
from engine.errors import PhotoGANError
from engine.events import Event, Notice, ProgressEvent
from gui.controllers.tasks import TaskController
from gui.hints import explain, notice_text
from gui.jobs import generate_job
from gui.settings import GuiSettings
from gui.views.param_form import ParamForm
from gui.views.sampler_view import CELL, SamplerView
from gui.worker import Worker, WorkerHost

TASK_ID = "sample"
_STILLS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


class SamplerController(QObject):
    """Runs ``api.generate("sample", ...)`` in the worker and shows what it wrote.

    Signals:
        generated(object): the written paths (empty when nothing was generated).
        message(str): a line for the status bar.
    """

    generated = Signal(object)
    message = Signal(str)

    def __init__(self, view: SamplerView, tasks: TaskController, settings: GuiSettings,
                 host: WorkerHost, task_id: str = TASK_ID) -> None:
        super().__init__(view)
        self.view, self.tasks, self.settings, self.host = view, tasks, settings, host
        self.task_id = task_id
        self.worker: Worker | None = None
        self.paths: list[Path] = []
        self._movie: QMovie | None = None
        view.generate.clicked.connect(self.generate)
        view.reroll.clicked.connect(self._on_reroll)
        view.cancel.clicked.connect(self.host.cancel)
        view.save.clicked.connect(self._on_save)
        host.busy_changed.connect(self._update_buttons)
        self.refresh()

    @property
    def task(self) -> api.TaskInfo | None:
        """The ``sample`` task's description (``None`` when the engine has none)."""
        return self.tasks.tasks.get(self.task_id)

    def refresh(self) -> None:
        """Rebuild from the task list (after models changed)."""
        task = self.task
        self.view.set_available(bool(task))
        if not task:
            return
        form = ParamForm(task.params, self.settings.options_for(self.task_id))
        form.changed.connect(self._on_options_changed)
        self.view.set_form(form)
        ready = task.weights_ready
        self.view.weights_label.setText("" if ready else task.weights_message)
        self.view.weights_label.setVisible(not ready)
        self._update_buttons()

    @Slot()
    def generate(self) -> bool:
        """Generate with the current options; returns whether it started."""
        if self.host.busy or not self.task or self.view.form is None:
            return False
        try:
            settings = self.tasks.run_settings()
        except PhotoGANError as exc:
            self._on_failed(explain(exc))
            return False
        settings.out_dir = Path(tempfile.mkdtemp(prefix="photogan-samples-"))
        job = generate_job(self.task_id, self.view.form.values(), settings)
        worker = Worker(job, name="sample")
        worker.progress.connect(self._on_progress)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self.worker = worker
        self.view.progress.setValue(0)
        self.view.message.setText("Generating…")
        self.host.start(worker)
        return True

    @Slot()
    def _on_reroll(self) -> None:
        seed = self.view.form.widget("seed") if self.view.form else None
        if seed is not None and hasattr(seed, "setValue"):
            seed.setValue(random.randint(0, min(seed.maximum(), 2**31 - 1)))
        self.generate()

    @Slot(object)
    def _on_progress(self, event: Event) -> None:
        if isinstance(event, ProgressEvent):
            self.view.progress.setValue(int(event.fraction * 100))
        elif isinstance(event, Notice):
            self.view.message.setText(notice_text(event))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.view.message.setText(message)
        self.message.emit(message)

    @Slot(object)
    def _on_finished(self, paths: list[Path] | None) -> None:
        self.worker = None
        self.paths = [Path(p) for p in (paths or [])]
        self._show(self.paths)
        if paths is not None:
            self.view.message.setText(f"{len(self.paths)} file(s) generated.")
        self.view.progress.setValue(100 if paths else 0)
        self.generated.emit(self.paths)

    def _show(self, paths: list[Path]) -> None:
        grid = self.view.grid
        grid.clear()
        for path in paths:
            if path.suffix.lower() in _STILLS:
                pixmap = QPixmap(str(path)).scaled(
                    QSize(CELL, CELL), Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation)
                item = QListWidgetItem(QIcon(pixmap), path.stem)
                item.setData(Qt.ItemDataRole.UserRole, str(path))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
                grid.addItem(item)
        gifs = [p for p in paths if p.suffix.lower() == ".gif"]
        self._play(gifs[0] if gifs else None)

    def _play(self, gif: Path | None) -> None:
        if self._movie is not None:
            self._movie.stop()
        self._movie = None
        if gif is None:
            return
        movie = QMovie(str(gif), parent=self)
        movie.setScaledSize(QSize(CELL * 2, CELL * 2))
        self.view.walk.setMovie(movie)
        movie.start()
        self._movie = movie

    @Slot()
    def _on_save(self) -> None:
        grid = self.view.grid
        ticked = [Path(grid.item(i).data(Qt.ItemDataRole.UserRole)) for i in range(grid.count())
                  if grid.item(i).checkState() == Qt.CheckState.Checked]
        if not ticked:
            self.message.emit("Tick the images to keep first.")
            return
        folder = QFileDialog.getExistingDirectory(self.view, "Save images to",
                                                  self.tasks.output_dir())
        if folder:
            for path in ticked:
                shutil.copy2(path, Path(folder) / path.name)
            self.message.emit(f"Saved {len(ticked)} image(s) to {folder}.")

    @Slot()
    def _on_options_changed(self) -> None:
        if self.view.form is not None:
            self.settings.remember_options(self.task_id, self.view.form.values())

    def _update_buttons(self, *_args) -> None:
        ready = self.task is not None and self.task.weights_ready
        busy = self.host.busy
        self.view.generate.setEnabled(ready and not busy)
        self.view.reroll.setEnabled(ready and not busy)
        self.view.cancel.setEnabled(busy and self.worker is not None)
