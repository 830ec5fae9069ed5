"""The training wizard's rough edges from a new user's session (issue 15): settings checked
against the kind's limits as they change, a failed start that returns to the settings and
leaves no run behind, a run finishing with the wizard closed, time left while paused or
stopped, Close on the last page, remembered folders and the data page's wording.

Runs whose outcome is the GUI's business use a stand-in training job (no Keras): it reports
steps like ``api.train`` and waits on the test at the points that matter, never on a clock.
The failed start uses the real engine."""

from __future__ import annotations

import shutil
import threading

import pytest
from PySide6.QtWidgets import QWizard

from engine import api
from engine.events import TrainStep
from gui import training_worker
from gui.controllers import training as training_module
from gui.main_window import MainWindow
from gui.settings import GuiSettings
from gui.views.wizard import Page
from tests.gui.test_wizard import COMMIT, NEXT, SCAN_MS, choose, photos, scan

WAIT_MS = 600_000  # generous: a busy machine is slow, but every wait ends on a signal
CLOSE = QWizard.WizardButton.CancelButton  # labelled "Close"


@pytest.fixture(autouse=True)
def stop_sessions(training_sessions_stopped):
    """Every test here stops the training sessions it starts (``conftest``)."""


class FakeTraining:
    """Stands in for ``api.train``: reports step 0, then one step at a time while ``go`` is
    set, parking after ``hold_at`` until ``release``; returns a summary like the engine's
    (``cancelled`` when stopped)."""

    def __init__(self, steps: int = 6, hold_at: int = 2) -> None:
        self.steps, self.hold_at = steps, hold_at
        self.held = threading.Event()
        self.go = threading.Event()

    def release(self) -> None:
        self.go.set()

    def job(self, plan):
        def run(progress, cancel):
            for step in range(self.steps + 1):
                if cancel.cancelled:
                    return self._summary("cancelled", step - 1)
                progress(TrainStep(
                    done=step, total=self.steps, losses={"g_loss": 1.0 / (step + 1)},
                    images_per_s=20.0, eta_s=2.0 * (self.steps - step), samples=None,
                    val=0.5 if step == self.hold_at else None,  # never rate-limited
                    seconds=0.1 * step, metric="val_l1", run=str(plan.out)))
                if step == self.hold_at:
                    self.held.set()
                    self.go.wait(WAIT_MS / 1000)
            return self._summary("done", self.steps)

        return run

    def _summary(self, status: str, step: int) -> api.TrainSummary:
        return api.TrainSummary(status=status, kind="deblur", run="", step=step,
                                steps=self.steps, seconds=0.1 * step, losses={"g_loss": 0.5})


@pytest.fixture
def fake(monkeypatch):
    """Training runs the ``FakeTraining`` job instead of the engine."""
    training = FakeTraining()
    monkeypatch.setattr(training_worker, "training_job", training.job)
    return training


def to_settings(qtbot, window, tmp_path, title="Deblur, from sharp photos", count=3):
    """Open the wizard, choose ``title``, scan ``count`` photos; stop on the settings page."""
    ctrl = window.training.open_wizard()
    choose(ctrl.wizard, title)
    ctrl.wizard.button(NEXT).click()
    data = photos(tmp_path / "sharp", count)
    assert scan(qtbot, ctrl, ctrl.data.page.folder_a, data).usable
    ctrl.wizard.button(NEXT).click()
    assert ctrl.wizard.currentId() == Page.SETTINGS
    ctrl.settings.page.toggle.setChecked(True)
    return ctrl, data


def start(qtbot, ctrl, fake: FakeTraining):
    """Press Start Training; return once the job is parked at ``fake.hold_at``."""
    ctrl.wizard.button(COMMIT).click()
    assert fake.held.wait(WAIT_MS / 1000), "the training job did not start"
    qtbot.waitUntil(lambda: ctrl.session.last is not None
                    and ctrl.session.last.done == fake.hold_at, timeout=WAIT_MS)


# -- settings: only what can train ------------------------------------------------------------

def test_the_crop_box_offers_only_sides_the_critic_accepts(qtbot, window, tmp_path):
    ctrl, _ = to_settings(qtbot, window, tmp_path)
    page, w = ctrl.settings.page, ctrl.wizard
    crop = page.crop
    assert crop.minimum() == 24  # a 3-layer critic needs 3 * 2**3 pixels
    crop.setValue(32)
    crop.stepDown()  # one click below 32: 24, never the 16 that could not train
    assert crop.value() == 24 and w.button(COMMIT).isEnabled()
    crop.setValue(30)  # typed: refused with the trainer's own reason
    assert not w.button(COMMIT).isEnabled()
    assert "multiple of 4 and at least 24 pixels for a 3-layer critic" in page.reason.text()
    crop.setValue(28)
    assert w.button(COMMIT).isEnabled() and not page.reason.isVisible()

    page.extra.setText("d_layers=1")  # a smaller critic accepts smaller crops
    assert crop.minimum() == 8
    crop.setValue(8)
    assert w.button(COMMIT).isEnabled()
    page.extra.setText("d_layers=3")  # and a bigger one raises the floor again
    assert crop.value() == 24 and w.button(COMMIT).isEnabled()
    page.extra.setText("d_norm=batch")
    assert not w.button(COMMIT).isEnabled() and "WGAN-GP" in page.reason.text()
    page.extra.setText("ngf=0")
    assert not w.button(COMMIT).isEnabled() and "at least 1" in page.reason.text()


def test_upscale_with_its_discriminator_steps_by_sixteen(qtbot, window, tmp_path):
    ctrl, _ = to_settings(qtbot, window, tmp_path, "Upscale 4x, from sharp photos")
    page, w = ctrl.settings.page, ctrl.wizard
    assert page.crop.singleStep() == 16  # quick trains the pixel stage only: multiples of 4
    page.preset_buttons["standard"].setChecked(True)  # the discriminator trains too
    page.crop.setValue(72)
    assert not w.button(COMMIT).isEnabled() and "multiple of 16" in page.reason.text()
    page.crop.stepUp()
    assert page.crop.value() % 16 == 0 and w.button(COMMIT).isEnabled()


# -- a failed start -----------------------------------------------------------------------------

@pytest.mark.slow
def test_a_failed_start_returns_to_the_settings_and_leaves_no_run(qtbot, window, tmp_path,
                                                                   home):
    ctrl, data = to_settings(qtbot, window, tmp_path)
    w, session = ctrl.wizard, ctrl.session
    shutil.rmtree(data)  # gone between the scan and Start: the engine refuses the run
    with qtbot.waitSignal(session.finished, timeout=WAIT_MS):
        w.button(COMMIT).click()
    qtbot.waitUntil(lambda: w.currentId() == Page.SETTINGS, timeout=WAIT_MS)

    page = ctrl.settings.page
    assert page.reason.isVisible() and "could not start" in page.reason.text()
    assert str(data) in page.reason.text()
    assert w.button(COMMIT).isEnabled()  # the settings themselves were fine
    runs = home / "training"
    assert not runs.exists() or not any(runs.iterdir()), "a run folder was left behind"
    assert not ctrl.holds_run and ctrl.run_dir is None
    w.back()
    assert w.currentId() == Page.DATA

    w.reject()  # closed; Tools > Train a Model opens a fresh wizard, not the dead page
    window.actions.train.trigger()
    fresh = window.training.wizard
    assert fresh is not ctrl and fresh.visible and fresh.wizard.currentId() == Page.KIND
    fresh.wizard.reject()
    models = window.controller.open_models()
    models.dialog.train.click()
    assert window.training.wizard is not fresh and window.training.wizard.visible


# -- the run: time left, finishing with the wizard closed, Close on the last page --------------

def test_time_left_says_paused_and_stopped(qtbot, window, tmp_path, fake):
    ctrl, _ = to_settings(qtbot, window, tmp_path)
    start(qtbot, ctrl, fake)
    eta = ctrl.train_page.stats["eta"]
    assert eta.text() == "8 s"  # the job's eta_s: 2 s for each of the 4 steps left
    ctrl.train_page.pause.click()
    assert eta.text() == "paused"
    with qtbot.waitSignal(ctrl.session.finished, timeout=WAIT_MS):
        ctrl.train_page.stop.click()
        fake.release()
    assert ctrl.session.state == "stopped" and eta.text() == "stopped"


def test_a_run_that_finishes_with_the_wizard_closed_is_announced(qtbot, window, tmp_path,
                                                                  fake, monkeypatch):
    shown = []
    monkeypatch.setattr(training_module, "notify",
                        lambda parent, title, text: shown.append((title, text)) or True)
    ctrl, _ = to_settings(qtbot, window, tmp_path)
    start(qtbot, ctrl, fake)
    ctrl.wizard.reject()  # the run goes on in the background
    assert not ctrl.visible and ctrl.session.active
    with qtbot.waitSignal(ctrl.session.finished, timeout=WAIT_MS):
        fake.release()

    assert shown and "training finished" in shown[0][0]
    assert "not saved yet" in window.status.currentMessage()
    button = window.training_indicator.button
    assert window.training_indicator.isVisible() and "Name and save" in button.text()

    button.click()  # opens the same wizard, on the page that names the model
    w = window.training.wizard.wizard
    assert window.training.wizard is ctrl and ctrl.visible
    assert w.currentId() == Page.FINISH and ctrl.finish_page.name.text() == "my-deblur"
    assert w.button(CLOSE).isVisible() and w.button(CLOSE).text() == "Close"
    w.button(CLOSE).click()  # closing keeps the offer
    assert not ctrl.visible and "Name and save" in button.text()


# -- the data page --------------------------------------------------------------------------------

def test_the_data_folder_is_remembered_after_a_restart(qtbot, window, tmp_path,
                                                       settings_path, out_dir):
    ctrl, data = to_settings(qtbot, window, tmp_path)
    ctrl.wizard.reject()
    window.close()
    assert settings_path.is_file()

    again = MainWindow(GuiSettings.load(settings_path), settings_path=settings_path,
                       probe_backend=False)
    qtbot.addWidget(again)
    again.show()
    ctrl2 = again.training.open_wizard()
    choose(ctrl2.wizard, "Deblur, from sharp photos")
    with qtbot.waitSignal(ctrl2.data.scanned, timeout=SCAN_MS,
                          check_params_cb=lambda r: r.usable):
        ctrl2.wizard.button(NEXT).click()
    assert ctrl2.data.page.folder_a.path() == str(data)
    assert ctrl2.wizard.button(NEXT).isEnabled()
    ctrl2.wizard.reject()
    again.close()


def test_the_data_page_names_the_minimum_size_and_how_many_are_shown(qtbot, window,
                                                                     tmp_path):
    ctrl = window.training.open_wizard()
    w, page = ctrl.wizard, ctrl.data.page
    choose(w, "Deblur, from sharp photos")
    w.button(NEXT).click()
    small = photos(tmp_path / "small", 2, side=40)
    result = scan(qtbot, ctrl, page.folder_a, small)
    assert not result.usable and "at least 64x64 pixels" in page.reason.text()

    many = photos(tmp_path / "many", 12)
    assert scan(qtbot, ctrl, page.folder_a, many).usable
    assert page.thumbs_caption.isVisible()
    assert page.thumbs_caption.text() == "8 of 12 usable images shown"
    qtbot.waitUntil(lambda: page.thumbs.count() == 8, timeout=SCAN_MS)
    few = photos(tmp_path / "few", 3)
    assert scan(qtbot, ctrl, page.folder_a, few).usable
    assert not page.thumbs_caption.isVisible()  # all of them are shown


# -- closing --------------------------------------------------------------------------------------

def test_closing_joins_every_thread_before_the_app_quits(qtbot, window, tmp_path, fake):
    ctrl, _ = to_settings(qtbot, window, tmp_path)
    start(qtbot, ctrl, fake)
    with qtbot.waitSignal(ctrl.session.finished, timeout=WAIT_MS):
        fake.release()
    session = window.training.session
    window.close()
    assert not window.isVisible()
    assert not session.host.busy and not window.host.busy
    assert window.training.wizard is None
