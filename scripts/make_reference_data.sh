#!/usr/bin/env bash
# The committed openEMS reference data of ka_pixel_4x5 (issue 5): 30 test layouts and 300
# training layouts, both at the standard preset (docs/solvers.md), 51 points 34-46 GHz.
# Resumable: rerun after an interruption and only the missing layouts are simulated.
set -euo pipefail
cd "$(dirname "$0")/.."
RF=.venv/bin/rfdesign
"$RF" dataset generate --solver openems --preset standard --grid ka_pixel_4x5 \
  --sampler random --n 30 --seed 2 --out data/openems_ka_pixel_4x5_standard_test \
  --cluster local --workers "${WORKERS:-2}" --threads 1 --retries 1
"$RF" dataset generate --solver openems --preset standard --grid ka_pixel_4x5 \
  --sampler random --n 300 --seed 1 --out data/openems_ka_pixel_4x5_standard_train \
  --cluster local --workers "${WORKERS:-2}" --threads 1 --retries 1
