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


_WORDING = errors.HintWording(
    _ADVICE, lambda options: " ".join(f"--set {k}={v}" for k, v in options.items()))
advice = _WORDING.advice
with_advice = _WORDING.with_advice
explain = _WORDING.explain
