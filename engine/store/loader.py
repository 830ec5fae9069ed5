"""Builds a stored model and loads its checked weights (Keras imported here, lazily)."""

from __future__ import annotations

import contextlib
import os
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
        # A .keras file names PhotoGAN's custom layers ("photogan>ReflectionPadding2D", ...);
        # Keras finds them only once the module that registers them has been imported.
        import engine.models.layers  # noqa: F401

        try:
            return keras.saving.load_model(manifest.weights_path, safe_mode=True, compile=False)
        except Exception as exc:  # Keras raises many types for a bad file
            raise ModelError(f"Model '{manifest.id}' could not be loaded from "
                             f"{manifest.weights_path.name}: {exc}") from None
    from engine.models import build
    from engine.store.weights import load_weights

    if manifest.arch == "vgg19_features":
        from engine.models.vgg import build_vgg19_features

        return build_vgg19_features(weights_path=manifest.weights_path)

    try:
        with inference_precision(keras):
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


def use_mixed_precision() -> bool:
    """Half-precision compute (float32 weights) on a GPU; ``PHOTOGAN_MIXED_PRECISION=0|1``
    overrides the automatic choice."""
    forced = os.environ.get("PHOTOGAN_MIXED_PRECISION")
    if forced in ("0", "1"):
        return forced == "1"
    return backend.has_gpu()


@contextlib.contextmanager
def inference_precision(keras):
    """Build under the ``mixed_float16`` policy when ``use_mixed_precision()``, then restore."""
    previous = keras.config.dtype_policy()
    if use_mixed_precision():
        keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def clear_cache() -> None:
    """Forget loaded models (after a model is removed or replaced)."""
    _CACHE.clear()
