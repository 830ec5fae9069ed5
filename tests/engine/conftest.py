"""Engine test fixtures: an isolated, empty model store per test."""

from __future__ import annotations

import pytest


@pytest.fixture
def store(tmp_path, monkeypatch):
    """Point the user store at a temp folder and hide shipped models; yields the user dir."""
    from engine.store import catalog
    from engine.store.loader import clear_cache

    monkeypatch.setenv("PHOTOGAN_HOME", str(tmp_path / "home"))
    shipped = tmp_path / "resources"
    (shipped / "weights").mkdir(parents=True)
    monkeypatch.setenv("PHOTOGAN_RESOURCES", str(shipped))
    clear_cache()
    yield catalog.user_models_dir()
    clear_cache()
