"""The app words every engine hint with its own controls, never a command-line flag."""

from __future__ import annotations

import pytest

from engine import errors
from engine.cli import hints as cli_hints
from engine.events import ItemResult, Notice
from gui import hints
from gui.views.task_panel import TaskPanel

ARGS = {"task": "deblur", "size": 64, "options": {"ngf": 32, "n_blocks": 9}}
# Hints about command-line-only tools (bench, eval): the app never shows them.
CLI_ONLY = {errors.HINT_BENCH_SIZE, errors.HINT_EVAL_DATA, errors.HINT_EVAL_COUNT}


@pytest.mark.parametrize("hint", sorted(errors.HINTS))
def test_every_hint_has_flag_free_app_advice_and_cli_advice(hint):
    app = hints.advice(hint, **ARGS)
    assert "--" not in app and "photogan" not in app
    assert bool(app) == (hint not in CLI_ONLY)
    assert "--" in cli_hints.advice(hint, **ARGS)


def test_the_advice_names_the_real_control_labels(qtbot):
    panel = TaskPanel()
    qtbot.addWidget(panel)
    overwrite = panel.overwrite.text().split(" (")[0]
    recursive = panel.recursive.text().split(" (")[0]
    assert f"'{overwrite}'" in hints.advice(errors.HINT_OVERWRITE)
    assert f"'{recursive}'" in hints.advice(errors.HINT_RECURSIVE)


def test_errors_results_and_notices_get_the_apps_advice():
    exc = errors.UsageError("x.jpg: it needs 64-pixel crops.", hint=errors.HINT_CROP, size=64)
    assert hints.explain(exc) == "x.jpg: it needs 64-pixel crops. Set Crop size to 64."
    assert cli_hints.explain(exc) == "x.jpg: it needs 64-pixel crops. Use --crop 64."
    result = ItemResult(None, None, "skipped", "a.jpg already exists.",
                        hint=errors.HINT_OVERWRITE)
    assert hints.error_text(result).startswith("a.jpg already exists. Tick ")
    notice = Notice(message="Reduced quality.", hint=errors.HINT_IMPORT_VGG19)
    assert "Model Manager" in hints.notice_text(notice)
    assert hints.explain(errors.UsageError("Plain.")) == "Plain."
