"""``photo2monet`` and ``monet2photo``: CycleGAN generators between photos and paintings.

The names follow the CycleGAN paper's monet2photo data set, whose official generators users can
import. What a shipped model was trained on is stated in its model card, shown with the task.

**Palette step** (``match_palette``, on by default): a generator trained on one painting learns
its brushwork but its colours only roughly. When the model card names its painting
(``card["painting"]``, a bundled style name such as ``starry_night``), each Lab channel of the
output is then given the painting's mean and spread (``engine.style.palette.match_moments``,
Reinhard et al. 2001): a linear map per channel, which moves no outline and no stroke. The
histogram match the style task adds was measured and left out: on the flat ``city`` wallpaper
it bands smooth gradients into new edges (docs/MODELS.md). Models whose card names no painting
(imported official generators, the user's own) are left as they are.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from engine.imaging.image import Image
from engine.imaging.tiling import TilingPolicy
from engine.store.manifest import Manifest
from engine.style import features
from engine.style.palette import match_moments
from engine.tasks.model_task import ModelTask
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, register

# The painting's colours are read at this long side at most (its statistics, not its detail).
PALETTE_SIDE = 512


def painting_name(manifest: Manifest | None) -> str:
    """The bundled style a model was trained on (its card's ``painting``), or ``""`` when the
    card names none or names a style this installation does not have."""
    name = str(((manifest.card or {}) if manifest else {}).get("painting", "")).strip()
    return name if name in features.bundled_styles() else ""


def model_for_painting(name: str) -> str:
    """The id of a ``photo2monet`` model whose card names painting ``name`` (the default one
    first), or ``""`` when none does."""
    from engine.store import catalog

    models = [m for m in catalog.list_models(PhotoToPainting.id)
              if str((m.card or {}).get("painting", "")) == name]
    models.sort(key=lambda m: not m.default)
    return models[0].id if models else ""


def painting_pixels(name: str) -> np.ndarray:
    """The bundled painting ``name`` as ``(H, W, 3)`` RGB float32 in ``[0, 1]``, long side at
    most ``PALETTE_SIDE``."""
    return _painting_file(str(features.bundled_styles()[name]))


@lru_cache(maxsize=4)
def _painting_file(path: str) -> np.ndarray:
    from engine.imaging import io
    from engine.imaging.resample import resize_to

    pixels = io.read(path).pixels
    height, width = pixels.shape[:2]
    scale = PALETTE_SIDE / max(height, width)
    if scale < 1:
        pixels = resize_to(pixels, round(width * scale), round(height * scale), "area")
    return np.clip(pixels, 0.0, 1.0).astype(np.float32)


@register
class PhotoToPainting(ModelTask):
    id = "photo2monet"
    title = "Photo to painting"
    description = ("Repaints a photo in a painter's style with a CycleGAN generator. The "
                   "shipped models learned from one painting each (Van Gogh's The Starry "
                   "Night, Stancikaite's Elephants; not Monet: no Monet paintings are "
                   "available offline); import the official style_monet.pth for Monet.")
    tiling = TilingPolicy(overlap=64)
    extra_params = (
        Param("match_palette", "bool", True, "Give the result the colours of the painting the "
              "model learned from (named in its model card); off: the generator's own "
              "colours. Models that name no painting are never recoloured."),
    )

    def finish(self, source: Image, result: Image, options: dict, ctx: RunContext) -> Image:
        name = painting_name(self.manifest(options))
        if not options.get("match_palette", True) or not name:
            return result
        pixels = match_moments(result.pixels, painting_pixels(name))
        return result.with_pixels(np.clip(pixels, 0.0, 1.0).astype(np.float32), result.alpha)


@register
class PaintingToPhoto(ModelTask):
    id = "monet2photo"
    title = "Painting to photo"
    description = ("Turns a painting into a photo-like image with a CycleGAN generator. The "
                   "shipped models learned the way back from one painting each; import the "
                   "official monet2photo.pth for Monet.")
    tiling = TilingPolicy(overlap=64)
