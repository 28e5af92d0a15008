// What export and import share: the one table of activations and the ONNX
// operators that compute them, and the names messages use.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tinyae.h"  // tinyae_activation: the values of tinyae::Activation
#include "tinyae/onnx.h"

namespace tinyae::onnx_detail {

struct ActivationOp {
  Activation activation;
  std::string_view op_type;  // "" for linear: no node
  std::string_view name;     // as activation_name() prints it
};

inline constexpr ActivationOp kActivationOps[] = {
    {static_cast<Activation>(TINYAE_ACT_LINEAR), "", "linear"},
    {static_cast<Activation>(TINYAE_ACT_RELU), "Relu", "relu"},
    {static_cast<Activation>(TINYAE_ACT_SIGMOID), "Sigmoid", "sigmoid"},
    {static_cast<Activation>(TINYAE_ACT_TANH), "Tanh", "tanh"},
};
static_assert(sizeof(kActivationOps) / sizeof(kActivationOps[0]) == TINYAE_ACT_COUNT, "one row per runtime activation");

// The row of `activation`, or nullptr for a value outside the enum.
const ActivationOp* find_activation(Activation activation);
// The row whose op_type is `op_type` (not linear), or nullptr.
const ActivationOp* find_activation_op(std::string_view op_type);

// "layer 2 (12 -> 6)" for messages.
std::string describe_layer(std::size_t index, const DenseLayer& layer);

}  // namespace tinyae::onnx_detail
