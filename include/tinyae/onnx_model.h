// From an imported ONNX network to a tinyae model: the ModelConfig that holds
// it exactly, and the Autoencoder with its weights. This is what
// `tinyae import --onnx model.onnx --out run/` calls before it writes the
// checkpoint (the command and the checkpoint writing are not wired here).
// Apart from tinyae::onnx because it needs LibTorch (tinyae/model.h).
#pragma once

#include <filesystem>

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

}  // namespace tinyae
