"""The CLI contract: names, exit codes, outputs, reports. Runs ``photogan`` as a subprocess."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from engine import __version__
from tests.e2e.helpers import digest, leftovers, photo_like, rgb_regions, save_rgb


def test_version(photogan):
    proc = photogan("--version")
    assert proc.returncode == 0
    assert __version__ in proc.stdout


def test_info_reports_backend_and_devices(photogan):
    proc = photogan("info")
    assert proc.returncode == 0, proc.stderr
    assert "Keras backend: tensorflow" in proc.stdout
    assert "CPU:" in proc.stdout
    assert "keras" in proc.stdout


def test_tasks_json_lists_parameters(photogan):
    proc = photogan("tasks", "--json")
    assert proc.returncode == 0, proc.stderr
    tasks = {t["id"]: t for t in json.loads(proc.stdout)}
    assert {"sharpen", "resize"} <= set(tasks)
    sharpen = {p["name"]: p for p in tasks["sharpen"]["params"]}
    assert set(sharpen) >= {"amount", "radius", "threshold"}
    for field in ("type", "default", "help", "min", "max"):
        assert field in sharpen["amount"]
    assert tasks["sharpen"]["weights_ready"] is True


def test_tasks_text(photogan):
    proc = photogan("tasks")
    assert proc.returncode == 0
    assert "sharpen" in proc.stdout and "--set amount=" in proc.stdout


def test_run_names_outputs_and_keeps_format(photogan, tmp_path):
    src = tmp_path / "in"
    save_rgb(src / "a photo.jpg", photo_like(80, 60, 1), quality=95)
    save_rgb(src / "b.png", photo_like(70, 50, 2))
    out = tmp_path / "out"
    report = tmp_path / "report.json"
    proc = photogan("run", "sharpen", src, "-o", out, "--report", report)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (out / "a photo_sharpen.jpg").exists()
    assert (out / "b_sharpen.png").exists()
    entries = json.loads(report.read_text())
    assert sorted(e["status"] for e in entries) == ["done", "done"]
    assert {"input", "output", "status", "error", "seconds"} <= set(entries[0])
    assert "2 done, 0 skipped, 0 failed" in proc.stdout


def test_format_and_quality(photogan, tmp_path):
    src = save_rgb(tmp_path / "x.png", photo_like(64, 48))
    out = tmp_path / "out"
    proc = photogan("run", "sharpen", src, "-o", out, "--format", "jpg", "--quality", "80")
    assert proc.returncode == 0, proc.stderr
    assert Image.open(out / "x_sharpen.jpg").format == "JPEG"


def test_existing_output_skipped_unless_overwrite(photogan, tmp_path):
    src = save_rgb(tmp_path / "x.png", photo_like(64, 48))
    out = tmp_path / "out"
    assert photogan("run", "sharpen", src, "-o", out).returncode == 0
    first = digest(out / "x_sharpen.png")
    report = tmp_path / "r.json"
    proc = photogan("run", "sharpen", src, "-o", out, "--set", "amount=3", "--report", report,
                    "--plain")
    assert proc.returncode == 0
    entry = json.loads(report.read_text())[0]
    assert entry["status"] == "skipped" and "Use --overwrite" in entry["error"]
    assert "x_sharpen.png already exists. Use --overwrite to replace it." in proc.stdout
    assert digest(out / "x_sharpen.png") == first
    proc = photogan("run", "sharpen", src, "-o", out, "--set", "amount=3", "--overwrite")
    assert proc.returncode == 0
    assert digest(out / "x_sharpen.png") != first


def test_recursive_mirrors_folders(photogan, tmp_path):
    src = tmp_path / "in"
    save_rgb(src / "top.png", photo_like(40, 40))
    save_rgb(src / "trip" / "day1" / "deep.png", photo_like(40, 40))
    out = tmp_path / "out"
    flat = photogan("run", "sharpen", src, "-o", tmp_path / "flat")
    assert flat.returncode == 0
    assert not (tmp_path / "flat" / "trip").exists()
    proc = photogan("run", "sharpen", src, "-o", out, "--recursive")
    assert proc.returncode == 0, proc.stderr
    assert (out / "top_sharpen.png").exists()
    assert (out / "trip" / "day1" / "deep_sharpen.png").exists()


def test_output_inside_input_folder_never_overwrites_inputs(photogan, tmp_path):
    src = tmp_path / "in"
    save_rgb(src / "x.png", photo_like(40, 40))
    before = digest(src / "x.png")
    proc = photogan("run", "sharpen", src, "-o", src, "--overwrite")
    assert proc.returncode == 0
    proc = photogan("run", "sharpen", src, "-o", src, "--overwrite", "--recursive")
    assert proc.returncode in (0, 1)
    assert digest(src / "x.png") == before


def test_bad_parameter_name_and_value_exit_2(photogan, tmp_path):
    src = save_rgb(tmp_path / "x.png", photo_like(40, 40))
    proc = photogan("run", "sharpen", src, "-o", tmp_path / "o", "--set", "amout=2")
    assert proc.returncode == 2
    assert "amout" in proc.stderr and "amount" in proc.stderr
    proc = photogan("run", "sharpen", src, "-o", tmp_path / "o", "--set", "amount=lots")
    assert proc.returncode == 2
    assert "amount" in proc.stderr
    proc = photogan("run", "sharpen", src, "-o", tmp_path / "o", "--set", "amount=99")
    assert proc.returncode == 2
    proc = photogan("run", "nosuchtask", src, "-o", tmp_path / "o")
    assert proc.returncode == 2 and "sharpen" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_input_images_exit_3(photogan, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("hello")
    proc = photogan("run", "sharpen", tmp_path / "empty", "-o", tmp_path / "o")
    assert proc.returncode == 3


def test_colours_land_where_they_were(photogan, tmp_path):
    src = tmp_path / "in"
    for fmt in ("png", "tiff", "webp", "bmp", "jpg"):
        kw = {"quality": 95, "subsampling": 0} if fmt == "jpg" else {}
        if fmt == "webp":
            kw = {"lossless": True}
        save_rgb(src / f"flag_{fmt}.{fmt}", rgb_regions(90, 30), **kw)
    for task, extra in (("sharpen", ["--set", "amount=0.5"]), ("resize", ["--set", "scale=2"])):
        out = tmp_path / task
        proc = photogan("run", task, src, "-o", out, *extra)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for path in out.iterdir():
            arr = np.asarray(Image.open(path).convert("RGB")).astype(int)
            h, w = arr.shape[:2]
            for region, channel in ((0, 0), (1, 1), (2, 2)):
                x = int((region + 0.5) * w / 3)
                pixel = arr[h // 2, x]
                assert pixel[channel] > 200, (path.name, region, pixel)
                assert pixel.sum() - pixel[channel] < 60, (path.name, region, pixel)


def test_resize_scales_output(photogan, tmp_path):
    src = save_rgb(tmp_path / "x.png", photo_like(50, 30))
    proc = photogan("run", "resize", src, "-o", tmp_path / "o", "--set", "scale=3")
    assert proc.returncode == 0, proc.stderr
    assert Image.open(tmp_path / "o" / "x_resize.png").size == (150, 90)


def test_unwritable_output_folder_fails_each_file(photogan, tmp_path):
    src = tmp_path / "in"
    save_rgb(src / "a.png", photo_like(40, 40))
    save_rgb(src / "b.png", photo_like(40, 40))
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    report = tmp_path / "r.json"
    proc = photogan("run", "sharpen", src, "-o", blocker / "out", "--report", report)
    assert proc.returncode == 1
    entries = json.loads(report.read_text())
    assert [e["status"] for e in entries] == ["failed", "failed"]
    assert "a.png" in entries[0]["error"]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert leftovers(tmp_path) == []
