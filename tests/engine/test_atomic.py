"""``engine.atomic.write_atomic_to_path``: for savers that only take a file name."""

from __future__ import annotations

import pytest

from engine.atomic import write_atomic_to_path


def test_the_saver_writes_a_temp_with_the_same_suffix_then_it_becomes_the_file(tmp_path):
    target = tmp_path / "cache" / "classifier.weights.h5"
    seen = []

    def save(temp):
        seen.append(temp)
        assert temp.parent == target.parent and temp.name.endswith(".weights.h5")
        assert temp.name.startswith(".") and not target.exists()
        temp.write_bytes(b"new")

    assert write_atomic_to_path(target, save) == target
    assert target.read_bytes() == b"new" and not seen[0].exists()
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_a_failing_saver_leaves_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "classifier.weights.h5"
    target.write_bytes(b"old")

    def save(temp):
        temp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic_to_path(target, save)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]
