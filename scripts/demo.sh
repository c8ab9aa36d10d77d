#!/usr/bin/env bash
# The demo: what the pipeline can do today for examples/ka_bandpass.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
RF=.venv/bin/rfdesign
OUT=demo_out
SPEC=examples/ka_bandpass.yaml
echo "== 1. check the spec =="
"$RF" spec check "$SPEC"
echo "== 2. draw a layout of its grid (layout.png, layout.gds) =="
"$RF" layout show --spec "$SPEC" --bits 100001111100110 --out "$OUT"
echo
echo "NOTE: the design pipeline (surrogate search + openEMS verification, issue 7) does not"
echo "exist yet; this demo runs what exists: spec validation and layout export into $OUT/."
