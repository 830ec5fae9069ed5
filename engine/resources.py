"""Finds bundled resources (weights, samples, styles, icons) in source and frozen runs, and the
per-user folders where PhotoGAN writes (models, settings, logs). Nothing is ever written inside
the bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "PhotoGAN"


def resources_root() -> Path:
    """The ``resources/`` folder: next to the packages in a source checkout, or inside the
    PyInstaller bundle (``sys._MEIPASS``) when frozen. ``PHOTOGAN_RESOURCES`` overrides it."""
    override = os.environ.get("PHOTOGAN_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A path below ``resources/``, e.g. ``resource_path("samples", "HappyFish.jpg")``."""
    return resources_root().joinpath(*parts)


def user_data_dir() -> Path:
    """Per-user writable data folder (user models, training runs). ``PHOTOGAN_HOME`` overrides.

    Linux: ``$XDG_DATA_HOME/PhotoGAN`` (``~/.local/share/PhotoGAN``); macOS:
    ``~/Library/Application Support/PhotoGAN``; Windows: ``%LOCALAPPDATA%\\PhotoGAN``.
    """
    override = os.environ.get("PHOTOGAN_HOME")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / APP_NAME


def user_config_dir() -> Path:
    """Per-user settings folder (``PHOTOGAN_HOME/config`` when that is set)."""
    override = os.environ.get("PHOTOGAN_HOME")
    if override:
        return Path(override) / "config"
    if sys.platform in ("win32", "darwin"):
        return user_data_dir()
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    return base / APP_NAME
