"""``run --cluster``: the same outputs, report and guarantees as the local runner, on Ray.

All tests share the session's local Ray (``ray_cluster``) and call the engine API in-process;
the CLI test in ``test_cluster_cli.py`` starts its own ``--cluster local``.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine import api
from engine.cluster.ledger import FOLDER, Ledger
from engine.errors import UsageError
from engine.events import ItemFinished
from tests.e2e.helpers import photo_like, save_rgb


@pytest.fixture
def photos(tmp_path):
    """Three small photos (one 16-bit with alpha), a damaged JPEG, in ``tmp/in``."""
    folder = tmp_path / "in"
    for i in range(2):
        save_rgb(folder / f"p{i}.png", photo_like(48, 40, seed=i))
    import cv2

    rgba16 = (np.random.default_rng(3).random((36, 44, 4)) * 65535).astype(np.uint16)
    cv2.imwrite(str(folder / "deep.png"), rgba16)
    (folder / "bad.jpg").write_bytes(b"not a jpeg at all")
    return folder


def _run(folder, out, cluster=None, **kw):
    settings = api.RunSettings(out_dir=out, tile=kw.pop("tile", 0))
    items = api.plan([folder], "sharpen", settings)
    if cluster is None:
        return api.run_batch(items, "sharpen", {}, settings, **kw)
    return api.run_batch_on_cluster(items, "sharpen", {}, settings, cluster, **kw)


def _report(result, out):
    return [(r.input.name, r.status, r.output.relative_to(out).as_posix() if r.output else None,
             r.error) for r in result.results]


def _cluster(**kw):
    return api.ClusterSettings(address="local", workers=kw.pop("workers", 2), **kw)


def test_cluster_outputs_and_report_match_the_local_runner(ray_cluster, photos, tmp_path):
    local_out, cluster_out = tmp_path / "local", tmp_path / "cluster"
    events = []
    local = _run(photos, local_out)
    remote = _run(photos, cluster_out, _cluster(), progress=events.append)
    assert _report(remote, cluster_out) == _report(local, local_out)
    assert [r.status for r in remote.results].count("done") == 3
    assert "bad.jpg" in next(r.error for r in remote.results if r.status == "failed")
    for name in ("p0_sharpen.png", "p1_sharpen.png", "deep_sharpen.png"):
        assert (cluster_out / name).read_bytes() == (local_out / name).read_bytes(), name
    done_events = [e for e in events if isinstance(e, ItemFinished)]
    assert sorted(e.item for e in done_events) == [0, 1, 2, 3]
    assert sorted(p.name for p in cluster_out.iterdir()) == sorted(
        p.name for p in local_out.iterdir())  # no ledger, temp or probe files left

    rerun = _run(photos, cluster_out, _cluster())
    assert [r.status for r in rerun.results].count("skipped") == 3
    assert [r.status for r in rerun.results].count("done") == 0


def test_a_worker_killed_mid_batch_loses_nothing(ray_cluster, photos, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".p0_sharpen.png.deadbeef.partial"
    stale.write_bytes(b"half a file from a killed worker")
    monkeypatch.setenv("PHOTOGAN_TEST_CRASH_ON", "p1.png")
    result = _run(photos, out, _cluster(workers=1))
    statuses = {r.input.name: r.status for r in result.results}
    assert statuses == {"bad.jpg": "failed", "deep.png": "done", "p0.png": "done",
                        "p1.png": "done"}
    local = _run(photos, tmp_path / "local")
    assert (out / "p1_sharpen.png").read_bytes() == \
        (tmp_path / "local" / "p1_sharpen.png").read_bytes()
    assert not stale.exists()
    assert not (out / FOLDER).exists()
    assert local.count("done") == 3


def test_a_file_that_keeps_killing_workers_is_given_up(ray_cluster, photos, tmp_path,
                                                      monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("PHOTOGAN_TEST_CRASH_ON", "p0.png:always")
    result = _run(photos, out, _cluster(workers=1, max_attempts=2))
    by_name = {r.input.name: r for r in result.results}
    assert by_name["p0.png"].status == "failed"
    assert "gave up after it stopped a cluster worker 2 times" in by_name["p0.png"].error
    assert by_name["p1.png"].status == "done" and by_name["deep.png"].status == "done"
    assert not (out / "p0_sharpen.png").exists()
    # The count is kept under the output folder: a rerun gives up at once.
    assert Ledger(out).attempts(out / "p0_sharpen.png") == 2
    monkeypatch.delenv("PHOTOGAN_TEST_CRASH_ON")
    again = _run(photos, out, _cluster(workers=1, max_attempts=2))
    assert "gave up" in {r.input.name: r for r in again.results}["p0.png"].error


def test_cancel_stops_cleanly(ray_cluster, photos, tmp_path):
    out = tmp_path / "out"
    token = api.CancelToken()

    def cancel_after_first_output(event):
        if isinstance(event, ItemFinished) and event.result.status == "done":
            token.cancel()

    result = _run(photos, out, _cluster(workers=1), progress=cancel_after_first_output,
                  cancel=token)
    assert result.cancelled
    assert len(result.results) == 4
    for r in result.results:
        assert r.status in ("done", "failed", "cancelled")
        expected = out / f"{r.input.stem}_sharpen.png"
        assert expected.exists() == (r.status == "done"), r
    assert [p for p in out.rglob("*") if p.name.endswith(".partial")] == []
    assert result.count("done") >= 1


def test_storage_check_passes_on_a_shared_folder_and_names_what_a_node_cannot_see(
        ray_cluster, photos, tmp_path):
    from engine.cluster.connect import check_shared_storage

    check_shared_storage(ray_cluster, [photos / "p0.png"], tmp_path / "out", force=True)
    with pytest.raises(UsageError, match="cannot see .*missing.png.*same path"):
        check_shared_storage(ray_cluster, [tmp_path / "missing.png"], tmp_path / "out",
                             force=True)
