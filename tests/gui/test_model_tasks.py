"""A model-backed task through the GUI: weights appear after a model is added, the batch and
the preview run Keras in the worker thread (twice, after ``api.info()`` ran in a background
thread), and the before side is scaled to the 4x output."""

from __future__ import annotations

import pytest
from PIL import Image

from engine import api
from gui.background import call_in_pool
from tests.gui.conftest import RUN_TIMEOUT_MS
from tests.gui.helpers import make_photo

pytestmark = pytest.mark.slow


@pytest.fixture
def tiny_upscale(home):
    """A toy SRGAN in the temp user store (random weights; only sizes are checked)."""
    from engine.store.loader import clear_cache
    from tests.engine.store_helpers import tiny_model

    clear_cache()
    yield tiny_model("upscale", "gui-test-upscale")
    clear_cache()


def test_upscale_runs_in_the_worker_and_previews_at_output_scale(qtbot, window, run_and_wait,
                                                                 tiny_upscale, out_dir,
                                                                 tmp_path):
    infos = []
    call_in_pool(api.info, on_done=lambda _t, facts: infos.append(facts))
    qtbot.waitUntil(lambda: bool(infos), timeout=RUN_TIMEOUT_MS)
    window.tasks.refresh_tasks()
    combo = window.task_panel.task_combo
    combo.setCurrentIndex(combo.findData("upscale"))
    assert "model missing" not in combo.currentText() and window.actions.start.isEnabled()
    photo = make_photo(tmp_path / "small.png", 40, 30)
    window.queue.add_paths([photo])
    window.queue_view.table.selectRow(0)
    qtbot.waitUntil(lambda: window.compare.before is not None, timeout=RUN_TIMEOUT_MS)

    for _ in range(2):
        with qtbot.waitSignal(window.compare.preview_done, timeout=RUN_TIMEOUT_MS) as blocker:
            window.actions.preview.trigger()
        qtbot.waitUntil(lambda: not window.host.busy, timeout=RUN_TIMEOUT_MS)
        assert blocker.args[0].shape == (120, 160, 3)
    canvas = window.compare_view.canvas
    assert canvas.out_scale == 4.0 and canvas.visible_region().width() == 40

    result = run_and_wait()

    assert result.count("done") == 1
    assert Image.open(out_dir / "small_upscale.png").size == (160, 120)
