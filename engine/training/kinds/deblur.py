"""Deblur (DeblurGAN, or the small ``deblur_unet``): sharp photos blurred on the fly, or
``A/`` (blurred) + ``B/`` (sharp) pairs -> task ``deblur``.

Why the generator defaults to ``norm="batch"``: shipped models run *tiled* on large photos.
Instance norm normalises each tile by that tile's own statistics, so a tile's output depends
on what else is in the tile and seams or tone shifts appear between tiles; batch norm in
inference mode uses fixed, learned statistics, so tiled and whole-image inference agree. The
WGAN-GP critic never uses batch norm (the gradient penalty is per sample): ``instance``
(DeblurGAN) or ``none``.
"""

from __future__ import annotations

from pathlib import Path

from engine.training.spec import (
    PHOTOS_OR_PAIRS,
    KindSpec,
    Preset,
    WizardChoice,
    choice_problem,
    critic_crop_limits,
)

ARCHES = ("deblurgan", "deblur_unet")
DEGRADATIONS = ("mild", "heavy", "mixed")
CRITIC_NORMS = ("instance", "none")
UNET_MULTIPLE = 8  # deblur_unet halves the resolution three times


def crop_limits(options: dict):
    """Crops for the critic, in multiples of 8 for ``deblur_unet`` (else 4)."""
    multiple = UNET_MULTIPLE if options.get("arch") == "deblur_unet" else 4
    return critic_crop_limits("deblur", options, multiple, "critic")


def option_problem(options: dict) -> str:
    """The critic's norm, the architecture and the degradation must be known ones."""
    if options["d_norm"] not in CRITIC_NORMS:
        if options["d_norm"] == "batch":
            return "d_norm cannot be 'batch' for a WGAN-GP critic; use 'instance' or 'none'."
        return choice_problem("d_norm", options["d_norm"], CRITIC_NORMS)
    return (choice_problem("arch", options["arch"], ARCHES, "deblur arch")
            or choice_problem("degradation", options["degradation"], DEGRADATIONS,
                              "deblur degradation"))


def run_dataset(data, data_b, crop: int, seed: int, options: dict):
    """A GPU kit folder (``make gpu-kit``: the heavy mix made on the device), else ``None``."""
    from engine.training.kit_dataset import KitDataset, is_kit

    if not is_kit(data):
        return None
    return KitDataset(Path(data), crop=crop, seed=seed,
                      plain_crops=options.get("plain_crops", 0.3),
                      bokeh_share=options.get("bokeh_share", 0.0))


SPEC = KindSpec(
    name="deblur",
    order=10,
    cli_help="sharp photos (blurred on the fly) or A/ + B/ pairs  -> task deblur",
    layout=PHOTOS_OR_PAIRS,
    degrade="blur",
    trainer="engine.training.trainers.deblur",
    defaults={
        "ngf": 64, "n_blocks": 9, "norm": "batch", "upsample": "resize_conv", "dropout": 0.0,
        "ndf": 64, "d_layers": 3, "d_norm": "instance",
        "n_critic": 5, "gp_weight": 10.0, "adv_weight": 1.0,
        "perceptual": "auto", "perceptual_weight": 100.0, "perceptual_layer": "block3_conv3",
        "vgg19_weights": "", "plain_crops": 0.3,
        "lr": 1e-4, "beta_1": 0.5, "beta_2": 0.999, "decay_start": 0.5,
        # arch "deblur_unet" (engine/models/deblur_unet.py) uses "width" instead of ngf and
        # n_blocks; degradation "heavy" trains on engine/training/heavy_blur.py's mix,
        # "mixed" on the same with a share of mild pairs (datasets.MIXED_MILD_SHARE);
        # bokeh_share of heavy/mixed targets get an out-of-focus background (soft_background).
        "arch": "deblurgan", "width": 24, "fft_weight": 0.0, "degradation": "mild",
        "bokeh_share": 0.0,
    },
    presets={
        "quick": Preset(1000, 2, 64, 100, 100, {"ngf": 16, "n_blocks": 3, "ndf": 16}),
        "standard": Preset(3000, 2, 96, 250, 250, {"ngf": 24, "n_blocks": 4, "ndf": 24}),
        "long": Preset(20000, 4, 128, 1000, 1000, {"ngf": 32, "n_blocks": 6, "ndf": 32}),
    },
    seconds_per_step=0.1,  # measured on photos
    crop_limits=crop_limits,
    option_problem=option_problem,
    run_dataset=run_dataset,
    preview_caption=("Example {n}: a blurred copy (camera shake, defocus, noise or JPEG) the "
                     "model learns to turn back into the original."),
    choices=(
        WizardChoice(False, "Deblur, from sharp photos",
                     "One folder of sharp photos; PhotoGAN blurs copies of them (camera shake, "
                     "defocus, noise, JPEG) and learns to undo it.", "Sharp photos"),
        WizardChoice(True, "Deblur, from real pairs",
                     "One folder with sub-folders A/ (blurred) and B/ (sharp) holding the same "
                     "file names.", "Pairs folder"),
    ),
    sample_heading="each row input | output | target",
    width_option="ngf",
    blocks_option="n_blocks",
)
