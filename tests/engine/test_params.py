"""Declared parameters: parsing, validation messages, defaults."""

from __future__ import annotations

import pytest

from engine.errors import UsageError
from engine.tasks.params import Param, parse_options

PARAMS = (
    Param("amount", "float", 1.0, "strength", min=0, max=5),
    Param("steps", "int", 3, "count", min=1, max=10),
    Param("fast", "bool", False, "speed"),
    Param("mode", "choice", "a", "mode", choices=("a", "b")),
)


def test_defaults_and_conversion():
    got = parse_options(PARAMS, {"amount": "2.5", "steps": "4", "fast": "yes", "mode": "b"}, "t")
    assert got == {"amount": 2.5, "steps": 4, "fast": True, "mode": "b"}
    assert parse_options(PARAMS, {}, "t") == {"amount": 1.0, "steps": 3, "fast": False,
                                               "mode": "a"}


@pytest.mark.parametrize("given, words", [
    ({"amount": "x"}, ["amount", "number"]),
    ({"amount": "9"}, ["amount", "between"]),
    ({"steps": "2.5"}, ["steps", "whole number"]),
    ({"fast": "maybe"}, ["fast", "true or false"]),
    ({"mode": "c"}, ["mode", "one of a, b"]),
    ({"amout": "1"}, ["amout", "amount, steps, fast, mode"]),
])
def test_errors_name_the_parameter_and_what_is_allowed(given, words):
    with pytest.raises(UsageError) as err:
        parse_options(PARAMS, given, "t")
    for word in words:
        assert word in str(err.value)
