#!/usr/bin/env bash
# estimate_cycles.sh - estimated cycles of a firmware on an in-order Cortex-M
# core: runs the ELF under QEMU with the executed-instruction log going into a
# FIFO that tinyae_cycles reads as QEMU writes it (the log is hundreds of MB
# for the self-test firmware: it never touches the disk), with the ELF's
# disassembly and the core's timing table (docs/cycle-model.md).
#
# usage: tools/bench/estimate_cycles.sh --elf FW.elf [--board B] [--build DIR] [-- tinyae_cycles options]
#   --elf FILE    firmware, e.g. from `tinyae deploy --keep-build DIR` (DIR/firmware.elf)
#   --board B     QEMU machine (default mps2-an386); its core picks the timing table
#   --build DIR   CMake build folder holding tinyae_cycles (default: build)
#   after --:     passed to tinyae_cycles, e.g. --function tinyae_run_i8 --calls 9-12 --macs 221184 --json
# Exits with tinyae_cycles' status, or 1 if QEMU fails.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo/build"
board="mps2-an386"
elf=""
while (($#)); do
  case "$1" in
    --elf) elf=$2; shift 2 ;;
    --board) board=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "estimate_cycles: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$elf" && -f "$elf" ]] || { echo "estimate_cycles: --elf FILE is required and must exist" >&2; exit 2; }

# The board's core, for the timing table.
case "$board" in
  mps2-an386) core=cortex-m4 ;;
  mps2-an505) core=cortex-m33 ;;
  *) echo "estimate_cycles: no cycle table for board '$board' (known: mps2-an386, mps2-an505)" >&2; exit 2 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
arm-none-eabi-objdump -d "$elf" > "$work/fw.dis"
mkfifo "$work/exec.log"
qemu-system-arm -M "$board" -nographic -semihosting -icount shift=0 -singlestep -d exec,nochain \
  -D "$work/exec.log" -kernel "$elf" > "$work/qemu.out" 2>&1 &
qemu=$!
status=0
"$build/tinyae_cycles" --disassembly "$work/fw.dis" --log "$work/exec.log" --core "$core" "$@" || status=$?
if ! wait "$qemu"; then
  echo "estimate_cycles: QEMU failed on $elf; its output:" >&2
  cat "$work/qemu.out" >&2
  exit 1
fi
exit "$status"
