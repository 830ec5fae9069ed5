"""Gradient steps: the one place that knows how each Keras backend computes gradients.

Trainers write their losses with ``keras.ops`` as plain functions of a batch and hand them to
``make_step`` (one loss, one optimizer) or ``make_joint_step`` (several losses from one
forward pass, each with its own variables and optimizer, as the TensorFlow DCGAN tutorial's two
tapes). What comes back is a callable ``run(batch) -> dict`` taking numpy arrays or backend
tensors and returning numpy values (Python floats for scalars), so trainer code is the same on
every backend:

- tensorflow: ``tf.GradientTape`` inside one ``tf.function`` per step (traced once per batch
  shape, then compiled).
- torch: ``torch.autograd.grad`` over the variables' torch parameters, then
  ``optimizer.apply`` under ``torch.no_grad()`` (Keras' own torch trainer does the same).
  In a data-parallel run (``engine.training.distributed``) the gradients are all-reduced to
  their mean over the ranks first, and scalar logs averaged.
- jax: not implemented (Keras' jax backend needs purely stateless steps threading every
  variable through; the trainers are written statefully); ``NotImplementedError`` says so.

``gradient_penalty`` (WGAN-GP) needs second-order gradients and so is per backend too: a nested
tape on tensorflow, ``create_graph=True`` on torch. ``make_forward`` runs a model in training
mode *without* committing its state (batch-norm statistics, dropout seeds), for generating the
fakes a discriminator step consumes.

Every optimizer is built on its variables here, before any step runs, so its slots exist for
checkpoints and no variable is created inside a traced function. Under mixed precision the
optimizer is a ``keras.optimizers.LossScaleOptimizer``; ``scale_loss`` / ``apply`` handle the
scaling (plain optimizers leave the loss unchanged).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager

import keras
import numpy as np
from keras import ops

from engine.training import distributed

Batch = Mapping[str, object]
LossFn = Callable[[dict], tuple[object, dict]]
JointLossFn = Callable[[dict], tuple[dict, dict]]
StepFn = Callable[[Batch], dict]


def _backend() -> str:
    name = keras.backend.backend()
    if name not in ("tensorflow", "torch"):
        raise NotImplementedError(
            f"Training is implemented for the tensorflow and torch Keras backends; the "
            f"{name!r} backend has no gradient step yet (set KERAS_BACKEND=tensorflow or torch)."
        )
    return name


def seed_everything(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)``, without TensorFlow in a torch process.

    Keras seeds TensorFlow whenever it is installed, which imports it; on the torch backend
    its thread pools then compete with torch's and CPU training runs about half as fast.
    Keras' initialisers and dropout layers draw their seeds from Python's ``random``.
    """
    if keras.backend.backend() != "torch":
        keras.utils.set_random_seed(seed)
        return
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_numpy(logs: Mapping[str, object]) -> dict:
    """Backend tensors to numpy: scalars become Python floats, arrays stay arrays."""
    out = {}
    for key, value in logs.items():
        arr = np.asarray(ops.convert_to_numpy(value))
        out[key] = float(arr) if arr.ndim == 0 else arr
    return out


def build_optimizer(optimizer, variables: Sequence) -> None:
    """Create ``optimizer``'s slots for ``variables`` unless it already has them."""
    if not optimizer.built:
        optimizer.build(list(variables))


def make_step(loss_fn: LossFn, variables: Sequence, optimizer) -> StepFn:
    """One optimizer update of ``variables`` per call.

    Args:
        loss_fn: ``batch -> (loss, logs)``; ``batch`` maps names to backend tensors, ``loss``
            is a float32 scalar tensor, ``logs`` maps names to tensors (scalars or arrays)
            to report (for example losses, or fake images for a history pool).
        variables: the trainable Keras variables this loss updates.
        optimizer: a Keras optimizer (built here on ``variables``).

    Returns:
        ``run(batch) -> logs`` as numpy values.
    """

    def joint(batch):
        loss, logs = loss_fn(batch)
        return {"loss": loss}, logs

    return make_joint_step(joint, {"loss": (variables, optimizer)})


def make_joint_step(loss_fn: JointLossFn, groups: Mapping[str, tuple[Sequence, object]]
                    ) -> StepFn:
    """Several updates from one forward pass: ``groups[name] = (variables, optimizer)``.

    ``loss_fn(batch) -> (losses, logs)`` returns one scalar loss per group name; each group's
    variables get the gradient of its own loss only (the generator and discriminator of the
    TensorFlow DCGAN tutorial, updated together).
    """
    _backend()
    groups = {name: (list(variables), optimizer) for name, (variables, optimizer)
              in groups.items()}
    for variables, optimizer in groups.values():
        build_optimizer(optimizer, variables)
    if keras.backend.backend() == "tensorflow":
        return _tf_step(loss_fn, groups)
    return _torch_step(loss_fn, groups)


@contextmanager
def training_session():
    """Backend settings for the duration of a training run (enter it around the run).

    tensorflow: grappler's remapper is off. Its conv + bias + activation fusion cannot rewrite
    graphs that differentiate through a discriminator's LeakyReLU and logs a scary "remapper
    failed" error before giving up anyway; training speed is the same without it. TensorFlow
    instantiates a function again when this option changes, so it stays off for the whole
    run and is restored after (inference afterwards gets its fusions back).
    """
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    previous = tf.config.optimizer.get_experimental_options().get("remapping", True)
    tf.config.optimizer.set_experimental_options({"remapping": False})
    try:
        yield
    finally:
        tf.config.optimizer.set_experimental_options({"remapping": previous})


def _tf_function(fn):
    """``tf.function(fn)``, without TensorFlow's "frequent retracing" warning.

    TensorFlow counts traces per code object, so every run (each making new step functions
    from the same code) would look like retracing although each function traces once.
    """
    import tensorflow as tf

    compiled = tf.function(fn)
    compiled._omit_frequent_tracing_warning = True
    return compiled


def _tf_step(loss_fn: JointLossFn, groups: dict) -> StepFn:
    import tensorflow as tf

    def step(batch):
        with tf.GradientTape(persistent=len(groups) > 1) as tape:
            losses, logs = loss_fn(batch)
            scaled = {name: opt.scale_loss(losses[name]) for name, (_, opt) in groups.items()}
        for name, (variables, optimizer) in groups.items():
            grads = tape.gradient(scaled[name], variables)
            grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables)]
            optimizer.apply(grads, variables)
        return logs

    step = _tf_function(step)

    def run(batch: Batch) -> dict:
        return to_numpy(step({k: tf.convert_to_tensor(v) for k, v in batch.items()}))

    return run


def _torch_step(loss_fn: JointLossFn, groups: dict) -> StepFn:
    import torch

    def run(batch: Batch) -> dict:
        tensors = {k: ops.convert_to_tensor(v) for k, v in batch.items()}
        losses, logs = loss_fn(tensors)
        names = list(groups)
        all_grads = []
        for i, name in enumerate(names):
            variables, optimizer = groups[name]
            params = [v.value for v in variables]
            grads = torch.autograd.grad(optimizer.scale_loss(losses[name]), params,
                                        retain_graph=i < len(names) - 1, allow_unused=True)
            all_grads.append([torch.zeros_like(p) if g is None else g
                              for g, p in zip(grads, params)])
        # Data-parallel runs: every rank applies the mean gradient over all ranks' batches.
        distributed.average_gradients([g for grads in all_grads for g in grads])
        logs = distributed.average_scalars(logs)
        # Apply only after every gradient is taken: a joint step must see one set of weights.
        with torch.no_grad():
            for name, grads in zip(names, all_grads):
                variables, optimizer = groups[name]
                optimizer.apply(grads, variables)
        return to_numpy({k: v.detach() for k, v in logs.items()})

    return run


def make_forward(model) -> Callable[[object], object]:
    """``x -> model(x, training=True)`` without committing the model's state.

    Batch-norm moving statistics and dropout seeds are left as they were (``stateless_call``),
    so a discriminator step can draw fakes without the generator's statistics moving twice per
    training step. Returns a float32 backend tensor (no gradient attached).
    """
    _backend()

    def forward(x):
        trainable = [v.value for v in model.trainable_variables]
        other = [v.value for v in model.non_trainable_variables]
        out, _ = model.stateless_call(trainable, other, x, training=True)
        return ops.cast(out, "float32")

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        compiled = _tf_function(forward)
        return lambda x: tf.stop_gradient(compiled(tf.convert_to_tensor(x)))
    import torch

    def run(x):
        with torch.no_grad():
            return forward(ops.convert_to_tensor(x))

    return run


def per_sample_score(scores):
    """Critic output ``(B, ...)`` (patch map or ``(B, 1)``) -> ``(B,)`` mean score, float32."""
    scores = ops.cast(scores, "float32")
    return ops.mean(ops.reshape(scores, (ops.shape(scores)[0], -1)), axis=1)


def gradient_penalty(critic, real, fake, alpha):
    """WGAN-GP penalty ``mean_i (||grad_x D_i(x_i)||_2 - 1)^2`` at ``x = a real + (1 - a) fake``.

    ``D_i`` is the critic's mean (patch) score of sample ``i``; the norm is over all of the
    sample's pixels and channels (Gulrajani et al. 2017). Call it inside a step's loss
    function: the result is differentiable with respect to the critic's weights (a
    second-order gradient).

    Args:
        critic: Keras model ``(B, H, W, C) -> (B, ...)`` scores (no batch norm).
        real, fake: ``(B, H, W, C)`` tensors in the critic's input range.
        alpha: ``(B, 1, 1, 1)`` mixing weights in ``[0, 1]``.

    Returns:
        Scalar float32 tensor.
    """
    real, fake, alpha = (ops.convert_to_tensor(t) for t in (real, fake, alpha))
    mixed = alpha * real + (1.0 - alpha) * ops.stop_gradient(fake)
    if _backend() == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(mixed)
            total = ops.sum(per_sample_score(critic(mixed, training=True)))
        grads = tape.gradient(total, mixed)
    else:
        import torch

        mixed = mixed.detach().requires_grad_(True)
        total = ops.sum(per_sample_score(critic(mixed, training=True)))
        (grads,) = torch.autograd.grad(total, mixed, create_graph=True)
    grads = ops.cast(ops.reshape(grads, (ops.shape(grads)[0], -1)), "float32")
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=1) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


@keras.saving.register_keras_serializable(package="photogan")
class LinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Constant learning rate, then a linear ramp down (CycleGAN / DeblurGAN schedule).

    ``lr(k) = initial`` for ``k < start = decay_start * total_steps``, then falls linearly to
    ``final_fraction * initial`` at ``k = total_steps`` (and stays there). ``k`` is the
    optimizer's update count, so a critic updated five times per step gets ``total_steps``
    five times as large.

    Args:
        initial: the learning rate of the first part.
        total_steps: updates in the whole run (``>= 1``).
        decay_start: fraction of ``total_steps`` before the decay starts, in ``[0, 1]``.
        final_fraction: the last learning rate as a fraction of ``initial``, in ``[0, 1]``.
    """

    def __init__(self, initial: float, total_steps: int, decay_start: float = 0.5,
                 final_fraction: float = 0.0):
        if int(total_steps) < 1:
            raise ValueError(f"total_steps must be at least 1, received {total_steps!r}.")
        for name, value in (("decay_start", decay_start), ("final_fraction", final_fraction)):
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], received {value!r}.")
        self.initial = float(initial)
        self.total_steps = int(total_steps)
        self.decay_start = float(decay_start)
        self.final_fraction = float(final_fraction)

    def __call__(self, step):
        step = ops.cast(step, "float32")
        start = self.decay_start * self.total_steps
        span = max(self.total_steps - start, 1.0)
        done = ops.clip((step - start) / span, 0.0, 1.0)
        return self.initial * (1.0 - done * (1.0 - self.final_fraction))

    def get_config(self):
        return {"initial": self.initial, "total_steps": self.total_steps,
                "decay_start": self.decay_start, "final_fraction": self.final_fraction}


def make_adam(lr: float, total_updates: int, beta_1: float = 0.9, beta_2: float = 0.999,
              decay_start: float = 0.5, final_fraction: float = 0.0,
              mixed_precision: bool = False):
    """Adam on a ``LinearDecay`` schedule, wrapped in a loss-scale optimizer for float16.

    ``decay_start=1.0`` keeps the learning rate constant.
    """
    schedule = LinearDecay(lr, total_updates, decay_start, final_fraction)
    optimizer = keras.optimizers.Adam(schedule, beta_1=beta_1, beta_2=beta_2)
    if mixed_precision:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def current_lr(optimizer) -> float:
    """The learning rate ``optimizer`` uses for its next update."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    return float(ops.convert_to_numpy(inner.learning_rate))
