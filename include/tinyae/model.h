// The dense autoencoder: an encoder (input -> hidden... -> latent) and a
// decoder that mirrors it (latent -> reversed hidden... -> input), each a
// stack of torch::nn::Linear layers with an activation after every layer.
// Defaults are the tutorial's: 784-128-64-32 / 32-64-128-784, ReLU
// everywhere (the decoder's output too), Glorot-uniform weights, zero biases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace tinyae {

enum class Activation { kLinear = 0, kRelu = 1, kSigmoid = 2, kTanh = 3 };  // values = runtime's tinyae_activation

std::string activation_name(Activation a);            // "linear", "relu", ...
Activation parse_activation(const std::string& name);  // throws tinyae::Error listing the valid names

struct ModelConfig {
  std::int64_t input_size = 784;
  std::vector<std::int64_t> hidden = {128, 64};  // encoder's hidden sizes; the decoder uses them reversed
  std::int64_t latent_size = 32;
  Activation activation = Activation::kRelu;         // after every layer but the decoder's last
  Activation output_activation = Activation::kRelu;  // after the decoder's last layer

  // Throws tinyae::Error if a size is outside [1, 65535] (the runtime stores sizes in uint16_t).
  void validate() const;
  nlohmann::json to_json() const;
  static ModelConfig from_json(const nlohmann::json& j);  // validates; throws tinyae::Error
};

// One layer as the exporter sees it.
struct LayerView {
  torch::nn::Linear linear;
  Activation activation;
};

class AutoencoderImpl : public torch::nn::Module {
 public:
  explicit AutoencoderImpl(const ModelConfig& config);

  torch::Tensor encode(const torch::Tensor& x);  // (n, input) -> (n, latent)
  torch::Tensor decode(const torch::Tensor& z);  // (n, latent) -> (n, input)
  torch::Tensor forward(const torch::Tensor& x); // decode(encode(x))

  // Glorot-uniform weights, zero biases (Keras' Dense defaults), drawn from
  // torch's global generator: call torch::manual_seed first for repeatability.
  void reset_parameters();

  const ModelConfig& config() const { return config_; }
  std::vector<LayerView> encoder_layers() const;
  std::vector<LayerView> decoder_layers() const;

  torch::nn::Sequential encoder{nullptr};
  torch::nn::Sequential decoder{nullptr};

 private:
  ModelConfig config_;
  std::vector<LayerView> encoder_layers_, decoder_layers_;
};
TORCH_MODULE(Autoencoder);

}  // namespace tinyae
