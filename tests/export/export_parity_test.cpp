// Parity of the exported headers with LibTorch on all 10,000 MNIST test
// images: a small model is trained for a few hundred steps on a MNIST
// subset, exported with the real CLI, and the generated headers are compiled
// for real (with the exported copy of the runtime) into a host program
// (parity_main.c) that runs the encoder on the images, the decoder on
// LibTorch's latent codes and the autoencoder on the images. Every output
// must be within 1e-5 (absolute) of LibTorch's; the weights the program sees
// must be the checkpoint's, bit for bit. A variational model's encoder header
// gives the mean and the log-variance (variational_main.c, and
// variational_int8_main.c against the host reference, bit for bit).
#include <cmath>
#include <cstring>
#include <fstream>
#include <iostream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "export_support.h"
#include "tinyae/checkpoint.h"
#include "tinyae/data.h"
#include "tinyae/train.h"

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
  const std::string compile = std::string(TINYAE_TEST_CC) + " -std=c99 -O2 -Wall -Wextra -Werror -pedantic -I" +
                              quoted(out) + " " + quoted(fs::path(TINYAE_SOURCE_DIR) / "tests/export/parity_main.c") +
                              " " + runtime_c_files(out) + " -lm -o " + quoted(dir / "parity");
  const CommandResult compiled = run_command(compile);
  ASSERT_EQ(compiled.exit_code, 0) << compile << "\n" << compiled.output;
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

// A variational encoder (tinyae/variational.h): its float32 header's chain
// returns the mean and encoder_logvar() the log-variance, both within
// kTolerance of LibTorch's heads on the golden images; its int8 header's
// equal the host reference's bit for bit.
TEST(ExportParity, VariationalEncoderHeaderHoldsBothHeads) {
  const std::string missing = mnist_missing_message();
  ASSERT_TRUE(missing.empty()) << missing;
  const fs::path dir = fresh_dir("parity-variational");
  constexpr std::int64_t kGolden = 16;

  TrainRequest request;
  request.kind.kind = ModelKind::kVariational;
  request.kind.kl_weight = 1;
  request.model.variational = true;
  request.model.output_activation = Activation::kSigmoid;
  request.options.epochs = 1;
  request.options.batch_size = 64;
  request.options.train_limit = 2048;
  request.test_limit = 500;
  request.data.path = mnist_dir();
  request.out_dir = dir / "run";
  request.progress = false;
  request.figures = false;
  train(request);
  const fs::path checkpoint_path = dir / "run" / kCheckpointFile;
  const CommandResult exported =
      run_export("--model " + quoted(checkpoint_path) + " --out " + quoted(dir / "out") + " --data " +
                 quoted(mnist_dir()) + " --golden " + std::to_string(kGolden) + " --package none");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;

  const fs::path out = dir / "out";
  const std::string compile = std::string(TINYAE_TEST_CC) + " -std=c99 -O2 -Wall -Wextra -Werror -pedantic -I" +
                              quoted(out) + " " +
                              quoted(fs::path(TINYAE_SOURCE_DIR) / "tests/export/variational_main.c") + " " +
                              runtime_c_files(out) + " -lm -o " + quoted(dir / "variational");
  const CommandResult compiled = run_command(compile);
  ASSERT_EQ(compiled.exit_code, 0) << compile << "\n" << compiled.output;
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

  // int8: the runtime's mean and log-variance equal the host reference's, bit for bit.
  const CommandResult exported_i8 =
      run_export("--model " + quoted(checkpoint_path) + " --out " + quoted(dir / "i8") + " --data " +
                 quoted(mnist_dir()) + " --golden " + std::to_string(kGolden) + " --format int8 --package none");
  ASSERT_EQ(exported_i8.exit_code, 0) << exported_i8.output;
  const std::string compile_i8 =
      std::string(TINYAE_TEST_CC) + " -std=c99 -O2 -Wall -Wextra -Werror -pedantic -I" + quoted(dir / "i8") + " " +
      quoted(fs::path(TINYAE_SOURCE_DIR) / "tests/export/variational_int8_main.c") + " " +
      runtime_c_files(dir / "i8", NumberFormat::kInt8) + " -lm -o " + quoted(dir / "variational_i8");
  const CommandResult compiled_i8 = run_command(compile_i8);
  ASSERT_EQ(compiled_i8.exit_code, 0) << compile_i8 << "\n" << compiled_i8.output;
  const CommandResult ran_i8 = run_command(quoted(dir / "variational_i8"));
  EXPECT_EQ(ran_i8.exit_code, 0) << ran_i8.output;
  std::cout << ran_i8.output;
}

}  // namespace
}  // namespace tinyae::test
