"""The resource-path helper: bundled resources are found in source and frozen (PyInstaller)
runs, and every per-user folder lies outside the bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine import resources
from engine.store import catalog

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("PHOTOGAN_RESOURCES", "PHOTOGAN_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                 "XDG_STATE_HOME", "LOCALAPPDATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: Path("/home/ada")))
    return monkeypatch


@pytest.fixture
def frozen(clean_env, tmp_path):
    """A simulated one-folder PyInstaller build: dist/PhotoGAN/{photogan,_internal/resources}."""
    app = tmp_path / "dist" / "PhotoGAN"
    internal = app / "_internal"
    (internal / "resources" / "samples").mkdir(parents=True)
    clean_env.setattr(sys, "frozen", True, raising=False)
    clean_env.setattr(sys, "_MEIPASS", str(internal), raising=False)
    clean_env.setattr(sys, "executable", str(app / "photogan"))
    return internal


def test_a_source_run_finds_the_checkouts_resources(clean_env):
    assert not resources.is_frozen()
    assert resources.resources_root() == REPO / "resources"
    assert resources.resource_path("samples", "HappyFish.jpg").is_file()
    assert resources.resource_path("icons", "photogan.png").is_file()


def test_a_frozen_run_finds_resources_inside_the_bundle(frozen):
    assert resources.is_frozen()
    assert resources.bundle_root() == frozen
    assert resources.resource_path("samples") == frozen / "resources" / "samples"
    assert catalog.shipped_dir() == frozen / "resources" / "weights"


def test_a_frozen_run_without_meipass_looks_next_to_the_executable(clean_env, tmp_path):
    clean_env.setattr(sys, "frozen", True, raising=False)
    clean_env.setattr(sys, "executable", str(tmp_path / "app" / "photogan"))
    assert resources.resource_path("styles") == tmp_path / "app" / "resources" / "styles"


def test_a_frozen_macos_app_without_meipass_uses_contents_resources(clean_env, tmp_path):
    contents = tmp_path / "PhotoGAN.app" / "Contents"
    (contents / "Resources" / "resources").mkdir(parents=True)
    (contents / "MacOS").mkdir()
    clean_env.setattr(sys, "frozen", True, raising=False)
    clean_env.setattr(sys, "executable", str(contents / "MacOS" / "PhotoGAN"))
    assert resources.resources_root() == contents / "Resources" / "resources"


def test_the_resources_override_wins_even_when_frozen(frozen, monkeypatch, tmp_path):
    monkeypatch.setenv("PHOTOGAN_RESOURCES", str(tmp_path / "elsewhere"))
    assert resources.resource_path("weights") == tmp_path / "elsewhere" / "weights"


@pytest.mark.parametrize("platform, data, config, logs", [
    ("linux", "/home/ada/.local/share/PhotoGAN", "/home/ada/.config/PhotoGAN",
     "/home/ada/.local/state/PhotoGAN/logs"),
    ("darwin", "/home/ada/Library/Application Support/PhotoGAN",
     "/home/ada/Library/Application Support/PhotoGAN", "/home/ada/Library/Logs/PhotoGAN"),
])
def test_user_folders_follow_the_platform_and_stay_outside_the_bundle(
        frozen, monkeypatch, platform, data, config, logs):
    monkeypatch.setattr(sys, "platform", platform)
    assert resources.user_data_dir() == Path(data)
    assert resources.user_config_dir() == Path(config)
    assert resources.user_log_dir() == Path(logs)
    assert catalog.user_models_dir() == Path(data) / "models"
    for folder in (resources.user_data_dir(), resources.user_config_dir(),
                   resources.user_log_dir(), catalog.user_models_dir()):
        assert not resources.inside_bundle(folder)


def test_windows_user_folders_live_in_local_appdata(frozen, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", "/users/ada/AppData/Local")
    assert resources.user_data_dir() == Path("/users/ada/AppData/Local/PhotoGAN")
    assert resources.user_config_dir() == resources.user_data_dir()
    assert resources.user_log_dir() == resources.user_data_dir() / "logs"


def test_photogan_home_moves_every_writable_folder(clean_env, tmp_path):
    clean_env.setenv("PHOTOGAN_HOME", str(tmp_path / "home"))
    assert resources.user_data_dir() == tmp_path / "home"
    assert resources.user_config_dir() == tmp_path / "home" / "config"
    assert resources.user_log_dir() == tmp_path / "home" / "logs"


def test_inside_bundle_is_only_true_for_paths_in_a_frozen_bundle(frozen, monkeypatch, tmp_path):
    assert resources.inside_bundle(frozen / "resources" / "weights" / "x")
    assert not resources.inside_bundle(tmp_path / "elsewhere")
    monkeypatch.setattr(sys, "frozen", False)
    assert not resources.inside_bundle(REPO / "resources")
