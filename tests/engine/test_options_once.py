"""Options are parsed once per run: what ``parse_options`` returns passes through again as it is."""

from __future__ import annotations

import pickle

import pytest

from engine.errors import UsageError
from engine.tasks.params import Options
from engine.tasks.registry import get_task


def test_parsed_options_are_not_parsed_again(monkeypatch):
    task = get_task("sharpen")
    options = task.parse_options({"amount": "2"})
    assert options == {"amount": 2.0, "radius": 1.5, "threshold": 0.0}
    calls = []
    for param in task.params:
        monkeypatch.setattr(type(param), "parse", lambda self, v: calls.append(v) or v)
    assert task.parse_options(options) is options
    assert calls == []


def test_options_of_another_task_are_validated_again():
    options = get_task("sharpen").parse_options({})
    with pytest.raises(UsageError, match="no parameter"):
        get_task("resize").parse_options(options)


def test_parsed_options_survive_pickling_for_cluster_workers():
    options = get_task("resize").parse_options({"scale": "0.5"})
    again = pickle.loads(pickle.dumps(options))
    assert isinstance(again, Options) and again == options and again.task_id == "resize"
