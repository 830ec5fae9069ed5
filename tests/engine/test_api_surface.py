"""``engine.api``, the one door: a complete ``__all__`` and dataclasses whose JSON form is what
``photogan tasks --json`` and ``photogan models list --json`` have always printed."""

from __future__ import annotations

import dataclasses
import inspect
import json

from engine import api
from engine.tasks.registry import all_tasks
from tests.engine.store_helpers import tiny_model


def test_all_lists_every_public_function_and_type_and_nothing_missing():
    defined_here = {name for name, value in vars(api).items()
                    if not name.startswith("_") and (inspect.isfunction(value)
                                                     or inspect.isclass(value))
                    and value.__module__ == api.__name__}
    assert defined_here - set(api.__all__) == set()
    assert [name for name in api.__all__ if not hasattr(api, name)] == []
    assert len(api.__all__) == len(set(api.__all__))


def test_tasks_are_dataclasses_whose_json_is_the_registry_description():
    tasks = api.describe_tasks()
    assert all(dataclasses.is_dataclass(t) for t in tasks)
    assert [t.to_json() for t in tasks] == [t.describe() for t in all_tasks()]
    sharpen = api.describe_task("sharpen")
    assert sharpen.kind == "image" and sharpen.weights_ready
    amount = next(p for p in sharpen.params if p.name == "amount")
    assert isinstance(amount, api.ParamInfo) and amount.type == "float"
    json.dumps([t.to_json() for t in tasks], default=str)  # JSON-ready, as the CLI prints it


def test_models_are_dataclasses_with_the_old_row_fields(store):
    tiny_model("deblur", "tiny-deblur", steps=3)
    (row,) = api.list_models("deblur")
    assert isinstance(row, api.ModelInfo)
    assert list(row.to_json()) == ["id", "task", "title", "source", "arch", "scale",
                                   "size_mb", "default", "card", "folder"]
    assert (row.id, row.task, row.card) == ("tiny-deblur", "deblur", {"steps": 3})
    assert row.size_mb > 0 and row.folder == str(store / "tiny-deblur")
