"""Putting models into the user store: from a Keras model in memory (training, tests) or from a
user's ``.keras`` / ``.weights.h5`` file (``photogan models import``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.errors import ModelError, UsageError
from engine.store import catalog, vgg19
from engine.store.loader import clear_cache, load_model
from engine.store.manifest import Manifest, file_sha256
from engine.store.weights import save_weights

# The architecture a task's models use unless a manifest says otherwise; also the architecture
# a bare ``.weights.h5`` file is loaded into on import.
TASK_ARCH: dict[str, tuple[str, dict]] = {
    "deblur": ("deblurgan", {"ngf": 64, "n_blocks": 9, "norm": "instance"}),
    "upscale": ("srgan", {"n_blocks": 16, "width": 64}),
    "photo2monet": ("cyclegan_resnet", {"ngf": 64, "n_blocks": 9}),
    "monet2photo": ("cyclegan_resnet", {"ngf": 64, "n_blocks": 9}),
    "sample": ("dcgan28", {"latent_dim": 100}),
}


def arch_fields(arch: str) -> dict:
    """Manifest fields that follow from the architecture (ranges, scale, size multiple)."""
    from engine.models import info

    meta = info(arch)
    return {"input_range": meta.input_range or "-1,1", "output_range": meta.output_range
            or "-1,1", "scale": meta.scale, "size_multiple": max(1, meta.size_multiple)}


def add_model(
    model,
    task: str,
    model_id: str,
    arch: str,
    config: dict,
    *,
    source: str = "trained",
    card: dict | None = None,
    title: str = "",
    float16: bool = False,
    root: Path | None = None,
) -> Manifest:
    """Save ``model``'s weights as a new store entry and return its manifest.

    Args:
        root: store folder to write into (default: the user models folder); the shipped
            models are written by the project's scripts with ``root=catalog.shipped_dir()``.
    """
    folder = _new_folder(model_id, root)
    try:
        weights = save_weights(model, folder / "weights.npz", float16=float16)
        manifest = Manifest(id=model_id, task=task, arch=arch, config=dict(config),
                            file=weights.name, sha256=file_sha256(weights), source=source,
                            title=title or model_id, card=card or {}, **arch_fields(arch))
        manifest.save(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return manifest


def _new_folder(model_id: str, root: Path | None) -> Path:
    if root is None:
        return catalog.new_model_folder(model_id)
    catalog.check_new_id(model_id)
    folder = Path(root) / model_id
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def import_file(path: Path, task: str, name: str = "", arch: str = "",
                config: dict | None = None) -> Manifest:
    """Import a user's model file for ``task`` and check that it loads and runs.

    ``.keras`` files carry their own architecture; ``.weights.h5`` files are loaded into the
    task's architecture (``TASK_ARCH``, or ``arch``/``config`` when given).

    Raises:
        UsageError: unknown task, unsupported file type, or a name already used.
        ModelError: the file does not fit the architecture, with what differs.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file.")
    if task not in TASK_ARCH and task != "style":
        raise UsageError(f"Task '{task}' has no importable models; use one of "
                         f"{', '.join([*TASK_ARCH, 'style'])}.")
    model_id = name or path.name.split(".")[0]
    suffix = "".join(path.suffixes[-2:]).lower() if path.name.endswith(".h5") else path.suffix
    if suffix == ".pth":
        return import_official_pth(path, task, model_id)
    if task == "style":
        return import_vgg19(path, name or "vgg19")
    if suffix not in (".keras", ".weights.h5"):
        raise UsageError(f"{path.name}: expected a .keras, .weights.h5 or official .pth "
                         "generator file.")
    folder = catalog.new_model_folder(model_id)
    try:
        manifest = _import_into(path, folder, task, model_id, suffix, arch, config)
        load_model(manifest)  # proves it loads before it is listed
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        clear_cache()
        raise
    return manifest


def import_vgg19(path: Path, model_id: str) -> Manifest:
    """Import Keras' ImageNet VGG19 ``notop`` file for style transfer, checked by its
    published MD5 so that a truncated download or another file is refused."""
    if vgg19.file_md5(path) not in vgg19.TRUSTED_VGG19_MD5:
        raise ModelError(f"{path.name} is not Keras' ImageNet VGG19 weights file "
                         f"({vgg19.VGG19_NOTOP_FILE}); its checksum does not match.")
    folder = catalog.new_model_folder(model_id)
    try:
        target = folder / vgg19.VGG19_NOTOP_FILE
        shutil.copyfile(path, target)
        manifest = Manifest(id=model_id, task="style", arch="vgg19_features", file=target.name,
                            sha256=file_sha256(target), source="imported", input_range="0,1",
                            output_range="", title="VGG19 (ImageNet) feature network",
                            card={"imported_from": str(path)})
        manifest.save(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return manifest


# Official PyTorch generators: which of our architectures each task maps them onto.
PTH_ARCH = {"photo2monet": "cyclegan_resnet", "monet2photo": "cyclegan_resnet",
            "deblur": "deblurgan"}


def import_official_pth(path: Path, task: str, model_id: str) -> Manifest:
    """Import an official pytorch-CycleGAN-and-pix2pix or DeblurGAN generator ``.pth``.

    The state dict is read without torch or pickle code execution, mapped onto our Keras
    ResNet generator (DeblurGAN adds its global skip), and stored in our safe format.
    """
    from engine.models import build
    from engine.store import official
    from engine.store.torch_pth import read_state_dict

    if task not in PTH_ARCH:
        raise UsageError(f"Official .pth generators fit tasks {', '.join(PTH_ARCH)}, "
                         f"not '{task}'.")
    catalog.check_new_id(model_id)
    state = read_state_dict(path)
    layout = official.detect_resnet_layout(state)
    model = build(PTH_ARCH[task], **layout)
    official.load_into(model, official.resnet_assignments(state, layout))
    card = {"imported_from": str(path), "format": "official PyTorch generator",
            "layout": layout}
    return add_model(model, task, model_id, PTH_ARCH[task], layout, source="imported",
                     card=card, title=f"{model_id} (official weights)")


def _import_into(path: Path, folder: Path, task: str, model_id: str, suffix: str,
                 arch: str, config: dict | None) -> Manifest:
    default_arch, default_config = TASK_ARCH[task]
    arch = arch or default_arch
    fields = arch_fields(arch)
    if suffix == ".keras":
        target, arch_name, config = folder / "model.keras", "keras_file", {}
    else:
        target, arch_name = folder / "model.weights.h5", arch
        config = dict(default_config if config is None else config)
    shutil.copyfile(path, target)
    manifest = Manifest(id=model_id, task=task, arch=arch_name, config=config,
                        file=target.name, sha256=file_sha256(target), source="imported",
                        title=model_id, card={"imported_from": str(path)}, **fields)
    manifest.save(folder)
    if suffix == ".keras" and task != "sample":
        _check_io(manifest)
    return manifest


def _check_io(manifest: Manifest) -> None:
    """A whole ``.keras`` model must take and give RGB images of the task's kind."""
    model = load_model(manifest)
    shape = tuple(model.input_shape)
    if len(shape) != 4 or shape[-1] != 3:
        raise ModelError(f"Model '{manifest.id}' takes inputs of shape {shape}; the task "
                         "needs (batch, height, width, 3) RGB images.")
