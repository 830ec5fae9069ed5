"""The training dataclasses of ``engine.api`` (``engine/door/training.py``) carry exactly what
the engine's dicts held: ``to_json()`` gives back ``summary.json`` byte for byte, the run and
machine descriptions key for key."""

from __future__ import annotations

import json

from engine import api, backend
from engine.door.training import train_summary
from engine.training import runs
from tests.engine.test_training_runs import run_tiny


def test_a_train_summary_serialises_to_summary_json_byte_for_byte(tmp_path, store):
    out = tmp_path / "run"
    found = train_summary(run_tiny("dcgan", out, steps=2, export="door-dcgan"))
    assert isinstance(found, api.TrainSummary)
    assert found.status == "done" and found.step == 2 and found.kind == "dcgan"
    assert found.exports == (api.ExportedModel(id="door-dcgan", task="sample"),)
    assert found.workers is None and found.replicas_identical is None
    on_disk = (out / "summary.json").read_text(encoding="utf-8")
    assert json.dumps(found.to_json(), indent=2) == on_disk


def test_a_data_parallel_summary_keeps_its_worker_keys():
    summary = {"status": "done", "kind": "dcgan", "run": "r", "step": 1, "steps": 1,
               "losses": {}, "metric": "", "val": None, "val_first": None, "best": None,
               "best_step": None, "validation": {}, "images_per_s": None, "seconds": 1.0,
               "samples": None, "exports": [], "backend": "torch", "mixed_precision": False,
               "preset": "quick", "workers": 2, "replicas_identical": True}
    found = train_summary(summary)
    assert found.workers == 2 and found.replicas_identical is True
    assert json.dumps(found.to_json()) == json.dumps(summary)


def test_run_descriptions_match_the_run_folder(tmp_path, store):
    out = tmp_path / "run"
    run_tiny("dcgan", out, steps=2)
    found = api.describe_training_run(out)
    assert isinstance(found, api.TrainingRun)
    assert found.to_json() == runs.describe_run(out)
    assert (found.step, found.steps, found.status, found.finished) == (2, 2, "done", True)
    assert api.list_training_runs(tmp_path) == [found]
    rows = api.training_history(out)
    assert [r.step for r in rows] == [0, 1, 2]
    assert [r.to_json() for r in rows] == runs.read_history(out)


def test_info_is_the_backend_description():
    facts = api.info()
    assert isinstance(facts, api.SystemInfo) and isinstance(facts.cpu, api.CpuInfo)
    assert json.dumps(facts.to_json()) == json.dumps(backend.describe())
    assert facts.device == ("gpu" if facts.gpus else "cpu")


def test_a_data_scan_carries_the_survey(tmp_path):
    from engine.training import survey
    from tests.engine.test_training_survey import png

    for n in range(2):
        png(tmp_path / "p" / f"{n}.png", 80, 72, n)
    png(tmp_path / "p" / "small.png", 30, 30)
    found = api.scan_training_data("deblur", tmp_path / "p")
    assert isinstance(found, api.DataScan) and isinstance(found.folders[0], api.ScannedFolder)
    assert found.folders[0].smallest == (80, 72) and len(found.problems) == 1
    assert json.dumps(found.to_json()) == json.dumps(survey.survey("deblur", tmp_path / "p"))
