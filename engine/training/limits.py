"""What a run's settings must satisfy, checked without Keras.

The crop side each kind's networks accept (a critic of ``d_layers`` strided layers needs crops
of at least ``3 * 2**d_layers`` pixels; SRGAN needs multiples of its scale, and of 16 once its
discriminator trains) and the option values a trainer refuses. The trainers' ``resolve`` and
the training wizard (through ``engine.api``) apply the same rules, so every setting the wizard
offers can train, and what it refuses comes with the trainer's own sentence.
"""

from __future__ import annotations

from engine.errors import UsageError
from engine.training import kinds, presets
from engine.training.spec import CropLimits

# Size options that must be whole numbers of at least 1 (a network of zero filters, blocks
# or layers cannot be built; zero validation images give no samples).
AT_LEAST_ONE = ("ngf", "ndf", "n_blocks", "width", "d_width", "d_dense", "latent_dim",
                "n_critic", "d_layers", "val_count")


def crop_limits(kind: str, options: dict) -> CropLimits:
    """The crop sides ``kind`` accepts with these (resolved) options.

    Args:
        kind: a training kind.
        options: every option of the kind (``presets.resolve_options``).
    """
    return kinds.get(kind).crop_limits(options)


def crop_problem(kind: str, options: dict, crop: int) -> str:
    """The sentence refusing ``crop`` for ``kind`` with ``options``, or ``""`` when it fits."""
    limits = crop_limits(kind, options)
    if limits.allows(crop):
        return ""
    if limits.fixed is not None:
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
    return kinds.get(kind).option_problem(options)


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
    sizes = kinds.get(kind).crop_sizes
    if sizes is not None:
        found = option_problem(kind, resolved)
        if not found and crop is not None and crop != sizes[resolved["arch"]]:
            found = crop_problem(kind, resolved, crop)
    else:
        found = problem(kind, resolved, crop or chosen.crop)
    if found:
        raise UsageError(found)
    return resolved
