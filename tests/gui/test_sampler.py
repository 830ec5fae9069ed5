"""The sampler view with a generate task (a fake one, so no weights are needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from engine.events import GenerateProgress
from engine.tasks import registry
from engine.tasks.params import Param
from gui.controllers.sampler import SamplerController
from gui.views.sampler_view import SamplerView
from tests.gui.conftest import RUN_TIMEOUT_MS, WAIT_MS

FAKE_ID = "gui_test_sample"


class FakeSample(registry.Task):
    """Writes ``count`` flat images whose grey level comes from the seed, plus a GIF."""

    id = FAKE_ID
    title = "Fake sampler"
    description = "test"
    kind = "generate"
    params = (Param("count", "int", 3, "How many.", min=1, max=8),
              Param("seed", "int", 0, "Seed.", min=0, max=4294967295))

    def process(self, image, options, ctx):
        raise NotImplementedError

    def generate(self, options, out_dir: Path, ctx) -> list[Path]:
        paths = []
        for i in range(options["count"]):
            ctx.cancel.check()
            level = (options["seed"] * 7 + i * 40) % 256
            path = out_dir / f"sample_{i:03d}.png"
            Image.fromarray(np.full((16, 16, 3), level, np.uint8)).save(path)
            paths.append(path)
            ctx.progress(GenerateProgress(done=i + 1, total=options["count"]))
        frames = [Image.open(p).convert("P") for p in paths]
        gif = out_dir / "walk.gif"
        frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
        return [*paths, gif]


@pytest.fixture
def sampler(qtbot, window):
    registry.register(FakeSample)
    window.tasks.refresh_tasks()
    view = SamplerView()
    qtbot.addWidget(view)
    controller = SamplerController(view, window.tasks, window.settings, window.host,
                                   task_id=FAKE_ID)
    yield view, controller
    registry._TASKS.pop(FAKE_ID, None)
    registry._INSTANCES.pop(FAKE_ID, None)


def test_generate_fills_the_grid_and_plays_the_walk(qtbot, sampler):
    view, controller = sampler
    assert view.currentIndex() == 1 and view.generate.isEnabled()
    view.form.widget("count").setValue(4)

    with qtbot.waitSignal(controller.generated, timeout=RUN_TIMEOUT_MS) as blocker:
        view.generate.click()

    assert len(blocker.args[0]) == 5
    assert view.grid.count() == 4
    assert view.walk.movie() is not None
    assert "5 file(s)" in view.message.text()


def test_reroll_changes_the_seed_and_ticked_images_are_saved(qtbot, sampler, tmp_path,
                                                            monkeypatch):
    view, controller = sampler
    seed = view.form.widget("seed")
    with qtbot.waitSignal(controller.generated, timeout=RUN_TIMEOUT_MS):
        view.reroll.click()
    first_seed = seed.value()
    qtbot.waitUntil(lambda: not controller.host.busy, timeout=WAIT_MS)
    with qtbot.waitSignal(controller.generated, timeout=RUN_TIMEOUT_MS):
        view.reroll.click()
    assert (first_seed, seed.value()) != (0, 0)
    qtbot.waitUntil(lambda: not controller.host.busy, timeout=WAIT_MS)

    view.grid.item(1).setCheckState(Qt.CheckState.Checked)
    keep = tmp_path / "keep"
    keep.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(keep))
    view.save.click()
    assert [p.name for p in keep.iterdir()] == ["sample_001.png"]


def test_without_the_task_the_sampler_says_why(qtbot, window):
    view = SamplerView()
    qtbot.addWidget(view)
    SamplerController(view, window.tasks, window.settings, window.host, task_id="no_such")
    assert view.currentIndex() == 0
    assert "sample" in view.unavailable.text()
