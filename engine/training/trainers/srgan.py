"""SRGAN training (Ledig et al. 2017), in two stages over one run's steps.

Stage 1 (the first ``round(stage1_fraction * steps)`` steps) trains SRResNet alone on a pixel
loss (``pixel_loss``: MSE as in the paper, or L1). Stage 2 adds the discriminator: per step it
takes one update on ``BCE(D(hr), 1) + BCE(D(G(lr)), 0)`` (logits), then the generator one on
``content_weight * content + adv_weight * BCE(D(G(lr)), 1)`` with ``adv_weight = 1e-3``. The
content loss is MSE of VGG19 ``content_layer`` features (``block5_conv4``, the paper's VGG54;
``block2_conv2`` is VGG22) when the ImageNet weights are found, else the ``l1_gradient``
fallback. Each stage has its own Adam (lr 1e-4, constant for the first half of the stage, then
decaying linearly to ``final_lr_fraction`` of it, like the paper's 1e-4 -> 1e-5). With
``stage1_fraction = 1`` (the quick preset) there is no stage 2 and no discriminator.

Images are RGB in ``[0, 1]`` on both sides; the generator's linear output is clipped only for
validation and samples (clipping in the loss would stop gradients).
"""

from __future__ import annotations

import numpy as np
from keras import ops

from engine.models import build
from engine.training import limits, losses
from engine.training.step import current_lr, make_adam, make_forward, make_step
from engine.training.trainers import (
    Export,
    Setup,
    Trainer,
    grid,
    predict,
    register,
    resolve_content,
    upsample_nearest,
)

SCALE = 4
PIXEL_LOSSES = {"mse": losses.mse, "l1": losses.l1}


@register
class UpscaleTrainer(Trainer):
    kind = "upscale"
    loss_names = ("pixel", "d_loss", "g_loss", "g_content", "g_adv")

    @classmethod
    def resolve(cls, options: dict, crop: int) -> dict:
        found = limits.problem(cls.kind, options, crop)
        if found:
            raise ValueError(found)
        if options["stage1_fraction"] >= 1.0:
            return {**options, "content": "none"}
        return resolve_content(options, "content")

    def __init__(self, setup: Setup, dataset) -> None:
        super().__init__(setup, dataset)
        o = self.options
        self.gen_config = {"n_blocks": o["n_blocks"], "width": o["width"],
                           "batch_norm": o["batch_norm"], "skip": o["skip"]}
        self.stage1_steps = round(setup.steps * o["stage1_fraction"])
        stage2_steps = setup.steps - self.stage1_steps
        adam = {"beta_1": o["beta_1"], "beta_2": o["beta_2"], "decay_start": o["decay_start"],
                "final_fraction": o["final_lr_fraction"],
                "mixed_precision": setup.mixed_precision}
        generator = build("srgan", **self.gen_config)
        self.models = {"generator": generator}
        self.optimizers = {"pixel": make_adam(o["lr"], max(self.stage1_steps, 1), **adam)}
        self.pixel_step = make_step(self._pixel_loss, generator.trainable_variables,
                                    self.optimizers["pixel"])
        if stage2_steps > 0:
            self._build_stage2(stage2_steps, adam)

    def _build_stage2(self, steps: int, adam: dict) -> None:
        o = self.options
        generator = self.models["generator"]
        discriminator = build("srgan_discriminator", patch=self.setup.crop, width=o["d_width"],
                              dense=o["d_dense"])
        self.models["discriminator"] = discriminator
        self.optimizers["generator"] = make_adam(o["lr"], steps, **adam)
        self.optimizers["discriminator"] = make_adam(o["lr"], steps, **adam)
        self.vgg = None
        if o["content"] == "vgg19":
            self.vgg = losses.PerceptualLoss((o["content_layer"],), o["vgg19_weights"])
        self.fakes = make_forward(generator)
        self.d_step = make_step(self._d_loss, discriminator.trainable_variables,
                                self.optimizers["discriminator"])
        self.g_step = make_step(self._g_loss, generator.trainable_variables,
                                self.optimizers["generator"])

    def _pixel_loss(self, batch):
        output = self.models["generator"](batch["input"], training=True)
        loss = PIXEL_LOSSES[self.options["pixel_loss"]](output, batch["target"])
        return loss, {"pixel": loss}

    def _d_loss(self, batch):
        d = self.models["discriminator"]
        loss = (losses.bce_logits(d(batch["real"], training=True), 1.0)
                + losses.bce_logits(d(batch["fake"], training=True), 0.0))
        return loss, {"d_loss": loss}

    def _content(self, output, target):
        if self.vgg is not None:
            return self.vgg(output, target)
        return losses.l1_gradient_loss(output, target)

    def _g_loss(self, batch):
        o = self.options
        output = ops.cast(self.models["generator"](batch["input"], training=True), "float32")
        content = self._content(output, batch["target"])
        adv = losses.bce_logits(self.models["discriminator"](output, training=True), 1.0)
        loss = o["content_weight"] * content + o["adv_weight"] * adv
        pixel = PIXEL_LOSSES[o["pixel_loss"]](output, batch["target"])
        return loss, {"g_loss": loss, "g_content": content, "g_adv": adv, "pixel": pixel}

    def stage(self, step: int) -> int:
        return 1 if step < self.stage1_steps else 2

    def lr(self) -> float:
        done = int(ops.convert_to_numpy(self.optimizers["pixel"].iterations))
        in_stage1 = done < self.stage1_steps or "generator" not in self.optimizers
        return current_lr(self.optimizers["pixel" if in_stage1 else "generator"])

    def train_step(self, step: int, rng: np.random.Generator) -> dict[str, float]:
        batch = self.dataset.sample(rng, self.setup.batch)
        if self.stage(step) == 1:
            return self.pixel_step(batch)
        fake = self.fakes(batch["input"])
        logs = self.d_step({"real": batch["target"], "fake": fake})
        return {**logs, **self.g_step(batch)}

    def _outputs(self, val: dict) -> np.ndarray:
        return np.clip(predict(self.models["generator"], val["input"]), 0.0, 1.0)

    def validate(self, val: dict) -> dict[str, float]:
        return {"val_l1": float(np.mean(np.abs(self._outputs(val) - val["target"])))}

    def sample_grid(self, val: dict) -> np.ndarray:
        shown = upsample_nearest(val["input"], SCALE)
        return grid([list(row) for row in zip(shown, self._outputs(val), val["target"])])

    def exports(self) -> list[Export]:
        return [Export("upscale", "", self.models["generator"], "srgan",
                       dict(self.gen_config))]

    def card(self) -> dict:
        o = self.options
        stages = f"stage 1: SRResNet, {o['pixel_loss']} pixel loss, {self.stage1_steps} steps"
        if "discriminator" in self.models:
            content = (f"VGG19 {o['content_layer']} feature MSE" if o["content"] == "vgg19"
                       else "L1 + multi-scale gradient L1 (no VGG19 weights found)")
            stages += (f"; stage 2: GAN, {o['content_weight']} x {content} + "
                       f"{o['adv_weight']} x adversarial BCE, "
                       f"{self.setup.steps - self.stage1_steps} steps")
        return {"losses": stages, "perceptual": o["content"],
                "best_checkpoint": "lowest val_l1 within the last stage trained"}
