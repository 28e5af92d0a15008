// TrainStep's elementwise passes (see fused.h for what each computes and
// why the results do not depend on the thread count). The loops themselves
// are fused_kernels.inc, compiled here for AVX-512, AVX2 and the x86-64
// baseline; the best the CPU runs is used (fused_isa()).
#include "fused.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "tinyae/common.h"
#include "tinyae/gemm.h"

namespace tinyae {
namespace {

namespace baseline {
#include "fused_kernels.inc"
}  // namespace baseline
#pragma GCC push_options
#pragma GCC target("avx2")
namespace avx2 {
#include "fused_kernels.inc"
}  // namespace avx2
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
#include "fused_kernels.inc"
}  // namespace avx512
#pragma GCC pop_options

// One row per instruction set, best first. AVX-512 over the baseline's SSE2:
// Adamax 1.7x as fast on data in L3 (docs/training-profile.md).
struct Kernels {
  std::string_view isa;
  bool (*supported)();
  decltype(&baseline::bias_activation_rows) bias_activation_rows;
  decltype(&baseline::squared_error_rows) squared_error_rows;
  decltype(&baseline::output_gradient_rows) output_gradient_rows;
  decltype(&baseline::activation_backward_rows) activation_backward_rows;
  decltype(&baseline::adamax_elements) adamax_elements;
};
// __builtin_cpu_supports also checks that the OS saves the registers.
const Kernels kKernels[] = {
    {"avx512", [] { return __builtin_cpu_supports("avx512f") != 0; }, avx512::bias_activation_rows,
     avx512::squared_error_rows, avx512::output_gradient_rows, avx512::activation_backward_rows,
     avx512::adamax_elements},
    {"avx2", [] { return __builtin_cpu_supports("avx2") != 0; }, avx2::bias_activation_rows, avx2::squared_error_rows,
     avx2::output_gradient_rows, avx2::activation_backward_rows, avx2::adamax_elements},
    {"baseline", [] { return true; }, baseline::bias_activation_rows, baseline::squared_error_rows,
     baseline::output_gradient_rows, baseline::activation_backward_rows, baseline::adamax_elements},
};

const Kernels* best_kernels() {
  for (const Kernels& k : kKernels)
    if (k.supported()) return &k;
  return &kKernels[std::size(kKernels) - 1];
}
std::atomic<const Kernels*> g_kernels{best_kernels()};
const Kernels& kernels() { return *g_kernels.load(std::memory_order_relaxed); }

// Below this many elements (a batch of 256 through a 64-wide layer) a pass
// runs on the calling thread: waking the team costs a few microseconds.
// 16,384 made an epoch 3-4% faster than 65,536 (docs/training-profile.md).
constexpr std::int64_t kMinParallelElements = 16384;
// Passes over rows go by blocks of this many rows, the same blocks for
// every pass (a row stays with the thread that wrote it), and sums over rows
// are taken per block, then over the blocks in order: the same order for
// any thread count.
constexpr std::int64_t kBlockRows = 32;

int team_for(std::int64_t elements) { return elements >= kMinParallelElements ? gemm_threads() : 1; }

std::int64_t blocks_of(std::int64_t rows) { return (rows + kBlockRows - 1) / kBlockRows; }
std::int64_t rows_in_block(std::int64_t b, std::int64_t rows) {
  return std::min(rows, (b + 1) * kBlockRows) - b * kBlockRows;
}

// out (cols) = the sum of partial's (blocks, cols) rows, in block order.
void sum_blocks(const std::vector<float>& partial, std::int64_t blocks, std::int64_t cols, float* out) {
  std::copy(partial.begin(), partial.begin() + cols, out);
  for (std::int64_t b = 1; b < blocks; ++b) {
    const float* sum = partial.data() + b * cols;  // (cols)
    for (std::int64_t j = 0; j < cols; ++j) out[j] += sum[j];
  }
}

}  // namespace

std::string_view fused_isa() { return kernels().isa; }

std::vector<std::string_view> fused_isas() {
  std::vector<std::string_view> isas;
  for (const Kernels& k : kKernels)
    if (k.supported()) isas.push_back(k.isa);
  return isas;
}

void set_fused_isa(std::string_view isa) {
  for (const Kernels& k : kKernels) {
    if (k.isa != isa) continue;
    if (!k.supported()) throw Error(fmt::format("set_fused_isa: this CPU cannot run '{}'", isa));
    g_kernels.store(&k);
    return;
  }
  throw Error(fmt::format("set_fused_isa: no kernels for '{}' (there are {})", isa, fmt::join(fused_isas(), ", ")));
}

void fused_bias_activation(float* z, std::int64_t rows, std::int64_t cols, std::int64_t ld, const float* bias,
                           Activation activation) {
  const Kernels& k = kernels();
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks_of(rows); ++b) {
    k.bias_activation_rows(z + b * kBlockRows * ld, ld, rows_in_block(b, rows), cols, bias, activation);
  }
}

double fused_squared_error(const float* y, const float* target, std::int64_t rows, std::int64_t cols) {
  const Kernels& k = kernels();
  const std::int64_t blocks = blocks_of(rows);
  std::vector<double> partial(static_cast<std::size_t>(blocks), 0.0);  // (blocks)
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::int64_t offset = b * kBlockRows * cols;
    partial[static_cast<std::size_t>(b)] =
        k.squared_error_rows(y + offset, target + offset, rows_in_block(b, rows), cols);
  }
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

double fused_output_gradient(float* grad, float* y, const float* bias, const float* target, std::int64_t rows,
                             std::int64_t cols, float scale, Activation activation, float* d_bias) {
  const Kernels& k = kernels();
  const std::int64_t blocks = blocks_of(rows);
  std::vector<double> squares(static_cast<std::size_t>(blocks), 0.0);         // (blocks)
  std::vector<float> partial(static_cast<std::size_t>(blocks * cols), 0.0f);  // (blocks, cols)
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::int64_t offset = b * kBlockRows * cols;
    squares[static_cast<std::size_t>(b)] =
        k.output_gradient_rows(grad + offset, y + offset, bias, target + offset, rows_in_block(b, rows), cols, scale,
                               activation, partial.data() + b * cols);
  }
  sum_blocks(partial, blocks, cols, d_bias);
  return std::accumulate(squares.begin(), squares.end(), 0.0);
}

void fused_activation_backward(float* grad, std::int64_t ld_grad, const float* out, std::int64_t ld_out,
                               std::int64_t rows, std::int64_t cols, Activation activation, float l1_scale,
                               float* d_bias) {
  const Kernels& k = kernels();
  const std::int64_t blocks = blocks_of(rows);
  std::vector<float> partial(static_cast<std::size_t>(blocks * cols), 0.0f);  // (blocks, cols)
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks; ++b) {
    k.activation_backward_rows(grad + b * kBlockRows * ld_grad, ld_grad, out + b * kBlockRows * ld_out, ld_out,
                               rows_in_block(b, rows), cols, activation, l1_scale, partial.data() + b * cols);
  }
  sum_blocks(partial, blocks, cols, d_bias);
}

void fused_adamax(float* param, const float* grad, float* exp_avg, float* exp_inf, std::int64_t n,
                  const AdamaxScalars& s) {
  const Kernels& k = kernels();
  const int team = team_for(n);
  // One contiguous range a thread, each a multiple of 16 elements (a cache
  // line) but the last.
  const std::int64_t chunk = ((n + team - 1) / team + 15) / 16 * 16;
#pragma omp parallel for schedule(static) num_threads(team)
  for (int t = 0; t < team; ++t) {
    const std::int64_t begin = std::min(n, t * chunk), end = std::min(n, begin + chunk);
    k.adamax_elements(param + begin, grad + begin, exp_avg + begin, exp_inf + begin, end - begin, s);
  }
}

void gather_rows(float* out, const float* images, const std::int64_t* index, std::int64_t rows, std::int64_t cols) {
  const std::size_t bytes = static_cast<std::size_t>(cols) * sizeof(float);
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks_of(rows); ++b) {
    for (std::int64_t r = b * kBlockRows; r < b * kBlockRows + rows_in_block(b, rows); ++r) {
      std::memcpy(out + r * cols, images + index[r] * cols, bytes);
    }
  }
}

}  // namespace tinyae
