// The matrix multiplies of TrainStep, through one of two engines.
//
// kOneDnn calls oneDNN's sgemm (libdnnl, the library Debian's LibTorch
// itself links) on the tensors' memory: on the training shapes (batch 256,
// widths 784 to 32) it is about 2.4x faster than OpenBLAS with the Haswell
// kernel and 1.6x faster than with its AVX-512 kernel
// (docs/training-profile.md). kBlas calls LibTorch's addmm/mm, which go to
// the BLAS (OpenBLAS), as autograd does: the engine TrainStep is checked
// against autograd with, bit for bit.
//
// Both are deterministic for a fixed thread count: the same inputs give the
// same bits on every call. They round differently from each other, so a
// run is reproducible with the same engine and threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

#include "tinyae/model.h"

namespace tinyae {

enum class GemmEngine { kOneDnn, kBlas };

constexpr GemmEngine kDefaultGemmEngine = GemmEngine::kOneDnn;

// "onednn", "blas"
std::string_view gemm_engine_name(GemmEngine engine);
std::optional<GemmEngine> parse_gemm_engine(std::string_view name);
// The accepted names for messages: "onednn or blas".
std::string gemm_engine_choices();

// Threads of oneDNN's OpenMP team: its sgemm, src/train/fused.h's passes
// and the batch gather (LibTorch's own intra-op pool stays as it is). Set
// by configure_compute_threads: 1 with the BLAS engine, whose OpenBLAS
// threads need the cores.
void set_gemm_threads(int threads);
// Binds each thread of that OpenMP team (the calling thread is its first)
// to one CPU when the team has exactly the CPUs this process may use, as
// OMP_PROC_BIND=close would: the team's row shares then stay in their
// core's cache from one pass to the next (about 6% of an epoch on 2
// cores). Returns the CPUs, in thread order, or nothing (not bound) when
// the team is smaller, OMP_PROC_BIND or GOMP_CPU_AFFINITY is set (the
// user's choice), or binding fails. Threads the calling thread starts
// later inherit its CPU, so data-parallel training does not bind.
std::vector<int> bind_gemm_threads();
int gemm_threads();

// "oneDNN 2.6.3 sgemm, ISA avx512_core, 2 thread(s)" or "LibTorch addmm/mm on the BLAS".
std::string describe_gemm(GemmEngine engine);

// out = a b + bias (bias broadcast over rows; undefined = none). All float32,
// 2-D, a (m, k), b (k, n), out (m, n) with rows contiguous; a and b may each be
// row-major or the transpose of a row-major tensor (weight.t(), grad.t()).
// kBlas: at::addmm_out / at::mm_out, exactly as at::linear and autograd.
void matmul_into(GemmEngine engine, torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b,
                 const torch::Tensor& bias = {});
// A layer: out = act(a b + bias), with matmul_into's shapes and a defined
// bias. kOneDnn: the sgemm, then bias and activation in one pass
// (src/train/fused.h). kBlas: at::addmm_out, then LibTorch's in-place
// activation, as at::linear + relu_.
void linear_into(GemmEngine engine, torch::Tensor& out, const torch::Tensor& a, const torch::Tensor& b,
                 const torch::Tensor& bias, Activation activation);

}  // namespace tinyae
