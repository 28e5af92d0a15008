#!/usr/bin/env bash
# Configures and builds tinyae into build/ (or $TINYAE_BUILD_DIR).
# Usage: tools/build.sh [cmake --build args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TINYAE_BUILD_DIR:-"$root/build"}
jobs=${TINYAE_JOBS:-$(nproc)}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" -j "$jobs" "$@"
