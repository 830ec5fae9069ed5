"""Model builders: shapes, value ranges, serialisation, and equivalence with PyTorch ops."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import h5py  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from engine import models  # noqa: E402
from engine.errors import ModelError  # noqa: E402
from engine.models import layers as pl  # noqa: E402
from engine.models import vgg  # noqa: E402
from engine.models.channel_scale import ChannelScale  # noqa: E402

TINY = {
    "deblurgan": {"ngf": 4, "n_blocks": 1},
    "deblur_unet": {"width": 4, "enc_blocks": (1, 1, 1), "mid_blocks": 1,
                    "dec_blocks": (1, 1, 1)},
    "cyclegan_resnet": {"ngf": 4, "n_blocks": 1, "norm": "batch", "upsample": "resize_conv"},
    "cyclegan_unet": {"gf": 4},
    "srgan": {"n_blocks": 1, "width": 8},
    "dcgan28": {"latent_dim": 8},
    "dcgan64": {"latent_dim": 8, "ngf": 4},
    "patchgan": {"ndf": 4},
    "deblurgan_critic": {"ndf": 4, "n_layers": 2},
    "srgan_discriminator": {"patch": 32, "width": 4, "dense": 8},
    "dcgan28_discriminator": {},
    "dcgan64_discriminator": {"ndf": 4},
    "vgg19_features": {"layers": ("block1_conv1", "block2_conv1")},
    "random_features": {"seed": 3, "layers": ("block1_conv1", "block3_conv1")},
}
IMAGE_GENERATORS = ("deblurgan", "deblur_unet", "cyclegan_resnet", "cyclegan_unet", "srgan")


def _build(name: str, seed: int = 0, **overrides) -> keras.Model:
    keras.utils.set_random_seed(seed)
    return models.build(name, **{**TINY[name], **overrides})


def _sample_input(model: keras.Model, size=(32, 32), seed: int = 1) -> np.ndarray:
    """A batch of two inputs: latent vectors, or images in [-1, 1] of ``size`` if free."""
    rng = np.random.default_rng(seed)
    shape = model.input_shape
    if len(shape) == 2:
        return rng.standard_normal((2, shape[1])).astype("float32")
    height, width = shape[1] or size[0], shape[2] or size[1]
    return rng.uniform(-1.0, 1.0, (2, height, width, shape[3])).astype("float32")


def _numpy(outputs):
    if isinstance(outputs, dict):
        return {key: keras.ops.convert_to_numpy(value) for key, value in outputs.items()}
    return keras.ops.convert_to_numpy(outputs)


@pytest.fixture(scope="module")
def built() -> dict[str, keras.Model]:
    return {name: _build(name) for name in TINY}


def test_registry_covers_every_family_and_rejects_unknown_names():
    assert set(TINY) <= set(models.ARCHITECTURES)
    with pytest.raises(ValueError, match="known architectures: .*deblurgan"):
        models.build("no_such_model")
    assert models.info("srgan").scale == 4
    assert models.info("cyclegan_unet").size_multiple == 16
    assert models.info("deblurgan").size_multiple == 4


@pytest.mark.parametrize("size", [(16, 16), (32, 48)])
@pytest.mark.parametrize("name", IMAGE_GENERATORS)
def test_image_generators_take_any_multiple_of_their_size_multiple(built, name, size):
    model = built[name]
    info = models.info(name)
    assert size[0] % max(info.size_multiple, 1) == 0
    x = _sample_input(model, size)
    y = _numpy(model(x, training=False))
    assert y.shape == (2, size[0] * info.scale, size[1] * info.scale, 3)
    assert np.isfinite(y).all()
    if info.output_range == "-1,1":
        assert y.min() >= -1.0 and y.max() <= 1.0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dcgan28", (2, 28, 28, 1)),
        ("dcgan64", (2, 64, 64, 3)),
        ("patchgan", (2, 2, 2, 1)),  # 32 / 2**3 - 2
        ("deblurgan_critic", (2, 6, 6, 1)),  # 32 / 2**2 - 2
        ("srgan_discriminator", (2, 1)),
        ("dcgan28_discriminator", (2, 1)),
        ("dcgan64_discriminator", (2, 1)),
    ],
)
def test_fixed_size_models_output_shapes(built, name, expected):
    y = _numpy(built[name](_sample_input(built[name]), training=False))
    assert y.shape == expected
    if name.startswith("dcgan") and "discriminator" not in name:
        assert np.abs(y).max() <= 1.0


def test_feature_extractors_return_named_multiscale_maps(built):
    vgg_out = _numpy(built["vgg19_features"](_sample_input(built["vgg19_features"])))
    assert {k: v.shape for k, v in vgg_out.items()} == {
        "block1_conv1": (2, 32, 32, 64), "block2_conv1": (2, 16, 16, 128)}
    rnd_out = _numpy(built["random_features"](_sample_input(built["random_features"])))
    assert {k: v.shape[:3] for k, v in rnd_out.items()} == {
        "block1_conv1": (2, 32, 32), "block3_conv1": (2, 8, 8)}
    assert all(v.min() >= 0 for v in rnd_out.values())


def test_deblurgan_global_skip_returns_clipped_input_when_residual_is_zero():
    model = _build("deblurgan")
    head = model.get_layer("output_conv")
    head.set_weights([np.zeros_like(w) for w in head.get_weights()])
    x = np.random.default_rng(0).uniform(-1.5, 1.5, (1, 16, 20, 3)).astype("float32")
    np.testing.assert_array_equal(_numpy(model(x)), np.clip(x, -1.0, 1.0))


@pytest.mark.parametrize("name", sorted(TINY))
def test_keras_file_round_trip_in_safe_mode(built, name, tmp_path):
    model = built[name]
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = _sample_input(model)
    before, after = _numpy(model(x, training=False)), _numpy(loaded(x, training=False))
    if isinstance(before, dict):
        assert before.keys() == after.keys()
        for key in before:
            np.testing.assert_array_equal(before[key], after[key])
    else:
        np.testing.assert_array_equal(before, after)


def test_no_model_uses_lambda_layers(built):
    for name, model in built.items():
        assert not [layer.name for layer in model.layers
                    if isinstance(layer, keras.layers.Lambda)], name


@pytest.mark.parametrize(
    "layer",
    [
        pl.ReflectionPadding2D((2, 1)),
        pl.InstanceNormalization(epsilon=1e-3, center=True, scale=False),
        pl.PixelShuffle(3),
        pl.ResidualClip(0.0, 2.0),
        pl.VGGPreprocess(),
        ChannelScale(0.25),
    ],
)
def test_custom_layer_config_round_trips(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config


@pytest.mark.parametrize(
    ("factory", "bad"),
    [
        (lambda: pl.ReflectionPadding2D(-1), "-1"),
        (lambda: pl.InstanceNormalization(epsilon=0), "0"),
        (lambda: pl.PixelShuffle(1.5), "1.5"),
        (lambda: pl.ResidualClip(1.0, -1.0), "clip_min=1.0"),
        (lambda: ChannelScale("big"), "'big'"),
        (lambda: models.build("deblur_unet", enc_blocks=(1, 1), dec_blocks=(1,)), "(1,)"),
        (lambda: models.build("deblurgan", norm="group"), "'group'"),
        (lambda: models.build("srgan_discriminator", patch=40), "40"),
        (lambda: vgg.build_vgg19_features(layers=("block9_conv1",)), "block9_conv1"),
    ],
)
def test_argument_errors_say_what_was_received(factory, bad):
    with pytest.raises(ValueError, match="received") as info:
        factory()
    assert bad in str(info.value)


# --- Equivalence with PyTorch (the official weights are PyTorch) ----------------------------


def _single_layer_model(build_fn, channels: int) -> keras.Model:
    inputs = keras.Input((None, None, channels))
    return keras.Model(inputs, build_fn(inputs))


def _to_nhwc(t) -> np.ndarray:
    return t.detach().numpy().transpose(0, 2, 3, 1)


def test_torch_conv_transpose_matches_torch_without_kernel_flip():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 4, 5, 6)).astype("float32")  # NCHW
    weight = rng.standard_normal((4, 3, 3, 3)).astype("float32")  # (in, out, kH, kW)
    bias = rng.standard_normal(3).astype("float32")
    expected = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x), torch.from_numpy(weight), torch.from_numpy(bias),
        stride=2, padding=1, output_padding=1)
    model = _single_layer_model(lambda t: pl.torch_conv_transpose(t, 3, name="up"), 4)
    kernel = weight.transpose(2, 3, 1, 0)  # -> (kH, kW, out, in)
    model.get_layer("up").set_weights([kernel, bias])
    got = _numpy(model(x.transpose(0, 2, 3, 1)))
    assert got.shape == (1, 10, 12, 3)  # exactly 2x
    np.testing.assert_allclose(got, _to_nhwc(expected), atol=1e-5)
    model.get_layer("up").set_weights([kernel[::-1, ::-1], bias])
    assert not np.allclose(_numpy(model(x.transpose(0, 2, 3, 1))), _to_nhwc(expected), atol=1e-3)


def test_torch_conv_and_reflection_padding_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 3, 7, 9)).astype("float32")
    weight = rng.standard_normal((5, 3, 3, 3)).astype("float32")  # (out, in, kH, kW)
    padded = torch.nn.functional.pad(torch.from_numpy(x), (2, 2, 2, 2), mode="reflect")
    expected = torch.nn.functional.conv2d(padded, torch.from_numpy(weight), stride=2, padding=1)
    model = _single_layer_model(
        lambda t: pl.torch_conv(pl.ReflectionPadding2D(2)(t), 5, 3, strides=2, padding=1,
                                name="down", use_bias=False), 3)
    model.get_layer("down").set_weights([weight.transpose(2, 3, 1, 0)])
    np.testing.assert_allclose(_numpy(model(x.transpose(0, 2, 3, 1))), _to_nhwc(expected),
                               atol=1e-5)


def test_instance_normalization_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((2, 4, 5, 6)) * 3 + 1).astype("float32")
    expected = torch.nn.InstanceNorm2d(4, affine=False)(torch.from_numpy(x))
    got = _numpy(pl.InstanceNormalization()(x.transpose(0, 2, 3, 1)))
    np.testing.assert_allclose(got, _to_nhwc(expected), atol=1e-5)

    affine = torch.nn.InstanceNorm2d(4, affine=True)
    gamma, beta = rng.standard_normal(4).astype("float32"), rng.standard_normal(4).astype("f")
    with torch.no_grad():
        affine.weight.copy_(torch.from_numpy(gamma))
        affine.bias.copy_(torch.from_numpy(beta))
    layer = pl.InstanceNormalization(center=True, scale=True)
    layer.build((None, None, None, 4))
    layer.set_weights([gamma, beta])
    np.testing.assert_allclose(_numpy(layer(x.transpose(0, 2, 3, 1))),
                               _to_nhwc(affine(torch.from_numpy(x))), atol=1e-5)


def test_pixel_shuffle_uses_torch_channel_order():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 12, 3, 5)).astype("float32")
    expected = torch.nn.PixelShuffle(2)(torch.from_numpy(x))
    got = _numpy(pl.PixelShuffle(2)(x.transpose(0, 2, 3, 1)))
    assert got.shape == (2, 6, 10, 3)
    np.testing.assert_allclose(got, _to_nhwc(expected), atol=0)


# --- VGG -------------------------------------------------------------------------------------


def test_vgg_preprocess_matches_keras_applications():
    x = np.random.default_rng(4).uniform(0, 1, (2, 5, 6, 3)).astype("float32")
    expected = keras.applications.vgg19.preprocess_input(x * 255.0)
    np.testing.assert_allclose(_numpy(pl.VGGPreprocess()(x)), expected, atol=1e-4)


def _write_legacy_h5(model: keras.Model, path, nested: bool = False) -> None:
    """Keras 1/2 weights layout: a group per layer with a ``weight_names`` attribute."""
    with h5py.File(path, "w") as f:
        names = [layer.name for layer in model.layers]
        f.attrs["layer_names"] = [n.encode() for n in names + ["block5_conv4"]]
        for layer in model.layers:
            group = f.create_group(layer.name)
            weights = layer.get_weights()
            suffixes = ["kernel:0", "bias:0"] if nested else ["W_1:0", "b_1:0"]
            sep = "/" if nested else "_"
            weight_names = [f"{layer.name}{sep}{s}" for s in suffixes[: len(weights)]]
            group.attrs["weight_names"] = [n.encode() for n in weight_names]
            for wname, value in zip(weight_names, weights):
                group.create_dataset(wname, data=value)
        f.create_group("block5_conv4")  # layers the model lacks are ignored


@pytest.mark.parametrize("nested", [False, True])
def test_vgg_h5_loader_round_trip(tmp_path, nested):
    source = _build("vgg19_features", seed=1)
    path = tmp_path / "vgg.h5"
    _write_legacy_h5(source, path, nested=nested)
    fresh = vgg.build_vgg19_features(layers=TINY["vgg19_features"]["layers"],
                                     weights_path=path)
    x = _sample_input(source, (16, 16))
    before, after = _numpy(source(x)), _numpy(fresh(x))
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])


def test_vgg_h5_loader_rejects_wrong_files(tmp_path):
    model = _build("vgg19_features")
    with pytest.raises(ModelError, match="not found"):
        vgg.load_vgg19_h5(model, tmp_path / "missing.h5")
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    with pytest.raises(ModelError, match="not an HDF5"):
        vgg.load_vgg19_h5(model, text)
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_group("dense_1")
    with pytest.raises(ModelError, match="no weights for layers .*block1_conv1"):
        vgg.load_vgg19_h5(model, other)
    wrong = tmp_path / "wrong.h5"
    _write_legacy_h5(_build("vgg19_features", layers=("block1_conv1",)), wrong)
    with h5py.File(wrong, "a") as f:
        f.create_group("block1_conv2").create_dataset("k", data=np.zeros((1, 1, 3, 3), "f"))
        f.create_group("block1_pool")
        f.create_group("block2_conv1").create_dataset("k", data=np.zeros((1, 1, 3, 3), "f"))
    with pytest.raises(ModelError, match="block1_conv2 expects weight shapes"):
        vgg.load_vgg19_h5(model, wrong)


def test_random_features_are_deterministic_under_seed():
    x = np.random.default_rng(5).uniform(0, 1, (1, 16, 16, 3)).astype("float32")
    a = _numpy(vgg.build_random_features(seed=7, layers=("block2_conv1",))(x))
    keras.utils.set_random_seed(123)  # the global seed must not matter
    b = _numpy(vgg.build_random_features(seed=7, layers=("block2_conv1",))(x))
    c = _numpy(vgg.build_random_features(seed=8, layers=("block2_conv1",))(x))
    np.testing.assert_array_equal(a["block2_conv1"], b["block2_conv1"])
    assert not np.allclose(a["block2_conv1"], c["block2_conv1"])


def test_srgan_bilinear_skip_starts_from_the_enlarged_input():
    model = models.build("srgan", n_blocks=1, width=8, batch_norm=False, skip="bilinear")
    out_conv = model.get_layer("output_conv")
    out_conv.set_weights([np.zeros_like(w) for w in out_conv.get_weights()])
    x = np.random.default_rng(0).random((1, 8, 12, 3)).astype(np.float32)
    enlarged = np.asarray(keras.layers.UpSampling2D(4, interpolation="bilinear")(x))
    np.testing.assert_allclose(np.asarray(model(x)), enlarged, atol=1e-6)
    with pytest.raises(ValueError, match="skip"):
        models.build("srgan", n_blocks=1, width=8, skip="bicubic-ish")


def test_bilinear_upsample_matches_upsampling2d_and_runs_on_changing_sizes():
    from engine.inference import make_predictor

    x = np.random.default_rng(1).random((2, 5, 7, 3)).astype(np.float32)
    expected = np.asarray(keras.layers.UpSampling2D(4, interpolation="bilinear")(x))
    np.testing.assert_allclose(np.asarray(pl.BilinearUpsample(4)(x)), expected, atol=1e-6)
    # Tiled inference feeds several tile shapes; TensorFlow then retraces with unknown sides.
    model = models.build("srgan", n_blocks=1, width=8, batch_norm=False, skip="bilinear")
    predict = make_predictor(model, "0,1", "0,1")
    for side in (8, 12, 16, 20):
        assert predict(np.zeros((1, side, side, 3), np.float32)).shape == (1, 4 * side,
                                                                           4 * side, 3)
