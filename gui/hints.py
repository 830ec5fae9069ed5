"""The desktop app's wording of engine hint keys: the control to use, never a CLI flag.

Engine errors name no control (``engine.errors``); they carry a ``hint`` key and this module
appends advice in the app's own terms, naming the labels people see (``gui/views``): e.g.
``a_sharpen.jpg already exists.`` + ``Tick 'Replace existing outputs' to replace it.``
"""

from __future__ import annotations

from engine import errors
from engine.events import ItemResult, Notice

_ADVICE = {
    errors.HINT_OVERWRITE: "Tick 'Replace existing outputs' to replace it.",
    errors.HINT_RECURSIVE: "Tick 'Include sub-folders' to process folders.",
    errors.HINT_TILE_SIZE: "Choose a smaller Tile size or close other programs.",
    errors.HINT_DEVICE_MEMORY: "Choose a smaller Tile size, close other programs, or set "
                               "Device to CPU.",
    errors.HINT_RESUME: "Continue it with 'Resume Selected Run' or choose another folder.",
    errors.HINT_DATA: "Choose its folder on the 'Your photos' page.",
    errors.HINT_CROP: "Set Crop size to {size}.",
    errors.HINT_MODEL_OPTIONS: "Enter them under More options: {sets}.",
    errors.HINT_MODEL_NAME: "Type another Name, or remove that model in the Model Manager "
                            "first.",
    errors.HINT_IMPORT_MODEL: "Add one with 'Import File…' in the Model Manager, or train one "
                              "with 'Train New Model…'.",
    errors.HINT_IMPORT_VGG19: "Add it with 'Import File…' in the Model Manager.",
}


_WORDING = errors.HintWording(
    _ADVICE, lambda options: ", ".join(f"{k}={v}" for k, v in options.items()))
advice = _WORDING.advice
with_advice = _WORDING.with_advice
explain = _WORDING.explain


def error_text(result: ItemResult) -> str:
    """A failed or skipped item's sentence with the app's advice for its hint."""
    return with_advice(result.error, result.hint)


def notice_text(event: Notice) -> str:
    """A notice's sentence with the app's advice for its hint."""
    return with_advice(event.message, event.hint)
