// fake_export.h - writes a folder in the format of `tinyae export`
// (model_<name>.h, manifest.json, footprint.json, copies of the runtime) for
// a dense float32 network with random weights, so the runtime, firmware and
// deploy can be tested and benchmarked without a trained checkpoint. The
// headers come from the exporter's own float32 header writer; only the
// weights and the golden outputs (a double-precision forward pass rounded to
// float) are made here.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tinyae::test {

struct FakeModel {
  std::string name;              // also the symbol prefix
  std::vector<int> sizes;        // layer widths, e.g. {784, 128, 64, 32}
  std::vector<int> activations;  // one tinyae_activation per layer
};

struct FakeExportOptions {
  int golden_count = 2;
  std::uint32_t seed = 1;
  // Added to golden output [0][0] of every model: a deliberately wrong golden
  // value makes the firmware report a mismatch.
  double golden_error = 0.0;
};

// The tutorial's shapes: encoder 784-128-64-32, decoder 32-64-128-784 and the
// autoencoder 784-128-64-32-64-128-784, ReLU everywhere.
std::vector<FakeModel> tutorial_models();

// Writes DIR (created if needed). The runtime files are copied from runtime_dir.
void write_fake_export(const std::filesystem::path& dir, const std::vector<FakeModel>& models,
                       const FakeExportOptions& options, const std::filesystem::path& runtime_dir);

}  // namespace tinyae::test
