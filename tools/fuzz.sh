#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan, and runs
# each one for a fixed time, starting from freshly generated seeds plus the
# corpus kept from earlier runs. Prints the executions per target; inputs
# that crash, leak, time out or blow the memory limit are saved under
# WORK/crashes/<target>/ (turn each into a regression test in tests/hostile).
#
# Usage: tools/fuzz.sh [--time SECONDS] [--only TARGET]... [--build DIR] [--work DIR]
#   --time    seconds per target (default 60)
#   --only    run only this target (repeatable); default: every fuzz_* target
#   --build   build folder (default build-fuzz/ next to build/, or $TINYAE_FUZZ_BUILD_DIR)
#   --work    corpus and crash folder (default BUILD/fuzz-work)
# Exit status: 0 if no target found anything, 1 otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=60
only=()
build=${TINYAE_FUZZ_BUILD_DIR:-"$root/build-fuzz"}
work=""
while (($#)); do
  case "$1" in
    --time) seconds=$2; shift 2 ;;
    --only) only+=("$2"); shift 2 ;;
    --build) build=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
  echo "fuzz.sh: --time needs a whole number of seconds >= 1, got '$seconds'" >&2
  exit 2
fi
work=${work:-"$build/fuzz-work"}
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }

# Every target, in the order they run; fuzz/CMakeLists.txt defines them.
all_targets=(fuzz_idx fuzz_idx_file fuzz_csv fuzz_checkpoint fuzz_manifest fuzz_onnx fuzz_options)
targets=("${only[@]:-${all_targets[@]}}")

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTINYAE_FUZZ=ON -DTINYAE_SANITIZE=ON -DTINYAE_BUILD_TESTS=OFF
fi
cmake --build "$build" -j "${TINYAE_JOBS:-$(nproc)}" --target fuzz_make_seeds "${targets[@]}"

# Seeds: generated from the current formats, plus the committed ones
# (fuzz/corpus/<target>/) and the regression inputs of tests/hostile.
seeds="$work/seeds"
rm -rf "$seeds"
"$build/fuzz/fuzz_make_seeds" "$seeds"
mkdir -p "$seeds/idx" "$seeds/idx_file" "$seeds/csv" "$seeds/checkpoint" "$seeds/manifest" "$seeds/onnx" "$seeds/options"
# fuzz_options: the first byte picks the parser (fuzz/fuzz_options.cpp).
printf '\x00256' >"$seeds/options/batch"
printf '\x012' >"$seeds/options/threads"
printf '\x0242' >"$seeds/options/seed"
printf '\x080.001' >"$seeds/options/lr"
printf '\x03120' >"$seeds/options/timeout"
printf '\x04128,64' >"$seeds/options/hidden"
# fuzz_csv: the first byte picks the columns asked for and the window (fuzz/fuzz_csv.cpp).
printf '\x03g,a,b,label\nm,1,2,0\nm,1.5,2,1\nn,-3e2,"4",0\nn,5,6,0\n' >"$seeds/csv/grouped"
printf '\x00a,b\r\n1,2\r\n3,4\r\n5,6\r\n' >"$seeds/csv/plain"
printf '\x01"a","b",label\n1,2,0\n\n3,4,1\n5,6,0' >"$seeds/csv/quoted"
for kind in idx idx_file csv checkpoint manifest onnx options; do
  [ -d "$root/fuzz/corpus/$kind" ] && cp "$root/fuzz/corpus/$kind"/* "$seeds/$kind/" 2>/dev/null || true
done
cp "$root"/tests/hostile/inputs/*.idx "$seeds/idx/" 2>/dev/null || true
cp "$root"/tests/hostile/inputs/*.idx* "$seeds/idx_file/" 2>/dev/null || true
cp "$root"/tests/hostile/inputs/*.safetensors "$root"/tests/hostile/inputs/*.pt "$seeds/checkpoint/" 2>/dev/null || true
cp "$root"/tests/hostile/inputs/*.manifest.json "$seeds/manifest/" 2>/dev/null || true
# fuzz_onnx: the hostile files and PyTorch's exports of tests/onnx (needs
# Debian's python3-onnx and python3-torch, hence the system Python).
/usr/bin/python3 "$root/tests/onnx/make_hostile_models.py" "$seeds/onnx" || echo "fuzz.sh: no ONNX hostile seeds" >&2
/usr/bin/python3 "$root/tests/onnx/make_torch_models.py" "$seeds/onnx" 2>/dev/null || echo "fuzz.sh: no PyTorch ONNX seeds" >&2
rm -f "$seeds"/onnx/*.f32

# ASan: LibTorch is not instrumented; libFuzzer's own -rss_limit_mb and
# -malloc_limit_mb catch memory blow-ups (an input may legitimately claim up
# to kMaxIdxPayloadBytes = 1 GiB, but must not get it without the data).
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
summary=()
for target in "${targets[@]}"; do
  kind=${target#fuzz_}
  corpus="$work/corpus/$target"
  crashes="$work/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  dict=()
  [ -f "$root/fuzz/$kind.dict" ] && dict=(-dict="$root/fuzz/$kind.dict")
  log="$work/$target.log"
  before=$(find "$crashes" -type f | wc -l)
  echo "== $target: ${seconds}s (log: $log)"
  set +e
  "$build/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
    "$corpus" "$seeds/$kind" >"$log" 2>&1
  rc=$?
  set -e
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  found=$(( $(find "$crashes" -type f | wc -l) - before ))
  if ((rc != 0 || found > 0)); then
    status=1
    echo "   FOUND: exit $rc, $found new input(s) in $crashes"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*threw)' "$log" | head -5 | sed 's/^/   /'
  fi
  summary+=("$(printf '%-18s %12s executions  %s' "$target" "$runs" "$( ((rc == 0 && found == 0)) && echo ok || echo FOUND)")")
done

echo
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
