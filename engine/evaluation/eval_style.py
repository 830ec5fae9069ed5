"""``photogan eval style|painting``: does the output look like the painting and still show
the photo? Three numbers per image, each measured independently of the network a task
optimises, for the photo itself, a colour-transfer reference and the task's output:

- **style distance** (lower is closer to the painting's brushwork and texture): in a *judge*
  network that no task uses (random 3x3 filters, two per level, four levels with max pooling,
  seed ``JUDGE_SEED``; the style task's fallback network has one 7x7 filter per level on a
  binomial pyramid, seed 0, and VGG19 is pretrained), each level's channel means, channel
  standard deviations and Gram matrix are compared with the painting's as relative errors
  ``|x - p| / |p|``; the three are averaged, then the levels.
- **palette distance** (lower is closer to the painting's colours): the sliced Wasserstein-1
  distance between the output's and the painting's pixel colours in CIE Lab (``PROJECTIONS``
  fixed random directions, ``QUANTILES`` quantiles each), in Lab units (a Delta E of about 2
  is a just-visible difference; a photo and a painting of another palette are 15-30 apart).
- **structure kept** (higher keeps more of the photo, 1 = all): SSIM between the luminance
  edge maps (gradient magnitude of the luma blurred with sigma ``EDGE_BLUR`` = 3 px, each
  scaled by its own 99th percentile) of the output and of the photo. The blur makes it about
  outlines: strokes about 5 px wide (the painting's at 512 px) are mostly averaged away, so
  new brush texture lowers it a little and lost outlines a lot. For scale, an unrelated
  photo scores about 0.3 and the painting itself about 0.15.

Every image is scored at the working size ``size`` (long side, default 512: the style task's
default), the painting resized to the same long side. The targets of issue 18 are: style and
palette distance at most a third of the photo's own, structure at least 0.5.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from engine.errors import HINT_IMPORT_MODEL, UsageError
from engine.events import CancelToken, EvalProgress, ProgressFn, no_progress
from engine.imaging import color, io
from engine.imaging.image import Image
from engine.imaging.resample import resize_to
from engine.tasks.registry import RunContext, get_task

JUDGE_SEED = 20261201
JUDGE_WIDTHS = (64, 96, 128, 128)
PROJECTIONS = 64
QUANTILES = 128
PALETTE_SAMPLES = 40000
EDGE_BLUR = 3.0
TASKS = {"style": "style", "painting": "photo2monet"}
TARGET_RATIO = 1.0 / 3.0
TARGET_STRUCTURE = 0.5


@dataclass
class StyleRow:
    """Mean scores of one image source (photo, reference, output) over the photos."""

    method: str
    style: float = 0.0
    palette: float = 0.0
    structure: float = 0.0
    seconds: float = 0.0
    count: int = 0
    per_image: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self).items()}


# --- the three measures ------------------------------------------------------------------


@lru_cache(maxsize=1)
def judge_network():
    """The fixed judge: ``(1, H, W, 3)`` RGB ``[0, 1]`` -> list of 4 ``(1, h_k, w_k, C_k)``
    ReLU feature maps (``h_k = H / 2**k``, after two 3x3 convs and a 2x2 max pool)."""
    import keras

    rng = np.random.default_rng(JUDGE_SEED)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Rescaling(2.0, offset=-1.0)(inputs)
    outputs, convs = [], []
    for width in JUDGE_WIDTHS:
        for _ in range(2):
            conv = keras.layers.Conv2D(width, 3, padding="same", activation="relu")
            x = conv(x)
            convs.append(conv)
        x = keras.layers.MaxPooling2D(2)(x)
        outputs.append(x)
    model = keras.Model(inputs, outputs, name="style_judge")
    for conv in convs:
        kernel, bias = conv.get_weights()
        std = np.sqrt(2.0 / np.prod(kernel.shape[:3]))
        conv.set_weights([(rng.standard_normal(kernel.shape) * std).astype(np.float32),
                          np.zeros_like(bias)])
    return model


def style_stats(pixels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per judge level: channel means ``(C,)``, standard deviations ``(C,)`` and Gram matrix
    ``(C, C)`` (averaged over positions) of ``(H, W, 3)`` RGB in ``[0, 1]``."""
    maps = judge_network()(pixels[None].astype(np.float32), training=False)
    stats = []
    for fmap in maps:
        flat = np.asarray(fmap, np.float64).reshape(-1, fmap.shape[-1])
        stats.append((flat.mean(0), flat.std(0), flat.T @ flat / len(flat)))
    return stats


def _relative(value: np.ndarray, target: np.ndarray) -> float:
    return float(np.linalg.norm(value - target) / max(np.linalg.norm(target), 1e-12))


def style_distance(stats, painting_stats) -> float:
    """Mean over levels of the mean relative error of means, spreads and Grams (0 = same)."""
    per_level = [np.mean([_relative(a, b) for a, b in zip(mine, theirs)])
                 for mine, theirs in zip(stats, painting_stats)]
    return float(np.mean(per_level))


def _lab_sample(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    lab = color.rgb_to_lab(pixels).reshape(-1, 3).astype(np.float64)
    if len(lab) > PALETTE_SAMPLES:
        lab = lab[rng.choice(len(lab), PALETTE_SAMPLES, replace=False)]
    return lab


def palette_distance(pixels: np.ndarray, painting: np.ndarray) -> float:
    """Sliced Wasserstein-1 distance in Lab units between two images' colours (0 = same)."""
    rng = np.random.default_rng(JUDGE_SEED)
    a, b = _lab_sample(pixels, rng), _lab_sample(painting, rng)
    directions = rng.standard_normal((3, PROJECTIONS))
    directions /= np.linalg.norm(directions, axis=0)
    q = (np.arange(QUANTILES) + 0.5) / QUANTILES
    qa, qb = np.quantile(a @ directions, q, axis=0), np.quantile(b @ directions, q, axis=0)
    return float(np.mean(np.abs(qa - qb)))


def edge_map(pixels: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the blurred luma of ``(H, W, 3)``, scaled by its 99th
    percentile and clipped: ``(H, W)`` float in ``[0, 1]``."""
    from scipy.ndimage import gaussian_filter, sobel

    luma = gaussian_filter(color.luma(pixels).astype(np.float64), EDGE_BLUR)
    magnitude = np.hypot(sobel(luma, 0), sobel(luma, 1))
    return np.clip(magnitude / max(np.percentile(magnitude, 99), 1e-6), 0.0, 1.0)


def structure_kept(pixels: np.ndarray, photo: np.ndarray) -> float:
    """SSIM of the two images' ``edge_map`` (same ``(H, W)``); 1 = the same outlines."""
    from engine.metrics import ssim

    return ssim(edge_map(pixels), edge_map(photo))


def scores(pixels: np.ndarray, photo: np.ndarray, painting: np.ndarray,
           painting_stats) -> dict[str, float]:
    """``{"style", "palette", "structure"}`` of ``pixels`` (photo-sized) for one photo."""
    return {"style": style_distance(style_stats(pixels), painting_stats),
            "palette": palette_distance(pixels, painting),
            "structure": structure_kept(pixels, photo)}


# --- the evaluation ----------------------------------------------------------------------


def fit_long_side(pixels: np.ndarray, size: int) -> np.ndarray:
    """``(H, W, 3)`` resized (area down, Lanczos up) so its long side is ``size``."""
    height, width = pixels.shape[:2]
    scale = size / max(height, width)
    out = resize_to(pixels, max(1, round(width * scale)), max(1, round(height * scale)),
                    "area" if scale < 1 else "lanczos")
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def _output_method(task: str, style_image: str, model: str, given: dict):
    from engine.style.features import resolve_style
    from engine.tasks.painting import model_for_painting

    task_obj = get_task(TASKS[task])
    given = {**({"style_image": style_image} if task == "style" else {}), **given}
    model = model or (model_for_painting(style_image) if task == "painting" else "")
    if task == "painting" and model:
        given["model"] = model
    options = task_obj.parse_options(given)
    problem = task_obj.weights_status(options) if task == "painting" else None
    if problem:
        raise UsageError(problem, hint=HINT_IMPORT_MODEL, task=task)
    resolve_style(style_image)

    def run(pixels: np.ndarray) -> np.ndarray:
        return task_obj.process(Image(pixels=pixels), options, RunContext()).pixels

    return run


def evaluate_style(
    task: str,
    data: Path,
    style_image: str = "starry_night",
    model: str = "",
    size: int = 512,
    limit: int = 0,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    save: Path | None = None,
    input_size: int = 0,
    options: dict | None = None,
) -> list[StyleRow]:
    """Score the photo, the colour-transfer reference and the task's output on every photo
    under ``data`` against ``style_image`` (a bundled style name or a file).

    ``task`` is ``style`` (the style task at its defaults) or ``painting`` (the
    ``photo2monet`` CycleGAN at its defaults: ``model``, else the model whose card names
    ``style_image`` as its painting, else the default one).
    With ``save``, each output is also written there as ``<photo stem>.png`` (working size;
    ``build_scripts/style_sheet.py`` composes the docs' sheet from them).
    ``input_size`` > 0 gives the task each photo at that long side (at most its own: a
    photographer's full-size photo) and scores its output brought to ``size``; ``options``
    are task parameters (``--set``) over the task's defaults.

    Returns:
        ``[photo, colour transfer, output]`` rows with means over photos.
    """
    from engine.style.palette import match_colors
    from engine.tasks.style import read_style
    from engine.training.datasets import scan_folder

    if task not in TASKS:
        raise UsageError(f"`photogan eval` scores style and painting, not '{task}'.")
    output = _output_method(task, style_image, model, dict(options or {}))
    painting = fit_long_side(read_style(style_image), size)
    painting_stats = style_stats(painting)
    paths = scan_folder(data, min_side=64).paths[: limit or None]
    cancel = cancel or CancelToken()
    methods = {"photo": lambda p: p, "colour transfer": lambda p: match_colors(p, painting),
               f"{task} output": output}
    rows = {name: StyleRow(name) for name in methods}
    for done, path in enumerate(paths, start=1):
        pixels = io.read(path).pixels
        photo = fit_long_side(pixels, size)
        given = _task_input(pixels, input_size) if input_size else photo
        for name, method in methods.items():
            cancel.check()
            started = time.perf_counter()
            source = given if name.endswith("output") else photo
            result = np.clip(method(source), 0.0, 1.0)
            if result.shape[:2] != photo.shape[:2]:
                result = fit_long_side(result, size)
            seconds = time.perf_counter() - started
            row = scores(result, photo, painting, painting_stats)
            rows[name].per_image.append({"image": path.name, **row, "seconds": seconds})
            if save is not None and name.endswith("output"):
                io.write(Image(pixels=result.astype(np.float32)), Path(save) / f"{path.stem}.png")
        progress(EvalProgress(done=done, total=len(paths), message=path.name))
    return [_mean(row) for row in rows.values()]


def _task_input(pixels: np.ndarray, input_size: int) -> np.ndarray:
    """The photo at long side ``input_size``, never enlarged."""
    side = max(pixels.shape[:2])
    return fit_long_side(pixels, input_size) if input_size < side else pixels


def _mean(row: StyleRow) -> StyleRow:
    for key in ("style", "palette", "structure", "seconds"):
        setattr(row, key, float(np.mean([s[key] for s in row.per_image])) if row.per_image
                else 0.0)
    row.count = len(row.per_image)
    return row


def table(task: str, rows: list[StyleRow], style_image: str, size: int) -> list[str]:
    """The printed table, with each row's ratio to the photo and the targets."""
    photo = rows[0]
    lines = [f"\n{task} / {style_image} ({photo.count} photos at {size} px long side)",
             f"{'image':<18} {'style dist':>10} {'x photo':>8} {'palette':>8} {'x photo':>8}"
             f" {'structure':>9} {'s/image':>8}"]
    for row in rows:
        lines.append(f"{row.method:<18} {row.style:>10.3f} {_ratio(row.style, photo.style):>8}"
                     f" {row.palette:>8.2f} {_ratio(row.palette, photo.palette):>8}"
                     f" {row.structure:>9.3f} {row.seconds:>8.1f}")
    lines.append(f"targets: style and palette distance <= {TARGET_RATIO:.2f} x the photo's, "
                 f"structure >= {TARGET_STRUCTURE}. Lower distances = closer to the painting; "
                 "structure = SSIM of luminance edges against the photo.")
    return lines


def _ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}" if reference > 0 else "-"
