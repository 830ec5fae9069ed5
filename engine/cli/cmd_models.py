"""``photogan models list|verify|import|remove``: the model store from the command line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from engine.cli.base import EXIT_FAILED, EXIT_OK, command
from engine.errors import ModelError


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("models", help="list, verify, import or remove models")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    listing = verbs.add_parser("list", help="list stored models")
    listing.add_argument("--task", help="only models for this task")
    listing.add_argument("--json", action="store_true", help="print JSON")
    verify = verbs.add_parser("verify", help="check checksums and that models load")
    verify.add_argument("ids", nargs="*", metavar="ID", help="models to check (default: all)")
    imp = verbs.add_parser("import", help="import a .keras, .weights.h5 or official .pth generator")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--task", required=True, help="task the model serves")
    imp.add_argument("--name", default="", help="model name (default: the file name)")
    remove = verbs.add_parser("remove", help="delete a user model")
    remove.add_argument("id", metavar="ID")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    return {"list": _list, "verify": _verify, "import": _import, "remove": _remove}[args.verb](
        args)


def _list(args: argparse.Namespace) -> int:
    from engine import api

    rows = api.list_models(args.task)
    if args.json:
        print(json.dumps([row.to_json() for row in rows], indent=2))
        return EXIT_OK
    if not rows:
        print("No models installed" + (f" for task '{args.task}'." if args.task else "."))
        return EXIT_OK
    print(f"{'ID':<28} {'TASK':<12} {'SOURCE':<9} {'SIZE':>8}  TITLE")
    for row in rows:
        mark = " (default)" if row.default else ""
        print(f"{row.id:<28} {row.task:<12} {row.source:<9} "
              f"{row.size_mb:>6.1f}MB  {row.title}{mark}")
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    from engine import api

    ids = args.ids or [row.id for row in api.list_models()]
    bad = 0
    for model_id in ids:
        try:
            api.verify_model(model_id)
            print(f"ok      {model_id}")
        except ModelError as exc:
            bad += 1
            print(f"BROKEN  {model_id}: {exc}")
    return EXIT_FAILED if bad else EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from engine import api

    row = api.import_model(args.file, args.task, args.name)
    print(f"Imported {args.file.name} as '{row.id}' for task '{row.task}'. "
          f"Use it with: photogan run {row.task} ... --set model={row.id}")
    return EXIT_OK


def _remove(args: argparse.Namespace) -> int:
    from engine import api

    api.remove_model(args.id)
    print(f"Removed '{args.id}'.")
    return EXIT_OK
