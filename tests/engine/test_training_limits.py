"""The settings a run accepts, known before training (issue 15): the wizard asks
``api.training_limits`` / ``api.check_training_settings`` and the trainers refuse exactly the
same things with the same sentences; a failed start's empty run folder can be discarded; the
time left counts validations and checkpoints."""

from __future__ import annotations

import pytest

from engine import api
from engine.errors import UsageError
from engine.training import limits, presets, runner, trainers


def test_the_crop_floor_follows_the_critic():
    assert api.training_limits("deblur") == api.CropLimits(
        minimum=24, multiple=4, fixed=None,
        rule="deblur crops must be a multiple of 4 and at least 24 pixels for a 3-layer "
             "critic")
    assert api.training_limits("deblur", "quick", {"d_layers": "1"}).minimum == 8
    assert api.training_limits("cyclegan", "long", {"d_layers": 4}).minimum == 48
    assert api.training_limits("upscale", "quick").multiple == 4  # pixel stage only
    assert api.training_limits("upscale", "standard").multiple == 16
    assert api.training_limits("dcgan", "quick", {"arch": "dcgan28"}).fixed == 28


def test_the_wizards_failed_crop_is_refused_with_the_trainers_sentence():
    with pytest.raises(UsageError, match=r"multiple of 4 and at least 24 pixels for a "
                                         r"3-layer critic; got 16\."):
        api.check_training_settings("deblur", "quick", 1000, 2, 16, {})
    with pytest.raises(UsageError, match="Unknown deblur training option"):
        api.check_training_settings("deblur", "quick", options={"wings": 2})
    with pytest.raises(UsageError, match="batch must be a whole number"):
        api.check_training_settings("deblur", "quick", batch=0)
    with pytest.raises(UsageError, match="makes 64x64"):
        api.check_training_settings("dcgan", "quick", crop=32)


@pytest.mark.parametrize("kind", presets.KINDS)
def test_every_preset_can_train(kind):
    for name in presets.PRESET_NAMES:
        api.check_training_settings(kind, name)


@pytest.mark.parametrize(("kind", "options"), [
    ("deblur", {}), ("deblur", {"d_layers": 1}), ("cyclegan", {"d_layers": 2}),
    ("upscale", {"stage1_fraction": 1.0}), ("upscale", {"stage1_fraction": 0.5})])
def test_the_trainers_refuse_exactly_what_the_limits_refuse(kind, options):
    resolved = limits.resolved_options(kind, "quick", options)
    cls = trainers.get(kind)
    for crop in range(8, 97):
        expected = limits.crop_problem(kind, resolved, crop)
        try:
            cls.resolve(dict(resolved), crop)
            refused = ""
        except ValueError as exc:
            refused = str(exc)
        assert refused == expected, crop


def test_a_run_folder_without_checkpoint_is_discarded_and_nothing_else(tmp_path):
    empty = tmp_path / "deblur-1"
    (empty / "samples").mkdir(parents=True)
    (empty / runner.CONFIG).write_text("{}")
    (empty / "samples" / "step_000000.png").write_bytes(b"png")
    assert api.discard_training_run(empty) and not empty.exists()

    trained = tmp_path / "deblur-2"
    (trained / "checkpoints" / "last").mkdir(parents=True)
    (trained / runner.CONFIG).write_text("{}")
    assert not api.discard_training_run(trained) and trained.is_dir()

    mixed = tmp_path / "photos"
    mixed.mkdir()
    (mixed / runner.CONFIG).write_text("{}")
    (mixed / "holiday.jpg").write_bytes(b"jpg")
    assert not api.discard_training_run(mixed) and (mixed / "holiday.jpg").is_file()
    assert not api.discard_training_run(tmp_path / "missing")


def test_time_left_counts_the_validations_and_checkpoints_to_come():
    costs = runner._Costs()
    assert costs.remaining(10, 100, 10, 50) == 0.0  # nothing measured yet
    costs.evaluations = [9.0, 1.0, 1.0]  # the first also traced the model: left out
    costs.saves = [2.0]
    # after step 10 of 100: validations at 20..100 (9), checkpoints at 50 and 100 (2)
    assert costs.remaining(10, 100, 10, 50) == pytest.approx(9 * 1.0 + 2 * 2.0)
    # a last step off the cadence still validates and saves once
    assert costs.remaining(95, 98, 10, 50) == pytest.approx(1.0 + 2.0)
    assert costs.remaining(100, 100, 10, 50) == 0.0
