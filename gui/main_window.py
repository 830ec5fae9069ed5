"""The main window: builds the views and their controllers (the composition root)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QMainWindow, QSplitter, QTabWidget, QVBoxLayout, QWidget

from gui.actions import Actions
from gui.controllers.compare import CompareController
from gui.controllers.queue import QueueController
from gui.controllers.run import RunController
from gui.controllers.sampler import SamplerController
from gui.controllers.status import StatusController
from gui.controllers.tasks import TaskController
from gui.controllers.training import TrainingController
from gui.controllers.window import WindowController
from gui.paths import paths_from_mime
from gui.queue_model import QueueModel
from gui.settings import GuiSettings
from gui.views.compare_view import CompareView
from gui.views.queue_view import QueueView
from gui.views.run_bar import RunBar
from gui.views.sampler_view import SamplerView
from gui.views.status_bar import StatusBar
from gui.views.task_panel import TaskPanel
from gui.views.wizard_train import TrainingIndicator
from gui.worker import WorkerHost


class MainWindow(QMainWindow):
    """PhotoGAN's window. Drops anywhere on it add photos to the queue.

    Signals:
        paths_dropped(object): local paths dropped on the window (``list[Path]``).
    """

    paths_dropped = Signal(object)

    def __init__(self, settings: GuiSettings | None = None, settings_path: Path | None = None,
                 probe_backend: bool = True) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("PhotoGAN")
        self.setAcceptDrops(True)
        self.settings = settings or GuiSettings.load(settings_path)
        self.actions = Actions(self)
        self.host = WorkerHost(self)
        self._build_views()
        self._build_menus()
        self._build_controllers(settings_path, probe_backend)

    def _build_views(self) -> None:
        self.queue_model = QueueModel(self)
        self.queue_view = QueueView(self.queue_model, self.actions)
        self.task_panel = TaskPanel()
        self.compare_view = CompareView(self.actions)
        self.run_bar = RunBar(self.actions)
        self.sampler_view = SamplerView()
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self.training_indicator = TrainingIndicator(self.status)
        self.status.addPermanentWidget(self.training_indicator)
        self.work_splitter = QSplitter(Qt.Orientation.Vertical)
        self.work_splitter.addWidget(self.queue_view)
        self.work_splitter.addWidget(self.compare_view)
        self.work_splitter.setStretchFactor(0, 2)
        self.work_splitter.setStretchFactor(1, 3)
        self.work_splitter.setSizes([330, 520])
        batch = QWidget()
        layout = QVBoxLayout(batch)
        layout.addWidget(self.work_splitter, 1)
        layout.addWidget(self.run_bar)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(batch, "Batch")
        self.tabs.addTab(self.sampler_view, "Sampler")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.task_panel)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([360, 1000])
        self.setCentralWidget(self.splitter)

    def _build_menus(self) -> None:
        a, bar = self.actions, self.menuBar()
        menus = {
            "&File": (a.add_files, a.add_folder, a.paste, None, a.quit),
            "&Queue": (a.remove, a.clear_finished, a.retry_failed, None, a.open_output,
                       a.reveal),
            "&Run": (a.start, a.cancel, None, a.preview),
            "&View": (a.zoom_fit, a.zoom_100, a.side_by_side),
            "&Tools": (a.models, a.train),
            "&Help": (a.open_logs, None, a.about),
        }
        for title, actions in menus.items():
            menu = bar.addMenu(title)
            for action in actions:
                if action is None:
                    menu.addSeparator()
                else:
                    menu.addAction(action)

    def _build_controllers(self, settings_path: Path | None, probe_backend: bool) -> None:
        self.tasks = TaskController(self.task_panel, self.settings)
        self.queue = QueueController(self.queue_model, self.queue_view, self.actions,
                                     self.settings)
        self.run = RunController(self.queue_model, self.run_bar, self.actions, self.tasks,
                                 self.host, self)
        self.compare = CompareController(self.compare_view, self.queue_model, self.actions,
                                         self.tasks, self.host)
        self.sampler = SamplerController(self.sampler_view, self.tasks, self.settings,
                                         self.host)
        self.status_controller = StatusController(self.status, probe_backend)
        self.training = TrainingController(self)
        self.controller = WindowController(self, settings_path)

    # -- window events (turned into signals for the controllers) -------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if paths_from_mime(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = paths_from_mime(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.paths_dropped.emit(paths)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.controller.may_close():
            event.accept()
        else:
            event.ignore()
