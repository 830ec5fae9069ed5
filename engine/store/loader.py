"""Builds a stored model and loads its checked weights (Keras imported here, lazily)."""

from __future__ import annotations

import warnings

from engine import backend
from engine.errors import ModelError
from engine.store.manifest import Manifest, verify

_CACHE: dict[tuple[str, str], object] = {}


def load_model(manifest: Manifest):
    """The Keras model for ``manifest``, sha256-checked, cached per (id, sha256).

    Raises:
        ModelError: missing or corrupt file, or weights that do not fit the architecture.
    """
    key = (manifest.id, manifest.sha256)
    if key not in _CACHE:
        verify(manifest)
        _CACHE[key] = _build(manifest)
    return _CACHE[key]


def _build(manifest: Manifest):
    keras = backend.keras()
    if manifest.arch == "keras_file":
        try:
            return keras.saving.load_model(manifest.weights_path, safe_mode=True, compile=False)
        except Exception as exc:  # Keras raises many types for a bad file
            raise ModelError(f"Model '{manifest.id}' could not be loaded from "
                             f"{manifest.weights_path.name}: {exc}") from None
    from engine.models import build
    from engine.store.weights import load_weights

    try:
        model = build(manifest.arch, **manifest.config)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"Model '{manifest.id}' has an unusable architecture "
                         f"({manifest.arch}, {manifest.config}): {exc}") from None
    if manifest.file.endswith(".weights.h5"):
        try:
            # Keras only warns when a layer's weights are absent and keeps random ones; a
            # model must never run half-random, so every warning is an error here.
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                model.load_weights(manifest.weights_path)
        except Exception as exc:
            raise ModelError(f"Model '{manifest.id}': its weights do not fit the "
                             f"{manifest.arch} architecture ({exc}).") from None
    else:
        load_weights(model, manifest.weights_path)
    return model


def clear_cache() -> None:
    """Forget loaded models (after a model is removed or replaced)."""
    _CACHE.clear()
