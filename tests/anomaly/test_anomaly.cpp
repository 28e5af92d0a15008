// The anomaly score, threshold and input scaling, on the host mirror
// (tinyae/anomaly.h, Scaling::apply) and on the C runtime (tinyae.h): small
// vectors worked out by hand, then host-vs-device parity on random ones
// (float32 bit-exact for scaling and score, int8 exact).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae.h"
#include "tinyae/anomaly.h"
#include "tinyae/common.h"
#include "tinyae/normalize.h"

namespace {

using tinyae::QuantParams;

// A model struct carrying only what scaling and scoring read: the sizes (and
// for int8 the edge quantization). No layers: neither function runs them.
tinyae_model_f32 f32_model(std::uint16_t size) { return {TINYAE_FORMAT_VERSION, 0, nullptr, size, size, 0}; }

tinyae_model_i8 i8_model(std::uint16_t size, QuantParams in, QuantParams out) {
  return {TINYAE_FORMAT_VERSION,
          0,
          nullptr,
          size,
          size,
          0,
          in.scale,
          static_cast<std::int8_t>(in.zero_point),
          out.scale,
          static_cast<std::int8_t>(out.zero_point)};
}

tinyae_anomaly_i8 device_anomaly(const tinyae::AnomalyI8& a) {
  return {a.input_to_output.multiplier, static_cast<std::uint8_t>(a.input_to_output.shift), a.threshold_sum};
}

TEST(AnomalyScore, Float32ByHand) {
  const std::vector<float> input = {0.0f, 0.5f, 1.0f, 0.25f};
  const std::vector<float> output = {0.5f, 0.5f, 0.0f, 0.75f};
  // d = {0.5, 0, -1, 0.5}: squares 0.25 + 0 + 1 + 0.25 = 1.5, / 4 = 0.375 (all exact in float)
  EXPECT_EQ(tinyae::score_f32(input.data(), output.data(), 4), 0.375f);
  const tinyae_model_f32 model = f32_model(4);
  float score = -1.0f;
  ASSERT_EQ(tinyae_score_f32(&model, input.data(), output.data(), &score), TINYAE_OK);
  EXPECT_EQ(score, 0.375f);
  EXPECT_EQ(tinyae_is_anomaly_f32(score, 0.375f), 0) << "a score equal to the threshold is normal";
  EXPECT_EQ(tinyae_is_anomaly_f32(score, 0.37f), 1);
  EXPECT_EQ(tinyae_is_anomaly_f32(NAN, 0.37f), 0);
  EXPECT_FALSE(tinyae::is_anomaly(0.375, 0.375));
  EXPECT_TRUE(tinyae::is_anomaly(0.375, 0.374));
}

TEST(AnomalyScore, Float32RefusesBadArguments) {
  const float v[2] = {0.0f, 0.0f};
  float score = 0.0f;
  tinyae_model_f32 model = f32_model(2);
  EXPECT_EQ(tinyae_score_f32(&model, v, nullptr, &score), TINYAE_ERR_NULL_ARGUMENT);
  model.output_size = 1;
  EXPECT_EQ(tinyae_score_f32(&model, v, v, &score), TINYAE_ERR_BAD_MODEL) << "input and output sizes differ";
}

TEST(AnomalyScore, Int8ByHand) {
  // Input scale 0.5 zero point -128, output scale 0.25 zero point 0: the
  // multiplier is 2, so an input q becomes 2 * (q + 128) in output units.
  const QuantParams in{0.5f, -128}, out{0.25f, 0};
  const tinyae::AnomalyI8 a = tinyae::anomaly_i8(in, out, 3, 0.1);
  EXPECT_EQ(a.input_to_output.multiplier, 1 << 30);
  EXPECT_EQ(a.input_to_output.shift, 29) << "2 = 2^30 * 2^-29";
  // threshold_sum = floor(0.1 * 3 / 0.0625) = floor(4.8) = 4
  EXPECT_EQ(a.threshold_sum, 4u);
  const std::int8_t input[3] = {-128, -127, -126};  // real 0, 0.5, 1 -> output units 0, 2, 4
  const std::int8_t output[3] = {1, 2, 1};          // real 0.25, 0.5, 0.25
  // d = {1, 0, -3}: sum 1 + 0 + 9 = 10; score = 0.0625 * 10 / 3
  EXPECT_EQ(tinyae::score_sum_i8(input, output, 3, in, out, a.input_to_output), 10u);
  EXPECT_DOUBLE_EQ(tinyae::score_from_sum_i8(10, 3, out), 0.0625 * 10 / 3);

  const tinyae_model_i8 model = i8_model(3, in, out);
  const tinyae_anomaly_i8 anomaly = device_anomaly(a);
  std::uint64_t sum = 0;
  ASSERT_EQ(tinyae_score_i8(&model, &anomaly, input, output, &sum), TINYAE_OK);
  EXPECT_EQ(sum, 10u);
  EXPECT_EQ(tinyae_is_anomaly_i8(&anomaly, sum), 1) << "10 > 4";
  EXPECT_EQ(tinyae_is_anomaly_i8(&anomaly, 4), 0) << "a sum equal to the threshold sum is normal";
}

TEST(AnomalyScore, Int8ThresholdConversion) {
  const QuantParams out{0.5f, 0};
  // floor(T * n / 0.25): 1.0 * 4 / 0.25 = 16 exactly; a sum of 16 is a score
  // of exactly 1.0, normal; 17 is an anomaly, on both sides.
  EXPECT_EQ(tinyae::threshold_sum_i8(1.0, 4, out), 16u);
  EXPECT_FALSE(tinyae::is_anomaly(tinyae::score_from_sum_i8(16, 4, out), 1.0));
  EXPECT_TRUE(tinyae::is_anomaly(tinyae::score_from_sum_i8(17, 4, out), 1.0));
  EXPECT_EQ(tinyae::threshold_sum_i8(0.0, 4, out), 0u);
  EXPECT_EQ(tinyae::threshold_sum_i8(1e300, 4, out), std::numeric_limits<std::uint64_t>::max());
  EXPECT_THROW(tinyae::threshold_sum_i8(-0.5, 4, out), tinyae::Error);
  EXPECT_THROW(tinyae::threshold_sum_i8(NAN, 4, out), tinyae::Error);
  EXPECT_THROW(tinyae::anomaly_i8({1e9f, 0}, {1e-9f, 0}, 4, 1.0), tinyae::Error) << "sum could overflow";
  EXPECT_THROW(tinyae::anomaly_i8({0.5f, 0}, {0.5f, 0}, 0, 1.0), tinyae::Error) << "no inputs";

  // Over many sums and thresholds: the integer comparison agrees with the
  // comparison of the score in model units.
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> t(0.0, 0.05);
  std::uniform_int_distribution<std::uint64_t> s(0, 200000);
  const QuantParams o{0.0039215689f, -128};
  int disagreements = 0;
  for (int k = 0; k < 20000; ++k) {
    const double threshold = t(rng);
    const std::uint64_t sum = s(rng);
    const bool integer = sum > tinyae::threshold_sum_i8(threshold, 784, o);
    disagreements += integer != tinyae::is_anomaly(tinyae::score_from_sum_i8(sum, 784, o), threshold);
  }
  EXPECT_EQ(disagreements, 0);
}

TEST(AnomalyScore, ScalingByHand) {
  // Two features, offsets {1, -2}, scales {0.5, 4}: element i is feature i % 2.
  const tinyae::Scaling host{tinyae::ScalingKind::kMinMax, {"a", "b"}, {1.0f, -2.0f}, {0.5f, 4.0f}};
  const std::vector<float> raw = {3.0f, -1.0f, 1.0f, -2.5f};
  std::vector<float> want = raw;
  host.apply(want);
  EXPECT_EQ(want, (std::vector<float>{1.0f, 4.0f, 0.0f, -2.0f}));

  const tinyae_scaling device{2, host.offset.data(), host.scale.data()};
  const tinyae_model_f32 model = f32_model(4);
  float got[4];
  ASSERT_EQ(tinyae_scale_input_f32(&model, &device, raw.data(), got), TINYAE_OK);
  EXPECT_EQ(std::vector<float>(got, got + 4), want);

  // int8: input scale 0.5 zero point 0 -> {2, 8, 0, -4}
  const tinyae_model_i8 m8 = i8_model(4, {0.5f, 0}, {1.0f, 0});
  std::int8_t q[4];
  ASSERT_EQ(tinyae_scale_input_i8(&m8, &device, raw.data(), q), TINYAE_OK);
  EXPECT_EQ(std::vector<int>(q, q + 4), (std::vector<int>{2, 8, 0, -4}));

  const tinyae_scaling three{3, host.offset.data(), host.scale.data()};
  EXPECT_EQ(tinyae_scale_input_f32(&model, &three, raw.data(), got), TINYAE_ERR_BAD_MODEL) << "3 does not divide 4";
  EXPECT_EQ(tinyae_scale_input_i8(&m8, nullptr, raw.data(), q), TINYAE_ERR_NULL_ARGUMENT);
}

// MNIST's scaling, pixel values 0..255 times 1.0f / 255, on every pixel value.
TEST(AnomalyScore, MnistScalingParity) {
  const tinyae::Scaling host{tinyae::ScalingKind::kMinMax, {"pixel"}, {0.0f}, {1.0f / 255.0f}};
  std::vector<float> raw(256);
  for (int v = 0; v < 256; ++v) raw[static_cast<std::size_t>(v)] = static_cast<float>(v);
  std::vector<float> want = raw;
  host.apply(want);
  const tinyae_scaling device{1, host.offset.data(), host.scale.data()};
  const tinyae_model_f32 model = f32_model(256);
  std::vector<float> got(256);
  ASSERT_EQ(tinyae_scale_input_f32(&model, &device, raw.data(), got.data()), TINYAE_OK);
  EXPECT_EQ(got, want);
  for (int v = 0; v < 256; ++v) {
    EXPECT_EQ(want[static_cast<std::size_t>(v)], static_cast<float>(v) * (1.0f / 255.0f)) << v;
  }
}

// Random vectors: the host mirror and the runtime agree exactly.
TEST(AnomalyScore, HostDeviceParity) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> real(-3.0f, 3.0f);
  std::uniform_int_distribution<int> byte(-128, 127);
  constexpr std::uint16_t kSize = 96;  // 3 features x 32 time steps
  const tinyae::Scaling host{tinyae::ScalingKind::kZScore, {"x", "y", "z"}, {0.3f, -1.7f, 2.2f}, {1.9f, 0.37f, 5.1f}};
  const tinyae_scaling device{3, host.offset.data(), host.scale.data()};
  const QuantParams in{0.0213f, -3}, out{0.0117f, 12};
  const tinyae::AnomalyI8 a = tinyae::anomaly_i8(in, out, kSize, 0.02);
  const tinyae_anomaly_i8 anomaly = device_anomaly(a);
  const tinyae_model_f32 model = f32_model(kSize);
  const tinyae_model_i8 m8 = i8_model(kSize, in, out);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<float> raw(kSize), output(kSize);
    std::vector<std::int8_t> output8(kSize);
    for (std::size_t i = 0; i < kSize; ++i) {
      raw[i] = real(rng);
      output[i] = real(rng);
      output8[i] = static_cast<std::int8_t>(byte(rng));
    }
    std::vector<float> scaled = raw, got(kSize);
    host.apply(scaled);
    ASSERT_EQ(tinyae_scale_input_f32(&model, &device, raw.data(), got.data()), TINYAE_OK);
    ASSERT_EQ(got, scaled) << "trial " << trial;
    float score = 0.0f;
    ASSERT_EQ(tinyae_score_f32(&model, scaled.data(), output.data(), &score), TINYAE_OK);
    ASSERT_EQ(score, tinyae::score_f32(scaled.data(), output.data(), kSize)) << "trial " << trial;

    std::vector<std::int8_t> q(kSize), want_q(kSize);
    for (std::size_t i = 0; i < kSize; ++i) want_q[i] = tinyae::quantize_value(scaled[i], in);
    ASSERT_EQ(tinyae_scale_input_i8(&m8, &device, raw.data(), q.data()), TINYAE_OK);
    ASSERT_EQ(q, want_q) << "trial " << trial;
    std::uint64_t sum = 0;
    ASSERT_EQ(tinyae_score_i8(&m8, &anomaly, q.data(), output8.data(), &sum), TINYAE_OK);
    ASSERT_EQ(sum, tinyae::score_sum_i8(q.data(), output8.data(), kSize, in, out, a.input_to_output))
        << "trial " << trial;
  }
}

}  // namespace
