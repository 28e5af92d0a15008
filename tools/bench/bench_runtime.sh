#!/usr/bin/env bash
# bench_runtime.sh - speed and size of the float32 runtime on its targets, for
# the README:
#   * instructions per multiply-accumulate of the tutorial autoencoder
#     (784-128-64-32-64-128-784) on QEMU's Cortex-M4F (mps2-an386) and
#     Cortex-M7 (mps2-an500), measured by `tinyae deploy` with SysTick under
#     -icount shift=0, for the runtime as shipped and for its portable C path
#     (TINYAE_NO_ASM) as a baseline;
#   * text size of tinyae_f32.c at -Os and -O2 (arm-none-eabi-size on the object).
#
# usage: tools/bench/bench_runtime.sh [--build DIR] [--headers DIR]
#   --build DIR    CMake build folder with the tinyae binary (default: build)
#   --headers DIR  a folder written by `tinyae export`; without it a
#                  random-weight export of the same shapes is generated
#                  (tinyae_fake_export, built with the tests). Instruction
#                  counts do not depend on the weight values for ReLU models.
# Prints a Markdown table; exits non-zero if any deploy fails.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo/build"
headers=""
while (($#)); do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --headers) headers=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench_runtime: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

for tool in arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm python3; do
  command -v "$tool" >/dev/null || {
    echo "bench_runtime: $tool not found; run tools/setup.sh" >&2
    exit 1
  }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tinyae-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT

targets=(tinyae)
[[ -z "$headers" ]] && targets+=(tinyae_fake_export_tool)
cmake --build "$build" --target "${targets[@]}" -j2 >/dev/null
tinyae="$build/tinyae"

if [[ -z "$headers" ]]; then
  headers="$work/export"
  "$build/tinyae_fake_export" "$headers" tutorial 4 42
  source_note="random-weight export (tinyae_fake_export)"
else
  source_note="$headers"
fi

# Baseline: the same folder with the runtime forced onto its portable C path.
portable="$work/export-portable-c"
cp -r "$headers" "$portable"
sed -i '0,/#include "tinyae.h"/s//#define TINYAE_NO_ASM 1 \/* bench: portable C path *\/\n#include "tinyae.h"/' \
  "$portable/tinyae_f32.c"

# One row per (board, runtime variant).
rows=()
for board in mps2-an386 mps2-an500; do
  for variant in shipped portable; do
    dir=$headers
    [[ $variant == portable ]] && dir=$portable
    json="$work/$board-$variant.json"
    if ! "$tinyae" deploy --headers "$dir" --board "$board" --json >"$json" 2>"$work/$board-$variant.log"; then
      echo "bench_runtime: deploy on $board ($variant) failed; its output:" >&2
      tail -30 "$work/$board-$variant.log" >&2
      exit 1
    fi
    rows+=("$(python3 - "$json" "$board" "$variant" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
name = "4-row VLDMIA/VFMA kernel" if sys.argv[3] == "shipped" else "portable C (TINYAE_NO_ASM)"
cpu = {"mps2-an386": "Cortex-M4F", "mps2-an500": "Cortex-M7"}[sys.argv[2]]
print(f"| {sys.argv[2]} ({cpu}) | {name} | {r['headline_model']} | {r['instructions_per_inference']:,} | "
      f"{r['macs']:,} | {r['instructions_per_mac']:.3f} | {r['max_abs_err']:.2g} | {r['text']:,} |")
EOF
)")
  done
done

# Runtime object size.
size_of() {  # cpu flags..., then -O level
  local obj="$work/runtime.o"
  arm-none-eabi-gcc "$@" -std=c99 -ffreestanding -Wall -Wextra -Werror -pedantic \
    -c "$repo/src/runtime/tinyae_f32.c" -o "$obj"
  arm-none-eabi-size "$obj" | awk 'NR == 2 { print $1 }'
}
m4=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
m7=(-mcpu=cortex-m7 -mthumb -mfloat-abi=hard -mfpu=fpv5-d16)

echo "## tinyae runtime benchmark"
echo
echo "Model: 784-128-64-32-64-128-784 autoencoder, float32, from $source_note."
echo "Instructions counted with SysTick under qemu-system-arm -icount shift=0 (QEMU 7.2), one inference,"
echo "validation included; firmware and runtime built with arm-none-eabi-gcc -O2 ($(arm-none-eabi-gcc -dumpversion))."
echo
echo "| board | runtime | model | instructions / inference | MACs | instructions / MAC | max abs err (all models) | firmware text (B) |"
echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
echo "| tinyae_f32.c object (text + rodata, B) | -Os | -O2 |"
echo "| --- | ---: | ---: |"
echo "| Cortex-M4F | $(size_of "${m4[@]}" -Os) | $(size_of "${m4[@]}" -O2) |"
echo "| Cortex-M7 | $(size_of "${m7[@]}" -Os) | $(size_of "${m7[@]}" -O2) |"
