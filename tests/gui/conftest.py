"""Fixtures for GUI tests: settings in a temp dir, and a real main window (offscreen)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gui import background  # noqa: E402
from gui.controllers import training as training_module  # noqa: E402
from gui.controllers import window as window_module  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from gui.settings import GuiSettings  # noqa: E402

# Upper bounds of waits that end on a signal or a condition: generous, so a busy machine (a
# first Keras import in a worker thread can take minutes there) never fails a test; a
# passing test never waits for them.
RUN_TIMEOUT_MS = 300_000
WAIT_MS = 300_000  # for waits that would otherwise take pytest-qt's default of 5 s
TRAINING_STOP_MS = 600_000  # a training thread ends at its next step, however slow that is


@pytest.fixture
def training_sessions_stopped(qtbot, monkeypatch):
    """Closing a window during a run answers "stop and close" instead of a modal question;
    every training session a test started is stopped and its thread joined afterwards."""
    monkeypatch.setattr(training_module, "ask_stop_training", lambda parent: True)
    sessions = []
    start = training_module.TrainingSession.start

    def recording_start(self, plan):
        sessions.append(self)
        return start(self, plan)

    monkeypatch.setattr(training_module.TrainingSession, "start", recording_start)
    yield
    for session in sessions:
        session.shutdown()
        qtbot.waitUntil(lambda s=session: not s.host.busy, timeout=TRAINING_STOP_MS)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """``PHOTOGAN_HOME`` in a temp dir, so nothing touches the real user folders."""
    folder = tmp_path / "home"
    monkeypatch.setenv("PHOTOGAN_HOME", str(folder))
    return folder


@pytest.fixture
def out_dir(tmp_path):
    """The output folder runs write into."""
    return tmp_path / "out"


@pytest.fixture
def settings_path(tmp_path):
    """Where the window saves its settings."""
    return tmp_path / "config" / "gui.json"


@pytest.fixture
def window(qtbot, home, out_dir, settings_path, monkeypatch):
    """The main window with the sharpen task chosen and outputs going to ``out_dir``.

    pytest-qt closes it before this fixture's teardown; should work still be running then,
    closing answers "cancel and close" instead of showing a modal question.
    """
    monkeypatch.setattr(window_module, "ask_cancel_run", lambda parent: True)
    settings = GuiSettings(output_dir=str(out_dir), task="sharpen")
    win = MainWindow(settings, settings_path=settings_path, probe_backend=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.host.shutdown()
    qtbot.waitUntil(lambda: not win.host.busy, timeout=RUN_TIMEOUT_MS)
    background.drain()


@pytest.fixture
def run_and_wait(qtbot, window):
    """Start the queue and wait for the run to finish; returns the ``BatchResult``."""

    def run():
        with qtbot.waitSignal(window.run.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
            assert window.run.start(), "the run did not start"
        qtbot.waitUntil(lambda: not window.host.busy, timeout=RUN_TIMEOUT_MS)
        return blocker.args[0]

    return run
