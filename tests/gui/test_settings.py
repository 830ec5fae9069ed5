"""The typed settings object: round trip, bad files, and the window remembering things."""

from __future__ import annotations

import json

from gui.main_window import MainWindow
from gui.settings import GuiSettings, default_path


def test_settings_round_trip(tmp_path):
    path = tmp_path / "gui.json"
    settings = GuiSettings(task="resize", task_options={"resize": {"scale": 2.0}},
                           output_dir=str(tmp_path / "o"), format="png", quality=80,
                           overwrite=True, recursive=True, tile=256, device="cpu",
                           last_input_dir="/photos", geometry="abcd")
    settings.save(path)
    assert GuiSettings.load(path) == settings
    assert [p.name for p in tmp_path.iterdir()] == ["gui.json"]  # no temp file left


def test_default_location_follows_photogan_home(home):
    GuiSettings(quality=70).save()
    assert default_path() == home / "config" / "gui.json"
    assert GuiSettings.load().quality == 70


def test_missing_broken_or_odd_files_give_defaults(tmp_path):
    assert GuiSettings.load(tmp_path / "none.json") == GuiSettings()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert GuiSettings.load(broken) == GuiSettings()
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"quality": "high", "overwrite": 1, "tile": True,
                               "device": "cpu", "future_key": 3}))
    loaded = GuiSettings.load(odd)
    assert (loaded.quality, loaded.overwrite, loaded.tile) == (95, False, 0)
    assert loaded.device == "cpu"


def test_the_window_restores_what_it_saved(qtbot, home, settings_path, tmp_path):
    first = MainWindow(GuiSettings(output_dir=str(tmp_path / "o")), settings_path,
                       probe_backend=False)
    qtbot.addWidget(first)
    with qtbot.waitExposed(first):
        first.show()
    panel = first.task_panel
    panel.form.widget("amount").setValue(3.0)
    panel.tile.setValue(128)
    panel.device.setCurrentIndex(panel.device.findData("cpu"))
    panel.recursive.setChecked(True)
    first.close()
    assert settings_path.is_file()

    second = MainWindow(settings_path=settings_path, probe_backend=False)
    qtbot.addWidget(second)
    second.show()
    panel = second.task_panel
    assert panel.form.widget("amount").value() == 3.0
    assert panel.tile.value() == 128 and panel.device.currentData() == "cpu"
    assert panel.recursive.isChecked()
    assert panel.out_dir.text() == str(tmp_path / "o")
    assert second.settings.geometry and second.settings.geometry == first.settings.geometry


def test_starting_a_run_saves_the_settings_it_uses(window, run_and_wait, settings_path,
                                                   out_dir, tmp_path):
    from tests.gui.helpers import make_photo

    window.task_panel.form.widget("amount").setValue(2.0)
    window.queue.add_paths([make_photo(tmp_path / "in" / "p.jpg")])
    assert not settings_path.exists()

    run_and_wait()  # the window stays open: only the run start can have saved

    saved = GuiSettings.load(settings_path)
    assert saved.output_dir == str(out_dir) and saved.task == "sharpen"
    assert saved.task_options["sharpen"]["amount"] == 2.0
