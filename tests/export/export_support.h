// Shared fixtures of the exporter's tests: checkpoints made on the spot,
// running commands (the tinyae CLI, host and cross compilers), scratch folders.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tinyae/number_format.h"

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

// Trains a small variational model (the tutorial's layers, sigmoid output,
// one epoch on the first 2,048 MNIST training images) into run_dir and
// returns its checkpoint.
fs::path train_small_variational(const fs::path& run_dir);

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

// Flags every generated file and the runtime must compile with.
inline constexpr const char* kStrictC = "-std=c99 -Wall -Wextra -Werror -pedantic";
inline constexpr const char* kStrictCxx = "-std=c++17 -Wall -Wextra -Werror -pedantic";
inline constexpr const char* kCortexM4F = "-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16";

// Compiles (and links, unless flags has -c) `sources` with `compiler`; fails
// the calling test with the command and its output.
void compile(const std::string& compiler, const std::string& flags, const std::string& sources, const fs::path& output);

// Builds the example sketch of the Arduino library `lib` (export --arduino)
// on the host as Arduino does: the library's runtime .c files as C with `cc`,
// the sketch as C++ with `cxx` against the shim (tests/export/arduino_shim).
// Returns the program, in `build`.
fs::path build_arduino_sketch(const std::string& cc, const std::string& cxx, const fs::path& lib, const fs::path& build,
                              NumberFormat format);

// The runtime's C files an export in `format` holds in `dir` (the common
// ones and the format's own, from the number-format table), quoted for /bin/sh.
std::string runtime_c_files(const fs::path& dir, NumberFormat format = NumberFormat::kFloat32);

// Number of model_*.h files anywhere below `dir` (0 if dir does not exist).
int count_model_headers(const fs::path& dir);

}  // namespace tinyae::test
