"""The CLI's wording of engine hint keys: the flag or command to type.

Engine errors name no flag (``engine.errors``); they carry a ``hint`` key and this module
appends the command-line advice, e.g. ``a_sharpen.jpg already exists.`` + ``Use --overwrite
to replace it.``
"""

from __future__ import annotations

from engine import errors

_ADVICE = {
    errors.HINT_OVERWRITE: "Use --overwrite to replace it.",
    errors.HINT_RECURSIVE: "Pass --recursive to process folders.",
    errors.HINT_TILE_SIZE: "Try a smaller --tile or close other programs.",
    errors.HINT_DEVICE_MEMORY: "Try a smaller --tile, close other programs, or run on the CPU "
                               "(--device cpu).",
    errors.HINT_RESUME: "Add --resume to continue it or choose another --out folder.",
    errors.HINT_DATA: "Give it with --data.",
    errors.HINT_CROP: "Use --crop {size}.",
    errors.HINT_MODEL_OPTIONS: "Pass them as {sets}.",
    errors.HINT_MODEL_NAME: "Choose another --name or remove it first.",
    errors.HINT_IMPORT_MODEL: "Import one with `photogan models import FILE --task {task}` or "
                              "train one with `photogan train`.",
    errors.HINT_IMPORT_VGG19: "Import it with `photogan models import FILE --task style`.",
    errors.HINT_BENCH_SIZE: "Give it as --size WIDTHxHEIGHT.",
    errors.HINT_EVAL_DATA: "Point --data at that layout.",
    errors.HINT_EVAL_COUNT: "Raise --count.",
}


def advice(hint: str, **args: object) -> str:
    """The command-line advice for ``hint`` (``""`` for none or an unknown key)."""
    text = _ADVICE.get(hint, "")
    if hint == errors.HINT_MODEL_OPTIONS:
        options = args.get("options") or {}
        args = {"sets": " ".join(f"--set {k}={v}" for k, v in options.items())}
        if not options:
            return ""
    try:
        return text.format(**args)
    except (KeyError, IndexError):
        return ""


def with_advice(message: str, hint: str, **args: object) -> str:
    """``message`` followed by the advice for ``hint``, if any."""
    extra = advice(hint, **args)
    return f"{message} {extra}" if extra else message


def explain(exc: BaseException) -> str:
    """An exception's user-facing line with the CLI's advice for its hint."""
    if isinstance(exc, errors.PhotoGANError):
        return with_advice(str(exc), exc.hint, **exc.hint_args)
    return str(exc)
