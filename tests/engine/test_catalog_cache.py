"""The model catalog is read from disk once and again only when the store changes."""

from __future__ import annotations

import json
import shutil

from engine.store import catalog


def _write(folder, model_id: str, title: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"id": model_id, "task": "deblur", "arch": "deblurgan", "config": {},
                "input_range": "-1,1", "output_range": "-1,1", "scale": 1, "size_multiple": 4,
                "file": "weights.npz", "source": "trained", "title": title}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def test_catalog_reads_manifests_once_until_the_store_changes(store, monkeypatch):
    reads = []
    real = catalog.load_manifest
    monkeypatch.setattr(catalog, "load_manifest", lambda f: reads.append(f.name) or real(f))
    _write(store / "a", "a")
    assert [m.id for m in catalog.list_models()] == ["a"]
    assert [m.id for m in catalog.list_models("deblur")] == ["a"]
    assert catalog.find("deblur").id == "a"
    assert reads == ["a"]  # three look-ups, one read

    _write(store / "b", "b")  # a new model
    assert [m.id for m in catalog.list_models()] == ["a", "b"]
    _write(store / "a", "a", title="renamed on disk")  # an edited manifest (size changes)
    assert catalog.get("a").title == "renamed on disk"
    shutil.rmtree(store / "b")  # a removed model
    assert [m.id for m in catalog.list_models()] == ["a"]


def test_changing_a_returned_manifest_does_not_change_the_cache(store):
    _write(store / "a", "a", title="kept")
    catalog.get("a").title = "changed by a caller"
    assert catalog.get("a").title == "kept"
