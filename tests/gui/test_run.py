"""Running the queue: outputs on disk, failures per file, cancel, closing during a run."""

from __future__ import annotations

from PIL import Image
from PySide6.QtCore import Qt

import gui.controllers.run as run_module
import gui.controllers.window as window_module
from engine.events import TileProgress
from gui.queue_model import CANCELLED, DONE, FAILED, QUEUED
from gui.worker import Worker
from tests.gui.conftest import RUN_TIMEOUT_MS
from tests.gui.helpers import files_under, make_fake_png, make_photo


def test_a_run_writes_every_output_and_marks_rows_done(window, run_and_wait, out_dir, tmp_path):
    photos = [make_photo(tmp_path / "in" / f"p{i}.jpg", seed=i) for i in range(3)]
    window.queue.add_paths(photos)

    result = run_and_wait()

    assert result.count("done") == 3 and not result.cancelled
    for photo, item in zip(photos, window.queue_model.items()):
        expected = out_dir / f"{photo.stem}_sharpen.jpg"
        assert expected.is_file()
        assert Image.open(expected).size == (48, 32)
        assert item.status == DONE and item.output == expected
    assert window.run_bar.overall.value() == 100
    assert "3 done" in window.run_bar.overall_label.text()


def test_clicking_start_with_the_mouse_runs_the_queue(qtbot, window, out_dir, tmp_path):
    """The path a person takes: a left click on the Start button (not the action)."""
    window.queue.add_paths([make_photo(tmp_path / "in" / "p.jpg")])
    assert window.run_bar.start.isEnabled()
    with qtbot.waitSignal(window.run.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
        qtbot.mouseClick(window.run_bar.start, Qt.MouseButton.LeftButton)
    assert blocker.args[0].count("done") == 1
    assert files_under(out_dir) == [out_dir / "p_sharpen.jpg"]


def test_start_after_a_finished_run_runs_the_queue_again_with_the_new_task(
        window, run_and_wait, out_dir, tmp_path):
    photos = [make_photo(tmp_path / "in" / f"p{i}.jpg", seed=i) for i in range(2)]
    bad = make_fake_png(tmp_path / "in" / "bad.png")
    window.queue.add_paths([*photos, bad])
    run_and_wait()
    combo = window.task_panel.task_combo
    combo.setCurrentIndex(combo.findData("resize"))

    result = run_and_wait()

    assert result.count("done") == 2
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "p0_resize.jpg", "p0_sharpen.jpg", "p1_resize.jpg", "p1_sharpen.jpg"]
    assert [it.status for it in window.queue_model.items()] == [DONE, DONE, FAILED]


def test_existing_outputs_are_skipped_unless_overwrite(window, run_and_wait, out_dir, tmp_path):
    photo = make_photo(tmp_path / "in" / "p.png")
    window.queue.add_paths([photo])
    run_and_wait()
    window.actions.retry_failed.trigger()
    window.queue_model.update(photo, status=QUEUED)

    result = run_and_wait()

    assert result.count("skipped") == 1
    item = window.queue_model.items()[0]
    assert item.status == "skipped" and "already exists" in item.reason
    assert "Tick 'Replace existing outputs'" in item.reason and "--" not in item.reason
    assert item.output == out_dir / "p_sharpen.png"


def test_a_failing_file_is_shown_failed_while_the_rest_finish(window, run_and_wait, out_dir,
                                                              tmp_path):
    good = [make_photo(tmp_path / "in" / "a.jpg"), make_photo(tmp_path / "in" / "c.jpg")]
    bad = make_fake_png(tmp_path / "in" / "b.png")
    window.queue.add_paths([good[0], bad, good[1]])

    run_and_wait()

    statuses = {it.path.name: it for it in window.queue_model.items()}
    assert statuses["a.jpg"].status == DONE and statuses["c.jpg"].status == DONE
    assert statuses["b.png"].status == FAILED
    assert "b.png" in statuses["b.png"].reason
    assert "failed: " in window.queue_model.data(window.queue_model.index(1, 3))
    assert sorted(p.name for p in files_under(out_dir)) == ["a_sharpen.jpg", "c_sharpen.jpg"]


class CancelOnFirstTile(Worker):
    """A worker that cancels itself from its own progress signal on the first tiles event
    (a direct connection, so it happens in the worker thread before the next tile)."""

    tiles_seen = 0

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.progress.connect(self._cancel_on_tiles, Qt.ConnectionType.DirectConnection)

    def _cancel_on_tiles(self, event) -> None:
        if isinstance(event, TileProgress):
            CancelOnFirstTile.tiles_seen += 1
            self.cancel()


def test_cancel_mid_run_leaves_no_partial_file(window, run_and_wait, out_dir, tmp_path,
                                               monkeypatch):
    monkeypatch.setattr(run_module, "Worker", CancelOnFirstTile)
    big = make_photo(tmp_path / "in" / "big.png", 640, 480)
    later = make_photo(tmp_path / "in" / "later.png")
    window.queue.add_paths([big, later])
    window.task_panel.tile.setValue(64)

    result = run_and_wait()

    assert CancelOnFirstTile.tiles_seen >= 1
    assert result.cancelled
    assert files_under(out_dir) == []  # no output, no temp file
    big_item, later_item = window.queue_model.items()
    assert big_item.status == CANCELLED and "no output" in big_item.reason
    assert later_item.status == QUEUED
    assert window.actions.start.isEnabled() and not window.actions.cancel.isEnabled()


def test_the_cancel_action_stops_a_run(qtbot, window, out_dir, tmp_path):
    """The UI path: Esc/Cancel in the UI thread, reacting to a queued progress signal."""
    window.queue.add_paths([make_photo(tmp_path / "in" / f"p{i}.png", 800, 600, seed=i)
                            for i in range(8)])
    window.task_panel.tile.setValue(32)

    def cancel_on_first_progress(_event) -> None:
        window.actions.cancel.trigger()

    with qtbot.waitSignal(window.run.run_finished, timeout=RUN_TIMEOUT_MS) as blocker:
        window.run.start()
        window.run.worker.progress.connect(cancel_on_first_progress)
    result = blocker.args[0]
    assert result.cancelled and result.count("done") < 8
    assert any(it.status == CANCELLED for it in window.queue_model.items())
    done = {it.output for it in window.queue_model.items() if it.status == DONE}
    assert set(files_under(out_dir)) == done  # only complete outputs exist


def test_closing_during_a_run_asks_then_cancels_and_closes(qtbot, window, out_dir, tmp_path,
                                                           monkeypatch):
    asked = []
    monkeypatch.setattr(window_module, "ask_cancel_run", lambda parent: asked.append(1) or True)
    window.queue.add_paths([make_photo(tmp_path / "in" / f"p{i}.png", 400, 300, seed=i)
                            for i in range(4)])
    window.task_panel.tile.setValue(32)
    assert window.run.start()

    window.close()

    assert asked == [1]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=RUN_TIMEOUT_MS)
    assert not window.host.busy
    done = {it.output for it in window.queue_model.items() if it.status == DONE}
    assert set(files_under(out_dir)) == done


def test_closing_during_a_run_can_be_refused(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(window_module, "ask_cancel_run", lambda parent: False)
    window.queue.add_paths([make_photo(tmp_path / "in" / "p.png", 400, 300)])
    with qtbot.waitSignal(window.run.run_finished, timeout=RUN_TIMEOUT_MS):
        window.run.start()
        window.close()
        assert window.isVisible()
    assert window.queue_model.items()[0].status == DONE
