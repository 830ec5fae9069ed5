"""The per-run log file, and where library log lines go.

Each run of the ``photogan`` command or the desktop app writes one log file in
``resources.user_log_dir()``: ``photogan-YYYYmmdd-HHMMSS-PID.log`` or ``gui-...``; only the
newest ``KEEP`` of each program are kept. It receives Python logging (PhotoGAN's ``photogan``
logger and every library's), Python warnings, the tracebacks of internal errors and, unless the
user asked to see them, everything native libraries write to the process's stderr: the
TensorFlow/absl/oneDNN start-up lines, OpenCV and Qt messages. For that, file descriptor 2 is
pointed at the log file while ``sys.stderr`` (the program's own lines) keeps writing to the
terminal.

``--debug`` or ``PHOTOGAN_LOG_LEVEL=debug|info|warning|error`` leaves stderr alone: library
lines reach the terminal (TensorFlow's C++ log level follows the chosen level) and Python log
records at that level are shown there too; the log file is still written.

Why TensorFlow's lines came twice: ``import tensorflow`` loads two shared libraries that each
carry a copy of the same start-up code (``libtensorflow_framework.so.2`` and the profiler's
``_pywrap_profiler_plugin.so``), and both print the oneDNN notice before absl logging is set up,
so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence either. It is one import, not two.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import logging
import os
import sys
import threading
import time
from pathlib import Path

from engine.resources import user_log_dir

KEEP = 10
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}
_TF_LEVELS = {logging.DEBUG: "0", logging.INFO: "0", logging.WARNING: "1", logging.ERROR: "2"}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("photogan")
_state: dict = {"path": None, "file": None, "terminal": False}


def requested_level(debug: bool = False) -> int | None:
    """The level the user asked to see on the terminal (``--debug`` or
    ``PHOTOGAN_LOG_LEVEL``), or ``None`` for a quiet terminal."""
    if debug:
        return logging.DEBUG
    name = os.environ.get("PHOTOGAN_LOG_LEVEL", "").strip().lower()
    if not name:
        return None
    return LEVELS.get(name, logging.INFO)


def folder() -> Path:
    """The log folder, created if missing (``OSError`` when it cannot be)."""
    path = user_log_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def current() -> Path | None:
    """This run's log file, or ``None`` when ``start()`` was not called (library use, tests)."""
    return _state["path"]


def start(program: str, debug: bool = False) -> Path | None:
    """Open this run's log file and route library output to it (see the module docstring).

    Call once, first thing in a program's entry point, before TensorFlow or Qt load.

    Args:
        program: file name prefix, ``photogan`` or ``gui``.
        debug: ``--debug`` was given: library lines stay on the terminal.

    Returns:
        The log file, or ``None`` when the log folder cannot be written (library lines then
        go nowhere unless asked for).
    """
    level = requested_level(debug)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", _TF_LEVELS.get(level, "1"))
    handle = _open_log(program)
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if level == logging.DEBUG else logging.INFO)
    if handle is not None:
        file_handler = logging.StreamHandler(handle)
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(file_handler)
        faulthandler.enable(handle)
    if level is not None:
        terminal = logging.StreamHandler(sys.stderr)
        terminal.setLevel(level)
        terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(terminal)
        _state["terminal"] = True
    else:
        _divert_native_stderr(handle)
    logging.captureWarnings(True)
    _log_uncaught()
    log.info("%s started: %s", program, " ".join(sys.argv))
    return current()


def _log_uncaught() -> None:
    """Tracebacks of uncaught exceptions (in the main thread, other threads and Qt slots) go to
    the log as well as wherever they went before."""
    previous, previous_thread = sys.excepthook, threading.excepthook

    def hook(kind, value, tb):
        log.error("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    def thread_hook(args):
        log.error("uncaught exception in thread %s", getattr(args.thread, "name", "?"),
                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
        previous_thread(args)

    sys.excepthook, threading.excepthook = hook, thread_hook


def _open_log(program: str):
    """Create the folder, drop old logs of ``program``, open a new line-buffered file."""
    folder = user_log_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _prune(folder, program, KEEP - 1)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = folder / f"{program}-{stamp}-{os.getpid()}.log"
        handle = open(path, "a", buffering=1, encoding="utf-8",  # noqa: SIM115 (kept open)
                      errors="backslashreplace")
    except OSError:
        return None
    _state.update(path=path, file=handle)
    return handle


def _prune(folder: Path, program: str, keep: int) -> None:
    """Delete all but the newest ``keep`` logs of ``program`` (names sort by start time)."""
    logs = sorted(folder.glob(f"{program}-*.log"))
    for old in logs[: max(0, len(logs) - keep)]:
        with contextlib.suppress(OSError):
            old.unlink()


def _divert_native_stderr(handle) -> None:
    """Point fd 2 at the log file (or the null device) and keep ``sys.stderr`` on the
    terminal, so only the program's own lines reach it."""
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
    except (OSError, AttributeError, ValueError):
        terminal = None  # no usable stderr (a windowed app): nothing to keep
    target = handle.fileno() if handle is not None else os.open(os.devnull, os.O_WRONLY)
    os.dup2(target, 2)
    if terminal is not None:
        encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
        sys.stderr = open(terminal, "w", buffering=1, encoding=encoding,  # noqa: SIM115
                          errors="backslashreplace")


def on_terminal() -> bool:
    """Whether log records (tracebacks included) are also shown on the terminal."""
    return _state["terminal"]


def record_exception(exc: BaseException, what: str) -> Path | None:
    """Write ``what`` and the traceback of ``exc`` to the log; returns the log file (``None``
    when there is none)."""
    log.error("%s", what, exc_info=(type(exc), exc, exc.__traceback__))
    return current()


def where(path: Path | None) -> str:
    """The sentence that points a user at the log file (empty when there is none)."""
    return f"details are in the log file {path}" if path else ""


def exit_fast(status: int) -> None:
    """End a command-line process with ``status`` once its work is done and written.

    With TensorFlow or PyTorch loaded, Python's own finalisation (tearing down thousands of
    modules) takes seconds after the last line is printed, also after a Ctrl-C. This runs the
    ``atexit`` handlers, flushes and closes the log and the standard streams, then leaves at
    once. Without those libraries it is a plain ``sys.exit``.
    """
    if not any(name in sys.modules for name in ("tensorflow", "torch", "jax")):
        sys.exit(status)
    atexit._run_exitfuncs()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    os._exit(status)
