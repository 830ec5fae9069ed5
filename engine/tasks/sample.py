"""``sample``: new images from a stored DCGAN generator (``photogan run sample -o OUT``).

Latents are drawn from a seeded numpy ``Generator``, so one seed always gives the same images
(and the same bytes on disk). Besides one PNG per sample the task can write a near-square
contact sheet of all of them and a looping latent-walk GIF: spherical interpolation (slerp)
between consecutive latents, which stays on the shell where standard-normal latents live, so
in-between frames look like samples rather than washed-out averages.

Everything is rendered first and written afterwards, so a cancel leaves no files behind.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import numpy as np

from engine.atomic import write_atomic
from engine.errors import ModelError, UsageError
from engine.events import GenerateProgress, SampleWritten
from engine.imaging import color, io
from engine.imaging.image import Image
from engine.store.loader import load_model
from engine.tasks.model_task import StoredModelMixin
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, Task, register

MAX_COUNT = 1024
# Latents per model call: one fixed batch shape means one trace of the predict function.
BATCH = 64
FRAMES_PER_SEGMENT = 8
# A walk through 1024 latents would be 8192 frames that Pillow holds in memory all at once;
# the walk visits at most this many of the sampled latents (the first ones, in order).
GIF_MAX_KEYS = 64
# Nearest-neighbour upscale GIF frames until their short side reaches this (28 px -> 4x).
GIF_MIN_SIDE = 112
GIF_FRAME_MS = 80
GRID_GAP = 2
GRID_GAP_VALUE = 1.0  # white: DCGAN digit backgrounds are black


@register
class Sample(StoredModelMixin, Task):
    """DCGAN sampler: ``count`` images, optionally a grid and a latent-walk GIF."""

    id = "sample"
    title = "Sample new images"
    description = ("Generates new images with a DCGAN generator trained on your photos or "
                   "digits; writes them (plus a grid and a latent-walk GIF) to the output "
                   "folder. Takes no input images.")
    kind = "generate"
    extra_params = (
        Param("count", "int", 16, "How many images to generate.", min=1, max=MAX_COUNT),
        Param("seed", "int", 0, "Random seed: the same seed gives the same images.", min=0,
              max=2**32 - 1),
        Param("grid", "bool", True, "Also write all samples tiled into one grid image."),
        Param("gif", "bool", False, "Also write an animated GIF walking smoothly between "
              "the samples (latent-space interpolation)."),
    )

    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        raise UsageError(f"Task '{self.id}' generates images and takes no input; run "
                         f"`photogan run {self.id} -o OUTDIR`.")

    def generate(self, options: dict, out_dir: Path, ctx: RunContext) -> list[Path]:
        """Write ``sample_<seed>_<i>.png`` for each sample, plus the grid and GIF when asked.

        Raises:
            WeightsMissingError: the task has no stored model (says how to get one).
            Cancelled: ``ctx.cancel`` was set; nothing is written.
        """
        manifest = self.require_manifest(options)
        model = load_model(manifest)
        count, seed = int(options["count"]), int(options["seed"])
        keys = sample_latents(count, latent_dim(model), seed)
        walk = walk_latents(keys[:GIF_MAX_KEYS]) if options["gif"] else keys[:0]
        total = len(keys) + len(walk)
        images = render(model, keys, manifest.output_range, ctx, done=0, total=total)
        frames = render(model, walk, manifest.output_range, ctx, done=len(keys), total=total)
        return write_outputs(Path(out_dir), seed, images, frames if options["gif"] else None,
                             grid=bool(options["grid"]), ctx=ctx)


def latent_dim(model) -> int:
    """Length of the generator's latent vector; ``ModelError`` for a non-latent input."""
    shape = tuple(model.input_shape)
    if len(shape) != 2 or not shape[1]:
        raise ModelError(f"A sampling model takes (batch, latent) vectors; this one takes "
                         f"{shape}.")
    return int(shape[1])


def sample_latents(count: int, dim: int, seed: int) -> np.ndarray:
    """``(count, dim)`` float32 standard-normal latents, the same for the same seed."""
    return np.random.default_rng(seed).standard_normal((count, dim), dtype=np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation from ``a`` (``t=0``) to ``b`` (``t=1``), both ``(dim,)``.

    Falls back to linear interpolation when the vectors are (nearly) parallel.
    """
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    cos = np.dot(a64, b64) / max(np.linalg.norm(a64) * np.linalg.norm(b64), 1e-12)
    omega = math.acos(float(np.clip(cos, -1.0, 1.0)))
    if abs(math.sin(omega)) < 1e-6:
        out = (1.0 - t) * a64 + t * b64
    else:
        out = (math.sin((1.0 - t) * omega) * a64 + math.sin(t * omega) * b64) / math.sin(omega)
    return out.astype(np.float32)


def walk_latents(keys: np.ndarray, frames_per_segment: int = FRAMES_PER_SEGMENT) -> np.ndarray:
    """A closed loop through ``keys`` (``(K, dim)``): ``frames_per_segment`` slerp frames from
    each key towards the next, the last key leading back to the first.

    Returns:
        ``(K * frames_per_segment, dim)`` float32; frame ``k * frames_per_segment`` is key k.
    """
    frames = []
    for k in range(len(keys)):
        start, end = keys[k], keys[(k + 1) % len(keys)]
        frames += [slerp(start, end, i / frames_per_segment) for i in range(frames_per_segment)]
    return np.stack(frames) if frames else keys[:0]


def render(model, latents: np.ndarray, output_range: str, ctx: RunContext, *, done: int = 0,
           total: int = 0) -> np.ndarray:
    """Run the generator over ``latents`` (``(N, dim)``) in fixed-size batches.

    Checks ``ctx.cancel`` before each batch and reports ``GenerateProgress`` after
    it, counting from ``done`` out of ``total`` (``N`` when 0).

    Returns:
        ``(N, H, W, C)`` float32 in ``[0, 1]``, ``C`` 1 (grey) or 3 (RGB).
    """
    count = len(latents)
    total = total or count
    batch = min(BATCH, max(count, 1))
    outputs = []
    for start in range(0, count, batch):
        ctx.cancel.check()
        chunk = latents[start:start + batch]
        padded = np.zeros((batch, latents.shape[1]), np.float32)
        padded[:len(chunk)] = chunk
        out = np.asarray(model.predict_on_batch(padded), dtype=np.float32)[:len(chunk)]
        outputs.append(color.from_model(_checked(out), output_range))
        ctx.progress(GenerateProgress(done=done + start + len(chunk), total=total,
                                      item=ctx.item))
    if not outputs:
        return np.zeros((0, 1, 1, 1), np.float32)
    return np.concatenate(outputs)


def _checked(out: np.ndarray) -> np.ndarray:
    if out.ndim != 4 or out.shape[3] not in (1, 3):
        raise ModelError(f"A sampling model must output (batch, height, width, 1 or 3) images; "
                         f"this one gives {out.shape}.")
    return out


def to_image(pixels: np.ndarray) -> Image:
    """``(H, W, 1)`` grey or ``(H, W, 3)`` RGB in ``[0, 1]`` -> an 8-bit ``Image`` (grey set
    for one channel, so it is written as a grey PNG)."""
    grey = pixels.shape[2] == 1
    rgb = np.repeat(pixels, 3, axis=2) if grey else pixels
    return Image(pixels=np.ascontiguousarray(rgb, dtype=np.float32), grey=grey, format="png")


def grid_shape(count: int) -> tuple[int, int]:
    """``(rows, cols)`` of a near-square grid holding ``count`` cells (cols >= rows)."""
    cols = math.ceil(math.sqrt(count))
    return math.ceil(count / cols), cols


def tile_grid(images: np.ndarray, gap: int = GRID_GAP, fill: float = GRID_GAP_VALUE
              ) -> np.ndarray:
    """Tile ``(N, H, W, C)`` images row by row into ``(rows*H + (rows-1)*gap,
    cols*W + (cols-1)*gap, C)``; gaps and empty cells are ``fill``."""
    n, h, w, c = images.shape
    rows, cols = grid_shape(n)
    sheet = np.full((rows * h + (rows - 1) * gap, cols * w + (cols - 1) * gap, c), fill,
                    np.float32)
    for i, img in enumerate(images):
        y, x = (i // cols) * (h + gap), (i % cols) * (w + gap)
        sheet[y:y + h, x:x + w] = img
    return sheet


def gif_factor(height: int, width: int) -> int:
    """Nearest-neighbour upscale factor that makes the short side at least ``GIF_MIN_SIDE``."""
    return max(1, math.ceil(GIF_MIN_SIDE / max(1, min(height, width))))


def write_gif(path: Path, frames: np.ndarray, frame_ms: int = GIF_FRAME_MS) -> Path:
    """Write ``(F, H, W, C)`` frames in ``[0, 1]`` as a looping GIF, upscaled by ``gif_factor``
    with nearest neighbour, atomically."""
    from PIL import Image as PILImage

    factor = gif_factor(frames.shape[1], frames.shape[2])
    big = np.repeat(np.repeat(frames, factor, axis=1), factor, axis=2)
    arrays = color.quantize(big, 255.0).astype(np.uint8)
    pictures = [PILImage.fromarray(a[:, :, 0] if a.shape[2] == 1 else a) for a in arrays]

    def encode(fh: BinaryIO) -> None:
        pictures[0].save(fh, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=frame_ms, loop=0)

    return write_atomic(path, encode)


def write_outputs(out_dir: Path, seed: int, images: np.ndarray, frames: np.ndarray | None,
                  grid: bool, ctx: RunContext | None = None) -> list[Path]:
    """Write the samples, and the grid and GIF when asked; returns the paths in that order.

    Checks ``ctx.cancel`` before each file and reports ``SampleWritten`` after it.
    When anything stops the writing (a cancel, a write error, Ctrl-C), the files this call
    created are removed again, so a stopped run leaves no partial set behind.

    Raises:
        Cancelled: ``ctx.cancel`` was set.
    """
    ctx = ctx or RunContext()
    io.make_folder(out_dir)
    jobs = [(out_dir / f"sample_{seed}_{i:03d}.png", lambda p, img=img: io.write(to_image(img), p))
            for i, img in enumerate(images)]
    if grid:
        jobs.append((out_dir / f"sample_grid_seed{seed}.png",
                     lambda p: io.write(to_image(tile_grid(images)), p)))
    if frames is not None and len(frames):
        jobs.append((out_dir / f"sample_walk_seed{seed}.gif", lambda p: write_gif(p, frames)))
    created: list[Path] = []
    try:
        for done, (path, write) in enumerate(jobs, 1):
            ctx.cancel.check()
            existed = path.exists()
            write(path)
            if not existed:
                created.append(path)
            ctx.progress(SampleWritten(done=done, total=len(jobs), item=ctx.item, path=path))
    except BaseException:
        for path in created:
            path.unlink(missing_ok=True)
        raise
    return [path for path, _ in jobs]
