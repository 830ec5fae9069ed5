"""Screenshots of the real window for the README and docs/screenshots/.

Run under a virtual X server so the real platform plugin, fonts and style are used::

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python build_scripts/screenshots.py

It queues the bundled sample photos (plus one broken file, to show how failures look), runs
``sharpen`` on them, and saves: the window during a run, the main window after the run, the
before/after view of a preview at 100% (split and side by side), the style picker, and the
model manager (with two toy models made for it in the temp store), and each page of the
training wizard (``wizard_*.png``: a short real deblur run on a copy of the sample photos, with
a damaged and a too-small file added to show how problems look). Settings, outputs, runs and
models go to a temp folder; nothing in the user's folders is touched.

``--only wizard`` takes just the wizard's screenshots; ``--only deblur`` just the main window
after the default deblur model ran on the samples (``deblur_window.png``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "docs" / "screenshots"
WORK = Path(tempfile.mkdtemp(prefix="photogan-shots-"))
os.environ["PHOTOGAN_HOME"] = str(WORK / "home")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from engine.resources import resource_path  # noqa: E402
from gui.app import make_app  # noqa: E402
from gui.main_window import MainWindow  # noqa: E402
from gui.settings import GuiSettings  # noqa: E402

MAX_BYTES = 300_000


def wait_until(predicate, timeout_s: float = 120.0) -> None:
    """Run the event loop until ``predicate()`` is true (raises on timeout)."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        QTimer.singleShot(20, loop.quit)
        loop.exec()


def settle(ms: int = 300) -> None:
    """Let pending paints and layouts happen."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def save(widget: QWidget, name: str, settle_ms: int = 300) -> Path:
    """Grab ``widget`` and save it as a PNG under the size budget (palette PNG if needed)."""
    settle(settle_ms)
    path = OUT / name
    widget.grab().save(str(path), "PNG")
    if path.stat().st_size > MAX_BYTES:
        with Image.open(path) as shot:
            shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                         dither=Image.Dither.FLOYDSTEINBERG).save(
                path, optimize=True)
    return path


def queue_samples(window: MainWindow) -> None:
    """The bundled sample photos, and a text file pretending to be a PNG."""
    broken = WORK / "in" / "scan_notes.png"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("not an image")
    photos = sorted(resource_path("samples").glob("*.jpg"))
    window.queue.add_paths([*photos, broken])
    wait_until(lambda: all(it.thumb is not None or it.status == "failed"
                           for it in window.queue_model.items()))


def running_shot(window: MainWindow) -> None:
    """Mid-run: a slow sharpen (big radius, small tiles), grabbed while a photo is running,
    then cancelled and the cancelled photo queued again."""
    form, panel = window.task_panel.form, window.task_panel
    form.widget("radius").setValue(40.0)
    panel.tile.setValue(64)
    window.run.start()
    wait_until(lambda: any(it.status == "running" and 10 < it.percent < 70
                           for it in window.queue_model.items()))
    save(window, "running.png", settle_ms=0)
    window.actions.cancel.trigger()
    wait_until(lambda: not window.host.busy)
    form.reset()
    panel.tile.setValue(0)
    window.actions.retry_failed.trigger()
    wait_until(lambda: sum(it.flagged for it in window.queue_model.items()) == 1)


def main_window_shot(window: MainWindow) -> None:
    window.queue_view.table.clearSelection()
    window.run.start()
    wait_until(lambda: not window.host.busy)
    row = window.queue_model.row_of(resource_path("samples", "ladybird.jpg"))
    window.queue_view.table.selectRow(row)
    canvas = window.compare_view.canvas
    wait_until(lambda: canvas.after is not None)
    canvas.split = 0.5
    save(window, "main_window.png")


def before_after_shot(window: MainWindow) -> None:
    row = window.queue_model.row_of(resource_path("samples", "text_defocus.jpg"))
    window.queue_view.table.selectRow(row)
    canvas = window.compare_view.canvas
    wait_until(lambda: window.compare.before is not None)
    form = window.task_panel.form
    form.widget("amount").setValue(2.0)
    form.widget("radius").setValue(3.0)
    form.widget("threshold").setValue(0.03)
    window.actions.zoom_100.trigger()
    window.actions.preview.trigger()
    wait_until(lambda: not window.host.busy and canvas.after_label == "After (preview)")
    canvas.split = 0.45
    canvas.update()
    save(window.compare_view, "before_after.png")
    window.actions.side_by_side.setChecked(True)
    save(window.compare_view, "side_by_side.png")
    window.actions.side_by_side.setChecked(False)


def style_shot(window: MainWindow) -> None:
    combo = window.task_panel.task_combo
    index = combo.findData("style")
    if index < 0:
        return
    combo.setCurrentIndex(index)
    save(window.task_panel, "style_picker.png")
    combo.setCurrentIndex(combo.findData("sharpen"))


def add_demo_models() -> None:
    """Two toy models (random weights, labelled as such) in the temp user store, so the
    model manager has rows to show. Nothing is written to the real store."""
    from engine import backend

    keras = backend.keras()
    from engine.models import build
    from engine.store.importers import add_model

    demos = [("deblur", "demo-deblur-tiny", "deblurgan",
              {"ngf": 4, "n_blocks": 1, "norm": "instance"}),
             ("upscale", "demo-upscale-tiny", "srgan", {"n_blocks": 1, "width": 8})]
    for task, model_id, arch, config in demos:
        keras.utils.set_random_seed(0)
        card = {"data": "none: random weights, for this screenshot only",
                "steps": 0, "notes": "Shows how a trained model appears in the store."}
        add_model(build(arch, **config), task, model_id, arch, config, source="trained",
                  title=f"Screenshot demo: tiny {arch}", card=card)


def model_manager_shot(window: MainWindow) -> None:
    controller = window.controller.open_models()
    dialog = controller.dialog
    dialog.resize(900, 420)
    if dialog.table.rowCount():
        dialog.table.selectRow(0)
        dialog.verify.click()
        wait_until(lambda: controller.status.get(controller.entries[0].id) == "verified")
    save(dialog, "model_manager.png")
    dialog.close()


def wizard_data() -> Path:
    """The sample photos, a text file named like a photo and a tiny image, in a temp folder."""
    import shutil

    folder = WORK / "my-sharp-photos"
    folder.mkdir(parents=True, exist_ok=True)
    for photo in sorted(resource_path("samples").glob("*.jpg")):
        shutil.copy(photo, folder / photo.name)
    (folder / "IMG_0412.jpg").write_text("half-copied file")
    with Image.open(resource_path("samples", "ladybird.jpg")) as photo:
        photo.resize((40, 30)).save(folder / "thumbnail_only.jpg")
    return folder


def wizard_shots(window: MainWindow) -> None:
    """Every wizard page: choice, data (with problems), settings, training (live), finish."""
    from PySide6.QtWidgets import QWizard

    from gui.views.wizard import Page

    ctrl = window.training.open_wizard()
    w = ctrl.wizard
    w.resize(940, 760)
    w.page_of(Page.KIND).group.button(0).setChecked(True)
    save(w, "wizard_kind.png")
    w.button(QWizard.WizardButton.NextButton).click()
    data = ctrl.data
    data.page.folder_a.edit.setText(str(wizard_data()))
    data.rescan()
    wait_until(lambda: data.result is not None and data.page.thumbs.count() >= 4
               and data.page.before.pixmap() is not None
               and not data.page.before.pixmap().isNull())
    save(w, "wizard_data.png")
    w.button(QWizard.WizardButton.NextButton).click()
    page = ctrl.settings.page
    page.toggle.setChecked(True)
    page.steps.setValue(120)
    page.width.setValue(8)
    page.blocks.setValue(2)
    page.extra.setText("ndf=8, n_critic=1")
    save(w, "wizard_settings.png")
    w.button(QWizard.WizardButton.CommitButton).click()
    session = window.training.session
    wait_until(lambda: session.last is not None and session.last.done >= 90
               and ctrl.train_page.sample.pixmap() is not None, timeout_s=900)
    save(w, "wizard_training.png", settle_ms=0)
    wait_until(lambda: session.state == "done", timeout_s=900)
    w.button(QWizard.WizardButton.NextButton).click()
    ctrl.finish_page.save.click()
    wait_until(lambda: bool(ctrl.exports), timeout_s=300)
    save(w, "wizard_finish.png")
    w.button(QWizard.WizardButton.FinishButton).click()


def deblur_shot(window: MainWindow) -> None:
    """The default deblur model run on the sample photos: the licence plate, split view."""
    combo = window.task_panel.task_combo
    combo.setCurrentIndex(combo.findData("deblur"))
    queue_samples(window)
    window.queue_view.table.clearSelection()
    window.run.start()
    wait_until(lambda: not window.host.busy, timeout_s=600.0)
    row = window.queue_model.row_of(resource_path("samples", "licenseplate_motion.jpg"))
    window.queue_view.table.selectRow(row)
    canvas = window.compare_view.canvas
    wait_until(lambda: canvas.after is not None)
    canvas.split = 0.5
    save(window, "deblur_window.png")


def main() -> int:
    """Take every screenshot (or, with ``--only wizard``, the wizard's); returns 0."""
    OUT.mkdir(parents=True, exist_ok=True)
    app = make_app([])
    settings = GuiSettings(output_dir=str(WORK / "out"), task="sharpen", overwrite=True)
    window = MainWindow(settings, settings_path=WORK / "gui.json", probe_backend=True)
    window.resize(1500, 940)
    window.show()
    wait_until(lambda: "…" not in window.status.backend.text())
    if sys.argv[1:] == ["--only", "wizard"]:
        wizard_shots(window)
        window.close()
        return 0
    if sys.argv[1:] == ["--only", "deblur"]:
        deblur_shot(window)
        window.close()
        return 0
    queue_samples(window)
    running_shot(window)
    main_window_shot(window)
    before_after_shot(window)
    style_shot(window)
    add_demo_models()
    model_manager_shot(window)
    wizard_shots(window)
    window.close()
    app.processEvents()
    for shot in sorted(OUT.glob("*.png")):
        sys.stdout.write(f"{shot.relative_to(ROOT)}  {shot.stat().st_size // 1024} KB\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
