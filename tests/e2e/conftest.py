"""Fixtures for end-to-end tests that run the real ``photogan`` command as a subprocess."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.helpers import photogan_cmd


@pytest.fixture
def photogan(tmp_path):
    """Run ``photogan ARGS...``; returns the CompletedProcess (text mode)."""
    def run(*args: str, timeout: float = 300, backend: str = "tensorflow"):
        # os.environ is read per call, so fixtures that set variables later still count.
        env = dict(os.environ, PHOTOGAN_HOME=str(tmp_path / "home"), KERAS_BACKEND=backend)
        return subprocess.run(photogan_cmd() + [str(a) for a in args], capture_output=True,
                              text=True, env=env, timeout=timeout)

    return run
