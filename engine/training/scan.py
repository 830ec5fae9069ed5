"""Training folders: which images a folder holds (from headers only) and how paired
sub-folders match up (``A/`` + ``B/``, ``blur/`` + ``sharp/``, ``lr/`` + ``hr/``, ...).

See ``engine.training.datasets`` for the layouts; every folder is searched recursively for
the formats ``imaging.io`` reads; hidden files are ignored, other files are reported in
``problems``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import ImageReadError, UsageError
from engine.imaging import io

# (degraded, sharp) sub-folder names of paired layouts, compared case-insensitively.
PAIR_FOLDER_NAMES = (
    ("a", "b"),
    ("blur", "sharp"),
    ("blurred", "sharp"),
    ("input", "target"),
    ("lr", "hr"),
    ("low", "high"),
)
_IGNORED_FILES = {"thumbs.db", "desktop.ini"}
_READABLE = "JPEG, PNG, TIFF, WebP or BMP"
_SCALE_SUFFIX = re.compile(r"[_-]?x\d$")
_EXAMPLES = 3  # names quoted in an error message


# --- scanning --------------------------------------------------------------------------------


@dataclass
class FolderScan:
    """The usable images of a folder, found by ``scan_folder``.

    Attributes:
        root: the folder scanned.
        paths: usable image files, recursive, sorted by relative path.
        problems: one sentence per skipped file (damaged, too small, unsupported, unmatched).
        sizes: ``(width, height)`` per path, after EXIF orientation.
    """

    root: Path
    paths: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)


def scan_folder(
    root: str | os.PathLike,
    min_side: int = 64,
    min_count: int = 1,
    pixel_limit: int = io.DEFAULT_MAX_PIXELS,
) -> FolderScan:
    """Find the usable images under ``root`` from their headers (no pixel is decoded).

    Args:
        root: the folder; searched recursively; hidden files and folders are ignored.
        min_side: images whose short side is below this are skipped.
        min_count: fewest usable images accepted.
        pixel_limit: images above this many pixels are skipped (decompression-bomb guard).

    Raises:
        UsageError: ``root`` is not a folder, or it has fewer than ``min_count`` usable images.
    """
    root = _require_folder(root)
    scan = FolderScan(root)
    for path in _walk(root):
        shown = _shown(path, root)
        if not io.is_image_path(path):
            suffix = f"'{path.suffix}' files" if path.suffix else "files without an extension"
            scan.problems.append(
                f"{shown} was skipped: {suffix} are not images PhotoGAN reads ({_READABLE})."
            )
            continue
        try:
            width, height = io.probe(path, pixel_limit)
        except ImageReadError as exc:
            scan.problems.append(_skipped(shown, exc))
            continue
        if min(width, height) < min_side:
            scan.problems.append(
                f"{shown} was skipped: it is {width}x{height} pixels, smaller than the "
                f"{min_side}-pixel minimum on the short side."
            )
            continue
        scan.paths.append(path)
        scan.sizes.append((width, height))
    _require_count(len(scan.paths), min_count, root, scan.problems)
    return scan


def _require_folder(root: str | os.PathLike | None) -> Path:
    if root is None or not Path(root).is_dir():
        raise UsageError(
            f"{root} does not exist or is not a folder; choose the folder that holds the "
            "training images."
        )
    return Path(root)


def _walk(root: Path) -> list[Path]:
    """Every non-hidden file under ``root``, sorted by relative path."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [
            Path(folder) / name
            for name in files
            if not name.startswith(".") and name.lower() not in _IGNORED_FILES
        ]
    return sorted(found, key=lambda p: p.relative_to(root).parts)


def _shown(path: Path, root: Path) -> str:
    """``path`` as the user recognises it: relative to the folder above ``root``."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return str(path)


def _skipped(shown: str, exc: Exception) -> str:
    """A problem sentence from an image-layer error (whose message starts with the name)."""
    message = str(exc)
    head, sep, rest = message.partition(": ")
    if sep and "/" not in head and head and shown.endswith(head):
        message = rest
    return f"{shown} was skipped: {message}"


def _require_count(count: int, needed: int, root: Path, problems: Sequence[str]) -> None:
    if count >= needed:
        return
    detail = ""
    if problems:
        detail = f" ({len(problems)} file(s) skipped, for example: {problems[0]})"
    noun = "image" if count == 1 else "images"
    raise UsageError(
        f"{root} has {count} usable {noun}; at least {needed} are needed for training{detail}; "
        f"add more {_READABLE} images."
    )


# --- pairs -----------------------------------------------------------------------------------


def find_pair_folders(data: str | os.PathLike) -> list[tuple[Path, Path]]:
    """The ``(degraded, sharp)`` folder pairs of a paired layout, or ``[]`` for plain folders.

    ``data`` itself holding such a pair wins; otherwise every folder below it that holds one
    counts (the GoPro layout: ``<sequence>/blur`` and ``<sequence>/sharp``).
    """
    data = Path(data)
    top = _pair_in(data)
    if top:
        return [top]
    found = []
    for folder, dirs, _ in os.walk(data):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        pair = _pair_in(Path(folder))
        if pair:
            found.append(pair)
            dirs[:] = []  # a pair's own sub-folders are its images, not more pairs
    return found


def _pair_in(folder: Path) -> tuple[Path, Path] | None:
    try:
        children = {p.name.casefold(): p for p in folder.iterdir() if p.is_dir()}
    except OSError:
        return None
    for degraded, sharp in PAIR_FOLDER_NAMES:
        if degraded in children and sharp in children:
            return children[degraded], children[sharp]
    return None


def match_pairs(a: FolderScan, b: FolderScan, min_count: int = 1) -> list[tuple[Path, Path]]:
    """Pair the images of two scans by relative path without extension (case-insensitive).

    Files without a partner (or with a duplicate name) are added to their scan's
    ``problems``. A trailing ``x<digit>`` on a name (``0001x4``) is ignored when the exact
    name has no partner.

    Args:
        a: the degraded (or low-resolution) side.
        b: the sharp (or high-resolution) side.
        min_count: fewest pairs accepted.

    Returns:
        ``(a_path, b_path)`` pairs in ``a``'s order.

    Raises:
        UsageError: fewer than ``min_count`` pairs match; names a few unmatched files.
    """
    pairs, lonely_a, lonely_b = _match(a, b)
    a.problems += [f"{_shown(p, a.root)} was skipped: no file of the same name in {b.root}."
                   for p in lonely_a]
    b.problems += [f"{_shown(p, b.root)} was skipped: no file of the same name in {a.root}."
                   for p in lonely_b]
    if len(pairs) < max(1, min_count):
        examples = [_shown(p, a.root) for p in lonely_a[:_EXAMPLES]]
        examples += [_shown(p, b.root) for p in lonely_b[:_EXAMPLES]]
        listed = ", ".join(examples) if examples else "none"
        raise UsageError(
            f"only {len(pairs)} image(s) in {a.root} have a partner with the same name in "
            f"{b.root} (at least {max(1, min_count)} needed; unmatched: {listed}); paired "
            "folders need the same relative names, such as A/0001.png and B/0001.png."
        )
    return pairs


def _match(a: FolderScan, b: FolderScan) -> tuple[list[tuple[Path, Path]], list[Path], list[Path]]:
    """``(pairs, unmatched a, unmatched b)``: exact keys first, then loose keys."""
    keys_a, dup_a = _keyed(a, _key)
    keys_b, dup_b = _keyed(b, _key)
    matched = {k: (keys_a[k], keys_b[k]) for k in keys_a.keys() & keys_b.keys()}
    loose_a = {_loose(k): p for k, p in keys_a.items() if k not in matched}
    loose_b = {_loose(k): p for k, p in keys_b.items() if k not in matched}
    used = {p for pair in matched.values() for p in pair}
    for key in loose_a.keys() & loose_b.keys():
        if loose_a[key] not in used and loose_b[key] not in used:
            matched[key] = (loose_a[key], loose_b[key])
    pairs = sorted(matched.values(), key=lambda pair: pair[0].relative_to(a.root).parts)
    paired_a = {p for p, _ in pairs}
    paired_b = {p for _, p in pairs}
    lonely_a = [p for p in a.paths if p not in paired_a and p not in dup_a]
    lonely_b = [p for p in b.paths if p not in paired_b and p not in dup_b]
    for scan, dups in ((a, dup_a), (b, dup_b)):
        scan.problems += [
            f"{_shown(p, scan.root)} was skipped: another file has the same name apart from "
            "its extension." for p in dups
        ]
    return pairs, lonely_a, lonely_b


def _keyed(scan: FolderScan, key: Callable[[Path, Path], str]) -> tuple[dict[str, Path], list]:
    keyed: dict[str, Path] = {}
    duplicates = []
    for path in scan.paths:
        k = key(path, scan.root)
        if k in keyed:
            duplicates.append(path)
        else:
            keyed[k] = path
    return keyed, duplicates


def _key(path: Path, root: Path) -> str:
    return path.relative_to(root).with_suffix("").as_posix().casefold()


def _loose(key: str) -> str:
    return _SCALE_SUFFIX.sub("", key)


def _paired(folders, scale, crop, needed, pixel_limit):
    """Scan and match every ``(degraded, sharp)`` folder pair; drop mis-sized pairs."""
    pairs: list[tuple[Path, Path]] = []
    problems: list[str] = []
    lonely: list[str] = []
    mismatched: list[str] = []
    side_b = min(64, crop)
    side_a = max(io.MIN_SIDE, side_b // scale)
    for folder_a, folder_b in folders:
        scan_a = scan_folder(folder_a, side_a, 0, pixel_limit)
        scan_b = scan_folder(folder_b, side_b, 0, pixel_limit)
        found, lonely_a, lonely_b = _match(scan_a, scan_b)
        lonely += [_shown(p, scan_a.root) for p in lonely_a]
        lonely += [_shown(p, scan_b.root) for p in lonely_b]
        problems += scan_a.problems + scan_b.problems
        problems += [f"{name} was skipped: it has no partner of the same name." for name in
                     [_shown(p, scan_a.root) for p in lonely_a]
                     + [_shown(p, scan_b.root) for p in lonely_b]]
        sizes = dict(zip(scan_a.paths, scan_a.sizes)) | dict(zip(scan_b.paths, scan_b.sizes))
        for a, b in found:
            reason = _size_mismatch(sizes[a], sizes[b], scale)
            if reason:
                mismatched.append(f"{_shown(a, scan_a.root)} and {_shown(b, scan_b.root)}: "
                                  f"{reason}")
            else:
                pairs.append((a, b))
    problems += [f"pair skipped: {m}." for m in mismatched]
    if len(pairs) < max(1, needed):
        raise UsageError(_pairs_error(folders, len(pairs), max(1, needed), lonely, mismatched))
    return pairs, problems


def _size_mismatch(size_a, size_b, scale: int) -> str:
    (wa, ha), (wb, hb) = size_a, size_b
    if scale == 1:
        return "" if (wa, ha) == (wb, hb) else f"{wa}x{ha} and {wb}x{hb} differ in size"
    if (wa, ha) == (wb // scale, hb // scale):
        return ""
    return (f"{wa}x{ha} is not 1/{scale} of {wb}x{hb} (a low-resolution image must be "
            f"{wb // scale}x{hb // scale} here)")


def _pairs_error(folders, count, needed, lonely, mismatched) -> str:
    a, b = folders[0]
    found = f"{len(folders)} folder pairs such as {a} and {b}" if len(folders) > 1 else (
        f"{a} and {b}")
    if mismatched and len(mismatched) >= len(lonely):
        return (f"only {count} usable pair(s) in {found} (at least {needed} needed): "
                f"{'; '.join(mismatched[:_EXAMPLES])}.")
    listed = ", ".join(lonely[:_EXAMPLES]) if lonely else "none"
    return (f"only {count} image(s) in {found} have a partner with the same name (at least "
            f"{needed} needed; unmatched: {listed}); paired folders need the same relative "
            "names, such as A/0001.png and B/0001.png.")
