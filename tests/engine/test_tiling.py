"""Tiled processing: coverage, exactness against whole-image runs, batching, OOM, cancel, blend."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import HINT_DEVICE_MEMORY, Cancelled, OutOfMemory
from engine.events import CancelToken, Event, TileProgress
from engine.imaging.tiling import (
    auto_tile_size,
    feather_weights,
    is_out_of_memory,
    plan_tiles,
    reflect_indices,
    run_tiled,
)

TOL = 1.0 / 255.0
RADIUS = 3  # receptive-field radius of the test convolution (7x7)


def _kernel(c_in: int = 3, c_out: int = 2) -> np.ndarray:
    rng = np.random.default_rng(7)
    return (rng.normal(size=(2 * RADIUS + 1, 2 * RADIUS + 1, c_in, c_out)) / 12).astype(
        np.float32
    )


KERNEL = _kernel()


def conv(batch: np.ndarray) -> np.ndarray:
    """A small CNN layer: 7x7 convolution (3 -> 2 channels, mirrored borders) then tanh.

    ``(N, H, W, 3)`` -> ``(N, H, W, 2)``; output pixels depend on inputs within ``RADIUS``.
    """
    height, width = batch.shape[1:3]
    padded = np.pad(batch, ((0, 0), (RADIUS, RADIUS), (RADIUS, RADIUS), (0, 0)), mode="reflect")
    out = np.zeros(batch.shape[:3] + (KERNEL.shape[3],), np.float32)
    for dy in range(KERNEL.shape[0]):
        for dx in range(KERNEL.shape[1]):
            out += padded[:, dy : dy + height, dx : dx + width] @ KERNEL[dy, dx]
    return np.tanh(out)


def conv_x2(batch: np.ndarray) -> np.ndarray:
    """``conv`` followed by nearest-neighbour x2 upsampling: ``(N, H, W, 3) -> (N, 2H, 2W, 2)``."""
    return conv(batch).repeat(2, axis=1).repeat(2, axis=2)


def whole(fn, pixels: np.ndarray, overlap: int, scale: int = 1) -> np.ndarray:
    """``fn`` applied once to the reflect-padded whole image, cropped back."""
    padded = np.pad(pixels, ((overlap, overlap), (overlap, overlap), (0, 0)), mode="reflect")
    out = fn(padded[None])[0]
    band = overlap * scale
    return out[band : out.shape[0] - band, band : out.shape[1] - band]


def photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((height, width, 3), dtype=np.float32)


class Recorder:
    """Wraps a predict function, recording input shapes; optionally raises OOM on demand."""

    def __init__(self, fn, fail=lambda call, batch: None):
        self.fn, self.fail, self.shapes, self.calls = fn, fail, [], 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.calls += 1
        self.fail(self.calls, batch)
        self.shapes.append(batch.shape)
        return self.fn(batch)


class ResourceExhaustedError(Exception):
    """Stands in for tensorflow.errors.ResourceExhaustedError (matched by class name)."""


# -- planning -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "height, width, tile, overlap, multiple",
    [(37, 53, 24, 4, 1), (100, 31, 32, 6, 8), (5, 7, 64, 3, 4), (512, 512, 128, 16, 1)],
)
def test_plan_covers_image_with_one_tile_shape(height, width, tile, overlap, multiple):
    plan = plan_tiles(height, width, tile, overlap, multiple)
    assert plan.tile % multiple == 0
    assert {spec.size for spec in plan.tiles} == {plan.tile}
    covered = np.zeros((height, width), bool)
    for spec in plan.tiles:
        assert 0 <= spec.y <= plan.padded_height - spec.size
        assert 0 <= spec.x <= plan.padded_width - spec.size
        core = spec.size - 2 * overlap
        covered[spec.y : spec.y + core, spec.x : spec.x + core] = True  # core, image coords
    assert covered.all()


def test_small_image_gets_one_tile_rounded_to_multiple():
    plan = plan_tiles(20, 13, 512, 8, multiple=8)
    assert len(plan.tiles) == 1
    assert plan.tile == 40  # 20 + 2 * 8 = 36, rounded up to a multiple of 8


def test_reflect_indices_match_numpy_reflect_padding_for_any_width():
    for size in (1, 2, 5):
        padded = np.pad(np.arange(size), 13, mode="reflect")
        assert (reflect_indices(np.arange(-13, size + 13), size) == padded).all()


def test_feather_weights_zero_context_and_ramps_that_sum_to_one():
    w = feather_weights(64, 8)
    assert (w[:8] == 0).all() and (w[-8:] == 0).all() and (w[16:-16] == 1).all()
    # The next tile starts 64 - 3 * 8 = 40 later: its rising ramp meets this falling one.
    np.testing.assert_allclose(w[48:56] + w[8:16], 1.0, atol=1e-6)


# -- exactness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "height, width, tile",
    [(37, 53, 24), (61, 29, 40), (20, 13, 512), (1, 9, 32)],
    ids=["not-multiple", "tall", "tile-larger-than-image", "one-row"],
)
@pytest.mark.parametrize("fn, scale", [(conv, 1), (conv_x2, 2)], ids=["x1", "x2"])
def test_tiled_equals_whole_image(height, width, tile, fn, scale):
    pixels = photo(height, width)
    predict = Recorder(fn)
    out = run_tiled(predict, pixels, scale=scale, tile=tile, overlap=4)
    assert out.shape == (height * scale, width * scale, 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, whole(fn, pixels, 4, scale), atol=TOL)
    assert len(set(predict.shapes)) == 1


def test_multiple_is_respected_in_every_call():
    predict = Recorder(conv)
    out = run_tiled(predict, photo(45, 70), tile=30, overlap=4, multiple=8)
    assert {shape[1] % 8 for shape in predict.shapes} == {0}
    np.testing.assert_allclose(out, whole(conv, photo(45, 70), 4), atol=TOL)


def test_batching_gives_same_result_with_one_fixed_batch_shape():
    pixels = photo(50, 70)
    single = run_tiled(conv, pixels, tile=24, overlap=4)
    predict = Recorder(conv)
    batched = run_tiled(predict, pixels, tile=24, overlap=4, batch=3)
    np.testing.assert_allclose(batched, single, atol=1e-6)
    assert len(set(predict.shapes)) == 1 and predict.shapes[0][0] == 3


# -- out of memory --------------------------------------------------------------------------


@pytest.mark.parametrize("error", [MemoryError, ResourceExhaustedError])
def test_oom_halves_tile_and_still_matches(error):
    def fail(call, batch):
        if batch.shape[1] > 64:
            raise error("OOM when allocating tensor")

    pixels = photo(300, 260)
    predict = Recorder(conv_x2, fail)
    out = run_tiled(predict, pixels, scale=2, tile=256, overlap=8)
    np.testing.assert_allclose(out, whole(conv_x2, pixels, 8, 2), atol=TOL)
    assert {shape[1] for shape in predict.shapes} == {64}


def test_oom_midway_keeps_finished_tiles():
    def fail(call, batch):
        if call == 3:
            raise MemoryError()

    pixels = photo(150, 150)
    predict = Recorder(conv, fail)
    out = run_tiled(predict, pixels, tile=64, overlap=4)
    np.testing.assert_allclose(out, whole(conv, pixels, 4), atol=TOL)
    sizes = [shape[1] for shape in predict.shapes]
    assert sizes[:2] == [64, 64] and set(sizes[2:]) == {32}


def test_oom_at_smallest_tile_raises_out_of_memory():
    def fail(call, batch):
        raise MemoryError()

    with pytest.raises(OutOfMemory, match="Ran out of memory") as caught:
        run_tiled(Recorder(conv, fail), photo(100, 100), tile=128, overlap=4, min_tile=32)
    assert caught.value.hint == HINT_DEVICE_MEMORY and "--" not in str(caught.value)


def test_other_errors_propagate_unchanged():
    def fail(call, batch):
        raise ValueError("bad weights")

    with pytest.raises(ValueError, match="bad weights"):
        run_tiled(Recorder(conv, fail), photo(40, 40), tile=32, overlap=4)


def test_is_out_of_memory_recognises_backends_by_name_and_message():
    class OutOfMemoryError(RuntimeError):
        pass

    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(ResourceExhaustedError("x"))
    assert is_out_of_memory(OutOfMemoryError("x"))
    assert is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: failed to allocate"))
    try:
        try:
            raise MemoryError()
        except MemoryError as inner:
            raise RuntimeError("predict failed") from inner
    except RuntimeError as outer:
        assert is_out_of_memory(outer)
    assert not is_out_of_memory(ValueError("ROOM 101 is out of paper"))


def test_auto_tile_size_follows_free_memory_and_bounds():
    assert auto_tile_size(100, free_bytes=400_000_000) == 1000
    assert auto_tile_size(100, free_bytes=400_000_000, multiple=64) == 960
    assert auto_tile_size(100, free_bytes=10**12) == 2048
    assert auto_tile_size(100, free_bytes=1000, lo=64, multiple=48) == 96
    assert 64 <= auto_tile_size(100) <= 2048


# -- progress, cancel -----------------------------------------------------------------------


def test_progress_counts_tiles_up_to_total():
    events: list[Event] = []
    run_tiled(conv, photo(50, 70), tile=24, overlap=4, batch=2, progress=events.append, item=3)
    assert events and all(isinstance(e, TileProgress) and e.item == 3 for e in events)
    assert [e.done for e in events] == sorted({e.done for e in events})
    assert events[-1].done == events[-1].total == len(plan_tiles(50, 70, 24, 4).tiles)


def test_cancel_stops_before_the_next_call():
    token = CancelToken()
    predict = Recorder(conv)
    with pytest.raises(Cancelled):
        run_tiled(
            predict, photo(50, 70), tile=24, overlap=4, cancel=token,
            progress=lambda _: token.cancel(),
        )
    assert predict.calls == 1


# -- blending -------------------------------------------------------------------------------


def test_feathered_blend_leaves_no_seam_for_per_tile_offsets():
    """A model that is not tile-consistent (a per-tile brightness offset, as instance norm
    gives) must fade between tiles instead of stepping at their borders."""
    rng = np.random.default_rng(1)
    overlap, offset = 8, 0.5

    def offset_model(batch):
        return batch + rng.uniform(0, offset, size=(len(batch), 1, 1, 1)).astype(np.float32)

    flat = np.zeros((120, 150, 1), np.float32)
    out = run_tiled(offset_model, flat, tile=48, overlap=overlap)[:, :, 0]
    steps = max(np.abs(np.diff(out, axis=0)).max(), np.abs(np.diff(out, axis=1)).max())
    # A hard cut would step by up to `offset`; the ramp spreads it over `overlap` pixels.
    assert steps <= 1.5 * offset / overlap
