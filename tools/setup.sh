#!/usr/bin/env bash
# Installs TriFold's Debian dependencies (as root, only what is missing) and builds it into build/.
# Usage: tools/setup.sh [--no-build] [--with-reference-tools] [extra cmake -D options...]
set -euo pipefail
cd "$(dirname "$0")/.."

# Build and runtime dependencies: compiler, CMake, libraries.
PKGS=(build-essential cmake pkg-config libhdf5-dev hdf5-tools libboost-program-options-dev libopenblas-dev
      libomp-dev zlib1g-dev libgtest-dev)
# The field's tools: MSA search back-ends and the reference scorers the tests compare against.
TOOLS=(hmmer hmmer-doc hhsuite mmseqs2 mmseqs2-examples tm-align openstructure zip slurm-wlm munge)

build=1
want_tools=0
cmake_args=()
for a in "$@"; do
  case "$a" in
    --no-build) build=0 ;;
    --with-reference-tools) want_tools=1 ;;
    *) cmake_args+=("$a") ;;
  esac
done
[ "$want_tools" = 1 ] && PKGS+=("${TOOLS[@]}")

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "$build" = 1 ] || exit 0
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}" >/dev/null
cmake --build build -j"$jobs"
echo "setup: built $(pwd)/build/trifold"
