"""``photogan run deblur ... --cluster local`` through the real CLI: its own local Ray."""

from __future__ import annotations

import json

from tests.e2e.conftest import photogan  # noqa: F401  (the fixture)
from tests.e2e.helpers import leftovers, photo_like, save_rgb


def _entries(report, out):
    rows = json.loads(report.read_text(encoding="utf-8"))
    for row in rows:
        row.pop("seconds")
        if row["output"]:
            row["output"] = row["output"].replace(str(out), "OUT")
    return rows


def test_cluster_local_deblur_matches_the_local_runner(photogan, tmp_path):  # noqa: F811
    src = tmp_path / "in"
    for i in range(2):
        save_rgb(src / f"x{i}.png", photo_like(40, 28, seed=i))
    (src / "broken.png").write_bytes(b"\x89PNG but not really")
    local = photogan("run", "deblur", src, "-o", tmp_path / "a", "--tile", "64", "--plain",
                     "--report", tmp_path / "a.json")
    remote = photogan("run", "deblur", src, "-o", tmp_path / "b", "--tile", "64", "--plain",
                      "--report", tmp_path / "b.json", "--cluster", "local", "--workers", "1",
                      timeout=600)
    assert local.returncode == remote.returncode == 1, remote.stdout + remote.stderr
    assert _entries(tmp_path / "b.json", tmp_path / "b") == \
        _entries(tmp_path / "a.json", tmp_path / "a")
    for i in range(2):
        name = f"x{i}_deblur.png"
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()
    assert leftovers(tmp_path / "b") == []
    assert "2 done, 0 skipped, 1 failed" in remote.stdout


def test_cluster_flags_need_cluster(photogan, tmp_path):  # noqa: F811
    save_rgb(tmp_path / "in" / "x.png", photo_like(20, 20))
    proc = photogan("run", "sharpen", tmp_path / "in", "-o", tmp_path / "o", "--workers", "2")
    assert proc.returncode == 2 and "--workers only apply with --cluster" in proc.stderr
