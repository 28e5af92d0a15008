#!/usr/bin/env bash
# Installs what tinyae needs on Debian bookworm (run as root), idempotently:
# only missing packages are installed, so a second run takes a second.
# Also points libblas.so.3 at OpenBLAS (LibTorch's matrix multiplies go there;
# Debian's reference BLAS is about 8x slower).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libtorch-dev libopenblas0-pthread
  libcxxopts-dev libspdlog-dev nlohmann-json3-dev libgtest-dev libbenchmark-dev
  zlib1g-dev libssl-dev libpng-dev libcairo2-dev fonts-dejavu-core
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
  clang libclang-rt-14-dev clang-format
  python3-torch
  libcsv-dev python3-sklearn libonnx-dev python3-onnx python3-yaml
  libgloo-dev libdnnl-dev
  ocl-icd-opencl-dev  # Debian's oneDNN is built with OpenCL: its CMake config requires OpenCL
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(npm)

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "setup: error: missing packages and not root; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# LibTorch calls libblas.so.3; make sure the alternative is OpenBLAS.
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
current=$(readlink -f /etc/alternatives/libblas.so.3-x86_64-linux-gnu 2>/dev/null || true)
if [ -e "$openblas" ] && [ "$current" != "$(readlink -f "$openblas")" ]; then
  if [ "$(id -u)" = 0 ]; then
    update-alternatives --quiet --set libblas.so.3-x86_64-linux-gnu "$openblas"
    echo "setup: libblas.so.3 now points at OpenBLAS"
  else
    echo "setup: warning: libblas.so.3 is not OpenBLAS; training will be slow (run as root to fix)" >&2
  fi
fi
