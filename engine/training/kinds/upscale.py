"""Upscale 4x (SRGAN): sharp photos downscaled on the fly, or ``lr/`` + ``hr/`` pairs ->
task ``upscale``. Training has a pixel-loss stage, then (``stage1_fraction`` on) the GAN stage.
"""

from __future__ import annotations

from engine.training.spec import (
    PHOTOS_OR_PAIRS,
    CropLimits,
    KindSpec,
    Preset,
    WizardChoice,
    choice_problem,
    round_up,
)

SCALE = 4
DISCRIMINATOR_MULTIPLE = 16  # the SRGAN discriminator halves the crop four times
GAN_STAGE_COST = 7.5  # a GAN-stage step costs about this many pixel-stage steps
PIXEL_LOSSES = ("mse", "l1")
DEGRADATIONS = ("realistic", "clean")


def crop_limits(options: dict) -> CropLimits:
    """Multiples of the scale, and of 16 once the discriminator trains."""
    from engine.imaging.io import MIN_SIDE

    if float(options["stage1_fraction"]) < 1.0:
        multiple = DISCRIMINATOR_MULTIPLE
        rule = (f"the SRGAN discriminator needs crops that are a multiple of "
                f"{DISCRIMINATOR_MULTIPLE}")
    else:
        multiple, rule = SCALE, f"upscale crops must be a multiple of {SCALE}"
    return CropLimits(round_up(MIN_SIDE, multiple), multiple, None, rule)


def option_problem(options: dict) -> str:
    """Known pixel loss and degradation; ``stage1_fraction`` in ``[0, 1]``."""
    found = (choice_problem("pixel_loss", options["pixel_loss"], PIXEL_LOSSES)
             or choice_problem("degradation", options["degradation"], DEGRADATIONS))
    if not found and not 0.0 <= options["stage1_fraction"] <= 1.0:
        found = f"stage1_fraction must be in [0, 1], got {options['stage1_fraction']!r}."
    return found


def work_factor(options: dict) -> float:
    """The GAN stage's share of the run costs ``GAN_STAGE_COST`` times a pixel step."""
    gan = 1.0 - options["stage1_fraction"]
    return options["stage1_fraction"] + GAN_STAGE_COST * gan


SPEC = KindSpec(
    name="upscale",
    order=20,
    cli_help="sharp photos (downscaled 4x on the fly) or lr/ + hr/ -> task upscale",
    layout=PHOTOS_OR_PAIRS,
    scale=SCALE,
    degrade="downscale",
    trainer="engine.training.trainers.srgan",
    defaults={
        "n_blocks": 16, "width": 64, "batch_norm": True, "skip": "none",
        "d_width": 64, "d_dense": 1024,
        "stage1_fraction": 0.5, "pixel_loss": "mse", "degradation": "realistic",
        "plain_crops": 0.0,
        "content": "auto", "content_layer": "block5_conv4", "content_weight": 1.0,
        "vgg19_weights": "",
        "adv_weight": 1e-3,
        "lr": 1e-4, "beta_1": 0.9, "beta_2": 0.999, "decay_start": 0.5,
        "final_lr_fraction": 0.1,
    },
    presets={
        "quick": Preset(2000, 4, 64, 100, 100, {"n_blocks": 4, "width": 32,
                                                 "stage1_fraction": 1.0}),
        "standard": Preset(3000, 4, 64, 250, 250, {"n_blocks": 6, "width": 48, "d_width": 32,
                                                   "d_dense": 256}),
        "long": Preset(20000, 4, 96, 1000, 1000, {"n_blocks": 8, "width": 64, "d_width": 32,
                                                  "d_dense": 256}),
    },
    seconds_per_step=0.04,
    work_factor=work_factor,
    crop_limits=crop_limits,
    option_problem=option_problem,
    preview_caption=("Example {n}: a 4x smaller copy (shown enlarged) the model learns to "
                     "upscale back to the original."),
    choices=(
        WizardChoice(False, "Upscale 4x, from sharp photos",
                     "One folder of detailed photos; PhotoGAN shrinks copies 4x and learns to "
                     "enlarge them again.", "Detailed photos"),
        WizardChoice(True, "Upscale 4x, from real pairs",
                     "One folder with sub-folders lr/ (small) and hr/ (4x larger) holding the "
                     "same file names.", "Pairs folder"),
    ),
    sample_heading="each row input | output | target",
    width_option="width",
    blocks_option="n_blocks",
)
