"""Cluster bookkeeping that needs no Ray: crash counts, stale temps, the missing-ray message."""

from __future__ import annotations

import pytest

from engine import api
from engine.cluster import settings
from engine.cluster.connect import probe_paths
from engine.cluster.ledger import FOLDER, Ledger, remove_stale_temps
from engine.errors import UsageError


def test_ledger_counts_attempts_until_an_item_ends(tmp_path):
    ledger = Ledger(tmp_path)
    out = tmp_path / "a_sharpen.png"
    assert ledger.attempts(out) == 0
    assert ledger.begin(out) == 1
    assert Ledger(tmp_path).begin(out) == 2  # kept on disk, not in memory
    assert ledger.attempts(tmp_path / "b.png") == 0
    ledger.end(out)
    assert ledger.attempts(out) == 0
    ledger.clear_all()
    assert not (tmp_path / FOLDER).exists()


def test_only_this_batchs_stale_temps_are_removed(tmp_path):
    out = tmp_path / "p[1]_sharpen.png"
    mine = tmp_path / ".p[1]_sharpen.png.0badcafe.partial"
    other = tmp_path / ".someone_else.png.0badcafe.partial"
    for path in (mine, other):
        path.write_bytes(b"x")
    assert remove_stale_temps([out, tmp_path / "gone" / "x.png"]) == 1
    assert not mine.exists() and other.exists()


def test_probe_paths_says_what_a_node_cannot_see(tmp_path):
    marker = tmp_path / "marker.txt"
    marker.write_text("abc", encoding="utf-8")
    assert probe_paths([str(marker)], str(marker), "abc") == ""
    assert "different" in probe_paths([], str(marker), "xyz")
    assert "cannot see" in probe_paths([str(tmp_path / "nope.png")], str(marker), "abc")


def test_without_ray_the_cluster_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(settings, "ray_available", lambda: False)
    with pytest.raises(UsageError, match=r"pip install 'photogan\[cluster\]'"):
        api.run_batch_on_cluster([], "sharpen", {}, api.RunSettings(out_dir=tmp_path),
                                 api.ClusterSettings())


def test_cluster_settings_refuse_nonsense():
    with pytest.raises(UsageError, match="Workers must be at least 1"):
        api.ClusterSettings(workers=0)
    with pytest.raises(UsageError, match="GPUs per worker"):
        api.ClusterSettings(gpus_per_worker=-1)


def test_a_worker_plans_tiles_for_its_own_share_of_memory(monkeypatch):
    from engine.cluster.batch import memory_share
    from engine.imaging.tiling import auto_tile_size

    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert memory_share(4, 0) == 0.25 and memory_share(32, 1) == 1.0
    monkeypatch.delenv("PHOTOGAN_MEMORY_BUDGET", raising=False)
    whole = auto_tile_size(1000.0, hi=100_000)
    monkeypatch.setenv("PHOTOGAN_MEMORY_BUDGET", str(64 * 2**20))
    share = auto_tile_size(1000.0, hi=100_000)
    assert share == int((64 * 2**20 * 0.25 / 1000.0) ** 0.5) < whole
