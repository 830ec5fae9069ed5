"""User-facing tasks. Importing this package registers every built-in task."""

from engine.tasks import deblur, painting, resize, sample, sharpen, style, upscale  # noqa: F401
