#!/usr/bin/env bash
# bench_train.sh - training speed of the tutorial recipe (60,000 images,
# batch 256) on this machine: runs `tinyae train` for a few epochs in a
# temporary folder and prints the BLAS set-up, each epoch's seconds and the
# median. Machines are shared and noisy: compare medians from one run.
#
# usage: tools/bench/bench_train.sh [--build DIR] [--epochs N] [extra train flags]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo/build"
epochs=5
extra=()
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
run=$(mktemp -d)
trap 'rm -rf "$run"' EXIT
"$build/tinyae" train --data "$repo/data/mnist" --out "$run/run" --epochs "$epochs" --no-figures "${extra[@]}"
echo "epoch seconds (tinyae train, $epochs epochs, $(nproc) cores):"
tail -n +2 "$run/run/history.csv" | cut -d, -f1,4 | tr ',' ' ' | sed 's/^/  epoch /'
tail -n +2 "$run/run/history.csv" | cut -d, -f4 | sort -g |
  awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "median seconds per epoch: %.3f\n", m }'
