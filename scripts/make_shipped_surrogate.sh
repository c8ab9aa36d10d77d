#!/usr/bin/env bash
# Rebuild the CNN that ships with rfdesign for ka_pixel_4x5 (surrogates/shipped/ka_pixel_4x5):
# pre-train a 5-member ensemble on all 32,768 circuit-model layouts, fine-tune it on the 300
# committed openEMS training layouts, and record its metrics on the 30 openEMS test layouts.
# About 15 minutes on 2 cores. The intermediate products go to $RFDESIGN_CACHE.
set -euo pipefail
cd "$(dirname "$0")/.."
RF=.venv/bin/rfdesign
CACHE="${RFDESIGN_CACHE:-$HOME/.cache/rfdesign}"
CIRCUIT="$CACHE/circuit_ka_pixel_4x5_all"
PRE="$CACHE/cnn_ka_pixel_4x5_circuit_pretrained"
OUT=surrogates/shipped/ka_pixel_4x5

$RF dataset generate --solver circuit --sampler all --out "$CIRCUIT" --workers 2 --chunk 1024
if [[ ! -f "$PRE/model.yaml" ]]; then
  $RF train --dataset "$CIRCUIT" --out "$PRE" --holdout 0.05 --max-epochs 25 --batch-size 256 \
    --cluster local --workers 2
fi
rm -rf "$OUT"
$RF train --dataset data/openems_ka_pixel_4x5_standard_train --pretrained "$PRE" --holdout 0 \
  --test-dataset data/openems_ka_pixel_4x5_standard_test --out "$OUT" --cluster local --workers 2
$RF evaluate --model "$OUT" --dataset data/openems_ka_pixel_4x5_standard_test
