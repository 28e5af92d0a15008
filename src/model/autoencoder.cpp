// The dense autoencoder module and its configuration.
//
// The encoder is Linear(input, h0), act, Linear(h0, h1), act, ...,
// Linear(h_last, latent), act; the decoder is the mirror image with
// output_activation after its last layer. A variational encoder ends in the
// linear mean head, beside the linear log-variance head "logvar" (drawn
// last at initialisation, so the other layers get the draws they get in a
// model without it). Weights are Glorot-uniform and
// biases zero, as Keras' Dense layers, drawn from torch's global generator so
// that torch::manual_seed makes a model repeatable.
#include <algorithm>
#include <cmath>
#include <sstream>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"
#include "tinyae/model.h"

namespace tinyae {
namespace {

struct ActivationName {
  Activation activation;
  const char* name;
};
constexpr ActivationName kActivationNames[] = {
    {Activation::kLinear, "linear"},
    {Activation::kRelu, "relu"},
    {Activation::kSigmoid, "sigmoid"},
    {Activation::kTanh, "tanh"},
};

std::string valid_activation_names() {
  std::string names;
  for (const auto& entry : kActivationNames) {
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return names;
}

// One activation module per Activation; "linear" is an Identity so that every
// layer occupies two Sequential slots whatever the activation.
torch::nn::AnyModule make_activation(Activation a) {
  switch (a) {
    case Activation::kLinear:
      return torch::nn::AnyModule(torch::nn::Identity());
    case Activation::kRelu:
      return torch::nn::AnyModule(torch::nn::ReLU());
    case Activation::kSigmoid:
      return torch::nn::AnyModule(torch::nn::Sigmoid());
    case Activation::kTanh:
      return torch::nn::AnyModule(torch::nn::Tanh());
  }
  throw Error("unknown activation value " + std::to_string(static_cast<int>(a)));
}

void check_size(const char* what, std::int64_t size) {
  if (size < 1 || size > kMaxLayerSize) {
    throw Error("model config: " + std::string(what) + " must be in [1, " + std::to_string(kMaxLayerSize) +
                "] (the runtime stores sizes in uint16_t), found " + std::to_string(size));
  }
}

// Every layer takes two Sequential slots: the Linear, then its activation.
constexpr std::size_t kSlotsPerLayer = 2;

// Builds Linear+activation pairs along `sizes` into a Sequential; returns
// the views of the layers it added.
std::vector<LayerView> build_stack(torch::nn::Sequential& stack, const std::vector<std::int64_t>& sizes,
                                   Activation hidden_activation, Activation last_activation) {
  std::vector<LayerView> layers;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    const bool last = i + 2 == sizes.size();
    const Activation act = last ? last_activation : hidden_activation;
    torch::nn::Linear linear(torch::nn::LinearOptions(sizes[i], sizes[i + 1]).bias(true));
    stack->push_back(linear);
    stack->push_back(make_activation(act));
    layers.push_back(LayerView{linear, act});
  }
  return layers;
}

void check_input(const torch::Tensor& x, std::int64_t width, const char* what) {
  if (!x.defined() || x.dim() != 2 || x.size(1) != width || x.scalar_type() != torch::kFloat32) {
    std::ostringstream found;
    if (!x.defined()) {
      found << "an undefined tensor";
    } else {
      found << x.sizes() << " " << x.scalar_type();
    }
    throw Error(std::string(what) + ": expected a (n, " + std::to_string(width) + ") float32 tensor, found " +
                found.str());
  }
}

}  // namespace

std::string activation_name(Activation a) {
  for (const auto& entry : kActivationNames) {
    if (entry.activation == a) return entry.name;
  }
  throw Error("unknown activation value " + std::to_string(static_cast<int>(a)));
}

Activation parse_activation(const std::string& name) {
  for (const auto& entry : kActivationNames) {
    if (name == entry.name) return entry.activation;
  }
  throw Error("unknown activation \"" + name + "\"; valid names: " + valid_activation_names());
}

void ModelConfig::validate() const {
  check_size("input_size", input_size);
  check_size("latent_size", latent_size);
  if (hidden.size() > kMaxHiddenLayers) {
    throw Error("model config: at most " + std::to_string(kMaxHiddenLayers) + " hidden layers, found " +
                std::to_string(hidden.size()));
  }
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    check_size(("hidden[" + std::to_string(i) + "]").c_str(), hidden[i]);
  }
  activation_name(activation);  // throws on a value outside the enum
  if (variational && hidden.empty()) {
    throw Error("model config: a variational encoder needs a hidden layer (its two heads read the last one)");
  }
  activation_name(output_activation);
  // Sizes are checked above: the count fits easily in int64 (< 2^39).
  const std::int64_t parameters = parameter_count();
  if (parameters > kMaxParameters) {
    throw Error("model config: " + std::to_string(parameters) + " parameters, more than the " +
                std::to_string(kMaxParameters) + " tinyae accepts (64 MiB of float32 weights); use smaller layers");
  }
}

nlohmann::json ModelConfig::to_json() const {
  nlohmann::json j{{"input_size", input_size},
                   {"hidden", hidden},
                   {"latent_size", latent_size},
                   {"activation", activation_name(activation)},
                   {"output_activation", activation_name(output_activation)}};
  if (variational) j["variational"] = true;
  return j;
}

ModelConfig ModelConfig::from_json(const nlohmann::json& j, const std::string& where) {
  const JsonObject object(j, where);
  object.refuse_unknown_keys({"input_size", "hidden", "latent_size", "activation", "output_activation", "variational"});
  const auto activation = [&object](const char* key) {
    const std::string name = object.string(key);
    try {
      return parse_activation(name);
    } catch (const Error& e) {
      throw Error(object.where() + ": " + key + ": " + e.what());
    }
  };
  ModelConfig config;
  config.input_size = object.integer("input_size", 1, kMaxLayerSize);
  config.latent_size = object.integer("latent_size", 1, kMaxLayerSize);
  const nlohmann::json& hidden = object.array("hidden");
  if (hidden.size() > kMaxHiddenLayers) {
    throw Error(where + ": at most " + std::to_string(kMaxHiddenLayers) + " hidden layers, found " +
                std::to_string(hidden.size()));
  }
  config.hidden.clear();
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    config.hidden.push_back(json_integer(hidden[i], where + ".hidden[" + std::to_string(i) + "]", 1, kMaxLayerSize));
  }
  config.activation = activation("activation");
  config.output_activation = activation("output_activation");
  config.variational = object.has("variational") && object.boolean("variational");
  try {
    config.validate();
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return config;
}

std::vector<std::int64_t> ModelConfig::encoder_sizes() const {
  std::vector<std::int64_t> sizes{input_size};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(latent_size);
  return sizes;
}

std::vector<std::int64_t> ModelConfig::decoder_sizes() const {
  const auto encoder = encoder_sizes();
  return {encoder.rbegin(), encoder.rend()};
}

std::vector<ModelConfig::ParameterShape> ModelConfig::parameter_shapes() const {
  std::vector<ParameterShape> shapes;
  const std::pair<const char*, std::vector<std::int64_t>> stacks[] = {{"encoder", encoder_sizes()},
                                                                      {"decoder", decoder_sizes()}};
  for (const auto& [stack, sizes] : stacks) {
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
      // Layer i sits in Sequential slot kSlotsPerLayer * i (see build_stack).
      const std::string prefix = std::string(stack) + "." + std::to_string(kSlotsPerLayer * i) + ".";
      shapes.push_back({prefix + "weight", {sizes[i + 1], sizes[i]}});
      shapes.push_back({prefix + "bias", {sizes[i + 1]}});
    }
  }
  if (variational) {
    const auto encoder = encoder_sizes();
    shapes.push_back({"logvar.weight", {latent_size, encoder[encoder.size() - 2]}});
    shapes.push_back({"logvar.bias", {latent_size}});
  }
  return shapes;
}

std::uint64_t ModelConfig::inference_memory_bytes(std::int64_t rows) const {
  const auto sizes = encoder_sizes();
  const auto widest = static_cast<std::uint64_t>(*std::max_element(sizes.begin(), sizes.end()));
  const auto per_image = 2 * static_cast<std::uint64_t>(input_size) + 2 * widest;
  return sizeof(float) * (static_cast<std::uint64_t>(parameter_count()) + static_cast<std::uint64_t>(rows) * per_image);
}

std::int64_t ModelConfig::parameter_count() const {
  std::int64_t count = 0;
  for (const auto& parameter : parameter_shapes()) {
    std::int64_t elements = 1;
    for (const auto size : parameter.shape) elements *= size;
    count += elements;
  }
  return count;
}

std::string ModelConfig::describe() const {
  std::string text;
  for (const auto size : encoder_sizes()) text += (text.empty() ? "" : "-") + std::to_string(size);
  return text;
}

bool ModelConfig::operator==(const ModelConfig& other) const {
  return input_size == other.input_size && hidden == other.hidden && latent_size == other.latent_size &&
         activation == other.activation && output_activation == other.output_activation &&
         variational == other.variational;
}

AutoencoderImpl::AutoencoderImpl(const ModelConfig& config) : config_(config) {
  config_.validate();
  encoder = register_module("encoder", torch::nn::Sequential());
  decoder = register_module("decoder", torch::nn::Sequential());
  const Activation latent_activation = config_.variational ? Activation::kLinear : config_.activation;
  encoder_layers_ = build_stack(encoder, config_.encoder_sizes(), config_.activation, latent_activation);
  decoder_layers_ = build_stack(decoder, config_.decoder_sizes(), config_.activation, config_.output_activation);
  if (config_.variational) {
    const auto sizes = config_.encoder_sizes();
    logvar = register_module("logvar", torch::nn::Linear(sizes[sizes.size() - 2], config_.latent_size));
  }
  reset_parameters();
}

void AutoencoderImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  // Encoder layers first, then decoder layers, each weight before its bias:
  // this order fixes which random numbers each layer gets for a given seed.
  std::vector<LayerView> logvar_layers;
  if (config_.variational) logvar_layers.push_back(*logvar_layer());
  for (const auto* layers : {&encoder_layers_, &decoder_layers_, &logvar_layers}) {
    for (const auto& layer : *layers) {
      auto& weight = layer.linear->weight;  // (out, in)
      const double fan_in = static_cast<double>(weight.size(1));
      const double fan_out = static_cast<double>(weight.size(0));
      const double limit = std::sqrt(6.0 / (fan_in + fan_out));
      weight.uniform_(-limit, limit);
      layer.linear->bias.zero_();  // (out)
    }
  }
}

torch::Tensor AutoencoderImpl::encode(const torch::Tensor& x) {
  check_input(x, config_.input_size, "Autoencoder::encode");
  return encoder->forward(x);
}

torch::Tensor AutoencoderImpl::decode(const torch::Tensor& z) {
  check_input(z, config_.latent_size, "Autoencoder::decode");
  return decoder->forward(z);
}

torch::Tensor AutoencoderImpl::forward(const torch::Tensor& x) { return decode(encode(x)); }

std::vector<LayerView> AutoencoderImpl::encoder_layers() const { return encoder_layers_; }
AutoencoderImpl::Heads AutoencoderImpl::encode_heads(const torch::Tensor& x) {
  check_input(x, config_.input_size, "Autoencoder::encode_heads");
  if (!config_.variational) throw Error("Autoencoder::encode_heads: the model is not variational");
  // The encoder's slots up to the mean head: the activations both heads read.
  const std::size_t hidden_slots = kSlotsPerLayer * (encoder_layers_.size() - 1);
  torch::Tensor hidden = x;  // (n, width)
  std::size_t slot = 0;
  for (auto& module : *encoder) {
    if (slot++ == hidden_slots) break;
    hidden = module.forward(hidden);
  }
  return {encoder_layers_.back().linear->forward(hidden), logvar->forward(hidden)};
}

std::vector<LayerView> AutoencoderImpl::decoder_layers() const { return decoder_layers_; }

std::optional<LayerView> AutoencoderImpl::logvar_layer() const {
  if (!config_.variational) return std::nullopt;
  return LayerView{logvar, Activation::kLinear};
}

}  // namespace tinyae
