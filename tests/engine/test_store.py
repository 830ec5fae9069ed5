"""The model store: manifests, checksums, defaults, import of Keras files, removal."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine import api
from engine.errors import ModelError, UsageError
from engine.models import build
from engine.store import catalog
from engine.store.loader import load_model
from tests.engine.store_helpers import TINY, tiny_model


def test_added_model_is_listed_and_loads_identically(store):
    manifest = tiny_model("deblur", "tiny-deblur", steps=3)
    rows = api.list_models("deblur")
    assert [r.id for r in rows] == ["tiny-deblur"]
    assert rows[0].card == {"steps": 3}
    saved = json.loads((store / "tiny-deblur" / "manifest.json").read_text())
    assert saved["sha256"] == manifest.sha256 and saved["size_multiple"] == 4
    model = load_model(catalog.find("deblur"))
    x = np.random.default_rng(0).uniform(-1, 1, (1, 16, 16, 3)).astype("float32")
    arch, config = TINY["deblur"]
    assert model.count_params() == build(arch, **config).count_params()
    assert np.isfinite(model.predict_on_batch(x)).all()


def test_tampered_weights_fail_the_checksum(store):
    manifest = tiny_model("deblur", "tiny-deblur")
    data = bytearray(manifest.weights_path.read_bytes())
    data[-10] ^= 0xFF
    manifest.weights_path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="checksum"):
        api.verify_model("tiny-deblur")


def test_default_and_named_selection(store):
    tiny_model("deblur", "first")
    tiny_model("deblur", "second", seed=1)
    assert catalog.find("deblur").id == "first"
    assert catalog.find("deblur", "second").id == "second"
    with pytest.raises(UsageError, match="first, second"):
        catalog.find("deblur", "third")


def test_ids_are_unique_and_well_formed(store):
    tiny_model("deblur", "dup")
    with pytest.raises(UsageError, match="already exists"):
        tiny_model("deblur", "dup")
    with pytest.raises(UsageError, match="letters"):
        catalog.check_new_id("../escape")


def test_import_keras_file_and_weights_file(store, tmp_path):
    import keras

    arch, config = TINY["upscale"]
    keras.utils.set_random_seed(1)
    model = build(arch, **config)
    model.save(tmp_path / "mine.keras")
    row = api.import_model(tmp_path / "mine.keras", "upscale", "mine")
    assert row.source == "imported" and row.scale == 4
    x = np.random.default_rng(0).uniform(0, 1, (1, 8, 8, 3)).astype("float32")
    loaded = load_model(catalog.get("mine"))
    np.testing.assert_allclose(loaded.predict_on_batch(x), model.predict_on_batch(x), atol=1e-6)


def test_import_weights_of_wrong_architecture_is_refused(store, tmp_path):
    arch, config = TINY["upscale"]
    build(arch, **config).save_weights(tmp_path / "small.weights.h5")
    with pytest.raises(ModelError, match="do not fit"):
        api.import_model(tmp_path / "small.weights.h5", "upscale", "small")
    assert api.list_models() == []
    assert not (store / "small").exists()


def test_import_rejects_unknown_file_types_and_tasks(store, tmp_path):
    (tmp_path / "x.pt").write_bytes(b"nope")
    with pytest.raises(UsageError, match="weights.h5 or official .pth"):
        api.import_model(tmp_path / "x.pt", "deblur")
    with pytest.raises(UsageError, match="no importable models"):
        api.import_model(tmp_path / "x.pt", "sharpen")


def test_remove_user_model(store):
    tiny_model("deblur", "gone")
    api.remove_model("gone")
    assert api.list_models() == []
    with pytest.raises(UsageError):
        api.remove_model("gone")


def test_shipped_models_cannot_be_removed(store, tmp_path):
    from engine.store.importers import add_model

    arch, config = TINY["deblur"]
    add_model(build(arch, **config), "deblur", "shipped-one", arch, config, source="shipped",
              root=catalog.shipped_dir())
    with pytest.raises(UsageError, match="ships with PhotoGAN"):
        api.remove_model("shipped-one")


def test_import_vgg19_for_style(store, tmp_path, monkeypatch):
    from engine.store import vgg19
    from engine.style import features
    from tests.engine.test_style import write_fake_vgg19

    fake = tmp_path / features.VGG19_NOTOP_FILE
    write_fake_vgg19(fake)
    with pytest.raises(ModelError, match="checksum"):
        api.import_model(fake, "style")
    monkeypatch.setattr(vgg19, "TRUSTED_VGG19_MD5", frozenset({vgg19.file_md5(fake)}))
    row = api.import_model(fake, "style")
    assert row.id == "vgg19" and row.task == "style"
    assert features.find_vgg19_weights() is not None
    api.verify_model("vgg19")
