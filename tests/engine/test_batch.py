"""The batch runner: planning, naming, skipping, failures that do not stop the batch, cancel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image as PILImage

from engine import batch
from engine.batch import RunSettings
from engine.cli.display import error_text
from engine.errors import HINT_OVERWRITE, HINT_RECURSIVE, HINT_TILE_SIZE
from engine.events import (
    BatchProgress,
    CancelToken,
    Event,
    ItemFinished,
    ItemStarted,
    TileProgress,
)
from engine.imaging.image import Image
from engine.tasks.registry import RunContext, Task


class Invert(Task):
    """Test task: inverts pixels in 4 'tiles', reporting progress and honouring cancel."""

    id = "invert_test"
    title = "Invert"
    description = "test"

    def __init__(self, boom_on: str = "") -> None:
        self.boom_on = boom_on

    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        if self.boom_on and image.source and image.source.name == self.boom_on:
            raise RuntimeError("kaboom")
        for i in range(4):
            ctx.cancel.check()
            ctx.progress(TileProgress(done=i + 1, total=4, item=ctx.item))
        return image.with_pixels(1.0 - image.pixels, image.alpha)


def _photo(path: Path, size=(24, 16), value=80) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PILImage.new("RGB", size, (value, value // 2, 200)).save(path)
    return path


def test_plan_names_outputs_and_marks_problems(tmp_path):
    src = tmp_path / "in"
    _photo(src / "a.png")
    _photo(src / "a.jpg")
    (src / "clip.gif").write_bytes(b"GIF89a")
    (src / "notes.txt").write_text("ignored")
    items = batch.plan([src], Invert(), RunSettings(tmp_path / "out", format="png"))
    names = {i.input.name: i for i in items}
    assert set(names) == {"a.png", "a.jpg", "clip.gif"}
    outs = {i.output.name for i in items if not i.problem}
    assert outs == {"a_invert_test.png", "a_invert_test_2.png"}
    assert "not supported" in names["clip.gif"].problem


def test_plan_same_format_keeps_extension(tmp_path):
    _photo(tmp_path / "x.JPG")
    (item,) = batch.plan([tmp_path / "x.JPG"], Invert(), RunSettings(tmp_path / "o"))
    assert item.output == tmp_path / "o" / "x_invert_test.JPG"


def test_plan_refuses_to_overwrite_an_input(tmp_path):
    a = _photo(tmp_path / "a.png")
    b = _photo(tmp_path / "a_invert_test.png")
    items = batch.plan([a, b], Invert(), RunSettings(tmp_path, overwrite=True))
    by_name = {i.input.name: i for i in items}
    assert "overwrite an input" in by_name["a.png"].problem
    assert by_name["a_invert_test.png"].problem == ""


def test_a_crashing_item_does_not_stop_the_batch(tmp_path):
    for name in ("a.png", "b.png", "c.png"):
        _photo(tmp_path / "in" / name)
    settings = RunSettings(tmp_path / "out")
    task = Invert(boom_on="b.png")
    items = batch.plan([tmp_path / "in"], task, settings)
    result = batch.run(items, task, {}, settings)
    assert [r.status for r in result.results] == ["done", "failed", "done"]
    assert "b.png" in result.results[1].error and "kaboom" in result.results[1].error
    assert not (tmp_path / "out" / "b_invert_test.png").exists()
    written = np.asarray(PILImage.open(tmp_path / "out" / "a_invert_test.png"))
    assert tuple(written[0, 0]) == (255 - 80, 255 - 40, 55)


def test_an_internal_error_keeps_its_traceback_and_says_where_the_log_is(
        tmp_path, monkeypatch, caplog):
    from engine import logs

    monkeypatch.setattr(logs, "current", lambda: tmp_path / "photogan.log")
    _photo(tmp_path / "in" / "b.png")
    settings = RunSettings(tmp_path / "out")
    task = Invert(boom_on="b.png")
    result = batch.run(batch.plan([tmp_path / "in"], task, settings), task, {}, settings)
    failed = result.results[0]
    assert failed.status == "failed" and "\n" not in failed.error
    assert "internal error (RuntimeError: kaboom)" in failed.error
    assert str(tmp_path / "photogan.log") in failed.error
    assert failed.details.startswith("Traceback") and "in process" in failed.details
    assert "kaboom" in caplog.text and "b.png" in caplog.text


def test_cancel_mid_item_leaves_no_partial_file(tmp_path):
    for name in ("a.png", "b.png", "c.png"):
        _photo(tmp_path / "in" / name)
    settings = RunSettings(tmp_path / "out")
    task = Invert()
    token = CancelToken()
    events: list[Event] = []

    def progress(event: Event) -> None:
        events.append(event)
        if isinstance(event, TileProgress) and event.item == 1 and event.done == 2:
            token.cancel()

    items = batch.plan([tmp_path / "in"], task, settings)
    result = batch.run(items, task, {}, settings, progress, token)
    assert result.cancelled
    assert [r.status for r in result.results] == ["done", "cancelled"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_invert_test.png"]
    assert [type(e) for e in events if isinstance(e, BatchProgress)] == [
        ItemStarted, ItemFinished, ItemStarted, ItemFinished]
    finished = [e for e in events if isinstance(e, ItemFinished)]
    assert [e.result for e in finished] == result.results


def test_skip_existing_then_overwrite(tmp_path):
    src = _photo(tmp_path / "x.png")
    out = tmp_path / "out"
    _photo(out / "x_invert_test.png", value=10)
    (item,) = batch.plan([src], Invert(), RunSettings(out))
    assert item.skip
    result = batch.run([item], Invert(), {}, RunSettings(out))
    assert result.results[0].status == "skipped"
    assert result.results[0].hint == HINT_OVERWRITE and "--" not in result.results[0].error
    assert "Use --overwrite" in error_text(result.results[0])
    (item,) = batch.plan([src], Invert(), RunSettings(out, overwrite=True))
    assert not item.skip


def test_folder_and_memory_problems_carry_hints_not_flags(tmp_path):
    class Hungry(Invert):
        def process(self, image, options, ctx):
            raise MemoryError()

    (tmp_path / "in" / "album.png").mkdir(parents=True)  # a sub-folder with an image's name
    photo = _photo(tmp_path / "x.png")
    items = batch.plan([tmp_path / "in", photo], Hungry(), RunSettings(tmp_path / "out"))
    results = batch.run(items, Hungry(), {}, RunSettings(tmp_path / "out")).results
    assert [(r.status, r.hint) for r in results] == [
        ("failed", HINT_RECURSIVE), ("failed", HINT_TILE_SIZE)]
    assert not any("--" in r.error for r in results)
    assert "Pass --recursive" in error_text(results[0])
    assert "smaller --tile" in error_text(results[1])


def test_report_maps_cancelled_to_skipped(tmp_path):
    from engine.events import ItemResult

    entry = ItemResult(tmp_path / "a.png", None, "cancelled", "a.png: cancelled").to_json()
    assert entry["status"] == "skipped"


@pytest.mark.parametrize("bad", [{"format": "gif"}, {"quality": 0}, {"tile": 5}])
def test_bad_settings_are_usage_errors(tmp_path, bad):
    from engine.errors import UsageError

    with pytest.raises(UsageError):
        RunSettings(tmp_path, **bad)
