// The int8 path on real data: a small autoencoder trained here for a few
// seconds on MNIST, calibrated on training images, quantized, and checked on
// test images -- the C runtime bit for bit against the C++ reference, and the
// int8 reconstruction error within a stated factor of the float one.
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <vector>

#include <gtest/gtest.h>

#include "runtime_model.h"
#include "tinyae/data.h"
#include "tinyae/model.h"
#include "tinyae/quantize.h"

namespace {
namespace fs = std::filesystem;

const fs::path kMnistDir = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";
constexpr std::int64_t kTrainImages = 3000;
constexpr std::int64_t kTestImages = 300;
constexpr std::int64_t kCalibrationImages = 1000;
// Stated bound for this small model: int8 MSE at most 10% above float
// (the 50-epoch default model's target is 3%; this one is trained for
// seconds, so its activations are less regular).
constexpr double kMaxMseRatio = 1.10;

struct Trained {
  tinyae::Autoencoder model{nullptr};
  tinyae::Mnist mnist;
};

// 784-64-16 / 16-64-784, ReLU, Adam, a few epochs on kTrainImages images.
Trained& trained() {
  static Trained t = [] {
    Trained r;
    r.mnist = tinyae::load_mnist(kMnistDir, kTrainImages, kTestImages);
    tinyae::ModelConfig config;
    config.hidden = {64};
    config.latent_size = 16;
    torch::manual_seed(1);
    r.model = tinyae::Autoencoder(config);
    torch::optim::Adam optimizer(r.model->parameters(), torch::optim::AdamOptions(2e-3));
    const torch::Tensor x = r.mnist.train.images;
    for (int epoch = 0; epoch < 8; epoch++) {
      for (std::int64_t b = 0; b < x.size(0); b += 64) {
        const torch::Tensor batch = x.slice(0, b, b + 64);
        optimizer.zero_grad();
        torch::Tensor loss = torch::mse_loss(r.model->forward(batch), batch);
        loss.backward();
        optimizer.step();
      }
    }
    r.model->eval();
    return r;
  }();
  return t;
}

class Mnist : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kMnistDir / "t10k-images-idx3-ubyte") && !fs::exists(kMnistDir / "t10k-images-idx3-ubyte.gz")) {
      GTEST_FAIL() << "MNIST is missing in " << kMnistDir << ": run data/fetch_mnist.sh";
    }
  }
};

TEST_F(Mnist, CalibrationFollowsTheModel) {
  Trained& t = trained();
  const std::vector<tinyae::LayerView> layers = tinyae::autoencoder_layers(t.model);
  ASSERT_EQ(layers.size(), 4u);
  const torch::Tensor x = t.mnist.train.images.slice(0, 0, kCalibrationImages);
  const tinyae::Calibration c = tinyae::calibrate(layers, x);
  EXPECT_EQ(c.images, kCalibrationImages);
  EXPECT_EQ(c.input.min, 0.0f);
  EXPECT_EQ(c.input.max, 1.0f);
  for (std::size_t i = 0; i < layers.size(); i++) {
    EXPECT_EQ(c.output[i].min, 0.0f) << "ReLU outputs start at 0 (layer " << i << ")";
    EXPECT_LE(c.pre_activation[i].min, c.output[i].min);
    EXPECT_EQ(c.pre_activation[i].max, c.output[i].max) << "layer " << i;
  }
  torch::NoGradGuard no_grad;
  EXPECT_FLOAT_EQ(c.output.back().max, t.model->forward(x).max().item<float>());
}

TEST_F(Mnist, RuntimeMatchesReferenceAndAccuracyHolds) {
  Trained& t = trained();
  const std::vector<tinyae::LayerView> layers = tinyae::autoencoder_layers(t.model);
  const tinyae::QuantizedNetwork net =
      tinyae::quantize_network(layers, tinyae::calibrate(layers, t.mnist.train.images.slice(0, 0, kCalibrationImages)));
  const torch::Tensor x = t.mnist.test.images;
  ASSERT_EQ(x.size(0), kTestImages);

  // Bit for bit: C runtime (portable C on the host) == C++ reference.
  const std::vector<std::int8_t> q = tinyae::quantize_tensor(x, net.input());
  const std::vector<std::int8_t> ref = tinyae::run_reference(net, q.data(), kTestImages);
  const tinyae::test::RuntimeModel c(net);
  const std::vector<std::int8_t> got = c.run(q.data(), kTestImages);
  const std::int64_t at = tinyae::test::first_difference(ref, got);
  EXPECT_EQ(at, -1) << "first difference at output " << at << " (image " << at / 784 << ")";

  // The encoder and decoder halves reproduce the whole network.
  const std::vector<std::int8_t> latent = tinyae::run_reference(net.slice(0, 2), q.data(), kTestImages);
  EXPECT_EQ(tinyae::run_reference(net.slice(2, 2), latent.data(), kTestImages), ref);

  const tinyae::QuantizationReport r = tinyae::evaluate_quantization(t.model, net, 2, x);
  std::cout << "small model on " << r.images << " test images: float MSE " << r.float_mse << ", int8 MSE " << r.int8_mse
            << ", ratio " << r.ratio << ", latent max abs err " << r.latent_max_abs_err << "\n"
            << tinyae::describe_quantization(net);
  EXPECT_LE(r.ratio, kMaxMseRatio) << "int8 MSE " << r.int8_mse << " vs float " << r.float_mse;
  EXPECT_GE(r.ratio, 0.9) << "int8 should not be much better than float either; suspicious";
  EXPECT_LT(r.latent_max_abs_err, 0.5);
  const nlohmann::ordered_json j = r.to_json();
  for (const char* key : {"float_mse", "int8_mse", "ratio", "latent_max_abs_err"}) EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(net.weights_bytes(), 784u * 64 + 64 * 16 + 16 * 64 + 64 * 784 + (64 + 16 + 64 + 784) * 9);
}

}  // namespace
