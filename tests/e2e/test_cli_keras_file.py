"""A ``.keras`` file that uses PhotoGAN's registered custom layers runs through the CLI in a
fresh process, where nothing else has imported the module that registers them."""

from __future__ import annotations

from PIL import Image

from tests.e2e.helpers import photo_like, save_rgb


def test_a_keras_file_with_custom_layers_runs(photogan, tmp_path, monkeypatch):
    import keras

    from engine.models import build
    from engine.store.importers import import_file
    from engine.store.loader import clear_cache

    keras.utils.set_random_seed(0)
    model = build("deblurgan", ngf=4, n_blocks=1, norm="instance")  # ReflectionPadding2D,
    path = tmp_path / "tiny.keras"                                    # InstanceNormalization
    model.save(path)
    monkeypatch.setenv("PHOTOGAN_HOME", str(tmp_path / "home"))  # the CLI's store
    import_file(path, "deblur", "tiny-file")
    clear_cache()
    src = save_rgb(tmp_path / "in" / "x.png", photo_like(32, 24))
    proc = photogan("run", "deblur", src, "-o", tmp_path / "out", "--set", "model=tiny-file")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert Image.open(tmp_path / "out" / "x_deblur.png").size == (32, 24)
