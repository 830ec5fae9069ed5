"""The wizard end to end with real (tiny) training: start, pause, close the wizard while the
run goes on, resume, stop with a checkpoint, restart the app, resume the unfinished run from
the offer, name the model and find it selected in the task panel."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from engine import api
from gui.main_window import MainWindow
from gui.settings import GuiSettings
from gui.views.wizard import Page
from tests.gui.helpers import make_fake_png
from tests.gui.test_wizard import COMMIT, NEXT, choose, photos, scan

pytestmark = pytest.mark.slow

TRAIN_MS = 600_000
STEPS = 20
TINY = "ndf=4, d_layers=1, n_critic=1, val_count=2"


@pytest.fixture(autouse=True)
def stop_without_asking(training_sessions_stopped):
    """Every test here stops the training sessions it starts (``conftest``)."""


def setup_run(qtbot, window, data: Path):
    """Pages 1-3 for a tiny deblur run on ``data``; returns the wizard controller."""
    ctrl = window.training.open_wizard()
    w = ctrl.wizard
    choose(w, "Deblur, from sharp photos")
    w.button(NEXT).click()
    assert scan(qtbot, ctrl, ctrl.data.page.folder_a, data).usable
    w.button(NEXT).click()
    page = ctrl.settings.page
    page.toggle.setChecked(True)
    page.extra.setText(TINY)  # first: the 1-layer critic is what allows 16 px crops
    for spin, value in ((page.steps, STEPS), (page.batch, 2), (page.crop, 16),
                        (page.width, 4), (page.blocks, 1)):
        spin.setValue(value)
    assert page.crop.value() == 16 and w.button(COMMIT).isEnabled()
    return ctrl


def pause_and_wait(qtbot, ctrl) -> int:
    """Press Pause; wait until the training thread is parked; returns the step it is at."""
    session, page = ctrl.session, ctrl.train_page
    page.pause.click()
    worker = session.worker
    qtbot.waitUntil(lambda: worker.gate.waiting, timeout=TRAIN_MS)
    assert session.state == "paused" and page.pause.text() == "Resume"
    return session.last.done if session.last else 0


def test_train_pause_stop_restart_resume_and_use_the_model(qtbot, window, tmp_path,
                                                            settings_path, out_dir, home):
    data = photos(tmp_path / "sharp", 3)
    make_fake_png(data / "broken.png")
    ctrl = setup_run(qtbot, window, data)
    w, session, page = ctrl.wizard, window.training.session, ctrl.train_page

    with qtbot.waitSignal(session.progress, timeout=TRAIN_MS):
        w.button(COMMIT).click()
    back = w.button(QWizard.WizardButton.BackButton)
    assert w.currentId() == Page.TRAIN and not (back.isVisible() and back.isEnabled())
    run = ctrl.run_dir
    assert run.parent == home / "training" and (run / "config.json").is_file()
    assert not w.button(NEXT).isEnabled()  # nothing to keep before a step is saved

    paused_at = pause_and_wait(qtbot, ctrl)
    assert paused_at < STEPS

    w.reject()  # closing the wizard leaves the run going, shown in the status bar
    indicator = window.training_indicator
    assert not ctrl.visible and session.active and indicator.isVisible()
    assert f"/{STEPS} (paused)" in indicator.button.text()
    window.actions.start.isEnabled()  # the batch side is untouched
    indicator.button.click()
    assert window.training.wizard is ctrl and ctrl.visible and w.currentId() == Page.TRAIN

    page.pause.click()  # resume
    qtbot.waitUntil(lambda: session.last.done > paused_at, timeout=TRAIN_MS)
    stopped_at = pause_and_wait(qtbot, ctrl)
    with qtbot.waitSignal(session.finished, timeout=TRAIN_MS) as blocker:
        page.stop.click()  # stopping a paused run wakes it to save a checkpoint

    summary = blocker.args[0]
    assert summary.status == "cancelled" and paused_at < summary.step < STEPS
    assert summary.step >= stopped_at
    assert session.state == "stopped" and page.resume.isVisible()
    assert w.button(NEXT).isEnabled()
    assert {"g_loss", "d_loss", "val_l1"} <= set(page.chart.series)
    qtbot.waitUntil(lambda: page.sample.pixmap() is not None
                    and not page.sample.pixmap().isNull(), timeout=TRAIN_MS)
    assert "step_" in page.sample_caption.text()
    assert "Training time" not in page.stats["elapsed"].text()
    assert page.stats["elapsed"].text() != "–"

    # "Restart" the app: a new window finds the unfinished run and offers it.
    window.close()
    assert not window.isVisible()
    again = MainWindow(GuiSettings(output_dir=str(out_dir), task="sharpen"),
                       settings_path=settings_path, probe_backend=False)
    qtbot.addWidget(again)
    again.show()
    offer = again.training_indicator
    qtbot.waitUntil(lambda: offer.isVisible() and "Resume training" in offer.button.text(),
                    timeout=TRAIN_MS)
    offer.button.click()
    ctrl2 = again.training.wizard
    kind_page = ctrl2.kind_page
    assert kind_page.runs_box.isVisible() and kind_page.runs.count() == 1
    assert f"step {summary.step} of {STEPS}" in kind_page.runs.item(0).text()

    session2 = again.training.session
    with qtbot.waitSignal(session2.finished, timeout=TRAIN_MS) as blocker:
        kind_page.resume.click()
        assert ctrl2.wizard.currentId() == Page.TRAIN
        assert "Continuing" in ctrl2.train_page.heading.text()
        assert ctrl2.train_page.chart.series  # the curves so far, read back from the run
    summary = blocker.args[0]
    assert summary.status == "done" and summary.step == STEPS
    assert ctrl2.train_page.message.text().startswith("Done")

    ctrl2.wizard.button(NEXT).click()
    finish = ctrl2.finish_page
    assert finish.name.text() == "my-deblur" and f"{STEPS} of {STEPS} steps" in (
        finish.summary.text())
    assert not ctrl2.wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    finish.name.setText("my deblur")  # refused with a sentence
    assert not finish.save.isEnabled() and "must be 1-64 letters" in finish.status.text()
    finish.name.setText("my-deblur")
    finish.save.click()
    qtbot.waitUntil(lambda: bool(ctrl2.exports) or "Could not" in finish.status.text(),
                    timeout=TRAIN_MS)

    assert ctrl2.exports == [api.ExportedModel(id="my-deblur", task="deblur")], (
        finish.status.text())
    assert again.tasks.task_id() == "deblur"
    assert again.task_panel.form.values()["model"] == "my-deblur"
    card = finish.card.toPlainText()
    assert str(data) in card and "final losses" in card and "g_loss" in card
    assert f"steps\n{STEPS}" in card or f"steps {STEPS}" in card.replace("\n", " ")
    assert ctrl2.wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert (home / "models" / "my-deblur" / "manifest.json").is_file()

    ctrl2.wizard.button(QWizard.WizardButton.FinishButton).click()
    again.training.refresh_unfinished()
    qtbot.waitUntil(lambda: not again.training_indicator.isVisible(), timeout=TRAIN_MS)
