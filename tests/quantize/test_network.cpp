// Quantized layers and networks: per-channel weight scales, all-zero and
// constant channels, sigmoid/tanh tables, and the C runtime (tinyae_run_i8)
// against the C++ reference (run_reference) bit for bit on random networks.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "runtime_model.h"
#include "tinyae.h"
#include "tinyae/common.h"
#include "tinyae/quantize.h"

namespace {

using tinyae::Activation;
using tinyae::LayerView;
using tinyae::QuantizedLayer;
using tinyae::QuantizedNetwork;
using tinyae::QuantParams;
using tinyae::test::first_difference;
using tinyae::test::RuntimeModel;

// A Linear layer with the given weights (out, in) and bias (out).
LayerView make_layer(const std::vector<std::vector<float>>& w, const std::vector<float>& b, Activation a) {
  const auto out = static_cast<std::int64_t>(w.size());
  const auto in = static_cast<std::int64_t>(w.front().size());
  torch::nn::Linear linear(in, out);
  torch::NoGradGuard no_grad;
  for (std::int64_t o = 0; o < out; o++) {
    for (std::int64_t i = 0; i < in; i++)
      linear->weight[o][i] = w[static_cast<std::size_t>(o)][static_cast<std::size_t>(i)];
    linear->bias[o] = b[static_cast<std::size_t>(o)];
  }
  return {linear, a};
}

// Random float layers of the given widths, each followed by `activation`.
std::vector<LayerView> random_layers(const std::vector<std::int64_t>& sizes, Activation activation,
                                     std::uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<LayerView> layers;
  for (std::size_t i = 0; i + 1 < sizes.size(); i++) {
    torch::nn::Linear linear(sizes[i], sizes[i + 1]);  // LibTorch's uniform init, nonzero biases
    layers.push_back({linear, activation});
  }
  return layers;
}

torch::Tensor float_forward(const std::vector<LayerView>& layers, torch::Tensor x) {
  torch::NoGradGuard no_grad;
  for (const LayerView& v : layers) {
    torch::nn::Linear linear = v.linear;
    x = linear->forward(x);
    if (v.activation == Activation::kRelu) x = torch::relu(x);
    if (v.activation == Activation::kSigmoid) x = torch::sigmoid(x);
    if (v.activation == Activation::kTanh) x = torch::tanh(x);
  }
  return x;
}

// Quantizes, runs the int8 network through both the C++ reference and the C
// runtime on `x`, requires them to agree bit for bit, and returns the
// dequantized output.
torch::Tensor run_int8(const QuantizedNetwork& net, const torch::Tensor& x) {
  const std::vector<std::int8_t> q = tinyae::quantize_tensor(x, net.input());
  const std::vector<std::int8_t> ref = tinyae::run_reference(net, q.data(), x.size(0));
  const RuntimeModel c(net);
  const std::vector<std::int8_t> got = c.run(q.data(), x.size(0));
  const std::int64_t at = first_difference(ref, got);
  EXPECT_EQ(at, -1) << "C runtime differs from the C++ reference at output " << at << ": "
                    << (at >= 0 ? int(got[static_cast<std::size_t>(at)]) : 0) << " vs "
                    << (at >= 0 ? int(ref[static_cast<std::size_t>(at)]) : 0);
  return tinyae::dequantize_tensor(ref, x.size(0), net.output_size(), net.output());
}

TEST(Quantize, WeightScalesArePerOutputRow) {
  // Rows 1000x apart in magnitude: per-row scales give each the full range.
  const LayerView layer =
      make_layer({{0.001f, -0.002f, 0.0005f, 0.0f}, {1.0f, -2.0f, 0.5f, 0.25f}, {3.0f, 0.0f, 0.0f, -0.1f}},
                 {0.0f, 0.1f, -0.2f}, Activation::kLinear);
  const torch::Tensor x = torch::rand({64, 4});
  const QuantizedNetwork net = tinyae::quantize_network({layer}, tinyae::calibrate({layer}, x));
  const QuantizedLayer& l = net.layers[0];
  for (std::size_t o = 0; o < 3; o++) {
    const auto row = l.weights.begin() + static_cast<std::ptrdiff_t>(o * 4);
    const int max_q = std::abs(*std::max_element(row, row + 4, [](int a, int b) { return std::abs(a) < std::abs(b); }));
    EXPECT_EQ(max_q, 127) << "row " << o << " does not use the full int8 range";
    for (std::size_t i = 0; i < 4; i++) {
      const double w = layer.linear->weight[static_cast<std::int64_t>(o)][static_cast<std::int64_t>(i)].item<double>();
      EXPECT_NEAR(l.weights[o * 4 + i] * l.weight_scales[o], w, l.weight_scales[o] / 2 + 1e-12) << o << "," << i;
    }
  }
  EXPECT_NEAR(l.weight_scales[0], 0.002 / 127, 1e-12);
  EXPECT_NEAR(l.weight_scales[1], 2.0 / 127, 1e-9);
  const torch::Tensor want = float_forward({layer}, x);
  const torch::Tensor got = run_int8(net, x);
  EXPECT_LE((got - want).abs().max().item<float>(), 2.0f * net.output().scale)
      << "a linear layer should be within about one output step (plus input rounding)";
}

TEST(Quantize, AllZeroAndConstantChannels) {
  // Row 0: zero weights, zero bias -> always real 0. Row 1: zero weights,
  // bias 0.3 -> the constant 0.3. Row 2: tiny weights next to a large bias
  // (the weight scale is raised so the int32 bias stays in range).
  const LayerView layer =
      make_layer({{0.0f, 0.0f, 0.0f}, {0.0f, 0.0f, 0.0f}, {1e-9f, -1e-9f, 2e-9f}, {0.5f, 0.5f, 0.5f}},
                 {0.0f, 0.3f, 0.7f, 0.0f}, Activation::kRelu);
  const torch::Tensor x = torch::rand({100, 3});
  const QuantizedNetwork net = tinyae::quantize_network({layer}, tinyae::calibrate({layer}, x));
  const QuantizedLayer& l = net.layers[0];
  EXPECT_EQ(l.weight_scales[0], 1.0) << "all-zero row, zero bias: the defined scale 1";
  EXPECT_EQ(l.bias[0], 0);
  for (std::size_t i = 0; i < 6; i++) EXPECT_EQ(l.weights[i], 0);
  EXPECT_LE(std::abs(std::int64_t{l.bias[2]}), tinyae::bias_limit(3)) << "the bias stays overflow-safe";
  const torch::Tensor got = run_int8(net, x);
  const float step = net.output().scale;
  EXPECT_TRUE(torch::all(got.select(1, 0) == 0.0f).item<bool>()) << "row 0 must be exactly real 0";
  EXPECT_LE((got.select(1, 1) - 0.3f).abs().max().item<float>(), step / 2 + 1e-7f) << "row 1 is the constant 0.3";
  EXPECT_LE((got.select(1, 2) - 0.7f).abs().max().item<float>(), step / 2 + 1e-6f) << "row 2 is about 0.7";
}

TEST(Quantize, SigmoidAndTanhUseTables) {
  for (Activation a : {Activation::kSigmoid, Activation::kTanh}) {
    const std::vector<LayerView> layers = random_layers({20, 24, 16}, a, 3);
    const torch::Tensor x = torch::randn({300, 20}) * 3;
    const QuantizedNetwork net = tinyae::quantize_network(layers, tinyae::calibrate(layers, x));
    for (const QuantizedLayer& l : net.layers) {
      ASSERT_EQ(l.table.size(), 256u);
      EXPECT_TRUE(std::is_sorted(l.table.begin(), l.table.end())) << "the table of a monotonic function is sorted";
      const double limit = a == Activation::kSigmoid ? tinyae::kSigmoidTableLimit : tinyae::kTanhTableLimit;
      // The table's input range includes 0 and stays within [-limit, limit].
      EXPECT_LE(tinyae::dequantize_value(-128, l.requant), 0.0f);
      EXPECT_GE(tinyae::dequantize_value(127, l.requant), 0.0f);
      EXPECT_GE(tinyae::dequantize_value(-128, l.requant), -limit - l.requant.scale);
      EXPECT_LE(tinyae::dequantize_value(127, l.requant), limit + l.requant.scale);
    }
    const torch::Tensor want = float_forward(layers, x);
    const torch::Tensor got = run_int8(net, x);
    const float err = (got - want).abs().max().item<float>();
    // Two layers of int8 rounding through steep functions: a few output steps.
    EXPECT_LE(err, 4.0f * net.output().scale)
        << tinyae::activation_name(a) << ": max abs error " << err << ", output step " << net.output().scale;
  }
}

// Random networks built directly (not from calibration), so that every
// corner is reachable: any zero points, shifts over the whole [1, 62] range
// (the runtime's fast path needs >= 33), multipliers below 2^30, odd and
// non-multiple-of-4 sizes, one-layer networks, every activation.
QuantizedNetwork random_network(std::mt19937_64& rng, const std::vector<std::int64_t>& sizes) {
  std::uniform_int_distribution<int> q8(-128, 127), w8(-127, 127), act(0, 3), shift(1, 62), kind(0, 9);
  std::uniform_int_distribution<std::int32_t> q31(1 << 30, INT32_MAX), small(0, 1 << 20);
  QuantizedNetwork net;
  QuantParams input{0.05f, q8(rng)};
  for (std::size_t i = 0; i + 1 < sizes.size(); i++) {
    QuantizedLayer l;
    l.in_size = sizes[i];
    l.out_size = sizes[i + 1];
    l.activation = static_cast<Activation>(act(rng));
    l.input = input;
    l.output = {0.05f, q8(rng)};
    l.requant = l.output;
    if (l.activation == Activation::kSigmoid || l.activation == Activation::kTanh) {
      l.requant = {0.1f, q8(rng)};
      for (int k = 0; k < 256; k++) l.table.push_back(static_cast<std::int8_t>(q8(rng)));
    }
    const std::int64_t limit = tinyae::bias_limit(l.in_size);
    std::uniform_int_distribution<std::int64_t> bias(-limit, limit), modest(-100000, 100000);
    for (std::int64_t k = 0; k < l.in_size * l.out_size; k++) l.weights.push_back(static_cast<std::int8_t>(w8(rng)));
    for (std::int64_t o = 0; o < l.out_size; o++) {
      l.weight_scales.push_back(1.0);
      l.bias.push_back(static_cast<std::int32_t>(kind(rng) == 0 ? bias(rng) : modest(rng)));
      // Mostly realistic shifts (so outputs are not all saturated), some anywhere.
      const int k = kind(rng);
      const int s = k < 6 ? 33 + (shift(rng) % 20) : shift(rng);
      l.multipliers.push_back({k == 9 ? small(rng) : q31(rng), s});
    }
    input = l.output;
    net.layers.push_back(l);
  }
  return net;
}

TEST(Runtime, MatchesReferenceOnRandomNetworks) {
  std::mt19937_64 rng(2024);
  const std::vector<std::vector<std::int64_t>> shapes = {
      {1, 1},
      {4, 2},
      {3, 5},
      {16, 16, 16},
      {33, 31, 7, 9},
      {64, 47, 64},
      {128, 8, 128},
      {37, 30, 7, 13, 9},
      {784, 128, 64, 32, 64, 128, 784},
      // inputs in several chunks, rows in several blocks, partial last ones
      {400, 60},
      {200, 97, 50},
      {390, 101, 3},
      {385, 49, 385}};
  for (int round = 0; round < 3; round++) {
    for (const auto& sizes : shapes) {
      const QuantizedNetwork net = random_network(rng, sizes);
      const std::int64_t count = sizes.front() > 100 ? 4 : 50;
      std::vector<std::int8_t> inputs(static_cast<std::size_t>(count * sizes.front()));
      std::uniform_int_distribution<int> q8(-128, 127);
      for (std::int8_t& v : inputs) v = static_cast<std::int8_t>(q8(rng));
      const std::vector<std::int8_t> ref = tinyae::run_reference(net, inputs.data(), count);
      const RuntimeModel c(net);
      const std::vector<std::int8_t> got = c.run(inputs.data(), count);
      const std::int64_t at = first_difference(ref, got);
      ASSERT_EQ(at, -1) << "network " << sizes.size() - 1 << " layers from " << sizes.front() << ", round " << round
                        << ": first difference at output " << at;
      EXPECT_EQ(tinyae_scratch_words_i8(&c.model()), net.scratch_words());
    }
  }
}

TEST(Runtime, ScratchAndModelChecks) {
  std::mt19937_64 rng(5);
  const QuantizedNetwork net = random_network(rng, {784, 128, 64, 32, 64, 128, 784});
  EXPECT_EQ(net.scratch_words(), 192u) << "(128 + 64) / 4 + 64 + 2 * 160 / 4, the figure in tinyae.h";
  const RuntimeModel c(net);
  std::vector<std::int8_t> in(784), out(784, 55);
  std::vector<std::int32_t> scratch(192);
  EXPECT_EQ(tinyae_run_i8(&c.model(), in.data(), out.data(), scratch.data(), 191), TINYAE_ERR_SCRATCH_TOO_SMALL);
  EXPECT_EQ(out[0], 55) << "nothing is written on an error";
  EXPECT_EQ(tinyae_run_i8(&c.model(), in.data(), out.data(), nullptr, 192), TINYAE_ERR_NULL_ARGUMENT);
  EXPECT_EQ(tinyae_run_i8(&c.model(), in.data(), out.data(), scratch.data(), 192), TINYAE_OK);
  std::fill(out.begin(), out.end(), 55);

  tinyae_model_i8 bad = c.model();
  std::vector<tinyae_layer_i8> layers(bad.layers, bad.layers + bad.layer_count);
  bad.layers = layers.data();
  layers[2].input_zero_point = static_cast<std::int8_t>(layers[1].output_zero_point ^ 1);  // zero points do not chain
  EXPECT_EQ(tinyae_run_i8(&bad, in.data(), out.data(), scratch.data(), 192), TINYAE_ERR_BAD_MODEL);
  layers[2] = c.model().layers[2];
  bad.scratch_words = 100;  // an exported size that would under-allocate
  EXPECT_EQ(tinyae_run_i8(&bad, in.data(), out.data(), scratch.data(), 192), TINYAE_ERR_BAD_MODEL);
  bad.scratch_words = 192;
  bad.format_version = 99;
  EXPECT_EQ(tinyae_run_i8(&bad, in.data(), out.data(), scratch.data(), 192), TINYAE_ERR_BAD_VERSION);
  bad.format_version = TINYAE_FORMAT_VERSION;
  const std::int8_t table[256] = {};
  layers[0].lut = table;  // a table on a ReLU layer
  EXPECT_EQ(tinyae_run_i8(&bad, in.data(), out.data(), scratch.data(), 192), TINYAE_ERR_BAD_MODEL);
  EXPECT_EQ(out[0], 55);
}

TEST(Runtime, InputAndOutputMayBeTheSameBuffer) {
  std::mt19937_64 rng(9);
  for (const std::int64_t size : {40, 300}) {  // 300: more inputs than one widened chunk
    const QuantizedNetwork net = random_network(rng, {size, size});
    std::vector<std::int8_t> data(static_cast<std::size_t>(size));
    for (std::size_t i = 0; i < data.size(); i++) data[i] = static_cast<std::int8_t>(i * 7);
    const std::vector<std::int8_t> want = tinyae::run_reference(net, data.data(), 1);
    const RuntimeModel c(net);
    std::vector<std::int32_t> scratch(net.scratch_words());
    ASSERT_EQ(tinyae_run_i8(&c.model(), data.data(), data.data(), scratch.data(), scratch.size()), TINYAE_OK);
    EXPECT_EQ(data, want) << size << " inputs";
  }
}

TEST(Network, ValidateNamesTheProblem) {
  std::mt19937_64 rng(1);
  QuantizedNetwork net = random_network(rng, {8, 6, 4});
  net.layers[1].input.zero_point = net.layers[0].output.zero_point == 0 ? 1 : 0;
  try {
    net.validate();
    FAIL() << "expected an error";
  } catch (const tinyae::Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1"), std::string::npos) << e.what();
  }
  net = random_network(rng, {8, 6});
  net.layers[0].weights[3] = -128;
  EXPECT_THROW(net.validate(), tinyae::Error);
  net = random_network(rng, {8, 6});
  net.layers[0].bias[0] = static_cast<std::int32_t>(tinyae::bias_limit(8) + 1);
  EXPECT_THROW(net.validate(), tinyae::Error);
  EXPECT_THROW(net.slice(1, 1), tinyae::Error);
}

TEST(Network, SlicesShareTheLatentParameters) {
  std::mt19937_64 rng(3);
  const QuantizedNetwork net = random_network(rng, {20, 12, 6, 12, 20});
  std::vector<std::int8_t> x(20 * 10);
  for (std::size_t i = 0; i < x.size(); i++) x[i] = static_cast<std::int8_t>(i * 13);
  const std::vector<std::int8_t> whole = tinyae::run_reference(net, x.data(), 10);
  const std::vector<std::int8_t> mid = tinyae::run_reference(net.slice(0, 2), x.data(), 10);
  EXPECT_EQ(tinyae::run_reference(net.slice(2, 2), mid.data(), 10), whole);
  EXPECT_EQ(net.weights_bytes(),
            20u * 12 + 12 * 6 + 6 * 12 + 12 * 20 + (12 + 6 + 12 + 20) * 9 +
                256 * static_cast<unsigned>(std::count_if(net.layers.begin(), net.layers.end(),
                                                          [](const QuantizedLayer& l) { return !l.table.empty(); })));
  EXPECT_EQ(net.macs(), 20u * 12 + 12 * 6 + 6 * 12 + 12 * 20);
}

}  // namespace
