# Two commands matter: `make demo` and `make test`. Both create .venv when missing.
# `make package` builds the packaged app (dist/PhotoGAN/ and the archive, see
# docs/PACKAGING.md); `make smoke-test` then checks the built executables.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGE_STAMP := $(VENV)/.installed-package

.PHONY: demo test lint venv clean package smoke-test gpu-kit

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,torch,cluster]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check engine gui tests build_scripts
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# PyInstaller is the optional "package" extra: installed here only, never by `make test`.
$(PACKAGE_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,torch,package]'
	@touch $(PACKAGE_STAMP)

package: $(PACKAGE_STAMP)
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		build_scripts/photogan.spec
	$(BIN)/python build_scripts/package.py

smoke-test: $(STAMP)
	$(BIN)/python build_scripts/smoke_test.py

# The GPU training kit (docs/GPU.md): crops, blur kernels and wheels in gpu-kit/ (<= 60 MB).
gpu-kit: $(STAMP)
	@test -d data/photos/train || $(BIN)/python build_scripts/fetch_training_data.py
	$(BIN)/python build_scripts/make_gpu_kit.py

demo: $(STAMP)
	$(BIN)/python -m engine.cli.demo

clean:
	rm -rf $(VENV) build dist demo_output .pytest_cache .ruff_cache
