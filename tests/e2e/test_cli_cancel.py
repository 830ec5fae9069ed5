"""Ctrl-C cancels cleanly: the file in progress leaves no partial output, the summary says so."""

from __future__ import annotations

import os
import signal
import subprocess

from tests.e2e.helpers import leftovers, photo_like, photogan_cmd, save_rgb


def test_ctrl_c_cancels_without_partial_files(tmp_path):
    src = tmp_path / "in"
    for i in range(4):
        save_rgb(src / f"big{i}.png", photo_like(1600, 1200, i), compress_level=1)
    out = tmp_path / "out"
    env = dict(os.environ, PHOTOGAN_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    # A small tile and a wide radius make each photo take many tile steps, so the run is
    # still busy with the second photo when the first "done" line arrives.
    cmd = photogan_cmd() + ["run", "sharpen", str(src), "-o", str(out), "--plain",
                            "--tile", "128", "--set", "radius=12",
                            "--report", str(tmp_path / "r.json")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    first = proc.stdout.readline()
    assert "[1/4] done" in first, first + proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 130, stdout + stderr
    assert "Cancelled." in stdout
    assert "Traceback" not in stderr
    written = sorted(p.name for p in out.iterdir())
    assert "big0_sharpen.png" in written and len(written) < 4
    assert leftovers(out) == []


def test_ctrl_c_stops_run_sample_while_it_writes(tmp_path):
    """`run sample` renders 1024 images in a moment and spends its time writing them: a
    Ctrl-C then stops it with status 130 and removes the files it wrote."""
    out = tmp_path / "out"
    env = dict(os.environ, PHOTOGAN_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    cmd = photogan_cmd() + ["run", "sample", "-o", str(out), "--plain", "--set", "count=1024",
                            "--set", "gif=true"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env)
    line = proc.stdout.readline()
    while line and "generate:" not in line:  # the last rendering step; writing starts now
        line = proc.stdout.readline()
    assert "generate:" in line, proc.stderr.read()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr and "cancelled" in stderr.lower()
    assert "wrote" not in stdout
    assert list(out.iterdir()) == []
