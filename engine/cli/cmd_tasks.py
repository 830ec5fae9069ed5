"""``photogan tasks``: every task with its parameters and whether its weights are ready."""

from __future__ import annotations

import argparse
import json

from engine.cli.base import EXIT_OK, command
from engine.cli.hints import with_advice
from engine.errors import HINT_IMPORT_MODEL


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("tasks", help="list the tasks and their parameters")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from engine import api

    tasks = api.describe_tasks()
    if args.json:
        print(json.dumps([t.to_json() for t in tasks], indent=2, default=str))
        return EXIT_OK
    for task in tasks:
        ready = "ready" if task.weights_ready else "weights missing"
        print(f"{task.id:<12} {task.title} [{ready}]")
        print(f"{'':<12} {task.description}")
        if not task.weights_ready:
            advice = with_advice(task.weights_message, HINT_IMPORT_MODEL, task=task.id)
            print(f"{'':<12} {advice}")
        for param in task.params:
            allowed = f"{_allowed(param)}; default {param.default}"
            print(f"{'':<14}--set {param.name}=  ({allowed})")
            print(f"{'':<16}{param.help}")
        print()
    return EXIT_OK


def _allowed(param) -> str:
    if param.choices:
        return "one of " + "|".join(str(c) for c in param.choices)
    if param.min is not None and param.max is not None:
        return f"{param.type} {param.min}..{param.max}"
    return param.type
