"""Image quality metrics for evaluation: PSNR and SSIM on RGB and on the Y channel."""

from __future__ import annotations

import numpy as np

from engine.imaging import color


def _crop(img: np.ndarray, border: int) -> np.ndarray:
    return img[border:-border, border:-border] if border else img


def psnr(result: np.ndarray, truth: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of two arrays in ``[0, 1]`` (same shape)."""
    mse = float(np.mean((result.astype(np.float64) - truth.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def ssim(result: np.ndarray, truth: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004, Gaussian window) of ``(H, W)`` or
    ``(H, W, 3)`` arrays in ``[0, 1]``; colour images average the per-channel SSIM."""
    from skimage.metrics import structural_similarity

    channel_axis = 2 if result.ndim == 3 else None
    return float(structural_similarity(
        truth, result, data_range=1.0, channel_axis=channel_axis, gaussian_weights=True,
        sigma=1.5, use_sample_covariance=False))


def quality(result: np.ndarray, truth: np.ndarray, border: int = 4) -> dict[str, float]:
    """PSNR and SSIM on RGB and on Y (BT.601), ``border`` pixels cropped on every side.

    Args:
        result, truth: ``(H, W, 3)`` float32 RGB in ``[0, 1]``.

    Returns:
        ``{"psnr_rgb", "ssim_rgb", "psnr_y", "ssim_y"}``.
    """
    result = np.clip(_crop(result, border), 0.0, 1.0)
    truth = _crop(truth, border)
    y_result, y_truth = color.rgb_to_y(result), color.rgb_to_y(truth)
    return {"psnr_rgb": psnr(result, truth), "ssim_rgb": ssim(result, truth),
            "psnr_y": psnr(y_result, y_truth), "ssim_y": ssim(y_result, y_truth)}
