"""Options generated from a task's declared parameters, and their values reaching the run."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

import gui.jobs as jobs_module
from engine import api
from gui.views.param_form import ParamForm
from gui.views.style_picker import StylePicker
from tests.gui.helpers import make_photo

EVERY_TYPE = [
    api.ParamInfo("steps", "int", 10, "How many steps.", (), 1, 500),
    api.ParamInfo("strength", "float", 0.5, "How strong.", (), 0.0, 1.0),
    api.ParamInfo("keep_colour", "bool", True, "Keep colours."),
    api.ParamInfo("outscale", "choice", 4, "Output scale.", (4, 3, 2)),
    api.ParamInfo("model", "str", "", "Model name."),
    api.ParamInfo("mask", "path", "", "A mask image."),
    api.ParamInfo("style_image", "path", "", "The style."),
]


def test_every_parameter_type_gets_its_widget_with_range_default_and_tooltip(qtbot):
    form = ParamForm(EVERY_TYPE)
    qtbot.addWidget(form)
    steps = form.widget("steps")
    assert isinstance(steps, QSpinBox)
    assert (steps.minimum(), steps.maximum(), steps.value()) == (1, 500, 10)
    strength = form.widget("strength")
    assert isinstance(strength, QDoubleSpinBox)
    assert (strength.minimum(), strength.maximum(), strength.value()) == (0.0, 1.0, 0.5)
    assert isinstance(form.widget("keep_colour"), QCheckBox)
    outscale = form.widget("outscale")
    assert isinstance(outscale, QComboBox)
    assert [outscale.itemText(i) for i in range(outscale.count())] == ["4", "3", "2"]
    assert isinstance(form.widget("model"), QLineEdit)
    assert form.widget("mask").findChild(QLineEdit) is not None
    assert isinstance(form.widget("style_image"), StylePicker)
    for param in EVERY_TYPE:
        assert form.widget(param.name).toolTip() == param.help
    assert form.values() == {"steps": 10, "strength": 0.5, "keep_colour": True, "outscale": 4,
                             "model": "", "mask": "", "style_image": ""}


def test_values_are_typed_and_out_of_range_ones_are_clamped(qtbot):
    form = ParamForm(EVERY_TYPE, {"steps": 9999, "outscale": 2, "keep_colour": "false",
                                  "unknown": 1})
    qtbot.addWidget(form)
    values = form.values()
    assert values["steps"] == 500 and values["outscale"] == 2 and values["keep_colour"] is False
    assert api.parse_options("upscale", {"outscale": values["outscale"]})["outscale"] == 2
    form.reset()
    assert form.values()["steps"] == 10


def test_the_task_panel_builds_options_from_the_engine_task(window):
    sharpen = api.describe_task("sharpen")
    form = window.task_panel.form
    for param in sharpen.params:
        widget = form.widget(param.name)
        assert isinstance(widget, QDoubleSpinBox)
        assert widget.minimum() == param.min and widget.maximum() == param.max
        assert widget.value() == param.default
        assert widget.toolTip() == param.help


def test_switching_task_rebuilds_the_form_and_remembers_values(window):
    combo = window.task_panel.task_combo
    window.task_panel.form.widget("amount").setValue(2.5)
    combo.setCurrentIndex(combo.findData("resize"))
    assert window.task_panel.form.widget("scale") is not None
    assert window.task_panel.form.widget("amount") is None
    assert window.task_panel.naming.text() == "IMG_0001_resize.jpg"
    combo.setCurrentIndex(combo.findData("sharpen"))
    assert window.task_panel.form.widget("amount").value() == 2.5
    assert window.settings.task_options["sharpen"]["amount"] == 2.5


def test_tasks_without_weights_are_marked_and_point_to_the_model_manager(window):
    combo = window.task_panel.task_combo
    missing = [t for t in api.describe_tasks()
               if t.kind == "image" and not t.weights_ready]
    if not missing:
        return  # every model is installed here; nothing to mark
    task = missing[0]
    index = combo.findData(task.id)
    assert "model missing" in combo.itemText(index)
    combo.setCurrentIndex(index)
    assert window.task_panel.banner.isVisibleTo(window)
    assert window.task_panel.banner.message.text() == task.weights_message
    assert not window.actions.start.isEnabled()
    window.task_panel.banner.button.click()
    assert window.controller.models.dialog.isVisible()
    window.controller.models.dialog.close()


def test_option_values_flow_into_the_run(window, run_and_wait, tmp_path, monkeypatch):
    seen = []
    real_run_batch = api.run_batch

    def recording_run_batch(items, task_id, options, settings, progress, cancel):
        seen.append((task_id, dict(options), settings))
        return real_run_batch(items, task_id, options, settings, progress, cancel)

    monkeypatch.setattr(jobs_module.api, "run_batch", recording_run_batch)
    window.queue.add_paths([make_photo(tmp_path / "p.jpg")])
    form = window.task_panel.form
    form.widget("amount").setValue(2.5)
    form.widget("threshold").setValue(0.1)
    window.task_panel.format_combo.setCurrentIndex(window.task_panel.format_combo.findData("png"))
    window.task_panel.tile.setValue(64)

    run_and_wait()

    task_id, options, settings = seen[0]
    assert task_id == "sharpen"
    assert options == {"amount": 2.5, "radius": 1.5, "threshold": 0.1}
    assert settings.format == "png" and settings.tile == 64
    assert (settings.out_dir / "p_sharpen.png").is_file()
