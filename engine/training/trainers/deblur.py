"""DeblurGAN training (Kupyn et al. 2018): WGAN-GP critic, perceptual + adversarial generator.

Per training step, as in the official code: one batch of (blurred, sharp) crops; the
generator's fakes are drawn once; the critic takes ``n_critic`` (5) updates on that batch
(``D(fake) - D(real) + gp_weight * GP``, a fresh GP mixing weight each time); then the
generator takes one update on ``-adv_weight * D(G(x)) + perceptual_weight * content``
(``adv_weight`` 1 as published; 0 trains on the content loss alone, without the critic: the
fast, PSNR-oriented setting). The content loss is
MSE of VGG19 ``block3_conv3`` features (inputs mapped to ``[0, 1]``) when the ImageNet weights
are found, else the ``l1_gradient`` fallback on ``[-1, 1]`` images (weight 100 then matches
pix2pix's L1 weight). Adam ``lr`` with betas (0.5, 0.999), constant for the first half and
decaying linearly to zero over the second (the critic's schedule counts its own updates).

Images cross the model boundary in ``[-1, 1]`` (``color.to_model``); the batch norm default
is explained in ``engine.training.presets``.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from engine.imaging import color
from engine.models import build
from engine.training import limits, losses
from engine.training.step import (
    gradient_penalty,
    make_adam,
    make_forward,
    make_step,
    per_sample_score,
)
from engine.training.trainers import (
    Export,
    Setup,
    Trainer,
    grid,
    mean_of,
    predict,
    register,
    resolve_content,
)

RANGE = "-1,1"


# Initial scale of the generator's last conv: the global skip then makes a fresh generator
# nearly the identity (output = blurred input), which it improves on from the first steps,
# instead of first unlearning the random residual it starts with (hundreds of steps on a CPU).
START_SCALE = 0.01


def start_near_identity(generator) -> None:
    """Shrink ``output_conv``'s initial weights by ``START_SCALE`` (before any checkpoint is
    restored, so resumed runs are unaffected)."""
    layer = generator.get_layer("output_conv")
    layer.set_weights([w * START_SCALE for w in layer.get_weights()])


@register
class DeblurTrainer(Trainer):
    kind = "deblur"
    loss_names = ("d_loss", "wasserstein", "gp", "g_loss", "g_adv", "g_content")

    @classmethod
    def resolve(cls, options: dict, crop: int) -> dict:
        found = limits.problem(cls.kind, options, crop)
        if found:
            raise ValueError(found)
        return resolve_content(options, "perceptual")

    def __init__(self, setup: Setup, dataset) -> None:
        super().__init__(setup, dataset)
        o = self.options
        self.arch = o["arch"]
        if self.arch == "deblur_unet":
            self.gen_config = {"width": o["width"]}
        else:
            self.gen_config = {"ngf": o["ngf"], "n_blocks": o["n_blocks"], "norm": o["norm"],
                               "upsample": o["upsample"], "dropout": o["dropout"]}
        generator = build(self.arch, **self.gen_config)
        start_near_identity(generator)
        critic = build("deblurgan_critic", n_layers=o["d_layers"], ndf=o["ndf"],
                       norm=o["d_norm"])
        self.models = {"generator": generator, "critic": critic}
        adam = {"beta_1": o["beta_1"], "beta_2": o["beta_2"], "decay_start": o["decay_start"],
                "mixed_precision": setup.mixed_precision}
        self.optimizers = {
            "generator": make_adam(o["lr"], setup.steps, **adam),
            "critic": make_adam(o["lr"], setup.steps * o["n_critic"], **adam),
        }
        self.vgg = None
        if o["perceptual"] == "vgg19":
            self.vgg = losses.PerceptualLoss((o["perceptual_layer"],), o["vgg19_weights"])
        self.fakes = make_forward(generator)
        self.critic_step = make_step(self._critic_loss, critic.trainable_variables,
                                     self.optimizers["critic"])
        self.generator_step = make_step(self._generator_loss, generator.trainable_variables,
                                        self.optimizers["generator"])

    def _critic_loss(self, batch):
        critic = self.models["critic"]
        real, fake = batch["real"], batch["fake"]
        score_real = ops.mean(per_sample_score(critic(real, training=True)))
        score_fake = ops.mean(per_sample_score(critic(fake, training=True)))
        penalty = gradient_penalty(critic, real, fake, batch["alpha"])
        loss = score_fake - score_real + self.options["gp_weight"] * penalty
        return loss, {"d_loss": loss, "wasserstein": score_real - score_fake, "gp": penalty}

    def _content(self, output, target):
        if self.vgg is not None:
            content = self.vgg((output + 1.0) * 0.5, (target + 1.0) * 0.5)
        else:
            content = losses.l1_gradient_loss(output, target)
        if self.options["fft_weight"] > 0:
            content = content + self.options["fft_weight"] * losses.fft_l1(output, target)
        return content

    def _generator_loss(self, batch):
        output = ops.cast(self.models["generator"](batch["input"], training=True), "float32")
        content = self._content(output, batch["target"])
        weight = self.options["adv_weight"]
        if weight > 0:
            adv = -ops.mean(per_sample_score(self.models["critic"](output, training=True)))
        else:  # content only: the critic is not consulted (nor trained)
            adv = ops.zeros((), "float32")
        loss = weight * adv + self.options["perceptual_weight"] * content
        return loss, {"g_loss": loss, "g_adv": adv, "g_content": content}

    def train_step(self, step: int, rng: np.random.Generator) -> dict[str, float]:
        batch = self.dataset.sample(rng, self.setup.batch)
        blurred = color.to_model(batch["input"], RANGE)
        sharp = color.to_model(batch["target"], RANGE)
        logs = {}
        if self.options["adv_weight"] > 0:
            fake = self.fakes(blurred)
            logs = mean_of([self._critic_update(sharp, fake, rng)
                            for _ in range(self.options["n_critic"])])
        return {**logs, **self.generator_step({"input": blurred, "target": sharp})}

    def _critic_update(self, sharp: np.ndarray, fake: np.ndarray, rng) -> dict[str, float]:
        alpha = rng.uniform(size=(len(sharp), 1, 1, 1)).astype(np.float32)
        return self.critic_step({"real": sharp, "fake": fake, "alpha": alpha})

    def _outputs(self, val: dict) -> np.ndarray:
        out = predict(self.models["generator"], color.to_model(val["input"], RANGE))
        return color.from_model(out, RANGE)

    def validate(self, val: dict) -> dict[str, float]:
        out = self._outputs(val)
        return {"val_l1": float(np.mean(np.abs(out - val["target"]))),
                "val_l1_input": float(np.mean(np.abs(val["input"] - val["target"])))}

    def sample_grid(self, val: dict) -> np.ndarray:
        out = self._outputs(val)
        return grid([[i, o, t] for i, o, t in zip(val["input"], out, val["target"])])

    def exports(self) -> list[Export]:
        return [Export("deblur", "", self.models["generator"], self.arch,
                       dict(self.gen_config))]

    def card(self) -> dict:
        o = self.options
        content = (f"VGG19 {o['perceptual_layer']} feature MSE" if o["perceptual"] == "vgg19"
                   else "L1 + multi-scale gradient L1 (no VGG19 weights found)")
        adversarial = (f"{o['adv_weight']} x WGAN-GP (n_critic {o['n_critic']}, GP "
                       f"{o['gp_weight']}) + " if o["adv_weight"] > 0
                       else "no adversarial term (adv_weight 0) + ")
        if o["fft_weight"] > 0:
            content += f" + {o['fft_weight']} x Fourier L1"
        return {"losses": f"{adversarial}{o['perceptual_weight']} x ({content})",
                "perceptual": o["perceptual"], "degradation": o["degradation"]}
