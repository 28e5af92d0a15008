// The autoencoder module and its config: shapes, parameter names, Glorot
// initialisation, configurable activations, repeatability under a seed, and
// the errors a bad config or a bad input produce.
#include <cmath>

#include <gtest/gtest.h>

#include "tensor_diff.h"
#include "tinyae/common.h"
#include "tinyae/model.h"

namespace tinyae {
namespace {

using test::bitwise_equal;
using test::tensor_diff;

// The message of the tinyae::Error `f` throws ("" if it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Autoencoder, DefaultShapes) {
  torch::manual_seed(1);
  Autoencoder model(ModelConfig{});
  const auto x = torch::rand({5, 784});  // (n=5, 784)
  EXPECT_EQ(model->encode(x).sizes(), (std::vector<std::int64_t>{5, 32}));
  EXPECT_EQ(model->decode(torch::rand({5, 32})).sizes(), (std::vector<std::int64_t>{5, 784}));
  EXPECT_EQ(model->forward(x).sizes(), (std::vector<std::int64_t>{5, 784}));
  EXPECT_EQ(model->config().describe(), "784-128-64-32");

  const auto encoder = model->encoder_layers();
  const auto decoder = model->decoder_layers();
  ASSERT_EQ(encoder.size(), 3u);
  ASSERT_EQ(decoder.size(), 3u);
  const std::int64_t encoder_sizes[] = {784, 128, 64, 32};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(encoder[i].linear->weight.sizes(), (std::vector<std::int64_t>{encoder_sizes[i + 1], encoder_sizes[i]}));
    EXPECT_EQ(decoder[i].linear->weight.sizes(),
              (std::vector<std::int64_t>{encoder_sizes[2 - i], encoder_sizes[3 - i]}));
    EXPECT_EQ(encoder[i].activation, Activation::kRelu);
    EXPECT_EQ(decoder[i].activation, Activation::kRelu);
  }
  // Weights + biases; the decoder's last bias is 784 wide, so it is not just twice the encoder.
  const std::int64_t encoder_params = 784 * 128 + 128 + 128 * 64 + 64 + 64 * 32 + 32;
  const std::int64_t decoder_params = 32 * 64 + 64 + 64 * 128 + 128 + 128 * 784 + 784;
  EXPECT_EQ(model->config().parameter_count(), encoder_params + decoder_params);
  std::int64_t counted = 0;
  for (const auto& p : model->parameters()) counted += p.numel();
  EXPECT_EQ(counted, encoder_params + decoder_params);
}

TEST(Autoencoder, ParameterNamesMatchConfig) {
  ModelConfig config;
  config.hidden = {16, 8, 6};
  config.activation = Activation::kTanh;
  Autoencoder model(config);
  const auto named = model->named_parameters();
  const auto shapes = config.parameter_shapes();
  ASSERT_EQ(named.size(), shapes.size());
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    EXPECT_EQ(named.keys()[i], shapes[i].name);
    EXPECT_EQ(named.values()[i].sizes().vec(), shapes[i].shape) << shapes[i].name;
  }
  EXPECT_EQ(shapes.front().name, "encoder.0.weight");
  EXPECT_EQ(shapes.back().name, "decoder.6.bias");
}

TEST(Autoencoder, GlorotUniformWeightsZeroBiases) {
  torch::manual_seed(42);
  Autoencoder model(ModelConfig{});
  const auto encoder = model->encoder_layers();
  const auto decoder = model->decoder_layers();
  for (const auto* layers : {&encoder, &decoder}) {
    for (const auto& layer : *layers) {
      const auto& w = layer.linear->weight;  // (out, in)
      const double limit = std::sqrt(6.0 / static_cast<double>(w.size(0) + w.size(1)));
      const double max_abs = w.abs().max().item<double>();
      const double mean = w.mean().item<double>();
      const double var = w.var().item<double>();
      // Inside the bound, and filling it: uniform on [-l, l] has variance l^2 / 3.
      EXPECT_LE(max_abs, limit) << w.sizes();
      EXPECT_GT(max_abs, 0.95 * limit) << w.sizes();
      EXPECT_NEAR(mean, 0.0, 0.05 * limit) << w.sizes();
      EXPECT_NEAR(var, limit * limit / 3, 0.1 * limit * limit / 3) << w.sizes();
      EXPECT_EQ(layer.linear->bias.abs().max().item<double>(), 0.0);
    }
  }
}

// The exporter reads weights through the layer views: they must be the
// module's own parameters, not copies.
TEST(Autoencoder, LayersShareModuleParameters) {
  Autoencoder model(ModelConfig{});
  const auto encoder = model->encoder_layers();
  EXPECT_TRUE(encoder[0].linear->weight.is_same(model->named_parameters()["encoder.0.weight"]));
  const auto decoder = model->decoder_layers();
  EXPECT_TRUE(decoder[2].linear->bias.is_same(model->named_parameters()["decoder.4.bias"]));
}

TEST(Autoencoder, SameSeedSameModel) {
  torch::manual_seed(123);
  Autoencoder a(ModelConfig{});
  torch::manual_seed(123);
  Autoencoder b(ModelConfig{});
  torch::manual_seed(124);
  Autoencoder c(ModelConfig{});
  const auto pa = a->parameters(), pb = b->parameters(), pc = c->parameters();
  bool any_differs = false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(pa[i], pb[i])) << "parameter " << i << ": " << tensor_diff(pa[i], pb[i]).describe();
    if (pa[i].abs().max().item<double>() > 0 && !bitwise_equal(pa[i], pc[i])) any_differs = true;
  }
  EXPECT_TRUE(any_differs) << "another seed gave the same weights";

  // reset_parameters() draws again: same seed, same weights.
  torch::manual_seed(123);
  c->reset_parameters();
  torch::manual_seed(123);
  b->reset_parameters();
  EXPECT_TRUE(bitwise_equal(b->parameters()[0], c->parameters()[0]));
}

TEST(Autoencoder, ActivationsAreConfigurable) {
  torch::manual_seed(3);
  ModelConfig config;
  config.input_size = 12;
  config.hidden = {10};
  config.latent_size = 4;
  const auto x = torch::randn({64, 12}) * 3;  // (64, 12), both signs

  config.activation = Activation::kLinear;
  config.output_activation = Activation::kLinear;
  {
    Autoencoder model(config);
    torch::NoGradGuard no_grad;
    // Linear everywhere: the model is an affine map, with zero biases a linear one.
    EXPECT_LT(model->forward(x).min().item<double>(), 0.0);
    const auto d = tensor_diff(model->forward(2 * x), 2 * model->forward(x));
    EXPECT_LT(d.max_abs, 1e-4) << d.describe();
  }
  config.activation = Activation::kTanh;
  config.output_activation = Activation::kSigmoid;
  {
    Autoencoder model(config);
    torch::NoGradGuard no_grad;
    const auto z = model->encode(x);  // (64, 4) after tanh
    EXPECT_LT(z.min().item<double>(), 0.0);
    EXPECT_LE(z.abs().max().item<double>(), 1.0);
    const auto y = model->forward(x);  // (64, 12) after sigmoid
    EXPECT_GT(y.min().item<double>(), 0.0);
    EXPECT_LT(y.max().item<double>(), 1.0);
    const auto layers = model->decoder_layers();
    EXPECT_EQ(layers.front().activation, Activation::kTanh);
    EXPECT_EQ(layers.back().activation, Activation::kSigmoid);
    // Check the module in the slot after the last Linear is really a Sigmoid.
    EXPECT_NE(model->decoder[3]->as<torch::nn::Sigmoid>(), nullptr);
    EXPECT_NE(model->decoder[1]->as<torch::nn::Tanh>(), nullptr);
  }
  config.activation = Activation::kRelu;
  config.output_activation = Activation::kRelu;
  {
    Autoencoder model(config);
    torch::NoGradGuard no_grad;
    EXPECT_GE(model->forward(x).min().item<double>(), 0.0);
    EXPECT_GE(model->encode(x).min().item<double>(), 0.0);
  }
}

TEST(Activation, NamesRoundTripAndBadNameListsValidOnes) {
  for (const auto a : {Activation::kLinear, Activation::kRelu, Activation::kSigmoid, Activation::kTanh}) {
    EXPECT_EQ(parse_activation(activation_name(a)), a);
  }
  EXPECT_EQ(activation_name(Activation::kRelu), "relu");
  const auto message = error_of([] { parse_activation("gelu"); });
  EXPECT_NE(message.find("\"gelu\""), std::string::npos) << message;
  EXPECT_NE(message.find("linear, relu, sigmoid, tanh"), std::string::npos) << message;
}

TEST(ModelConfig, JsonRoundTrip) {
  ModelConfig config;
  config.hidden = {300, 100, 50};
  config.latent_size = 10;
  config.output_activation = Activation::kSigmoid;
  const auto j = config.to_json();
  EXPECT_EQ(j["activation"], "relu");
  EXPECT_EQ(j["output_activation"], "sigmoid");
  EXPECT_EQ(ModelConfig::from_json(j), config);
  EXPECT_EQ(ModelConfig::from_json(nlohmann::json::parse(j.dump())), config);
  EXPECT_EQ(config.decoder_sizes(), (std::vector<std::int64_t>{10, 50, 100, 300, 784}));
}

TEST(ModelConfig, BadConfigsAreClearErrors) {
  ModelConfig config;
  config.latent_size = 0;
  auto message = error_of([&] { config.validate(); });
  EXPECT_NE(message.find("latent_size must be in [1, 65535]"), std::string::npos) << message;
  EXPECT_NE(message.find("found 0"), std::string::npos) << message;

  config = ModelConfig{};
  config.hidden = {128, 70000};
  message = error_of([&] { Autoencoder model(config); });
  EXPECT_NE(message.find("hidden[1]"), std::string::npos) << message;
  EXPECT_NE(message.find("found 70000"), std::string::npos) << message;

  config = ModelConfig{};
  config.hidden.assign(kMaxHiddenLayers + 1, 4);
  message = error_of([&] { config.validate(); });
  EXPECT_NE(message.find("hidden layers"), std::string::npos) << message;

  // Every size in range, but 784x65535 weights twice: 107 million
  // parameters, refused before anything is allocated.
  config = ModelConfig{};
  config.hidden = {65535};
  message = error_of([&] { Autoencoder model(config); });
  EXPECT_NE(message.find("107085006 parameters"), std::string::npos) << message;
  // One hidden layer of width w: 1634 w + 816 parameters (784-w-32-w-784
  // with biases). The widest under the cap is accepted, one more refused.
  const std::int64_t widest = (kMaxParameters - 816) / 1634;
  config.hidden = {widest};
  EXPECT_EQ(config.parameter_count(), 1634 * widest + 816);
  EXPECT_NO_THROW(config.validate());
  config.hidden = {widest + 1};
  EXPECT_GT(config.parameter_count(), kMaxParameters);
  EXPECT_THROW(config.validate(), tinyae::Error);

  // Inference memory: the float32 parameters, then per image the input and
  // output (784 each) and the widest layer twice (pre-activation and
  // activation): the widest of the default model is its 784-wide input.
  config = ModelConfig{};
  EXPECT_EQ(config.inference_memory_bytes(0), 4u * 222384u);
  EXPECT_EQ(config.inference_memory_bytes(1000) - config.inference_memory_bytes(0),
            1000u * 4u * (2u * 784u + 2u * 784u));
  config.hidden = {4000, 64};
  EXPECT_EQ(config.inference_memory_bytes(1) - config.inference_memory_bytes(0), 4u * (2u * 784u + 2u * 4000u));

  auto j = ModelConfig{}.to_json();
  j["activation"] = "swish";
  message = error_of([&] { ModelConfig::from_json(j); });
  EXPECT_NE(message.find("swish"), std::string::npos) << message;
  EXPECT_NE(message.find("sigmoid"), std::string::npos) << message;

  j = ModelConfig{}.to_json();
  j.erase("latent_size");
  message = error_of([&] { ModelConfig::from_json(j); });
  EXPECT_NE(message.find("model config has no \"latent_size\""), std::string::npos) << message;

  j = ModelConfig{}.to_json();
  j["latent"] = 16;  // a typo must not silently keep the default
  message = error_of([&] { ModelConfig::from_json(j); });
  EXPECT_NE(message.find("unknown key \"latent\""), std::string::npos) << message;

  j = ModelConfig{}.to_json();
  j["input_size"] = "784";
  message = error_of([&] { ModelConfig::from_json(j); });
  EXPECT_NE(message.find("\"input_size\" must be an integer in 1..65535, found the string"), std::string::npos)
      << message;

  message = error_of([] { ModelConfig::from_json(nlohmann::json::array()); });
  EXPECT_NE(message.find("expected a JSON object"), std::string::npos) << message;
}

TEST(Autoencoder, WrongInputShapeIsAClearError) {
  Autoencoder model(ModelConfig{});
  auto message = error_of([&] { model->forward(torch::rand({2, 783})); });
  EXPECT_NE(message.find("expected a (n, 784) float32 tensor, found [2, 783]"), std::string::npos) << message;
  message = error_of([&] { model->decode(torch::rand({32})); });
  EXPECT_NE(message.find("(n, 32)"), std::string::npos) << message;
  message = error_of([&] { model->encode(torch::zeros({1, 784}, torch::kFloat64)); });
  EXPECT_NE(message.find("Double"), std::string::npos) << message;
}

}  // namespace
}  // namespace tinyae
