"""Smoke test of the packaged build in ``dist/PhotoGAN/`` (run after `make package`).

    .venv/bin/python build_scripts/smoke_test.py [--dist dist] [--home DIR] [--json FILE]

Runs the built executables the way a user's machine would, with a minimal environment (no
virtual environment, no PYTHONPATH, PATH=/usr/bin:/bin) and fresh, empty per-user folders, so
only the models shipped in the bundle are visible:

1. ``photogan --version`` (timed: first start with the bundle evicted from the page cache
   where the OS allows it, then warm starts);
2. ``photogan info`` and ``photogan tasks --json`` (deblur and upscale have their weights);
   ``info`` must write nothing to stderr (library log lines go to the log file);
3. ``photogan run deblur`` and ``photogan run upscale`` on a sample from inside the bundle,
   and the same runs with the source CLI (``python -m engine``); the outputs must match to
   within 1/255 per channel;
4. ``PhotoGAN --smoke-test`` with ``QT_QPA_PLATFORM=offscreen``: the main window must appear
   (timed to the "main window shown" line) and the app must exit 0;
5. Linux: ``PhotoGAN --check-platform`` for an X11 session: Qt's xcb plugin could load, and
   each X11 helper library it needs (``gui.platform_check.XCB_HELPERS``) loads from inside the
   bundle, so the app starts on machines that lack them;
6. nothing inside the bundle was created or changed by any of that.

``--home DIR`` points PHOTOGAN_HOME at a prepared model store instead (for testing a build
before shipped weights exist). Exit status 0 when every check passes; a summary (timings,
bundle size) is printed and, with ``--json``, written to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "HappyFish.jpg"  # small (259x194), so the model runs stay short on a CPU
MODEL_TASKS = ("deblur", "upscale")
TOLERANCE = 1  # in 1/255 steps


class SmokeFailure(Exception):
    pass


def executables(app: Path) -> tuple[Path, Path]:
    """(CLI, GUI) inside the one-folder build, by the names the spec gives them."""
    if sys.platform == "win32":
        return app / "photogan-cli.exe", app / "PhotoGAN.exe"
    if sys.platform == "darwin":
        return app / "photogan-cli", app / "PhotoGAN"
    return app / "photogan", app / "PhotoGAN"


def bundle_state(app: Path) -> dict[str, tuple[int, int]]:
    """Every file in the bundle with its size and modification time."""
    state = {}
    for path in app.rglob("*"):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            state[str(path.relative_to(app))] = (st.st_size, st.st_mtime_ns)
    return state


def bundle_size(app: Path) -> int:
    return sum(p.stat().st_size for p in app.rglob("*") if p.is_file() and not p.is_symlink())


def evict_from_page_cache(app: Path) -> bool:
    """Drop the bundle's files from the OS page cache so the next start is a cold one
    (Linux; only these files, nothing else on the machine). False where unsupported."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in app.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fdatasync(fd)  # dirty pages cannot be dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
    return True


def clean_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """What a fresh user session on a machine without Python would have."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home / "user"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TMPDIR": str(home / "tmp"),
        "XDG_DATA_HOME": str(home / "user" / "data"),
        "XDG_CONFIG_HOME": str(home / "user" / "config"),
        "XDG_STATE_HOME": str(home / "user" / "state"),
        "XDG_CACHE_HOME": str(home / "user" / "cache"),
        "KERAS_HOME": str(home / "user" / "keras"),
    }
    if sys.platform == "win32":
        env = {**os.environ, "LOCALAPPDATA": str(home / "user" / "local")}
        for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PHOTOGAN_RESOURCES"):
            env.pop(name, None)
    for sub in ("user", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(extra or {})
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float = 900,
        expect: int = 0) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    if proc.returncode != expect:
        raise SmokeFailure(f"{' '.join(cmd)} exited {proc.returncode} (expected {expect})\n"
                           f"--- stdout ---\n{proc.stdout[-3000:]}\n"
                           f"--- stderr ---\n{proc.stderr[-3000:]}")
    return proc, seconds


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"), dtype=np.int16)


def compare(frozen: Path, source: Path) -> int:
    """Largest per-channel difference in 1/255 steps; raises when shapes differ."""
    a, b = load_rgb(frozen), load_rgb(source)
    if a.shape != b.shape:
        raise SmokeFailure(f"{frozen.name}: packaged output is {a.shape}, source output {b.shape}")
    return int(np.abs(a - b).max())


def check_cli(cli: Path, env: dict[str, str], work: Path, app: Path, cold: bool,
              summary: dict) -> None:
    from engine import __version__

    summary["cold_start_evicted"] = evict_from_page_cache(app) if cold else False
    proc, first = run([str(cli), "--version"], env)
    if __version__ not in proc.stdout:
        raise SmokeFailure(f"--version printed {proc.stdout!r}, expected {__version__}")
    warm = [run([str(cli), "--version"], env)[1] for _ in range(3)]
    summary["cli_version_first_s"] = round(first, 2)
    summary["cli_version_warm_s"] = round(statistics.median(warm), 2)
    print(f"ok  photogan --version: {proc.stdout.strip()} "
          f"(first {first:.2f} s, warm {statistics.median(warm):.2f} s)")

    proc, seconds = run([str(cli), "info"], env)
    if "Keras backend:" not in proc.stdout:
        raise SmokeFailure(f"photogan info printed:\n{proc.stdout}")
    if proc.stderr.strip():  # library log lines belong in the log file, not the terminal
        raise SmokeFailure(f"photogan info wrote to stderr:\n{proc.stderr[-3000:]}")
    summary["cli_info_s"] = round(seconds, 2)
    print(f"ok  photogan info ({seconds:.1f} s): "
          + " | ".join(line.strip() for line in proc.stdout.splitlines()[:1]))

    proc, seconds = run([str(cli), "tasks", "--json"], env)
    tasks = {t["id"]: t for t in json.loads(proc.stdout)}
    missing = [t for t in MODEL_TASKS if t not in tasks]
    if missing:
        raise SmokeFailure(f"photogan tasks does not list {missing}")
    not_ready = [f"{t}: {tasks[t].get('weights_message', '')}" for t in MODEL_TASKS
                 if not tasks[t].get("weights_ready")]
    if not_ready:
        raise SmokeFailure("no default model for:\n  " + "\n  ".join(not_ready)
                           + "\nShipped models belong in resources/weights/<id>/ before the "
                             "build (or pass --home with a prepared store).")
    print(f"ok  photogan tasks: {len(tasks)} tasks, deblur and upscale have weights "
          f"({seconds:.1f} s)")


def check_runs(cli: Path, env: dict[str, str], work: Path, app: Path, summary: dict) -> None:
    sample = app / "_internal" / "resources" / "samples" / SAMPLE
    if sys.platform == "darwin" and not sample.exists():
        sample = next(app.rglob(SAMPLE))
    if not sample.is_file():
        raise SmokeFailure(f"the bundled sample {sample} is missing")
    source_env = dict(os.environ)
    for name in ("PHOTOGAN_RESOURCES", "KERAS_BACKEND"):
        source_env.pop(name, None)
    for name in ("PHOTOGAN_HOME", "KERAS_HOME", "HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME",
                 "XDG_STATE_HOME", "XDG_CACHE_HOME", "LOCALAPPDATA"):
        if name in env:
            source_env[name] = env[name]
    for task in MODEL_TASKS:
        outs = {}
        for label, cmd, e in (
            ("packaged", [str(cli)], env),
            ("source", [sys.executable, "-m", "engine"], source_env),
        ):
            out = work / f"{task}-{label}"
            report = work / f"{task}-{label}.json"
            _, seconds = run([*cmd, "run", task, str(sample), "-o", str(out), "--format", "png",
                              "--report", str(report)], e)
            entries = json.loads(report.read_text())
            if [x["status"] for x in entries] != ["done"]:
                raise SmokeFailure(f"{label} {task}: report {entries}")
            outs[label] = Path(entries[0]["output"])
            summary[f"run_{task}_{label}_s"] = round(seconds, 1)
        diff = compare(outs["packaged"], outs["source"])
        summary[f"run_{task}_max_diff"] = diff
        if diff > TOLERANCE:
            raise SmokeFailure(f"{task}: packaged and source outputs differ by up to "
                               f"{diff}/255 (allowed {TOLERANCE}/255)")
        size = Image.open(outs["packaged"]).size
        print(f"ok  photogan run {task}: {size[0]}x{size[1]} output, packaged "
              f"{summary[f'run_{task}_packaged_s']} s, matches the source CLI "
              f"(max difference {diff}/255)")


def check_gui(gui: Path, env: dict[str, str], app: Path, cold: bool, summary: dict) -> None:
    gui_env = {**env, "QT_QPA_PLATFORM": "offscreen"}
    if cold:
        evict_from_page_cache(app)
    times = []
    for attempt in range(2):  # first (cold) start, then a warm one
        start = time.perf_counter()
        proc = subprocess.Popen([str(gui), "--smoke-test"], env=gui_env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        shown_at = None
        assert proc.stdout is not None
        for line in proc.stdout:
            if "main window shown" in line:
                shown_at = time.perf_counter() - start
                break
        try:
            rest, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            rest, err = proc.communicate()
            raise SmokeFailure(f"PhotoGAN --smoke-test did not quit:\n{err[-3000:]}") from None
        if shown_at is None and proc.returncode == 0 and sys.platform == "win32":
            # A windowed Windows executable has no stdout (PyInstaller sets sys.stdout to
            # None), so the line never comes; exit status 0 still means "shown".
            shown_at = time.perf_counter() - start
        if shown_at is None or proc.returncode != 0:
            raise SmokeFailure(f"PhotoGAN --smoke-test exited {proc.returncode} without showing "
                               f"the main window\n--- stderr ---\n{err[-3000:]}")
        times.append(shown_at)
        if attempt == 0:
            print(f"ok  PhotoGAN --smoke-test (offscreen): main window shown after "
                  f"{shown_at:.2f} s, exited 0")
    summary["gui_window_first_s"] = round(times[0], 2)
    summary["gui_window_warm_s"] = round(times[1], 2)


def check_x11_libraries(gui: Path, env: dict[str, str], app: Path, summary: dict) -> None:
    """The bundle carries Qt's X11 helper libraries and the frozen app loads them from it."""
    from gui.platform_check import XCB_HELPERS

    x11_env = {k: v for k, v in env.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    x11_env["DISPLAY"] = ":0"  # the check opens no connection
    proc = subprocess.run([str(gui), "--check-platform"], env=x11_env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    where = dict(line.split(" -> ", 1) for line in proc.stdout.splitlines() if " -> " in line)
    inside = str(app.resolve())
    outside = [f"{name}: {where.get(name, 'not reported')}" for name in XCB_HELPERS
               if not where.get(name, "").startswith(inside)]
    if outside or proc.returncode != 0:
        raise SmokeFailure("Qt's X11 helper libraries are not all loaded from the bundle (install "
                           "them on the build machine, docs/PACKAGING.md, and rebuild):\n  "
                           + "\n  ".join(outside) + f"\n{proc.stdout}{proc.stderr}")
    summary["x11_libraries_bundled"] = len(XCB_HELPERS)
    print(f"ok  PhotoGAN --check-platform: the {len(XCB_HELPERS)} X11 helper libraries load "
          "from the bundle")


def check_archive(dist: Path, summary: dict) -> None:
    """The Linux tarball holds both executables, the desktop entry and the icons."""
    import tarfile

    from engine import __version__

    archives = sorted(dist.glob(f"PhotoGAN-{__version__}-linux-*.tar.gz"))
    if not archives:
        raise SmokeFailure(f"no PhotoGAN-{__version__}-linux-*.tar.gz in {dist}")
    top = f"PhotoGAN-{__version__}"
    with tarfile.open(archives[0]) as tar:
        names = set(tar.getnames())
    needed = [f"{top}/PhotoGAN", f"{top}/photogan", f"{top}/install.sh",
              f"{top}/share/applications/photogan.desktop",
              f"{top}/share/icons/hicolor/256x256/apps/photogan.png",
              f"{top}/_internal/resources/samples/{SAMPLE}"]
    missing = [n for n in needed if n not in names]
    if missing:
        raise SmokeFailure(f"{archives[0].name} lacks {missing}")
    summary["archive"] = archives[0].name
    summary["archive_mib"] = round(archives[0].stat().st_size / 2**20)
    print(f"ok  {archives[0].name}: {summary['archive_mib']} MiB, executables, desktop entry "
          "and icons present")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--home", type=Path,
                        help="PHOTOGAN_HOME with a prepared model store (default: a fresh "
                             "empty one, so only shipped models are used)")
    parser.add_argument("--json", type=Path, help="also write the summary here")
    parser.add_argument("--no-cold", action="store_true",
                        help="do not evict the bundle from the page cache before first starts")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    app = args.dist / "PhotoGAN"
    cli, gui = executables(app)
    for exe in (cli, gui):
        if not exe.is_file():
            print(f"FAIL {exe} is missing: run `make package` first", file=sys.stderr)
            return 1
    summary: dict = {"bundle_mib": round(bundle_size(app) / 2**20)}
    print(f"Smoke test of {app} ({summary['bundle_mib']} MiB)")
    start = time.perf_counter()
    before = bundle_state(app)
    try:
        with tempfile.TemporaryDirectory(prefix="photogan-smoke-") as tmp:
            work = Path(tmp)
            home = args.home.resolve() if args.home else work / "home"
            env = clean_env(work, {"PHOTOGAN_HOME": str(home)})
            check_cli(cli, env, work, app, not args.no_cold, summary)
            check_runs(cli, env, work, app, summary)
            check_gui(gui, env, app, not args.no_cold, summary)
            if sys.platform.startswith("linux"):
                check_x11_libraries(gui, env, app, summary)
                check_archive(args.dist, summary)
        after = bundle_state(app)
        changed = sorted(set(after) ^ set(before)
                         | {k for k in before if k in after and before[k] != after[k]})
        if changed:
            raise SmokeFailure(f"files inside the bundle were written: {changed[:10]}")
        print("ok  nothing was written inside the bundle")
    except (SmokeFailure, subprocess.TimeoutExpired) as exc:
        print(f"FAIL {exc}", file=sys.stderr)
        return 1
    summary["smoke_test_s"] = round(time.perf_counter() - start, 1)
    print(f"PASS in {summary['smoke_test_s']} s: {json.dumps(summary)}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
