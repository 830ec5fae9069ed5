#!/usr/bin/env bash
# Train a deblur generator from the GPU kit on an accelerator machine, within MINUTES.
#
#   build_scripts/gpu_train.sh MODEL OUTDIR [MINUTES] [gpu_train.py options...]
#
# MODEL: deblur-unet (deblur_unet, width 32) or deblur-unet-small (width 16).
# OUTDIR receives manifest.json + float16 weights.npz (resources/weights format, with the
# model card), history.csv, summary.json, config.json and samples.png: 6 files, small
# enough to come back from the device machine. Installs the kit's wheels (keras, namex,
# optree) into /tmp/site first when keras is missing; runs on the Keras torch backend.
# See docs/GPU.md for the device `run` command and what to do with OUTDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 4,9p "$0"; exit 2; }
MODEL=$1 OUTDIR=$2 MINUTES=8
shift 2
if [ $# -ge 1 ] && [ "${1#-}" = "$1" ]; then MINUTES=$1; shift; fi
KIT=${PHOTOGAN_KIT:-gpu-kit}
PY=${PYTHON:-python3}
[ -f "$KIT/kit.json" ] || { echo "no GPU kit in $KIT: run 'make gpu-kit' first" >&2; exit 2; }
if ! $PY -c "import keras" 2>/dev/null; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site "$KIT"/wheels/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
export KERAS_BACKEND=torch PYTHONUNBUFFERED=1
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
fi
exec $PY build_scripts/gpu_train.py "$MODEL" "$OUTDIR" "$MINUTES" --kit "$KIT" "$@"
