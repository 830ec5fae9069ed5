"""``deblur``: remove camera-shake and defocus blur with a DeblurGAN generator."""

from __future__ import annotations

from engine.tasks.model_task import ModelTask
from engine.tasks.registry import register


@register
class Deblur(ModelTask):
    id = "deblur"
    title = "Deblur"
    description = "Removes camera-shake and focus blur (DeblurGAN generator)."
    overlap = 48
