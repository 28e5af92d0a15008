#!/usr/bin/env bash
# The main job, end to end: installs what is missing, fetches MNIST, builds,
# trains the tutorial's autoencoder (50 epochs), evaluates it, exports the
# encoder, decoder and autoencoder to C headers (float32 and int8), and runs
# them on an emulated Cortex-M4F board (QEMU mps2-an386); then the same for an
# anomaly detector on the labelled sensor readings (data/fetch_sensors.sh).
#
# Usage: bash tools/run.sh [extra `tinyae train` flags, e.g. --epochs 5]
# Outputs:
#   runs/mnist/         model.safetensors, history.csv, loss.png, reconstructions.png
#   deploy/mnist/       float32 headers + runtime (drop into any MCU project)
#   deploy/mnist-int8/  int8 headers + runtime, extras/quantization.json
#   runs/sensors/       the sensor model; eval/ holds scores.csv, roc.png, scores.png, report.json
#   deploy/sensors/, deploy/sensors-int8/  its headers (scaling constants, anomaly threshold)
# A finished run is not trained again: rerunning resumes (or skips) training.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run=${TINYAE_RUN_DIR:-"$root/runs/mnist"}
out=${TINYAE_DEPLOY_DIR:-"$root/deploy"}
board=${TINYAE_BOARD:-mps2-an386}

bash "$root/tools/setup.sh"
bash "$root/data/fetch_mnist.sh"
bash "$root/data/fetch_sensors.sh"
bash "$root/tools/build.sh" --target tinyae
tinyae="${TINYAE_BUILD_DIR:-$root/build}/tinyae"

step() { printf '\n== %s\n' "$*"; }

step "train ($run)"
resume=()
[ -f "$run/model.safetensors" ] && resume=(--resume)
"$tinyae" train --data "$root/data/mnist" --out "$run" "${resume[@]}" "$@"

step "evaluate"
"$tinyae" eval --model "$run/model.safetensors" --data "$root/data/mnist"

step "export float32 headers ($out/mnist)"
"$tinyae" export --model "$run/model.safetensors" --data "$root/data/mnist" --out "$out/mnist"

step "deploy float32 on $board (QEMU)"
"$tinyae" deploy --headers "$out/mnist" --board "$board"

step "export int8 headers ($out/mnist-int8)"
"$tinyae" export --model "$run/model.safetensors" --data "$root/data/mnist" --out "$out/mnist-int8" --format int8

step "deploy int8 on $board (QEMU)"
"$tinyae" deploy --headers "$out/mnist-int8" --board "$board"

sensors=${TINYAE_SENSORS_RUN_DIR:-"$root/runs/sensors"}
step "sensors: train an anomaly detector ($sensors)"
if [ -f "$sensors/model.safetensors" ]; then
  "$tinyae" train --data "$root/data/sensors/data.csv" --out "$sensors" --resume
else
  "$tinyae" train --data "$root/data/sensors/data.csv" --features humidity,temperature --group mote_id \
    --label label --window 16 --out "$sensors"
fi

step "sensors: evaluate (AUC, threshold, $sensors/eval)"
"$tinyae" eval --model "$sensors/model.safetensors" --out "$sensors/eval"

for format in float32 int8; do
  dir="$out/sensors"; [ "$format" = int8 ] && dir="$out/sensors-int8"
  step "sensors: export $format headers ($dir) and deploy on $board (QEMU)"
  "$tinyae" export --model "$sensors/model.safetensors" --out "$dir" --format "$format"
  "$tinyae" deploy --headers "$dir" --board "$board"
done
