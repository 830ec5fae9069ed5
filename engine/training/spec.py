"""What a training kind is: ``KindSpec``, the one record each ``engine/training/kinds/<kind>.py``
declares (plain data and small functions; no Keras, no OpenCV at import time).

Everything that differs between kinds lives in its spec: the data layout and dataset, the
trainer module, option defaults and presets, the seconds-per-step model, the crop and option
rules, the degradation preview and the wizard's labels and help. ``presets``, ``datasets``,
``survey``, ``limits``, ``runner``, ``trainers`` and the wizard (through ``engine.api``) read
it instead of switching on the kind's name.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

# Data layouts (``KindSpec.layout``):
PHOTOS_OR_PAIRS = "photos_or_pairs"  # sharp photos degraded on the fly, or paired sub-folders
TWO_FOLDERS = "two_folders"  # unpaired domains A (data) and B (data_b)
ONE_FOLDER = "one_folder"  # one folder of images, each resized to the model's square size
LAYOUTS = (PHOTOS_OR_PAIRS, TWO_FOLDERS, ONE_FOLDER)


@dataclass(frozen=True)
class Preset:
    """A run length and model size.

    Attributes:
        steps: generator updates.
        batch: images per update.
        crop: training crop side in pixels (the high-resolution side for upscale; the image
            size for dcgan).
        sample_every: steps between sample grids and validation (and best checkpoints).
        checkpoint_every: steps between ``checkpoints/last`` saves.
        options: overrides of the kind's defaults (model size, stages).
    """

    steps: int
    batch: int
    crop: int
    sample_every: int
    checkpoint_every: int
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CropLimits:
    """The crop sides a kind accepts with given options.

    Attributes:
        minimum: the smallest usable side in pixels (already a multiple of ``multiple``).
        multiple: every side must be a multiple of this.
        fixed: the one side the architecture makes (dcgan), else ``None``.
        rule: the rule as a sentence (without the value given).
    """

    minimum: int
    multiple: int
    fixed: int | None = None
    rule: str = ""

    def allows(self, crop: int) -> bool:
        """Whether ``crop`` is a usable side."""
        if self.fixed is not None:
            return crop == self.fixed
        return crop >= self.minimum and crop % self.multiple == 0


@dataclass(frozen=True)
class WizardChoice:
    """One entry of the training wizard's first page.

    Attributes:
        paired: ``True`` real pairs, ``False`` synthetic degradation, ``None`` n/a.
        title: the radio button's text.
        needs: one sentence on the data it needs.
        folder_a, folder_b: labels of the folder fields (``folder_b`` empty: one folder).
    """

    paired: bool | None
    title: str
    needs: str
    folder_a: str
    folder_b: str = ""


def _no_problem(options: dict) -> str:
    return ""


def _one(options: dict) -> float:
    return 1.0


@dataclass(frozen=True)
class KindSpec:
    """One training kind, declared once in ``engine/training/kinds/<name>.py`` as ``SPEC``.

    Attributes:
        name: the kind (``photogan train NAME``); the module's file name.
        order: position in lists (CLI choices, wizard), lowest first.
        cli_help: the kind's line(s) in ``photogan train --help`` (after the name).
        layout: one of ``LAYOUTS`` (what folders it reads, see ``engine.training.datasets``).
        scale: output size / input size of its pairs (upscale 4, else 1).
        degrade: synthetic degradation of sharp photos: ``"blur"``, ``"downscale"`` or ``""``.
        trainer: the module defining its ``Trainer`` (imported on first use: it imports keras).
        defaults: every trainer option with its default (the published full-size settings).
        presets: ``quick``, ``standard`` and ``long`` ``Preset``s.
        seconds_per_step: measured seconds of a quick-preset step on 2 CPU cores.
        work_factor: ``options -> float``, extra work per step beyond ``batch x crop^2 x
            width^2 x depth`` (SRGAN's GAN stage).
        crop_sizes: ``arch option -> side`` when the architecture fixes the image size
            (dcgan), else ``None`` (the crop is free).
        crop_limits: ``options -> CropLimits`` (the crop sides its networks accept).
        option_problem: ``options -> str``: the sentence refusing a kind-specific option
            value, or ``""``.
        run_dataset: ``(data, data_b, crop, seed, options) -> Dataset | None``: a dataset
            other than the layout's for these folders (deblur: a GPU kit), or ``None``.
        preview_caption: the degradation preview's caption (``{n}``: the example number).
        choices: the wizard's entries for this kind.
        sample_heading: what the rows of its sample grids show (wizard).
        width_option, blocks_option: the options behind the wizard's width and blocks
            boxes (``blocks_option`` empty: no blocks box).
    """

    name: str
    order: int
    cli_help: str
    layout: str
    trainer: str
    defaults: dict
    presets: dict[str, Preset]
    seconds_per_step: float
    crop_limits: Callable[[dict], CropLimits]
    scale: int = 1
    degrade: str = ""
    work_factor: Callable[[dict], float] = _one
    crop_sizes: dict[str, int] | None = None
    option_problem: Callable[[dict], str] = _no_problem
    run_dataset: Callable | None = None
    preview_caption: str = ""
    choices: tuple[WizardChoice, ...] = ()
    sample_heading: str = ""
    width_option: str = "ngf"
    blocks_option: str = ""

    @property
    def fixed_crop(self) -> bool:
        """Whether the architecture, not the user, decides the crop (dcgan)."""
        return self.crop_sizes is not None


def round_up(value: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that is at least ``value``."""
    return int(math.ceil(value / multiple) * multiple)


def critic_crop_limits(kind: str, options: dict, multiple: int, critic: str) -> CropLimits:
    """Crops for a ``d_layers``-layer strided critic: at least ``3 * 2**d_layers`` pixels and
    a multiple of ``multiple`` (deblur, cyclegan)."""
    from engine.imaging.io import MIN_SIDE

    layers = int(options["d_layers"])
    least = 3 * 2 ** max(0, layers)
    rule = (f"{kind} crops must be a multiple of {multiple} and at least {least} pixels "
            f"for a {layers}-layer {critic}")
    return CropLimits(round_up(max(least, MIN_SIDE), multiple), multiple, None, rule)


def choice_problem(name: str, value, allowed, label: str = "") -> str:
    """``"<label or name> must be one of ..., got ...".`` unless ``value`` is in ``allowed``."""
    if value in allowed:
        return ""
    return f"{label or name} must be one of {', '.join(allowed)}, got {value!r}."
