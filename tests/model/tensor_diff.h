// Comparison helpers for the model tests: how far two tensors are apart and
// where, so that a failing numeric check prints the gap, not just "false".
#pragma once

#include <cstdint>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <string>

#include <torch/torch.h>

namespace tinyae::test {

struct TensorDiff {
  double max_abs = 0;       // largest |a - b|
  std::int64_t where = -1;  // flat index of it (row-major)
  double a = 0, b = 0;      // the two values there
  std::string describe() const {
    std::ostringstream text;
    text << std::setprecision(9) << "max abs diff " << max_abs << " at flat index " << where << " (" << a << " vs " << b
         << ")";
    return text.str();
  }
};

// Both tensors must have the same number of elements; compared in double.
inline TensorDiff tensor_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const auto x = a.detach().to(torch::kFloat64).flatten().contiguous();
  const auto y = b.detach().to(torch::kFloat64).flatten().contiguous();
  TensorDiff diff;
  if (x.numel() == 0) return diff;
  const auto gap = (x - y).abs();
  diff.where = gap.argmax().item<std::int64_t>();
  diff.max_abs = gap[diff.where].item<double>();
  diff.a = x[diff.where].item<double>();
  diff.b = y[diff.where].item<double>();
  return diff;
}

// Same shape, dtype and bytes (so -0.0 and 0.0 differ, unlike torch::equal).
inline bool bitwise_equal(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes() || a.scalar_type() != b.scalar_type()) return false;
  const auto x = a.detach().contiguous();
  const auto y = b.detach().contiguous();
  return std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

}  // namespace tinyae::test
