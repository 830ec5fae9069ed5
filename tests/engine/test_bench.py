"""``photogan bench``: FLOP counting, the runner's rows and the JSON command. Speed is measured
here, never asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.errors import UsageError
from engine.evaluation import bench

REQUIRED = {"task", "mp_per_s", "gflops", "peak_fraction", "peak_rss_mb"}
TINY = {"deblur": ("deblurgan", {"ngf": 4, "n_blocks": 1}),
        "sample": ("dcgan28", {"latent_dim": 8})}


def _keras():
    from engine import backend

    return backend.keras()


def test_count_flops_matches_hand_count():
    keras = _keras()
    layers = keras.layers
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same")(inputs)  # 2*3*3*3*4 * 8*8 = 13824
    x = layers.ReLU()(x)  # elementwise: not counted
    x = layers.Conv2D(2, 3, strides=2, padding="same")(x)  # 2*3*3*4*2 * 4*4 = 2304
    x = layers.Conv2DTranspose(5, 3, strides=2, padding="same")(x)  # 2*3*3*2*5 * 4*4 in = 2880
    x = layers.Dense(7)(layers.Flatten()(x))  # 2 * (8*8*5) * 7 = 4480
    model = keras.Model(inputs, x)
    assert bench.count_flops(model, (8, 8, 3)) == 13824 + 2304 + 2880 + 4480


def test_count_flops_follows_the_input_size_of_a_fully_convolutional_model():
    keras = _keras()
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 2*3*3*3*4 per pixel = 216
    x = keras.layers.Conv2DTranspose(2, 4, strides=2, padding="same")(x)  # 2*4*4*4*2 = 256
    model = keras.Model(inputs, x)
    assert bench.count_flops(model, (8, 8, 3)) == (216 + 256) * 64
    assert bench.count_flops(model, (16, 12, 3)) == (216 + 256) * 16 * 12
    assert model.input_shape == (None, None, None, 3)  # the original is left as it was


def test_runner_rows_have_the_required_keys():
    report = bench.run_bench(["sharpen", "deblur", "sample"], (64, 64), archs=TINY,
                             compare=True)
    rows = {row.task: row.to_json() for row in report.rows}
    assert list(rows) == ["sharpen", "deblur", "deblur[plain]", "sample"]
    for row in rows.values():
        assert set(row) >= REQUIRED and row["error"] == ""
        assert row["mp_per_s"] > 0 and row["peak_rss_mb"] > 0
    assert rows["sharpen"]["gflops"] is None and rows["sharpen"]["peak_fraction"] is None
    assert rows["deblur"]["gflops"] > 0 and rows["deblur"]["peak_fraction"] > 0
    assert rows["sample"]["rate_unit"] == "images/s"
    assert report.matmul_peak_gflops > 0


def test_bench_command_prints_json(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "engine", "bench", "--json", "--tasks", "sharpen",
         "--size", "64x48"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list) and rows[0]["task"] == "sharpen"
    assert set(rows[0]) >= REQUIRED


def test_parsing_sizes_and_task_names():
    assert bench.parse_size("1024x768") == (1024, 768)
    assert bench.parse_tasks("deblur-fast, sharpen") == ["deblur(fast)", "sharpen"]
    assert bench.parse_tasks("deblur-unet") == ["deblur(unet)"]
    assert bench.parse_tasks("") == list(bench.DEFAULT_TASKS)
    for bad in ("1024", "axb", "8x8"):
        with pytest.raises(UsageError):
            bench.parse_size(bad)
    with pytest.raises(UsageError, match="Unknown bench task"):
        bench.parse_tasks("deblurr")


@pytest.mark.parametrize("arch, config, shape", [
    ("srgan", {"n_blocks": 1, "width": 8}, (1, 21, 17, 3)),  # 9x9 head/tail, PReLU, odd size
    ("deblurgan", {"ngf": 4, "n_blocks": 1}, (1, 36, 20, 3)),  # 7x7 tail, instance norm
    ("deblurgan", {"ngf": 4, "n_blocks": 1}, (2, 32, 32, 3)),  # batch of 2: generic norm
])
def test_inference_rewrite_keeps_outputs(arch, config, shape):
    """The faster inference graph ``make_predictor`` uses computes the same function."""
    from engine.inference import inference_model
    from engine.models import build

    keras = _keras()
    keras.utils.set_random_seed(0)
    model = build(arch, **config)
    fast = inference_model(model)
    assert fast is not model and inference_model(model) is fast
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    np.testing.assert_allclose(fast.predict_on_batch(x), model.predict_on_batch(x), atol=1e-5)


def test_prelu_slopes_above_one_fall_back_to_the_exact_layer():
    from engine.inference import inference_model

    keras = _keras()
    inputs = keras.Input((None, None, 2))
    prelu = keras.layers.PReLU(shared_axes=[1, 2])
    model = keras.Model(inputs, prelu(inputs))
    prelu.alpha.assign(np.array([[[0.5, 1.5]]], np.float32))
    x = np.random.default_rng(0).normal(size=(1, 4, 4, 2)).astype(np.float32)
    fast = inference_model(model)
    np.testing.assert_allclose(fast.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)


def test_style_row_extrapolates_time_and_cpu_seconds():
    from engine.cli.cmd_bench import format_report

    report = bench.run_bench(["style"], (48, 32))
    (row,) = report.rows
    assert row.error == "" and row.rate_unit == "iterations/s" and row.rate > 0
    assert row.config["iterations"] == 50 and row.config["cpu_seconds"] > 0
    assert "style: " in format_report(report) and "CPU-seconds" in format_report(report)


def test_painting_row_times_the_whole_task_at_its_defaults(monkeypatch):
    from engine.tasks.painting import PhotoToPainting

    seen = []
    original = PhotoToPainting.process

    def spy(self, image, options, ctx):
        seen.append((image.width, image.height, options["work_size"], options["degrain"]))
        return original(self, image, options, ctx)

    monkeypatch.setattr(PhotoToPainting, "process", spy)
    assert "painting" not in bench.DEFAULT_TASKS  # a shipped model's whole run: on request
    (row,) = bench.run_bench(["painting"], (96, 64)).rows
    assert row.error == "" and row.task == "painting" and row.mp_per_s > 0
    assert seen[-1] == (96, 64, 768, True)  # the shipped default, through the task's own path


def test_a_training_step_row_counts_three_forwards_per_image(monkeypatch):
    """The ``train-*`` rows time the real trainer's step on synthetic crops; FLOPs per step
    are 3 x the generator's forward FLOPs x the batch, so GFLOP/s follows from the time."""
    from engine.evaluation import bench_train
    from engine.models import build

    tiny = bench_train.TrainBench("deblur", {"arch": "deblur_unet", "width": 4,
                                             "adv_weight": 0.0, "fft_weight": 1.0},
                                  batch=2, crop=32)
    monkeypatch.setitem(bench_train.TRAIN_BENCHES, "train-deblur", tiny)
    monkeypatch.setattr(bench_train, "TIMED_STEPS", 2)
    assert "train-deblur" in bench.ALL_TASKS and "train-deblur" not in bench.DEFAULT_TASKS
    row = bench.run_bench(["train-deblur"], (64, 64)).rows[0]
    assert row.error == "" and row.rate_unit == "images/s"
    forward = bench.count_flops(build("deblur_unet", width=4), (32, 32, 3))
    assert row.gflops == pytest.approx(3 * forward * 2 / row.seconds / 1e9, rel=1e-6)
    assert row.rate == pytest.approx(2 / row.seconds, rel=1e-6)
    assert row.mp_per_s == pytest.approx(2 * 32 * 32 / row.seconds / 1e6, rel=1e-6)
    assert row.peak_fraction == pytest.approx(row.gflops / row.matmul_peak_gflops, rel=1e-6)
    assert row.arch == "deblur_unet" and row.config == {"width": 4}
