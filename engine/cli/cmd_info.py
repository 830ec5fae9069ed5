"""``photogan info``: Keras backend, library versions and devices."""

from __future__ import annotations

import argparse
import json

from engine.cli.base import EXIT_OK, command


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("info", help="show the Keras backend, library versions and devices")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from engine import api

    facts = api.info()
    if args.json:
        print(json.dumps(facts.to_json(), indent=2))
        return EXIT_OK
    print(f"Keras backend: {facts.backend}")
    print(f"Python:        {facts.python} on {facts.platform}")
    for name, version in facts.libraries.items():
        print(f"  {name:<24} {version}")
    if facts.gpus:
        for gpu in facts.gpus:
            memory = f", {gpu.memory_mb} MiB" if gpu.memory_mb else ""
            print(f"GPU:           {gpu.name}{memory}")
    else:
        print("GPU:           none (running on the CPU)")
    print(f"CPU:           {facts.cpu.name}, {facts.cpu.threads} threads")
    return EXIT_OK
