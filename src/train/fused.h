// TrainStep's elementwise work as single passes over raw float buffers,
// on oneDNN's OpenMP team (the threads of gemm_threads()).
//
// Why: with the products in oneDNN's sgemm, LibTorch's elementwise ops were
// about 40% of an epoch (docs/training-profile.md): a bias copy before
// every product, the activation, its mask, the bias gradient's sum, the
// loss in three ops and Adamax in seven, each a pass over memory on one
// core. Each function here is one pass, split over the threads.
//
// Threads split rows (or elements), never columns: two threads on a row's
// halves ran 4x slower than on halves of the rows, and slower than one
// thread (docs/training-profile.md). Determinism: each element is computed by
// one thread, and sums over rows are taken per block of 32 rows, then over
// the blocks in order, so no result depends on the thread count; nor on the
// instruction set the kernels were compiled for (fused_isa(): no
// multiply-add contraction, sums in fixed lanes). They round differently
// from LibTorch's ops (other summation orders, the loss's float lanes), so
// the kBlas engine, the one checked against autograd bit for bit, keeps
// LibTorch's ops.
//
// Matrices are row-major (rows, cols) with row stride `ld` >= cols.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tinyae/model.h"

namespace tinyae {

// z = act(z + bias), bias (cols), broadcast over rows.
void fused_bias_activation(float* z, std::int64_t rows, std::int64_t cols, std::int64_t ld, const float* bias,
                           Activation activation);

// The sum over all elements of (y - target)^2, each row's in 16 float
// partial sums, the rest in double; y and target (rows, cols) with rows
// contiguous.
double fused_squared_error(const float* y, const float* target, std::int64_t rows, std::int64_t cols);

// The output layer's forward tail, the MSE loss and the layer's backward in
// one pass: y = act(y + bias) in place (y holds the layer's product x W^T,
// bias (cols) broadcast over rows), grad = scale (y - target), then back
// through the activation from y (as fused_activation_backward, no sparse
// term), d_bias (cols) = the sum of grad over rows; returns the sum of
// (y - target)^2 as fused_squared_error. grad, y and target (rows, cols)
// with rows contiguous; grad aliases none.
double fused_output_gradient(float* grad, float* y, const float* bias, const float* target, std::int64_t rows,
                             std::int64_t cols, float scale, Activation activation, float* d_bias);

// Back through a layer's activation and bias, in place on grad (rows, cols):
// grad += l1_scale sign(out) (the sparse penalty; 0 = none), then grad =
// dLoss/d pre-activation from the layer's output `out` (rows, cols, row
// stride ld_out), and d_bias (cols) = the sum of grad over rows.
void fused_activation_backward(float* grad, std::int64_t ld_grad, const float* out, std::int64_t ld_out,
                               std::int64_t rows, std::int64_t cols, Activation activation, float l1_scale,
                               float* d_bias);

// Adamax over n parameters at once: g = grad + weight_decay param;
// m = beta1 m + (1 - beta1) g; u = max(beta2 u, |g| + eps);
// param -= step_size m / u (step_size = lr / (1 - beta1^t)).
struct AdamaxScalars {
  float beta1, beta2, eps, weight_decay, step_size;
};
void fused_adamax(float* param, const float* grad, float* exp_avg, float* exp_inf, std::int64_t n,
                  const AdamaxScalars& s);

// The instruction set whose kernels the passes run: "avx512", "avx2" or
// "baseline" (x86-64's SSE2), the best this CPU runs unless
// set_fused_isa() chose another. Every set computes the same bits.
std::string_view fused_isa();
// The sets this CPU runs, best first.
std::vector<std::string_view> fused_isas();
// Runs the passes on `isa` from now on (tests compare the sets); throws
// tinyae::Error for a set this CPU cannot run or that does not exist.
void set_fused_isa(std::string_view isa);

// out[r] = images[index[r]] for r < rows: whole rows of `cols` floats.
void gather_rows(float* out, const float* images, const std::int64_t* index, std::int64_t rows, std::int64_t cols);

}  // namespace tinyae
