"""Before/after: the selected photo, its output, zoom, split, and the visible-region preview."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt

from gui.controllers.compare import preview_rect
from tests.gui.conftest import RUN_TIMEOUT_MS
from tests.gui.helpers import make_photo


def _show_first(qtbot, window, path):
    window.queue.add_paths([path])
    window.queue_view.table.selectRow(0)
    qtbot.waitUntil(lambda: window.compare.before is not None, timeout=RUN_TIMEOUT_MS)
    return window.compare_view.canvas


def test_selecting_a_photo_shows_it_and_its_output_after_a_run(qtbot, window, run_and_wait,
                                                              tmp_path):
    canvas = _show_first(qtbot, window, make_photo(tmp_path / "p.png", 120, 80))
    assert canvas.before.width() == 120 and canvas.after is None
    assert window.actions.preview.isEnabled()

    run_and_wait()

    qtbot.waitUntil(lambda: canvas.after is not None, timeout=RUN_TIMEOUT_MS)
    assert canvas.after.size() == canvas.before.size()
    assert canvas.after_label == "After: p_sharpen.png"
    assert window.actions.open_output.isEnabled() and window.actions.reveal.isEnabled()


def test_zoom_100_fit_and_the_visible_region(qtbot, window, tmp_path):
    canvas = _show_first(qtbot, window, make_photo(tmp_path / "p.png", 1600, 1200))
    canvas.resize(400, 300)
    canvas.zoom_fit()
    assert canvas.visible_region() == QRect(0, 0, 1600, 1200)
    window.actions.zoom_100.trigger()
    region = canvas.visible_region()
    assert region.width() <= 400 and region.height() <= 300
    assert region.center().x() in range(795, 806)
    qtbot.mouseMove(canvas, QPoint(100, 100))
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(canvas, QPoint(300, 100))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 100))
    moved = canvas.visible_region()
    assert moved.left() < region.left()  # dragged right: the view moved left


def test_dragging_the_split_moves_it(qtbot, window, tmp_path):
    canvas = _show_first(qtbot, window, make_photo(tmp_path / "p.png", 200, 100))
    canvas.resize(400, 300)
    middle = QPoint(200, 150)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=middle)
    qtbot.mouseMove(canvas, QPoint(100, 150))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 150))
    assert abs(canvas.split - 0.25) < 0.02
    window.actions.side_by_side.trigger()
    assert canvas.side_by_side


def test_preview_runs_the_task_on_the_visible_region_only(qtbot, window, tmp_path):
    canvas = _show_first(qtbot, window, make_photo(tmp_path / "p.png", 1600, 1200))
    canvas.resize(400, 300)
    window.actions.zoom_100.trigger()
    visible = canvas.visible_region()

    with qtbot.waitSignal(window.compare.preview_done, timeout=RUN_TIMEOUT_MS) as blocker:
        window.actions.preview.trigger()

    result = blocker.args[0]
    assert result.shape == (visible.height(), visible.width(), 3)
    assert canvas.after_region.toRect() == visible and canvas.after_label == "After (preview)"
    assert not (tmp_path / "out").exists()  # a preview writes nothing


def test_upscale_like_previews_scale_the_before_side(qtbot, window, tmp_path):
    canvas = _show_first(qtbot, window, make_photo(tmp_path / "p.png", 100, 80))
    combo = window.task_panel.task_combo
    combo.setCurrentIndex(combo.findData("resize"))
    window.task_panel.form.widget("scale").setValue(2.0)
    canvas.zoom_fit()

    with qtbot.waitSignal(window.compare.preview_done, timeout=RUN_TIMEOUT_MS) as blocker:
        window.actions.preview.trigger()

    assert blocker.args[0].shape == (160, 200, 3)
    assert canvas.out_scale == 2.0
    assert canvas.visible_region() == QRect(0, 0, 100, 80)


def test_preview_rect_keeps_the_centre_of_large_regions():
    assert preview_rect(QRect(0, 0, 300, 200)) == QRect(0, 0, 300, 200)
    big = preview_rect(QRect(0, 0, 4000, 3000), max_side=1000)
    assert big.size().width() == 1000 and big.height() == 1000
    assert abs(big.center().x() - 2000) <= 1
