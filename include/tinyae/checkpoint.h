// Checkpoints: everything a later command needs, in one self-describing file
// (RUN/model.pt). See src/model/checkpoint.cpp for the byte layout: a magic
// number and a format version checked on load, a JSON metadata block, named
// float32 tensors, and a SHA-256 of all that precedes it, so that a truncated
// or foreign file is refused with a clear message before anything is used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tinyae/adamax.h"
#include "tinyae/model.h"

namespace tinyae {

// Training options as recorded in a checkpoint (and as set from the CLI).
struct TrainOptions {
  std::int64_t epochs = 50;
  std::int64_t batch_size = 256;
  double lr = 1e-3;
  std::uint64_t seed = 42;
  int threads = 0;               // 0 = all cores
  std::int64_t train_limit = 0;  // 0 = all 60,000 training images
  // {"epochs", "batch_size", "lr", "seed", "threads", "train_limit"}
  nlohmann::json to_json() const;
  // Every key required, unknown keys refused, ranges checked (epochs >= 0,
  // batch_size >= 1, lr >= 0, threads >= 0, train_limit >= 0); tinyae::Error.
  static TrainOptions from_json(const nlohmann::json& j);
  bool operator==(const TrainOptions& other) const;
  bool operator!=(const TrainOptions& other) const { return !(*this == other); }
};

struct CheckpointMeta {
  ModelConfig model;
  TrainOptions options;
  std::int64_t epoch = 0;     // epochs completed
  std::string data_checksum;  // Mnist::checksum of the data trained on
  std::string tool_version;   // tinyae::kVersion
  std::string torch_version;
  nlohmann::json history = nlohmann::json::array();  // [{epoch, loss, val_loss, seconds}]
  bool operator==(const CheckpointMeta& other) const;
  bool operator!=(const CheckpointMeta& other) const { return !(*this == other); }
};

// Limits checked before anything is allocated.
inline constexpr std::uint64_t kMaxCheckpointBytes = 2ull << 30;       // whole file
inline constexpr std::uint64_t kMaxCheckpointMetaBytes = 64ull << 20;  // JSON block
inline constexpr std::uint32_t kCheckpointFormatVersion = 1;

struct Checkpoint {
  CheckpointMeta meta;
  Autoencoder model{nullptr};
  // Adamax state by name: "exp_avg.<i>" and "exp_inf.<i>" (float32, the shape
  // of parameter i of model->parameters()) for every parameter whose step is
  // > 0; empty if saved without an optimizer.
  std::map<std::string, torch::Tensor> optimizer_state;
  // Adamax step count of each parameter i (0 = no state yet); empty if saved
  // without an optimizer.
  std::vector<std::int64_t> optimizer_steps;
  // The optimizer's options when saved (provenance; restore_optimizer leaves
  // the target optimizer's options alone). Meaningful if has_optimizer().
  AdamaxOptions optimizer_options;
  std::string sha256;  // of the whole file, for provenance in exported headers

  bool has_optimizer() const { return !optimizer_steps.empty(); }
};

// Writes model + optimizer state + meta crash-safely (write_file_atomically).
// meta.model must equal model->config(), and the optimizer's parameters
// must be model->parameters() in order (tinyae::Error otherwise). The
// optimizer may be null (no optimizer state is stored then).
void save_checkpoint(const std::filesystem::path& path, const CheckpointMeta& meta, Autoencoder& model,
                     const Adamax* optimizer);

// The bytes save_checkpoint writes (for tests and fuzz seeds).
std::string serialize_checkpoint(const CheckpointMeta& meta, Autoencoder& model, const Adamax* optimizer);

// Loads and verifies a checkpoint; throws tinyae::Error naming the file and
// the problem (not a tinyae checkpoint, unsupported version, truncated,
// checksum mismatch, bad metadata, missing, duplicate or mis-shaped tensor).
// Loading leaves torch's global random generator as it was.
Checkpoint load_checkpoint(const std::filesystem::path& path);

// The same on bytes already in memory (`name` is used in messages); the
// fuzz target calls this.
Checkpoint parse_checkpoint(std::string_view bytes, std::string_view name);

// Copies checkpoint.optimizer_state into `optimizer`, whose params must be
// checkpoint.model's parameters, in order. Throws tinyae::Error if the
// checkpoint holds no optimizer state or it does not fit.
void restore_optimizer(const Checkpoint& checkpoint, Adamax& optimizer);

}  // namespace tinyae
