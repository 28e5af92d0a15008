#!/usr/bin/env bash
# Formats every C and C++ source git knows with clang-format: host C++ with
# ./.clang-format, C files (*.c, src/runtime/*.h, the Arduino sketch
# template) with src/runtime/.clang-format.
# Usage: tools/format.sh          rewrite files in place
#        tools/format.sh --check  change nothing; list unformatted files, exit 1 if any
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mode=(-i)
if [ "${1:-}" = --check ]; then mode=(--dry-run -Werror); fi
command -v clang-format >/dev/null || { echo "format: clang-format is missing; run tools/setup.sh" >&2; exit 1; }
c_style="--style=file:$root/src/runtime/.clang-format"
mapfile -t cxx < <(git ls-files '*.cpp' '*.h' '*.inc' ':!:src/runtime/*.h')
mapfile -t c < <(git ls-files '*.c' 'src/runtime/*.h')
status=0
if ((${#cxx[@]})); then clang-format "${mode[@]}" "${cxx[@]}" || status=1; fi
if ((${#c[@]})); then clang-format "${mode[@]}" "$c_style" "${c[@]}" || status=1; fi
if [ "${1:-}" = --check ] && [ $status != 0 ]; then
  echo "format: the files above are not formatted; run tools/format.sh" >&2
fi
exit $status
