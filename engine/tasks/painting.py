"""``photo2monet`` and ``monet2photo``: CycleGAN generators between photos and paintings.

The names follow the CycleGAN paper's monet2photo data set, whose official generators users can
import. What a shipped model was trained on is stated in its model card, shown with the task.
"""

from __future__ import annotations

from engine.imaging.tiling import TilingPolicy
from engine.tasks.model_task import ModelTask
from engine.tasks.registry import register


@register
class PhotoToPainting(ModelTask):
    id = "photo2monet"
    title = "Photo to painting"
    description = ("Repaints a photo in a painter's style with a CycleGAN generator. The "
                   "shipped model learned from Van Gogh's The Starry Night (not Monet: no "
                   "Monet paintings are available offline); import the official "
                   "style_monet.pth for Monet.")
    tiling = TilingPolicy(overlap=64)


@register
class PaintingToPhoto(ModelTask):
    id = "monet2photo"
    title = "Painting to photo"
    description = ("Turns a painting into a photo-like image with a CycleGAN generator. The "
                   "shipped model learned the way back from Van Gogh's The Starry Night; "
                   "import the official monet2photo.pth for Monet.")
    tiling = TilingPolicy(overlap=64)
