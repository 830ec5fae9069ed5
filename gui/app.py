"""Starts the desktop app: ``photogan-gui``, ``python -m gui`` and ``photogan gui``.

Before any Qt library loads, ``main`` opens the run's log file (Qt's and the libraries' own
stderr lines go there, see ``engine.logs``) and checks that a window can open here
(``gui.platform_check``; exit status 69 with a message naming the missing system libraries).
PySide6 is therefore imported inside the functions, never at module level.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from engine.api import APP_NAME, __version__, logs, resource_path

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line arguments: photos or folders to queue, and an optional settings file."""
    parser = argparse.ArgumentParser(prog="photogan-gui", description="PhotoGAN desktop app")
    parser.add_argument("inputs", nargs="*", type=Path, help="photos or folders to queue")
    parser.add_argument("--settings", type=Path, help="settings file (default: user config)")
    parser.add_argument("--version", action="version", version=f"PhotoGAN {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show Qt's and the libraries' log lines on the terminal")
    parser.add_argument("--smoke-test", action="store_true",
                        help="for packaging checks: quit with status 0 as soon as the main "
                             "window is shown, after printing 'main window shown'")
    parser.add_argument("--check-platform", action="store_true", help=argparse.SUPPRESS)
    args, _qt_args = parser.parse_known_args(argv)
    return args


def make_app(argv: list[str]) -> QApplication:
    """The ``QApplication`` with the app's names and high-DPI rounding set. Qt 6 scales for
    high-DPI screens and follows the system's light or dark palette by itself."""
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtGui import QGuiApplication, QIcon
    from PySide6.QtWidgets import QApplication

    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    QGuiApplication.setDesktopFileName("photogan")
    icon = resource_path("icons", "photogan.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app  # type: ignore[return-value]


_QT_FALSE_HINT = "xcb-cursor0 or libxcb-cursor0 is needed"  # platform_check found it loads


def route_qt_messages(starting: dict) -> None:
    """Send Qt's messages to the log file. A fatal one (Qt gives up, e.g. no display to connect
    to) also reaches the terminal, after the warnings that led to it, with the log's path; while
    ``starting["now"]`` (before the ``QApplication`` exists) the app then exits with
    ``EXIT_NO_PLATFORM`` instead of Qt's abort."""
    import logging
    import os
    from collections import deque

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from gui import platform_check

    qt_log, recent = logging.getLogger("qt"), deque(maxlen=5)
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def handler(kind, context, message: str) -> None:
        category = getattr(context, "category", None) or "qt"
        qt_log.log(levels.get(kind, logging.WARNING), "%s: %s", category, message)
        if _QT_FALSE_HINT not in message:
            recent.append(f"{category}: {message}")
        if kind == QtMsgType.QtFatalMsg:
            where = logs.where(logs.current())
            if sys.stderr is not None:  # (None in a windowed Windows app)
                sys.stderr.write("PhotoGAN cannot start its window. Qt said:\n  "
                                 + "\n  ".join(recent) + (f"\n({where})\n" if where else "\n"))
                sys.stderr.flush()
            if starting["now"]:
                logging.shutdown()
                os._exit(platform_check.EXIT_NO_PLATFORM)

    qInstallMessageHandler(handler)


def main(argv: list[str] | None = None) -> int:
    """Open the window (queueing any paths given) and run until it closes."""
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    from gui import platform_check

    if args.check_platform:  # packaging smoke test: where the X11 libraries load from
        return platform_check.report()
    logs.start("gui", debug=args.debug)
    platform_check.ensure_platform()
    starting = {"now": True}
    route_qt_messages(starting)
    app = make_app(argv)
    starting["now"] = False
    from PySide6.QtCore import QTimer

    from gui.main_window import MainWindow

    window = MainWindow(settings_path=args.settings)
    window.show()
    if args.inputs:
        window.queue.add_paths([p for p in args.inputs if p.exists()])
    if args.smoke_test:
        QTimer.singleShot(0, lambda: _smoke_test_done(app, window))
    return app.exec()


def _smoke_test_done(app: QApplication, window) -> None:
    """``--smoke-test``: runs once the event loop has shown the window; reports and quits.
    build_scripts/smoke_test.py starts the packaged app with it (offscreen) and times it."""
    shown = window.isVisible() and window.windowHandle() is not None
    print("main window shown" if shown else "main window NOT shown", flush=True)
    window.close()
    app.exit(0 if shown else 1)
