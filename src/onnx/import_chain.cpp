// Import: the walk along the chain. From the graph's input, each step takes
// the one node that reads the chain's tensor and folds it into the layers:
// Gemm or MatMul opens a layer, Add gives a MatMul its bias, Relu, Sigmoid or
// Tanh closes it, Identity passes through. A tensor read by two nodes (a
// branch), a node reached twice (a cycle) or never (off the chain) is refused.
#include "import_internal.h"
#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae::onnx_detail {
namespace {

// The layer under construction: what may come next.
enum class Stage { kNone, kMatMul, kAffine, kActivated };

struct Chain {
  const Initializers& initializers;
  std::string tensor;  // the chain's tensor, (batch, features)
  std::int64_t features = 0;
  Stage stage = Stage::kNone;
  std::vector<DenseLayer> layers;
};

const onnx::TensorProto& initializer(const Chain& chain, const onnx::NodeProto& node, int input,
                                     const std::string& label, const char* role) {
  const auto it = input < node.input_size() ? chain.initializers.find(node.input(input)) : chain.initializers.end();
  if (it == chain.initializers.end()) {
    throw Error(label + ": its " + role + " must be an initializer (a constant weight tensor)");
  }
  return *it->second;
}

// `values` (rows, cols) row-major, transposed to (cols, rows).
std::vector<float> transposed(const std::vector<float>& values, std::int64_t rows, std::int64_t cols) {
  std::vector<float> out(values.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}

// Opens a layer from a weight initializer of shape (out, in) if
// `out_by_in`, else (in, out) (MatMul's, or Gemm's with transB = 0).
void open_layer(Chain& chain, const onnx::TensorProto& weight, bool out_by_in, const std::string& label) {
  const int in_dim = out_by_in ? 1 : 0;
  if (weight.dims_size() != 2 || weight.dims(in_dim) != chain.features) {
    throw Error(label + ": weight '" + printable(weight.name()) + "' has shape " + describe_dims(weight) +
                ", expected " +
                (out_by_in ? "(out, " + std::to_string(chain.features) + ")"
                           : "(" + std::to_string(chain.features) + ", out)"));
  }
  DenseLayer layer;
  layer.in_size = chain.features;
  layer.out_size = weight.dims(1 - in_dim);
  layer.weights = out_by_in ? float_values(weight) : transposed(float_values(weight), layer.in_size, layer.out_size);
  layer.bias.assign(static_cast<std::size_t>(layer.out_size), 0.0f);
  chain.features = layer.out_size;
  chain.layers.push_back(std::move(layer));
}

void set_bias(Chain& chain, const onnx::TensorProto& bias, const std::string& label) {
  const std::int64_t out = chain.layers.back().out_size;
  const bool fits = (bias.dims_size() == 1 && bias.dims(0) == out) ||
                    (bias.dims_size() == 2 && bias.dims(0) == 1 && bias.dims(1) == out);
  if (!fits) {
    throw Error(label + ": bias '" + printable(bias.name()) + "' has shape " + describe_dims(bias) + ", expected (" +
                std::to_string(out) + ")");
  }
  chain.layers.back().bias = float_values(bias);
}

void check_gemm_attributes(const onnx::NodeProto& node, const std::string& label, bool& trans_b) {
  trans_b = false;
  for (const onnx::AttributeProto& attribute : node.attribute()) {
    const std::string& name = attribute.name();
    const bool is_float = attribute.type() == onnx::AttributeProto::FLOAT;
    const bool is_int = attribute.type() == onnx::AttributeProto::INT;
    if ((name == "alpha" || name == "beta") && is_float && attribute.f() == 1.0f) continue;
    if (name == "transA" && is_int && attribute.i() == 0) continue;
    if (name == "transB" && is_int && (attribute.i() == 0 || attribute.i() == 1)) {
      trans_b = attribute.i() == 1;
      continue;
    }
    throw Error(label + ": attribute '" + printable(name) +
                "' is outside what tinyae imports (alpha = beta = 1, transA = 0, transB = 0 or 1)");
  }
}

void apply_gemm(Chain& chain, const onnx::NodeProto& node, const std::string& label) {
  if (node.input_size() < 2 || node.input_size() > 3 || node.input(0) != chain.tensor) {
    throw Error(label + ": expected inputs (chain tensor, weight[, bias])");
  }
  bool trans_b = false;
  check_gemm_attributes(node, label, trans_b);
  open_layer(chain, initializer(chain, node, 1, label, "weight (input B)"), trans_b, label);
  if (node.input_size() == 3 && !node.input(2).empty())
    set_bias(chain, initializer(chain, node, 2, label, "bias (input C)"), label);
  chain.stage = Stage::kAffine;
}

void apply_matmul(Chain& chain, const onnx::NodeProto& node, const std::string& label) {
  if (node.input_size() != 2 || node.input(0) != chain.tensor || node.attribute_size() != 0) {
    throw Error(label + ": expected inputs (chain tensor, weight) and no attributes");
  }
  open_layer(chain, initializer(chain, node, 1, label, "weight (input B)"), false, label);
  chain.stage = Stage::kMatMul;
}

void apply_add(Chain& chain, const onnx::NodeProto& node, const std::string& label) {
  if (chain.stage != Stage::kMatMul || node.input_size() != 2 || node.attribute_size() != 0) {
    throw Error(label + ": Add is imported only as the bias right after a MatMul");
  }
  const int other = node.input(0) == chain.tensor ? 1 : 0;
  if (node.input(1 - other) != chain.tensor) throw Error(label + ": expected inputs (chain tensor, bias)");
  set_bias(chain, initializer(chain, node, other, label, "bias"), label);
  chain.stage = Stage::kAffine;
}

void apply_activation(Chain& chain, const onnx::NodeProto& node, const ActivationOp& op, const std::string& label) {
  if (chain.stage != Stage::kMatMul && chain.stage != Stage::kAffine) {
    throw Error(label + ": an activation must follow a Gemm or a MatMul (+ Add)");
  }
  if (node.input_size() != 1 || node.attribute_size() != 0)
    throw Error(label + ": expected one input and no attributes");
  chain.layers.back().activation = op.activation;
  chain.stage = Stage::kActivated;
}

void apply_node(Chain& chain, const onnx::NodeProto& node, const std::string& label) {
  if (node.op_type() == "Gemm") return apply_gemm(chain, node, label);
  if (node.op_type() == "MatMul") return apply_matmul(chain, node, label);
  if (node.op_type() == "Add") return apply_add(chain, node, label);
  if (const ActivationOp* op = find_activation_op(node.op_type())) return apply_activation(chain, node, *op, label);
  // Identity: check_nodes let nothing else through.
  if (node.input_size() != 1 || node.attribute_size() != 0)
    throw Error(label + ": expected one input and no attributes");
}

// The nodes reading `tensor`, each once.
std::vector<int> readers(const onnx::GraphProto& graph, const std::string& tensor) {
  std::vector<int> found;
  for (int i = 0; i < graph.node_size(); ++i) {
    for (const std::string& input : graph.node(i).input()) {
      if (input == tensor) {
        found.push_back(i);
        break;
      }
    }
  }
  return found;
}

}  // namespace

std::string node_label(const std::string& source, int index, const onnx::NodeProto& node) {
  return source + ": node " + std::to_string(index) + " '" + printable(node.name()) + "' (" +
         printable(node.op_type()) + ")";
}

std::vector<DenseLayer> walk_chain(const onnx::GraphProto& graph, const Initializers& initializers,
                                   const GraphEnds& ends, const std::string& source) {
  Chain chain{initializers, ends.input, ends.features, Stage::kNone, {}};
  std::vector<bool> visited(static_cast<std::size_t>(graph.node_size()), false);
  for (;;) {
    const std::vector<int> next = readers(graph, chain.tensor);
    if (chain.tensor == ends.output && next.empty()) break;
    if (next.size() != 1) {
      if (next.empty())
        throw Error(source + ": tensor '" + printable(chain.tensor) + "' is read by no node and is not the output '" +
                    printable(ends.output) + "'");
      throw Error(node_label(source, next[1], graph.node(next[1])) + " reads '" + printable(chain.tensor) +
                  "', as does " + node_label("", next[0], graph.node(next[0])).substr(2) +
                  "; tinyae imports a single chain, without branches");
    }
    const onnx::NodeProto& node = graph.node(next[0]);
    const std::string label = node_label(source, next[0], node);
    if (visited[static_cast<std::size_t>(next[0])]) throw Error(label + " is reached twice: the graph has a cycle");
    visited[static_cast<std::size_t>(next[0])] = true;
    apply_node(chain, node, label);
    chain.tensor = node.output(0);
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    if (!visited[static_cast<std::size_t>(i)]) {
      throw Error(node_label(source, i, graph.node(i)) + " is not on the chain from input '" + printable(ends.input) +
                  "' to output '" + printable(ends.output) + "'");
    }
  }
  for (const auto& [name, tensor] : initializers) {
    if (readers(graph, name).empty())
      throw Error(source + ": initializer '" + printable(name) + "' is read by no node");
  }
  return chain.layers;
}

}  // namespace tinyae::onnx_detail
