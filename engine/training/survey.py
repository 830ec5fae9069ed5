"""What the training wizard shows about a data folder before a run: counts, sizes, problems,
whether training can start, and a preview of the synthetic degradation on one photo.

``survey`` reads file headers only (no pixel is decoded), applying the same rules as
``datasets.make_dataset`` (the same minimum side, pair matching and size checks), so what it
calls usable is what training will use. It never raises for bad folders: it answers
``usable=False`` with a sentence saying what is wrong and what to do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import UsageError
from engine.imaging import color, io
from engine.training import datasets, degrade, kinds, presets
from engine.training import scan as scanning
from engine.training.spec import ONE_FOLDER, TWO_FOLDERS

THUMBS = 8  # example images listed per survey
FEW_IMAGES = 20  # below this, the survey warns that the model will memorise its images
PREVIEW_SIDE = 192
UPSCALE_FACTOR = 4


def min_side(kind: str, crop: int) -> int:
    """The short side below which training skips an image (as ``make_dataset`` does)."""
    return io.MIN_SIDE if kinds.get(kind).layout == ONE_FOLDER else min(64, int(crop))


def survey(kind: str, data, data_b=None, crop: int | None = None,
           paired: bool | None = None, thumbs: int = THUMBS) -> dict:
    """Describe the training data of a planned run.

    Args:
        kind: ``deblur``, ``upscale``, ``cyclegan`` or ``dcgan``.
        data: the folder (domain A for cyclegan); ``None`` or ``""`` when not chosen yet.
        data_b: domain B (cyclegan only).
        crop: the training crop (default: the quick preset's); sets the minimum image side.
        paired: for deblur/upscale, ``True`` when the user chose real pairs, ``False`` for
            synthetic degradation of sharp photos, ``None`` to accept either layout.
        thumbs: how many example image paths to list per folder.

    Returns:
        ``kind``; ``mode`` (``synthetic``, ``paired``, ``unpaired``, ``single`` or ``""``);
        ``usable`` (training can start) and ``reason`` (why not, a sentence);
        ``folders``: per folder ``label``, ``root``, ``images``, ``smallest`` and ``largest``
        (``(width, height)`` or ``None``) and ``thumbs`` (paths); ``pairs`` (paired mode);
        ``problems`` (one sentence per skipped file) and ``warnings``.
    """
    layout = kinds.get(kind).layout
    crop = int(crop or presets.preset(kind, "quick").crop)
    try:
        if layout == TWO_FOLDERS:
            return _unpaired(kind, data, data_b, crop, thumbs)
        if layout == ONE_FOLDER:
            return _single(kind, data, crop, thumbs)
        return _one_folder(kind, data, crop, paired, thumbs)
    except UsageError as exc:
        return _result(kind, "", reason=str(exc))


def _result(kind: str, mode: str, folders=(), problems=(), reason: str = "",
            pairs: int | None = None) -> dict:
    warnings = []
    counts = [pairs] if pairs is not None else [f["images"] for f in folders]
    if not reason and counts and min(counts) < FEW_IMAGES:
        warnings.append(f"Only {min(counts)} usable image(s): the model will mostly learn "
                        f"these photos by heart; {FEW_IMAGES * 5} or more work much better.")
    return {"kind": kind, "mode": mode, "usable": not reason, "reason": reason,
            "folders": list(folders), "pairs": pairs, "problems": list(problems),
            "warnings": warnings}


def _folder(label: str, scan: datasets.FolderScan, thumbs: int) -> dict:
    sizes = scan.sizes
    by_area = sorted(sizes, key=lambda s: s[0] * s[1])
    count = len(scan.paths)
    picks = np.linspace(0, count - 1, min(thumbs, count)).round().astype(int) if count else []
    return {"label": label, "root": str(scan.root), "images": count,
            "smallest": by_area[0] if sizes else None, "largest": by_area[-1] if sizes else None,
            "thumbs": [str(scan.paths[i]) for i in dict.fromkeys(int(i) for i in picks)]}


def _need_folder(data, what: str) -> Path:
    if not data:
        raise UsageError(f"Choose the folder of {what} (Browse, or drop it here).")
    return scanning._require_folder(data)


def _need_images(scan: datasets.FolderScan, label: str, side: int, needed: int = 1) -> None:
    """``_Unusable`` (naming the folder, the skipped files and ``side``, the smallest usable
    side in pixels) unless ``scan`` found ``needed`` images."""
    if len(scan.paths) >= needed:
        return
    hint = f" ({len(scan.problems)} file(s) skipped; see the list below)" if scan.problems else ""
    raise _Unusable(f"{scan.root} has no usable images for {label}{hint}; add JPEG, PNG, "
                    f"TIFF, WebP or BMP photos of at least {side}x{side} pixels.", scan)


class _Unusable(UsageError):
    """A folder scanned fine but cannot train; carries the scan for its problem list."""

    def __init__(self, message: str, *scans: datasets.FolderScan) -> None:
        super().__init__(message)
        self.scans = scans


def _one_folder(kind: str, data, crop: int, paired: bool | None, thumbs: int) -> dict:
    root = _need_folder(data, "real pairs" if paired else "sharp photos")
    folders = datasets.find_pair_folders(root)
    if folders and paired is False:
        a, b = folders[0]
        return _result(kind, "paired", reason=(
            f"{root} holds paired sub-folders ({a.name}/ and {b.name}/); go Back and choose "
            f"'{kind} from real pairs', or pick a folder of sharp photos."))
    if not folders and paired:
        names = ", ".join(f"{a.upper()}/ and {b.upper()}/" for a, b in
                          datasets.PAIR_FOLDER_NAMES[:3])
        return _result(kind, "synthetic", reason=(
            f"{root} has no paired sub-folders ({names}, ...); put degraded photos in A/ and "
            "their sharp originals, with the same names, in B/."))
    if folders:
        return _paired(kind, root, folders, crop, thumbs)
    side = min_side(kind, crop)
    scan = datasets.scan_folder(root, side, 0)
    try:
        _need_images(scan, "training", side)
    except _Unusable as exc:
        return _result(kind, "synthetic", [_folder("Sharp photos", scan, thumbs)],
                       scan.problems, str(exc))
    return _result(kind, "synthetic", [_folder("Sharp photos", scan, thumbs)], scan.problems)


def _paired(kind: str, root: Path, folders, crop: int, thumbs: int) -> dict:
    scale = kinds.get(kind).scale
    try:
        pairs, problems = scanning._paired(folders, scale, crop, 1, io.DEFAULT_MAX_PIXELS)
    except UsageError as exc:
        return _result(kind, "paired", reason=str(exc), pairs=0)
    sharp = datasets.FolderScan(root, [b for _, b in pairs])
    sharp.sizes = [io.probe(b) for _, b in pairs]
    return _result(kind, "paired", [_folder("Sharp side of the pairs", sharp, thumbs)],
                   problems, pairs=len(pairs))


def _unpaired(kind: str, data, data_b, crop: int, thumbs: int) -> dict:
    side = min_side(kind, crop)
    scan_a = datasets.scan_folder(_need_folder(data, "photos (domain A)"), side, 0)
    scan_b = None
    if data_b:
        scan_b = datasets.scan_folder(_need_folder(data_b, "paintings (domain B)"), side, 0)
    scans = [s for s in (scan_a, scan_b) if s is not None]
    folders = [_folder(label, s, thumbs) for label, s in zip(("Domain A", "Domain B"), scans)]
    problems = [p for s in scans for p in s.problems]
    try:
        _need_images(scan_a, "domain A", side)
        if scan_b is None:
            raise UsageError("Choose the second folder (domain B: paintings, or any other "
                             "style) as well.")
        _need_images(scan_b, "domain B", side)
    except UsageError as exc:
        return _result(kind, "unpaired", folders, problems, str(exc))
    return _result(kind, "unpaired", folders, problems)


def _single(kind: str, data, crop: int, thumbs: int) -> dict:
    side = min_side(kind, crop)
    scan = datasets.scan_folder(_need_folder(data, "images"), side, 0)
    folder = _folder("Images", scan, thumbs)
    try:
        _need_images(scan, "the sampler", side)
    except _Unusable as exc:
        return _result(kind, "single", [folder], scan.problems, str(exc))
    return _result(kind, "single", [folder], scan.problems)


# --- the degradation preview ----------------------------------------------------------------


def degradation_preview(kind: str, path, seed: int = 0, side: int = PREVIEW_SIDE) -> dict:
    """What synthetic training makes of one of the user's photos.

    A centre crop at full resolution (blur statistics depend on scale, so the photo is not
    shrunk first) goes through the same random mix training uses, drawn from ``seed``.

    Args:
        kind: ``deblur`` or ``upscale``.
        path: an image file.
        seed: picks the random degradation (same seed, same picture).
        side: crop side in pixels (smaller photos give smaller crops; a multiple of 4).

    Returns:
        ``before`` and ``after``: RGB uint8 ``(s, s, 3)`` with ``s <= side`` (upscale's
        ``after`` is the 4x smaller input enlarged by pixel repetition, as the model sees it);
        ``caption``: one sentence.

    Raises:
        UsageError: another kind; ``ImageReadError``: the file cannot be read (a sentence).
    """
    spec = kinds.SPECS.get(kind)
    if spec is None or not spec.degrade:
        degrading = " and ".join(s.name for s in kinds.SPECS.values() if s.degrade)
        raise UsageError(f"Only {degrading} training degrade photos, not {kind}.")
    pixels = io.read(Path(path)).pixels
    crop = _centre(pixels, side)
    rng = np.random.default_rng([int(seed), 7])
    if spec.degrade == "blur":
        after = degrade.degrade_blur(crop, rng)
    else:
        small = degrade.degrade_downscale(crop, rng, spec.scale)
        after = np.repeat(np.repeat(small, spec.scale, 0), spec.scale, 1)
    caption = spec.preview_caption.format(n=seed + 1)
    return {"before": color.to_display(crop), "after": color.to_display(after),
            "caption": caption}


def _centre(pixels: np.ndarray, side: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    size = min(side, height, width) // UPSCALE_FACTOR * UPSCALE_FACTOR
    if size < UPSCALE_FACTOR:
        raise UsageError(f"The photo is {width}x{height} pixels, too small to preview.")
    top, left = (height - size) // 2, (width - size) // 2
    return np.ascontiguousarray(pixels[top:top + size, left:left + size, :3])

