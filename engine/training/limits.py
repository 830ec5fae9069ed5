"""What a run's settings must satisfy, checked without Keras.

The crop side each kind's networks accept (a critic of ``d_layers`` strided layers needs crops
of at least ``3 * 2**d_layers`` pixels; SRGAN needs multiples of its scale, and of 16 once its
discriminator trains) and the option values a trainer refuses. The trainers' ``resolve`` and
the training wizard (through ``engine.api``) apply the same rules, so every setting the wizard
offers can train, and what it refuses comes with the trainer's own sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine.errors import UsageError
from engine.imaging import io
from engine.training import presets

UPSCALE_SCALE = 4
SRGAN_DISCRIMINATOR_MULTIPLE = 16
DCGAN_SIZES = {"dcgan64": 64, "dcgan28": 28}
PIXEL_LOSSES = ("mse", "l1")
DEGRADATIONS = ("realistic", "clean")
DEBLUR_ARCHES = ("deblurgan", "deblur_unet")
DEBLUR_DEGRADATIONS = ("mild", "heavy", "mixed")
UNET_MULTIPLE = 8  # deblur_unet halves the resolution three times
CRITIC_NORMS = ("instance", "none")
# Size options that must be whole numbers of at least 1 (a network of zero filters, blocks
# or layers cannot be built; zero validation images give no samples).
AT_LEAST_ONE = ("ngf", "ndf", "n_blocks", "width", "d_width", "d_dense", "latent_dim",
                "n_critic", "d_layers", "val_count")


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


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple) * multiple)


def crop_limits(kind: str, options: dict) -> CropLimits:
    """The crop sides ``kind`` accepts with these (resolved) options.

    Args:
        kind: a training kind.
        options: every option of the kind (``presets.resolve_options``).
    """
    presets.check_kind(kind)
    if kind in ("deblur", "cyclegan"):
        layers = int(options["d_layers"])
        least = 3 * 2 ** max(0, layers)
        critic = "critic" if kind == "deblur" else "PatchGAN"
        multiple = UNET_MULTIPLE if options.get("arch") == "deblur_unet" else 4
        rule = (f"{kind} crops must be a multiple of {multiple} and at least {least} pixels "
                f"for a {layers}-layer {critic}")
        return CropLimits(_round_up(max(least, io.MIN_SIDE), multiple), multiple, None, rule)
    if kind == "upscale":
        if float(options["stage1_fraction"]) < 1.0:
            multiple = SRGAN_DISCRIMINATOR_MULTIPLE
            rule = (f"the SRGAN discriminator needs crops that are a multiple of "
                    f"{SRGAN_DISCRIMINATOR_MULTIPLE}")
        else:
            multiple, rule = UPSCALE_SCALE, f"upscale crops must be a multiple of {UPSCALE_SCALE}"
        return CropLimits(_round_up(io.MIN_SIDE, multiple), multiple, None, rule)
    size = DCGAN_SIZES.get(options["arch"])
    return CropLimits(size or 0, 1, size, f"{options['arch']} makes {size}x{size} images")


def crop_problem(kind: str, options: dict, crop: int) -> str:
    """The sentence refusing ``crop`` for ``kind`` with ``options``, or ``""`` when it fits."""
    limits = crop_limits(kind, options)
    if limits.allows(crop):
        return ""
    if kind == "dcgan":
        return f"{limits.rule}; use a crop of {limits.fixed}."
    return f"{limits.rule}; got {crop}."


def option_problem(kind: str, options: dict) -> str:
    """The sentence refusing an option value of ``kind``, or ``""`` when all fit."""
    for name in AT_LEAST_ONE:
        value = options.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            return f"Option '{name}' must be a whole number of at least 1, got {value!r}."
    if options.get("lr") is not None and not options["lr"] > 0:
        return f"Option 'lr' (learning rate) must be above 0, got {options['lr']!r}."
    if kind == "deblur" and options["d_norm"] not in CRITIC_NORMS:
        if options["d_norm"] == "batch":
            return "d_norm cannot be 'batch' for a WGAN-GP critic; use 'instance' or 'none'."
        return f"d_norm must be one of {', '.join(CRITIC_NORMS)}, got {options['d_norm']!r}."
    if kind == "deblur":
        if options["arch"] not in DEBLUR_ARCHES:
            return (f"deblur arch must be one of {', '.join(DEBLUR_ARCHES)}, got "
                    f"{options['arch']!r}.")
        if options["degradation"] not in DEBLUR_DEGRADATIONS:
            return (f"deblur degradation must be one of {', '.join(DEBLUR_DEGRADATIONS)}, "
                    f"got {options['degradation']!r}.")
    if kind == "upscale":
        if options["pixel_loss"] not in PIXEL_LOSSES:
            return (f"pixel_loss must be one of {', '.join(PIXEL_LOSSES)}, got "
                    f"{options['pixel_loss']!r}.")
        if options["degradation"] not in DEGRADATIONS:
            return (f"degradation must be one of {', '.join(DEGRADATIONS)}, got "
                    f"{options['degradation']!r}.")
        if not 0.0 <= options["stage1_fraction"] <= 1.0:
            return f"stage1_fraction must be in [0, 1], got {options['stage1_fraction']!r}."
    if kind == "dcgan" and options["arch"] not in DCGAN_SIZES:
        return f"arch must be one of {', '.join(DCGAN_SIZES)}, got {options['arch']!r}."
    return ""


def problem(kind: str, options: dict, crop: int) -> str:
    """The first of ``option_problem`` and ``crop_problem``, or ``""``."""
    return option_problem(kind, options) or crop_problem(kind, options, crop)


def resolved_options(kind: str, preset_name: str, options: dict | None) -> dict:
    """Every option of a new run: defaults < preset < ``options`` (parsed; ``UsageError``
    for unknown names or values of the wrong type)."""
    return presets.resolve_options(kind, preset_name,
                                   presets.parse_options(kind, dict(options or {})))


def check_settings(kind: str, preset_name: str, steps: int | None = None,
                   batch: int | None = None, crop: int | None = None,
                   options: dict | None = None) -> dict:
    """Check a new run's settings as training will, without Keras or data.

    Args:
        kind, preset_name: the training kind and its preset (the defaults).
        steps, batch, crop: ``None`` for the preset's (dcgan's crop: the architecture's).
        options: trainer options by name (strings or typed values).

    Returns:
        The resolved options.

    Raises:
        UsageError: the first problem, as a sentence.
    """
    chosen = presets.preset(kind, preset_name)
    resolved = resolved_options(kind, preset_name, options)
    for name, value in (("steps", steps), ("batch", batch), ("crop", crop)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise UsageError(f"{name} must be a whole number of at least 1, got {value!r}.")
    if kind == "dcgan":
        found = option_problem(kind, resolved)
        if not found and crop is not None and crop != DCGAN_SIZES[resolved["arch"]]:
            found = crop_problem(kind, resolved, crop)
    else:
        found = problem(kind, resolved, crop or chosen.crop)
    if found:
        raise UsageError(found)
    return resolved
