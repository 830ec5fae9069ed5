"""``photogan bench``: throughput, peak memory and compute efficiency of every task, measured
in one run on this machine.

What is measured, per task (one ``BenchRow``):

* ``mp_per_s``: megapixels of the input photo per second through the task's own code path
  (``ModelTask.process_with`` -> ``process_tiled`` -> ``make_predictor`` for the generators,
  ``Task.process`` for the classical tasks), best of ``repeat`` timed runs after one warm-up on
  a tile-sized crop (which traces the predict function for the tile shape).
* ``gflops`` / ``peak_fraction`` (convolutional generators and the sampler): FLOPs the model
  really executed (``count_flops`` per tile shape, times the tiles fed, padding and overlap
  included) per second, and that rate over the best float32 matrix-multiply rate
  (``matmul_peak_gflops``) measured in the same process at the start and end of the run.
* ``peak_rss_mb``: the largest resident set size of this process seen while the row ran
  (model build, warm-up and timed runs), by a thread sampling ``psutil`` every 5 ms;
  ``rss_delta_mb``: that peak minus the RSS before the row started, what the task needed on
  top of what the process already held. ``getrusage``'s ``ru_maxrss`` cannot be reset, so it
  would repeat the largest earlier row; sampling can miss a spike shorter than the interval,
  and memory the allocator kept from an earlier row can be reused, so a row can need more in
  a fresh process than its delta says.

Weights do not change speed, so the generators are freshly initialised architectures from
``engine.store.importers.TASK_ARCH`` (plus smaller ``(fast)`` variants). Nothing here prints.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from engine import backend
from engine.errors import HINT_BENCH_SIZE, Cancelled, PhotoGANError, UsageError
from engine.evaluation.bench_train import TRAIN_BENCHES, time_train_step
from engine.evaluation.measure import (
    PeakRss,
    best_time,
    count_flops,
    machine_info,
    matmul_peak_gflops,
    synthetic_photo,
)
from engine.events import (
    BenchProgress,
    CancelToken,
    Event,
    IterationProgress,
    ProgressFn,
    no_progress,
)
from engine.imaging.image import Image

DEFAULT_SIZE = (1024, 768)
SAMPLE_COUNT = 256
# Style is timed over a few optimiser iterations; the full task at its default iterations
# is extrapolated from the per-iteration time plus the measured fixed cost.
STYLE_ITERATIONS = 5

# Bench name -> (task, (architecture, config)); None takes the task's TASK_ARCH entry.
GENERATORS: dict[str, tuple[str, tuple[str, dict] | None]] = {
    "deblur": ("deblur", None),
    "deblur(fast)": ("deblur", ("deblurgan", {"ngf": 32, "n_blocks": 6, "norm": "instance"})),
    "deblur(unet)": ("deblur", ("deblur_unet", {"width": 16})),
    "upscale": ("upscale", None),
    "upscale(fast)": ("upscale", ("srgan", {"n_blocks": 8, "width": 64})),
    "photo2monet": ("photo2monet", None),
    "monet2photo": ("monet2photo", None),  # the same architecture as photo2monet
}
CLASSICAL = ("sharpen", "resize")
# Bench name -> task timed whole at its defaults with its default model (what a user waits
# for): the painting task paints at its working size, four grid passes, then resizes back.
WHOLE_TASKS = {"painting": "photo2monet"}
ALL_TASKS = (*GENERATORS, "style", "sample", *CLASSICAL, *WHOLE_TASKS, *TRAIN_BENCHES)
# monet2photo is photo2monet's architecture again; training steps are asked for by name.
DEFAULT_TASKS = tuple(t for t in ALL_TASKS
                      if t != "monet2photo" and t not in TRAIN_BENCHES and t not in WHOLE_TASKS)


@dataclass
class BenchRow:
    """One measured task. ``None`` where a figure does not apply (or the task failed).

    Attributes:
        task: bench name (``deblur``, ``deblur(fast)``, ``sample``, ...).
        mp_per_s: input megapixels per second (sample: generated pixels per second).
        gflops: achieved GFLOP/s of the model's convolutions and dense layers.
        peak_fraction: ``gflops / matmul_peak_gflops``.
        peak_rss_mb, rss_delta_mb: peak resident memory during the row, and its rise.
        seconds: best wall time of one task run (style: extrapolated full run).
        rate, rate_unit: the task's own unit (``images/s``, ``iterations/s``) where it has one.
        tile: tile side used; tile_efficiency: image pixels / pixels fed to the model.
        arch, config: the architecture measured.
        matmul_peak_gflops: the reference rate of this run.
        error: why the row has no figures ("" when it ran).
    """

    task: str
    mp_per_s: float | None = None
    gflops: float | None = None
    peak_fraction: float | None = None
    peak_rss_mb: float | None = None
    rss_delta_mb: float | None = None
    seconds: float | None = None
    rate: float | None = None
    rate_unit: str = ""
    tile: int | None = None
    tile_efficiency: float | None = None
    arch: str = ""
    config: dict = field(default_factory=dict)
    matmul_peak_gflops: float | None = None
    error: str = ""

    def to_json(self) -> dict:
        """The row as a JSON-ready dict, floats rounded to 4 significant digits."""
        return {k: _round(v) for k, v in asdict(self).items()}


@dataclass
class BenchReport:
    """A whole run: rows plus the facts needed to read them."""

    rows: list[BenchRow]
    machine: dict
    size: tuple[int, int]
    repeat: int
    matmul_peak_gflops: float | None


def _round(value):
    if isinstance(value, float) and math.isfinite(value) and value != 0.0:
        return float(f"{value:.4g}")
    return value


# --- parsing ----------------------------------------------------------------------------------

def parse_size(text: str) -> tuple[int, int]:
    """``"1024x768"`` -> ``(1024, 768)`` (width, height); ``UsageError`` otherwise."""
    width, sep, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < 16 or max(size) > 16384:
        raise UsageError(f"The photo size must be WIDTHxHEIGHT with sides from 16 to 16384, "
                         f"got {text!r}.", hint=HINT_BENCH_SIZE)
    return size


def parse_tasks(text: str | None) -> list[str]:
    """Comma-separated bench names (``deblur-fast`` also spells ``deblur(fast)``, and
    ``deblur-unet`` ``deblur(unet)``); all the default ones when empty."""
    if not text:
        return list(DEFAULT_TASKS)
    names = []
    for word in (w.strip() for w in text.split(",")):
        if not word:
            continue
        name = word.replace("-fast", "(fast)").replace("-unet", "(unet)")
        if name not in ALL_TASKS:
            raise UsageError(f"Unknown bench task '{word}'; choose from {', '.join(ALL_TASKS)}.")
        names.append(name)
    return names


# --- per-kind measurements --------------------------------------------------------------------

class TileCounter:
    """Wraps a batch ``predict`` and counts the tile slots fed per tile side."""

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray]) -> None:
        self.predict = predict
        self.slots: Counter[tuple[int, int]] = Counter()

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.slots[(int(batch.shape[1]), int(batch.shape[2]))] += int(batch.shape[0])
        return self.predict(batch)


def _build(arch: str, config: dict):
    keras = backend.keras()
    from engine.models import build
    from engine.store.loader import inference_precision

    keras.utils.set_random_seed(0)
    with inference_precision(keras):
        return build(arch, **config)


def _arch_for(name: str, archs: dict[str, tuple[str, dict]]) -> tuple[str, dict]:
    from engine.store.importers import TASK_ARCH

    if name in archs:
        return archs[name]
    task_id, chosen = GENERATORS.get(name, (name, None))
    return chosen or TASK_ARCH[task_id]


def plain_predictor(model, input_range: str, output_range: str):
    """``make_predictor`` without ``inference_model``'s rewrite: the Keras graph as built
    (the "before" of ``--compare``)."""
    from engine.imaging import color

    def predict(batch: np.ndarray) -> np.ndarray:
        y = model.predict_on_batch(color.to_model(batch, input_range))
        return color.from_model(np.asarray(y, dtype=np.float32), output_range)

    return predict


def bench_generator(name: str, image: Image, *, repeat: int, tile: int, peak: float | None,
                    archs: dict[str, tuple[str, dict]], cancel: CancelToken,
                    memory: PeakRss, plain: bool = False) -> BenchRow:
    """Time one image-to-image generator through ``ModelTask.process_with`` (``plain``: with
    ``plain_predictor`` instead of ``make_predictor``; the row is named ``<name>[plain]``)."""
    from engine.imaging.tiling import photo_pixel_share, plan_for
    from engine.inference import make_predictor
    from engine.store.importers import arch_fields
    from engine.store.manifest import Manifest
    from engine.tasks.registry import RunContext, get_task

    task_id = GENERATORS[name][0]
    arch, config = _arch_for(name, archs)
    task = get_task(task_id)
    manifest = Manifest(id="bench", task=task_id, arch=arch, config=dict(config),
                        **arch_fields(arch))
    ctx = RunContext(cancel=cancel, tile=tile)
    options = task.parse_options({})

    def run() -> None:
        counter.slots.clear()
        task.process_with(image, counter, manifest, options, ctx, policy)

    with memory:
        model = _build(arch, config)
        policy = task.policy(manifest, model)
        plan = plan_for(image.height, image.width, policy, tile=tile, scale=manifest.scale)
        predictor = plain_predictor if plain else make_predictor
        counter = TileCounter(predictor(model, manifest.input_range, manifest.output_range))
        counter(np.zeros((plan.batch, plan.tile_height, plan.tile_width, 3), np.float32))
        seconds = best_time(run, repeat)
    flops = sum(count_flops(model, (h, w, 3)) * n for (h, w), n in counter.slots.items())
    return _row(f"{name}[plain]" if plain else name, image, seconds, memory, flops, peak,
                arch=arch, config=config,
                tile=plan.tile, tile_efficiency=photo_pixel_share(plan, image.height, image.width))


def bench_sample(image: Image, *, repeat: int, peak: float | None,
                 archs: dict[str, tuple[str, dict]], cancel: CancelToken,
                 memory: PeakRss) -> BenchRow:
    """Time the DCGAN sampler's rendering of ``SAMPLE_COUNT`` images (files not written)."""
    from engine.models import info
    from engine.tasks.registry import RunContext
    from engine.tasks.sample import BATCH, latent_dim, render, sample_latents

    arch, config = _arch_for("sample", archs)
    output_range = info(arch).output_range or "-1,1"
    ctx = RunContext(cancel=cancel)
    with memory:
        model = _build(arch, config)
        dim = latent_dim(model)
        latents = sample_latents(SAMPLE_COUNT, dim, seed=0)
        shape = render(model, latents[:BATCH], output_range, ctx).shape
        seconds = best_time(lambda: render(model, latents, output_range, ctx), repeat)
    batch = min(BATCH, SAMPLE_COUNT)
    slots = math.ceil(SAMPLE_COUNT / batch) * batch
    flops = count_flops(model, (dim,)) * slots
    row = _row("sample", image, seconds, memory, flops, peak, arch=arch, config=config)
    row.rate, row.rate_unit = SAMPLE_COUNT / seconds, "images/s"
    row.mp_per_s = SAMPLE_COUNT * shape[1] * shape[2] / seconds / 1e6
    return row


def bench_whole_task(name: str, image: Image, *, repeat: int, cancel: CancelToken,
                     memory: PeakRss) -> BenchRow:
    """Time a task whole at its default options: a classical (OpenCV) one, or a
    ``WHOLE_TASKS`` entry (named ``name``) with its default model."""
    from engine.tasks.registry import RunContext, get_task

    task = get_task(WHOLE_TASKS.get(name, name))
    options = task.parse_options({})
    ctx = RunContext(cancel=cancel)
    with memory:
        task.process(image.with_pixels(image.pixels[:64, :64]), options, ctx)
        seconds = best_time(lambda: task.process(image, options, ctx), repeat)
    return _row(name, image, seconds, memory, None, None)


def bench_style(image: Image, *, repeat: int, cancel: CancelToken, memory: PeakRss
                ) -> BenchRow:
    """Time ``style`` over ``STYLE_ITERATIONS`` iterations and extrapolate the full task.

    Per-iteration time comes from the spacing of the task's own iteration progress events;
    the full run at the default iterations is the measured fixed cost (set-up, targets,
    resizing) plus that many iterations.
    """
    from engine.style import features
    from engine.tasks.registry import RunContext, get_task

    task = get_task("style")
    default_iterations = task.parse_options({})["iterations"]
    options = task.parse_options({"iterations": STYLE_ITERATIONS})
    stamps: list[tuple[int, float]] = []

    def on_progress(event: Event) -> None:
        if isinstance(event, IterationProgress):
            stamps.append((event.done, time.perf_counter()))

    ctx = RunContext(progress=on_progress, cancel=cancel)
    best = (math.inf, math.inf)
    with memory:
        task.process(image, task.parse_options({"iterations": 1}), ctx)
        for _ in range(max(1, repeat)):
            stamps.clear()
            cpu = time.process_time()
            seconds = best_time(lambda: task.process(image, options, ctx), 1)
            cpu_share = (time.process_time() - cpu) / max(seconds, 1e-9)
            best = min(best, _style_costs(stamps, seconds) + (cpu_share,))
    per_iteration, fixed, cpu_share = best
    full = fixed + default_iterations * per_iteration
    row = _row("style", image, full, memory, None, None)
    row.rate, row.rate_unit = 1.0 / per_iteration, "iterations/s"
    row.config = {"iterations": default_iterations, "size": options["size"],
                  "features": "vgg19" if features.find_vgg19_weights() else "random",
                  # Process CPU seconds of the full run (user + system, all cores): on an
                  # idle machine the wall time is at most this; on a shared one it is not.
                  "cpu_seconds": round(full * cpu_share, 1)}
    return row


def bench_train(name: str, *, repeat: int, peak: float | None, cancel: CancelToken,
                memory: PeakRss) -> BenchRow:
    """Time one training step (``bench_train.time_train_step``); ``mp_per_s`` counts crop
    pixels trained on, ``rate`` is images per second."""
    with memory:
        timing = time_train_step(name, repeat, cancel)
    gflops = timing.flops / timing.seconds / 1e9
    return BenchRow(task=name, mp_per_s=timing.pixels / timing.seconds / 1e6, gflops=gflops,
                    peak_fraction=gflops / peak if peak else None,
                    peak_rss_mb=memory.peak_mb, rss_delta_mb=memory.peak_mb - memory.start_mb,
                    seconds=timing.seconds, rate=timing.images_per_s, rate_unit="images/s",
                    arch=timing.arch, config=timing.config, matmul_peak_gflops=peak)


def _style_costs(stamps: list[tuple[int, float]], seconds: float) -> tuple[float, float]:
    """``(seconds per iteration, fixed seconds)`` of one timed style run."""
    if len(stamps) >= 2 and stamps[-1][0] > stamps[0][0]:
        per = (stamps[-1][1] - stamps[0][1]) / (stamps[-1][0] - stamps[0][0])
    else:
        per = seconds / max(1, stamps[-1][0] if stamps else STYLE_ITERATIONS)
    done = stamps[-1][0] if stamps else STYLE_ITERATIONS
    return per, max(0.0, seconds - done * per)


def _row(name: str, image: Image, seconds: float, memory: PeakRss, flops: float | None,
         peak: float | None, **extra) -> BenchRow:
    gflops = flops / seconds / 1e9 if flops else None
    return BenchRow(
        task=name,
        mp_per_s=image.width * image.height / seconds / 1e6,
        gflops=gflops,
        peak_fraction=gflops / peak if gflops and peak else None,
        peak_rss_mb=memory.peak_mb,
        rss_delta_mb=memory.peak_mb - memory.start_mb,
        seconds=seconds,
        matmul_peak_gflops=peak,
        **extra,
    )


# --- the run ----------------------------------------------------------------------------------

def run_bench(
    tasks: list[str] | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
    repeat: int = 1,
    tile: int = 0,
    archs: dict[str, tuple[str, dict]] | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    compare: bool = False,
) -> BenchReport:
    """Measure ``tasks`` (bench names; default ``DEFAULT_TASKS``) on a synthetic photo.

    Args:
        tasks: bench names from ``ALL_TASKS``.
        size: ``(width, height)`` of the synthetic photo.
        repeat: timed runs per task; the best is kept.
        tile: generator tile side (0: what the task would choose automatically).
        archs: bench name -> ``(architecture, config)`` overrides (tests use toy sizes).
        progress: ``BenchProgress(done, total, task=task)`` before each task.
        cancel: checked between tasks and inside them.
        compare: after each generator, time it again through the plain Keras graph
            (``plain_predictor``) as a ``<name>[plain]`` row: before/after in one run.

    Returns:
        A ``BenchReport``; a task that fails gets a row with its ``error`` and no figures.
    """
    names = list(DEFAULT_TASKS if tasks is None else tasks)
    cancel = cancel or CancelToken()
    archs = archs or {}
    image = synthetic_photo(*size)
    needs_peak = any(n in GENERATORS or n in TRAIN_BENCHES or n == "sample" for n in names)
    peak = matmul_peak_gflops() if needs_peak else None
    rows = []
    for i, name in enumerate(names):
        cancel.check()
        progress(BenchProgress(done=i, total=len(names), task=name))
        rows.append(_measure(name, image, repeat, tile, peak, archs, cancel))
        if compare and name in GENERATORS:
            rows.append(_measure(name, image, repeat, tile, peak, archs, cancel, plain=True))
    if needs_peak:
        # The machine is shared: the best of the two measurements is the nearer true peak.
        peak = max(peak, matmul_peak_gflops())
        for row in rows:
            _rescale(row, peak)
    progress(BenchProgress(done=len(names), total=len(names)))
    return BenchReport(rows, machine_info(), size, repeat, peak)


def _measure(name: str, image: Image, repeat: int, tile: int, peak: float | None,
             archs: dict, cancel: CancelToken, plain: bool = False) -> BenchRow:
    memory = PeakRss()
    try:
        if name in GENERATORS:
            return bench_generator(name, image, repeat=repeat, tile=tile, peak=peak,
                                   archs=archs, cancel=cancel, memory=memory, plain=plain)
        if name == "sample":
            return bench_sample(image, repeat=repeat, peak=peak, archs=archs, cancel=cancel,
                                memory=memory)
        if name == "style":
            return bench_style(image, repeat=repeat, cancel=cancel, memory=memory)
        if name in TRAIN_BENCHES:
            return bench_train(name, repeat=repeat, peak=peak, cancel=cancel, memory=memory)
        return bench_whole_task(name, image, repeat=repeat, cancel=cancel, memory=memory)
    except Cancelled:
        raise
    except PhotoGANError as exc:
        return BenchRow(task=name, error=str(exc))
    except Exception as exc:  # one broken task must not lose the rows already measured
        return BenchRow(task=name, error=f"{type(exc).__name__}: {exc}")


def _rescale(row: BenchRow, peak: float) -> None:
    row.matmul_peak_gflops = peak
    if row.gflops is not None:
        row.peak_fraction = row.gflops / peak
