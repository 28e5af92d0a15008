// TrainStep's elementwise passes (see fused.h for what each computes and
// why the results do not depend on the thread count).
#include "fused.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <vector>

#include "tinyae/gemm.h"

namespace tinyae {
namespace {

// Below this many elements (a batch of 256 through a 64-wide layer) a pass
// runs on the calling thread: waking the team costs a few microseconds.
// 16,384 made an epoch 3-4% faster than 65,536 (docs/training-profile.md).
constexpr std::int64_t kMinParallelElements = 16384;
// Sums over rows are taken per block of this many rows, then over the
// blocks in order: the same order for any thread count.
constexpr std::int64_t kBlockRows = 32;

int team_for(std::int64_t elements) { return elements >= kMinParallelElements ? gemm_threads() : 1; }

float activate(Activation activation, float v) {
  switch (activation) {
    case Activation::kLinear:
      return v;
    case Activation::kRelu:
      return std::max(v, 0.0f);
    case Activation::kSigmoid:
      return 1.0f / (1.0f + std::exp(-v));
    case Activation::kTanh:
      return std::tanh(v);
  }
  return v;
}

// The sum over one row's n elements of (y - target)^2, and with kGradient
// also grad = scale (y - target). Element j's square goes to float lane
// j % kLanes and the lanes are added in lane order, in double: the loop
// vectorises (one running sum in double is a chain of dependent adds, which
// made the loss pass 5x slower), and the result does not depend on the
// vector width. A 784-wide row puts 49 terms in a lane.
constexpr std::int64_t kLanes = 16;
template <bool kGradient>
double row_squared_error(const float* __restrict y, const float* __restrict target, std::int64_t n,
                         float* __restrict grad, float scale) {
  float lane[kLanes] = {};
  std::int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (std::int64_t l = 0; l < kLanes; ++l) {
      const float d = y[j + l] - target[j + l];
      if constexpr (kGradient) grad[j + l] = scale * d;
      lane[l] += d * d;
    }
  }
  for (std::int64_t l = 0; j + l < n; ++l) {
    const float d = y[j + l] - target[j + l];
    if constexpr (kGradient) grad[j + l] = scale * d;
    lane[l] += d * d;
  }
  double sum = 0;
  for (float value : lane) sum += value;
  return sum;
}

// One row: z = act(z + bias).
void bias_activation_row(float* __restrict z, const float* __restrict bias, std::int64_t cols, Activation activation) {
  if (activation == Activation::kRelu) {
    for (std::int64_t j = 0; j < cols; ++j) z[j] = std::max(z[j] + bias[j], 0.0f);
  } else {
    for (std::int64_t j = 0; j < cols; ++j) z[j] = activate(activation, z[j] + bias[j]);
  }
}

// One row: the sparse term, then the activation's derivative from the
// output; the result is added to `sum` (cols).
void activation_backward_row(float* __restrict g, const float* __restrict y, std::int64_t cols, Activation activation,
                             float l1_scale, float* __restrict sum) {
  if (l1_scale != 0.0f) {
    for (std::int64_t j = 0; j < cols; ++j) g[j] += l1_scale * static_cast<float>((y[j] > 0) - (y[j] < 0));
  }
  switch (activation) {
    case Activation::kLinear:
      break;
    case Activation::kRelu:
      for (std::int64_t j = 0; j < cols; ++j) g[j] = y[j] > 0.0f ? g[j] : 0.0f;
      break;
    case Activation::kSigmoid:
      for (std::int64_t j = 0; j < cols; ++j) g[j] = g[j] * (1.0f - y[j]) * y[j];
      break;
    case Activation::kTanh:
      for (std::int64_t j = 0; j < cols; ++j) g[j] = g[j] * (1.0f - y[j] * y[j]);
      break;
  }
  for (std::int64_t j = 0; j < cols; ++j) sum[j] += g[j];
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

void fused_bias_activation(float* z, std::int64_t rows, std::int64_t cols, std::int64_t ld, const float* bias,
                           Activation activation) {
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t r = 0; r < rows; ++r) bias_activation_row(z + r * ld, bias, cols, activation);
}

double fused_squared_error(const float* y, const float* target, std::int64_t rows, std::int64_t cols) {
  const std::int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  std::vector<double> partial(static_cast<std::size_t>(blocks), 0.0);  // (blocks)
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks; ++b) {
    double sum = 0;
    for (std::int64_t r = b * kBlockRows; r < std::min(rows, (b + 1) * kBlockRows); ++r) {
      sum += row_squared_error<false>(y + r * cols, target + r * cols, cols, nullptr, 0.0f);
    }
    partial[static_cast<std::size_t>(b)] = sum;
  }
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

double fused_output_gradient(float* grad, float* y, const float* bias, const float* target, std::int64_t rows,
                             std::int64_t cols, float scale, Activation activation, float* d_bias) {
  const std::int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  std::vector<double> squares(static_cast<std::size_t>(blocks), 0.0);         // (blocks)
  std::vector<float> partial(static_cast<std::size_t>(blocks * cols), 0.0f);  // (blocks, cols)
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks; ++b) {
    double sum = 0;
    for (std::int64_t r = b * kBlockRows; r < std::min(rows, (b + 1) * kBlockRows); ++r) {
      float* __restrict g = grad + r * cols;          // (cols)
      float* __restrict out = y + r * cols;           // (cols)
      const float* __restrict t = target + r * cols;  // (cols)
      // The row stays in L1 through the layer's forward tail, the loss and
      // the layer's backward.
      bias_activation_row(out, bias, cols, activation);
      sum += row_squared_error<true>(out, t, cols, g, scale);
      activation_backward_row(g, out, cols, activation, 0.0f, partial.data() + b * cols);
    }
    squares[static_cast<std::size_t>(b)] = sum;
  }
  sum_blocks(partial, blocks, cols, d_bias);
  return std::accumulate(squares.begin(), squares.end(), 0.0);
}

void fused_activation_backward(float* grad, std::int64_t ld_grad, const float* out, std::int64_t ld_out,
                               std::int64_t rows, std::int64_t cols, Activation activation, float l1_scale,
                               float* d_bias) {
  const std::int64_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  std::vector<float> partial(static_cast<std::size_t>(blocks * cols), 0.0f);  // (blocks, cols)
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t b = 0; b < blocks; ++b) {
    float* sum = partial.data() + b * cols;  // (cols)
    for (std::int64_t r = b * kBlockRows; r < std::min(rows, (b + 1) * kBlockRows); ++r) {
      activation_backward_row(grad + r * ld_grad, out + r * ld_out, cols, activation, l1_scale, sum);
    }
  }
  sum_blocks(partial, blocks, cols, d_bias);
}

void fused_adamax(float* param, const float* grad, float* exp_avg, float* exp_inf, std::int64_t n,
                  const AdamaxScalars& s) {
  // The scalars as locals: read through `s`, they could alias the arrays,
  // and the loop would not be vectorised.
  const float beta1 = s.beta1, beta2 = s.beta2, eps = s.eps, weight_decay = s.weight_decay, step_size = s.step_size;
  float* __restrict p = param;
  const float* __restrict g_in = grad;
  float* __restrict m_io = exp_avg;
  float* __restrict u_io = exp_inf;
  const float smallest_normal = std::numeric_limits<float>::min();  // 1.2e-38
#pragma omp parallel for simd schedule(static) num_threads(team_for(n))
  for (std::int64_t i = 0; i < n; ++i) {
    const float g = g_in[i] + weight_decay * p[i];
    float m = beta1 * m_io[i] + (1.0f - beta1) * g;
    // Where the gradient stays 0 (weights of always-blank pixels), m decays
    // by beta1 a step and would spend about 150 steps as a subnormal, where
    // this CPU takes a microcode assist for every value (Adamax 1.7x slower
    // with 27% of m subnormal). Flushed to 0 instead: its step there,
    // below 1e-30, moves no parameter (docs/training-profile.md).
    m = std::fabs(m) < smallest_normal ? 0.0f : m;
    const float u = std::max(beta2 * u_io[i], std::fabs(g) + eps);
    m_io[i] = m;
    u_io[i] = u;
    p[i] -= step_size * (m / u);
  }
}

void gather_rows(float* out, const float* images, const std::int64_t* index, std::int64_t rows, std::int64_t cols) {
  const std::size_t bytes = static_cast<std::size_t>(cols) * sizeof(float);
#pragma omp parallel for schedule(static) num_threads(team_for(rows* cols))
  for (std::int64_t r = 0; r < rows; ++r) std::memcpy(out + r * cols, images + index[r] * cols, bytes);
}

}  // namespace tinyae
