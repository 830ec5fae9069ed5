"""The training kinds, one module each, found by being in this folder.

Every module here (names starting with ``_`` excepted) declares ``SPEC``, a
``engine.training.spec.KindSpec`` whose ``name`` is the module's name. Adding a training kind
is one new file here (plus its trainer and tests); nothing else lists the kinds.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from engine.errors import UsageError
from engine.training.spec import KindSpec


def discover(package: ModuleType) -> dict[str, KindSpec]:
    """``SPEC`` of every public module of ``package``, by name, in ``order``.

    Raises:
        ValueError: a module without a ``KindSpec`` named ``SPEC``, or one whose name differs
            from its file's.
    """
    found = []
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("_"):
            continue
        spec = getattr(importlib.import_module(f"{package.__name__}.{module.name}"), "SPEC",
                       None)
        if not isinstance(spec, KindSpec):
            raise ValueError(f"{package.__name__}.{module.name} declares no KindSpec SPEC.")
        if spec.name != module.name:
            raise ValueError(f"{package.__name__}.{module.name} declares kind {spec.name!r}; "
                             "a kind's name is its file's name.")
        found.append(spec)
    return {spec.name: spec for spec in sorted(found, key=lambda s: (s.order, s.name))}


SPECS: dict[str, KindSpec] = discover(importlib.import_module(__name__))
KINDS: tuple[str, ...] = tuple(SPECS)


def get(kind: str) -> KindSpec:
    """The spec of ``kind``; ``UsageError`` (listing the kinds) for an unknown name."""
    if kind not in SPECS:
        raise UsageError(f"Unknown training kind '{kind}'; use one of {', '.join(KINDS)}.")
    return SPECS[kind]
