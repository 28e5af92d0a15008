#!/usr/bin/env bash
# bench_distributed.sh - data-parallel training speed on this machine: the
# recipe (60,000 images, batch 256) trained by 1, 2 and 4 local ranks
# (`tinyae train --nproc N`, c10d/Gloo over loopback), next to the plain
# single process. Rounds alternate the settings so that load from other
# programs spreads over all of them; it prints each setting's median seconds
# per epoch, its ratio to the plain run, and the bytes all-reduced per step.
# Ranks on one machine share its cores: expect no speed-up past the core count.
#
# usage: tools/bench/bench_distributed.sh [--build DIR] [--epochs N] [--rounds R] [--ranks "1 2 4"] [extra train flags]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo/build"
epochs=3
rounds=2
ranks="1 2 4"
extra=()
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --epochs) epochs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --ranks) ranks=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) extra+=("$1"); shift ;;
  esac
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
settings=(plain)
for n in $ranks; do settings+=("$n"); done

bytes=""
for ((round = 1; round <= rounds; ++round)); do
  for s in "${settings[@]}"; do
    out="$work/$s-$round"
    flags=()
    [[ $s != plain ]] && flags=(--nproc "$s")
    "$build/tinyae" train --data "$repo/data/mnist" --out "$out" --epochs "$epochs" --no-figures \
      "${flags[@]}" "${extra[@]}" 2> "$work/log" || { cat "$work/log" >&2; exit 1; }
    found=$(grep -o 'all-reduces [0-9]* bytes' "$work/log" | head -1 | cut -d' ' -f2 || true)
    [[ -n $found ]] && bytes=$found
    tail -n +2 "$out/history.csv" | cut -d, -f4 >> "$work/seconds-$s"
  done
done

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $rounds rounds of $epochs epochs"
echo "bytes all-reduced per step: ${bytes:-unknown}"
plain=$(median "$work/seconds-plain")
printf '| ranks | median s/epoch | plain / it |\n| --- | ---: | ---: |\n'
for s in "${settings[@]}"; do
  m=$(median "$work/seconds-$s")
  awk -v s="$s" -v m="$m" -v p="$plain" 'BEGIN { printf "| %s | %s | %.2f |\n", s, m, p / m }'
done
