"""Photo <-> painting (CycleGAN): two unpaired folders -> ``NAME`` (task ``photo2monet``, A to
B) and ``NAME-inverse`` (task ``monet2photo``). It keeps the official instance norm (batch size
1 makes batch-norm statistics meaningless); its outputs can differ slightly between tiles.
"""

from __future__ import annotations

from dataclasses import replace

from engine.training.spec import TWO_FOLDERS, KindSpec, Preset, WizardChoice, critic_crop_limits

# Border (px) the shift-equivariance loss (``shift_weight``) leaves out, and the smallest crop
# that leaves it room: the two runs it compares see different reflect padding there.
SHIFT_MARGIN = 8
SHIFT_MIN_CROP = 4 * SHIFT_MARGIN


def crop_limits(options: dict):
    """Crops for the PatchGAN critic, in multiples of 4; at least ``SHIFT_MIN_CROP`` with
    ``shift_weight``."""
    limits = critic_crop_limits("cyclegan", options, 4, "PatchGAN")
    if float(options.get("shift_weight", 0)) <= 0 or limits.minimum >= SHIFT_MIN_CROP:
        return limits
    return replace(limits, minimum=SHIFT_MIN_CROP,
                   rule=f"{limits.rule}, and at least {SHIFT_MIN_CROP} pixels with "
                        f"shift_weight (its loss leaves out a {SHIFT_MARGIN}-pixel border)")


SPEC = KindSpec(
    name="cyclegan",
    order=30,
    cli_help=("--data domain A (photos), --data-b domain B (paintings)\n"
              "            -> NAME (task photo2monet, A to B) and NAME-inverse (task "
              "monet2photo)"),
    layout=TWO_FOLDERS,
    trainer="engine.training.trainers.cyclegan",
    defaults={
        "ngf": 64, "n_blocks": 9, "norm": "instance", "upsample": "resize_conv",
        "ndf": 64, "d_layers": 3, "d_norm": "instance",
        "cycle_weight": 10.0, "identity_weight": 0.5, "shift_weight": 0.0, "pool_size": 50,
        "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999, "decay_start": 0.5,
    },
    presets={
        "quick": Preset(1500, 1, 64, 100, 100, {"ngf": 16, "n_blocks": 3, "ndf": 16}),
        "standard": Preset(4000, 1, 96, 250, 250, {"ngf": 24, "n_blocks": 4, "ndf": 24}),
        "long": Preset(20000, 1, 128, 1000, 1000, {"ngf": 32, "n_blocks": 6, "ndf": 32}),
    },
    seconds_per_step=0.07,
    crop_limits=crop_limits,
    choices=(
        WizardChoice(None, "Photo ↔ painting",
                     "Two folders that need not match: photos in one, paintings (or any other "
                     "look) in the other.", "Photos (A)", "Paintings (B)"),
    ),
    sample_heading="rows A | A→B | back to A, then B | B→A | back to B",
    width_option="ngf",
    blocks_option="n_blocks",
)
