"""The same trainers on the other Keras backend, in a fresh interpreter (KERAS_BACKEND must be
set before keras loads): all four trainers step, resume is exact, the gradient machinery
(penalty, schedule, joint steps) gives the same closed-form answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json, sys
from pathlib import Path

import keras
import numpy as np

from tests.engine import test_training_step as unit
from tests.engine.test_training_runs import checkpoint_arrays, history, run_tiny

folder = Path(sys.argv[1])
result = {"backend": keras.backend.backend(), "runs": {}}
for kind in ("deblur", "upscale", "cyclegan", "dcgan"):
    summary = run_tiny(kind, folder / kind, steps=4)
    result["runs"][kind] = {key: summary[key] for key in ("status", "step", "losses", "val")}

run_tiny("deblur", folder / "parts", cancel_at=2, steps=4)
run_tiny("deblur", folder / "parts", resume=True, steps=4)
whole = checkpoint_arrays(folder / "deblur" / "checkpoints" / "last")
parts = checkpoint_arrays(folder / "parts" / "checkpoints" / "last")
result["resume_max_diff"] = max(
    float(np.max(np.abs(parts[k].astype(float) - v.astype(float)))) if v.size else 0.0
    for k, v in whole.items())
result["resume_same_keys"] = whole.keys() == parts.keys()
result["resume_same_history"] = history(folder / "parts") == history(folder / "deblur")

for name in ("test_gradient_penalty_matches_closed_form_for_a_linear_critic",
             "test_gradient_penalty_is_zero_for_a_unit_norm_critic",
             "test_linear_decay_is_constant_then_falls_linearly_in_the_second_half",
             "test_adam_learning_rate_follows_its_update_count",
             "test_joint_step_updates_each_group_from_its_own_loss",
             "test_losses_values"):
    getattr(unit, name)()
result["unit_tests"] = "passed"
print("RESULT " + json.dumps(result))
"""


def _other_backend() -> str:
    return "torch" if keras.backend.backend() == "tensorflow" else "tensorflow"


@pytest.mark.slow
def test_all_trainers_run_and_resume_exactly_on_the_other_backend(tmp_path):
    backend = _other_backend()
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    assert result["backend"] == backend
    for kind, run in result["runs"].items():
        assert run["status"] == "done" and run["step"] == 4, kind
        assert all(abs(v) < 1e6 for v in run["losses"].values()), (kind, run["losses"])
    assert result["resume_same_keys"] and result["resume_same_history"]
    assert result["resume_max_diff"] <= 1e-6
    assert result["unit_tests"] == "passed"
