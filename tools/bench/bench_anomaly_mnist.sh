#!/usr/bin/env bash
# bench_anomaly_mnist.sh - one-class MNIST with the tutorial's architecture
# (784-128-64-32 and mirror, ReLU, Adamax, batch 256): for each digit d,
# `tinyae train --digit d` trains on d's training images (the last tenth of
# them validate), then `tinyae eval` scores all 10,000 test images with the
# other nine digits as anomalies. Prints a Markdown table of the ROC AUC per
# digit (float32, and int8 through the exported header's host reference when
# `eval --format int8` is available) and the mean.
#
# usage: tools/bench/bench_anomaly_mnist.sh [--build DIR] [--epochs N] [--lr LR] [--digits "0 1 ..."] [--keep DIR]
#   --build DIR    CMake build folder with the tinyae binary (default: build)
#   --epochs N     epochs per digit (default 50, the tutorial's)
#   --lr LR        Adamax learning rate (default 0.01: one digit is a tenth of
#                  MNIST, so 50 epochs make a tenth of the tutorial's steps)
#   --kind KIND    train --kind: vanilla (default), sparse, denoising, variational
#   --digits LIST  digits to run (default all ten)
#   --keep DIR     keep the runs and reports in DIR (default: a temporary folder, removed)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo/build"
epochs=50
lr=0.01
kind=vanilla
digits="0 1 2 3 4 5 6 7 8 9"
keep=""
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --lr) lr=$2; shift 2 ;;
    --kind) kind=$2; shift 2 ;;
    --digits) digits=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench_anomaly_mnist: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
tinyae="$build/tinyae"
[[ -x $tinyae ]] || { echo "bench_anomaly_mnist: $tinyae not found; build first (tools/build.sh)" >&2; exit 1; }
bash "$repo/data/fetch_mnist.sh" >/dev/null

if [[ -n $keep ]]; then work=$keep; mkdir -p "$work"; else
  work=$(mktemp -d "${TMPDIR:-/tmp}/tinyae-oneclass-XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
has_int8=0
"$tinyae" eval --help | grep -q -- '--format' && has_int8=1

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1); $epochs epochs per digit, learning rate $lr, $kind" >&2
rows=()
for d in $digits; do
  run="$work/digit$d"
  rm -rf "$run"
  start=$(date +%s.%N)
  "$tinyae" train --data "$repo/data/mnist" --digit "$d" --epochs "$epochs" --lr "$lr" --kind "$kind" --out "$run" --quiet --no-figures
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  "$tinyae" eval --model "$run/model.safetensors" --json --quiet --out "$run/eval" >"$run/float32.json"
  int8_json=""
  if ((has_int8)); then
    "$tinyae" eval --model "$run/model.safetensors" --format int8 --json --quiet >"$run/int8.json"
    int8_json="$run/int8.json"
  fi
  rows+=("$d $run/float32.json $seconds $int8_json")
  echo "digit $d done ($(printf %.0f "$seconds") s)" >&2
done

python3 - "${rows[@]}" <<'PY'
import json, sys
print("| normal digit | ROC AUC float32 | ROC AUC int8 | int8 - float32 | training s |")
print("| --- | --- | --- | --- | --- |")
f_all, i_all = [], []
for row in sys.argv[1:]:
    parts = row.split()
    d, fpath, seconds = parts[0], parts[1], float(parts[2])
    f = json.load(open(fpath))["auc"]
    f_all.append(f)
    if len(parts) > 3:
        i = json.load(open(parts[3]))["auc"]
        i_all.append(i)
        print(f"| {d} | {f:.4f} | {i:.4f} | {i - f:+.4f} | {seconds:.0f} |")
    else:
        print(f"| {d} | {f:.4f} | - | - | {seconds:.0f} |")
mean_i = f"{sum(i_all) / len(i_all):.4f}" if i_all else "-"
print(f"| **mean** | **{sum(f_all) / len(f_all):.4f}** | **{mean_i}** | | |")
PY
