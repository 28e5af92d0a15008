#!/usr/bin/env bash
# bench_train_vs_pytorch.sh - tinyae train against the same recipe in PyTorch
# (tools/bench/pytorch_reference.py, Debian's python3-torch) and against the
# matrix-multiply floor of one epoch (build/bench/matmul_floor), on this
# machine, in alternating rounds: each round runs tinyae between two
# measurements of the oneDNN floor, then PyTorch with every thread setting
# below, then the OpenBLAS floor. Reports per-epoch medians over all rounds,
# PyTorch's best setting, the ratios, each round's tinyae epochs and floors,
# and both final test MSEs.
#
# Two ratios to the floor: the median tinyae epoch over the median floor
# (all rounds), and the paired one: each round's median tinyae epoch over
# the mean of the floors right before and right after it, the median over
# rounds. This machine's speed drifts by tens of percent within minutes;
# the paired ratio compares the two at the same moment.
#
# Settings tried for PyTorch (C = the cores present):
#   torch 1 + BLAS C, torch C + BLAS 1, torch 1 + BLAS 1, torch C + BLAS C,
#   and PyTorch's defaults (nothing set), all with OPENBLAS_CORETYPE set to the
#   OpenBLAS kernel tinyae reports in its first log line; and, when the caller
#   sets OPENBLAS_CORETYPE, torch 1 + BLAS C and torch 1 + BLAS 1 once more
#   with it unset (OpenBLAS' own kernel for this CPU, which a careful user
#   would also try). A setting more than 3x slower than the best in round 1 is
#   dropped from the later rounds (and marked so).
# Two floors: the GEMMs of one epoch through tinyae's engine (oneDNN's sgemm,
# `matmul_floor --gemm onednn`) and through LibTorch's addmm/mm on OpenBLAS
# (`--gemm blas`, the calls PyTorch makes, with tinyae's kernel).
#
# usage: tools/bench/bench_train_vs_pytorch.sh [--epochs 3] [--rounds 3]
#          [--build DIR] [--no-build] [--data DIR] [--coretype inherit|auto|NAME]
#          [--json]
#   --no-build: use the binaries in --build as they are.
#   --coretype inherit: keep the caller's OPENBLAS_CORETYPE, if any (default);
#              auto: unset it, tinyae picks the kernel from CPUID;
#              NAME: OPENBLAS_CORETYPE=NAME for everything.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build="$repo/build"
data="$repo/data/mnist"
epochs=3
rounds=3
coretype=inherit
json=0
no_build=0
while (($#)); do
  case "$1" in
    --epochs) epochs=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --no-build) no_build=1; shift ;;
    --data) data=$2; shift 2 ;;
    --coretype) coretype=$2; shift 2 ;;
    --json) json=1; shift ;;
    -h|--help) awk 'NR == 1 { next } /^#/ { print; next } { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench_train_vs_pytorch.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$epochs" =~ ^[1-9][0-9]*$ ]] || { echo "--epochs must be a positive integer, got '$epochs'" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds must be a positive integer, got '$rounds'" >&2; exit 2; }
python=/usr/bin/python3  # Debian's, which has python3-torch
"$python" -c 'import torch' 2>/dev/null || { echo "python3-torch is not installed (tools/setup.sh)" >&2; exit 1; }
case "$coretype" in
  inherit) ;;
  auto) unset OPENBLAS_CORETYPE ;;
  *) export OPENBLAS_CORETYPE=$coretype ;;
esac

# 1. Build what is missing or stale (a no-op when up to date).
log() { if ((json)); then echo "$*" >&2; else echo "$*"; fi; }
if ((!no_build)); then
  log "building tinyae and matmul_floor in $build ..."
  TINYAE_BUILD_DIR=$build bash "$repo/tools/build.sh" --target tinyae matmul_floor >&2
fi

# 2. Alternating rounds; every result is one JSON line in $results.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results="$work/results.jsonl"

# Runs "$@", a step that prints one JSON object, and appends that object to
# $results tagged with who (and setting); a step that fails or prints
# anything else stops the benchmark with the step's command and output.
record() {
  local who=$1 setting=$2
  shift 2
  if ! "$@" >"$work/step.out" 2>"$work/step.err"; then
    echo "bench_train_vs_pytorch.sh: '$*' failed; its last messages:" >&2
    tail -n 20 "$work/step.err" >&2
    exit 1
  fi
  "$python" - "$work/step.out" "$who" "$setting" "$*" >>"$results" <<'EOF'
import json, sys
path, who, setting, command = sys.argv[1:]
text = open(path).read()
try:
    r = json.loads(text)
except json.JSONDecodeError as e:
    sys.exit(f"bench_train_vs_pytorch.sh: '{command}' printed no single JSON object ({e}); stdout: {text[:400]!r}")
r["who"] = who
if setting:
    r["setting"] = setting
print(json.dumps(r))
EOF
}

# After round 1, a PyTorch setting far slower than the best cannot become the
# best (torch 2 + BLAS 2 takes close to a minute an epoch on 2 cores), so the
# later rounds run only the settings within kSlowestKept times the best.
kSlowestKept=3
keep_competitive_settings() {
  "$python" - "$results" "$kSlowestKept" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
medians = {r["setting"]: statistics.median(r["epoch_seconds"]) for r in rows if r["who"] == "pytorch"}
best = min(medians.values())
print("\n".join(s for s, m in medians.items() if m <= float(sys.argv[2]) * best))
EOF
}
cores=$(nproc)
# torch threads, BLAS threads (0: default), OpenBLAS kernel (same: tinyae's; own: OpenBLAS' choice)
settings=("1 $cores same" "$cores 1 same" "1 1 same" "$cores $cores same" "0 0 same")
[[ -n "${OPENBLAS_CORETYPE:-}" ]] && settings+=("1 $cores own" "1 1 own")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
kernel=""
for ((round = 1; round <= rounds; round++)); do
  # The oneDNN floor right before and right after tinyae's run: the
  # machine's speed drifts by tens of percent within minutes here, and the
  # paired ratio compares the two at the same moment.
  log "round $round/$rounds: matrix-multiply floor (oneDNN), before tinyae"
  record floor onednn "$build/bench/matmul_floor" --gemm onednn --json
  log "round $round/$rounds: tinyae train ($epochs epochs)"
  "$build/tinyae" train --data "$data" --out "$work/run$round" --epochs "$epochs" --no-figures 2>"$work/tinyae.log" ||
    { echo "bench_train_vs_pytorch.sh: tinyae train failed:" >&2; tail -n 20 "$work/tinyae.log" >&2; exit 1; }
  first_line=$(head -n 1 "$work/tinyae.log")
  kernel=$(sed -n 's/.*, kernel \([A-Za-z0-9_]*\).*/\1/p' <<<"$first_line")
  "$python" - "$work/run$round/history.csv" "$first_line" >>"$results" <<'EOF'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(json.dumps({"who": "tinyae", "epoch_seconds": [float(r["seconds"]) for r in rows],
                  "final_test_mse": float(rows[-1]["val_loss"]), "log": sys.argv[2]}))
EOF
  log "round $round/$rounds: matrix-multiply floor (oneDNN), after tinyae"
  record floor onednn "$build/bench/matmul_floor" --gemm onednn --json
  for setting in "${settings[@]}"; do
    read -r torch_threads blas_threads which_kernel <<<"$setting"
    log "round $round/$rounds: PyTorch, torch threads ${torch_threads/#0/default}, BLAS threads ${blas_threads/#0/default}, kernel $which_kernel"
    kernel_env=()
    if [[ "$which_kernel" == own ]]; then
      kernel_env=(-u OPENBLAS_CORETYPE)
    elif [[ -n "$kernel" ]]; then
      kernel_env=("OPENBLAS_CORETYPE=$kernel")
    fi
    record pytorch "$setting" env "${kernel_env[@]}" "$python" "$repo/tools/bench/pytorch_reference.py" \
      --data "$data" --epochs "$epochs" --torch-threads "$torch_threads" --blas-threads "$blas_threads" --json
  done
  log "round $round/$rounds: matrix-multiply floor (OpenBLAS)"
  record floor blas "$build/bench/matmul_floor" --gemm blas --json
  if ((round == 1 && rounds > 1)); then
    mapfile -t settings < <(keep_competitive_settings)
    log "PyTorch settings (torch threads, BLAS threads) kept after round 1, within ${kSlowestKept}x of the best: $(printf '[%s] ' "${settings[@]}")"
  fi
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# 3. Medians, the best PyTorch setting, the table.
"$python" - "$results" "$json" "$epochs" "$rounds" "$cores" "$load_before" "$load_after" "$kernel" <<'EOF'
import json, statistics, sys
path, as_json, epochs, rounds, cores, load_before, load_after, kernel = sys.argv[1:]
rows = [json.loads(line) for line in open(path)]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")

def median_epoch(rs):
    return statistics.median([s for r in rs for s in r["epoch_seconds"]])

def seconds_list(values):
    return " ".join(f"{v:.3f}" for v in values)

def label(setting, r):
    t, b, which = setting.split()
    suffix = f", {r['blas_kernel']} (OpenBLAS' own)" if which == "own" else ""
    if t == "0":
        return f"PyTorch defaults (torch {r['torch_threads']} + BLAS {r['blas_threads']}){suffix}"
    return f"PyTorch torch {t} + BLAS {b}{suffix}"

tinyae = [r for r in rows if r["who"] == "tinyae"]
floors = [r for r in rows if r["who"] == "floor" and r["setting"] == "onednn"]
blas_floors = [r for r in rows if r["who"] == "floor" and r["setting"] == "blas"]
settings = {}
for r in rows:
    if r["who"] == "pytorch":
        settings.setdefault(r["setting"], []).append(r)
torch_medians = {s: median_epoch(rs) for s, rs in settings.items()}
best = min(torch_medians, key=torch_medians.get)
t_med = median_epoch(tinyae)
floor = statistics.median(r["epoch_floor_seconds"] for r in floors)
# Each round's floors, before and after its tinyae run (recorded in that order).
floor_pairs = [floors[2 * i:2 * i + 2] for i in range(len(tinyae))]
paired = [statistics.median(t["epoch_seconds"]) / statistics.mean(f["epoch_floor_seconds"] for f in pair)
          for t, pair in zip(tinyae, floor_pairs)]
floor_train = statistics.median(r["train_gemm_seconds"] for r in floors)
result = {
    "cpu": cpu, "cores": int(cores), "blas_kernel": kernel, "tinyae_blas_line": tinyae[-1]["log"],
    "pytorch_blas_kernels": sorted({r["blas_kernel"] for rs in settings.values() for r in rs}),
    "epochs": int(epochs), "rounds": int(rounds), "load_average_before": load_before,
    "load_average_after": load_after,
    "tinyae": {"median_epoch_seconds": t_med, "final_test_mse": tinyae[-1]["final_test_mse"]},
    "pytorch": {label(s, rs[-1]): {"median_epoch_seconds": m, "final_test_mse": rs[-1]["final_test_mse"]}
                for s, rs in settings.items() for m in [torch_medians[s]]},
    "pytorch_dropped_after_round_1": [label(s, rs[-1]) for s, rs in settings.items() if len(rs) < int(rounds)],
    "pytorch_best": label(best, settings[best][-1]),
    "pytorch_best_median_epoch_seconds": torch_medians[best],
    "pytorch_best_final_test_mse": settings[best][-1]["final_test_mse"],
    "ratio_tinyae_to_pytorch_best": t_med / torch_medians[best],
    "speedup_over_pytorch_best": torch_medians[best] / t_med,
    "floor_epoch_seconds": floor, "floor_train_gemm_seconds": floor_train,
    "floor_val_gemm_seconds": statistics.median(r["val_gemm_seconds"] for r in floors),
    "sgemm1024_gflops": statistics.median(r["sgemm1024_gflops"] for r in floors),
    "ratio_tinyae_to_floor": t_med / floor,
    "ratio_tinyae_to_floor_paired": statistics.median(paired),
    "ratio_tinyae_to_floor_by_round": paired,
    "floor_gemm": floors[-1]["gemm_description"],
    "blas_floor_epoch_seconds": statistics.median(r["epoch_floor_seconds"] for r in blas_floors),
    "blas_floor_gemm": blas_floors[-1]["gemm_description"] + ", " + blas_floors[-1]["blas"],
    "tinyae_epoch_seconds_by_round": [r["epoch_seconds"] for r in tinyae],
    "floor_epoch_seconds_by_round": [[f["epoch_floor_seconds"] for f in pair] for pair in floor_pairs],
}
if as_json == "1":
    print(json.dumps(result, indent=2))
    sys.exit(0)
print(f"\nCPU: {cpu} ({cores} cores); load average {load_before} before, {load_after} after")
print(f"tinyae: {result['tinyae_blas_line']}")
print(f"PyTorch ran with OPENBLAS_CORETYPE={kernel or '(unset)'}, the kernel tinyae's BLAS uses, and where "
      f"marked with OpenBLAS' own choice (PyTorch's OpenBLAS reported: {', '.join(result['pytorch_blas_kernels'])})")
print(f"{rounds} alternating rounds of {epochs} epochs; medians of all epochs (validation included)")
print("PyTorch thread settings tried: " + "; ".join(label(s, rs[-1]) + ("" if len(rs) == int(rounds) else
      " (round 1 only: over 3x the best)") for s, rs in settings.items()) + "\n")
print(f"| {'run':<48} | s/epoch | tinyae / it | final test MSE |")
print(f"| {'-' * 48} | ------: | ----------: | -------------: |")
print(f"| {'tinyae train':<48} | {t_med:7.3f} | {1:11.2f} | {result['tinyae']['final_test_mse']:14.5f} |")
for s, rs in settings.items():
    name = label(s, rs[-1]) + (" (best)" if s == best else "")
    print(f"| {name:<48} | {torch_medians[s]:7.3f} | {t_med / torch_medians[s]:11.2f} | "
          f"{rs[-1]['final_test_mse']:14.5f} |")
blas_floor = result["blas_floor_epoch_seconds"]
for name, seconds in [("matrix-multiply floor, oneDNN (tinyae's GEMMs)", floor),
                      ("matrix-multiply floor, OpenBLAS (PyTorch's)", blas_floor)]:
    print(f"| {name:<48} | {seconds:7.3f} | {t_med / seconds:11.2f} | {'-':>14} |")
print(f"\ntinyae vs best PyTorch ({result['pytorch_best']}): {result['speedup_over_pytorch_best']:.2f}x as fast "
      f"(ratio {result['ratio_tinyae_to_pytorch_best']:.2f}); tinyae vs matrix-multiply floor: "
      f"{result['ratio_tinyae_to_floor']:.2f}x (medians), {result['ratio_tinyae_to_floor_paired']:.2f}x (paired: "
      f"median over rounds; by round {', '.join(f'{r:.2f}' for r in paired)})")
print(f"floor ({result['floor_gemm']}): training GEMMs {floor_train:.3f} s + validation GEMMs "
      f"{result['floor_val_gemm_seconds']:.3f} s; sgemm 1024^3 {result['sgemm1024_gflops']:.0f} GFLOP/s")
print(f"OpenBLAS floor ({result['blas_floor_gemm']}): {blas_floor:.3f} s")
print("by round, tinyae's epochs (s) / the oneDNN floor before and after (s): " + "; ".join(
    f"{seconds_list(t['epoch_seconds'])} / {seconds_list(f['epoch_floor_seconds'] for f in pair)}"
    for t, pair in zip(tinyae, floor_pairs)))
t_mse = result["tinyae"]["final_test_mse"]
p_mse = settings[best][-1]["final_test_mse"]
print(f"final test MSE after {epochs} epochs: tinyae {t_mse:.5f}, PyTorch {p_mse:.5f} "
      f"({100 * (t_mse - p_mse) / p_mse:+.1f}%); the targets (at most 0.0170, within 5%) are for the "
      f"50-epoch recipe (--epochs 50): after a few epochs the two initial draws still show")
EOF
