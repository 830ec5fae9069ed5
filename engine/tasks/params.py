"""Declared task parameters: the single description the CLI, the GUI and validation share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.errors import UsageError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class Param:
    """One task parameter.

    Attributes:
        name: identifier used in ``--set NAME=VALUE`` and the GUI.
        type: ``int``, ``float``, ``bool``, ``choice``, ``str`` or ``path``.
        default: value used when the user sets none.
        help: one sentence shown in ``--help``, ``tasks`` and GUI tooltips.
        choices: allowed values for ``choice`` (also accepted for ``str`` suggestions).
        min, max: inclusive range for ``int``/``float``.
    """

    name: str
    type: str
    default: Any
    help: str
    choices: tuple = ()
    min: float | None = None
    max: float | None = None

    def parse(self, text: Any) -> Any:
        """Convert and validate a value (string from the CLI, or a typed value from the GUI).

        Raises:
            UsageError: naming the parameter, the value, and what is allowed.
        """
        try:
            value = self._convert(text)
        except (TypeError, ValueError):
            raise UsageError(
                f"Parameter '{self.name}' expects {self.describe_type()}, got {text!r}."
            ) from None
        self._check(value)
        return value

    def _convert(self, text: Any) -> Any:
        if self.type == "int":
            if isinstance(text, float) and not text.is_integer():
                raise ValueError(text)
            return int(str(text).strip()) if not isinstance(text, (int, float)) else int(text)
        if self.type == "float":
            return float(text)
        if self.type == "bool":
            if isinstance(text, bool):
                return text
            word = str(text).strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise ValueError(text)
        if self.type == "choice":
            word = str(text).strip()
            match = [c for c in self.choices if str(c) == word]
            if not match:
                raise ValueError(text)
            return match[0]
        return str(text)

    def _check(self, value: Any) -> None:
        if self.type in ("int", "float"):
            low = -float("inf") if self.min is None else self.min
            high = float("inf") if self.max is None else self.max
            if not low <= value <= high:
                raise UsageError(
                    f"Parameter '{self.name}' must be between {self.min} and {self.max}, "
                    f"got {value}."
                )

    def describe_type(self) -> str:
        """Human description of what is accepted, e.g. ``a number from 0 to 5``."""
        if self.type == "choice":
            return "one of " + ", ".join(str(c) for c in self.choices)
        if self.type == "bool":
            return "true or false"
        if self.type in ("int", "float"):
            kind = "a whole number" if self.type == "int" else "a number"
            if self.min is not None and self.max is not None:
                return f"{kind} from {self.min} to {self.max}"
            return kind
        return "a file path" if self.type == "path" else "text"

    def to_json(self) -> dict:
        """JSON description used by ``photogan tasks --json`` and the GUI option builder."""
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "help": self.help,
            "choices": list(self.choices),
            "min": self.min,
            "max": self.max,
        }


class Options(dict):
    """Options validated for one task (what ``parse_options`` returns): a plain dict of
    parameter name -> value that remembers its task, so a run parses them once and later
    layers (the API, the batch) take them as they are."""

    def __init__(self, task_id: str, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.task_id = task_id


def parse_options(params: tuple[Param, ...], given: dict[str, Any], task_id: str) -> dict:
    """Validate user options against declared parameters and fill in defaults.

    ``given`` already parsed for ``task_id`` (an ``Options``) is returned unchanged.

    Raises:
        UsageError: for an unknown name (listing the known ones) or a bad value.
    """
    if isinstance(given, Options) and given.task_id == task_id:
        return given
    by_name = {p.name: p for p in params}
    unknown = [n for n in given if n not in by_name]
    if unknown:
        known = ", ".join(by_name) or "none"
        raise UsageError(
            f"Task '{task_id}' has no parameter '{unknown[0]}'; its parameters are: {known}."
        )
    return Options(task_id, {p.name: p.parse(given[p.name]) if p.name in given else p.default
                            for p in params})
