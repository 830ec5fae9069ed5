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
