"""Colour-statistics transfer: give a photo a painting's palette (no network involved).

``match_colors`` moves the photo's colours in CIE Lab so each channel has the painting's mean
and spread (Reinhard et al. 2001, "Color Transfer between Images"), then matches the photo's
Lab histogram to the painting's channel by channel, quantile by quantile (so a painting whose
colours cluster in a few hues gives the photo those clusters, not just the same average). The
photo's pixels keep their order within each channel, so shapes and edges are untouched.

The style task starts its optimisation from this image and uses it as the content target; the
evaluation (``engine.evaluation.eval_style``) scores it alone as the "colour transfer" reference.
"""

from __future__ import annotations

import numpy as np

from engine.imaging import color

# Quantiles compared per channel by the histogram match.
QUANTILES = 256
# Share of the full histogram match mixed with the mean/spread transfer: the full match
# copies the painting's palette exactly but can posterise smooth gradients; the mix keeps
# gradients smooth and still lands the palette.
HISTOGRAM_SHARE = 0.7
# Pixels converted at a time by ``match_moments`` (bounds its float64 temporaries on big
# photos to some 100 MB whatever the photo's size).
CHUNK_PIXELS = 1 << 20


def match_colors(content: np.ndarray, style: np.ndarray,
                 histogram_share: float = HISTOGRAM_SHARE) -> np.ndarray:
    """``content`` recoloured with ``style``'s palette.

    Args:
        content: ``(H, W, 3)`` RGB float in ``[0, 1]``.
        style: ``(H', W', 3)`` RGB float in ``[0, 1]`` (any size).
        histogram_share: 0 = mean/spread transfer only, 1 = full per-channel histogram match.

    Returns:
        ``(H, W, 3)`` float32 RGB in ``[0, 1]``.
    """
    lab = color.rgb_to_lab(content).reshape(-1, 3).astype(np.float64)
    ref = color.rgb_to_lab(style).reshape(-1, 3).astype(np.float64)
    spread = ref.std(axis=0) / np.maximum(lab.std(axis=0), 1e-3)
    moved = (lab - lab.mean(axis=0)) * spread + ref.mean(axis=0)
    if histogram_share > 0:
        matched = np.stack([_histogram_match(moved[:, c], ref[:, c]) for c in range(3)], 1)
        moved = (1.0 - histogram_share) * moved + histogram_share * matched
    return color.lab_to_rgb(moved.reshape(content.shape))


def _histogram_match(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``values`` mapped through their own quantiles onto ``reference``'s (1-D, float64)."""
    q = np.linspace(0.0, 1.0, QUANTILES)
    source_q = np.quantile(values, q)
    target_q = np.quantile(reference, q)
    source_q = np.maximum.accumulate(source_q + np.arange(QUANTILES) * 1e-9)
    return np.interp(values, source_q, target_q)


def match_moments(content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """``content`` with ``style``'s Lab mean and spread per channel: ``match_colors`` with
    ``histogram_share=0`` (a linear map per Lab channel, which moves no edge), computed in
    chunks of ``CHUNK_PIXELS`` pixels so a full-size photo needs little extra memory.

    Args:
        content: ``(H, W, 3)`` RGB float in ``[0, 1]``.
        style: ``(H', W', 3)`` RGB float in ``[0, 1]`` (any size).

    Returns:
        ``(H, W, 3)`` float32 RGB in ``[0, 1]``.
    """
    flat = content.reshape(-1, 3)
    chunks = [slice(i, i + CHUNK_PIXELS) for i in range(0, len(flat), CHUNK_PIXELS)]
    total, squares = np.zeros(3), np.zeros(3)
    for chunk in chunks:
        lab = color.rgb_to_lab(flat[chunk]).astype(np.float64)
        total += lab.sum(axis=0)
        squares += (lab * lab).sum(axis=0)
    mean = total / max(len(flat), 1)
    std = np.sqrt(np.maximum(squares / max(len(flat), 1) - mean * mean, 0.0))
    ref = color.rgb_to_lab(style).reshape(-1, 3).astype(np.float64)
    spread = ref.std(axis=0) / np.maximum(std, 1e-3)
    out = np.empty(flat.shape, np.float32)
    for chunk in chunks:
        lab = color.rgb_to_lab(flat[chunk]).astype(np.float64)
        out[chunk] = color.lab_to_rgb((lab - mean) * spread + ref.mean(axis=0))
    return out.reshape(content.shape)
