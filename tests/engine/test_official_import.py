"""Official PyTorch generators import without torch and match PyTorch's outputs."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from engine import api  # noqa: E402
from engine.errors import ModelError  # noqa: E402
from engine.store import catalog  # noqa: E402
from engine.store.loader import load_model  # noqa: E402
from engine.store.torch_pth import read_state_dict  # noqa: E402
from tests.engine.torch_reference import ResnetGenerator, randomise  # noqa: E402

CASES = [
    ("photo2monet", dict(ngf=8, n_blocks=2, norm="instance"), True),
    ("monet2photo", dict(ngf=4, n_blocks=3, norm="batch"), False),
    ("deblur", dict(ngf=8, n_blocks=2, norm="instance", use_dropout=True,
                    learn_residual=True), True),
]


@pytest.mark.parametrize("task, config, zipped", CASES)
def test_imported_generator_matches_pytorch(store, tmp_path, task, config, zipped):
    net = ResnetGenerator(**config)
    randomise(net, seed=3)
    net.eval()
    path = tmp_path / "latest_net_G.pth"
    torch.save(net.state_dict(), path, _use_new_zipfile_serialization=zipped)
    row = api.import_model(path, task, "official")
    assert row.source == "imported"
    x = np.random.default_rng(0).uniform(-1, 1, (2, 32, 40, 3)).astype(np.float32)
    with torch.no_grad():
        expected = net(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    model = load_model(catalog.get("official"))
    got = np.asarray(model.predict_on_batch(x))
    assert np.abs(got - expected).max() < 1e-4


def test_state_dict_reader_handles_module_prefix_and_wrappers(tmp_path):
    tensors = {"module.a": torch.arange(6, dtype=torch.float32).reshape(2, 3).t()}
    torch.save({"state_dict": tensors}, tmp_path / "w.pth")
    state = read_state_dict(tmp_path / "w.pth")
    assert list(state) == ["a"]
    np.testing.assert_array_equal(state["a"], np.arange(6).reshape(2, 3).T)


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, ("touch pwned",))


@pytest.mark.parametrize("zipped", [True, False])
def test_code_in_a_pth_is_never_run(tmp_path, monkeypatch, zipped):
    monkeypatch.chdir(tmp_path)
    torch.save({"x": torch.zeros(2), "evil": _Evil()}, tmp_path / "evil.pth",
               _use_new_zipfile_serialization=zipped, pickle_module=pickle)
    with pytest.raises(ModelError, match="refusing"):
        read_state_dict(tmp_path / "evil.pth")
    assert not (tmp_path / "pwned").exists()


def test_unknown_layout_is_refused(store, tmp_path):
    torch.save({"fc.weight": torch.zeros(3, 3)}, tmp_path / "other.pth")
    with pytest.raises(ModelError, match="unsupported layout"):
        api.import_model(tmp_path / "other.pth", "photo2monet", "other")
    assert api.list_models() == []
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint at all")
    with pytest.raises(ModelError, match="not"):
        api.import_model(tmp_path / "junk.pth", "deblur", "junk")
