"""A run packed into float16 state (``engine.training.campaign``) resumes elsewhere."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.errors import UsageError
from engine.training.campaign import pack, unpack
from tests.engine.test_training_runs import checkpoint_arrays, history, run_tiny


def test_a_packed_run_is_smaller_and_resumes_where_it_stopped(tmp_path):
    stopped = run_tiny("deblur", tmp_path / "run", cancel_at=3)
    assert stopped["step"] == 3
    packed = pack(tmp_path / "run", tmp_path / "packed")
    stored = checkpoint_arrays(packed / "last")
    floats = {k: v.dtype for k, v in stored.items() if v.dtype.kind == "f" and v.ndim}
    assert floats and set(floats.values()) == {np.dtype("float16")}  # half the bytes
    assert any(k.endswith("~sqrt") for k in stored)  # second moments as square roots
    assert json.loads((packed / "campaign.json").read_text())["step"] == 3

    moved = unpack(packed, tmp_path / "elsewhere")
    before = checkpoint_arrays(tmp_path / "run" / "checkpoints" / "last")
    after = checkpoint_arrays(moved / "checkpoints" / "last")
    assert after.keys() == before.keys()
    for key, value in before.items():
        assert after[key].dtype == value.dtype, key
        scale = float(np.abs(value).max()) if value.size else 0.0
        np.testing.assert_allclose(after[key], value, atol=2e-3 * scale + 1e-7, err_msg=key)

    resumed = run_tiny("deblur", moved, resume=True)
    assert resumed["status"] == "done" and resumed["step"] == 6
    rows = history(moved)
    assert [int(r["step"]) for r in rows] == list(range(7))
    assert rows[:4] == history(tmp_path / "run")[:4]  # the packed history continues


def test_pack_and_unpack_refuse_to_overwrite_or_guess(tmp_path):
    with pytest.raises(UsageError, match="no checkpoint"):
        pack(tmp_path, tmp_path / "out")
    with pytest.raises(UsageError, match="not a packed training run"):
        unpack(tmp_path, tmp_path / "run")
