#!/usr/bin/env bash
# Reproduce the shipped models: fetch the offline data, train the four generators on a CPU,
# publish them into resources/weights/ (float16, model cards) and evaluate them.
# The exact figures and timings of the committed weights are in docs/MODELS.md.
#
#   build_scripts/train_shipped_models.sh [deblur|deblur_unet|upscale|cyclegan|elephants|dcgan|eval]...
#
# With no argument every step runs in order. Runs go to runs/<name>/ (git-ignored); a run
# that was stopped continues where it stopped (--resume), since train() refuses to start over
# an existing run folder.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG=.venv/bin/photogan
[ -d data/photos/train ] || $PY build_scripts/fetch_training_data.py

train() {  # train NAME KIND ARGS...: a new run (seed 1 unless ARGS give one), or resume
  local name=$1 kind=$2; shift 2
  if [ -f "runs/$name/config.json" ]; then
    $PG train "$kind" --out "runs/$name" --resume --plain
  else
    $PG train "$kind" --out "runs/$name" --seed 1 --plain "$@"  # a later --seed wins
  fi
}

DEBLUR_NOTES=(
  --note "Trained on 40 offline photos (docs/MODELS.md) with synthetic camera shake, defocus, Gaussian blur, noise and JPEG."
  --note "Content loss only (L1 + multi-scale gradient L1, adv_weight 0): a CPU budget; photogan train deblur adds the WGAN-GP critic."
)

ship_deblur() {  # ship_deblur RUN [ship_model.py ARGS...]: publish RUN as deblur-fast
  local run=$1; shift
  $PY build_scripts/ship_model.py "$run" --kind deblur --id deblur-fast \
    --title "DeblurGAN generator, fast (ngf 32, 6 blocks, batch norm)" "${DEBLUR_NOTES[@]}" "$@"
}

deblur() {
  local common=(--data data/photos/train --batch 4 --crop 128 --set ngf=32 --set n_blocks=6
                --set ndf=32 --set adv_weight=0)
  train deblur-fast deblur "${common[@]}" --steps 2500 --lr 2e-4 --set plain_crops=0 \
    --sample-every 250 --checkpoint-every 250
  ship_deblur runs/deblur-fast
  # Then fine-tune the shipped model (--init-from) at half the learning rate (seed 2), ...
  train deblur-tune deblur "${common[@]}" --init-from deblur-fast --seed 2 --steps 4500 \
    --lr 1e-4 --set plain_crops=0 --sample-every 500 --checkpoint-every 250
  ship_deblur runs/deblur-tune
  # ... then twice with a share of plain crops (flat sky and bokeh, not only detail), so the
  # model learns to leave smooth areas clean: 30% for 3500 steps, 50% for 1800 at lr 5e-5.
  train deblur-plain deblur "${common[@]}" --init-from deblur-fast --seed 3 --steps 3500 \
    --lr 1e-4 --set plain_crops=0.3 --sample-every 500 --checkpoint-every 250
  ship_deblur runs/deblur-plain
  train deblur-plain2 deblur "${common[@]}" --init-from deblur-fast --seed 4 --steps 1800 \
    --lr 5e-5 --set plain_crops=0.5 --sample-every 600 --checkpoint-every 300
  ship_deblur runs/deblur-plain2
  mkdir -p runs/eval
  $PG eval deblur --data data/photos/heldout --report runs/eval/deblur.json
  ship_deblur runs/deblur-plain2 --eval runs/eval/deblur.json --note "Four runs, each from \
the model before it: 2500 steps from scratch (lr 2e-4, seed 1, 37 min 30 s), 4500 (lr 1e-4, \
seed 2, 69 min), 3500 with 30% plain crops (lr 1e-4, seed 3, 55 min), 1800 with 50% plain \
crops (lr 5e-5, seed 4, 29 min 35 s); the card's steps and seconds are the last run's."
}

mixed_run() {  # mixed_run NAME STEPS LR SEED DECAY_START: the U-Net on the "mixed" mix, from deblur-unet
  train "$1" deblur --data data/photos/train --init-from deblur-unet --steps "$2" --batch 8 \
    --crop 128 --lr "$3" --seed "$4" --sample-every 500 --checkpoint-every 100 \
    --set arch=deblur_unet --set width=16 --set adv_weight=0 --set fft_weight=1 \
    --set degradation=mixed --set beta_1=0.9 --set plain_crops=0.3 --set decay_start="$5"
}

crop192_run() {  # crop192_run NAME STEPS SEED [ARGS...]: 4 x 192-px crops, lr 1e-4, from deblur-unet
  local name=$1 steps=$2 seed=$3; shift 3
  train "$name" deblur --data data/photos/train --init-from deblur-unet --steps "$steps" \
    --batch 4 --crop 192 --lr 1e-4 --seed "$seed" --sample-every 1000 --checkpoint-every 100 \
    --set arch=deblur_unet --set width=16 --set adv_weight=0 --set fft_weight=1 \
    --set degradation=mixed --set beta_1=0.9 --set plain_crops=0.3 --set decay_start=0.3 "$@"
}

deblur_unet() {
  # The default deblur model: the multi-scale U-Net on the heavy mix (docs/MODELS.md). The
  # run was stopped at step 412 (SIGTERM) and resumed with a shorter schedule (1700 steps).
  train deblur-unet-heavy1 deblur --data data/photos/train --steps 1700 --batch 8 --crop 128 \
    --lr 5e-4 --seed 11 --sample-every 200 --checkpoint-every 50 --set arch=deblur_unet \
    --set width=16 --set adv_weight=0 --set fft_weight=1 --set degradation=heavy \
    --set beta_1=0.9 --set plain_crops=0.3 --set decay_start=0.5
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy1 --kind deblur --id deblur-unet \
    --title "Deblur U-Net (width 16, 3 scales), first run"
  # Then 1200 more steps from that model at half the learning rate (seed 12).
  train deblur-unet-heavy2 deblur --data data/photos/train --init-from deblur-unet \
    --steps 1200 --batch 8 --crop 128 --lr 2.5e-4 --seed 12 --sample-every 200 \
    --checkpoint-every 50 --set arch=deblur_unet --set width=16 --set adv_weight=0 \
    --set fft_weight=1 --set degradation=heavy --set beta_1=0.9 --set plain_crops=0.3 \
    --set decay_start=0.3
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy2 --kind deblur --id deblur-unet \
    --title "Deblur U-Net (width 16, 3 scales), second run"
  # Then the "mixed" degradation (30% of the blurred pairs from the mild mix): 5000 steps
  # from that model (seed 13), then twice 3000 more at a lower learning rate (seeds 14, 15).
  mixed_run deblur-unet-heavy4 5000 3e-4 13 0.4
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy4 --kind deblur --id deblur-unet \
    --title "Deblur U-Net (width 16, 3 scales), fourth run"
  mixed_run deblur-unet-heavy5 3000 1.5e-4 14 0.3
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy5 --kind deblur --id deblur-unet \
    --title "Deblur U-Net (width 16, 3 scales), fifth run"
  mixed_run deblur-unet-heavy6 3000 1.5e-4 15 0.3
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy6 --kind deblur --id deblur-unet \
    --title "Deblur U-Net (width 16, 3 scales), sixth run"
  # Then 192-px crops (4 per step: about the same pixels, more context around long shakes),
  # seed 16. Started with --steps 10000 and stopped at step 1872 (SIGTERM) to fit the day;
  # resumed with the shorter schedule (--resume --steps 7500), as below.
  if [ ! -f runs/deblur-unet-heavy7/config.json ]; then
    $PG train deblur --out runs/deblur-unet-heavy7 --plain --data data/photos/train \
      --init-from deblur-unet --steps 7500 --batch 4 --crop 192 --lr 1.5e-4 --seed 16 \
      --sample-every 1000 --checkpoint-every 100 --set arch=deblur_unet --set width=16 \
      --set adv_weight=0 --set fft_weight=1 --set degradation=mixed --set beta_1=0.9 \
      --set plain_crops=0.3 --set decay_start=0.3
  else
    $PG train deblur --out runs/deblur-unet-heavy7 --resume --steps 7500 --plain
  fi
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy7 --kind deblur --id deblur-unet \
    --default --title "Deblur U-Net (width 16, 3 scales), seventh run"
  # Then 6000 more at lr 1e-4 (seed 17; stopped at step 1990 for a session's end, its state
  # packed by build_scripts/campaign_state.py, continued the next session with --resume).
  crop192_run deblur-unet-heavy8 6000 17
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy8 --kind deblur --id deblur-unet \
    --default --title "Deblur U-Net (width 16, 3 scales), eighth run"
  # Then 5500 steps where 20% of the targets have an out-of-focus background (bokeh_share,
  # heavy_blur.soft_background), seed 18.
  crop192_run deblur-unet-heavy9 5500 18 --set bokeh_share=0.2
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy9 --kind deblur --id deblur-unet \
    --default --title "Deblur U-Net (width 16, 3 scales), ninth run"
  # Then the same again (seed 19): started with --steps 8000, stopped by SIGTERM at step
  # 3386 and resumed with the shorter schedule (--resume --steps 5500), as below.
  if [ ! -f runs/deblur-unet-heavy10/config.json ]; then
    crop192_run deblur-unet-heavy10 5500 19 --set bokeh_share=0.2
  else
    $PG train deblur --out runs/deblur-unet-heavy10 --resume --steps 5500 --plain
  fi
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy10 --kind deblur --id deblur-unet \
    --default --title "Deblur U-Net (width 16, 3 scales), tenth run"
  # Then the last of the 10 CPU-hours: 12000 steps the same way (seed 20).
  crop192_run deblur-unet-heavy11 12000 20 --set bokeh_share=0.2
  mkdir -p runs/eval
  $PY build_scripts/ship_model.py runs/deblur-unet-heavy11 --kind deblur --id deblur-unet \
    --default --title "Deblur U-Net (width 16, 3 scales), heavy shake and defocus" \
    --note "Trained on 40 offline photos (docs/MODELS.md) at a 1280-px working size with heavy camera shake (3-37 px), defocus (r 1-6.5), Gaussian blur, boosted highlights, noise and JPEG; with 30% of the blurred pairs from the mild mix (degradation=mixed); 10% of pairs left sharp; in the last three runs 20% of the targets with an out-of-focus background (bokeh_share 0.2)." \
    --note "Content loss only: L1 + multi-scale gradient L1 + Fourier L1 (adv_weight 0)." \
    --note "Eleven runs in a chain (docs/MODELS.md): heavy1 1700 steps, heavy2 +1200, heavy4 +5000 (mixed), heavy5 +3000 (mixed), heavy6 +3000 (mixed), heavy7 +7500 x 4 x 192 px (mixed), heavy8 +6000 x 4 x 192 px, heavy9 +5500 x 4 x 192 px with bokeh targets, heavy10 +5500 and heavy11 +12000 x 4 x 192 px the same (this card's steps and seconds); 9.86 CPU-hours in all." \
    --note "The task's keep_bokeh gate (on by default) holds the correction back where the photo is much blurrier than its sharpest parts."
  $PG eval deblur --data data/photos/heldout --model deblur-unet --report runs/eval/deblur-unet.json
  # (the shipped card carries this report: ship_model.py ... --eval runs/eval/deblur-unet.json)
}

upscale() {
  train upscale-fast upscale --data data/photos/train --steps 4000 --batch 8 --crop 96 \
    --lr 2e-4 --set n_blocks=8 --set width=48 --set batch_norm=false --set skip=bilinear \
    --set stage1_fraction=1.0 --set pixel_loss=l1 --set degradation=clean \
    --sample-every 500 --checkpoint-every 500
  $PY build_scripts/ship_model.py runs/upscale-fast --kind upscale --id upscale-fast --default \
    --title "SRResNet 4x, fast (8 blocks, width 48, no batch norm, bilinear skip)" \
    --note "Trained on 40 offline photos (docs/MODELS.md), 4x area or bicubic downscales, L1 loss (the PSNR stage of SRGAN)."
}

cyclegan() {  # starry-night: a first run on the plain painting, then v2 on augmented data
  train cyclegan-starry cyclegan --data data/photos/train --data-b data/paintings/train \
    --steps 2500 --batch 1 --crop 128 --set ngf=24 --set n_blocks=6 --set ndf=32 \
    --sample-every 250 --checkpoint-every 250
  $PY build_scripts/ship_model.py runs/cyclegan-starry --kind cyclegan --id starry-night \
    --default --painting starry_night \
    --title "CycleGAN photo to Van Gogh's The Starry Night (ngf 24, 6 blocks)" \
    --inverse-title "CycleGAN The Starry Night to photo (ngf 24, 6 blocks)" \
    --note "Painting domain: crops of one painting, Van Gogh's The Starry Night (opencv-doc); not Monet." \
    --note "Photo domain: the 40 offline training photos (docs/MODELS.md)."
  build_scripts/train_starry_v2.sh  # fine-tunes the model just shipped (--init-from)
  $PY build_scripts/ship_model.py runs/cyclegan-starry2 --kind cyclegan --id starry-night \
    --default --painting starry_night \
    --title "CycleGAN photo to Van Gogh's The Starry Night (ngf 24, 6 blocks)" \
    --inverse-title "CycleGAN The Starry Night to photo (ngf 24, 6 blocks)" \
    --note "Painting domain: 60 rescaled (0.7-1.4x), flipped and colour-jittered copies of one painting, Van Gogh's The Starry Night (opencv-doc; build_scripts/augment_painting.py); not Monet." \
    --note "Photo domain: the 40 offline training photos (docs/MODELS.md) at long sides 512, 704 and 896 px." \
    --note "Fine-tuned from the first starry-night model (plain painting) at lr 1e-4, identity weight 0.7 (7 x L1), seed 5."
}

elephants() {  # the second bundled style, fine-tuned from starry-night (issue 18); the shipped
  # model is step 750 of a 2500-step run (constant lr until step 1250): here a 750-step run
  # at a constant lr, the same schedule (docs/MODELS.md says why step 750)
  [ -d data/paintings/elephants_augmented ] || $PY build_scripts/augment_painting.py \
    --paintings resources/styles/elephants.jpg --painting-out data/paintings/elephants_augmented
  train cyclegan-elephants cyclegan --data data/photos/train_small \
    --data-b data/paintings/elephants_augmented --init-from starry-night --seed 11 \
    --steps 750 --batch 1 --crop 128 --lr 2e-4 --set ngf=24 --set n_blocks=6 --set ndf=32 \
    --set identity_weight=0.7 --set decay_start=1.0 --sample-every 250 --checkpoint-every 250
  $PY build_scripts/ship_model.py runs/cyclegan-elephants --kind cyclegan --id elephants \
    --painting elephants \
    --title "CycleGAN photo to Stancikaite's Elephants (ngf 24, 6 blocks)" \
    --inverse-title "CycleGAN Elephants to photo (ngf 24, 6 blocks)" \
    --note "Painting domain: 60 rescaled (0.7-1.4x), flipped and colour-jittered copies of one painting, Wyng Stancikaite's Elephants (mate-backgrounds, GPL-2+; build_scripts/augment_painting.py)." \
    --note "Photo domain: the 40 offline training photos (docs/MODELS.md) at long sides 512, 704 and 896 px." \
    --note "Fine-tuned from starry-night for 750 steps at a constant lr 2e-4, identity weight 0.7 (7 x L1), seed 11."
}

dcgan() {
  train dcgan-fashion dcgan --data data/fashion_mnist/train --steps 3000 --batch 64 \
    --crop 28 --lr 2e-4 --set arch=dcgan28 --set beta_1=0.5 \
    --sample-every 250 --checkpoint-every 250
  $PY build_scripts/ship_model.py runs/dcgan-fashion --kind dcgan --id fashion-dcgan --default \
    --title "DCGAN 28x28, Fashion-MNIST" \
    --note "Trained on the 60 000 Fashion-MNIST training images (dataset-fashion-mnist)."
}

evaluate() {
  mkdir -p runs/eval
  $PG eval deblur --data data/photos/heldout --report runs/eval/deblur.json
  $PG eval upscale --data data/photos/heldout --report runs/eval/upscale.json
  $PG eval sample --data data/fashion_mnist --report runs/eval/sample.json
  for style in starry_night elephants; do  # each with the model whose card names it
    $PG eval painting --data data/photos/heldout --style $style \
      --report runs/eval/painting_$style.json --save runs/eval/painting_$style
  done
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(deblur deblur_unet upscale cyclegan elephants dcgan eval)
for step in "${steps[@]}"; do
  case $step in
    deblur|deblur_unet|upscale|cyclegan|elephants|dcgan) $step ;;
    eval) evaluate ;;
    *) echo "unknown step: $step (deblur, deblur_unet, upscale, cyclegan, elephants, dcgan, eval)" >&2
       exit 2 ;;
  esac
done
