"""Style-transfer losses in ``keras.ops`` (Gatys et al. 2016; the Keras "Neural style
transfer" example), so they run, and differentiate, on every backend.

Gram matrices are averaged over positions, Gatys et al.'s ``1 / (4 N^2 M^2)`` normalisation
that the Keras example also applies, so a style image of any size gives comparable targets.
Each content and style term is then divided by its target's squared norm: the terms are
relative errors, dimensionless, and the user's weights mean the same thing for VGG19 and the
random fallback network and at every working size.
"""

from __future__ import annotations

import numpy as np
from keras import ops

# Keeps the relative losses finite for an all-black target (zero features).
EPSILON = 1e-8
# Brightness the structure term compares: the plain channel mean, not Rec. 601 luma, so the
# term's gradient moves R, G and B alike (luma weights push green 5x as hard as blue and
# paint rainbow fringes along every outline).
GREY = (1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0)
# Gaussian blur (sigma, working-size pixels) before the structure term compares luma edges:
# outlines wider than a brush stroke (about 5 px at 512) are kept, strokes are free to change.
STRUCTURE_BLUR = 3.0


def gram_matrix(features):
    """Channel correlations averaged over positions.

    Args:
        features: ``(1, h, w, C)`` activations.

    Returns:
        ``(C, C)`` Gram matrix ``F^T F / (h * w)``.
    """
    channels = features.shape[-1]
    flat = ops.reshape(features, (-1, channels))
    positions = ops.cast(ops.shape(flat)[0], flat.dtype)
    return ops.matmul(ops.transpose(flat), flat) / positions


def relative_error(value, target):
    """``sum((value - target)^2) / sum(target^2)``: a scalar, 0 when equal."""
    return ops.sum(ops.square(value - target)) / (ops.sum(ops.square(target)) + EPSILON)


def content_loss(features, target):
    """Relative squared error of ``(1, h, w, C)`` content-layer activations."""
    return relative_error(features, target)


def channel_moments(features):
    """Channel means and variances over positions of ``(1, h, w, C)``: two ``(C,)`` tensors.

    Variances rather than standard deviations: a square root is not differentiable at the
    zero spread of a channel the ReLU keeps silent, and its steep slope near there would make
    the gradient jump."""
    flat = ops.reshape(features, (-1, features.shape[-1]))
    mean = ops.mean(flat, axis=0)
    return mean, ops.mean(ops.square(flat - mean), axis=0)


def style_statistics(features):
    """What the style loss matches for one layer's ``(1, h, w, C)`` activations:
    ``(gram (C, C), mean (C,), variance (C,))``."""
    mean, var = channel_moments(features)
    return gram_matrix(features), mean, var


def style_loss(features, targets):
    """Mean over layers of the relative squared errors of the Gram matrix plus those of the
    channel means and variances (each relative error weighted equally).

    Matching the first and second moments as well as the Gram matrix is what makes random
    (untrained) feature networks transfer texture well (Ustyuzhaninov et al. 2017; the
    mean/variance statistics of Huang & Belongie's AdaIN); for VGG19 it adds little harm.

    Args:
        features: sequence of ``(1, h_l, w_l, C_l)`` activations, one per style layer.
        targets: sequence of the style image's ``style_statistics``, same order.
    """
    errors = []
    for f, target in zip(features, targets):
        errors += [relative_error(mine, theirs)
                   for mine, theirs in zip(style_statistics(f), target)]
    return ops.sum(ops.stack(errors)) / len(features)


def total_variation(image):
    """Mean squared difference of neighbouring pixels of a ``(1, H, W, 3)`` ``[0, 1]`` image.

    The plain squared (L2) form, as in Johnson's neural-style: the Keras example's
    ``(dx^2 + dy^2) ^ 1.25`` suits 0-255 pixels, but on ``[0, 1]`` pixels it barely penalises
    the faint high-frequency patterns this term is meant to remove.
    """
    right = image[:, :, 1:, :] - image[:, :, :-1, :]
    down = image[:, 1:, :, :] - image[:, :-1, :, :]
    return ops.mean(ops.square(right)) + ops.mean(ops.square(down))


def _gaussian_taps(sigma: float) -> np.ndarray:
    radius = max(1, int(round(3 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float32)
    taps = np.exp(-0.5 * (x / sigma) ** 2)
    return taps / taps.sum()


def luma_edges(image, sigma: float = STRUCTURE_BLUR):
    """Horizontal and vertical differences of the blurred brightness (channel mean) of
    ``(1, H, W, 3)`` in ``[0, 1]``: a ``(1, H - 1, W - 1, 2)`` tensor (the outlines the
    structure term keeps)."""
    luma = ops.sum(image * ops.convert_to_tensor(np.array(GREY, np.float32)), axis=-1,
                   keepdims=True)
    taps = _gaussian_taps(sigma)
    # Mirrored borders: zero padding would draw a dark frame, an outline the photo lacks.
    # Built from flipped slices: Keras' torch backend pads "symmetric" unlike TensorFlow.
    radius = len(taps) // 2
    luma = ops.concatenate([ops.flip(luma[:, :radius], axis=1), luma,
                            ops.flip(luma[:, -radius:], axis=1)], axis=1)
    luma = ops.concatenate([ops.flip(luma[:, :, :radius], axis=2), luma,
                            ops.flip(luma[:, :, -radius:], axis=2)], axis=2)
    luma = ops.depthwise_conv(luma, ops.convert_to_tensor(taps[:, None, None, None]),
                              padding="valid")
    luma = ops.depthwise_conv(luma, ops.convert_to_tensor(taps[None, :, None, None]),
                              padding="valid")
    right = luma[:, :-1, 1:, :] - luma[:, :-1, :-1, :]
    down = luma[:, 1:, :-1, :] - luma[:, :-1, :-1, :]
    return ops.concatenate([right, down], axis=-1)


def structure_loss(image, target_edges):
    """Relative squared error of ``luma_edges(image)`` against the content's edges: 0 when
    the blurred outlines are the same, about 1 when they are gone (a flat image)."""
    return relative_error(luma_edges(image), target_edges)


def make_loss_fn(model, content_layer: str, style_layers: tuple[str, ...]):
    """The total loss of an image for one feature network.

    Args:
        model: ``(1, H, W, 3)`` RGB in ``[0, 1]`` -> dict of activations by layer name.
        content_layer, style_layers: names of ``model``'s outputs.

    Returns:
        ``loss_fn(image, content_target, edge_target, style_stats, weights) -> (loss,
        parts)``: ``image`` ``(1, H, W, 3)``; ``content_target`` the content image's
        ``content_layer`` output; ``edge_target`` its ``luma_edges``; ``style_stats`` one
        ``style_statistics`` triple (Gram, means, variances) per layer in ``style_layers``
        order, as ``targets`` returns them; ``weights`` ``(4,)`` float32 = (content, style,
        total variation, structure). ``loss`` is a scalar, ``parts`` a dict of the four
        unweighted terms (``content``, ``style``, ``tv``, ``structure``).
    """

    def loss_fn(image, content_target, edge_target, style_stats, weights):
        outputs = model(image, training=False)
        parts = {
            "content": content_loss(outputs[content_layer], content_target),
            "style": style_loss([outputs[name] for name in style_layers], style_stats),
            "tv": total_variation(image),
            "structure": structure_loss(image, edge_target),
        }
        loss = (weights[0] * parts["content"] + weights[1] * parts["style"]
                + weights[2] * parts["tv"] + weights[3] * parts["structure"])
        return loss, parts

    return loss_fn


def targets(model, content_layer: str, style_layers: tuple[str, ...], content, style):
    """What the losses compare against.

    Args:
        content: ``(1, H, W, 3)`` content image in ``[0, 1]``.
        style: ``(1, H', W', 3)`` style image in ``[0, 1]`` (any size).

    Returns:
        ``(content_target, edge_target, style_stats)`` as ``make_loss_fn``'s ``loss_fn``
        takes them: ``edge_target`` the content's ``luma_edges``, ``style_stats`` one
        ``style_statistics`` triple per style layer.
    """
    content_target = model(content, training=False)[content_layer]
    style_outputs = model(style, training=False)
    stats = tuple(style_statistics(style_outputs[name]) for name in style_layers)
    return content_target, luma_edges(ops.convert_to_tensor(content)), stats
