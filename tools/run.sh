#!/usr/bin/env bash
# The main job: installs what is missing, fetches MNIST, builds, trains the
# tutorial's autoencoder, evaluates it, and draws its figures.
# Usage: bash tools/run.sh [extra `tinyae train` flags, e.g. --epochs 5]
# Outputs: runs/mnist/ (model.pt, history.csv, loss.png, reconstructions.png).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run=${TINYAE_RUN_DIR:-"$root/runs/mnist"}
bash "$root/tools/setup.sh"
bash "$root/data/fetch_mnist.sh"
bash "$root/tools/build.sh" --target tinyae
tinyae="${TINYAE_BUILD_DIR:-$root/build}/tinyae"

resume=()
[ -f "$run/model.pt" ] && resume=(--resume)
"$tinyae" train --data "$root/data/mnist" --out "$run" "${resume[@]}" "$@"
"$tinyae" eval --model "$run/model.pt" --data "$root/data/mnist"
