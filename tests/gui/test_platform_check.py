"""The start-up check that Qt's platform plugin can load, with the dynamic loader simulated."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gui import platform_check as pc

QT = pc.qt_folder()
linux_qt = pytest.mark.skipif(not sys.platform.startswith("linux") or QT is None or not (
    QT / "plugins" / "platforms" / "libqxcb.so").is_file(), reason="Linux PySide6 wheel only")


def loader_without(*absent: str):
    return lambda soname: soname not in absent


@linux_qt
def test_reads_the_libraries_the_xcb_plugin_needs():
    names = pc.needed(QT / "plugins" / "platforms" / "libqxcb.so")
    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1",
            "libxkbcommon-x11.so.0", "libQt6XcbQpa.so.6"} <= set(names)
    # Qt's own libraries are followed: libglib comes in through libQt6XcbQpa and libQt6Gui.
    assert "libglib-2.0.so.0" in pc.missing_for("xcb", QT, loader_without("libglib-2.0.so.0"))


@linux_qt
def test_missing_xcb_libraries_are_named_with_the_install_lines():
    verdict = pc.check({"DISPLAY": ":0"}, QT,
                       loader_without("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    assert verdict.missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]
    lines = verdict.problem.splitlines()
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in lines[0]
    assert "  Debian/Ubuntu: sudo apt install libxcb-icccm4 libxcb-keysyms1" in lines
    assert "  Fedora:        sudo dnf install xcb-util-keysyms xcb-util-wm" in lines


@linux_qt
def test_all_present_leaves_x11_and_offscreen_is_not_checked():
    assert pc.check({"DISPLAY": ":0"}, QT, loader_without()).problem == ""
    nothing_loads = lambda soname: False  # noqa: E731
    assert pc.check({"QT_QPA_PLATFORM": "offscreen"}, QT, nothing_loads).problem == ""
    assert pc.check({"DISPLAY": ":0"}, QT, nothing_loads, system="win32").problem == ""


@linux_qt
def test_wayland_sessions_use_wayland_when_it_loads_and_fall_back_to_x11():
    session = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert pc.check(session, QT, loader_without()).platform == "wayland"
    no_wayland = loader_without("libwayland-cursor.so.0")
    assert pc.check(session, QT, no_wayland).platform == "xcb"
    only_wayland = {"WAYLAND_DISPLAY": "wayland-0"}
    verdict = pc.check(only_wayland, QT, no_wayland)
    assert "Wayland" in verdict.problem and "libwayland-cursor0" in verdict.problem


@linux_qt
def test_no_display_at_all_says_so():
    assert "no display" in pc.check({}, QT, loader_without()).problem


@linux_qt
def test_the_app_exits_69_with_only_the_message_when_a_library_is_missing(tmp_path):
    """The real start-up path (`python -m gui`), with libxcb-icccm.so.4 hidden from the
    loader: one message, the documented status, no Qt text, and Qt never loaded."""
    script = (
        "import atexit, sys\n"
        "import gui.platform_check as pc\n"
        "real = pc.can_load\n"
        "pc.can_load = lambda name: name != 'libxcb-icccm.so.4' and real(name)\n"
        "atexit.register(lambda: print('QtWidgets loaded:', 'PySide6.QtWidgets' in sys.modules))\n"
        "from gui.app import main\n"
        "sys.exit(main([]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":0", PHOTOGAN_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == pc.EXIT_NO_PLATFORM, proc.stderr
    assert proc.stderr.startswith("PhotoGAN cannot open its window")
    assert "libxcb-icccm.so.4" in proc.stderr and "sudo apt install" in proc.stderr
    assert "sudo dnf install" in proc.stderr
    assert "qt.qpa" not in proc.stderr and "Reinstalling" not in proc.stderr
    assert proc.stdout.strip() == "QtWidgets loaded: False"


@linux_qt
def test_when_qt_still_cannot_start_its_own_words_reach_the_terminal_and_it_exits_69(tmp_path):
    """Libraries fine (as far as the check knows) but no X server answers: Qt's fatal message
    and the warnings before it are shown (not Qt's false libxcb-cursor0 hint), then status 69
    instead of Qt's abort."""
    script = (
        "import sys\n"
        "import gui.platform_check as pc\n"
        "pc.can_load = lambda name: True\n"
        "from gui.app import main\n"
        "sys.exit(main([]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":4093", PHOTOGAN_HOME=str(tmp_path / "home"))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == pc.EXIT_NO_PLATFORM, proc.stderr
    assert proc.stderr.startswith("PhotoGAN cannot start its window. Qt said:")
    assert "xcb-cursor0 or libxcb-cursor0 is needed" not in proc.stderr
    assert str(tmp_path / "home" / "logs") in proc.stderr
