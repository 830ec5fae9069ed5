"""Style-transfer losses in ``keras.ops`` (Gatys et al. 2016; the Keras "Neural style
transfer" example), so they run, and differentiate, on every backend.

Gram matrices are averaged over positions, Gatys et al.'s ``1 / (4 N^2 M^2)`` normalisation
that the Keras example also applies, so a style image of any size gives comparable targets.
Each content and style term is then divided by its target's squared norm: the terms are
relative errors, dimensionless, and the user's weights mean the same thing for VGG19 and the
random fallback network and at every working size.
"""

from __future__ import annotations

from keras import ops

# Keeps the relative losses finite for an all-black target (zero features).
EPSILON = 1e-8


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


def style_loss(features, target_grams):
    """Mean over layers of the relative squared error of Gram matrices.

    Args:
        features: sequence of ``(1, h_l, w_l, C_l)`` activations, one per style layer.
        target_grams: sequence of the style image's ``(C_l, C_l)`` Gram matrices, same order.
    """
    errors = [relative_error(gram_matrix(f), g) for f, g in zip(features, target_grams)]
    return ops.sum(ops.stack(errors)) / len(errors)


def total_variation(image):
    """Mean squared difference of neighbouring pixels of a ``(1, H, W, 3)`` ``[0, 1]`` image.

    The plain squared (L2) form, as in Johnson's neural-style: the Keras example's
    ``(dx^2 + dy^2) ^ 1.25`` suits 0-255 pixels, but on ``[0, 1]`` pixels it barely penalises
    the faint high-frequency patterns this term is meant to remove.
    """
    right = image[:, :, 1:, :] - image[:, :, :-1, :]
    down = image[:, 1:, :, :] - image[:, :-1, :, :]
    return ops.mean(ops.square(right)) + ops.mean(ops.square(down))


def make_loss_fn(model, content_layer: str, style_layers: tuple[str, ...]):
    """The total loss of an image for one feature network.

    Args:
        model: ``(1, H, W, 3)`` RGB in ``[0, 1]`` -> dict of activations by layer name.
        content_layer, style_layers: names of ``model``'s outputs.

    Returns:
        ``loss_fn(image, content_target, style_grams, weights) -> (loss, parts)``: ``image``
        ``(1, H, W, 3)``; ``content_target`` the content image's ``content_layer`` output;
        ``style_grams`` a tuple of ``(C_l, C_l)`` in ``style_layers`` order; ``weights``
        ``(3,)`` float32 = (content, style, total variation). ``loss`` is a scalar, ``parts``
        a dict of the three unweighted terms (``content``, ``style``, ``tv``).
    """

    def loss_fn(image, content_target, style_grams, weights):
        outputs = model(image, training=False)
        parts = {
            "content": content_loss(outputs[content_layer], content_target),
            "style": style_loss([outputs[name] for name in style_layers], style_grams),
            "tv": total_variation(image),
        }
        loss = (weights[0] * parts["content"] + weights[1] * parts["style"]
                + weights[2] * parts["tv"])
        return loss, parts

    return loss_fn


def targets(model, content_layer: str, style_layers: tuple[str, ...], content, style):
    """What the losses compare against.

    Args:
        content: ``(1, H, W, 3)`` content image in ``[0, 1]``.
        style: ``(1, H', W', 3)`` style image in ``[0, 1]`` (any size).

    Returns:
        ``(content_target, style_grams)`` as ``make_loss_fn``'s ``loss_fn`` takes them.
    """
    content_target = model(content, training=False)[content_layer]
    style_outputs = model(style, training=False)
    return content_target, tuple(gram_matrix(style_outputs[name]) for name in style_layers)
