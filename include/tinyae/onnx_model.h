// From an imported ONNX network to a tinyae model: the ModelConfig that holds
// it exactly, the Autoencoder with its weights, and the checkpoint
// `tinyae import --onnx model.onnx --out RUN` writes. Apart from tinyae::onnx
// because it needs LibTorch (tinyae/model.h, tinyae/checkpoint.h).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "tinyae/data_source.h"
#include "tinyae/model.h"
#include "tinyae/onnx.h"

namespace tinyae {

struct OnnxImport {
  DenseNetwork network;  // as read_onnx returned it
  ModelConfig config;    // the tinyae model that holds `network` exactly
};

// The ModelConfig of `network`, or a tinyae::Error naming the layer that a
// tinyae autoencoder cannot hold. A tinyae autoencoder has an even number of
// layers 2m, split at m (network.encoder_layer_count must be m), sizes that
// mirror around the latent (layer i's in_size is layer 2m-1-i's out_size),
// one activation after every layer but the last, and its own activation after
// the last. The config is validated (ModelConfig::validate).
ModelConfig model_config_for(const DenseNetwork& network, const std::string& source);

// read_onnx(onnx_path) and model_config_for; throws tinyae::Error.
OnnxImport import_onnx_checkpoint(const std::filesystem::path& onnx_path);

// An Autoencoder built from `imported.config` with the network's weights and
// biases copied in (bit for bit), ready for a checkpoint.
Autoencoder autoencoder_from_onnx(const OnnxImport& imported);

struct ImportOptions {
  std::filesystem::path onnx_path;  // model.onnx
  std::filesystem::path out_dir;    // RUN: receives RUN/model.safetensors
  // The data the model reads, recorded in the checkpoint as train records
  // it: eval, export and deploy then need no --data. Its scaling is fitted
  // as train fits it (MNIST: pixel / 255; CSV: on the training split), so
  // the ONNX model must expect inputs scaled that way. None: the checkpoint
  // records no data, and eval and export (but for --golden 0 and ONNX)
  // need --data (an MNIST folder: a CSV file needs the columns recorded).
  std::optional<DataSpec> data;
};

struct ImportResult {
  std::filesystem::path checkpoint;  // RUN/model.safetensors
  ModelConfig config;
  std::string data;  // DataSpec::describe(), or "" without data
};

// Reads and checks the ONNX file and the data (sizes must agree) before
// anything is created, then writes RUN/model.safetensors (epoch 0, no
// history, no optimizer state) crash-safely. Refuses an --out that is a file
// or already holds a checkpoint. Throws tinyae::Error; nothing is written then
// (RUN is removed again if this call created it).
ImportResult import_onnx(const ImportOptions& options);

}  // namespace tinyae
