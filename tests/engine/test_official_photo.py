"""Imported official generators give the official network's image on the whole photo, and
instance-norm models tiled with the photo's statistics agree with one pass."""

from __future__ import annotations

import cv2
import keras
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine import api  # noqa: E402
from engine.imaging.image import Image  # noqa: E402
from engine.models import build  # noqa: E402
from engine.store.importers import add_model  # noqa: E402
from engine.tasks.registry import RunContext, get_task  # noqa: E402
from tests.engine.torch_reference import (  # noqa: E402
    ResnetGenerator,
    published_state_dict,
    randomise,
    run_padded,
)

CYCLEGAN = dict(ngf=8, n_blocks=2, norm="instance")
DEBLURGAN = dict(ngf=8, n_blocks=2, norm="instance", use_dropout=True, learn_residual=True)

# photo2monet as the official code runs it: full size, no grid average.
FULL_SIZE_ONE_PASS = {"work_size": 0, "degrain": False}


def _photo(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth colour fields plus fine noise, ``(H, W, 3)`` float32 in ``[0, 1]``."""
    rng = np.random.default_rng(seed)
    small = rng.random((height // 24 + 2, width // 24 + 2, 3)).astype(np.float32)
    smooth = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip(smooth + 0.08 * rng.standard_normal((height, width, 3)), 0, 1).astype(
        np.float32)


@pytest.mark.parametrize("task, config, zipped, prefix, size", [
    ("photo2monet", CYCLEGAN, True, "module.", (257, 301)),
    ("photo2monet", CYCLEGAN, False, "", (122, 97)),
    ("deblur", DEBLURGAN, False, "module.", (240, 319)),
    ("deblur", DEBLURGAN, True, "", (101, 150)),
])
def test_imported_generator_gives_the_official_image_of_the_whole_photo(
        store, tmp_path, task, config, zipped, prefix, size):
    net = ResnetGenerator(**config)
    randomise(net, seed=11)
    net.eval()  # DeblurGAN's own test code leaves dropout on; PhotoGAN never samples it
    path = tmp_path / "latest_net_G.pth"
    torch.save(published_state_dict(net, running_stats=True, prefix=prefix), path,
               _use_new_zipfile_serialization=zipped)
    api.import_model(path, task, "official")
    photo = _photo(*size)
    expected = np.clip((run_padded(net, photo * 2 - 1) + 1) / 2, 0, 1)
    # The official code's pass: the whole photo at full size, once (photo2monet's working
    # size and grid average are PhotoGAN's own steps).
    options = get_task(task).parse_options({"model": "official", "keep_tones": False,
                                            "keep_bokeh": False}
                                           if task == "deblur" else
                                           {"model": "official", **FULL_SIZE_ONE_PASS})
    got = get_task(task).process(Image(photo), options, RunContext()).pixels
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= 1 / 255


def _tiny_instance_norm_model(task: str, arch: str, config: dict, seed: int) -> None:
    keras.utils.set_random_seed(seed)
    model = build(arch, **config)
    add_model(model, task, "tiny-in", arch, config)


@pytest.mark.parametrize("task, arch, config", [
    ("photo2monet", "cyclegan_resnet", dict(ngf=4, n_blocks=1, norm="instance")),
    ("deblur", "deblurgan", dict(ngf=4, n_blocks=1, norm="instance")),
])
def test_tiles_with_photo_statistics_agree_with_one_pass(store, task, arch, config):
    _tiny_instance_norm_model(task, arch, config, seed=4)
    photo = Image(_photo(1200, 1700, seed=2))  # 2 MP
    t = get_task(task)
    options = t.parse_options({"keep_tones": False} if task == "deblur" else FULL_SIZE_ONE_PASS)
    one_pass = t.process(photo, options, RunContext(tile=4096)).pixels
    events = []
    ctx = RunContext(progress=events.append, tile=512)
    tiled = t.process(photo, options, ctx).pixels
    assert events[-1].total == events[-1].done > 2  # tiles, two passes over them
    diff = np.abs(tiled - one_pass) * 255
    assert diff.mean() <= 0.5 and diff.max() <= 4, (diff.mean(), diff.max())
