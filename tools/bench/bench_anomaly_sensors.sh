#!/usr/bin/env bash
# bench_anomaly_sensors.sh - the labelled wireless sensor network readings
# (data/fetch_sensors.sh; four motes, humidity and temperature, 149 readings
# labelled 1): the README's commands, then a Markdown table of ROC AUC and
# pAUC (FPR <= 0.1) on the test split of each mote, float32 (and int8 when
# `eval --format int8` is available), next to the mean-shift baseline that
# needs no training, on the same windows.
#
# Protocol: windows of 16 readings (stride 1) within each mote, labelled by
# their last reading; per mote the first 30% of readings train (normal
# windows only), the next 10% validate (threshold: 99th percentile of their
# scores), the last 60% test; no window straddles two splits. Both events
# lie in the test split.
#
# usage: tools/bench/bench_anomaly_sensors.sh [--build DIR] [--epochs N] [--keep DIR]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo/build"
epochs=50
keep=""
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench_anomaly_sensors: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
tinyae="$build/tinyae"
[[ -x $tinyae ]] || { echo "bench_anomaly_sensors: $tinyae not found; build first (tools/build.sh)" >&2; exit 1; }
bash "$repo/data/fetch_sensors.sh" >/dev/null
if [[ -n $keep ]]; then work=$keep; mkdir -p "$work"; else
  work=$(mktemp -d "${TMPDIR:-/tmp}/tinyae-sensors-XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
rm -rf "$work/run"
"$tinyae" train --data "$repo/data/sensors/data.csv" --features humidity,temperature --group mote_id \
  --label label --window 16 --epochs "$epochs" --out "$work/run" --quiet
"$tinyae" eval --model "$work/run/model.safetensors" --json --quiet --out "$work/eval" >"$work/float32.json"
int8=""
if "$tinyae" eval --help | grep -q -- '--format'; then
  "$tinyae" eval --model "$work/run/model.safetensors" --format int8 --json --quiet --out "$work/eval-int8" >"$work/int8.json"
  int8="$work/int8.json"
fi
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1); $epochs epochs" >&2
python3 - "$work/float32.json" $int8 <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
i = json.load(open(sys.argv[2])) if len(sys.argv) > 2 else None
fmt = lambda v: "-" if v is None else f"{v:.3f}"
print("| mote | test windows | anomalous | AUC float32 | pAUC float32 | AUC int8 | pAUC int8 | baseline AUC | baseline pAUC |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
igroups = {g["group"]: g for g in i["groups"]} if i else {}
for g in f["groups"]:
    ig = igroups.get(g["group"], {})
    print(f"| {g['group']} | {g['vectors']} | {g['anomalies']} | {fmt(g['auc'])} | {fmt(g['pauc'])} | "
          f"{fmt(ig.get('auc'))} | {fmt(ig.get('pauc'))} | {fmt(g['baseline_auc'])} | {fmt(g['baseline_pauc'])} |")
print(f"| all | {f['test_vectors']} | {f['anomalies']} | {fmt(f['auc'])} | {fmt(f['pauc'])} | "
      f"{fmt(i['auc'] if i else None)} | {fmt(i['pauc'] if i else None)} | {fmt(f['baseline']['auc'])} | {fmt(f['baseline']['pauc'])} |")
c = f["confusion"]
print(f"\nThreshold {f['threshold']['value']:.4g} ({f['threshold']['rule']}): "
      f"{c['true_positives']} of {f['anomalies']} anomalous windows flagged, "
      f"{c['false_positives']} false alarms among {c['false_positives'] + c['true_negatives']} normal ones.")
PY
