"""The training wizard's folder check as the front ends see it: ``DataScan`` with one
``ScannedFolder`` per data folder (frozen dataclasses made from ``engine.training.survey``'s
dict)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ScannedFolder:
    """One scanned data folder.

    Attributes:
        label: what the folder is for (``Sharp photos``, ``Domain A``, ...).
        root: the folder (a string path).
        images: how many images training would use.
        smallest, largest: ``(width, height)`` of the smallest and largest usable image by
            area, ``None`` when there is none.
        thumbs: a few example image paths, spread over the folder.
    """

    label: str
    root: str
    images: int
    smallest: tuple[int, int] | None = None
    largest: tuple[int, int] | None = None
    thumbs: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataScan:
    """What training would use in the chosen folders (``api.scan_training_data``).

    Attributes:
        kind: the training kind.
        mode: ``synthetic``, ``paired``, ``unpaired``, ``single`` or ``""`` (not decided).
        usable: whether training can start; ``reason`` says why not (a sentence, else empty).
        folders: the scanned folders, in the order the kind names them.
        pairs: the number of matched pairs (paired mode), else ``None``.
        problems: one sentence per skipped file.
        warnings: sentences about usable but doubtful data (e.g. very few images).
    """

    kind: str
    mode: str
    usable: bool
    reason: str = ""
    folders: tuple[ScannedFolder, ...] = ()
    pairs: int | None = None
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """The former dict (lists for the sequences, ``[w, h]`` sizes as JSON writes them)."""
        found = asdict(self)
        found["folders"] = [{**asdict(f), "thumbs": list(f.thumbs)} for f in self.folders]
        return {**found, "problems": list(self.problems), "warnings": list(self.warnings)}


def _size(size) -> tuple[int, int] | None:
    return None if size is None else (int(size[0]), int(size[1]))


def data_scan(found: dict) -> DataScan:
    """``survey.survey``'s dict as a ``DataScan``."""
    folders = tuple(ScannedFolder(label=f["label"], root=f["root"], images=f["images"],
                               smallest=_size(f["smallest"]), largest=_size(f["largest"]),
                               thumbs=tuple(f["thumbs"])) for f in found["folders"])
    return DataScan(kind=found["kind"], mode=found["mode"], usable=found["usable"],
                    reason=found["reason"], folders=folders, pairs=found["pairs"],
                    problems=tuple(found["problems"]), warnings=tuple(found["warnings"]))
