"""Published ``.pth`` layouts import (instance-norm running statistics dropped as the official
loader drops them); every malformed or foreign file is refused with one line, store untouched."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine import api  # noqa: E402
from engine.errors import ModelError  # noqa: E402
from engine.store import catalog  # noqa: E402
from engine.store.loader import load_model  # noqa: E402
from tests.engine.torch_reference import (  # noqa: E402
    ResnetGenerator,
    published_state_dict,
    randomise,
)

TINY_CYCLEGAN = dict(ngf=4, n_blocks=2, norm="instance")
TINY_DEBLURGAN = dict(ngf=4, n_blocks=2, norm="instance", use_dropout=True, learn_residual=True)


def _net(config: dict, seed: int = 5) -> torch.nn.Module:
    net = ResnetGenerator(**config)
    randomise(net, seed=seed)
    return net.eval()


def _output(net, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
@pytest.mark.parametrize("prefix", ["", "module."], ids=["plain", "dataparallel"])
@pytest.mark.parametrize("task, config", [("photo2monet", TINY_CYCLEGAN),
                                          ("deblur", TINY_DEBLURGAN)])
def test_published_layout_with_instance_norm_statistics_imports(store, tmp_path, task, config,
                                                                 prefix, zipped):
    net = _net(config)
    path = tmp_path / "latest_net_G.pth"
    state = published_state_dict(net, running_stats=True, prefix=prefix)
    assert any(k.endswith("model.2.running_mean") for k in state)
    torch.save(state, path, _use_new_zipfile_serialization=zipped)
    row = api.import_model(path, task, "published")
    manifest = catalog.get("published")
    assert row.source == "imported" and manifest.config["norm"] == "instance"
    x = np.random.default_rng(1).uniform(-1, 1, (1, 36, 28, 3)).astype(np.float32)
    got = np.asarray(load_model(manifest).predict_on_batch(x))
    assert np.abs(got - _output(net, x)).max() < 1e-4  # the statistics were not used


def test_batch_norm_file_keeps_its_statistics(store, tmp_path):
    net = _net(dict(ngf=4, n_blocks=1, norm="batch"))
    torch.save(published_state_dict(net), tmp_path / "bn.pth")
    api.import_model(tmp_path / "bn.pth", "monet2photo", "bn")
    x = np.random.default_rng(2).uniform(-1, 1, (1, 24, 32, 3)).astype(np.float32)
    got = np.asarray(load_model(catalog.get("bn")).predict_on_batch(x))
    assert np.abs(got - _output(net, x)).max() < 1e-4


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch pwned",))


def _save(state, path, zipped=True):
    torch.save(state, path, _use_new_zipfile_serialization=zipped, pickle_module=pickle)


def _edited(change, config=None, running_stats=True):
    def write(path):
        state = published_state_dict(_net(config or TINY_CYCLEGAN), running_stats)
        change(state)
        _save(state, path)
    return write


def _truncated(zipped):
    def write(path):
        _save(published_state_dict(_net(TINY_CYCLEGAN)), path, zipped)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return write


def _unet(path):
    _save({"model.model.0.weight": torch.zeros(8, 3, 4, 4),
           "model.model.1.model.1.weight": torch.zeros(16, 8, 4, 4)}, path)


def _zero_padded_blocks(path):
    """A ResnetGenerator whose blocks pad inside the conv (conv_block.0 / .4), as later
    DeblurGAN and ``padding_type="zero"`` write them: not the published layout."""
    state = published_state_dict(_net(TINY_CYCLEGAN))
    for key in list(state):
        for old, new in ((".conv_block.1.", ".conv_block.0."), (".conv_block.5.",
                                                                ".conv_block.4.")):
            if old in key:
                state[key.replace(old, new)] = state.pop(key)
    _save(state, path)


def _pop(key):
    return lambda state: state.pop(key)


def _put(key, value):
    return lambda state: state.__setitem__(key, value)


BAD_FILES = {
    "pickle code (zip)": (lambda p: _save({"x": torch.zeros(2), "e": _Evil()}, p), "refusing"),
    "pickle code (legacy)": (lambda p: _save({"x": torch.zeros(2), "e": _Evil()}, p, False),
                             "refusing"),
    "truncated zip": (_truncated(True), "not a readable|not a PyTorch"),
    "truncated legacy": (_truncated(False), "not a readable|not a PyTorch"),
    "random bytes": (lambda p: p.write_bytes(np.random.default_rng(0).bytes(4096)),
                     "not a readable|not a PyTorch"),
    "a U-Net": (_unet, "not a pytorch-CycleGAN-and-pix2pix or DeblurGAN ResnetGenerator"),
    "zero-padded blocks": (_zero_padded_blocks, r"lacks model\.10\.conv_block\.1\.weight"),
    "missing conv": (_edited(_pop("model.4.bias")), r"res1_conv1|down1_conv|model\.4"),
    "missing conv weight": (_edited(_pop("model.7.weight")), r"lacks model\.7\.weight"),
    "wrong-shaped conv": (_edited(_put("model.10.conv_block.1.weight",
                                       torch.zeros(16, 16, 5, 5))), "res1_conv1"),
    "missing batch-norm statistic": (
        _edited(_pop("model.5.running_var"), dict(ngf=4, n_blocks=1, norm="batch")),
        r"lacks model\.5\.running_var \(for layer model\.5\)"),
    "wrong-shaped batch-norm statistic": (
        _edited(_put("model.5.running_mean", torch.zeros(3)),
                dict(ngf=4, n_blocks=1, norm="batch")), "down1_norm"),
    "affine instance norm": (_edited(_put("model.2.weight", torch.ones(4)),
                                     running_stats=False),
                             "norm layer model.2 has a scale"),
    "a tensor left over": (_edited(_put("model.40.weight", torch.zeros(3, 3, 3, 3))),
                           r"no place for \(model\.40\.weight\)"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_with_one_line_and_nothing_stored(store, tmp_path, monkeypatch,
                                                              case):
    write, message = BAD_FILES[case]
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.pth"
    write(path)
    with pytest.raises(ModelError, match=message) as info:
        api.import_model(path, "photo2monet", "bad")
    assert "\n" not in str(info.value)
    assert api.list_models() == [] and not (store / "bad").exists()
    assert not (tmp_path / "pwned").exists()
