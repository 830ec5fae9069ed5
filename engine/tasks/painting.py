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

**Detail step** (``match_detail``, on by default; again only for models whose card names their
painting): the grid average softens the generator's strokes; their fine contrast is brought
back up to the painting's (``engine.tasks.stroke_detail``, an unsharp mask whose amount is
measured per image).

**Working size** (``work_size``): the generator paints strokes as wide as it learned them on
its training photos (512-896 px long side), so it runs on the photo brought to this long side
and the result is brought back to the photo's exact size (``engine.tasks.photo_size``); at
full size a large photo's strokes shrink to a pixel grain. 0 (or ``full``) runs at full size.

**Degrain** (``degrain``, on by default): the generators' two stride-2 stages print a fine
mesh locked to their pixel grid (a peak at a period of 4 px, the same at every input size).
The generator runs on the photo shifted by 0 and 2 px along each axis (``GRID_SHIFTS``) and
the four outputs, shifted back, are averaged: strokes follow the picture and stay, the mesh
follows the grid and cancels ("cycle spinning", Coifman & Donoho 1995). Four times the work.

**Keep colours** (``keep_colors``, ``photo2monet``): the painting's light and brushwork (the
luma of the output, after the palette step) with the photo's own full-size colours, the style
task's ``keep_colors`` (``photo_size.back_to_photo``).
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from engine.events import ProgressFn, TileProgress
from engine.imaging.image import Image
from engine.imaging.tiling import TilingPolicy
from engine.store.manifest import Manifest
from engine.style import features
from engine.style.palette import match_moments
from engine.tasks import photo_size
from engine.tasks.model_task import ModelTask
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, register
from engine.tasks.stroke_detail import match_detail

# The painting's colours are read at this long side at most (its statistics, not its detail).
PALETTE_SIDE = 512
# Default working long side of the generators (measured in docs/MODELS.md).
WORK_SIZE = 768
# Offsets (rows, columns) of the generator's input averaged by ``degrain``: the phases 0 and 2
# of its total stride of 4 along each axis.
GRID_SHIFTS = ((0, 0), (0, 2), (2, 0), (2, 2))


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


class CycleGanTask(ModelTask):
    """A CycleGAN generator between photos and paintings, run at a working size and averaged
    over its stride grid (``work_size``, ``degrain``), its output brought back to the photo's
    exact size with the photo's alpha and metadata."""

    tiling = TilingPolicy(overlap=64)
    size_params = (
        Param("work_size", "int", WORK_SIZE, "Working size: long side in pixels the generator "
              "paints at (its strokes have the size it learned at this size; bigger photos "
              "are brought down to it and the result back up to the photo's size); 0 or "
              "'full': the photo's own size.", min=0, max=16384),
        Param("degrain", "bool", True, "Remove the fine mesh the generator prints over the "
              "picture by averaging it over four offsets of its pixel grid (4x the time)."),
    )

    def parse_options(self, given: dict) -> dict:
        if str(given.get("work_size", "")).strip().lower() == "full":
            given = {**given, "work_size": 0}
        return super().parse_options(given)

    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        work = photo_size.working_image(image, options["work_size"])
        if options["degrain"]:
            result = self.grid_averaged(work, options, ctx)
        else:
            result = self.run_model(work, options, ctx)
        result = self.finish(work, result, options, ctx)
        return photo_size.back_to_photo(image, result.pixels, options.get("keep_colors", False),
                                        ctx)

    def grid_averaged(self, image: Image, options: dict, ctx: RunContext) -> Image:
        """The mean of the generator's outputs for ``image`` shifted by ``GRID_SHIFTS``
        (reflect-padded at the top and left, the output cropped back), same shape and range
        as ``run_model``'s; progress counts the tiles of all passes."""
        total = None
        for index, (dy, dx) in enumerate(GRID_SHIFTS):
            padded = np.pad(image.pixels, ((dy, 0), (dx, 0), (0, 0)), mode="reflect")
            run = replace(ctx, progress=_pass_progress(ctx.progress, index, len(GRID_SHIFTS)))
            pixels = self.run_model(Image(pixels=padded), options, run).pixels
            part = pixels[pixels.shape[0] - image.height:, pixels.shape[1] - image.width:]
            if total is None:
                total = part.astype(np.float32, copy=True)
            else:
                total += part
        total /= len(GRID_SHIFTS)
        return image.with_pixels(total, image.alpha)


def _pass_progress(progress: ProgressFn, index: int, count: int) -> ProgressFn:
    """``progress`` for pass ``index`` of ``count`` equal passes: tile counts run on from the
    earlier passes' over the total of all."""
    def report(event) -> None:
        if isinstance(event, TileProgress) and event.total:
            event = replace(event, done=index * event.total + event.done,
                            total=count * event.total)
        progress(event)

    return report


@register
class PhotoToPainting(CycleGanTask):
    id = "photo2monet"
    title = "Photo to painting"
    description = ("Repaints a photo in a painter's style with a CycleGAN generator. The "
                   "shipped models learned from one painting each (Van Gogh's The Starry "
                   "Night, Stancikaite's Elephants; not Monet: no Monet paintings are "
                   "available offline); import the official style_monet.pth for Monet.")
    extra_params = (
        Param("match_palette", "bool", True, "Give the result the colours of the painting the "
              "model learned from (named in its model card); off: the generator's own "
              "colours. Models that name no painting are never recoloured."),
        Param("match_detail", "bool", True, "Give the result the crisp stroke edges of the "
              "painting the model learned from (its fine contrast, measured per photo; the "
              "mesh removal softens them); off: as the generator painted them."),
        *CycleGanTask.size_params,
        Param("keep_colors", "bool", False, "Keep the photo's own colours: only the "
              "painting's brushwork and light (brightness) are applied."),
    )

    def finish(self, source: Image, result: Image, options: dict, ctx: RunContext) -> Image:
        name = painting_name(self.manifest(options))
        palette, detail = options.get("match_palette", True), options.get("match_detail", True)
        if not name or not (palette or detail):
            return result
        pixels = result.pixels
        if palette:
            pixels = np.clip(match_moments(pixels, painting_pixels(name)), 0.0, 1.0)
        if detail:
            pixels = match_detail(pixels, painting_pixels(name))
        return result.with_pixels(pixels.astype(np.float32), result.alpha)


@register
class PaintingToPhoto(CycleGanTask):
    id = "monet2photo"
    title = "Painting to photo"
    description = ("Turns a painting into a photo-like image with a CycleGAN generator. The "
                   "shipped models learned the way back from one painting each; import the "
                   "official monet2photo.pth for Monet.")
    extra_params = CycleGanTask.size_params
