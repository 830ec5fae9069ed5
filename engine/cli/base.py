"""What every sub-command module shares: the exit statuses and the ``@command`` registry.

Exit status: 0 all done or skipped; 1 some inputs failed; 2 bad usage; 3 no input images;
70 internal error (a bug: the traceback is in the log file); 130 cancelled (Ctrl-C).
Sub-command modules (``cmd_*.py``, listed in ``commands.py``) import this, never
``engine.cli.main``, which imports them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NO_INPUT, EXIT_CANCELLED = 0, 1, 2, 3, 130
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE

Handler = Callable[[argparse.Namespace], int]
Setup = Callable[[argparse._SubParsersAction], None]
COMMANDS: list[Setup] = []


def command(setup: Setup) -> Setup:
    """Register a function that adds one sub-command (and sets ``handler``) to the parser."""
    COMMANDS.append(setup)
    return setup
