"""Finds bundled resources (weights, samples, styles, icons) in source and frozen runs, and the
per-user folders where PhotoGAN writes (models, settings, logs). Nothing is ever written inside
the bundle: a packaged install may be read-only (``/opt``, ``Program Files``, a signed macOS
app), and an update replaces it whole.

Source checkout: ``resources/`` next to ``engine/``. PyInstaller build: ``sys.frozen`` is set and
``sys._MEIPASS`` is the bundle's ``_internal/`` folder, which holds ``resources/``. Other
freezers (no ``_MEIPASS``): ``resources/`` next to the executable, or ``Contents/Resources`` of a
macOS ``.app``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "PhotoGAN"


def is_frozen() -> bool:
    """Whether this is a packaged executable (PyInstaller or another freezer)."""
    return bool(getattr(sys, "frozen", False))


def bundle_root() -> Path:
    """The read-only folder the program runs from: the PyInstaller bundle (``sys._MEIPASS``)
    or the executable's folder when frozen, the source checkout otherwise."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    if is_frozen():
        return Path(sys.executable).resolve().parent
    return Path(__file__).resolve().parent.parent


def resources_root() -> Path:
    """The ``resources/`` folder (see the module docstring); ``PHOTOGAN_RESOURCES`` overrides."""
    override = os.environ.get("PHOTOGAN_RESOURCES")
    if override:
        return Path(override)
    root = bundle_root()
    if is_frozen() and not getattr(sys, "_MEIPASS", None) and root.name == "MacOS":
        mac_resources = root.parent / "Resources" / "resources"
        if mac_resources.is_dir():
            return mac_resources
    return root / "resources"


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


def user_log_dir() -> Path:
    """Per-user folder for log files (``PHOTOGAN_HOME/logs`` when that is set).

    Linux: ``$XDG_STATE_HOME/PhotoGAN/logs`` (``~/.local/state/PhotoGAN/logs``); macOS:
    ``~/Library/Logs/PhotoGAN``; Windows: ``%LOCALAPPDATA%\\PhotoGAN\\logs``.
    """
    override = os.environ.get("PHOTOGAN_HOME")
    if override:
        return Path(override) / "logs"
    if sys.platform == "win32":
        return user_data_dir() / "logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / APP_NAME
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return base / APP_NAME / "logs"


def inside_bundle(path: Path) -> bool:
    """Whether ``path`` lies inside the read-only bundle of a frozen build (always ``False`` in
    a source run, where the checkout is writable)."""
    if not is_frozen():
        return False
    try:
        Path(path).resolve().relative_to(bundle_root().resolve())
        return True
    except ValueError:
        return False
