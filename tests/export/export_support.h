// Shared fixtures of the exporter's tests: checkpoints made on the spot,
// running commands (the tinyae CLI, host and cross compilers), scratch folders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tinyae::test {

namespace fs = std::filesystem;

// The MNIST folder of the source tree; the tests that need it fail (not skip)
// with a hint to run data/fetch_mnist.sh when it is missing.
fs::path mnist_dir();
// Empty string if MNIST is present, else the message to fail with.
std::string mnist_missing_message();

// An empty folder TINYAE_BINARY_DIR/test-export/<name>, removed first if present.
fs::path fresh_dir(const std::string& name);

// Writes a checkpoint of the tutorial-size autoencoder (784-128-64-32),
// seeded; trained for `steps` Adamax steps of batch 64 on the first
// `train_images` MNIST training images when steps > 0, untrained otherwise.
void write_checkpoint(const fs::path& path, std::int64_t steps = 0, std::int64_t train_images = 2048);

struct CommandResult {
  int exit_code = -1;  // the process' exit status; -1 if it did not exit normally
  std::string output;  // stdout and stderr, interleaved
};

// Runs argv (no shell) and captures its output; killed after an hour.
CommandResult run_command(const std::vector<std::string>& argv);
// The same for a /bin/sh command line (arguments made with quoted()).
CommandResult run_command(const std::string& command);

// `path` quoted for /bin/sh.
std::string quoted(const fs::path& path);

// "TINYAE_EXE export <arguments>"
CommandResult run_export(const std::string& arguments);

std::string read_text(const fs::path& path);
void write_text(const fs::path& path, const std::string& text);

// Number of model_*.h files anywhere below `dir` (0 if dir does not exist).
int count_model_headers(const fs::path& dir);

}  // namespace tinyae::test
