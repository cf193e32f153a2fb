#!/usr/bin/env bash
# The README's "main job on a bundled example": sets up and builds TriFold, then predicts the structure of a
# real protein end to end on a fresh machine with no network weights: the built-in MSA search over the 20,000
# UniProt sequences shipped by Debian's mmseqs2-examples package, then the default method without weights
# (coevolution contacts from a Potts model -> restraint folding). Output: ./example-output/
# With converted official weights (docs/weights.md), set TRIFOLD_WEIGHTS=W.h5 and the same command runs the
# RoseTTAFold network instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --with-reference-tools
EX=/usr/share/doc/mmseqs2/example-data
OUT=example-output
mkdir -p "$OUT"
# The example query (data/example/C6XKQ8.fasta): 30S ribosomal protein S6 of Hirschia baltica (UniProt C6XKQ8,
# 134 residues), from the package's query set; the database holds a few dozen S6 homologues.
./build/trifold predict --fasta data/example/C6XKQ8.fasta --db "$EX/DB.fasta.gz" --out "$OUT/C6XKQ8"
echo
echo "run-example: model (confidence in the B-factor column): $(pwd)/$OUT/C6XKQ8/model.pdb and model.cif"
echo "run-example: per-residue confidence: $(pwd)/$OUT/C6XKQ8/confidence.json; settings: config.json"
