"""Issue 18: the style/painting measures (``engine.evaluation.eval_style``), Lab conversion, the
palette transfer, the style loss's moment terms and ``photogan eval painting`` end to end."""

from __future__ import annotations

import numpy as np
import pytest

from engine.evaluation import eval_style
from engine.imaging import color, io
from engine.imaging.image import Image
from engine.style.palette import match_colors


def scene(height: int = 48, width: int = 64) -> np.ndarray:
    """A photo-like test image: smooth coloured gradients plus a bright square (an edge)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.stack([0.3 + 0.4 * x / width, 0.6 - 0.3 * y / height,
                       0.2 + 0.1 * np.sin(x / 7.0)], axis=2)
    pixels[height // 4: height // 2, width // 4: width // 2] = (0.95, 0.9, 0.3)
    return pixels.astype(np.float32)


def painting(height: int = 40, width: int = 56) -> np.ndarray:
    """Blue and yellow diagonal strokes: a palette and a texture unlike ``scene``."""
    y, x = np.mgrid[0:height, 0:width]
    strokes = ((x + 2 * y) // 4 % 2).astype(np.float32)[:, :, None]
    return (strokes * np.array([0.9, 0.8, 0.2]) + (1 - strokes) * np.array([0.1, 0.2, 0.6])
            ).astype(np.float32)


def test_lab_known_values_and_round_trip():
    np.testing.assert_allclose(color.rgb_to_lab(np.ones(3)), [100.0, 0.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(color.rgb_to_lab(np.zeros(3)), [0.0, 0.0, 0.0], atol=1e-3)
    red = color.rgb_to_lab(np.array([1.0, 0.0, 0.0]))
    np.testing.assert_allclose(red, [53.24, 80.09, 67.20], atol=0.02)
    pixels = np.random.default_rng(0).random((6, 7, 3)).astype(np.float32)
    np.testing.assert_allclose(color.lab_to_rgb(color.rgb_to_lab(pixels)), pixels, atol=1e-4)


def test_match_colors_gives_the_painting_palette_and_keeps_the_shapes():
    photo, paint = scene(), painting()
    moved = match_colors(photo, paint)
    assert moved.shape == photo.shape and moved.dtype == np.float32
    assert moved.min() >= 0.0 and moved.max() <= 1.0
    target = color.rgb_to_lab(paint).reshape(-1, 3).mean(0)
    before = np.abs(color.rgb_to_lab(photo).reshape(-1, 3).mean(0) - target).max()
    after = np.abs(color.rgb_to_lab(moved).reshape(-1, 3).mean(0) - target).max()
    assert after < before / 4
    # Lightness is remapped monotonically: the order of the photo's pixels survives.
    ranks = [np.argsort(np.argsort(color.rgb_to_lab(p)[..., 0].ravel())) for p in (photo, moved)]
    assert np.corrcoef(*ranks)[0, 1] > 0.95


def night_sky(height: int = 40, width: int = 56) -> np.ndarray:
    """A smooth dark-blue to yellow palette (continuous, unlike ``painting``'s two colours)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    s = (0.5 + 0.5 * np.sin(x / 5.0) * np.cos(y / 7.0)) ** 2
    return np.stack([0.1 + 0.8 * s, 0.15 + 0.65 * s, 0.45 - 0.25 * s], axis=2).astype(np.float32)


def test_palette_distance():
    photo, paint = scene(), night_sky()
    assert eval_style.palette_distance(paint, paint) < 0.5
    photo_distance = eval_style.palette_distance(photo, paint)
    assert photo_distance > 10.0
    assert eval_style.palette_distance(match_colors(photo, paint), paint) < photo_distance / 3


def test_style_distance_zero_for_the_painting_and_smaller_for_its_texture():
    paint = painting()
    stats = eval_style.style_stats(paint)
    assert len(stats) == len(eval_style.JUDGE_WIDTHS)
    assert eval_style.style_distance(stats, stats) == 0.0
    photo_distance = eval_style.style_distance(eval_style.style_stats(scene()), stats)
    # The same strokes on another canvas size and shifted: the same style.
    shifted = painting(48, 64)[3:, 5:]
    assert eval_style.style_distance(eval_style.style_stats(shifted), stats) < photo_distance / 3


def test_structure_kept():
    photo = scene()
    assert eval_style.structure_kept(photo, photo) == pytest.approx(1.0)
    assert eval_style.structure_kept(match_colors(photo, night_sky()), photo) > 0.7
    blank = np.full_like(photo, 0.5)
    assert eval_style.structure_kept(blank, photo) < 0.3


def test_style_loss_moments_are_zero_only_at_the_target():
    from keras import ops

    from engine.style import losses

    rng = np.random.default_rng(1)
    feats = ops.convert_to_tensor(rng.random((1, 5, 6, 4)).astype(np.float32))
    target = losses.style_statistics(feats)
    assert float(losses.style_loss([feats], [target])) == pytest.approx(0.0, abs=1e-6)
    # Same Gram-free change: a constant added to every position moves the mean term.
    shifted = feats + 0.5
    assert float(losses.style_loss([shifted], [target])) > 0.1


def test_eval_painting_end_to_end(tmp_path, capsys):
    """``photogan eval painting`` on two tiny photos with the shipped CycleGAN: three rows,
    the photo scoring structure 1 and the colour transfer a smaller palette distance."""
    from engine.cli import main

    data = tmp_path / "photos"
    data.mkdir()
    for i in range(2):
        io.write(Image(scene(64 + 8 * i, 80)), data / f"p{i}.png")
    report = tmp_path / "r.json"
    code = main(["eval", "painting", "--data", str(data), "--size", "64",
                 "--report", str(report)])
    assert code == 0
    out = capsys.readouterr().out
    assert "painting / starry_night (2 photos at 64 px long side)" in out
    import json

    rows = json.loads(report.read_text())
    assert [r["method"] for r in rows] == ["photo", "colour transfer", "painting output"]
    assert rows[0]["structure"] == pytest.approx(1.0)
    assert rows[1]["palette"] < rows[0]["palette"]
    assert all(r["count"] == 2 for r in rows)


@pytest.mark.parametrize(("input_size", "given"), [(120, (80, 120)), (400, (100, 150))])
def test_eval_painting_input_size_and_task_parameters(tmp_path, monkeypatch, input_size, given):
    """``--input-size`` gives the task the photo at that long side (never enlarged) and scores
    its output brought to ``--size``; ``--set`` reaches the task's options."""
    import json

    from engine.cli import main
    from engine.tasks.painting import PhotoToPainting

    seen = []

    def fake(self, image, options, ctx):
        seen.append(((image.height, image.width), options["work_size"], options["degrain"]))
        return image

    monkeypatch.setattr(PhotoToPainting, "process", fake)
    data = tmp_path / "photos"
    data.mkdir()
    io.write(Image(scene(100, 150)), data / "p.png")
    report = tmp_path / "r.json"
    code = main(["eval", "painting", "--data", str(data), "--size", "48", "--input-size",
                 str(input_size), "--set", "work_size=full", "--set", "degrain=false",
                 "--report", str(report)])
    assert code == 0
    assert seen == [(given, 0, False)]
    rows = json.loads(report.read_text())
    assert rows[2]["structure"] == pytest.approx(1.0, abs=0.05)  # the photo, scored at 48
