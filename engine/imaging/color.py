"""The pixel contract: the one module where channel order and value ranges change.

OpenCV decodes to BGR(A); everything past ``imaging.read()`` is RGB float32 in ``[0, 1]``.
Models declare their input range (``"-1,1"`` or ``"0,1"``); conversions live here too, as do
the display arrays the GUI receives (RGB uint8). No other module flips channels.
"""

from __future__ import annotations

import numpy as np

ModelRange = str  # "-1,1" or "0,1"

_MAX = {8: 255.0, 16: 65535.0}


def decoded_to_rgb(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, bool, int]:
    """Turn an OpenCV-decoded array into the contract.

    Args:
        arr: ``(H, W)`` grey, ``(H, W, 1)``, ``(H, W, 2)`` grey+alpha, ``(H, W, 3)`` BGR or
            ``(H, W, 4)`` BGRA; dtype uint8 or uint16 (float32 in ``[0, 1]`` is taken as is).

    Returns:
        ``(pixels, alpha, grey, bit_depth)``: pixels ``(H, W, 3)`` float32 RGB in ``[0, 1]``,
        alpha ``(H, W)`` float32 in ``[0, 1]`` or ``None``.
    """
    if arr.dtype == np.uint16:
        depth, scale = 16, 1.0 / 65535.0
    elif arr.dtype == np.uint8:
        depth, scale = 8, 1.0 / 255.0
    else:
        depth, scale = 8, 1.0
    if arr.ndim == 2:
        arr = arr[:, :, None]
    channels = arr.shape[2]
    alpha = None
    if channels in (2, 4):
        alpha = arr[:, :, -1].astype(np.float32) * scale
        arr = arr[:, :, :-1]
        channels -= 1
    if channels == 1:
        grey = arr[:, :, 0].astype(np.float32) * scale
        return np.repeat(grey[:, :, None], 3, axis=2), alpha, True, depth
    rgb = arr[:, :, ::-1].astype(np.float32) * scale
    return np.ascontiguousarray(rgb), alpha, False, depth


def rgb_to_encodable(
    pixels: np.ndarray, alpha: np.ndarray | None, bit_depth: int, grey: bool
) -> np.ndarray:
    """Inverse of ``decoded_to_rgb``: contract pixels to an OpenCV-encodable array.

    Args:
        pixels: ``(H, W, 3)`` float RGB in ``[0, 1]`` (values outside are clipped).
        alpha: ``(H, W)`` float in ``[0, 1]`` or ``None``.
        bit_depth: 8 or 16.
        grey: write a single grey channel (ITU-R BT.601 luma of the RGB).

    Returns:
        uint8/uint16 ``(H, W)``, ``(H, W, 2)``, ``(H, W, 3)`` BGR or ``(H, W, 4)`` BGRA.
    """
    top = _MAX[bit_depth]
    dtype = np.uint16 if bit_depth == 16 else np.uint8
    if grey:
        planes = [luma(pixels)]
    else:
        planes = [pixels[:, :, 2], pixels[:, :, 1], pixels[:, :, 0]]
    if alpha is not None:
        planes.append(alpha)
    out = np.empty(pixels.shape[:2] + (len(planes),), dtype=dtype)
    for i, plane in enumerate(planes):
        out[:, :, i] = quantize(plane, top)
    return out[:, :, 0] if out.shape[2] == 1 else out


def quantize(plane: np.ndarray, top: float) -> np.ndarray:
    """Round ``[0, 1]`` floats to integers in ``[0, top]`` (clipping first)."""
    return np.rint(np.clip(plane, 0.0, 1.0) * top)


def rgb_to_pil_array(pixels: np.ndarray, alpha: np.ndarray | None, grey: bool) -> np.ndarray:
    """Contract pixels to the uint8 RGB/RGBA/L/LA array Pillow expects (channel order RGB)."""
    planes = [luma(pixels)] if grey else [pixels[:, :, 0], pixels[:, :, 1], pixels[:, :, 2]]
    if alpha is not None:
        planes.append(alpha)
    out = np.stack([quantize(p, 255.0).astype(np.uint8) for p in planes], axis=2)
    return out[:, :, 0] if out.shape[2] == 1 else out


def luma(pixels: np.ndarray) -> np.ndarray:
    """BT.601 luma ``(H, W)`` of ``(H, W, 3)`` RGB, same range as the input."""
    return pixels[:, :, 0] * 0.299 + pixels[:, :, 1] * 0.587 + pixels[:, :, 2] * 0.114


def rgb_to_y(pixels: np.ndarray) -> np.ndarray:
    """Y of YCbCr (BT.601, as in super-resolution PSNR): ``(H, W)`` in ``[16/255, 235/255]``.

    Args:
        pixels: ``(H, W, 3)`` RGB float in ``[0, 1]``.
    """
    return (
        16.0 + 65.481 * pixels[..., 0] + 128.553 * pixels[..., 1] + 24.966 * pixels[..., 2]
    ) / 255.0


# Full-range BT.601 YCbCr (JPEG, ITU-T T.871): chroma = offset + (B or R - Y) / scale.
_CHROMA_OFFSET = 0.5
_CB_SCALE = 1.772
_CR_SCALE = 1.402


def rgb_to_ycbcr(pixels: np.ndarray) -> np.ndarray:
    """Full-range BT.601 YCbCr (as in JPEG) of RGB.

    Args:
        pixels: ``(..., 3)`` RGB float in ``[0, 1]``.

    Returns:
        ``(..., 3)`` float32: Y (the ``luma``) in ``[0, 1]``, Cb and Cr in ``[0, 1]`` with
        ``0.5`` meaning no colour.
    """
    pixels = np.asarray(pixels, dtype=np.float32)
    y = pixels[..., 0] * 0.299 + pixels[..., 1] * 0.587 + pixels[..., 2] * 0.114
    cb = _CHROMA_OFFSET + (pixels[..., 2] - y) / _CB_SCALE
    cr = _CHROMA_OFFSET + (pixels[..., 0] - y) / _CR_SCALE
    return np.stack([y, cb, cr], axis=-1).astype(np.float32, copy=False)


def ycbcr_to_rgb(ycbcr: np.ndarray) -> np.ndarray:
    """Inverse of ``rgb_to_ycbcr``: ``(..., 3)`` YCbCr to ``(..., 3)`` float32 RGB.

    Not clipped: a luma and chroma pair from different images can fall outside the RGB cube.
    """
    ycbcr = np.asarray(ycbcr, dtype=np.float32)
    y = ycbcr[..., 0]
    cb = ycbcr[..., 1] - _CHROMA_OFFSET
    cr = ycbcr[..., 2] - _CHROMA_OFFSET
    red = y + _CR_SCALE * cr
    blue = y + _CB_SCALE * cb
    green = (y - 0.299 * red - 0.114 * blue) / 0.587
    return np.stack([red, green, blue], axis=-1).astype(np.float32, copy=False)


# CIE Lab (D65 white) of sRGB: the decorrelated, roughly perceptually uniform colour space
# where palettes are compared and transferred (Reinhard et al. 2001).
_RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]], np.float64)
_D65 = np.array([0.95047, 1.0, 1.08883], np.float64)
_LAB_EPS = (6.0 / 29.0) ** 3
_LAB_K = (29.0 / 6.0) ** 2 / 3.0


def rgb_to_lab(pixels: np.ndarray) -> np.ndarray:
    """CIE Lab (D65) of sRGB pixels.

    Args:
        pixels: ``(..., 3)`` RGB float in ``[0, 1]`` (sRGB-encoded).

    Returns:
        ``(..., 3)`` float32: L in ``[0, 100]``, a and b roughly in ``[-128, 127]``.
    """
    rgb = np.clip(np.asarray(pixels, np.float64), 0.0, 1.0)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (linear @ _RGB_TO_XYZ.T) / _D65
    f = np.where(xyz > _LAB_EPS, np.cbrt(xyz), xyz * _LAB_K + 4.0 / 29.0)
    lab = np.stack([116.0 * f[..., 1] - 16.0, 500.0 * (f[..., 0] - f[..., 1]),
                    200.0 * (f[..., 1] - f[..., 2])], axis=-1)
    return lab.astype(np.float32)


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """Inverse of ``rgb_to_lab``: ``(..., 3)`` Lab to ``(..., 3)`` float32 sRGB clipped to
    ``[0, 1]`` (Lab colours outside the sRGB gamut are clipped)."""
    lab = np.asarray(lab, np.float64)
    fy = (lab[..., 0] + 16.0) / 116.0
    f = np.stack([fy + lab[..., 1] / 500.0, fy, fy - lab[..., 2] / 200.0], axis=-1)
    xyz = np.where(f > 6.0 / 29.0, f**3, (f - 4.0 / 29.0) / _LAB_K) * _D65
    linear = np.clip(xyz @ np.linalg.inv(_RGB_TO_XYZ).T, 0.0, 1.0)
    rgb = np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(rgb, 0.0, 1.0).astype(np.float32)


def to_display(pixels: np.ndarray) -> np.ndarray:
    """RGB uint8 ``(H, W, 3)`` for on-screen display (what the GUI receives)."""
    return np.ascontiguousarray(quantize(pixels, 255.0).astype(np.uint8))


def to_model(pixels: np.ndarray, value_range: ModelRange) -> np.ndarray:
    """Contract pixels (``[0, 1]`` RGB float) to a model's input range, float32."""
    if value_range == "-1,1":
        return (pixels.astype(np.float32) * 2.0 - 1.0).astype(np.float32)
    if value_range == "0,1":
        return pixels.astype(np.float32, copy=False)
    raise ValueError(f"unknown model value range {value_range!r}; expected '-1,1' or '0,1'")


def from_model(output: np.ndarray, value_range: ModelRange) -> np.ndarray:
    """A model's output in its range back to contract pixels: float32 clipped to ``[0, 1]``."""
    if value_range == "-1,1":
        output = (output.astype(np.float32) + 1.0) * 0.5
    elif value_range != "0,1":
        raise ValueError(f"unknown model value range {value_range!r}; expected '-1,1' or '0,1'")
    return np.clip(output, 0.0, 1.0).astype(np.float32, copy=False)


def collapse_grey(arr: np.ndarray) -> np.ndarray:
    """Drop the repeated channels of an OpenCV decode of a greyscale source.

    OpenCV may expand grey(+alpha) files (for example a grey+alpha PNG) to BGR(A) with three
    equal colour channels; the caller knows from the file header that the source is grey.

    Args:
        arr: ``(H, W)``, ``(H, W, 2)``, ``(H, W, 3)`` BGR or ``(H, W, 4)`` BGRA, any dtype.

    Returns:
        ``(H, W)`` grey or ``(H, W, 2)`` grey+alpha, same dtype (2-D and 2-channel input as is).
    """
    if arr.ndim == 2 or arr.shape[2] <= 2:
        return arr
    if arr.shape[2] == 4:
        return np.ascontiguousarray(arr[:, :, [0, 3]])
    return np.ascontiguousarray(arr[:, :, 0])


def rgb_ordered_to_rgb(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, bool, int]:
    """Like ``decoded_to_rgb`` for arrays already in RGB order (Pillow and tifffile decodes).

    Args:
        arr: ``(H, W)`` grey, ``(H, W, 2)`` grey+alpha, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA;
            dtype uint8 or uint16.

    Returns:
        ``(pixels, alpha, grey, bit_depth)`` exactly as ``decoded_to_rgb``.
    """
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        arr = arr[:, :, [2, 1, 0, 3][: arr.shape[2]]]
    return decoded_to_rgb(arr)


def rgb_to_array(
    pixels: np.ndarray, alpha: np.ndarray | None, grey: bool, bit_depth: int
) -> np.ndarray:
    """Contract pixels to an RGB-order integer array (what tifffile and Pillow write).

    Args:
        pixels: ``(H, W, 3)`` float RGB in ``[0, 1]`` (values outside are clipped).
        alpha: ``(H, W)`` float in ``[0, 1]`` or ``None``.
        grey: write one grey channel (BT.601 luma).
        bit_depth: 8 (uint8) or 16 (uint16).

    Returns:
        ``(H, W)`` grey, ``(H, W, 2)`` grey+alpha, ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA.
    """
    arr = rgb_to_encodable(pixels, alpha, bit_depth, grey)
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        arr = np.ascontiguousarray(arr[:, :, [2, 1, 0, 3][: arr.shape[2]]])
    return arr
