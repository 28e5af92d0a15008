#!/usr/bin/env bash
# The test command: installs what is missing, fetches MNIST, builds, and runs
# every test through CTest. Usage: bash tools/test.sh [extra ctest args]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/tools/setup.sh"
bash "$root/data/fetch_mnist.sh"
bash "$root/tools/build.sh"
cd "${TINYAE_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${TINYAE_JOBS:-$(nproc)}" "$@"
