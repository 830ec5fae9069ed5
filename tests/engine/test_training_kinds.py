"""Training kinds, tasks and architectures register by being in their folder.

A kind is one ``engine/training/kinds/<kind>.py`` declaring a complete ``KindSpec``; presets,
limits, datasets, the survey, the CLI help and the wizard all read it. These tests check that
every shipped kind is complete, that discovery finds a new kind file without any list being
edited, and that a kind added that way works through the shared code paths.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import itertools
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine import api
from engine.errors import UsageError
from engine.training import datasets, kinds, limits, presets, survey
from engine.training.spec import LAYOUTS, CropLimits, KindSpec

SHIPPED = ("deblur", "upscale", "cyclegan", "dcgan")
KINDS_DIR = Path(kinds.__file__).parent


def png(path: Path, side: int = 72, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray((rng.random((side, side, 3)) * 255).astype(np.uint8)).save(path)
    return path


def test_the_kinds_are_the_files_of_the_kinds_folder_in_their_order():
    files = sorted(p.stem for p in KINDS_DIR.glob("*.py") if not p.name.startswith("_"))
    assert sorted(kinds.KINDS) == files
    assert kinds.KINDS == SHIPPED  # ``order`` keeps the CLI and wizard order
    # KINDS is defined once; the other modules hand on the same tuple.
    assert presets.KINDS is kinds.KINDS and datasets.KINDS is kinds.KINDS


@pytest.mark.parametrize("kind", SHIPPED)
def test_every_kind_declares_a_complete_consistent_spec(kind):
    spec = kinds.get(kind)
    assert spec.name == kind and spec.layout in LAYOUTS
    assert importlib.util.find_spec(spec.trainer) is not None  # found, not imported (keras)
    assert set(spec.presets) == set(presets.PRESET_NAMES)
    assert spec.seconds_per_step > 0 and spec.cli_help and spec.sample_heading
    assert spec.choices and all(c.title and c.needs and c.folder_a for c in spec.choices)
    assert (spec.degrade != "") == any(c.paired is False for c in spec.choices)
    assert spec.width_option in spec.defaults
    assert spec.blocks_option == "" or spec.blocks_option in spec.defaults
    if spec.degrade:
        assert "{n}" in spec.preview_caption
    for name in presets.PRESET_NAMES:
        options = presets.resolve_options(kind, name, {})
        assert spec.option_problem(options) == ""
        crop_rule = spec.crop_limits(options)
        assert isinstance(crop_rule, CropLimits) and crop_rule.rule
        if spec.fixed_crop:
            assert crop_rule.fixed == spec.crop_sizes[options["arch"]]
        else:
            assert crop_rule.allows(spec.presets[name].crop)
        assert spec.work_factor(options) > 0


def test_an_unknown_kind_is_refused_with_the_known_ones():
    with pytest.raises(UsageError, match="deblur, upscale, cyclegan, dcgan"):
        kinds.get("colorize")


FAKE_KIND = '''
from engine.training.kinds.dcgan import SPEC as DCGAN
import dataclasses

SPEC = dataclasses.replace(DCGAN, name="{name}", order={order},
                           cli_help="one folder of textures -> task sample")
'''


_COUNTER = itertools.count()


def _package(tmp_path: Path, files: dict[str, str]):
    """A throwaway package ``fake_kinds_<n>`` holding ``files``, imported."""
    name = f"fake_kinds_{next(_COUNTER)}"  # a fresh name: packages stay in sys.modules
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    for file, text in files.items():
        (folder / file).write_text(textwrap.dedent(text))
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))


def test_a_new_kind_file_is_discovered_without_editing_any_list(tmp_path):
    package = _package(tmp_path, {"texture.py": FAKE_KIND.format(name="texture", order=5),
                                  "zebra.py": FAKE_KIND.format(name="zebra", order=1),
                                  "_helpers.py": "X = 1\n"})
    found = kinds.discover(package)
    assert list(found) == ["zebra", "texture"]  # by order, private modules skipped
    assert found["texture"].cli_help == "one folder of textures -> task sample"


def test_a_kind_file_must_declare_its_own_name(tmp_path):
    package = _package(tmp_path, {"texture.py": FAKE_KIND.format(name="other", order=5)})
    with pytest.raises(ValueError, match="a kind's name is its file's name"):
        kinds.discover(package)
    package = _package(tmp_path, {"empty.py": "SPEC = None\n"})
    with pytest.raises(ValueError, match="declares no KindSpec"):
        kinds.discover(package)


@pytest.fixture
def texture_kind(monkeypatch):
    """A new kind as its file would declare it (a copy of dcgan's spec), registered the way
    discovery registers it: presets, limits, datasets and the survey know nothing else."""
    spec = dataclasses.replace(kinds.get("dcgan"), name="texture", order=50)
    monkeypatch.setitem(kinds.SPECS, "texture", spec)
    return spec


def test_a_new_kind_works_through_presets_limits_datasets_and_survey(texture_kind, tmp_path):
    assert presets.option_defaults("texture")["arch"] == "dcgan64"
    assert presets.preset("texture", "quick") == texture_kind.presets["quick"]
    assert presets.estimate_seconds("texture", "quick") == presets.estimate_seconds("dcgan",
                                                                                   "quick")
    assert limits.check_settings("texture", "quick")["latent_dim"] == 100
    with pytest.raises(UsageError, match="use a crop of 64"):
        limits.check_settings("texture", "quick", crop=32)
    for n in range(3):
        png(tmp_path / "tiles" / f"{n}.png", seed=n)
    dataset = datasets.make_dataset("texture", tmp_path / "tiles", crop=64)
    assert dataset.sample(np.random.default_rng(0), 2)["image"].shape == (2, 64, 64, 3)
    assert dataset.kind == "texture" and dataset.describe()["mode"] == "single"
    found = survey.survey("texture", tmp_path / "tiles")
    assert found["usable"] and found["mode"] == "single" and found["kind"] == "texture"
    assert api.training_kind("texture") is texture_kind


def test_the_wizard_choices_and_cli_help_come_from_the_specs():
    from engine.cli import cmd_train

    for spec in kinds.SPECS.values():
        assert f"  {spec.name:<10}{spec.cli_help}\n" in cmd_train.DESCRIPTION
    titles = [c.title for spec in api.training_kinds() for c in spec.choices]
    assert titles[0] == "Deblur, from sharp photos" and len(titles) == 6


def test_train_request_normalises_paths_and_options():
    request = api.TrainRequest("deblur", "runs/a", data="", data_b=None, options=None)
    assert request.out == Path("runs/a") and request.data is None and request.options == {}
    assert (request.preset, request.seed, request.resume) == ("quick", 0, False)
    assert isinstance(kinds.get("deblur"), KindSpec)


# --- tasks and architectures ----------------------------------------------------------------


def test_every_task_file_registers_without_an_import_list():
    from engine.tasks import registry

    tasks_dir = Path(registry.__file__).parent
    init = (tasks_dir / "__init__.py").read_text()
    assert "import" not in init  # no list of task modules to edit
    ids = registry.task_ids()
    modules = {type(registry.get_task(t)).__module__.rsplit(".", 1)[-1] for t in ids}
    files = {p.stem for p in tasks_dir.glob("*.py")}
    assert modules <= files and {"deblur", "upscale", "sample", "style"} <= set(ids)


def test_every_architecture_file_is_imported_by_scanning_the_folder():
    import engine.models as models

    source = Path(models.__file__).read_text()
    assert "from engine.models import" not in source  # no list of family modules
    families = {p.stem for p in Path(models.__file__).parent.glob("*.py")
                if not p.name.startswith("_")}
    assert families <= {m.rsplit(".", 1)[-1] for m in sys.modules if m.startswith(
        "engine.models.")}
    assert {"deblurgan", "srgan", "dcgan64", "cyclegan_resnet"} <= set(models.ARCHITECTURES)
