"""Exception types that carry user-facing messages.

Every message is one sentence a photographer can act on: what happened, to which file, and what
to do. Front ends show ``str(exc)``; they never need a traceback for these.

Messages never name a front end's controls (no CLI flag, no button): where the advice depends on
the front end ("use --overwrite", "tick 'Replace existing outputs'"), the error carries a
``hint`` key from ``HINTS`` and each front end words it itself (``engine/cli/hints.py``,
``gui/hints.py``). ``hint_args`` fills the wording's blanks (a task id, a crop size).
"""

from __future__ import annotations

# Hint keys: what the user can change to get past an error.
HINT_OVERWRITE = "overwrite"          # replace existing outputs instead of skipping them
HINT_RECURSIVE = "recursive"          # process folders (and their sub-folders)
HINT_TILE_SIZE = "tile_size"          # smaller tiles (and close other programs)
HINT_DEVICE_MEMORY = "device_memory"  # smaller tiles, close other programs, or the CPU
HINT_RESUME = "resume"                # continue the run in the folder, or choose another one
HINT_DATA = "data"                    # choose the training data folder
HINT_CROP = "crop"                    # set the crop size to hint_args["size"]
HINT_MODEL_OPTIONS = "model_options"  # train with the model's options, hint_args["options"]
HINT_MODEL_NAME = "model_name"        # choose another model name
HINT_IMPORT_MODEL = "import_model"    # import a model for hint_args["task"] (or train one)
HINT_IMPORT_VGG19 = "import_vgg19"    # import the VGG19 weights file for style transfer
HINT_BENCH_SIZE = "bench_size"        # the benchmark photo size (WIDTHxHEIGHT)
HINT_EVAL_DATA = "eval_data"          # the evaluation data folder
HINT_EVAL_COUNT = "eval_count"        # how many images to evaluate

HINTS = frozenset({
    HINT_OVERWRITE, HINT_RECURSIVE, HINT_TILE_SIZE, HINT_DEVICE_MEMORY, HINT_RESUME, HINT_DATA,
    HINT_CROP, HINT_MODEL_OPTIONS, HINT_MODEL_NAME, HINT_IMPORT_MODEL, HINT_IMPORT_VGG19,
    HINT_BENCH_SIZE, HINT_EVAL_DATA, HINT_EVAL_COUNT,
})


class PhotoGANError(Exception):
    """Base class for every expected error; ``str()`` is the user-facing message.

    Args:
        message: the sentence, naming no front-end control.
        hint: a key from ``HINTS`` (``""`` for none) the front end words as advice.
        hint_args: values the hint's wording needs (``task``, ``size``, ``options``).
    """

    def __init__(self, message: str = "", *, hint: str = "", **hint_args: object) -> None:
        super().__init__(message)
        if hint and hint not in HINTS:
            raise ValueError(f"unknown hint key {hint!r}; add it to engine.errors.HINTS")
        self.hint = hint
        self.hint_args = hint_args

    @property
    def message(self) -> str:
        """The sentence without front-end advice (``str(exc)``)."""
        return str(self)


class UsageError(PhotoGANError):
    """The request itself is wrong (unknown task, bad parameter value, bad option)."""


class ImageReadError(PhotoGANError):
    """An input file could not be read as an image."""


class ImageWriteError(PhotoGANError):
    """An output file could not be written."""


class ImageTooLargeError(ImageReadError):
    """An image is larger than the configured pixel limit (decompression-bomb guard)."""


class WeightsMissingError(PhotoGANError):
    """A model-backed task has no usable weights in the model store."""


class ModelError(PhotoGANError):
    """A model file is unreadable, corrupt, or does not fit the task's architecture."""


class Cancelled(PhotoGANError):
    """The user cancelled the work; partial results have been discarded."""

    def __init__(self, message: str = "Cancelled by the user.") -> None:
        super().__init__(message)


class OutOfMemory(PhotoGANError):
    """The device ran out of memory even at the smallest tile size."""

    def __init__(self, message: str, *, hint: str = HINT_DEVICE_MEMORY,
                 **hint_args: object) -> None:
        super().__init__(message, hint=hint, **hint_args)


class HintWording:
    """One front end's words for the hint keys: the flag to type, or the control to use.

    Args:
        advice: hint key -> sentence, with ``{name}`` fields filled from the hint's args.
        join_options: words a model's options (``HINT_MODEL_OPTIONS``'s ``options`` dict)
            for the ``{sets}`` field, e.g. ``--set ngf=4 --set n_blocks=6``.

    Example::

        cli = HintWording({HINT_OVERWRITE: "Use --overwrite to replace it."}, str)
        cli.with_advice("a.jpg already exists.", HINT_OVERWRITE)
        # 'a.jpg already exists. Use --overwrite to replace it.'
    """

    def __init__(self, advice: dict[str, str], join_options) -> None:
        self._advice = dict(advice)
        self._join_options = join_options

    def advice(self, hint: str, **args: object) -> str:
        """The advice for ``hint`` (``""`` for none, an unknown key or missing values)."""
        text = self._advice.get(hint, "")
        if hint == HINT_MODEL_OPTIONS:
            options = args.get("options") or {}
            if not options:
                return ""
            args = {"sets": self._join_options(options)}
        try:
            return text.format(**args)
        except (KeyError, IndexError):
            return ""

    def with_advice(self, message: str, hint: str, **args: object) -> str:
        """``message`` followed by the advice for ``hint``, if any."""
        extra = self.advice(hint, **args)
        return f"{message} {extra}" if extra else message

    def explain(self, exc: BaseException) -> str:
        """An exception's user-facing sentence with the advice for its hint."""
        if isinstance(exc, PhotoGANError):
            return self.with_advice(str(exc), exc.hint, **exc.hint_args)
        return str(exc)
