"""``KitDataset``: deblur training pairs from a GPU kit, degraded with torch on the device.

A kit folder (``engine.training.kit_build``; ``make gpu-kit``) holds sharp tiles and a
bank of blur kernels. Each item of a batch: a random photo, one of its tiles, a random
``(crop + 2 * margin)`` window (one with detail, as folder datasets choose them, except for
a ``plain_crops`` share, cut anywhere), a left-right flip and, for a ``bokeh_share`` of the
items, an out-of-focus background in the target (``heavy_blur.soft_background``, on the
CPU); then, like
``heavy_blur.degrade_heavy``: ``SHARP_SHARE`` of the items stay sharp (input = target); the
others get highlights boosted (luma > 0.85 times 1.5-4) 15% of the time, a bank kernel
(FFT products for the whole batch at once; mirrored border and correlation as
``degrade.blur``), the central crop, sensor noise ``sigma * sqrt(0.5 + value)`` with sigma
0-0.025 (as ``degrade.add_noise``) and, half of the time, a JPEG round trip at quality
60-95 on the CPU.

The blur and the noise run on CUDA when torch sees a GPU, else on the CPU (tests). Every
random choice is drawn from the ``rng`` given to ``sample`` (noise through a torch generator
seeded from it), so the same ``rng`` state gives the same batch on the same device.
``photogan train deblur --data KIT`` picks this dataset when the folder holds ``kit.json``;
a kit always trains the heavy mix.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from engine.errors import UsageError
from engine.imaging import color
from engine.training import degrade, heavy_blur
from engine.training.datasets import TEXTURE_MIN, TEXTURE_TRIES, texture
from engine.training.kit_build import KIT_FORMAT, KIT_MANIFEST

__all__ = ["KitDataset", "is_kit"]

SHARP_SHARE = 0.1
HIGHLIGHT_SHARE = 0.15
NOISE_MAX = 0.025
JPEG_SHARE = 0.5
_LUMA = (0.299, 0.587, 0.114)
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="kit-jpeg")


def is_kit(folder) -> bool:
    """Whether ``folder`` is a GPU kit (holds ``kit.json``)."""
    return folder is not None and (Path(folder) / KIT_MANIFEST).is_file()


def _unpack(blob: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [blob[offsets[i]:offsets[i + 1]] for i in range(len(offsets) - 1)]


def _decode(encoded: np.ndarray) -> np.ndarray:
    """An encoded (WebP) tile to uint8 RGB ``(T, T, 3)`` (through the pixel contract)."""
    pixels, _, _, _ = color.decoded_to_rgb(cv2.imdecode(encoded, cv2.IMREAD_COLOR))
    return np.rint(pixels * 255.0).astype(np.uint8)


def _load_kernels(path: Path) -> list[tuple[np.ndarray, tuple[int, int]]]:
    """The bank as ``(cut kernel float32 summing to 1, anchor)`` pairs."""
    with np.load(path, allow_pickle=False) as data:
        bank = {k: data[k] for k in data.files}
    out = []
    for flat, shape, anchor in zip(_unpack(bank["values"], bank["offsets"]), bank["shapes"],
                                   bank["anchors"]):
        kernel = flat.astype(np.float32).reshape(tuple(shape))
        out.append((kernel / kernel.sum(), (int(anchor[0]), int(anchor[1]))))
    return out


def _jpeg(img: np.ndarray, item: dict) -> np.ndarray:
    return degrade.jpeg(img, np.random.default_rng(item["jpeg_seed"]), item["jpeg"])


def _correlate(x, weights, reach: int):
    """``cv2.filter2D`` per item and channel (mirrored border, same size), through the FFT.

    Args:
        x: ``(B, 3, H, W)`` float32 tensor.
        weights: ``(B * 3, 1, K, K)`` kernels, ``K = 2 * reach + 1``.

    Returns:
        ``(B, 3, H, W)``: ``out[y, x] = sum_ij pad(x)[y + i, x + j] k[i, j]``. Shake kernels
        are up to 77 px wide, where a spatial (depthwise) convolution costs ``K**2`` per pixel;
        the padded image's FFT product does not grow with ``K``. Correlating is convolving
        with the kernel turned 180 degrees; the valid part starts at ``K - 1``.
    """
    import torch
    import torch.nn.functional as F

    b, _, h, w = x.shape
    if reach == 0:
        return x * weights.reshape(b, 3, 1, 1)
    padded = F.pad(x, (reach, reach, reach, reach), mode="reflect")
    size = padded.shape[-2:]
    k = 2 * reach + 1
    kernels = torch.flip(weights.reshape(b, 3, k, k), dims=(-2, -1))
    product = torch.fft.rfft2(padded, s=size) * torch.fft.rfft2(kernels, s=size)
    full = torch.fft.irfft2(product, s=size)
    return full[:, :, k - 1:k - 1 + h, k - 1:k - 1 + w]


def _device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class KitDataset:
    """Deblur batches from a kit folder (see the module docstring).

    Args:
        root: the kit folder.
        crop: training crop side; at most the kit's ``max_crop``.
        seed: recorded in ``describe()``; batches depend only on ``sample``'s generator.
        plain_crops: share of items cut anywhere rather than where the tile has detail.
        device: ``"cuda"`` / ``"cpu"``; default CUDA when available.

    Raises:
        UsageError: not a kit, another kit format, or a crop too large for its tiles.
    """

    kind = "deblur"
    mode = "kit"

    def __init__(self, root, crop: int, seed: int = 0, plain_crops: float = 0.3,
                 device=None, bokeh_share: float = 0.0) -> None:
        try:
            import torch
        except ImportError:
            raise UsageError("Training from a GPU kit needs PyTorch (pip install "
                             "'photogan[torch]'); the kit's batches are made with it.") from None
        self.root = Path(root)
        if not is_kit(self.root):
            raise UsageError(f"{self.root} is not a GPU kit (no {KIT_MANIFEST}); build one "
                             "with build_scripts/make_gpu_kit.py.")
        self.manifest = json.loads((self.root / KIT_MANIFEST).read_text(encoding="utf-8"))
        if self.manifest.get("format") != KIT_FORMAT:
            raise UsageError(f"{self.root} holds kit format {self.manifest.get('format')!r}; "
                             f"this PhotoGAN reads {KIT_FORMAT!r}. Rebuild the kit.")
        self.crop, self.seed, self.plain_crops = int(crop), int(seed), float(plain_crops)
        self.bokeh_share = float(bokeh_share)
        self.margin = int(self.manifest["margin"])
        if self.crop > self.manifest["max_crop"]:
            raise UsageError(f"crop {self.crop} is larger than this kit's tiles allow "
                             f"({self.manifest['max_crop']}); use a smaller crop.")
        with np.load(self.root / "tiles.npz", allow_pickle=False) as data:
            self.tiles = list(_POOL.map(_decode, _unpack(data["images"], data["offsets"])))
            scores = data["texture"]
            sources = data["source"]
        # Items draw a photo, then one of its tiles: as many items per photo as a folder
        # dataset gives, whatever the photo's size (large wallpapers are mostly smooth).
        self.by_photo = [np.flatnonzero(sources == s) for s in np.unique(sources)]
        detailed = np.flatnonzero(scores >= TEXTURE_MIN)
        self.detailed = detailed if detailed.size else np.arange(len(self.tiles))
        self.kernels = _load_kernels(self.root / "kernels.npz")
        self.device = torch.device(device) if device else _device()
        self.problems: list[str] = list(self.manifest.get("problems", []))

    # --- drawing -----------------------------------------------------------------------------

    def _draw(self, rng: np.random.Generator, tile_index=None) -> dict:
        """One item's random choices, always drawn in the same order (exact replay)."""
        side = self.crop + 2 * self.margin
        if tile_index is None:  # a random window of a random tile, maybe mirrored
            plain = rng.uniform() < self.plain_crops
            tiles = self.by_photo[int(rng.integers(0, len(self.by_photo)))]
            tile_index = int(tiles[rng.integers(0, len(tiles))])
            top, left = self._spot(self.tiles[tile_index], rng, plain)
            flip = bool(rng.uniform() < 0.5)
        else:  # validation: the centre of the given tile
            room_y, room_x = (n - side for n in self.tiles[tile_index].shape[:2])
            top, left, flip = room_y // 2, room_x // 2, False
        bokeh = -1  # no draw at a zero share: the streams of earlier runs stay the same
        if self.bokeh_share > 0 and rng.uniform() < self.bokeh_share:
            bokeh = int(rng.integers(0, 2**32))
        return {
            "tile": tile_index, "top": top, "left": left, "flip": flip, "bokeh": bokeh,
            "sharp": bool(rng.uniform() < SHARP_SHARE),
            "gain": float(rng.uniform(1.5, 4.0)) if rng.uniform() < HIGHLIGHT_SHARE else 1.0,
            "kernel": int(rng.integers(0, len(self.kernels))),
            "sigma": float(rng.uniform(0.0, NOISE_MAX)),
            "noise_seed": int(rng.integers(0, 2**63 - 1)),
            "jpeg": int(rng.integers(60, 96)) if rng.uniform() < JPEG_SHARE else 0,
            "jpeg_seed": int(rng.integers(0, 2**32)),
        }

    def _spot(self, tile: np.ndarray, rng: np.random.Generator, plain: bool) -> tuple[int, int]:
        """A window's top-left corner: anywhere for a plain crop; else, as
        ``datasets._textured_window``, the first of ``TEXTURE_TRIES`` random windows whose
        crop has ``texture >= TEXTURE_MIN`` (else the most textured of them)."""
        side, m, c = self.crop + 2 * self.margin, self.margin, self.crop
        room_y, room_x = tile.shape[0] - side, tile.shape[1] - side
        best, best_score = None, -1.0
        for _ in range(1 if plain else TEXTURE_TRIES):
            top, left = int(rng.integers(0, room_y + 1)), int(rng.integers(0, room_x + 1))
            if plain:
                return top, left
            score = texture(tile[top + m:top + m + c, left + m:left + m + c])
            if score >= TEXTURE_MIN:
                return top, left
            if score > best_score:
                best, best_score = (top, left), score
        return best

    def _window(self, item: dict) -> np.ndarray:
        side = self.crop + 2 * self.margin
        y, x = item["top"], item["left"]
        window = self.tiles[item["tile"]][y:y + side, x:x + side]
        window = window[:, ::-1] if item["flip"] else window
        if item.get("bokeh", -1) < 0:
            return window
        soft = heavy_blur.soft_background(window.astype(np.float32) / np.float32(255.0),
                                          np.random.default_rng(item["bokeh"]))
        return np.rint(soft * 255.0).astype(np.uint8)

    def _kernel_stack(self, items: list[dict]):
        """``(B * 3, 1, K, K)`` float32 weights: each item's kernel (a delta when sharp),
        placed so its full kernel's centre is the canvas centre; ``K = 2 R + 1``."""
        import torch

        cuts = [(np.ones((1, 1), np.float32), (0, 0)) if it["sharp"]
                else self.kernels[it["kernel"]] for it in items]
        reach = max(max(a[0], a[1], k.shape[0] - 1 - a[0], k.shape[1] - 1 - a[1])
                    for k, a in cuts)
        if reach > self.margin:
            raise UsageError(f"a kernel of this kit reaches {reach} px, beyond its "
                             f"{self.margin}-px margin; rebuild the kit.")
        canvas = np.zeros((len(items), 2 * reach + 1, 2 * reach + 1), np.float32)
        for i, (kernel, (ay, ax)) in enumerate(cuts):
            y, x = reach - ay, reach - ax
            canvas[i, y:y + kernel.shape[0], x:x + kernel.shape[1]] = kernel
        weights = torch.from_numpy(np.repeat(canvas, 3, axis=0)[:, None])
        return weights.to(self.device), reach

    def _degrade(self, items: list[dict]) -> tuple[np.ndarray, np.ndarray]:
        """Blurred and sharp ``(B, crop, crop, 3)`` float32 in ``[0, 1]`` for ``items``."""
        import torch

        windows = np.stack([self._window(it) for it in items])
        m, c = self.margin, self.crop
        sharp = windows[:, m:m + c, m:m + c].astype(np.float32) / np.float32(255.0)
        with torch.no_grad():
            x = torch.from_numpy(windows).to(self.device).permute(0, 3, 1, 2).float() / 255.0
            luma = sum(w * x[:, i] for i, w in enumerate(_LUMA))[:, None]
            gains = torch.tensor([it["gain"] for it in items], device=self.device)
            x = x * torch.where(luma > 0.85, gains[:, None, None, None], 1.0)
            weights, reach = self._kernel_stack(items)
            out = _correlate(x, weights, reach)[:, :, m:m + c, m:m + c].clamp(0.0, 1.0)
            out = self._add_noise(out, items)
        blurred = out.permute(0, 2, 3, 1).contiguous().cpu().numpy()
        for i, it in enumerate(items):
            if it["sharp"]:
                blurred[i] = sharp[i]
        jpegs = [i for i, it in enumerate(items) if it["jpeg"] and not it["sharp"]]
        # OpenCV releases the GIL: the round trips run side by side (each has its own seed).
        for i, img in zip(jpegs, _POOL.map(lambda i: _jpeg(blurred[i], items[i]), jpegs)):
            blurred[i] = img
        return blurred, sharp

    def _add_noise(self, out, items: list[dict]):
        """``degrade.add_noise`` per item, from a torch generator seeded by the item."""
        import torch

        noisy = []
        for i, it in enumerate(items):
            img = out[i]
            if it["sigma"] > 0 and not it["sharp"]:
                gen = torch.Generator(device=self.device).manual_seed(it["noise_seed"])
                noise = torch.randn(img.shape, generator=gen, device=self.device)
                img = (img + noise * it["sigma"] * torch.sqrt(0.5 + img)).clamp(0.0, 1.0)
            noisy.append(img)
        return torch.stack(noisy)

    # --- the Dataset protocol ------------------------------------------------------------------

    def sample(self, rng: np.random.Generator, batch: int) -> dict[str, np.ndarray]:
        """A random batch: ``{"input", "target"}`` float32 ``(B, crop, crop, 3)`` in [0, 1]."""
        items = [self._draw(rng) for _ in range(int(batch))]
        blurred, sharp = self._degrade(items)
        return {"input": blurred, "target": sharp}

    def validation(self, count: int, seed: int = 1234) -> dict[str, np.ndarray]:
        """Fixed pairs: centre crops of the first detailed tiles, never left sharp."""
        rng = np.random.default_rng([int(seed), 7])
        items = []
        for i in range(int(count)):
            item = self._draw(rng, int(self.detailed[i % len(self.detailed)]))
            items.append({**item, "sharp": False})
        blurred, sharp = self._degrade(items)
        return {"input": blurred, "target": sharp}

    def describe(self) -> dict:
        return {"kind": self.kind, "mode": self.mode, "root": str(self.root),
                "crop": self.crop, "seed": self.seed, "images": len(self.tiles),
                "detailed": int(len(self.detailed)), "kernels": len(self.kernels),
                "plain_crops": self.plain_crops, "bokeh_share": self.bokeh_share,
                "heavy": True, "device": str(self.device),
                "problems": list(self.problems)}
