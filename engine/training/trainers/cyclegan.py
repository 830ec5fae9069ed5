"""CycleGAN training (Zhu et al. 2017), as the official PyTorch code does it.

Generators ``G_AB`` (domain A, ``--data``, photos -> domain B, ``--data-b``, paintings) and
``G_BA``; discriminators ``D_A`` (judges A images) and ``D_B``, PatchGANs. Per step, one
unpaired batch: the generators take one update on LSGAN ``(D_B(G_AB(a)) - 1)^2 + (D_A(G_BA(b))
- 1)^2`` + ``cycle_weight`` (10) x cycle L1 + ``identity_weight * cycle_weight`` (5) x identity
L1 (``G_AB(b) ~ b``, ``G_BA(a) ~ a``); then the discriminators one update on
``0.5 [(D(real) - 1)^2 + D(fake)^2]`` each, where the fakes come from a 50-image history pool
per discriminator (Shrivastava et al.): until the pool is full a fake goes in and is used; after
that, half of the time a stored fake is used instead and replaced. One Adam per pair (lr 2e-4,
betas 0.5, 0.999), constant for the first half, then linear decay to zero.

An unpaired GAN has no target, so ``best`` is chosen by the cycle-reconstruction L1 on the fixed
validation images of both domains. Images are ``[-1, 1]`` inside, ``[0, 1]`` outside.

``shift_weight`` (default 0: the official losses only) adds a shift-equivariance L1 for
``G_AB``: the generator run on the crop moved by 2 px (rows, columns or both; one of the
three per step, drawn on the host) must give its output on the whole crop, moved the same
way, away from a ``SHIFT_MARGIN`` border. Its stride-2 stages otherwise print a mesh locked
to their 4-px grid over every photo (docs/MODELS.md, "Working size, grid average"); this
trains it away at the source instead of averaging four runs at inference.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from engine.imaging import color
from engine.models import build
from engine.training import limits, losses
from engine.training.kinds.cyclegan import SHIFT_MARGIN
from engine.training.step import make_adam, make_step
from engine.training.trainers import Export, Setup, Trainer, grid, predict, register

RANGE = "-1,1"
# Shifts (rows, columns) the equivariance loss draws from: 2 px is half the generator's total
# stride of 4, the phase its mesh flips at.
SHIFTS = ((0, 2), (2, 0), (2, 2))


class ImagePool:
    """The CycleGAN history buffer of generated images (numpy, host side).

    Args:
        size: images kept (0: the pool passes images straight through).
    """

    def __init__(self, size: int) -> None:
        self.size = int(size)
        self.images: list[np.ndarray] = []

    def query(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The images a discriminator sees for the fakes ``images`` ``(B, H, W, C)``."""
        if self.size == 0:
            return images
        out = []
        for image in images:
            if len(self.images) < self.size:
                self.images.append(image.copy())
                out.append(image)
            elif rng.uniform() > 0.5:
                index = int(rng.integers(0, self.size))
                out.append(self.images[index])
                self.images[index] = image.copy()
            else:
                out.append(image)
        return np.stack(out)

    def state(self) -> np.ndarray:
        """The stored images ``(N, H, W, C)`` (``N = 0`` when empty)."""
        if not self.images:
            return np.zeros((0, 1, 1, 1), np.float32)
        return np.stack(self.images)

    def load(self, arr: np.ndarray) -> None:
        """Restore what ``state`` returned."""
        self.images = [np.array(image) for image in arr]


@register
class CycleGANTrainer(Trainer):
    kind = "cyclegan"
    loss_names = ("g_loss", "g_adv", "cycle", "identity", "shift", "d_loss")
    metric = "val_cycle_l1"
    export_suffixes = ("", "-inverse")
    metric_help = ("cycle-reconstruction L1, |G_BA(G_AB(a)) - a| and |G_AB(G_BA(b)) - b| "
                   "averaged, on the fixed validation images (an unpaired GAN has no target)")

    @classmethod
    def resolve(cls, options: dict, crop: int) -> dict:
        found = limits.problem(cls.kind, options, crop)
        if found:
            raise ValueError(found)
        return dict(options)

    def __init__(self, setup: Setup, dataset) -> None:
        super().__init__(setup, dataset)
        o = self.options
        self.gen_config = {"ngf": o["ngf"], "n_blocks": o["n_blocks"], "norm": o["norm"],
                           "upsample": o["upsample"]}
        d_config = {"n_layers": o["d_layers"], "ndf": o["ndf"], "norm": o["d_norm"]}
        self.models = {
            "generator_ab": build("cyclegan_resnet", **self.gen_config),
            "generator_ba": build("cyclegan_resnet", **self.gen_config),
            "discriminator_a": build("patchgan", **d_config),
            "discriminator_b": build("patchgan", **d_config),
        }
        adam = {"beta_1": o["beta_1"], "beta_2": o["beta_2"], "decay_start": o["decay_start"],
                "mixed_precision": setup.mixed_precision}
        self.optimizers = {"generator": make_adam(o["lr"], setup.steps, **adam),
                           "discriminator": make_adam(o["lr"], setup.steps, **adam)}
        self.pools = {"a": ImagePool(o["pool_size"]), "b": ImagePool(o["pool_size"])}
        m = self.models
        self.g_step = make_step(
            self._g_loss,
            m["generator_ab"].trainable_variables + m["generator_ba"].trainable_variables,
            self.optimizers["generator"])
        self.d_step = make_step(
            self._d_loss,
            m["discriminator_a"].trainable_variables + m["discriminator_b"].trainable_variables,
            self.optimizers["discriminator"])

    def _g_loss(self, batch):
        o, m = self.options, self.models
        g_ab, g_ba = m["generator_ab"], m["generator_ba"]
        a, b = batch["a"], batch["b"]
        fake_b = ops.cast(g_ab(a, training=True), "float32")
        fake_a = ops.cast(g_ba(b, training=True), "float32")
        adv = (losses.lsgan(m["discriminator_b"](fake_b, training=True), 1.0)
               + losses.lsgan(m["discriminator_a"](fake_a, training=True), 1.0))
        cycle = o["cycle_weight"] * (losses.l1(g_ba(fake_b, training=True), a)
                                     + losses.l1(g_ab(fake_a, training=True), b))
        identity = ops.convert_to_tensor(0.0)
        weight = o["identity_weight"] * o["cycle_weight"]
        if weight > 0:
            identity = weight * (losses.l1(g_ab(b, training=True), b)
                                 + losses.l1(g_ba(a, training=True), a))
        shift = ops.convert_to_tensor(0.0)
        if o["shift_weight"] > 0:
            shift = o["shift_weight"] * self._shift_l1(g_ab, a, fake_b, batch["shift"])
        loss = adv + cycle + identity + shift
        return loss, {"g_loss": loss, "g_adv": adv, "cycle": cycle, "identity": identity,
                      "shift": shift, "fake_a": fake_a, "fake_b": fake_b}

    @staticmethod
    def _shift_l1(generator, images, outputs, offset):
        """L1 between ``generator`` on ``images`` ``(B, H, W, C)`` cropped from ``offset``
        (rows, columns; int tensor) to ``(H - 4, W - 4)`` and ``outputs`` (its output on the
        whole of ``images``) cropped the same way, without a ``SHIFT_MARGIN`` border."""
        _, height, width, channels = images.shape
        batch = ops.shape(images)[0]  # unknown while a step is traced
        start = ops.concatenate([ops.zeros((1,), "int32"), ops.cast(offset, "int32"),
                                 ops.zeros((1,), "int32")])
        size = (batch, height - 4, width - 4, channels)
        moved = ops.cast(generator(ops.slice(images, start, size), training=True), "float32")
        expected = ops.slice(outputs, start, size)
        m = SHIFT_MARGIN
        return losses.l1(moved[:, m:-m, m:-m], expected[:, m:-m, m:-m])

    def _d_loss(self, batch):
        m = self.models
        loss = 0.0
        for domain in ("a", "b"):
            d = m[f"discriminator_{domain}"]
            loss = loss + 0.5 * (losses.lsgan(d(batch[domain], training=True), 1.0)
                                 + losses.lsgan(d(batch[f"fake_{domain}"], training=True), 0.0))
        return loss, {"d_loss": loss}

    def train_step(self, step: int, rng: np.random.Generator) -> dict[str, float]:
        batch = self.dataset.sample(rng, self.setup.batch)
        a, b = color.to_model(batch["a"], RANGE), color.to_model(batch["b"], RANGE)
        inputs = {"a": a, "b": b}
        if self.options["shift_weight"] > 0:
            inputs["shift"] = np.array(SHIFTS[int(rng.integers(0, len(SHIFTS)))], np.int32)
        logs = self.g_step(inputs)
        fake_a = self.pools["a"].query(logs.pop("fake_a"), rng)
        fake_b = self.pools["b"].query(logs.pop("fake_b"), rng)
        return {**logs, **self.d_step({"a": a, "b": b, "fake_a": fake_a, "fake_b": fake_b})}

    def _translate(self, val: dict) -> dict[str, np.ndarray]:
        m = self.models
        a, b = color.to_model(val["a"], RANGE), color.to_model(val["b"], RANGE)
        ab = predict(m["generator_ab"], a)
        ba = predict(m["generator_ba"], b)
        out = {"ab": ab, "aba": predict(m["generator_ba"], ab),
               "ba": ba, "bab": predict(m["generator_ab"], ba)}
        return {k: color.from_model(v, RANGE) for k, v in out.items()}

    def validate(self, val: dict) -> dict[str, float]:
        t = self._translate(val)
        cycle_a = float(np.mean(np.abs(t["aba"] - val["a"])))
        cycle_b = float(np.mean(np.abs(t["bab"] - val["b"])))
        return {"val_cycle_l1": (cycle_a + cycle_b) / 2, "val_cycle_l1_a": cycle_a,
                "val_cycle_l1_b": cycle_b}

    def sample_grid(self, val: dict) -> np.ndarray:
        t = self._translate(val)
        rows = [list(r) for r in zip(val["a"], t["ab"], t["aba"])]
        rows += [list(r) for r in zip(val["b"], t["ba"], t["bab"])]
        return grid(rows)

    def state(self) -> dict[str, np.ndarray]:
        return {f"pool_{k}": pool.state() for k, pool in self.pools.items()}

    def load_state(self, arrays: dict[str, np.ndarray]) -> None:
        for key, pool in self.pools.items():
            pool.load(arrays.get(f"pool_{key}", np.zeros((0, 1, 1, 1), np.float32)))

    def exports(self) -> list[Export]:
        m = self.models
        return [
            Export("photo2monet", "", m["generator_ab"], "cyclegan_resnet",
                   dict(self.gen_config), {"direction": "A (--data) to B (--data-b)"}),
            Export("monet2photo", "-inverse", m["generator_ba"], "cyclegan_resnet",
                   dict(self.gen_config), {"direction": "B (--data-b) to A (--data)"}),
        ]

    def card(self) -> dict:
        o = self.options
        shift = (f" + {o['shift_weight']} x 2-px shift-equivariance L1"
                 if o["shift_weight"] > 0 else "")
        return {"losses": f"LSGAN + {o['cycle_weight']} x cycle L1 + "
                          f"{o['identity_weight'] * o['cycle_weight']} x identity L1{shift}, "
                          f"{o['pool_size']}-image history pools"}
