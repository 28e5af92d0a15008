// Shared fixtures of the exporter's tests (see export_support.h).
#include "export_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tinyae/adamax.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/process.h"
#include "tinyae/train.h"

namespace tinyae::test {

// Longer than any test takes; a child that hangs is still ended.
constexpr double kCommandTimeoutSeconds = 3600;

fs::path mnist_dir() { return fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist"; }

std::string mnist_missing_message() {
  for (const char* name :
       {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    const fs::path raw = mnist_dir() / name;
    if (!fs::exists(raw) && !fs::exists(fs::path(raw.string() + ".gz"))) {
      return "MNIST is missing (" + raw.string() + " not found): run data/fetch_mnist.sh first";
    }
  }
  return "";
}

// CTest runs every TEST in its own process, several at once: each process
// gets its own folders (suffixed with its pid), removed when it exits.
fs::path fresh_dir(const std::string& name) {
  static std::vector<fs::path> created;
  if (created.empty()) {
    std::atexit([] {
      std::error_code ignored;
      for (const fs::path& dir : created) fs::remove_all(dir, ignored);
    });
  }
  const fs::path dir = fs::path(TINYAE_BINARY_DIR) / "test-export" / (name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  created.push_back(dir);
  return dir;
}

void write_checkpoint(const fs::path& path, std::int64_t steps, std::int64_t train_images) {
  constexpr std::uint64_t kSeed = 7;
  constexpr std::int64_t kBatch = 64;
  torch::manual_seed(kSeed);
  CheckpointMeta meta;  // the tutorial's model: 784-128-64-32, ReLU everywhere
  meta.options.seed = kSeed;
  meta.options.batch_size = kBatch;
  meta.tool_version = kVersion;
  meta.torch_version = TORCH_VERSION;
  Autoencoder model(meta.model);
  Adamax optimizer(model->parameters(), AdamaxOptions(1e-3));
  if (steps > 0) {
    const Mnist mnist = load_mnist(mnist_dir(), train_images, 1);
    meta.data_checksum = mnist.checksum;
    meta.options.train_limit = train_images;
    const torch::Tensor& images = mnist.train.images;  // (train_images, 784)
    const std::int64_t batches = images.size(0) / kBatch;
    model->train();
    for (std::int64_t step = 0; step < steps; ++step) {
      const std::int64_t b = step % batches;
      const torch::Tensor x = images.slice(0, b * kBatch, (b + 1) * kBatch);
      optimizer.zero_grad();
      const torch::Tensor loss = torch::mse_loss(model->forward(x), x);
      loss.backward();
      optimizer.step();
    }
    meta.epoch = steps / batches;
  }
  save_checkpoint(path, meta, model, steps > 0 ? &optimizer : nullptr);
}

fs::path train_small_variational(const fs::path& run_dir) {
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
  request.out_dir = run_dir;
  request.progress = false;
  request.figures = false;
  train(request);
  return run_dir / kCheckpointFile;
}

CommandResult run_command(const std::vector<std::string>& argv) {
  ProcessOptions options;
  options.merge_stderr = true;
  options.timeout_seconds = kCommandTimeoutSeconds;
  const ProcessResult r = run_process(argv, options);
  return {r.exited ? r.exit_code : -1, r.out};
}

CommandResult run_command(const std::string& command) { return run_command({"/bin/sh", "-c", command}); }

std::string quoted(const fs::path& path) {
  std::string out = "'";
  for (char c : path.string()) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

CommandResult run_export(const std::string& arguments) {
  return run_command(quoted(TINYAE_EXE) + " export " + arguments);
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

int count_model_headers(const fs::path& dir) {
  if (!fs::exists(dir)) return 0;
  int count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("model_", 0) == 0 && entry.path().extension() == ".h") ++count;
  }
  return count;
}

std::string runtime_c_files(const fs::path& dir, NumberFormat format) {
  std::string files;
  for (const std::string& name : runtime_files(number_format_info(format))) {
    if (fs::path(name).extension() == ".c") files += (files.empty() ? "" : " ") + quoted(dir / name);
  }
  return files;
}

void compile(const std::string& compiler, const std::string& flags, const std::string& sources,
             const fs::path& output) {
  const std::string command = compiler + " " + flags + " " + sources + " -o " + quoted(output);
  const CommandResult r = run_command(command);
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.output;
}

fs::path build_arduino_sketch(const std::string& cc, const std::string& cxx, const fs::path& lib, const fs::path& build,
                              NumberFormat format) {
  const fs::path shim = fs::path(TINYAE_SOURCE_DIR) / "tests" / "export" / "arduino_shim";
  fs::create_directories(build);
  std::string objects;
  for (const std::string& name : runtime_files(number_format_info(format))) {
    if (fs::path(name).extension() != ".c") continue;
    const fs::path object = build / fs::path(name).replace_extension(".o");
    compile(cc, std::string(kStrictC) + " -O2 -c -I" + quoted(lib / "src"), quoted(lib / "src" / name), object);
    objects += " " + quoted(object);
  }
  compile(cxx, std::string(kStrictCxx) + " -O2 -I" + quoted(shim) + " -I" + quoted(lib / "src"),
          "-x c++ " + quoted(lib / "examples/tinyae_autoencoder/tinyae_autoencoder.ino") + " -x none " +
              quoted(shim / "arduino_main.cpp") + objects + " -lm",
          build / "sketch");
  return build / "sketch";
}

}  // namespace tinyae::test
