"""Fixtures for end-to-end tests that run the real ``photogan`` command as a subprocess."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.e2e.helpers import photogan_cmd


@pytest.fixture
def photogan(tmp_path):
    """Run ``photogan ARGS...``; returns the CompletedProcess (text mode)."""
    env = dict(os.environ, PHOTOGAN_HOME=str(tmp_path / "home"), KERAS_BACKEND="tensorflow")

    def run(*args: str, timeout: float = 300, backend: str = "tensorflow"):
        return subprocess.run(photogan_cmd() + [str(a) for a in args], capture_output=True,
                              text=True, env=dict(env, KERAS_BACKEND=backend), timeout=timeout)

    return run
