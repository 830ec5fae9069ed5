"""Exception types that carry user-facing messages.

Every message is one sentence a photographer can act on: what happened, to which file, and what
to do. Front ends show ``str(exc)``; they never need a traceback for these.
"""

from __future__ import annotations


class PhotoGANError(Exception):
    """Base class for every expected error; ``str()`` is the user-facing message."""


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
