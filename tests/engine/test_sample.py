"""The ``sample`` generate task with a tiny DCGAN stored in a temp store."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image as PILImage

from engine import api
from engine.cli.hints import explain
from engine.errors import Cancelled, UsageError, WeightsMissingError
from engine.events import CancelToken, GenerateProgress, SampleWritten
from engine.store.importers import add_model
from engine.tasks.registry import RunContext, get_task
from engine.tasks.sample import grid_shape, slerp, tile_grid, walk_latents

LATENT = 8


@pytest.fixture
def tiny_dcgan(store):
    """A seeded dcgan28 with an 8-long latent, stored as the only ``sample`` model."""
    import keras

    from engine.models import build

    keras.utils.set_random_seed(0)
    model = build("dcgan28", latent_dim=LATENT)
    return add_model(model, "sample", "tiny-dcgan", "dcgan28", {"latent_dim": LATENT})


def _generate(out, **options):
    task = get_task("sample")
    return task.generate(task.parse_options(options), out, RunContext())


def test_writes_images_grid_and_gif(tiny_dcgan, tmp_path):
    paths = _generate(tmp_path / "out", count=5, seed=3, gif=True)
    names = [p.name for p in paths]
    assert names == [f"sample_3_{i:03d}.png" for i in range(5)] + [
        "sample_grid_seed3.png", "sample_walk_seed3.gif"]
    with PILImage.open(paths[0]) as first:
        assert first.mode == "L" and first.size == (28, 28)
    with PILImage.open(paths[5]) as grid:  # 5 cells -> 2 rows x 3 cols, 2 px gaps
        assert grid.size == (3 * 28 + 2 * 2, 2 * 28 + 2)
    with PILImage.open(paths[6]) as gif:
        assert gif.is_animated and gif.size == (112, 112)
        assert gif.n_frames > 1


def test_same_seed_same_bytes_other_seed_differs(tiny_dcgan, tmp_path):
    a = _generate(tmp_path / "a", count=3, seed=7, gif=True)
    b = _generate(tmp_path / "b", count=3, seed=7, gif=True)
    c = _generate(tmp_path / "c", count=3, seed=8, grid=False)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].read_bytes() != c[0].read_bytes()


def test_without_a_model_it_refuses_and_says_how(store, tmp_path):
    task = get_task("sample")
    assert "import one into the model store" in task.weights_status()
    with pytest.raises(WeightsMissingError, match="no trained model") as caught:
        task.generate(task.parse_options({}), tmp_path, RunContext())
    assert "`photogan models import FILE --task sample`" in explain(caught.value)
    settings = api.RunSettings(out_dir=tmp_path / "out")
    with pytest.raises(WeightsMissingError):
        api.generate("sample", {}, settings)
    assert not list(tmp_path.glob("**/*.png"))


def test_cancel_after_first_batch_writes_nothing(tiny_dcgan, tmp_path):
    token = CancelToken()
    events = []

    def progress(event):
        events.append(event)
        token.cancel()

    task = get_task("sample")
    ctx = RunContext(progress=progress, cancel=token)
    with pytest.raises(Cancelled):
        task.generate(task.parse_options({"count": 3, "gif": True}), tmp_path / "out", ctx)
    assert events and isinstance(events[0], GenerateProgress)
    assert not list((tmp_path / "out").glob("*"))


def test_cancel_while_writing_removes_the_files_it_created(tiny_dcgan, tmp_path):
    """The Ctrl-C case of `run sample --set count=1024 --set gif=true`: rendering is quick,
    writing the files takes the time, so the cancel must be honoured between files."""
    out = tmp_path / "out"
    out.mkdir()
    older = out / "sample_0_001.png"  # from an earlier run: overwritten, never deleted
    older.write_bytes(b"earlier run")
    token = CancelToken()
    written = []

    def progress(event):
        if isinstance(event, SampleWritten):
            written.append(event.done)
            if event.done == 3:
                token.cancel()

    task = get_task("sample")
    ctx = RunContext(progress=progress, cancel=token)
    with pytest.raises(Cancelled):
        task.generate(task.parse_options({"count": 40, "gif": True}), out, ctx)
    assert written == [1, 2, 3]
    assert sorted(p.name for p in out.iterdir()) == ["sample_0_001.png"]


def test_parameters_and_input_refusal(tiny_dcgan):
    task = get_task("sample")
    assert task.kind == "generate"
    params = {p.name: p for p in task.params}
    assert params["model"].default == "tiny-dcgan" and params["count"].default == 16
    with pytest.raises(UsageError):
        task.parse_options({"count": 0})


def test_slerp_walk_and_grid_geometry():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 16)).astype(np.float32)
    np.testing.assert_allclose(slerp(a, b, 0.0), a, atol=1e-6)
    np.testing.assert_allclose(slerp(a, b, 1.0), b, atol=1e-5)
    walk = walk_latents(np.stack([a, b]), frames_per_segment=4)
    assert walk.shape == (8, 16)
    np.testing.assert_allclose(walk[4], b, atol=1e-6)
    assert grid_shape(16) == (4, 4) and grid_shape(5) == (2, 3) and grid_shape(1) == (1, 1)
    sheet = tile_grid(np.zeros((3, 4, 5, 1), np.float32), gap=2)
    assert sheet.shape == (2 * 4 + 2, 2 * 5 + 2, 1)
    assert sheet[4:6].min() == 1.0  # the gap row
