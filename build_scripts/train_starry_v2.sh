#!/usr/bin/env bash
# starry-night v2 (issue 18): fine-tune the shipped starry-night CycleGAN on augmented data
# (build_scripts/augment_painting.py: 60 rescaled, flipped, colour-jittered copies of the
# painting; the training photos at 512-896 px), identity weight 0.7 (x cycle 10 = 7 x L1).
# Resumable: run it again and it continues runs/cyclegan-starry2 where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -d data/paintings/augmented ] || $PY build_scripts/augment_painting.py
if [ -f runs/cyclegan-starry2/config.json ]; then
  $PY -m engine train cyclegan --out runs/cyclegan-starry2 --resume --plain
else
  $PY -m engine train cyclegan --data data/photos/train_small --data-b data/paintings/augmented \
    --out runs/cyclegan-starry2 --init-from starry-night --seed 5 --steps 3000 --batch 1 \
    --crop 128 --lr 1e-4 --set ngf=24 --set n_blocks=6 --set ndf=32 \
    --set identity_weight=0.7 --sample-every 250 --checkpoint-every 100 --plain
fi
