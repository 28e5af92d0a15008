// The plain network both directions share: validation, the latent split,
// and the activation table's look-ups.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "onnx_internal.h"
#include "tinyae/common.h"

namespace tinyae {

namespace onnx_detail {

const ActivationOp* find_activation(Activation activation) {
  for (const ActivationOp& row : kActivationOps) {
    if (row.activation == activation) return &row;
  }
  return nullptr;
}

const ActivationOp* find_activation_op(std::string_view op_type) {
  for (const ActivationOp& row : kActivationOps) {
    if (!row.op_type.empty() && row.op_type == op_type) return &row;
  }
  return nullptr;
}

std::string describe_layer(std::size_t index, const DenseLayer& layer) {
  return "layer " + std::to_string(index) + " (" + std::to_string(layer.in_size) + " -> " +
         std::to_string(layer.out_size) + ")";
}

}  // namespace onnx_detail

using onnx_detail::describe_layer;

bool DenseLayer::operator==(const DenseLayer& other) const {
  return in_size == other.in_size && out_size == other.out_size && activation == other.activation &&
         weights == other.weights && bias == other.bias;
}

std::vector<DenseLayer> DenseNetwork::encoder() const {
  const std::size_t k = std::min(encoder_layer_count, layers.size());
  return {layers.begin(), layers.begin() + static_cast<std::ptrdiff_t>(k)};
}

std::vector<DenseLayer> DenseNetwork::decoder() const {
  const std::size_t k = std::min(encoder_layer_count, layers.size());
  return {layers.begin() + static_cast<std::ptrdiff_t>(k), layers.end()};
}

void validate_dense_layers(const std::vector<DenseLayer>& layers, const std::string& what) {
  if (layers.empty()) throw Error(what + ": the network has no layers");
  std::int64_t parameters = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const DenseLayer& layer = layers[i];
    const std::string where = what + ": " + describe_layer(i, layer);
    for (const std::int64_t size : {layer.in_size, layer.out_size}) {
      if (size < 1 || size > kOnnxMaxLayerSize) {
        throw Error(where + ": sizes must be in [1, " + std::to_string(kOnnxMaxLayerSize) + "]");
      }
    }
    if (i > 0 && layer.in_size != layers[i - 1].out_size) {
      throw Error(where + ": takes " + std::to_string(layer.in_size) + " inputs but the layer before gives " +
                  std::to_string(layers[i - 1].out_size));
    }
    // Sizes are at most 65535, so the product fits int64.
    parameters += layer.in_size * layer.out_size + layer.out_size;
    if (parameters > kOnnxMaxParameters) {
      throw Error(where + ": the network has more than " + std::to_string(kOnnxMaxParameters) +
                  " weights and biases, tinyae's limit");
    }
    if (layer.weights.size() != static_cast<std::size_t>(layer.in_size * layer.out_size) ||
        layer.bias.size() != static_cast<std::size_t>(layer.out_size)) {
      throw Error(where + ": expected " + std::to_string(layer.in_size * layer.out_size) + " weights and " +
                  std::to_string(layer.out_size) + " biases, found " + std::to_string(layer.weights.size()) + " and " +
                  std::to_string(layer.bias.size()));
    }
    const auto not_finite = [](float v) { return !std::isfinite(v); };
    if (std::any_of(layer.weights.begin(), layer.weights.end(), not_finite) ||
        std::any_of(layer.bias.begin(), layer.bias.end(), not_finite)) {
      throw Error(where + ": a weight or bias is NaN or infinite");
    }
    if (onnx_detail::find_activation(layer.activation) == nullptr) {
      throw Error(where + ": unknown activation " + std::to_string(static_cast<int>(layer.activation)));
    }
  }
}

std::size_t latent_split(const std::vector<DenseLayer>& layers) {
  const std::size_t n = layers.size();
  if (n < 2) return n;
  std::size_t best = 1;
  const auto distance_to_middle = [n](std::size_t k) {
    return std::llabs(2 * static_cast<long long>(k) - static_cast<long long>(n));
  };
  for (std::size_t k = 2; k < n; ++k) {
    const std::int64_t width = layers[k - 1].out_size, best_width = layers[best - 1].out_size;
    if (width < best_width || (width == best_width && distance_to_middle(k) < distance_to_middle(best))) best = k;
  }
  return best;
}

}  // namespace tinyae
