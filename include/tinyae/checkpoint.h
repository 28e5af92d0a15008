// Checkpoints: everything a later command needs, in one file (RUN/model.safetensors)
// in the safetensors layout (include/tinyae/safetensors.h), so that Python's
// safetensors.numpy.load_file, or any other safetensors reader, opens it:
//
//   tensors      "encoder.0.weight", "encoder.0.bias", ... F32, LibTorch's names and shapes
//                "optimizer.exp_avg.<i>", "optimizer.exp_inf.<i>"  F32, Adamax's state of
//                parameter i (in model->parameters() order) for every i whose step is > 0
//   __metadata__ "tinyae":         the run's metadata as a JSON string (src/train/checkpoint_meta.cpp):
//                                  format_version, model, kind, train_options, data, input_scaling, epoch,
//                                  data_checksum, tool_version, torch_version, history,
//                                  optimizer (options, steps)
//                "tensors_sha256": SHA-256 (hex) of every tensor byte, in file order
//
// A truncated, foreign or corrupted file, or one of tinyae's earlier format,
// is refused with a message naming the file and what was expected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

#include "tinyae/adamax.h"
#include "tinyae/data_source.h"
#include "tinyae/model.h"
#include "tinyae/model_kind.h"
#include "tinyae/train_options.h"

namespace tinyae {

struct CheckpointMeta {
  ModelConfig model;
  KindOptions kind;  // what training minimises (format 2 and 3 checkpoints: vanilla)
  TrainOptions options;
  DataSpec data;                            // what it trains on (format 2 checkpoints: MNIST, path unknown)
  Scaling input_scaling = mnist_scaling();  // raw readings -> model input, fitted on the training split
  std::int64_t epoch = 0;                   // epochs completed
  std::string data_checksum;                // ModelData::checksum of the data trained on
  std::string tool_version;                 // tinyae::kVersion
  std::string torch_version;
  std::vector<EpochResult> history;  // one row per completed epoch, numbered from 1
  bool operator==(const CheckpointMeta& other) const;
  bool operator!=(const CheckpointMeta& other) const { return !(*this == other); }
};

// Whole files above this are refused before they are read.
inline constexpr std::uint64_t kMaxCheckpointBytes = 2ull << 30;
// The "format_version" this tinyae writes; it also reads format 3 (no
// "kind": vanilla) and format 2 (vanilla on MNIST: no "kind", "data" and
// "input_scaling" keys).
inline constexpr std::int64_t kCheckpointFormatVersion = 4;
inline constexpr std::int64_t kOldestCheckpointFormatVersion = 2;

struct Checkpoint {
  CheckpointMeta meta;
  Autoencoder model{nullptr};
  // Adamax state by tensor name: "optimizer.exp_avg.<i>" and
  // "optimizer.exp_inf.<i>" (float32, the shape of parameter i of
  // model->parameters()) for every parameter whose step is > 0; empty if
  // saved without an optimizer.
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

// The names of parameter i's Adamax state tensors in a checkpoint.
std::string exp_avg_tensor_name(std::size_t i);
std::string exp_inf_tensor_name(std::size_t i);

// Writes model + optimizer state + meta crash-safely (write_file_atomically).
// meta.model must equal model->config(), and the optimizer's parameters
// must be model->parameters() in order (tinyae::Error otherwise). The
// optimizer may be null (no optimizer state is stored then).
void save_checkpoint(const std::filesystem::path& path, const CheckpointMeta& meta, Autoencoder& model,
                     const Adamax* optimizer);

// The bytes save_checkpoint writes (for tests and fuzz seeds).
std::string serialize_checkpoint(const CheckpointMeta& meta, Autoencoder& model, const Adamax* optimizer);

// Loads and verifies a checkpoint; throws tinyae::Error naming the file and
// the problem (not a safetensors file, an earlier tinyae format, truncated,
// checksum mismatch, bad metadata, missing, unexpected or mis-shaped tensor).
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
