// Parity of the exported headers with LibTorch on all 10,000 MNIST test
// images: a small model is trained for a few hundred steps on a MNIST
// subset, exported with the real CLI, and the generated headers are compiled
// for real (with the exported copy of the runtime) into a host program
// (parity_main.c) that runs the encoder on the images, the decoder on
// LibTorch's latent codes and the autoencoder on the images. Every output
// must be within 1e-5 (absolute) of LibTorch's; the weights the program sees
// must be the checkpoint's, bit for bit. A variational model's encoder header
// gives the mean and the log-variance (variational_main.c, and
// variational_int8_main.c against the host reference, bit for bit), and
// eval's negative ELBO at the mean is recomputed from the headers
// (variational_elbo_main.c).
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "export_support.h"
#include "tinyae/checkpoint.h"
#include "tinyae/data.h"

namespace tinyae::test {
namespace {

constexpr double kTolerance = 1e-5;
constexpr std::int64_t kTrainSteps = 300;  // batch 64 on the first 2,048 training images

void write_floats(const fs::path& path, const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.contiguous();
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * 4));
  ASSERT_TRUE(out.good()) << path;
}

std::vector<float> read_floats(const fs::path& path) {
  const std::string bytes = read_text(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

// Largest |runtime - LibTorch| and where: (image, index).
void expect_parity(const std::string& model, const std::vector<float>& runtime, const torch::Tensor& reference) {
  const torch::Tensor ref = reference.contiguous();
  const std::int64_t width = ref.size(1);
  ASSERT_EQ(runtime.size(), static_cast<std::size_t>(ref.numel())) << model << ": wrong number of outputs";
  const float* expected = ref.data_ptr<float>();
  double max_diff = 0;
  std::size_t where = 0;
  for (std::size_t i = 0; i < runtime.size(); ++i) {
    const double diff = std::fabs(static_cast<double>(runtime[i]) - static_cast<double>(expected[i]));
    if (!(diff <= max_diff)) {  // NaN is reported too
      max_diff = diff;
      where = i;
    }
  }
  const auto image = static_cast<std::int64_t>(where) / width, index = static_cast<std::int64_t>(where) % width;
  std::cout << model << ": max abs diff " << max_diff << " at (image " << image << ", index " << index << ") over "
            << ref.size(0) << " images x " << width << " outputs (tolerance " << kTolerance
            << "; LibTorch's outputs reach " << ref.abs().max().item<float>() << ")\n";
  EXPECT_LE(max_diff, kTolerance) << model << " at (image " << image << ", index " << index << "): runtime "
                                  << runtime[where] << ", LibTorch " << expected[where];
}

TEST(ExportParity, RuntimeMatchesLibTorchOnAllTestImages) {
  const std::string missing = mnist_missing_message();
  ASSERT_TRUE(missing.empty()) << missing;
  const fs::path dir = fresh_dir("parity");

  write_checkpoint(dir / "model.safetensors", kTrainSteps);
  const CommandResult exported = run_export("--model " + quoted(dir / "model.safetensors") + " --out " +
                                            quoted(dir / "out") + " --data " + quoted(mnist_dir()) + " --package none");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;

  // LibTorch's side, from the checkpoint file itself.
  Checkpoint checkpoint = load_checkpoint(dir / "model.safetensors");
  Autoencoder& model = checkpoint.model;
  model->eval();
  torch::NoGradGuard no_grad;
  const Mnist mnist = load_mnist(mnist_dir(), 1);
  const torch::Tensor images = mnist.test.images;  // (10000, 784)
  ASSERT_EQ(images.size(0), 10000);
  const torch::Tensor latents = model->encode(images);         // (10000, 32)
  const torch::Tensor decoded = model->decode(latents);        // (10000, 784)
  const torch::Tensor reconstructed = model->forward(images);  // (10000, 784)
  ASSERT_GT(latents.abs().max().item<float>(), 0.1f) << "the trained model's latent codes are all ~0";
  write_floats(dir / "images.bin", images);
  write_floats(dir / "latents.bin", latents);

  // The runtime's side: the generated headers and the exported runtime, compiled for real.
  const fs::path out = dir / "out";
  ASSERT_NO_FATAL_FAILURE(
      compile(TINYAE_TEST_CC, std::string(kStrictC) + " -O2 -I" + quoted(out),
              quoted(fs::path(TINYAE_SOURCE_DIR) / "tests/export/parity_main.c") + " " + runtime_c_files(out) + " -lm",
              dir / "parity"));
  const CommandResult ran = run_command(quoted(dir / "parity") + " " + quoted(dir / "images.bin") + " " +
                                        quoted(dir / "latents.bin") + " 10000 " + quoted(dir));
  ASSERT_EQ(ran.exit_code, 0) << ran.output;

  expect_parity("encoder", read_floats(dir / "encoder.bin"), latents);
  expect_parity("decoder (fed LibTorch's latent codes)", read_floats(dir / "decoder.bin"), decoded);
  expect_parity("autoencoder", read_floats(dir / "autoencoder.bin"), reconstructed);

  // The weights the compiled program holds are the checkpoint's, bit for bit.
  std::vector<float> expected_weights;
  for (const auto& views : {model->encoder_layers(), model->decoder_layers()}) {
    for (const LayerView& view : views) {
      for (const torch::Tensor& t : {view.linear->weight, view.linear->bias}) {
        const torch::Tensor c = t.detach().contiguous();
        expected_weights.insert(expected_weights.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
      }
    }
  }
  const std::vector<float> weights = read_floats(dir / "weights.bin");
  ASSERT_EQ(weights.size(), expected_weights.size());
  ASSERT_EQ(weights.size(), 222384u);
  EXPECT_EQ(std::memcmp(weights.data(), expected_weights.data(), weights.size() * sizeof(float)), 0)
      << "a weight changed on its way through the header text";
}

// The value after `key` in "key value key value ..." text; NaN if absent.
double figure_after(const std::string& text, const std::string& key) {
  const std::size_t at = text.find(key + " ");
  return at == std::string::npos ? std::nan("") : std::strtod(text.c_str() + at + key.size() + 1, nullptr);
}

// eval's deterministic negative ELBO (z = mean) of the checkpoint, recomputed
// from the float32 headers in dir/out alone: variational_elbo_main.c runs
// the compiled runtime on the first kImages test images and sums BCE and KL
// itself; the two agree to float32 summation (1e-5 relative).
void expect_elbo_at_mean_recomputed(const fs::path& dir, const fs::path& checkpoint_path) {
  constexpr std::int64_t kImages = 1000;
  constexpr double kRelativeTolerance = 1e-5;
  const CommandResult eval = run_command(std::string(TINYAE_EXE) + " eval --model " + quoted(checkpoint_path) +
                                         " --data " + quoted(mnist_dir()) + " --test-limit " + std::to_string(kImages) +
                                         " --json --quiet > " + quoted(dir / "eval.json"));
  ASSERT_EQ(eval.exit_code, 0) << eval.output;
  const nlohmann::json report = nlohmann::json::parse(read_text(dir / "eval.json"));
  const nlohmann::json& at_mean = report.at("variational").at("negative_elbo_at_mean");

  write_floats(dir / "test_images.bin", load_mnist(mnist_dir(), 1, kImages).test.images);
  const fs::path out = dir / "out";
  ASSERT_NO_FATAL_FAILURE(compile(TINYAE_TEST_CC, std::string(kStrictC) + " -O2 -I" + quoted(out),
                                  quoted(fs::path(TINYAE_SOURCE_DIR) / "tests/export/variational_elbo_main.c") + " " +
                                      runtime_c_files(out) + " -lm",
                                  dir / "variational_elbo"));
  const CommandResult ran = run_command(quoted(dir / "variational_elbo") + " " + quoted(dir / "test_images.bin") + " " +
                                        std::to_string(kImages));
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  std::cout << "recomputed from the headers: " << ran.output << "eval --json: " << at_mean.dump() << "\n";
  for (const auto& [ours, theirs] : {std::pair{"reconstruction_bce", "reconstruction_bce"}, std::pair{"kl", "kl"},
                                     std::pair{"negative_elbo_at_mean", "value"}}) {
    const double recomputed = figure_after(ran.output, ours);
    const double reported = at_mean.at(theirs).get<double>();
    EXPECT_NEAR(recomputed, reported, kRelativeTolerance * std::fabs(reported)) << theirs;
  }
}

// A variational encoder (tinyae/variational.h): its float32 header's chain
// returns the mean and encoder_logvar() the log-variance, both within
// kTolerance of LibTorch's heads on the golden images; its int8 header's
// equal the host reference's bit for bit.
TEST(ExportParity, VariationalEncoderHeaderHoldsBothHeads) {
  const std::string missing = mnist_missing_message();
  ASSERT_TRUE(missing.empty()) << missing;
  const fs::path dir = fresh_dir("parity-variational");
  constexpr std::int64_t kGolden = 16;

  const fs::path checkpoint_path = train_small_variational(dir / "run");
  const CommandResult exported =
      run_export("--model " + quoted(checkpoint_path) + " --out " + quoted(dir / "out") + " --data " +
                 quoted(mnist_dir()) + " --golden " + std::to_string(kGolden) + " --package none");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;

  const fs::path out = dir / "out";
  ASSERT_NO_FATAL_FAILURE(compile(
      TINYAE_TEST_CC, std::string(kStrictC) + " -O2 -I" + quoted(out),
      quoted(fs::path(TINYAE_SOURCE_DIR) / "tests/export/variational_main.c") + " " + runtime_c_files(out) + " -lm",
      dir / "variational"));
  const CommandResult ran = run_command(quoted(dir / "variational") + " " + quoted(dir));
  ASSERT_EQ(ran.exit_code, 0) << ran.output;
  std::cout << ran.output;

  Checkpoint checkpoint = load_checkpoint(checkpoint_path);
  checkpoint.model->eval();
  torch::NoGradGuard no_grad;
  const Mnist mnist = load_mnist(mnist_dir(), 1, kGolden);
  const AutoencoderImpl::Heads heads = checkpoint.model->encode_heads(mnist.test.images);  // (16, 32) x 2
  ASSERT_GT(heads.logvar.abs().max().item<float>(), 0.01f) << "the log-variance head is all ~0";
  expect_parity("variational encoder: mean", read_floats(dir / "mean.bin"), heads.mean);
  expect_parity("variational encoder: log-variance", read_floats(dir / "logvar.bin"), heads.logvar);
  expect_elbo_at_mean_recomputed(dir, checkpoint_path);

  // int8: the runtime's mean and log-variance equal the host reference's, bit for bit.
  const CommandResult exported_i8 =
      run_export("--model " + quoted(checkpoint_path) + " --out " + quoted(dir / "i8") + " --data " +
                 quoted(mnist_dir()) + " --golden " + std::to_string(kGolden) + " --format int8 --package none");
  ASSERT_EQ(exported_i8.exit_code, 0) << exported_i8.output;
  ASSERT_NO_FATAL_FAILURE(compile(TINYAE_TEST_CC, std::string(kStrictC) + " -O2 -I" + quoted(dir / "i8"),
                                  quoted(fs::path(TINYAE_SOURCE_DIR) / "tests/export/variational_int8_main.c") + " " +
                                      runtime_c_files(dir / "i8", NumberFormat::kInt8) + " -lm",
                                  dir / "variational_i8"));
  const CommandResult ran_i8 = run_command(quoted(dir / "variational_i8"));
  EXPECT_EQ(ran_i8.exit_code, 0) << ran_i8.output;
  std::cout << ran_i8.output;
}

}  // namespace
}  // namespace tinyae::test
