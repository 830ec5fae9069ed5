"""The ``photogan`` command. Each sub-command lives in its own module and registers itself."""

from engine.cli.main import main

__all__ = ["main"]
