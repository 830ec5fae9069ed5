"""Task panel wiring: the task list from the engine, generated options, output settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QFileDialog

from engine import api
from gui.settings import GuiSettings
from gui.views.param_form import ParamForm
from gui.views.task_panel import TaskPanel

_EXT = {"png": "png", "jpg": "jpg", "tiff": "tif", "webp": "webp"}


def describe_tasks() -> list[api.TaskInfo]:
    """Every task the engine offers (image and generate kinds)."""
    return api.describe_tasks()


class TaskController(QObject):
    """Fills the task panel, remembers its values in the settings, and reads them for a run.

    Signals:
        task_changed(str): another task was chosen.
        models_requested(): the user asked for the model manager.
    """

    task_changed = Signal(str)
    models_requested = Signal()

    def __init__(self, panel: TaskPanel, settings: GuiSettings) -> None:
        super().__init__(panel)
        self.panel, self.settings = panel, settings
        self.tasks: dict[str, api.TaskInfo] = {}
        self._example = "IMG_0001.jpg"
        self._load_output_settings()
        self._connect()
        self.refresh_tasks()

    # -- reading ------------------------------------------------------------------------
    def task_id(self) -> str:
        """The chosen task's id ("" when there is none)."""
        return self.panel.task_combo.currentData() or ""

    def task(self) -> api.TaskInfo | None:
        """The chosen task's description (``None`` when there is none)."""
        return self.tasks.get(self.task_id())

    def options(self) -> dict:
        """The chosen task's option values, typed."""
        return self.panel.form.values() if self.panel.form else {}

    def weights_ready(self) -> bool:
        """Whether the chosen task can run."""
        task = self.task()
        return task is not None and task.weights_ready

    def run_settings(self) -> api.RunSettings:
        """Run settings from the panel. Raises ``UsageError`` for invalid values."""
        p = self.panel
        return api.RunSettings(
            out_dir=Path(self.output_dir()).expanduser(),
            format=p.format_combo.currentData(),
            quality=p.quality.value(),
            overwrite=p.overwrite.isChecked(),
            recursive=p.recursive.isChecked(),
            tile=self.tile(),
            device=p.device.currentData(),
        )

    def tile(self) -> int:
        """Tile size in pixels (0 for automatic; anything below 32 counts as 32)."""
        tile = self.panel.tile.value()
        return max(tile, 32) if tile else 0

    def output_dir(self) -> str:
        """The output folder as typed."""
        return self.panel.out_dir.text().strip()

    # -- filling ------------------------------------------------------------------------
    def refresh_tasks(self) -> None:
        """(Re)load the task list, e.g. after models were imported; keeps the choice."""
        chosen = self.task_id() or self.settings.task
        self.tasks = {t.id: t for t in describe_tasks()}
        combo = self.panel.task_combo
        combo.blockSignals(True)
        combo.clear()
        for task in self.tasks.values():
            if task.kind != "image":
                continue
            ready = task.weights_ready
            combo.addItem(task.title if ready else f"{task.title} — model missing", task.id)
            if not ready:
                combo.setItemData(combo.count() - 1, QColor("#8a8a8a"),
                                  role=Qt.ItemDataRole.ForegroundRole)
        index = max(0, combo.findData(chosen))
        combo.setCurrentIndex(index)
        combo.blockSignals(False)
        self._on_task_index(index)

    def select_model(self, task_id: str, model_id: str) -> bool:
        """Choose image task ``task_id`` with its model ``model_id`` (call ``refresh_tasks``
        first for a new model); returns whether both are now selected."""
        combo = self.panel.task_combo
        index = combo.findData(task_id)
        if index < 0:
            return False
        combo.setCurrentIndex(index)
        form = self.panel.form
        if form is None or form.widget("model") is None:
            return False
        form.set_values({**form.values(), "model": model_id})
        return form.values().get("model") == model_id

    def set_example_name(self, name: str) -> None:
        """Use this input file name in the naming preview."""
        self._example = name or "IMG_0001.jpg"
        self._update_naming()

    def _load_output_settings(self) -> None:
        p, s = self.panel, self.settings
        p.out_dir.setText(s.output_dir)
        p.format_combo.setCurrentIndex(max(0, p.format_combo.findData(s.format)))
        p.quality.setValue(s.quality)
        p.overwrite.setChecked(s.overwrite)
        p.recursive.setChecked(s.recursive)
        p.tile.setValue(s.tile)
        p.device.setCurrentIndex(max(0, p.device.findData(s.device)))
        self._update_quality_enabled()

    def _connect(self) -> None:
        p = self.panel
        p.task_combo.currentIndexChanged.connect(self._on_task_index)
        p.banner.button.clicked.connect(self.models_requested)
        p.reset_button.clicked.connect(self._on_reset)
        p.browse_out.clicked.connect(self._on_browse_out)
        p.out_dir.textChanged.connect(self._on_output_changed)
        p.format_combo.currentIndexChanged.connect(self._on_output_changed)
        p.quality.valueChanged.connect(self._on_output_changed)
        p.overwrite.toggled.connect(self._on_output_changed)
        p.recursive.toggled.connect(self._on_output_changed)
        p.tile.valueChanged.connect(self._on_output_changed)
        p.device.currentIndexChanged.connect(self._on_output_changed)

    # -- handlers -----------------------------------------------------------------------
    @Slot(int)
    def _on_task_index(self, _index: int) -> None:
        task = self.task()
        if not task:
            return
        form = ParamForm(task.params, self.settings.options_for(task.id))
        form.changed.connect(self._on_options_changed)
        self.panel.set_form(form)
        self.panel.description.setText(task.description)
        ready = task.weights_ready
        self.panel.banner.setVisible(not ready)
        self.panel.banner.message.setText(task.weights_message)
        self.settings.task = task.id
        self._update_naming()
        self.task_changed.emit(task.id)

    @Slot()
    def _on_options_changed(self) -> None:
        if self.panel.form is not None:
            self.settings.remember_options(self.task_id(), self.panel.form.values())

    @Slot()
    def _on_reset(self) -> None:
        if self.panel.form is not None:
            self.panel.form.reset()

    @Slot()
    def _on_browse_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.panel, "Output folder", self.output_dir())
        if folder:
            self.panel.out_dir.setText(folder)

    @Slot()
    def _on_output_changed(self) -> None:
        p, s = self.panel, self.settings
        s.output_dir = self.output_dir()
        s.format = p.format_combo.currentData()
        s.quality = p.quality.value()
        s.overwrite = p.overwrite.isChecked()
        s.recursive = p.recursive.isChecked()
        s.tile = p.tile.value()
        s.device = p.device.currentData()
        self._update_quality_enabled()
        self._update_naming()

    def _update_quality_enabled(self) -> None:
        fmt = self.panel.format_combo.currentData()
        self.panel.quality.setEnabled(fmt in ("same", "jpg", "webp"))

    def _update_naming(self) -> None:
        example = Path(self._example)
        fmt = self.panel.format_combo.currentData()
        ext = example.suffix.lstrip(".") if fmt == "same" else _EXT.get(fmt, fmt)
        task = self.task_id() or "task"
        self.panel.naming.setText(f"{example.stem}_{task}.{ext}")
        self.panel.naming.setToolTip(f"{example.name} becomes {example.stem}_{task}.{ext} in "
                                     "the output folder")

