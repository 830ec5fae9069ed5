"""``photogan gui`` starts the desktop app as a separate program (the engine never imports
the GUI)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from engine.cli import cmd_gui
from engine.cli import main as photogan
from engine.errors import UsageError


def test_photogan_gui_runs_python_m_gui_with_the_inputs(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(subprocess, "call", lambda cmd, **kw: calls.append(cmd) or 0)
    assert photogan(["gui", str(tmp_path / "a.jpg")]) == 0
    assert photogan(["--debug", "gui"]) == 0
    assert calls == [[sys.executable, "-m", "gui", str(tmp_path / "a.jpg")],
                     [sys.executable, "-m", "gui", "--debug"]]


def test_a_frozen_build_starts_the_sibling_app(monkeypatch, tmp_path):
    exe = tmp_path / ("photogan.exe" if sys.platform == "win32" else "photogan")
    app = exe.with_name("PhotoGAN.exe" if sys.platform == "win32" else "PhotoGAN")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(exe))
    with pytest.raises(UsageError, match="missing"):
        cmd_gui.gui_command([])
    app.write_text("")
    assert cmd_gui.gui_command(["x"]) == [str(app), "x"]


def test_gui_module_starts_and_shows_its_version():
    out = subprocess.run([sys.executable, "-m", "gui", "--version"], capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0 and out.stdout.startswith("PhotoGAN ")
