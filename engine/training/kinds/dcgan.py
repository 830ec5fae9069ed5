"""Sampler (DCGAN): one folder of similar images -> task ``sample`` (new images from random
codes). The architecture fixes the image size (``SIZES``); greyscale folders give one channel.
"""

from __future__ import annotations

from engine.training.spec import ONE_FOLDER, CropLimits, KindSpec, Preset, WizardChoice

SIZES = {"dcgan64": 64, "dcgan28": 28}


def crop_limits(options: dict) -> CropLimits:
    """The one side the architecture makes."""
    size = SIZES.get(options["arch"])
    return CropLimits(size or 0, 1, size, f"{options['arch']} makes {size}x{size} images")


def option_problem(options: dict) -> str:
    """A known architecture."""
    if options["arch"] in SIZES:
        return ""
    return f"arch must be one of {', '.join(SIZES)}, got {options['arch']!r}."


SPEC = KindSpec(
    name="dcgan",
    order=40,
    cli_help="one folder of images                                 -> task sample",
    layout=ONE_FOLDER,
    trainer="engine.training.trainers.dcgan",
    defaults={
        "arch": "dcgan64", "latent_dim": 100, "ngf": 64, "ndf": 64, "dropout": 0.3,
        "lr": 1e-4, "beta_1": 0.9, "beta_2": 0.999, "decay_start": 1.0,
        "val_count": 16,  # a 4x4 grid of samples
    },
    presets={
        "quick": Preset(2000, 16, 64, 100, 100, {"ngf": 16, "ndf": 16}),
        "standard": Preset(5000, 32, 64, 500, 500, {"ngf": 32, "ndf": 32}),
        "long": Preset(20000, 64, 64, 1000, 1000, {"ngf": 64, "ndf": 64}),
    },
    seconds_per_step=0.03,
    crop_sizes=SIZES,
    crop_limits=crop_limits,
    option_problem=option_problem,
    choices=(
        WizardChoice(None, "Sampler (new images)",
                     "One folder of similar images (faces, textures, products); the model "
                     "learns to invent new ones.", "Images"),
    ),
    sample_heading="new images from fixed random codes",
    width_option="ngf",
)
