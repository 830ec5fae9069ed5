"""``photogan eval``: degrade held-out sharp photos with fixed seeds, restore them with the
model and with classical baselines, and compare PSNR/SSIM side by side.

Deblur has three tiers (``--tier``):

- ``mild``: each photo blurred twice, camera shake on a 31-px canvas and defocus of radius
  2-4, noise sigma 0.01 (``degrade.eval_blur``): the first models' setting, kept comparable.
- ``heavy``: the photo brought to a 1280-px long side, then hand-held shake spanning 9-35 px
  or defocus of radius 2-6, noise sigma 0-0.02, JPEG q 80-95 for half of them
  (``heavy_blur.eval_heavy``).
- ``sharp``: no blur at all; output scored against the photo itself (how much a method
  changes a photo that needs nothing; the median is the figure to read).

Baselines: the blurred input itself, our ``sharpen`` task, and scikit-image's
Richardson-Lucy and Wiener deconvolution. The baselines are blind like the model: they get a
generic PSF for the blur family (a Gaussian for motion, a radius-3 disk for defocus), never
the true kernel, since a user's photo comes without one. Two references (rows named
``ref: ...``) are given the true kernel of each photo, Wiener and a short Richardson-Lucy: not
available to a user, they show how much a classical method gains even when it knows the blur
exactly (their settings are the best of a small sweep on our held-out set: balance
0.03..0.2, 5..30 iterations). The blur is a correlation (``cv2.filter2D``) and scikit-image
deconvolves a convolution, so the references get the kernel turned by 180 degrees.

Upscale: each photo is downscaled 4x (area and bicubic, ``degrade.eval_downscale``).
Baselines: bicubic and Lanczos enlargement.

Photos larger than ``crop`` are cropped so a run stays practical on a CPU: to the most
detailed ``crop`` window of a fixed 3 x 3 grid (``_detailed_crop``). A centre crop of a
wallpaper-sized photo is often flat sky or bokeh, where every method scores 40+ dB and the
mean says nothing about restoring detail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import HINT_IMPORT_MODEL, UsageError
from engine.events import CancelToken, EvalProgress, ProgressFn, no_progress
from engine.imaging import io
from engine.imaging.image import Image
from engine.imaging.resample import resize_to
from engine.metrics import quality
from engine.tasks.registry import RunContext, get_task

Method = Callable[[np.ndarray], np.ndarray]


@dataclass
class EvalRow:
    """Mean scores of one method over every degraded photo."""

    method: str
    psnr_rgb: float = 0.0
    ssim_rgb: float = 0.0
    psnr_y: float = 0.0
    ssim_y: float = 0.0
    seconds_per_mp: float = 0.0
    psnr_y_median: float = 0.0
    count: int = 0
    per_image: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class EvalTable:
    """What ``evaluate`` measured: ``sets`` maps each degradation set's name, in run order,
    to one ``EvalRow`` per method (the degraded input first, then baselines and the model)."""

    task: str
    sets: dict[str, list[EvalRow]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """The JSON report (``photogan eval --report``): ``{set name: [row, ...]}``."""
        return {name: [row.to_json() for row in rows] for name, rows in self.sets.items()}


def _detailed_crop(pixels: np.ndarray, crop: int, multiple: int) -> np.ndarray:
    """The ``crop``-sided window (sides a multiple of ``multiple``) with the most texture
    among 9 fixed positions (a 3 x 3 grid from corner to corner); the same every run."""
    from engine.training.datasets import texture

    h, w = pixels.shape[:2]
    ch, cw = min(h, crop), min(w, crop)
    ch, cw = ch - ch % multiple, cw - cw % multiple
    spots = [((h - ch) * i // 2, (w - cw) * j // 2) for i in range(3) for j in range(3)]
    windows = [pixels[top:top + ch, left:left + cw] for top, left in spots]
    return max(windows, key=lambda win: texture(win * 255.0))


def _task_method(task_id: str, options: dict) -> Method:
    task = get_task(task_id)
    opts = task.parse_options(options)

    def run(pixels: np.ndarray) -> np.ndarray:
        return task.process(Image(pixels=pixels), opts, RunContext()).pixels

    return run


def deconvolve(pixels: np.ndarray, psf: np.ndarray, algorithm: str,
               iterations: int = 20) -> np.ndarray:
    """scikit-image deconvolution of each RGB plane: ``richardson_lucy`` (``iterations``) or
    ``wiener`` (balance 0.05). ``(H, W, 3)`` float32 ``[0, 1]`` in and out."""
    from skimage import restoration

    planes = []
    for c in range(3):
        plane = pixels[:, :, c].astype(np.float64)
        if algorithm == "richardson_lucy":
            out = restoration.richardson_lucy(plane, psf, num_iter=iterations, clip=True)
        else:
            out = restoration.wiener(plane, psf, balance=0.05, clip=True)
        planes.append(out)
    return np.clip(np.stack(planes, axis=2), 0, 1).astype(np.float32)


def _deconvolve(kind: str, algorithm: str) -> Method:
    from engine.training.degrade import defocus_kernel, gaussian_kernel

    psf = gaussian_kernel(2.0) if kind == "motion" else defocus_kernel(3.0)
    return lambda pixels: deconvolve(pixels, psf, algorithm)


@dataclass(frozen=True)
class TrueKernel:
    """A reference deconvolution that is given each photo's true blur kernel."""

    algorithm: str
    iterations: int = 5

    def __call__(self, pixels: np.ndarray, kernel: np.ndarray) -> np.ndarray:
        # The blur was applied with cv2.filter2D, a correlation; scikit-image deconvolves a
        # convolution, so it must be given the kernel turned by 180 degrees.
        return deconvolve(pixels, kernel[::-1, ::-1], self.algorithm, self.iterations)


def _resize_method(method: str) -> Method:
    def run(pixels: np.ndarray) -> np.ndarray:
        h, w = pixels.shape[:2]
        return np.clip(resize_to(pixels, w * 4, h * 4, method), 0, 1)

    return run


def deblur_methods(kind: str, model: str) -> dict[str, Method]:
    """Methods compared for a blur ``kind``: input, sharpen, RL, Wiener, the model, then the
    true-kernel references (``TrueKernel``, called with the kernel as well)."""
    return {
        "blurred input": lambda p: p,
        "sharpen": _task_method("sharpen", {}),
        "richardson-lucy": _deconvolve(kind, "richardson_lucy"),
        "wiener": _deconvolve(kind, "wiener"),
        f"deblur ({model or 'default model'})": _task_method("deblur", {"model": model}
                                                            if model else {}),
        "ref: wiener, true kernel": TrueKernel("wiener"),
        "ref: richardson-lucy, true kernel": TrueKernel("richardson_lucy"),
    }


def upscale_methods(model: str) -> dict[str, Method]:
    """Methods compared for 4x upscaling: bicubic, Lanczos, the model."""
    return {
        "bicubic": _resize_method("bicubic"),
        "lanczos": _resize_method("lanczos"),
        f"upscale ({model or 'default model'})": _task_method("upscale", {"model": model}
                                                             if model else {}),
    }


TIERS = ("mild", "heavy", "sharp")
TIER_CHOICES = (*TIERS, "all")


def _deblur_sets(tier: str) -> list[tuple[str, str, str]]:
    """``(result key, tier, blur kind)`` triples of a deblur tier choice, in table order."""
    tiers = TIERS if tier == "all" else (tier,)
    sets = []
    for name in tiers:
        kinds = ("none",) if name == "sharp" else ("motion", "defocus")
        sets += [(name if kind == "none" else f"{name} {kind}", name, kind) for kind in kinds]
    return sets


def sharp_methods(model: str) -> dict[str, Method]:
    """Methods run on sharp photos: how much each changes a photo that needs nothing."""
    return {
        "sharpen": _task_method("sharpen", {}),
        f"deblur ({model or 'default model'})": _task_method("deblur", {"model": model}
                                                            if model else {}),
    }


def evaluate(
    task: str,
    data: Path,
    model: str = "",
    crop: int = 512,
    limit: int = 0,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    tier: str = "all",
    baselines: bool = True,
) -> EvalTable:
    """Score the model and the baselines on every photo under ``data``.

    Args:
        tier: deblur only: ``mild`` (the first models' degradations, ``degrade.eval_blur``),
            ``heavy`` (hand-held shake and missed focus at a 1280-px working size,
            ``heavy_blur.eval_heavy``), ``sharp`` (no blur: how much a method changes a sharp
            photo, scored against the photo itself) or ``all``.
        baselines: ``False`` scores only the degraded input and the model (a quick look at
            one model, e.g. a checkpoint during training; the baselines do not change).

    Returns:
        ``EvalTable``: ``sets`` is ``{set name: [EvalRow per method]}`` with means over
        photos; deblur set names are
        ``"mild motion"``, ``"mild defocus"``, ``"heavy motion"``, ``"heavy defocus"`` and
        ``"sharp"``; upscale ones ``"area"`` and ``"bicubic"``.
    """
    from engine.training.datasets import scan_folder

    if task not in ("deblur", "upscale"):
        raise UsageError(f"`photogan eval` covers deblur and upscale, not '{task}'.")
    if tier not in TIER_CHOICES:
        raise UsageError(f"unknown evaluation tier {tier!r}; use one of "
                         f"{', '.join(TIER_CHOICES)}.")
    problem = get_task(task).weights_status({"model": model} if model else {})
    if problem:
        raise UsageError(problem, hint=HINT_IMPORT_MODEL, task=task)
    paths = scan_folder(data, min_side=64).paths[: limit or None]
    cancel = cancel or CancelToken()
    sets = (_deblur_sets(tier) if task == "deblur"
            else [("area", "", "area"), ("bicubic", "", "bicubic")])
    results: dict[str, list[EvalRow]] = {}
    total, done = len(paths) * len(sets), 0
    for key, tier_name, kind in sets:
        methods = _methods(task, tier_name, kind, model)
        if not baselines:
            methods = {name: m for name, m in methods.items()
                       if name == "blurred input" or name.startswith(f"{task} (")}
        rows = {name: EvalRow(name) for name in methods}
        for index, path in enumerate(paths):
            cancel.check()
            truth, degraded, border, kernel = _degraded(task, tier_name, kind, index, path, crop)
            _score(truth, degraded, border, kernel, path.name, methods, rows)
            done += 1
            progress(EvalProgress(done=done, total=total, message=f"{key}: {path.name}"))
        results[key] = [_mean(row) for row in rows.values()]
    return EvalTable(task, results)


def _methods(task: str, tier: str, kind: str, model: str) -> dict[str, Method]:
    if task == "upscale":
        return upscale_methods(model)
    return sharp_methods(model) if tier == "sharp" else deblur_methods(kind, model)


def _degraded(task: str, tier: str, kind: str, index: int, path: Path, crop: int):
    """``(truth, degraded, border, true kernel or None)`` of one photo for one set."""
    from engine.training.datasets import fit_long_side
    from engine.training.degrade import eval_blur, eval_downscale, eval_kernel
    from engine.training.heavy_blur import HEAVY_WORKING_SIDE, eval_heavy, eval_heavy_kernel

    pixels = io.read(path).pixels
    if task == "upscale":
        truth = _detailed_crop(pixels, crop, 4)
        return truth, eval_downscale(truth, kind), 4, None
    if tier == "heavy":
        pixels = fit_long_side(pixels, HEAVY_WORKING_SIDE)
    truth = _detailed_crop(pixels, crop, 4)
    if tier == "sharp":
        return truth, truth, 8, None
    if tier == "heavy":
        return truth, eval_heavy(truth, index, kind), 8, eval_heavy_kernel(index, kind)
    return truth, eval_blur(truth, index, kind), 8, eval_kernel(index, kind)


def _score(truth: np.ndarray, degraded: np.ndarray, border: int, kernel, name: str,
           methods: dict[str, Method], rows: dict[str, EvalRow]) -> None:
    megapixels = truth.shape[0] * truth.shape[1] / 1e6
    for method_name, method in methods.items():
        started = time.perf_counter()
        result = method(degraded, kernel) if isinstance(method, TrueKernel) else method(degraded)
        seconds = time.perf_counter() - started
        scores = quality(result, truth, border)
        scores.update(image=name, seconds_per_mp=seconds / megapixels)
        rows[method_name].per_image.append(scores)


def _mean(row: EvalRow) -> EvalRow:
    for key in ("psnr_rgb", "ssim_rgb", "psnr_y", "ssim_y", "seconds_per_mp"):
        setattr(row, key, float(np.mean([s[key] for s in row.per_image])))
    row.psnr_y_median = float(np.median([s["psnr_y"] for s in row.per_image]))
    row.count = len(row.per_image)
    return row
