#!/usr/bin/env bash
# Sets everything up (Debian packages, reference tools, build) and runs the whole test suite with ctest.
# Extra arguments go to ctest, e.g. tools/run-tests.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh --with-reference-tools
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
