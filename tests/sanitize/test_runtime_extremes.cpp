// The freestanding runtime at the edges of its number ranges, run under
// ASan + UBSan (+ float-cast-overflow) by test_runtime_sanitized:
//   float32: finite inputs whose sums overflow become +-inf and then follow
//     IEEE (no trap, no NaN from ReLU of -inf); subnormal inputs compute like
//     any other number; sigmoid/tanh of huge pre-activations give exactly
//     0/1 and -1/1.
//   int8: non-finite and huge float inputs saturate at the model's edge
//     (NaN -> zero point, +inf -> 127, -inf -> -128); a layer at the limits
//     the exporter guarantees (|weight| <= 127, every x - zero_point at
//     +-255, |bias| at its documented bound, multipliers and shifts at both
//     ends of their ranges) equals a 128-bit reference exactly and stays in
//     [-128, 127], with no signed overflow (UBSan would abort).
// tests/runtime covers NaN/inf propagation on ordinary models; this file
// covers the extremes it does not.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae.h"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// ---------------------------------------------------------------- float32

// A one-layer float model over caller-owned arrays.
struct DenseF32 {
  std::vector<float> weights;  // (out, in) row-major
  std::vector<float> bias;     // (out)
  tinyae_layer_f32 layer{};
  tinyae_model_f32 model{};
  DenseF32(int in, int out, int activation, float w, float b)
      : weights(static_cast<std::size_t>(in * out), w), bias(static_cast<std::size_t>(out), b) {
    layer = {static_cast<uint16_t>(in), static_cast<uint16_t>(out), static_cast<uint8_t>(activation), weights.data(),
             bias.data()};
    model = {TINYAE_FORMAT_VERSION, 1, &layer, static_cast<uint16_t>(in), static_cast<uint16_t>(out), 0};
  }
  std::vector<float> run(const std::vector<float>& input) const {
    std::vector<float> output(model.output_size, -12345.0f);
    EXPECT_EQ(tinyae_run_f32(&model, input.data(), output.data(), nullptr, 0), TINYAE_OK);
    return output;
  }
};

TEST(ExtremesF32, FiniteOverflowBecomesInfinityAndFollowsIeee) {
  const std::vector<float> big(8, FLT_MAX);  // 8 * FLT_MAX * 2 overflows float
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_LINEAR, 2.0f, 0.0f).run(big), std::vector<float>(3, kInf));
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_LINEAR, -2.0f, 0.0f).run(big), std::vector<float>(3, -kInf));
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_RELU, 2.0f, 0.0f).run(big), std::vector<float>(3, kInf));
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_RELU, -2.0f, 0.0f).run(big), std::vector<float>(3, 0.0f));
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_SIGMOID, 2.0f, 0.0f).run(big), std::vector<float>(3, 1.0f));
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_SIGMOID, -2.0f, 0.0f).run(big), std::vector<float>(3, 0.0f));
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_TANH, 2.0f, 0.0f).run(big), std::vector<float>(3, 1.0f));
  EXPECT_EQ(DenseF32(8, 3, TINYAE_ACT_TANH, -2.0f, 0.0f).run(big), std::vector<float>(3, -1.0f));
  // +inf + -inf in one sum: NaN, which every activation keeps.
  for (int act = 0; act < TINYAE_ACT_COUNT; act++) {
    const std::vector<float> out = DenseF32(2, 1, act, 1.0f, 0.0f).run({kInf, -kInf});
    EXPECT_TRUE(std::isnan(out[0])) << "activation " << act;
  }
}

TEST(ExtremesF32, HugeButFinitePreActivationsSaturateSigmoidAndTanh) {
  for (float x : {1e30f, 1e6f, 100.0f, FLT_MAX}) {
    EXPECT_EQ(DenseF32(1, 1, TINYAE_ACT_SIGMOID, 1.0f, 0.0f).run({x})[0], 1.0f) << x;
    EXPECT_EQ(DenseF32(1, 1, TINYAE_ACT_SIGMOID, 1.0f, 0.0f).run({-x})[0], 0.0f) << -x;
    EXPECT_EQ(DenseF32(1, 1, TINYAE_ACT_TANH, 1.0f, 0.0f).run({x})[0], 1.0f) << x;
    EXPECT_EQ(DenseF32(1, 1, TINYAE_ACT_TANH, 1.0f, 0.0f).run({-x})[0], -1.0f) << -x;
  }
}

TEST(ExtremesF32, SubnormalsAndSignedZerosComputeNormally) {
  const float tiny = std::numeric_limits<float>::denorm_min();
  // (2 x 4) weights of 1: each output is the sum of the inputs, which is
  // exact in float (every term a multiple of the smallest subnormal).
  const std::vector<float> inputs = {tiny, 2 * tiny, FLT_MIN, -0.0f};
  const double want = 3.0 * tiny + static_cast<double>(FLT_MIN);
  const std::vector<float> out = DenseF32(4, 2, TINYAE_ACT_LINEAR, 1.0f, 0.0f).run(inputs);
  for (float v : out) EXPECT_EQ(static_cast<double>(v), want) << "gap " << static_cast<double>(v) - want;
  // ReLU of -0.0 and of a negative subnormal is a zero, never negative.
  for (float x : {-0.0f, -tiny}) {
    const float y = DenseF32(1, 1, TINYAE_ACT_RELU, 1.0f, 0.0f).run({x})[0];
    EXPECT_EQ(y, 0.0f) << x;
  }
}

// ------------------------------------------------------------------- int8

__extension__ typedef __int128 int128;  // GCC and Clang; -Wpedantic would flag a bare __int128

// floor((acc * multiplier + 2^(shift-1)) / 2^shift) in 128 bits, shift
// clamped to [1, 62], then + zero point and clamped: the scheme in tinyae.h,
// written from its text.
int reference_requantize(std::int64_t acc, std::int32_t multiplier, int shift, int zero_point, int lo, int hi) {
  shift = shift < 1 ? 1 : (shift > 62 ? 62 : shift);
  const int128 value = static_cast<int128>(acc) * multiplier + (static_cast<int128>(1) << (shift - 1));
  const int128 divisor = static_cast<int128>(1) << shift;
  int128 q = value / divisor;
  if (value % divisor != 0 && value < 0) q -= 1;  // floor, not truncation
  int128 y = q + zero_point;
  y = y < lo ? lo : (y > hi ? hi : y);
  return static_cast<int>(y);
}

// One int8 layer over caller-owned arrays, with an independent reference.
struct DenseI8 {
  int in, out, activation;
  std::int8_t input_zp, output_zp;
  std::vector<std::int8_t> weights;      // (out, in) row-major
  std::vector<std::int8_t> tiles;        // (out * in) weights in the runtime's tiles (tinyae.h)
  std::vector<std::int32_t> bias;        // (out)
  std::vector<std::int32_t> multiplier;  // (out)
  std::vector<std::uint8_t> shift;       // (out)
  std::vector<std::int8_t> lut;          // (256) or empty
  tinyae_layer_i8 layer{};
  tinyae_model_i8 model{};

  void wire() {
    // weights[o][i] at q * in + h * g + (o - q) * w + (i - g), as tinyae.h
    // writes the layout: q, g the first row and input of its tile, h, w the
    // tile's rows and inputs.
    tiles.assign(weights.size(), 0);
    for (int o = 0; o < out; o++) {
      for (int i = 0; i < in; i++) {
        const int q = o - o % 4, g = i - i % 4, h = std::min(4, out - q), w = std::min(4, in - g);
        tiles[static_cast<std::size_t>(q * in + h * g + (o - q) * w + (i - g))] = weights[o * in + i];
      }
    }
    layer = {static_cast<uint16_t>(in),
             static_cast<uint16_t>(out),
             static_cast<uint8_t>(activation),
             input_zp,
             output_zp,
             output_zp,
             tiles.data(),
             bias.data(),
             multiplier.data(),
             shift.data(),
             lut.empty() ? nullptr : lut.data()};
    model = {};
    model.format_version = TINYAE_FORMAT_VERSION;
    model.layer_count = 1;
    model.layers = &layer;
    model.input_size = static_cast<uint16_t>(in);
    model.output_size = static_cast<uint16_t>(out);
    model.scratch_words = tinyae_scratch_words_i8(&model);
    model.input_scale = 1.0f / 64;
    model.input_zero_point = input_zp;
    model.output_scale = 1.0f / 64;
    model.output_zero_point = output_zp;
  }

  std::vector<std::int8_t> run(const std::vector<std::int8_t>& x) const {
    std::vector<std::int32_t> scratch(model.scratch_words + 1, 0x5a5a5a5a);  // one guard word
    std::vector<std::int8_t> y(static_cast<std::size_t>(out), 99);
    EXPECT_EQ(tinyae_run_i8(&model, x.data(), y.data(), scratch.data(), model.scratch_words), TINYAE_OK);
    EXPECT_EQ(scratch.back(), 0x5a5a5a5a) << "wrote past the scratch it was given";
    return y;
  }

  std::vector<std::int8_t> reference(const std::vector<std::int8_t>& x) const {
    std::vector<std::int8_t> y(static_cast<std::size_t>(out));
    for (int o = 0; o < out; o++) {
      std::int64_t acc = bias[o];
      for (int i = 0; i < in; i++) acc += std::int64_t{weights[o * in + i]} * (x[i] - input_zp);
      const int lo = activation == TINYAE_ACT_RELU ? output_zp : -128;
      const int r = reference_requantize(acc, multiplier[o], shift[o], output_zp, lo, 127);
      y[o] = static_cast<std::int8_t>(lut.empty() ? r : lut[r + 128]);
    }
    return y;
  }
};

// The largest |bias| the exporter may write for in_size inputs (tinyae.h):
// the sum then stays inside int32 in any order of addition.
std::int32_t bias_bound(int in) { return INT32_MAX - in * 255 * 127; }

TEST(ExtremesI8, LayerAtTheExporterLimitsMatchesA128BitReference) {
  // Sizes that exercise whole groups of 4 and the tail, on both row paths.
  for (int in : {1, 3, 4, 784}) {
    for (int activation : {TINYAE_ACT_LINEAR, TINYAE_ACT_RELU, TINYAE_ACT_TANH}) {
      for (int input_zp : {-128, 127}) {
        DenseI8 layer{in, 8, activation, static_cast<std::int8_t>(input_zp), -128, {}, {}, {}, {}, {}};
        // Rows: all +127 / all -127 weights, with the extreme bias of either
        // sign, and multipliers and shifts at both ends of their ranges.
        const std::int32_t multipliers[] = {INT32_MAX, 1 << 30, 1, INT32_MAX};
        const std::uint8_t shifts[] = {1, 31, 62, 0 /* clamped to 1 */};
        for (int o = 0; o < layer.out; o++) {
          const std::int8_t w = (o % 2 == 0) ? 127 : -127;
          layer.weights.insert(layer.weights.end(), static_cast<std::size_t>(in), w);
          layer.bias.push_back((o / 2) % 2 == 0 ? bias_bound(in) : -bias_bound(in));
          layer.multiplier.push_back(multipliers[(o / 2) % 4]);
          layer.shift.push_back(shifts[(o / 2) % 4]);
        }
        if (activation == TINYAE_ACT_TANH) {
          for (int k = 0; k < 256; k++) layer.lut.push_back(static_cast<std::int8_t>(127 - k));  // any table
        }
        layer.wire();
        // x - zero_point at +255 or -255 everywhere: the largest |sum|.
        const std::vector<std::int8_t> x(static_cast<std::size_t>(in),
                                         static_cast<std::int8_t>(input_zp == -128 ? 127 : -128));
        const std::vector<std::int8_t> got = layer.run(x), want = layer.reference(x);
        for (int o = 0; o < layer.out; o++) {
          EXPECT_EQ(got[o], want[o]) << "in " << in << ", activation " << activation << ", input zero point "
                                     << input_zp << ", row " << o << ": gap " << got[o] - want[o];
        }
      }
    }
  }
}

TEST(ExtremesI8, NonFiniteAndHugeFloatInputsSaturateAtTheEdge) {
  // A 6-input identity-like layer: weight 127 on the diagonal, multiplier
  // and shift chosen so the layer passes its input through unchanged.
  const int n = 6;
  DenseI8 layer{n, n, TINYAE_ACT_LINEAR, 0, 0, {}, {}, {}, {}, {}};
  for (int o = 0; o < n; o++) {
    for (int i = 0; i < n; i++) layer.weights.push_back(i == o ? 127 : 0);
    layer.bias.push_back(0);
    layer.multiplier.push_back(1 << 30);  // with the weight: 127 * 2^30 / 2^(shift)
    layer.shift.push_back(30);
  }
  layer.wire();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> input = {nan, kInf, -kInf, 1e30f, -1e30f, FLT_MAX};
  std::vector<std::int8_t> q(n);
  ASSERT_EQ(tinyae_quantize_input_i8(&layer.model, input.data(), q.data()), TINYAE_OK);
  EXPECT_EQ(q, (std::vector<std::int8_t>{0, 127, -128, 127, -128, 127})) << "NaN -> zero point, others saturate";
  const std::vector<std::int8_t> y = layer.run(q);
  EXPECT_EQ(y, layer.reference(q));
  std::vector<float> back(n);
  ASSERT_EQ(tinyae_dequantize_output_i8(&layer.model, y.data(), back.data()), TINYAE_OK);
  for (int i = 0; i < n; i++) {
    EXPECT_TRUE(std::isfinite(back[i])) << "output " << i << " = " << back[i];
    EXPECT_LE(std::fabs(back[i]), 128.0f / 64) << "output " << i;  // within the int8 range times the scale
  }
}

}  // namespace
