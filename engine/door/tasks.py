"""Tasks as the front ends see them: ``TaskInfo`` and ``ParamInfo`` dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.tasks.registry import Task, all_tasks, get_task


@dataclass(frozen=True)
class ParamInfo:
    """One declared task parameter (``engine.tasks.params.Param``), as a form or ``--set``
    shows it. ``type`` is ``int``, ``float``, ``bool``, ``choice``, ``str`` or ``path``;
    ``min``/``max`` are ``None`` when unbounded; ``choices`` is empty unless offered."""

    name: str
    type: str
    default: Any = None
    help: str = ""
    choices: tuple = ()
    min: float | None = None
    max: float | None = None

    def to_json(self) -> dict:
        """The JSON form (``photogan tasks --json``): the fields, ``choices`` as a list."""
        return {**asdict(self), "choices": list(self.choices)}


@dataclass(frozen=True)
class TaskInfo:
    """What a task is: ``kind`` is ``image`` (photo in, photo out) or ``generate``;
    ``weights_message`` says what to do when ``weights_ready`` is false (else empty)."""

    id: str
    title: str
    description: str
    kind: str
    params: tuple[ParamInfo, ...] = field(default_factory=tuple)
    weights_ready: bool = True
    weights_message: str = ""

    def to_json(self) -> dict:
        """The JSON form (``photogan tasks --json``)."""
        return {"id": self.id, "title": self.title, "description": self.description,
                "kind": self.kind, "params": [p.to_json() for p in self.params],
                "weights_ready": self.weights_ready, "weights_message": self.weights_message}


def task_info(task: Task) -> TaskInfo:
    """A registered task's ``TaskInfo`` (checks whether its default weights are there)."""
    data = task.describe()
    params = tuple(ParamInfo(**{**p, "choices": tuple(p["choices"])}) for p in data["params"])
    return TaskInfo(id=data["id"], title=data["title"], description=data["description"],
                    kind=data["kind"], params=params, weights_ready=data["weights_ready"],
                    weights_message=data["weights_message"])


def describe_tasks() -> list[TaskInfo]:
    """Every registered task, in registry order."""
    return [task_info(t) for t in all_tasks()]


def describe_task(task_id: str) -> TaskInfo:
    """One task; ``UsageError`` for an unknown id."""
    return task_info(get_task(task_id))
