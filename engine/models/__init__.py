"""Model architectures, rebuildable by name from a manifest.

Each family file in this folder (found by scanning it; no import list) registers its builders
with ``@register("name", ...)``; ``build(name, **config)`` rebuilds one and ``info(name)``
tells callers how to feed it (size multiple, value ranges, scale). Importing this package
imports keras (the backend comes from ``KERAS_BACKEND``), so the rest of the engine imports it
lazily, only when a model-backed task runs.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ArchInfo:
    """How to feed a registered architecture.

    Attributes:
        name: registry name.
        builder: ``build_xxx(**config) -> keras.Model``.
        size_multiple: input height and width must be multiples of this (1: any size;
            0: the model takes one fixed size, given by its config).
        input_range: ``"-1,1"``, ``"0,1"``, or ``""`` when the input is not an image.
        output_range: same, for the output (``""`` for logits and features).
        scale: output size divided by input size for image-to-image models.
    """

    name: str
    builder: Callable
    size_multiple: int = 1
    input_range: str = ""
    output_range: str = ""
    scale: int = 1


ARCHITECTURES: dict[str, Callable] = {}
INFO: dict[str, ArchInfo] = {}


def register(name: str, **info) -> Callable[[Callable], Callable]:
    """Decorator adding a builder under ``name``; ``info`` fills the other ``ArchInfo`` fields."""

    def decorate(builder: Callable) -> Callable:
        if name in ARCHITECTURES:
            raise ValueError(f"Architecture {name!r} is already registered.")
        ARCHITECTURES[name] = builder
        INFO[name] = ArchInfo(name=name, builder=builder, **info)
        return builder

    return decorate


def _check(arch: str) -> None:
    if arch not in ARCHITECTURES:
        known = ", ".join(sorted(ARCHITECTURES))
        raise ValueError(f"Unknown architecture {arch!r}; known architectures: {known}.")


def build(arch: str, **config):
    """Build the architecture registered as ``arch`` with builder keyword ``config``.

    Raises:
        ValueError: ``arch`` is not a registered name (the message lists the known ones).
    """
    _check(arch)
    return ARCHITECTURES[arch](**config)


def info(arch: str) -> ArchInfo:
    """The ``ArchInfo`` of a registered architecture; ``ValueError`` for an unknown name."""
    _check(arch)
    return INFO[arch]


def _import_families() -> None:
    """Import every module of this folder (``_``-prefixed ones excepted): each family file
    registers its builders on import, so a new architecture is one new file here."""
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


# The family modules register themselves on import; they need ``register`` defined above.
_import_families()
