"""Help > Open Log Folder."""

from __future__ import annotations

from PySide6.QtGui import QDesktopServices


def test_help_open_log_folder_opens_the_per_user_log_folder(window, home, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert window.actions.open_logs in help_menu.actions()
    window.actions.open_logs.trigger()
    assert [url.toLocalFile() for url in opened] == [str(home / "logs")]
    assert (home / "logs").is_dir()
    assert str(home / "logs") in window.status.currentMessage()


def test_the_app_keeps_qt_and_library_lines_off_the_terminal(tmp_path):
    """`python -m gui` in a plain environment: Qt's and TensorFlow's own lines go to the
    app's log file; the terminal gets nothing on stderr."""
    import os
    import subprocess
    import sys

    quieting = ("TF_CPP_MIN_LOG_LEVEL", "PHOTOGAN_LOG_LEVEL", "QT_LOGGING_RULES")
    env = {k: v for k, v in os.environ.items() if k not in quieting}
    env.update(QT_QPA_PLATFORM="offscreen", PHOTOGAN_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-m", "gui", "--smoke-test"], capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "main window shown"
    assert proc.stderr == ""
    logs = list((tmp_path / "home" / "logs").glob("gui-*.log"))
    assert len(logs) == 1 and "gui started" in logs[0].read_text(encoding="utf-8")
