// The int8 number scheme, piece by piece: the requantization rounding rule
// (C runtime and C++ reference, each against an exact reference), multiplier
// quantization, activation parameters, float <-> int8 at the edges, and the
// device's tiled weight layout.
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae.h"
#include "tinyae/common.h"
#include "tinyae/quantize.h"

namespace {

using tinyae::FixedPointMultiplier;
using tinyae::QuantParams;

// The exact rule, computed in long double: x86's 64-bit significand holds any
// acc * multiplier (< 2^62 in magnitude) and the sum with 1/2 exactly, and
// division by a power of two is exact, so floorl gives the true value.
static_assert(std::numeric_limits<long double>::digits >= 64, "the reference needs a 64-bit significand");
std::int64_t exact_rounding(std::int32_t acc, std::int32_t multiplier, int shift) {
  const long double product = static_cast<long double>(acc) * static_cast<long double>(multiplier);
  return static_cast<std::int64_t>(std::floor(std::ldexp(product, -shift) + 0.5L));
}

std::int64_t clamp8(std::int64_t v, std::int64_t lo = -128, std::int64_t hi = 127) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// Checks one (acc, multiplier, shift) on both implementations; returns
// whether all agreed (so loops can stop at the first failure).
bool check_rounding(std::int32_t acc, std::int32_t multiplier, int shift, std::int32_t zero_point = 0) {
  const std::int64_t want = exact_rounding(acc, multiplier, shift);
  const std::int64_t host = tinyae::rounding_shift(acc, {multiplier, shift});
  const std::int8_t c = tinyae_requantize_i8(acc, multiplier, static_cast<std::uint8_t>(shift),
                                             static_cast<std::int8_t>(zero_point), -128, 127);
  EXPECT_EQ(host, want) << "C++ reference: acc " << acc << " multiplier " << multiplier << " shift " << shift;
  EXPECT_EQ(c, clamp8(want + zero_point))
      << "C runtime: acc " << acc << " multiplier " << multiplier << " shift " << shift << " zero point " << zero_point;
  return host == want && c == clamp8(want + zero_point);
}

TEST(Requantize, TiesRoundTowardsPlusInfinity) {
  // multiplier 2^30 with shift 31 is exactly 1/2: odd sums are ties.
  const std::int32_t half = 1 << 30;
  EXPECT_EQ(tinyae::rounding_shift(3, {half, 31}), 2);    // 1.5 -> 2
  EXPECT_EQ(tinyae::rounding_shift(-3, {half, 31}), -1);  // -1.5 -> -1
  EXPECT_EQ(tinyae::rounding_shift(1, {half, 31}), 1);    // 0.5 -> 1
  EXPECT_EQ(tinyae::rounding_shift(-1, {half, 31}), 0);   // -0.5 -> 0
  EXPECT_EQ(tinyae_requantize_i8(-3, half, 31, 0, -128, 127), -1);
  EXPECT_EQ(tinyae_requantize_i8(3, half, 31, 0, -128, 127), 2);
  // Ties at every shift from 31 to 61 (both the runtime's fast path, shift
  // >= 33, and its 64-bit path): acc = (2k + 1) * 2^(shift - 31), times 2^30.
  for (int shift = 31; shift <= 61; shift++) {
    for (std::int64_t k : {-5, -1, 0, 1, 4}) {
      const std::int64_t acc = (2 * k + 1) * (std::int64_t{1} << (shift - 31));
      if (acc < INT32_MIN || acc > INT32_MAX) continue;
      ASSERT_TRUE(check_rounding(static_cast<std::int32_t>(acc), half, shift)) << "shift " << shift;
      EXPECT_EQ(exact_rounding(static_cast<std::int32_t>(acc), half, shift), k + 1) << "shift " << shift;
    }
  }
}

TEST(Requantize, ExtremesAndBothEndsOfTheShiftRange) {
  const std::vector<std::int32_t> accs = {INT32_MIN, INT32_MIN + 1, -65536, -1, 0, 1, 65535, INT32_MAX - 1, INT32_MAX};
  const std::vector<std::int32_t> multipliers = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX - 1, INT32_MAX};
  for (int shift : {1, 2, 30, 31, 32, 33, 34, 61, 62}) {
    for (std::int32_t acc : accs) {
      for (std::int32_t m : multipliers) {
        for (std::int32_t zp : {-128, 0, 127}) {
          ASSERT_TRUE(check_rounding(acc, m, shift, zp));
        }
      }
    }
  }
  // The C++ reference keeps the full value: INT32_MIN * INT32_MIN / 2 = 2^61.
  EXPECT_EQ(tinyae::rounding_shift(INT32_MIN, {INT32_MIN, 1}), std::int64_t{1} << 61);
}

TEST(Requantize, RandomValuesMatchTheExactRule) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> shift_dist(1, 62);
  std::uniform_int_distribution<std::int32_t> any32(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<std::int32_t> q31((1 << 30), INT32_MAX);
  std::uniform_int_distribution<int> target_dist(-200, 200);
  std::uniform_int_distribution<int> jitter(-3, 3);
  for (int i = 0; i < 200000; i++) {
    const int shift = shift_dist(rng);
    const std::int32_t m = (i % 7 == 0) ? any32(rng) : q31(rng);
    // Half the cases anywhere; half aimed at results near the int8 range,
    // where the C runtime's clamp does not hide the rounding.
    std::int32_t acc = any32(rng);
    if (i % 2 == 0 && m != 0) {
      const long double want = static_cast<long double>(target_dist(rng)) * std::ldexp(1.0L, shift) / m;
      if (std::fabs(want) < 2.0e9L) acc = static_cast<std::int32_t>(want) + jitter(rng);
    }
    ASSERT_TRUE(check_rounding(acc, m, shift, (i % 3) * 50 - 50)) << "case " << i;
  }
}

TEST(Requantize, SaturatesToTheClampRange) {
  const std::int32_t one = 1 << 30;  // with shift 30: multiplier 1.0
  EXPECT_EQ(tinyae_requantize_i8(1000, one, 30, 0, -128, 127), 127);
  EXPECT_EQ(tinyae_requantize_i8(-1000, one, 30, 0, -128, 127), -128);
  EXPECT_EQ(tinyae_requantize_i8(-5, one, 30, -128, -128, 127), -128);  // ReLU with zero point -128
  EXPECT_EQ(tinyae_requantize_i8(-5, one, 30, 10, 10, 127), 10);        // ReLU with zero point 10
  EXPECT_EQ(tinyae_requantize_i8(5, one, 30, 10, 10, 127), 15);
  EXPECT_EQ(tinyae::requantize(1000, {one, 30}, 0), 127);
  EXPECT_EQ(tinyae::requantize(-5, {one, 30}, 10, 10), 10);
  EXPECT_EQ(tinyae::requantize(INT32_MIN, {INT32_MAX, 1}, 0), -128);
}

TEST(Requantize, RuntimeClampsAnOutOfRangeShift) {
  // Documented: shift is clamped to [1, 62] before use (never undefined).
  for (std::int32_t acc : {-1000001, -3, 7, 123456789}) {
    EXPECT_EQ(tinyae_requantize_i8(acc, 1 << 30, 0, 0, -128, 127), tinyae_requantize_i8(acc, 1 << 30, 1, 0, -128, 127));
    EXPECT_EQ(tinyae_requantize_i8(acc, INT32_MAX, 200, 0, -128, 127),
              tinyae_requantize_i8(acc, INT32_MAX, 62, 0, -128, 127));
  }
  EXPECT_THROW(tinyae::rounding_shift(1, {1 << 30, 0}), tinyae::Error);
  EXPECT_THROW(tinyae::rounding_shift(1, {1 << 30, 63}), tinyae::Error);
}

TEST(Multiplier, IsTheNearest31BitValue) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> exponent(-40.0, 29.0);
  for (int i = 0; i < 100000; i++) {
    const double real = std::pow(2.0, exponent(rng));
    const FixedPointMultiplier m = tinyae::quantize_multiplier(real);
    ASSERT_GE(m.shift, 1);
    ASSERT_LE(m.shift, 62);
    const double represented = std::ldexp(static_cast<double>(m.multiplier), -m.shift);
    if (real >= std::ldexp(1.0, -32)) {
      ASSERT_GE(m.multiplier, 1 << 30) << real;
      ASSERT_LE(std::fabs(represented - real), std::ldexp(real, -31))
          << real;  // half a unit in the 31st bit, or better
    } else {
      ASSERT_EQ(m.shift, 62) << real;
      ASSERT_LE(std::fabs(represented - real), std::ldexp(1.0, -63)) << real;
    }
  }
}

TEST(Multiplier, EdgeCases) {
  EXPECT_EQ(tinyae::quantize_multiplier(0.0).multiplier, 0);
  EXPECT_EQ(tinyae::quantize_multiplier(0.5).multiplier, 1 << 30);
  EXPECT_EQ(tinyae::quantize_multiplier(0.5).shift, 31);
  // Just below 1: the 31-bit fraction rounds up to 1.0 and is renormalised.
  const FixedPointMultiplier almost_one = tinyae::quantize_multiplier(1.0 - 1e-12);
  EXPECT_EQ(almost_one.multiplier, 1 << 30);
  EXPECT_EQ(almost_one.shift, 30);
  const FixedPointMultiplier tiny = tinyae::quantize_multiplier(1e-15);  // below 2^-32
  EXPECT_EQ(tiny.shift, 62);
  EXPECT_EQ(tiny.multiplier, std::llround(std::ldexp(1e-15, 62)));
  EXPECT_THROW(tinyae::quantize_multiplier(-1.0), tinyae::Error);
  EXPECT_THROW(tinyae::quantize_multiplier(std::ldexp(1.0, 30)), tinyae::Error);
  EXPECT_THROW(tinyae::quantize_multiplier(std::nan("")), tinyae::Error);
}

TEST(ActivationParams, RangeIncludesZeroAndStartsAtMinus128) {
  const QuantParams pixels = tinyae::choose_activation_params(0.0f, 1.0f);
  EXPECT_FLOAT_EQ(pixels.scale, 1.0f / 255.0f);
  EXPECT_EQ(pixels.zero_point, -128);           // a ReLU / pixel range: 0 is -128
  for (int pixel = 0; pixel <= 255; pixel++) {  // every MNIST pixel value is exactly representable
    const float x = static_cast<float>(pixel) / 255.0f;
    EXPECT_EQ(tinyae::quantize_value(x, pixels), pixel - 128) << pixel;
  }
  const QuantParams positive = tinyae::choose_activation_params(2.0f, 5.0f);  // widened to [0, 5]
  EXPECT_FLOAT_EQ(positive.scale, 5.0f / 255.0f);
  EXPECT_EQ(positive.zero_point, -128);
  const QuantParams negative = tinyae::choose_activation_params(-3.0f, -1.0f);  // widened to [-3, 0]
  EXPECT_EQ(negative.zero_point, 127);
  const QuantParams both = tinyae::choose_activation_params(-1.0f, 3.0f);
  EXPECT_EQ(tinyae::quantize_value(0.0f, both), both.zero_point);  // 0 is exact
  EXPECT_NEAR(tinyae::dequantize_value(-128, both), -1.0f, both.scale);
  EXPECT_NEAR(tinyae::dequantize_value(127, both), 3.0f, both.scale);
  const QuantParams zero = tinyae::choose_activation_params(0.0f, 0.0f);
  EXPECT_EQ(zero.scale, 1.0f);
  EXPECT_EQ(zero.zero_point, -128);
  EXPECT_THROW(tinyae::choose_activation_params(1.0f, 0.0f), tinyae::Error);
  EXPECT_THROW(tinyae::choose_activation_params(0.0f, INFINITY), tinyae::Error);
}

// tinyae_quantize_input_i8 / tinyae_dequantize_output_i8 against the C++
// quantize_value / dequantize_value, on ties, extremes and non-finite values.
TEST(EdgeConversion, RuntimeMatchesReference) {
  const QuantParams p = tinyae::choose_activation_params(-1.5f, 2.5f);
  std::vector<float> xs = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, INFINITY, -INFINITY, NAN, 2.5f, -1.5f};
  for (int k = -140; k <= 140; k++) {  // every step and every tie between steps
    xs.push_back(p.scale * static_cast<float>(k));
    xs.push_back(p.scale * (static_cast<float>(k) + 0.5f));
  }
  tinyae_model_i8 model{};
  model.input_size = static_cast<std::uint16_t>(xs.size());
  model.output_size = static_cast<std::uint16_t>(xs.size());
  model.input_scale = p.scale;
  model.input_zero_point = static_cast<std::int8_t>(p.zero_point);
  model.output_scale = p.scale;
  model.output_zero_point = static_cast<std::int8_t>(p.zero_point);
  std::vector<std::int8_t> q(xs.size());
  ASSERT_EQ(tinyae_quantize_input_i8(&model, xs.data(), q.data()), TINYAE_OK);
  for (std::size_t i = 0; i < xs.size(); i++) {
    EXPECT_EQ(q[i], tinyae::quantize_value(xs[i], p)) << "x = " << xs[i];
  }
  EXPECT_EQ(q[8], p.zero_point) << "NaN maps to the zero point";
  EXPECT_EQ(q[6], 127);
  EXPECT_EQ(q[7], -128);
  std::vector<float> back(xs.size());
  ASSERT_EQ(tinyae_dequantize_output_i8(&model, q.data(), back.data()), TINYAE_OK);
  for (std::size_t i = 0; i < xs.size(); i++) {
    EXPECT_EQ(back[i], tinyae::dequantize_value(q[i], p)) << i;
  }
  model.input_scale = 0.0f;
  EXPECT_EQ(tinyae_quantize_input_i8(&model, xs.data(), q.data()), TINYAE_ERR_BAD_MODEL);
  model.output_scale = NAN;
  EXPECT_EQ(tinyae_dequantize_output_i8(&model, q.data(), back.data()), TINYAE_ERR_BAD_MODEL);
  EXPECT_EQ(tinyae_quantize_input_i8(nullptr, xs.data(), q.data()), TINYAE_ERR_NULL_ARGUMENT);
}

// tinyae.h's weight layout on a 5 x 6 matrix whose weight (o, i) is 10 * o +
// i: both edges have partial tiles (one row, two inputs).
TEST(WeightTiles, QuadsOfRowsThenTilesOfInputs) {
  std::vector<std::int8_t> row_major;
  for (int o = 0; o < 5; o++) {
    for (int i = 0; i < 6; i++) row_major.push_back(static_cast<std::int8_t>(10 * o + i));
  }
  // Rows 0-3 with inputs 0-3, rows 0-3 with inputs 4-5, row 4 with inputs 0-3, row 4 with inputs 4-5.
  const std::vector<std::int8_t> want = {0,  1, 2, 3,  10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32,
                                         33, 4, 5, 14, 15, 24, 25, 34, 35, 40, 41, 42, 43, 44, 45};
  EXPECT_EQ(tinyae::tile_weights_i8(row_major, 5, 6), want);
  // At most 4 x 4, one tile: row-major.
  const std::vector<std::int8_t> small = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(tinyae::tile_weights_i8(small, 2, 3), small);
  EXPECT_THROW(tinyae::tile_weights_i8(small, 2, 4), tinyae::Error);
}

}  // namespace
