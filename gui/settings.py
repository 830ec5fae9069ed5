"""The GUI's one typed settings object, stored as JSON in the user's config folder.

Tests point it elsewhere with ``PHOTOGAN_HOME`` or by passing a path. Unknown keys are ignored
and values of the wrong type fall back to their defaults, so an old or hand-edited file never
stops the app from starting.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from engine.api import user_config_dir

FILE_NAME = "gui.json"


def default_path() -> Path:
    """Where settings live: ``<user config dir>/gui.json``."""
    return user_config_dir() / FILE_NAME


def default_output_dir() -> str:
    """``~/Pictures/PhotoGAN`` when a Pictures folder exists, else ``~/PhotoGAN``."""
    pictures = Path.home() / "Pictures"
    base = pictures if pictures.is_dir() else Path.home()
    return str(base / "PhotoGAN")


@dataclass
class GuiSettings:
    """Everything the window remembers between runs.

    Attributes:
        task: the task chosen last.
        task_options: per task id, the option values last used.
        output_dir: where outputs go.
        format: ``same``, ``png``, ``jpg``, ``tiff`` or ``webp``.
        quality: JPEG/WebP quality 1..100.
        overwrite: replace existing outputs instead of skipping them.
        recursive: walk sub-folders of dropped folders and mirror them.
        tile: tile size in pixels, 0 for automatic.
        device: ``auto``, ``cpu`` or ``gpu``.
        last_input_dir: folder the Add Files / Add Folder dialogs open in.
        geometry: the main window geometry (hex of ``QWidget.saveGeometry()``).
        window_state: toolbars/docks state (hex of ``QMainWindow.saveState()``).
        splitter: the main splitter state (hex).
        training_folders: the training wizard's data folders, by choice (``Choice.key``).
    """

    task: str = "sharpen"
    task_options: dict[str, dict] = field(default_factory=dict)
    output_dir: str = field(default_factory=default_output_dir)
    format: str = "same"
    quality: int = 95
    overwrite: bool = False
    recursive: bool = False
    tile: int = 0
    device: str = "auto"
    last_input_dir: str = ""
    geometry: str = ""
    window_state: str = ""
    splitter: str = ""
    training_folders: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | str | None = None) -> GuiSettings:
        """Read settings from ``path`` (default: ``default_path()``); defaults when missing
        or unreadable."""
        target = Path(path) if path else default_path()
        try:
            raw = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        return cls.from_dict(raw if isinstance(raw, dict) else {})

    @classmethod
    def from_dict(cls, raw: dict) -> GuiSettings:
        """Build settings from a dict, keeping only known keys with values of the right type."""
        settings = cls()
        for f in fields(cls):
            if f.name not in raw:
                continue
            value, default = raw[f.name], getattr(settings, f.name)
            if _same_type(value, default):
                setattr(settings, f.name, value)
        return settings

    def save(self, path: Path | str | None = None) -> Path:
        """Write settings atomically (temp file, then rename); returns the path written."""
        target = Path(path) if path else default_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(asdict(self), indent=2, sort_keys=True)
        fd, tmp = tempfile.mkstemp(prefix=".gui-", suffix=".json", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def options_for(self, task_id: str) -> dict:
        """The remembered option values of one task (empty when none)."""
        return dict(self.task_options.get(task_id, {}))

    def remember_options(self, task_id: str, values: dict) -> None:
        """Store the option values of one task."""
        self.task_options[task_id] = dict(values)


def _same_type(value: object, default: object) -> bool:
    """Whether ``value`` may replace ``default`` (bool and int are kept apart)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    return isinstance(value, type(default))
