"""``photogan gui``: opens the desktop app in its own process.

The engine never imports the GUI (an import-linter contract), so this starts it as a program:
``python -m gui`` from a source or pip install, or the ``PhotoGAN`` executable that sits next
to the ``photogan`` one in a packaged (frozen) build.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from engine.cli.base import command
from engine.errors import UsageError


@command
def setup(subs: argparse._SubParsersAction) -> None:
    p = subs.add_parser("gui", help="open the desktop app",
                        description="Open the PhotoGAN window, optionally with photos queued.")
    p.add_argument("inputs", metavar="INPUT", nargs="*", type=Path,
                   help="photos or folders to put in the queue")
    p.set_defaults(handler=handle)


def gui_command(args: list[str]) -> list[str]:
    """The command line that starts the desktop app with ``args``.

    Raises:
        UsageError: a frozen build whose ``PhotoGAN`` executable is missing.
    """
    if not getattr(sys, "frozen", False):
        return [sys.executable, "-m", "gui", *args]
    name = "PhotoGAN.exe" if sys.platform == "win32" else "PhotoGAN"
    app = Path(sys.executable).with_name(name)
    if not app.exists():
        raise UsageError(f"The desktop app {app} is missing from this installation; "
                         "reinstall PhotoGAN.")
    return [str(app), *args]


def handle(args: argparse.Namespace) -> int:
    """Start the app and return its exit status. The app gets the terminal's stderr (this
    process's fd 2 may be its log file) and opens its own log."""
    command = gui_command([str(p) for p in args.inputs])
    if args.debug:
        command.insert(1 if getattr(sys, "frozen", False) else 3, "--debug")
    sys.stderr.flush()
    return subprocess.call(command, stderr=sys.stderr)
