#!/usr/bin/env bash
# Configures and builds tinyae into build/ (or $TINYAE_BUILD_DIR).
# TINYAE_SANITIZE=1 builds with ASan + UBSan into build-sanitize/ instead.
# Usage: tools/build.sh [cmake --build args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${TINYAE_JOBS:-$(nproc)}
if [ "${TINYAE_SANITIZE:-0}" = 1 ]; then
  build=${TINYAE_BUILD_DIR:-"$root/build-sanitize"}
  config=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DTINYAE_SANITIZE=ON)
else
  build=${TINYAE_BUILD_DIR:-"$root/build"}
  config=(-DCMAKE_BUILD_TYPE=Release)
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja "${config[@]}"
fi
cmake --build "$build" -j "$jobs" "$@"
