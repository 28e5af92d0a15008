// Tests for the freestanding runtime (host build): every activation against a
// double-precision reference, the scratch formula and placement, every status
// code, NaN/inf propagation and the status strings. The same file runs twice:
// test_runtime links the C build, test_runtime_cxx a copy compiled as C++.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae.h"

namespace {

// A network built in the test: owns the arrays the tinyae structs point at.
struct Net {
  std::vector<std::vector<float>> weights;  // per layer (out, in) row-major
  std::vector<std::vector<float>> biases;   // per layer (out)
  std::vector<tinyae_layer_f32> layers;     // (layer_count)
  tinyae_model_f32 model{};

  Net(const std::vector<int>& sizes, const std::vector<int>& activations, unsigned seed) {
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i + 1 < sizes.size(); i++) {
      const double limit = std::sqrt(6.0 / (sizes[i] + sizes[i + 1]));
      std::uniform_real_distribution<float> w(static_cast<float>(-limit), static_cast<float>(limit));
      std::uniform_real_distribution<float> b(-0.5f, 0.5f);
      weights.emplace_back(static_cast<std::size_t>(sizes[i] * sizes[i + 1]));
      biases.emplace_back(static_cast<std::size_t>(sizes[i + 1]));
      for (float& v : weights.back()) v = w(rng);
      for (float& v : biases.back()) v = b(rng);
    }
    for (std::size_t i = 0; i + 1 < sizes.size(); i++) {
      layers.push_back({static_cast<uint16_t>(sizes[i]), static_cast<uint16_t>(sizes[i + 1]),
                        static_cast<uint8_t>(activations[i]), weights[i].data(), biases[i].data()});
    }
    model.format_version = TINYAE_FORMAT_VERSION;
    model.layer_count = static_cast<uint16_t>(layers.size());
    model.layers = layers.data();
    model.input_size = static_cast<uint16_t>(sizes.front());
    model.output_size = static_cast<uint16_t>(sizes.back());
    model.scratch_floats = tinyae_scratch_floats_f32(&model);
  }

  // The same network in double precision.
  std::vector<double> reference(const std::vector<float>& input) const {
    std::vector<double> x(input.begin(), input.end());
    for (const tinyae_layer_f32& l : layers) {
      std::vector<double> y(l.out_size);
      for (int o = 0; o < l.out_size; o++) {
        double s = l.bias[o];
        for (int i = 0; i < l.in_size; i++)
          s += static_cast<double>(l.weights[o * l.in_size + i]) * x[static_cast<std::size_t>(i)];
        switch (l.activation) {
          case TINYAE_ACT_RELU:
            s = s < 0.0 ? 0.0 : s;
            break;
          case TINYAE_ACT_SIGMOID:
            s = 1.0 / (1.0 + std::exp(-s));
            break;
          case TINYAE_ACT_TANH:
            s = std::tanh(s);
            break;
          default:
            break;
        }
        y[static_cast<std::size_t>(o)] = s;
      }
      x = std::move(y);
    }
    return x;
  }
};

std::vector<float> random_input(int size, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<std::size_t>(size));
  for (float& v : x) v = u(rng);
  return x;
}

// Runs net on input and checks against the double reference; reports the gap.
void expect_matches_reference(const Net& net, const std::vector<float>& input, double tolerance) {
  std::vector<float> scratch(net.model.scratch_floats + 1);  // (scratch_floats), +1 so data() is never NULL
  std::vector<float> output(net.model.output_size);
  ASSERT_EQ(tinyae_run_f32(&net.model, input.data(), output.data(), scratch.data(), net.model.scratch_floats),
            TINYAE_OK);
  const std::vector<double> expected = net.reference(input);
  double max_diff = 0.0;
  std::size_t where = 0;
  for (std::size_t i = 0; i < output.size(); i++) {
    const double d = std::fabs(output[i] - expected[i]);
    if (d > max_diff) {
      max_diff = d;
      where = i;
    }
  }
  EXPECT_LE(max_diff, tolerance) << "max abs diff " << max_diff << " at output " << where << " (runtime "
                                 << output[where] << ", double reference " << expected[where] << ")";
  std::printf("  max abs diff vs double reference: %.3g at output %zu (tolerance %.0e)\n", max_diff, where, tolerance);
}

// ------------------------------------------------------------- activations --

class Activation : public ::testing::TestWithParam<int> {};

TEST_P(Activation, MatchesDoubleReference) {
  // Sizes off the 8-input blocks and 4-row groups exercise every tail path.
  for (const auto& shape : std::vector<std::vector<int>>{{13, 7}, {37, 9}, {64, 32}, {1, 1}}) {
    SCOPED_TRACE("shape " + std::to_string(shape[0]) + "-" + std::to_string(shape[1]));
    const Net net(shape, {GetParam()}, 7u + static_cast<unsigned>(shape[0]));
    expect_matches_reference(net, random_input(shape[0], 3), 1e-5);
  }
}

std::string activation_name(const ::testing::TestParamInfo<int>& param) {
  const char* const names[] = {"linear", "relu", "sigmoid", "tanh"};
  return names[param.param];
}

INSTANTIATE_TEST_SUITE_P(All, Activation,
                         ::testing::Values(TINYAE_ACT_LINEAR, TINYAE_ACT_RELU, TINYAE_ACT_SIGMOID, TINYAE_ACT_TANH),
                         activation_name);

TEST(Runtime, TutorialAutoencoderMatchesDoubleReference) {
  const Net net({784, 128, 64, 32, 64, 128, 784}, {1, 1, 1, 1, 1, 1}, 42);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::vector<float> input(784);
  for (float& v : input) v = pixel(rng);
  expect_matches_reference(net, input, 1e-5);
}

TEST(Runtime, MixedActivationsDeepNetwork) {
  const Net net({30, 17, 5, 23, 11, 3}, {2, 3, 0, 1, 2}, 11);
  expect_matches_reference(net, random_input(30, 4), 1e-5);
}

// ----------------------------------------------------------------- scratch --

TEST(Scratch, FormulaIsLargestConsecutivePair) {
  EXPECT_EQ(Net({784, 128, 64, 32, 64, 128, 784}, {1, 1, 1, 1, 1, 1}, 1).model.scratch_floats, 192u);  // 128 + 64
  EXPECT_EQ(Net({784, 128, 64, 32}, {1, 1, 1}, 1).model.scratch_floats, 192u);
  EXPECT_EQ(Net({10, 5, 20, 3}, {0, 0, 0}, 1).model.scratch_floats, 25u);
  EXPECT_EQ(Net({8, 6, 4}, {0, 0}, 1).model.scratch_floats, 6u);  // one intermediate
  EXPECT_EQ(Net({8, 4}, {0}, 1).model.scratch_floats, 0u);        // no intermediate
  EXPECT_EQ(tinyae_scratch_floats_f32(nullptr), 0u);
}

TEST(Scratch, ExactSizeIsEnoughAndNothingOutsideIsTouched) {
  const Net net({784, 128, 64, 32, 64, 128, 784}, {1, 1, 1, 1, 1, 1}, 3);
  const std::size_t need = net.model.scratch_floats;
  const std::size_t guard = 16;
  const float canary = -12345.0f;
  std::vector<float> buffer(guard + need + guard, canary);  // (guard | scratch | guard)
  std::vector<float> output(784);
  const std::vector<float> input = random_input(784, 9);
  ASSERT_EQ(tinyae_run_f32(&net.model, input.data(), output.data(), buffer.data() + guard, need), TINYAE_OK);
  for (std::size_t i = 0; i < guard; i++) {
    EXPECT_EQ(buffer[i], canary) << "wrote before scratch at " << i;
    EXPECT_EQ(buffer[guard + need + i], canary) << "wrote after scratch at " << i;
  }
  expect_matches_reference(net, input, 1e-5);
}

TEST(Scratch, OneLayerNeedsNoScratch) {
  const Net net({5, 3}, {0}, 2);
  const std::vector<float> input = random_input(5, 1);
  std::vector<float> output(3);
  EXPECT_EQ(tinyae_run_f32(&net.model, input.data(), output.data(), nullptr, 0), TINYAE_OK);
}

// ---------------------------------------------------------------- statuses --

class Status : public ::testing::Test {
 protected:
  Net net{{6, 5, 4, 3}, {1, 1, 0}, 5};
  std::vector<float> input = random_input(6, 2);
  std::vector<float> output = std::vector<float>(3, 7.0f);  // sentinel: must stay untouched on errors
  std::vector<float> scratch = std::vector<float>(9);       // (5 + 4)

  tinyae_status run(const tinyae_model_f32* m) {
    return tinyae_run_f32(m, input.data(), output.data(), scratch.data(), scratch.size());
  }
  void expect_output_untouched() {
    for (float v : output) EXPECT_EQ(v, 7.0f);
  }
};

TEST_F(Status, ValidModelIsOk) { EXPECT_EQ(run(&net.model), TINYAE_OK); }

TEST_F(Status, ScratchTooSmall) {
  ASSERT_EQ(net.model.scratch_floats, 9u);
  EXPECT_EQ(tinyae_run_f32(&net.model, input.data(), output.data(), scratch.data(), 8), TINYAE_ERR_SCRATCH_TOO_SMALL);
  expect_output_untouched();
}

TEST_F(Status, NullArguments) {
  EXPECT_EQ(tinyae_run_f32(nullptr, input.data(), output.data(), scratch.data(), 9), TINYAE_ERR_NULL_ARGUMENT);
  EXPECT_EQ(tinyae_run_f32(&net.model, nullptr, output.data(), scratch.data(), 9), TINYAE_ERR_NULL_ARGUMENT);
  EXPECT_EQ(tinyae_run_f32(&net.model, input.data(), nullptr, scratch.data(), 9), TINYAE_ERR_NULL_ARGUMENT);
  EXPECT_EQ(tinyae_run_f32(&net.model, input.data(), output.data(), nullptr, 9), TINYAE_ERR_NULL_ARGUMENT);
  tinyae_model_f32 no_layers = net.model;
  no_layers.layers = nullptr;
  EXPECT_EQ(run(&no_layers), TINYAE_ERR_NULL_ARGUMENT);
  net.layers[1].weights = nullptr;
  EXPECT_EQ(run(&net.model), TINYAE_ERR_NULL_ARGUMENT);
  net.layers[1].weights = net.weights[1].data();
  net.layers[2].bias = nullptr;
  EXPECT_EQ(run(&net.model), TINYAE_ERR_NULL_ARGUMENT);
  expect_output_untouched();
}

TEST_F(Status, BadVersion) {
  tinyae_model_f32 m = net.model;
  m.format_version = TINYAE_FORMAT_VERSION + 1;
  EXPECT_EQ(run(&m), TINYAE_ERR_BAD_VERSION);
  m.format_version = 0;
  EXPECT_EQ(run(&m), TINYAE_ERR_BAD_VERSION);
  expect_output_untouched();
}

TEST_F(Status, BadModels) {
  // One field of a copy of the valid model changed at a time.
  const auto run_with = [&](void (*change)(tinyae_model_f32&)) {
    tinyae_model_f32 m = net.model;
    change(m);
    return run(&m);
  };
  EXPECT_EQ(run_with([](tinyae_model_f32& m) { m.layer_count = 0; }), TINYAE_ERR_BAD_MODEL) << "no layers";
  EXPECT_EQ(run_with([](tinyae_model_f32& m) { m.input_size = 7; }), TINYAE_ERR_BAD_MODEL)
      << "input_size disagrees with layer 0";
  EXPECT_EQ(run_with([](tinyae_model_f32& m) { m.output_size = 2; }), TINYAE_ERR_BAD_MODEL)
      << "output_size disagrees with the last layer";
  EXPECT_EQ(run_with([](tinyae_model_f32& m) { m.scratch_floats = 8; }), TINYAE_ERR_BAD_MODEL)
      << "exported scratch size below the requirement";
  net.layers[1].in_size = 4;  // layer 0 gives 5
  EXPECT_EQ(run(&net.model), TINYAE_ERR_BAD_MODEL) << "layers do not chain";
  net.layers[1].in_size = 5;
  net.layers[2].activation = TINYAE_ACT_COUNT;
  EXPECT_EQ(run(&net.model), TINYAE_ERR_BAD_MODEL) << "unknown activation";
  net.layers[2].activation = TINYAE_ACT_LINEAR;
  net.layers[0].out_size = 0;
  net.layers[1].in_size = 0;
  EXPECT_EQ(run(&net.model), TINYAE_ERR_BAD_MODEL) << "zero-width layer";
  expect_output_untouched();
}

TEST(StatusString, TableIsCompleteAndDistinct) {
  std::vector<std::string> seen;
  for (int s = 0; s < TINYAE_STATUS_COUNT; s++) {
    const char* text = tinyae_status_string(static_cast<tinyae_status>(s));
    ASSERT_NE(text, nullptr) << "status " << s;
    EXPECT_GT(std::strlen(text), 0u) << "status " << s;
    EXPECT_STRNE(text, "unknown status") << "status " << s << " has no string";
    for (const std::string& other : seen) EXPECT_NE(other, text) << "status " << s << " repeats a string";
    seen.emplace_back(text);
  }
  EXPECT_STREQ(tinyae_status_string(TINYAE_OK), "ok");
  EXPECT_STREQ(tinyae_status_string(TINYAE_STATUS_COUNT), "unknown status");
}

// --------------------------------------------------------------- NaN / inf --

// out = act(1 * in + 0) for one value.
float through(int activation, float value) {
  const float one = 1.0f, zero = 0.0f;
  const tinyae_layer_f32 layer = {1, 1, static_cast<uint8_t>(activation), &one, &zero};
  const tinyae_model_f32 model = {TINYAE_FORMAT_VERSION, 1, &layer, 1, 1, 0};
  float out = 0.0f;
  EXPECT_EQ(tinyae_run_f32(&model, &value, &out, nullptr, 0), TINYAE_OK);
  return out;
}

TEST(NonFinite, ActivationsFollowIeee) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (int act = 0; act < TINYAE_ACT_COUNT; act++) {
    EXPECT_TRUE(std::isnan(through(act, nan))) << "activation " << act << " must keep NaN";
  }
  EXPECT_EQ(through(TINYAE_ACT_LINEAR, inf), inf);
  EXPECT_EQ(through(TINYAE_ACT_LINEAR, -inf), -inf);
  EXPECT_EQ(through(TINYAE_ACT_RELU, inf), inf);
  EXPECT_EQ(through(TINYAE_ACT_RELU, -inf), 0.0f);
  EXPECT_EQ(through(TINYAE_ACT_SIGMOID, inf), 1.0f);
  EXPECT_EQ(through(TINYAE_ACT_SIGMOID, -inf), 0.0f);
  EXPECT_EQ(through(TINYAE_ACT_TANH, inf), 1.0f);
  EXPECT_EQ(through(TINYAE_ACT_TANH, -inf), -1.0f);
}

TEST(NonFinite, NanInputReachesEveryOutput) {
  const Net net({784, 128, 64, 32, 64, 128, 784}, {0, 0, 0, 0, 0, 0}, 8);  // linear: no ReLU to zero it
  std::vector<float> input = random_input(784, 1);
  input[400] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> scratch(192), output(784);
  ASSERT_EQ(tinyae_run_f32(&net.model, input.data(), output.data(), scratch.data(), scratch.size()), TINYAE_OK);
  for (std::size_t i = 0; i < output.size(); i++) EXPECT_TRUE(std::isnan(output[i])) << "output " << i;
}

TEST(NonFinite, InfinityInAWeightGivesInfOrNan) {
  Net net({4, 2}, {0}, 3);
  net.weights[0][0] = std::numeric_limits<float>::infinity();  // row 0 only
  const std::vector<float> input = {1.0f, 0.5f, 0.25f, 0.125f};
  std::vector<float> output(2);
  ASSERT_EQ(tinyae_run_f32(&net.model, input.data(), output.data(), nullptr, 0), TINYAE_OK);
  EXPECT_EQ(output[0], std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isfinite(output[1]));
}

}  // namespace
