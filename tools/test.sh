#!/usr/bin/env bash
# The test command: installs what is missing, fetches MNIST and the sensor
# readings, builds, and runs every test through CTest. Usage: bash tools/test.sh [extra ctest args]
# TINYAE_SANITIZE=1 runs the whole suite on an ASan + UBSan build
# (build-sanitize/; see tools/build.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/setup.sh"
bash "$root/data/fetch_mnist.sh"
bash "$root/data/fetch_sensors.sh"
bash "$root/tools/build.sh"
if [ "${TINYAE_SANITIZE:-0}" = 1 ]; then
  cd "${TINYAE_BUILD_DIR:-$root/build-sanitize}"
else
  cd "${TINYAE_BUILD_DIR:-$root/build}"
fi
ctest --output-on-failure -j "${TINYAE_JOBS:-$(nproc)}" "$@"
