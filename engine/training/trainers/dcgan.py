"""DCGAN training as in the TensorFlow DCGAN tutorial.

One forward pass per step: ``G(z)`` for a batch of standard-normal latents, the discriminator
on real and generated images; generator loss ``BCE(D(G(z)), 1)``, discriminator loss
``BCE(D(x), 1) + BCE(D(G(z)), 0)`` (logits), both updated from that one pass (the tutorial's
two tapes: ``make_joint_step``), each with Adam 1e-4 (default betas), constant rate.

``arch="dcgan64"`` makes 64x64 RGB images (the classic DCGAN), ``"dcgan28"`` 28x28 greyscale
(the tutorial's MNIST model); folders of the other colour kind are converted (BT.601 luma, or a
grey image repeated to RGB).

There is no target, so ``best`` uses a crude, cheap proxy (``val_moments``): the distance
between per-channel means and standard deviations, and mean gradient magnitudes, of images
generated from fixed latents and of the validation images. Look at the samples to judge.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from engine.imaging import color
from engine.models import build
from engine.training import limits, losses
from engine.training.step import make_adam, make_joint_step
from engine.training.trainers import Export, Setup, Trainer, grid, predict, register

RANGE = "-1,1"
LATENT_SEED = 4321  # fixed latents of the validation samples
LUMA = np.array([0.299, 0.587, 0.114], np.float32)
CHANNELS = {"dcgan64": 3, "dcgan28": 1}


def to_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """``(B, H, W, 1|3)`` in ``[0, 1]`` to ``channels`` (luma for grey, repeat for RGB)."""
    if images.shape[-1] == channels:
        return images
    if channels == 3:
        return np.repeat(images, 3, axis=-1)
    return np.tensordot(images, LUMA, axes=([3], [0]))[..., None].astype(np.float32)


def moments(images: np.ndarray) -> np.ndarray:
    """Per-channel mean and std of pixels and of forward-difference magnitudes."""
    dy = np.abs(np.diff(images, axis=1)).mean(axis=(0, 1, 2))
    dx = np.abs(np.diff(images, axis=2)).mean(axis=(0, 1, 2))
    return np.concatenate([images.mean(axis=(0, 1, 2)), images.std(axis=(0, 1, 2)), dy, dx])


@register
class DCGANTrainer(Trainer):
    kind = "dcgan"
    loss_names = ("g_loss", "d_loss", "d_real", "d_fake")
    metric = "val_moments"
    metric_help = ("distance of colour means/stds and edge strength between generated and "
                   "validation images (a crude proxy; judge the samples)")

    @classmethod
    def resolve(cls, options: dict, crop: int) -> dict:
        found = limits.option_problem(cls.kind, options)
        if found:
            raise ValueError(found)
        return dict(options)

    def __init__(self, setup: Setup, dataset) -> None:
        super().__init__(setup, dataset)
        o = self.options
        self.arch = o["arch"]
        self.channels = CHANNELS[self.arch]
        if self.arch == "dcgan64":
            self.gen_config = {"latent_dim": o["latent_dim"], "ngf": o["ngf"]}
            discriminator = build("dcgan64_discriminator", ndf=o["ndf"])
        else:
            self.gen_config = {"latent_dim": o["latent_dim"]}
            discriminator = build("dcgan28_discriminator", dropout=o["dropout"])
        generator = build(self.arch, **self.gen_config)
        self.models = {"generator": generator, "discriminator": discriminator}
        adam = {"beta_1": o["beta_1"], "beta_2": o["beta_2"], "decay_start": o["decay_start"],
                "mixed_precision": setup.mixed_precision}
        self.optimizers = {"generator": make_adam(o["lr"], setup.steps, **adam),
                           "discriminator": make_adam(o["lr"], setup.steps, **adam)}
        self.step = make_joint_step(self._losses, {
            "generator": (generator.trainable_variables, self.optimizers["generator"]),
            "discriminator": (discriminator.trainable_variables,
                              self.optimizers["discriminator"]),
        })
        count = o["val_count"]
        self.val_latents = np.random.default_rng(LATENT_SEED).standard_normal(
            (count, o["latent_dim"])).astype(np.float32)

    def _losses(self, batch):
        m = self.models
        fake = m["generator"](batch["latent"], training=True)
        real_logits = m["discriminator"](batch["image"], training=True)
        fake_logits = m["discriminator"](fake, training=True)
        g_loss = losses.bce_logits(fake_logits, 1.0)
        d_loss = losses.bce_logits(real_logits, 1.0) + losses.bce_logits(fake_logits, 0.0)
        logs = {"g_loss": g_loss, "d_loss": d_loss,
                "d_real": ops.mean(ops.sigmoid(ops.cast(real_logits, "float32"))),
                "d_fake": ops.mean(ops.sigmoid(ops.cast(fake_logits, "float32")))}
        return {"generator": g_loss, "discriminator": d_loss}, logs

    def train_step(self, step: int, rng: np.random.Generator) -> dict[str, float]:
        images = self.dataset.sample(rng, self.setup.batch)["image"]
        real = color.to_model(to_channels(images, self.channels), RANGE)
        latent = rng.standard_normal((len(real), self.options["latent_dim"]))
        return self.step({"image": real, "latent": latent.astype(np.float32)})

    def _generated(self) -> np.ndarray:
        return color.from_model(predict(self.models["generator"], self.val_latents), RANGE)

    def validate(self, val: dict) -> dict[str, float]:
        real = to_channels(val["image"], self.channels)
        distance = np.abs(moments(self._generated()) - moments(real)).mean()
        return {"val_moments": float(distance)}

    def sample_grid(self, val: dict) -> np.ndarray:
        images = list(self._generated())
        cols = int(np.ceil(np.sqrt(len(images))))
        return grid([images[i:i + cols] for i in range(0, len(images), cols)])

    def exports(self) -> list[Export]:
        return [Export("sample", "", self.models["generator"], self.arch,
                       dict(self.gen_config))]

    def card(self) -> dict:
        return {"losses": "DCGAN cross-entropy from logits (TensorFlow tutorial)",
                "image_size": self.setup.crop, "channels": self.channels}
