"""The training wizard's first three pages on tiny generated folders (no Keras): choices gate
Next, the data page scans in the background and shows counts, problems, thumbnails and the
degradation preview, folders can be dropped, and the settings page estimates and plans."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWizard

from gui.controllers.wizard_data import CHOICES
from gui.controllers.wizard_settings import format_duration, parse_extra
from gui.views.wizard import Page
from tests.gui.helpers import drop_on, make_fake_png, make_photo

SCAN_MS = 300_000  # generous: ends on a signal
NEXT = QWizard.WizardButton.NextButton
COMMIT = QWizard.WizardButton.CommitButton


def photos(folder: Path, count: int, side: int = 72, first: int = 0) -> Path:
    """``count`` smooth RGB PNGs of ``side`` pixels named ``img_<n>.png``."""
    for n in range(first, first + count):
        make_photo(folder / f"img_{n}.png", side, side, seed=n)
    return folder


def choose(wizard, title: str) -> None:
    """Tick the choice with this title on the first page."""
    index = [c.title for c in CHOICES].index(title)
    wizard.page_of(Page.KIND).group.button(index).setChecked(True)


def scan(qtbot, ctrl, field, folder: Path) -> dict:
    """Put ``folder`` into a folder field and wait for its scan to be shown."""
    with qtbot.waitSignal(ctrl.data.scanned, timeout=SCAN_MS) as blocker:
        field.edit.setText(str(folder))
        ctrl.data.rescan()
    return blocker.args[0]


@pytest.fixture
def wizard(window):
    """The wizard opened from the main window's Tools menu action."""
    window.actions.train.trigger()
    ctrl = window.training.wizard
    assert ctrl is not None and ctrl.visible
    return ctrl


def test_the_first_page_explains_each_choice_and_needs_one(wizard):
    w = wizard.wizard
    page = w.page_of(Page.KIND)
    assert w.currentId() == Page.KIND and not w.button(NEXT).isEnabled()
    texts = [label.text() for label in page.findChildren(type(page.reason))]
    for choice in CHOICES:
        assert choice.needs in texts
    choose(w, "Deblur, from sharp photos")
    assert w.button(NEXT).isEnabled()
    w.button(NEXT).click()
    assert w.currentId() == Page.DATA
    assert wizard.data.page.folder_a.label.text() == "Sharp photos"
    assert not wizard.data.page.folder_b.isVisible()


def test_a_folder_with_only_problems_blocks_next_until_photos_are_added(qtbot, wizard,
                                                                      tmp_path):
    w, page = wizard.wizard, wizard.data.page
    folder = tmp_path / "shots"
    make_fake_png(folder / "broken.png")
    make_photo(folder / "tiny.png", 20, 20)
    (folder / "notes.txt").write_text("hello")
    choose(w, "Deblur, from sharp photos")
    w.button(NEXT).click()

    result = scan(qtbot, wizard, page.folder_a, folder)

    assert not result.usable and not w.button(NEXT).isEnabled()
    assert page.reason.isVisible() and str(folder) in page.reason.text()
    shown = [page.problems.item(i).text() for i in range(page.problems.count())]
    assert len(shown) == 3
    assert any("broken.png" in s for s in shown)
    assert any("tiny.png" in s and "20x20" in s for s in shown)
    assert any("notes.txt" in s for s in shown)
    assert not page.preview_box.isVisible()

    photos(folder, 3)
    result = scan(qtbot, wizard, page.folder_a, folder)

    assert result.usable and w.button(NEXT).isEnabled() and not page.reason.isVisible()
    assert "3 usable image(s)" in page.status.text() and "72×72" in page.status.text()
    assert page.problems.count() == 3 and "3 file(s) skipped" in page.status.text()
    assert "learn these photos by heart" in page.warnings.text()
    qtbot.waitUntil(lambda: page.thumbs.count() == 3, timeout=SCAN_MS)
    qtbot.waitUntil(lambda: page.before.pixmap() is not None
                    and not page.before.pixmap().isNull(), timeout=SCAN_MS)
    assert page.preview_box.isVisible() and page.after.pixmap().width() == 200
    with qtbot.waitSignal(wizard.data.preview_shown, timeout=SCAN_MS):
        page.another.click()
    assert page.caption.text().startswith("Example 2")


def test_typing_a_folder_rescans_by_itself(qtbot, wizard, tmp_path):
    w, page = wizard.wizard, wizard.data.page
    choose(w, "Sampler (new images)")
    w.button(NEXT).click()
    page.folder_a.edit.setText(str(photos(tmp_path / "faces", 2)))
    qtbot.waitUntil(lambda: w.button(NEXT).isEnabled(), timeout=SCAN_MS)
    assert wizard.data.result.mode == "single"
    assert not page.preview_box.isVisible()  # nothing is degraded for the sampler


def test_pairs_report_unmatched_files_and_the_wrong_choice_says_so(qtbot, wizard, tmp_path):
    w, page = wizard.wizard, wizard.data.page
    pairs = tmp_path / "pairs"
    photos(pairs / "A", 3)
    photos(pairs / "B", 2)
    make_photo(pairs / "B" / "other.png", 72, 72)
    choose(w, "Deblur, from real pairs")
    w.button(NEXT).click()

    result = scan(qtbot, wizard, page.folder_a, pairs)

    assert result.usable and result.pairs == 2
    assert "2 pair(s)" in page.status.text()
    shown = " ".join(page.problems.item(i).text() for i in range(page.problems.count()))
    assert "img_2.png" in shown and "other.png" in shown and "no partner" in shown

    w.back()
    choose(w, "Deblur, from sharp photos")
    w.button(NEXT).click()
    result = scan(qtbot, wizard, page.folder_a, pairs)
    assert not result.usable and "paired sub-folders" in page.reason.text()
    assert not w.button(NEXT).isEnabled()


def test_cyclegan_needs_both_folders_and_takes_drops(qtbot, wizard, tmp_path):
    w, page = wizard.wizard, wizard.data.page
    choose(w, "Photo ↔ painting")
    w.button(NEXT).click()
    assert page.folder_b.isVisible() and page.folder_b.label.text() == "Paintings (B)"
    a, b = photos(tmp_path / "photos", 2), photos(tmp_path / "paintings", 2, first=5)

    with qtbot.waitSignal(wizard.data.scanned, timeout=SCAN_MS,
                          check_params_cb=lambda r: bool(r.folders)):
        assert drop_on(page.folder_a, [a / "img_0.png"])  # a file's folder is taken
    assert page.folder_a.path() == str(a)
    assert not w.button(NEXT).isEnabled() and "second folder" in page.reason.text()

    with qtbot.waitSignal(wizard.data.scanned, timeout=SCAN_MS,
                          check_params_cb=lambda r: len(r.folders) == 2):
        assert drop_on(page.folder_b, [b])
    assert w.button(NEXT).isEnabled()
    assert wizard.data.folders() == (str(a), str(b))


def test_settings_page_estimates_presets_and_builds_the_plan(qtbot, wizard, tmp_path):
    w = wizard.wizard
    choose(w, "Upscale 4x, from sharp photos")
    w.button(NEXT).click()
    scan(qtbot, wizard, wizard.data.page.folder_a, photos(tmp_path / "p", 2))
    w.button(NEXT).click()
    page = wizard.settings.page
    assert w.currentId() == Page.SETTINGS
    assert w.button(COMMIT).text() == "Start Training"
    labels = {name: b.text() for name, b in page.preset_buttons.items()}
    assert all("about" in text for text in labels.values())
    assert "2000 steps" in labels["quick"] and "20000 steps" in labels["long"]
    quick_estimate = page.estimate.text()

    page.preset_buttons["standard"].setChecked(True)
    assert page.steps.value() == 3000 and page.width.value() == 48
    assert page.estimate.text() != quick_estimate

    page.toggle.setChecked(True)
    assert page.advanced.isVisible()
    page.extra.setText("bogus=1")
    assert not w.button(COMMIT).isEnabled() and "bogus" in page.reason.text()
    page.extra.setText("d_dense=8, val_count=2")
    assert w.button(COMMIT).isEnabled()
    page.steps.setValue(40)
    page.lr.setValue(0.0005)

    plan = wizard.settings.plan(str(tmp_path / "p"), None, tmp_path / "run")

    assert (plan.kind, plan.preset, plan.steps, plan.batch, plan.crop) == (
        "upscale", "standard", 40, 4, 64)
    assert plan.options == {"lr": 0.0005, "width": 48, "n_blocks": 6, "d_dense": "8",
                            "val_count": "2"}
    assert plan.sample_every == 4 and plan.checkpoint_every == 4  # ten samples per run
    assert page.backend.currentData() == plan.backend == "tensorflow"


def test_model_manager_opens_the_wizard(qtbot, window):
    models = window.controller.open_models()
    models.dialog.train.click()
    assert window.training.wizard is not None and window.training.wizard.visible
    assert not models.dialog.isVisible()


@pytest.mark.parametrize(("seconds", "text"), [(5, "5 s"), (89.2, "90 s"), (600, "10 min"),
                                               (5400, "1 h 30 min"), (7200, "2 h"),
                                               (3 * 86400, "3 days 0 h")])
def test_durations_read_naturally(seconds, text):
    assert format_duration(seconds) == text


def test_extra_options_parse_like_the_cli():
    assert parse_extra("ndf=4, d_layers=1 lr=1e-4") == {"ndf": "4", "d_layers": "1",
                                                        "lr": "1e-4"}
    with pytest.raises(Exception, match="NAME=VALUE"):
        parse_extra("ndf")


def test_model_cards_show_trained_values_readably():
    from gui.controllers.models import card_value

    assert card_value({"data": "/photos", "data_b": None}) == "data: /photos"
    assert card_value({"g_loss": 52.611263275146484}) == "g_loss: 52.61"
    assert card_value(None) == "–" and card_value(120) == "120"
