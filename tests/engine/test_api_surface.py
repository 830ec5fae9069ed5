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


def test_no_function_returns_a_dict_and_every_returned_type_is_public():
    """Results are dataclasses (issue 16): no bare ``dict`` (or list of dicts) comes back,
    except ``parse_options``, whose result is the options a caller passes on; every class a
    function returns is listed in ``__all__``."""
    import typing

    allowed = {"parse_options"}
    for name in api.__all__:
        function = getattr(api, name)
        if not inspect.isfunction(function) or name in allowed:
            continue
        returned = typing.get_type_hints(function).get("return")
        parts = [returned, *typing.get_args(returned)]
        assert dict not in parts and list[dict] not in parts, name
        if typing.get_origin(returned) is dict:  # a mapping of dataclasses (presets)
            assert dataclasses.is_dataclass(typing.get_args(returned)[1]), name
        for part in parts + [a for p in parts for a in typing.get_args(p)]:
            if inspect.isclass(part) and part.__module__.startswith("engine"):
                assert part.__name__ in api.__all__, (name, part)
