"""The ``style`` task: neural style transfer (Gatys et al. 2016) of a photo onto a painting.

The photo is shrunk so its long side is ``size`` pixels, its pixels are optimised so its deep
features keep the photo's content while their Gram matrices match the style image's, and
the result is Lanczos-resized back to the photo's own size (photographers expect an output
the size of the input; ``size`` only sets how fine the brush strokes are and how long it
takes). Alpha is kept as it was.

Palette and brushwork are transferred separately. The photo is first given the painting's
colour statistics (``engine.style.palette.match_colors``, Lab mean/spread plus histogram
matching), which is both the optimisation's start and its content target, so the optimiser
spends its iterations on texture, not on dragging colours across the gamut. The style loss
then matches the Gram matrices *and* the channel means and spreads of every style layer.
With ``keep_colors`` only luminance is transferred and the photo's own full-resolution colours
are put back (Gatys et al. 2016, "Preserving Color in Neural Artistic Style Transfer").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from engine.errors import HINT_IMPORT_VGG19, PhotoGANError, UsageError
from engine.events import IterationProgress, Notice
from engine.imaging import color, io
from engine.imaging.image import Image
from engine.imaging.resample import resize_to
from engine.style import features
from engine.style.palette import match_colors
from engine.tasks import photo_size
from engine.tasks.params import Param
from engine.tasks.registry import RunContext, Task, register

# Smallest working side: the deepest style layer sees the image pooled 16 times.
MIN_WORK_SIDE = 16


@register
class Style(Task):
    """Neural style transfer with VGG19 features (or the random fallback network)."""

    id = "style"
    title = "Style transfer"
    description = (
        "Repaints a photo in the style of a painting (Van Gogh's Starry Night or any image) by "
        "neural style transfer. The work happens at 'size' pixels on the long side; the "
        "output keeps the photo's own size."
    )
    params = (
        Param("style_image", "str", "starry_night",
              "A bundled style by name (for example starry_night) or the path of any image "
              "whose style to copy.",
              choices=tuple(features.bundled_styles())),
        Param("content_weight", "float", 1.0,
              "How closely the result keeps the photo's shapes; raise it to keep more detail.",
              min=0.0, max=1e4),
        Param("style_weight", "float", 30.0,
              "How strongly the painting's textures and colours are applied.",
              min=0.0, max=1e6),
        Param("tv_weight", "float", 3.0,
              "Smoothness: higher values remove speckle and noise from the result.",
              min=0.0, max=1e6),
        Param("structure_weight", "float", 30.0,
              "How firmly the photo's outlines are kept under the brushwork (edges of the "
              "blurred brightness); 0 lets the strokes redraw them.",
              min=0.0, max=1e6),
        Param("iterations", "int", 50,
              "Optimisation steps; more gives a stronger, cleaner result and takes longer.",
              min=1, max=2000),
        Param("size", "int", 512,
              "Working size: long side in pixels the style is painted at (bigger paints "
              "finer strokes but is much slower); the output keeps the photo's size.",
              min=64, max=2048),
        Param("keep_colors", "bool", False,
              "Keep the photo's own colours and transfer only the painting's brushwork "
              "(luminance).",),
        Param("optimizer", "choice", "lbfgs",
              "lbfgs (L-BFGS, as in the original method: best result per step) or adam.",
              choices=("lbfgs", "adam")),
        Param("seed", "int", 0,
              "Seed of the built-in feature network used when VGG19 weights are absent.",
              min=0, max=2**31 - 1),
    )

    def parse_options(self, given: dict) -> dict:
        options = super().parse_options(given)
        features.resolve_style(options["style_image"])
        return options

    def quality_notice(self) -> str | None:
        """A sentence saying results are reduced-quality (no VGG19 weights), else ``None``."""
        return features.quality_notice()

    def process(self, image: Image, options: dict, ctx: RunContext) -> Image:
        style = read_style(options["style_image"])
        weights = features.find_vgg19_weights()
        if weights is None:
            ctx.progress(Notice(message=features.QUALITY_NOTICE, hint=HINT_IMPORT_VGG19,
                                item=ctx.item))
        net = features.load_feature_net(options["seed"], weights)
        height, width = working_shape(image.height, image.width, options["size"])
        content = resize_to(image.pixels, width, height, "area")
        style = resize_like(style, max(height, width))
        if options["keep_colors"]:
            content, style = luminance_images(content, style)
        else:
            content = match_colors(np.clip(content, 0.0, 1.0), style)
        result = stylize(content, style, net, options, ctx)
        return photo_size.back_to_photo(image, result, options["keep_colors"], ctx)


def working_shape(height: int, width: int, size: int) -> tuple[int, int]:
    """``(h, w)`` with the long side ``size`` (never larger than the photo), aspect kept,
    both at least ``MIN_WORK_SIDE``."""
    return photo_size.working_shape(height, width, size, MIN_WORK_SIDE)


def read_style(name_or_path: str) -> np.ndarray:
    """The style image's ``(H, W, 3)`` RGB float32 in ``[0, 1]`` (alpha ignored).

    Raises:
        UsageError: not a bundled style or readable image, saying which parameter.
    """
    path = features.resolve_style(name_or_path)
    try:
        return io.read(path).pixels
    except PhotoGANError as exc:
        raise UsageError(f"Parameter 'style_image': {exc}") from exc


def resize_like(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """Resize ``(H, W, 3)`` so its long side is ``long_side`` (area down, Lanczos up)."""
    height, width = pixels.shape[:2]
    scale = long_side / max(height, width)
    new_h, new_w = working_shape(round(height * scale), round(width * scale), long_side)
    method = "area" if scale < 1.0 else "lanczos"
    return np.clip(resize_to(pixels, new_w, new_h, method), 0.0, 1.0)


def luminance_images(content: np.ndarray, style: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey (luma in all three channels) content and style images for luminance-only
    transfer, the style's luma shifted and scaled to the content's mean and spread."""
    content_y = color.rgb_to_ycbcr(content)[..., 0]
    style_y = color.rgb_to_ycbcr(style)[..., 0]
    spread = content_y.std() / max(float(style_y.std()), 1e-6)
    style_y = np.clip((style_y - style_y.mean()) * spread + content_y.mean(), 0.0, 1.0)
    return _grey3(content_y), _grey3(style_y)


def _grey3(y: np.ndarray) -> np.ndarray:
    return np.repeat(y[:, :, None], 3, axis=2).astype(np.float32)


def stylize(content: np.ndarray, style: np.ndarray, net: features.FeatureNet, options: dict,
            ctx: RunContext) -> np.ndarray:
    """Optimise ``content``'s pixels towards ``style``, starting from ``content``.

    Args:
        content: ``(H, W, 3)`` float32 in ``[0, 1]`` at working size.
        style: ``(H', W', 3)`` float32 in ``[0, 1]``.
        net: the feature network.
        options: the task's parsed options (weights, iterations, optimizer).
        ctx: progress (``iterations`` events with the loss) and cancel.

    Returns:
        ``(H, W, 3)`` float32 in ``[0, 1]``.
    """
    from keras import ops

    from engine.style import losses, optimize

    start = content[None].astype(np.float32)
    grad_fn = _value_and_grad(net)
    content_target, edge_target, style_stats = losses.targets(
        net.model, net.content_layer, net.style_layers, start, style[None].astype(np.float32))
    weights = ops.convert_to_tensor(np.array(
        [options["content_weight"], options["style_weight"], options["tv_weight"],
         options["structure_weight"]], np.float32))
    total = options["iterations"]

    def fun(image: np.ndarray):
        return grad_fn(image, content_target, edge_target, style_stats, weights)

    def on_iteration(done: int, loss: float, parts: dict) -> None:
        ctx.progress(IterationProgress(done=done, total=total, item=ctx.item, loss=loss,
                                       parts=dict(parts)))

    result = optimize.optimize(fun, start, options["optimizer"], total, on_iteration,
                               ctx.cancel)
    return result[0]


@lru_cache(maxsize=4)
def _value_and_grad(net: features.FeatureNet):
    """One compiled loss-and-gradient function per feature network, reused across images."""
    from engine.style import losses, optimize

    loss_fn = losses.make_loss_fn(net.model, net.content_layer, net.style_layers)
    return optimize.value_and_grad(loss_fn)
