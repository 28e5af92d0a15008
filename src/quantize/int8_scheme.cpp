// The int8 number scheme (tinyae/int8_scheme.h), torch-free. Written apart
// from src/runtime/tinyae_int8.c: the rounding uses a truncating division
// corrected to a floor, so that comparing the two tests both.
#include "tinyae/int8_scheme.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "tinyae/common.h"

namespace tinyae {

namespace {

constexpr std::int64_t kMaxWeightMagnitude = 127;  // symmetric weights never use -128

}  // namespace

QuantParams choose_activation_params(float min, float max) {
  if (!std::isfinite(min) || !std::isfinite(max) || min > max) {
    throw Error("activation range [" + std::to_string(min) + ", " + std::to_string(max) +
                "] is not a finite range with min <= max");
  }
  const double lo = std::min(0.0, static_cast<double>(min));
  const double hi = std::max(0.0, static_cast<double>(max));
  QuantParams p;
  if (hi - lo == 0.0) {
    p.scale = 1.0f;
    p.zero_point = static_cast<std::int32_t>(kInt8Min);
    return p;
  }
  p.scale = static_cast<float>((hi - lo) / static_cast<double>(kInt8Max - kInt8Min));
  if (!(p.scale >= std::numeric_limits<float>::min())) {
    p.scale = std::numeric_limits<float>::min();  // a range too narrow for a normal float step
  }
  // lo maps to -128: zero_point = -128 - lo / scale, in [-128, 127] because lo <= 0 <= hi.
  const double zp = std::round(static_cast<double>(kInt8Min) - lo / static_cast<double>(p.scale));
  p.zero_point =
      static_cast<std::int32_t>(std::clamp(zp, static_cast<double>(kInt8Min), static_cast<double>(kInt8Max)));
  return p;
}

std::int8_t quantize_value(float x, const QuantParams& params) {
  float q = std::round(x / params.scale) + static_cast<float>(params.zero_point);
  if (std::isnan(q)) {
    return static_cast<std::int8_t>(params.zero_point);
  }
  q = std::clamp(q, static_cast<float>(kInt8Min), static_cast<float>(kInt8Max));
  return static_cast<std::int8_t>(q);
}

float dequantize_value(std::int8_t q, const QuantParams& params) {
  return params.scale * static_cast<float>(static_cast<std::int32_t>(q) - params.zero_point);
}

FixedPointMultiplier quantize_multiplier(double real) {
  if (!std::isfinite(real) || real < 0.0 || real >= std::ldexp(1.0, 30)) {
    throw Error("requantization multiplier " + std::to_string(real) + " is outside [0, 2^30)");
  }
  FixedPointMultiplier m;
  if (real == 0.0) {
    return m;  // multiplier 0, shift 62: every sum maps to the zero point
  }
  int exponent = 0;
  const double fraction = std::frexp(real, &exponent);  // real = fraction * 2^exponent, fraction in [0.5, 1)
  std::int64_t q31 = std::llround(std::ldexp(fraction, 31));
  if (q31 == (std::int64_t{1} << 31)) {  // fraction rounded up to 1.0
    q31 = std::int64_t{1} << 30;
    exponent += 1;
  }
  int shift = 31 - exponent;
  if (shift < 1) {
    throw Error("requantization multiplier " + std::to_string(real) + " needs a shift below 1");
  }
  if (shift > 62) {  // real < 2^-32: the largest shift, and a multiplier below 2^30
    shift = 62;
    q31 = std::llround(std::ldexp(real, 62));
  }
  m.multiplier = static_cast<std::int32_t>(q31);
  m.shift = shift;
  return m;
}

std::int64_t rounding_shift(std::int32_t acc, const FixedPointMultiplier& m) {
  if (m.shift < 1 || m.shift > 62) {
    throw Error("requantization shift " + std::to_string(m.shift) + " is outside [1, 62]");
  }
  // |acc * multiplier| <= 2^62 and the rounding term <= 2^61: no int64 overflow.
  const std::int64_t value = static_cast<std::int64_t>(acc) * m.multiplier + (std::int64_t{1} << (m.shift - 1));
  const std::int64_t divisor = std::int64_t{1} << m.shift;
  std::int64_t quotient = value / divisor;  // truncates towards zero...
  if (value % divisor < 0) {
    quotient -= 1;  // ...so step down once for negative values with a remainder: floor
  }
  return quotient;
}

std::int8_t requantize(std::int32_t acc, const FixedPointMultiplier& m, std::int32_t zero_point, std::int32_t lowest,
                       std::int32_t highest) {
  const std::int64_t y = rounding_shift(acc, m) + zero_point;
  return static_cast<std::int8_t>(std::clamp<std::int64_t>(y, lowest, highest));
}

std::int64_t bias_limit(std::int64_t in_size) {
  return std::int64_t{std::numeric_limits<std::int32_t>::max()} - in_size * kMaxWeightMagnitude * kMaxInputDifference;
}

std::vector<std::int8_t> tile_weights_i8(const std::vector<std::int8_t>& weights, std::int64_t out_size,
                                         std::int64_t in_size) {
  if (out_size < 0 || in_size < 0 || weights.size() != static_cast<std::size_t>(out_size * in_size)) {
    throw Error("int8 weights to tile: expected " + std::to_string(out_size) + " x " + std::to_string(in_size) +
                " values, found " + std::to_string(weights.size()));
  }
  std::vector<std::int8_t> tiled;
  tiled.reserve(weights.size());
  for (std::int64_t quad = 0; quad < out_size; quad += 4) {
    const std::int64_t rows = std::min<std::int64_t>(4, out_size - quad);
    for (std::int64_t group = 0; group < in_size; group += 4) {
      const std::int64_t inputs = std::min<std::int64_t>(4, in_size - group);
      for (std::int64_t o = quad; o < quad + rows; ++o) {
        const auto row = weights.begin() + static_cast<std::ptrdiff_t>(o * in_size + group);
        tiled.insert(tiled.end(), row, row + inputs);
      }
    }
  }
  return tiled;
}

}  // namespace tinyae
