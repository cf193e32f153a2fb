#!/usr/bin/env bash
# The README's "main job on a bundled example": sets up and builds TriFold, then scores the AlphaFold2 CASP14
# models in the shared data against their domain natives with `trifold bench score` (published table included)
# and prints where the summary is. Output: ./example-output/
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --with-reference-tools
SET="${TRIFOLD_SHARED:-../shared}/data/casp14"
if [ ! -f "$SET/domains.tsv" ]; then
  echo "run-example: $SET/domains.tsv not found; set TRIFOLD_SHARED to the shared/ folder" >&2
  exit 1
fi
./build/trifold bench score --set "$SET" --predictions "$SET" \
  --published "$SET/published_scores_casp14_AF2_TS427.tsv" --out example-output
echo
echo "run-example: summary in $(pwd)/example-output/summary.md (per-domain scores.tsv/json, plots/*.svg)"
