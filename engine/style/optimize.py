"""Optimising image pixels: the loss gradient per backend, and L-BFGS-B or Adam around it.

The gradient of a ``keras.ops`` loss with respect to its input is the one thing Keras has no
backend-neutral call for, so each backend gets a tiny function here (``tf.GradientTape`` in a
``tf.function``; ``torch.autograd``). Both return numpy, so the optimisers are plain numpy and
scipy and shared by every backend.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.errors import UsageError
from engine.events import CancelToken

# (loss, gradient, parts) of an image ``(1, H, W, 3)`` float32.
ValueAndGrad = Callable[[np.ndarray], tuple[float, np.ndarray, dict]]
# Called after each iteration with (iteration from 1, loss, parts).
IterationFn = Callable[[int, float, dict], None]

OPTIMIZERS = ("lbfgs", "adam")
# Line-search evaluations allowed per L-BFGS iteration before scipy gives up.
MAX_EVALS_PER_ITERATION = 3
# Remembered curvature pairs (scipy's default): 20 lowered the loss after 30 iterations by
# under 1% for twice the bookkeeping on ~10^6 pixels.
LBFGS_HISTORY = 10
# Adam step in [0, 1] pixel units: 100 steps can move a pixel across most of its range.
ADAM_LEARNING_RATE = 0.02
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8


def value_and_grad(loss_fn) -> Callable:
    """Wrap ``loss_fn(image, *args) -> (loss, parts)`` into a numpy gradient function.

    Returns:
        ``fn(image, *args) -> (loss, grad, parts)``: ``image`` ``(1, H, W, 3)`` float32
        numpy, ``args`` backend tensors (passed through); ``loss`` a float, ``grad`` float32
        numpy shaped like ``image``, ``parts`` a dict of floats. On TensorFlow the graph is
        traced once per image shape and reused across calls and images.

    Raises:
        UsageError: the active Keras backend is neither tensorflow nor torch.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        return _tensorflow_value_and_grad(loss_fn)
    if backend == "torch":
        return _torch_value_and_grad(loss_fn)
    raise UsageError(f"Style transfer supports the tensorflow and torch backends, not {backend}.")


def _tensorflow_value_and_grad(loss_fn) -> Callable:
    import tensorflow as tf

    @tf.function(reduce_retracing=True)
    def step(image, *args):
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss, parts = loss_fn(image, *args)
        return loss, tape.gradient(loss, image), parts

    def run(image: np.ndarray, *args):
        loss, grad, parts = step(tf.constant(image, tf.float32), *args)
        return float(loss), grad.numpy(), {k: float(v) for k, v in parts.items()}

    return run


def _torch_value_and_grad(loss_fn) -> Callable:
    import torch
    from keras import ops

    def run(image: np.ndarray, *args):
        pixels = ops.convert_to_tensor(image, "float32").detach().requires_grad_(True)
        loss, parts = loss_fn(pixels, *args)
        (grad,) = torch.autograd.grad(loss, pixels)
        parts = {k: float(v.detach().cpu()) for k, v in parts.items()}
        return float(loss.detach().cpu()), grad.detach().cpu().numpy(), parts

    return run


def optimize(
    fun: ValueAndGrad,
    start: np.ndarray,
    method: str,
    iterations: int,
    on_iteration: IterationFn,
    cancel: CancelToken,
) -> np.ndarray:
    """Minimise ``fun`` over pixels in ``[0, 1]``, starting at ``start``.

    Args:
        fun: the loss and its gradient for an image shaped like ``start``.
        start: ``(1, H, W, 3)`` float32 in ``[0, 1]``.
        method: ``lbfgs`` (scipy L-BFGS-B, bounded to ``[0, 1]``) or ``adam``.
        iterations: optimiser iterations (L-BFGS may stop earlier if its line search fails).
        on_iteration: receives each iteration's number (from 1), loss and parts.
        cancel: checked before every loss evaluation and after every iteration.

    Returns:
        The optimised image, ``(1, H, W, 3)`` float32 in ``[0, 1]``.

    Raises:
        Cancelled: ``cancel`` was set.
    """
    if method == "lbfgs":
        return run_lbfgs(fun, start, iterations, on_iteration, cancel)
    if method == "adam":
        return run_adam(fun, start, iterations, on_iteration, cancel)
    raise UsageError(f"Unknown optimizer {method!r}; expected one of {', '.join(OPTIMIZERS)}.")


def run_lbfgs(fun: ValueAndGrad, start: np.ndarray, iterations: int,
              on_iteration: IterationFn, cancel: CancelToken) -> np.ndarray:
    """L-BFGS-B (scipy) on the flattened pixels, as in Gatys et al.; see ``optimize``."""
    from scipy.optimize import Bounds, minimize

    shape = start.shape
    last = {"parts": {}}
    count = {"done": 0}

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        cancel.check()
        loss, grad, last["parts"] = fun(flat.reshape(shape).astype(np.float32))
        return loss, grad.ravel().astype(np.float64)

    def callback(intermediate_result) -> None:
        count["done"] += 1
        cancel.check()
        on_iteration(count["done"], float(intermediate_result.fun), last["parts"])

    result = minimize(
        objective, start.ravel().astype(np.float64), jac=True, method="L-BFGS-B",
        bounds=Bounds(0.0, 1.0), callback=callback,
        # No tolerance stop: the user asked for a number of iterations, and the relative
        # losses are small enough that scipy's default gtol would stop at the start.
        options={"maxiter": iterations, "maxfun": iterations * MAX_EVALS_PER_ITERATION,
                 "maxcor": LBFGS_HISTORY, "ftol": 0.0, "gtol": 0.0},
    )
    return np.clip(result.x, 0.0, 1.0).reshape(shape).astype(np.float32)


def run_adam(fun: ValueAndGrad, start: np.ndarray, iterations: int,
             on_iteration: IterationFn, cancel: CancelToken,
             learning_rate: float = ADAM_LEARNING_RATE) -> np.ndarray:
    """Adam (Kingma & Ba 2015) with pixels clipped to ``[0, 1]`` after each step; see
    ``optimize``. The reported loss is that of the image before the step."""
    beta1, beta2 = ADAM_BETAS
    image = start.astype(np.float32, copy=True)
    mean = np.zeros_like(image)
    var = np.zeros_like(image)
    for step in range(1, iterations + 1):
        cancel.check()
        loss, grad, parts = fun(image)
        mean = beta1 * mean + (1.0 - beta1) * grad
        var = beta2 * var + (1.0 - beta2) * np.square(grad)
        rate = learning_rate * np.sqrt(1.0 - beta2**step) / (1.0 - beta1**step)
        image -= rate * mean / (np.sqrt(var) + ADAM_EPSILON)
        np.clip(image, 0.0, 1.0, out=image)
        on_iteration(step, loss, parts)
    return image
