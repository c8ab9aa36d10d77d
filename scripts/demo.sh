#!/usr/bin/env bash
# The demo: design the paper's band-pass filter (examples/ka_bandpass.yaml) with the shipped
# CNN surrogate, exhaustive search over the 32,768 layouts, and openEMS verification of the
# top candidates; the report and files land in demo_out/. About a minute on 2 cores when
# openEMS results are not cached yet.
set -euo pipefail
cd "$(dirname "$0")/.."
RF=.venv/bin/rfdesign
OUT=demo_out
SPEC=examples/ka_bandpass.yaml
echo "== 1. check the spec =="
"$RF" spec check "$SPEC"
echo "== 2. design: surrogate search + openEMS verification =="
"$RF" design "$SPEC" --out "$OUT" --verify openems --cluster local --workers 2
echo
echo "report: $OUT/report.md (margins per band, candidates, sensitivity map);"
echo "files:  $OUT/design.s2p, layout.gds, layout.png, response.png, sensitivity.png"
