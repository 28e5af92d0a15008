// The device's anomaly score on the host (tinyae/anomaly.h). Compiled with
// -ffp-contract=off (src/quantize/CMakeLists.txt) so score_f32 adds in the
// order and rounding tinyae_score_f32 does.
#include "tinyae/anomaly.h"

#include <cmath>
#include <limits>
#include <string>

#include "tinyae/common.h"

namespace tinyae {

namespace {

// Largest requantized input tinyae_rescale returns unsaturated.
constexpr double kMaxRequantized = 1073741824.0;  // 2^30

void check_scale(float scale, const char* which) {
  if (!(scale > 0.0f) || !std::isfinite(scale)) {
    throw Error(std::string("anomaly score: the ") + which + " scale " + std::to_string(scale) +
                " is not a positive finite number");
  }
}

}  // namespace

float score_f32(const float* input, const float* output, std::size_t n) {
  float sum = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    const float d = output[i] - input[i];
    sum = sum + d * d;
  }
  return sum / static_cast<float>(n);
}

std::uint64_t threshold_sum_i8(double threshold, std::size_t n, const QuantParams& output) {
  if (!(threshold >= 0.0) || !std::isfinite(threshold)) {
    throw Error("anomaly threshold " + std::to_string(threshold) + " is not a finite number >= 0");
  }
  check_scale(output.scale, "output");
  const double scale = static_cast<double>(output.scale);
  const double bound = std::floor(threshold * static_cast<double>(n) / (scale * scale));
  if (bound >= 18446744073709551616.0) return std::numeric_limits<std::uint64_t>::max();  // 2^64
  return static_cast<std::uint64_t>(bound);
}

AnomalyI8 anomaly_i8(const QuantParams& input, const QuantParams& output, std::size_t n, double threshold) {
  if (n == 0) throw Error("anomaly score: the model has no inputs");
  check_scale(input.scale, "input");
  check_scale(output.scale, "output");
  const double ratio = static_cast<double>(input.scale) / static_cast<double>(output.scale);
  // |input - zero point| <= 255, so |requantized| <= 255 * ratio + 1 and
  // |difference| <= that + 255; n squared differences must fit 64 bits.
  const double largest_requantized = static_cast<double>(kMaxInputDifference) * ratio + 1.0;
  const double largest_difference = largest_requantized + static_cast<double>(kMaxInputDifference);
  if (largest_requantized > kMaxRequantized ||
      static_cast<double>(n) * largest_difference * largest_difference >= 9223372036854775808.0) {  // 2^63
    throw Error("anomaly score: input scale " + std::to_string(input.scale) + " / output scale " +
                std::to_string(output.scale) + " is too large for a 64-bit integer score over " + std::to_string(n) +
                " values");
  }
  AnomalyI8 a;
  a.input_to_output = quantize_multiplier(ratio);
  a.threshold_sum = threshold_sum_i8(threshold, n, output);
  return a;
}

std::uint64_t score_sum_i8(const std::int8_t* input, const std::int8_t* output, std::size_t n,
                           const QuantParams& input_params, const QuantParams& output_params,
                           const FixedPointMultiplier& m) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t r = rounding_shift(static_cast<std::int32_t>(input[i]) - input_params.zero_point, m);
    const std::int64_t d = (static_cast<std::int64_t>(output[i]) - output_params.zero_point) - r;
    sum += static_cast<std::uint64_t>(d * d);
  }
  return sum;
}

double score_from_sum_i8(std::uint64_t sum, std::size_t n, const QuantParams& output) {
  const double scale = static_cast<double>(output.scale);
  return scale * scale * static_cast<double>(sum) / static_cast<double>(n);
}

}  // namespace tinyae
