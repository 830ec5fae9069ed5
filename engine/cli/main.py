"""Argument parsing, exit codes and error reporting shared by every sub-command.

Exit status: 0 all done or skipped; 1 some inputs failed; 2 bad usage; 3 no input images;
70 internal error (a bug: the traceback is in the log file); 130 cancelled (Ctrl-C).
Expected errors print one line; ``--debug`` adds the traceback. Each run from the command line
writes a log file (``engine.logs``) that also takes the libraries' log lines.
"""

from __future__ import annotations

import argparse
import sys
import traceback

from engine.api import __version__, logs
from engine.cli import commands  # noqa: F401  (registers the sub-commands)
from engine.cli.base import (  # noqa: F401  (EXIT_* re-exported for callers)
    COMMANDS,
    EXIT_CANCELLED,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_NO_INPUT,
    EXIT_OK,
    EXIT_USAGE,
)
from engine.cli.hints import explain
from engine.errors import Cancelled, PhotoGANError, UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # exit status 2 with one clear line
        self.print_usage(sys.stderr)
        sys.stderr.write(f"photogan: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    """The full ``photogan`` parser with every registered sub-command."""
    parser = _Parser(prog="photogan", description="Fix and transform photos with GANs.")
    parser.add_argument("--version", action="version", version=f"photogan {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    subs = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for setup in COMMANDS:
        setup(subs)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``photogan`` console script; returns the exit status.

    Called without ``argv`` (a real command line) it first opens the run's log file, which
    keeps library log lines off the terminal; tests pass ``argv`` and leave the process alone.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None:
        logs.start("photogan", debug=args.debug)
        logs.exit_fast(_run(parser, args))
    return _run(parser, args)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.handler(args)
    except UsageError as exc:
        _report(exc, args.debug)
        return EXIT_USAGE
    except Cancelled as exc:
        _report(exc, args.debug, "photogan: ")
        return EXIT_CANCELLED
    except PhotoGANError as exc:
        _report(exc, args.debug)
        return EXIT_FAILED
    except KeyboardInterrupt:
        sys.stderr.write("photogan: cancelled.\n")
        return EXIT_CANCELLED
    except Exception as exc:  # a bug: one line here, the traceback in the log file
        return _internal_error(exc, args)


def _report(exc: BaseException, debug: bool, head: str = "photogan: error: ") -> None:
    if debug:
        traceback.print_exception(exc)
    sys.stderr.write(f"{head}{explain(exc)}\n")


def _internal_error(exc: Exception, args: argparse.Namespace) -> int:
    """Log the traceback, show it with ``--debug``, and print one line saying where it is."""
    path = logs.record_exception(exc, f"internal error in `photogan {args.command}`")
    if args.debug and not logs.on_terminal():  # (else the log record showed it already)
        traceback.print_exception(exc)
    where = f"; {logs.where(path)}" if path else "; run again with --debug to see the details"
    sys.stderr.write(f"photogan: internal error ({type(exc).__name__}: {exc}){where}. "
                     "Please report it with that text.\n")
    return EXIT_INTERNAL
