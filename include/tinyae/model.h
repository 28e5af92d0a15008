// The dense autoencoder: an encoder (input -> hidden... -> latent) and a
// decoder that mirrors it (latent -> reversed hidden... -> input), each a
// stack of torch::nn::Linear layers with an activation after every layer.
// Defaults are the tutorial's: 784-128-64-32 / 32-64-128-784, ReLU
// everywhere (the decoder's output too), Glorot-uniform weights, zero biases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace tinyae {

enum class Activation { kLinear = 0, kRelu = 1, kSigmoid = 2, kTanh = 3 };  // values = runtime's tinyae_activation

// The runtime stores layer sizes in uint16_t; a cap on depth keeps a hostile
// config (or checkpoint) from asking for an absurd number of layers.
inline constexpr std::int64_t kMaxLayerSize = 65535;
inline constexpr std::size_t kMaxHiddenLayers = 64;
// 2^24 weights and biases: 64 MiB as float32, 16 MiB as int8, more than any
// microcontroller's flash; beyond it a typo in --hidden would ask for
// gigabytes (65535 x 65535 is 17 GB) before the first epoch.
inline constexpr std::int64_t kMaxParameters = std::int64_t{1} << 24;

std::string activation_name(Activation a);             // "linear", "relu", ...
Activation parse_activation(const std::string& name);  // throws tinyae::Error listing the valid names

struct ModelConfig {
  std::int64_t input_size = 784;
  std::vector<std::int64_t> hidden = {128, 64};  // encoder's hidden sizes; the decoder uses them reversed
  std::int64_t latent_size = 32;
  Activation activation = Activation::kRelu;         // after every layer but the decoder's last
  Activation output_activation = Activation::kRelu;  // after the decoder's last layer
  // The variational kind's encoder (tinyae/model_kind.h): its last layer is
  // the mean head, linear (a mean and a log-variance range over all reals,
  // which a ReLU would cut at 0), and a second linear head "logvar"
  // (last hidden -> latent) reads the same activations.
  bool variational = false;

  // Throws tinyae::Error if a size is outside [1, kMaxLayerSize], there
  // are more than kMaxHiddenLayers hidden layers, or more than
  // kMaxParameters parameters.
  void validate() const;
  // {"input_size": 784, "hidden": [128, 64], "latent_size": 32,
  //  "activation": "relu", "output_activation": "relu"}, and
  // "variational": true for a variational encoder (absent otherwise, so the
  // other kinds' checkpoints keep their bytes).
  nlohmann::json to_json() const;
  // Every key but "variational" is required and unknown keys are refused (a typo must not fall
  // back to a default silently); validates; throws tinyae::Error whose
  // message starts with `where`.
  static ModelConfig from_json(const nlohmann::json& j, const std::string& where = "model config");

  // Layer widths along the encoder {input, hidden..., latent} and the
  // decoder {latent, reversed hidden..., input} (a variational encoder's
  // last width is that of each head).
  std::vector<std::int64_t> encoder_sizes() const;
  std::vector<std::int64_t> decoder_sizes() const;
  // The names and shapes AutoencoderImpl::named_parameters() will have, in
  // the same order (a variational model's "logvar.weight", "logvar.bias" last), computed without building a model (a
  // checkpoint loader checks a file against them before allocating anything).
  struct ParameterShape {
    std::string name;                 // "encoder.0.weight"
    std::vector<std::int64_t> shape;  // {out, in} for weights, {out} for biases
  };
  std::vector<ParameterShape> parameter_shapes() const;
  // Weights + biases of the whole autoencoder (computed, nothing allocated).
  std::int64_t parameter_count() const;
  // An upper bound of the memory a forward pass without gradients over
  // `rows` images holds, in bytes (float32): the parameters, and per image
  // the input, the widest layer's pre-activation and activation, and the
  // output.
  std::uint64_t inference_memory_bytes(std::int64_t rows) const;
  // "784-128-64-32" (the encoder; the decoder is its mirror).
  std::string describe() const;

  bool operator==(const ModelConfig& other) const;
  bool operator!=(const ModelConfig& other) const { return !(*this == other); }
};

// One layer as the exporter sees it: linear->weight is (out, in) row-major,
// linear->bias is (out).
struct LayerView {
  torch::nn::Linear linear;
  Activation activation;
};

// Submodules "encoder" and "decoder" are torch::nn::Sequential stacks of
// Linear, activation, Linear, activation, ... (an Identity module stands in
// for "linear", so parameter names do not depend on the activation):
// named_parameters() gives "encoder.0.weight", "encoder.0.bias",
// "encoder.2.weight", ..., "decoder.0.weight", ... in that order, then a
// variational model's "logvar.weight", "logvar.bias" (its encoder ends in
// the mean head).
class AutoencoderImpl : public torch::nn::Module {
 public:
  // Validates the config (tinyae::Error) and initialises the weights with
  // reset_parameters().
  explicit AutoencoderImpl(const ModelConfig& config);

  // Inputs must be 2-D float tensors with the right width; anything else is
  // a tinyae::Error naming the expected and the found shape.
  torch::Tensor encode(const torch::Tensor& x);   // (n, input) -> (n, latent); variational: the mean
  torch::Tensor decode(const torch::Tensor& z);   // (n, latent) -> (n, input)
  torch::Tensor forward(const torch::Tensor& x);  // decode(encode(x)), (n, input) -> (n, input)
  // Variational only (tinyae::Error otherwise): both heads of the encoder,
  // (n, input) -> (n, latent) each.
  struct Heads {
    torch::Tensor mean, logvar;
  };
  Heads encode_heads(const torch::Tensor& x);

  // Glorot-uniform weights, zero biases (Keras' Dense defaults), drawn from
  // torch's global generator: call torch::manual_seed first for repeatability.
  void reset_parameters();

  const ModelConfig& config() const { return config_; }
  std::vector<LayerView> encoder_layers() const;
  std::vector<LayerView> decoder_layers() const;
  // The log-variance head (linear; its input is the activations the mean
  // head reads); nullopt unless variational.
  std::optional<LayerView> logvar_layer() const;

  torch::nn::Sequential encoder{nullptr};
  torch::nn::Sequential decoder{nullptr};
  torch::nn::Linear logvar{nullptr};  // variational only: (latent, last hidden)

 private:
  ModelConfig config_;
  std::vector<LayerView> encoder_layers_, decoder_layers_;
};
TORCH_MODULE(Autoencoder);

}  // namespace tinyae
