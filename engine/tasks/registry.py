"""The task registry: each task registers itself with ``@register``; adding one is one file
in ``engine/tasks/`` (the folder is scanned on first use, no import list)."""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from engine.errors import UsageError
from engine.events import CancelToken, ProgressFn, no_progress
from engine.imaging.image import Image
from engine.tasks.params import Param, parse_options


@dataclass
class RunContext:
    """What a task needs from the caller besides the image and its options.

    Attributes:
        progress: receives ``engine.events`` events (``TileProgress``, ``IterationProgress``).
        cancel: polled between units of work.
        tile: tile size in input pixels, or ``0`` for automatic.
        device: ``auto``, ``cpu`` or ``gpu``.
        item: index of the batch item, passed back in progress events.
    """

    progress: ProgressFn = no_progress
    cancel: CancelToken = field(default_factory=CancelToken)
    tile: int = 0
    device: str = "auto"
    item: int | None = None


class Task(ABC):
    """A user-facing operation. Subclasses set the class attributes and implement ``process``.

    ``kind`` is ``"image"`` for image-to-image tasks (one output per input) or ``"generate"``
    for tasks that write new images without inputs (``sample``).
    """

    id: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    kind: ClassVar[str] = "image"

    def weights_status(self, options: dict | None = None) -> str | None:
        """``None`` when the task can run, else a sentence saying what is missing and how to
        get it. Classical tasks always return ``None``."""
        return None

    def output_scale(self, options: dict) -> float:
        """Output size divided by input size for these options (1 for most tasks)."""
        return 1.0

    def parse_options(self, given: dict[str, Any]) -> dict:
        """Validate ``given`` against ``params`` and fill in defaults."""
        return parse_options(self.params, given, self.id)

    @abstractmethod
    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        """Run on one image; ``options`` are already validated. Returns a new ``Image``."""

    def generate(self, options: dict, out_dir: Path, ctx: RunContext) -> list[Path]:
        """For ``generate`` tasks: write new images under ``out_dir`` and return their paths."""
        raise UsageError(f"Task '{self.id}' transforms input images; give it some inputs.")

    def describe(self) -> dict:
        """JSON description: id, title, description, kind, parameters, weights status."""
        status = self.weights_status()
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "kind": self.kind,
            "params": [p.to_json() for p in self.params],
            "weights_ready": status is None,
            "weights_message": status or "",
        }


_TASKS: dict[str, type[Task]] = {}
_INSTANCES: dict[str, Task] = {}
_LOADED: list[bool] = []  # the folder has been scanned


def register(cls: type[Task]) -> type[Task]:
    """Class decorator adding a task to the registry under ``cls.id``."""
    if cls.id in _TASKS and _TASKS[cls.id] is not cls:
        raise ValueError(f"task id {cls.id!r} registered twice")
    _TASKS[cls.id] = cls
    return cls


def _load_builtin() -> None:
    """Import every module of ``engine/tasks/`` (``_``-prefixed ones excepted): each task
    file registers its task with ``@register``, so a new task is one new file there."""
    if _LOADED:
        return
    import engine.tasks as package

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")
    _LOADED.append(True)


def task_ids() -> list[str]:
    """Ids of every registered task, in registration order."""
    _load_builtin()
    return list(_TASKS)


def get_task(task_id: str) -> Task:
    """The (shared) instance of a task.

    Raises:
        UsageError: for an unknown id, listing the known ones.
    """
    _load_builtin()
    if task_id not in _TASKS:
        raise UsageError(
            f"Unknown task '{task_id}'. Available tasks: {', '.join(_TASKS)}."
        )
    if task_id not in _INSTANCES:
        _INSTANCES[task_id] = _TASKS[task_id]()
    return _INSTANCES[task_id]


def all_tasks() -> list[Task]:
    """Every registered task instance."""
    return [get_task(t) for t in task_ids()]
