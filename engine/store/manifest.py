"""Model manifests: what a stored model is, how to rebuild it, and how to check its file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.atomic import write_text_atomic
from engine.errors import ModelError

MANIFEST = "manifest.json"
SOURCES = ("shipped", "imported", "trained")


@dataclass
class Manifest:
    """One stored model.

    Attributes:
        id: unique name, also the folder name (letters, digits, ``-``, ``_``, ``.``).
        task: the task it serves (``deblur``, ``upscale``, ...).
        arch: architecture name in ``engine.models`` (or ``keras_file`` for a whole ``.keras``).
        config: keyword arguments for the architecture builder.
        input_range, output_range: ``"-1,1"`` or ``"0,1"``.
        scale: output size / input size (4 for upscale).
        size_multiple: input sides must be a multiple of this (tiling pads to it).
        file: weights file name inside the model folder.
        sha256: hex digest of that file; checked before loading.
        source: ``shipped``, ``imported`` or ``trained``.
        default: the task's default model when several exist.
        title: short human name; card: the model card (data, steps, metrics, notes).
        folder: where the manifest was found (not saved).
    """

    id: str
    task: str
    arch: str
    config: dict = field(default_factory=dict)
    input_range: str = "-1,1"
    output_range: str = "-1,1"
    scale: int = 1
    size_multiple: int = 1
    file: str = "weights.npz"
    sha256: str = ""
    source: str = "imported"
    default: bool = False
    title: str = ""
    card: dict = field(default_factory=dict)
    folder: Path | None = None

    @property
    def weights_path(self) -> Path:
        """Absolute path of the weights file."""
        if self.folder is None:
            raise ModelError(f"Model '{self.id}' has no folder; it was never saved.")
        return self.folder / self.file

    def to_json(self) -> dict:
        """The manifest as saved (without ``folder``)."""
        data = asdict(self)
        data.pop("folder")
        return data

    def save(self, folder: Path) -> Path:
        """Write ``manifest.json`` into ``folder`` atomically and remember the folder."""
        self.folder = Path(folder)
        return write_text_atomic(self.folder / MANIFEST, json.dumps(self.to_json(), indent=2))


def load_manifest(folder: Path) -> Manifest:
    """Read ``folder/manifest.json``.

    Raises:
        ModelError: unreadable JSON or missing fields, naming the folder.
    """
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in data.items() if k in Manifest.__dataclass_fields__}
        manifest = Manifest(**known)
    except (OSError, ValueError, TypeError) as exc:
        raise ModelError(f"The model manifest {path} is unreadable ({exc}); "
                         "remove that model folder or re-import the model.") from None
    manifest.folder = Path(folder)
    return manifest


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(manifest: Manifest) -> None:
    """Check the weights file exists and matches the manifest's sha256.

    Raises:
        ModelError: saying which model is broken and what to do.
    """
    path = manifest.weights_path
    if not path.is_file():
        raise ModelError(f"Model '{manifest.id}' is missing its weights file {path}; "
                         "re-import or re-install the model.")
    actual = file_sha256(path)
    if manifest.sha256 and actual != manifest.sha256:
        raise ModelError(f"Model '{manifest.id}' failed its checksum (the file {path.name} is "
                         "corrupt or was changed); re-import or re-install the model.")
