"""A quiet console: library log lines (TensorFlow, absl, oneDNN) never reach the terminal
unless asked for; they go to the run's log file in the per-user data folder."""

from __future__ import annotations

import os
import subprocess

from tests.e2e.helpers import photo_like, photogan_cmd, save_rgb


def _clean_env(tmp_path, **extra) -> dict[str, str]:
    """The environment of a plain terminal: none of the variables that quieten TensorFlow."""
    quieting = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PHOTOGAN_LOG_LEVEL",
                "GLOG_minloglevel", "ABSL_MIN_LOG_LEVEL")
    env = {k: v for k, v in os.environ.items() if k not in quieting}
    env.update(PHOTOGAN_HOME=str(tmp_path / "home"), KERAS_BACKEND="tensorflow", **extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(photogan_cmd() + args, capture_output=True, text=True, env=env,
                          timeout=300)


def _log_text(tmp_path) -> str:
    logs = sorted((tmp_path / "home" / "logs").glob("photogan-*.log"))
    return "".join(p.read_text(encoding="utf-8") for p in logs)


def test_info_and_run_print_only_their_own_lines(tmp_path):
    env = _clean_env(tmp_path)
    info = _run(["info"], env)
    assert info.returncode == 0, info.stderr
    assert info.stderr == ""
    assert info.stdout.startswith("Keras backend: tensorflow")
    # TensorFlow was loaded (info lists its devices), and what it printed is in the log file.
    assert "port.cc" in _log_text(tmp_path) or "oneDNN" in _log_text(tmp_path)

    save_rgb(tmp_path / "in" / "a.png", photo_like(40, 30))
    run = _run(["run", "sharpen", str(tmp_path / "in"), "-o", str(tmp_path / "out"),
                "--plain"], env)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.splitlines()[0].startswith("[1/1] done      a.png")


def test_debug_shows_the_library_lines(tmp_path):
    proc = _run(["--debug", "info"], _clean_env(tmp_path))
    assert proc.returncode == 0
    assert "oneDNN" in proc.stderr or "port.cc" in proc.stderr
    proc = _run(["info"], _clean_env(tmp_path, PHOTOGAN_LOG_LEVEL="info"))
    assert "oneDNN" in proc.stderr or "port.cc" in proc.stderr


def test_the_log_folder_keeps_the_last_runs_only(tmp_path):
    folder = tmp_path / "home" / "logs"
    folder.mkdir(parents=True)
    for i in range(15):
        (folder / f"photogan-20260101-0000{i:02d}-1.log").write_text("old\n")
    proc = _run(["tasks"], _clean_env(tmp_path))
    assert proc.returncode == 0 and proc.stderr == ""
    kept = sorted(p.name for p in folder.glob("photogan-*.log"))
    assert len(kept) == 10 and kept[0] == "photogan-20260101-000006-1.log"
