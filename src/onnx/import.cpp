// Import: an ONNX model -> a dense network. parse_onnx reads as a list of
// steps: parse the protobuf, check the opset, check the initializers, find the
// one input and the one output, walk the single chain of nodes from the input
// to the output turning Gemm / MatMul (+ Add) and activations into layers,
// then validate the network and find its latent.
#include <algorithm>
#include <set>

#include "import_internal.h"
#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

using onnx_detail::GraphEnds;
using onnx_detail::Initializers;
using onnx_detail::node_label;

// Gemm, MatMul and Add computing one layer, then at most one activation.
// Identity passes through anywhere.
constexpr std::string_view kSupportedOps = "Gemm, MatMul + Add, Relu, Sigmoid, Tanh, Identity";
// Gemm's and the activations' meaning is the same from opset 7 (Gemm's
// broadcasting C) to the newest; older or unknown-future opsets are refused.
constexpr std::int64_t kMinOpset = 7;
constexpr std::int64_t kMaxOpset = 21;

onnx::ModelProto parse_model_proto(std::string_view bytes, const std::string& source) {
  if (bytes.size() > kOnnxMaxFileBytes) {
    throw Error(source + ": " + std::to_string(bytes.size()) + " bytes, more than the " +
                std::to_string(kOnnxMaxFileBytes) + " an ONNX model within tinyae's limits needs");
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    throw Error(source + ": not an ONNX model (protobuf could not parse it: truncated, or not a protobuf)");
  }
  if (!model.has_graph() || model.ir_version() < 3) {
    throw Error(source + ": not an ONNX model (no graph, or IR version " + std::to_string(model.ir_version()) +
                " below 3)");
  }
  return model;
}

void check_opset(const onnx::ModelProto& model, const std::string& source) {
  for (const onnx::OperatorSetIdProto& opset : model.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") {
      if (opset.version() < kMinOpset || opset.version() > kMaxOpset) {
        throw Error(source + ": opset " + std::to_string(opset.version()) + ", expected " + std::to_string(kMinOpset) +
                    " to " + std::to_string(kMaxOpset));
      }
      return;
    }
  }
  throw Error(source + ": the model imports no version of the standard ONNX opset");
}

// The tensor type of a graph input or output: float32, (batch, features).
// Returns the feature count, or 0 when the shape leaves it unknown (outputs only).
std::int64_t check_value_type(const onnx::ValueInfoProto& value, const std::string& where, bool need_features) {
  if (!value.type().has_tensor_type()) throw Error(where + " is not a tensor");
  const onnx::TypeProto_Tensor& tensor = value.type().tensor_type();
  if (tensor.elem_type() != onnx::TensorProto::FLOAT) {
    throw Error(where + " holds " + onnx_detail::element_type_name(tensor.elem_type()) + ", expected FLOAT (float32)");
  }
  if (!tensor.has_shape()) {
    if (need_features) throw Error(where + " has no shape; expected (batch, features)");
    return 0;
  }
  const onnx::TensorShapeProto& shape = tensor.shape();
  if (shape.dim_size() != 2) {
    throw Error(where + " has rank " + std::to_string(shape.dim_size()) + "; expected (batch, features)");
  }
  for (const onnx::TensorShapeProto_Dimension& dim : shape.dim()) {
    if (dim.has_dim_value() && dim.dim_value() < 0) throw Error(where + " has a negative dimension");
  }
  const onnx::TensorShapeProto_Dimension& features = shape.dim(1);
  if (!features.has_dim_value()) {
    if (need_features)
      throw Error(where + ": the feature dimension must be a number, found '" + printable(features.dim_param()) + "'");
    return 0;
  }
  if (features.dim_value() < 1 || features.dim_value() > kOnnxMaxLayerSize) {
    throw Error(where + " has " + std::to_string(features.dim_value()) + " features, expected 1 to " +
                std::to_string(kOnnxMaxLayerSize));
  }
  return features.dim_value();
}

// The one input that is not an initializer (older exporters list the
// initializers as inputs too) and the one output.
GraphEnds graph_ends(const onnx::GraphProto& graph, const Initializers& initializers, const std::string& source) {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const onnx::ValueInfoProto& input : graph.input()) {
    if (initializers.count(input.name()) == 0) inputs.push_back(&input);
  }
  if (inputs.size() != 1 || graph.output_size() != 1) {
    throw Error(source + ": the graph has " + std::to_string(inputs.size()) + " inputs and " +
                std::to_string(graph.output_size()) + " outputs; tinyae imports one of each");
  }
  GraphEnds ends;
  ends.input = inputs[0]->name();
  ends.output = graph.output(0).name();
  ends.features = check_value_type(*inputs[0], source + ": input '" + printable(ends.input) + "'", true);
  ends.output_features = check_value_type(graph.output(0), source + ": output '" + printable(ends.output) + "'", false);
  if (ends.input == ends.output) throw Error(source + ": the graph's output is its input; it has no layers");
  return ends;
}

// Every node is a supported operator of the standard domain with one output,
// every tensor it reads exists, and no tensor is written twice.
void check_nodes(const onnx::GraphProto& graph, const Initializers& initializers, const GraphEnds& ends,
                 const std::string& source) {
  std::set<std::string> produced = {ends.input};
  for (const auto& [name, tensor] : initializers) produced.insert(name);
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto& node = graph.node(i);
    const std::string label = node_label(source, i, node);
    const bool known = node.op_type() == "Gemm" || node.op_type() == "MatMul" || node.op_type() == "Add" ||
                       node.op_type() == "Identity" || onnx_detail::find_activation_op(node.op_type()) != nullptr;
    if (!known || !(node.domain().empty() || node.domain() == "ai.onnx")) {
      throw Error(label + (node.domain().empty() ? "" : " of domain '" + printable(node.domain()) + "'") +
                  " is not supported; tinyae imports " + std::string(kSupportedOps));
    }
    if (node.output_size() != 1 || node.output(0).empty()) throw Error(label + " must have exactly one output");
    if (!produced.insert(node.output(0)).second) {
      throw Error(label + " writes '" + printable(node.output(0)) +
                  "', which another node, an initializer or the input already defines");
    }
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    for (const std::string& input : graph.node(i).input()) {
      if (!input.empty() && produced.count(input) == 0) {
        throw Error(node_label(source, i, graph.node(i)) + " reads '" + printable(input) +
                    "', which no node, initializer or graph input produces");
      }
    }
  }
}

}  // namespace

DenseNetwork parse_onnx(std::string_view bytes, const std::string& source) {
  const onnx::ModelProto model = parse_model_proto(bytes, source);
  check_opset(model, source);
  const onnx::GraphProto& graph = model.graph();
  const Initializers initializers = onnx_detail::check_initializers(graph, source);
  const GraphEnds ends = graph_ends(graph, initializers, source);
  check_nodes(graph, initializers, ends, source);
  DenseNetwork network;
  network.layers = onnx_detail::walk_chain(graph, initializers, ends, source);
  validate_dense_layers(network.layers, source);
  if (ends.output_features != 0 && ends.output_features != network.layers.back().out_size) {
    throw Error(source + ": output '" + printable(ends.output) + "' declares " + std::to_string(ends.output_features) +
                " features, but the last layer gives " + std::to_string(network.layers.back().out_size));
  }
  network.encoder_layer_count = latent_split(network.layers);
  return network;
}

DenseNetwork read_onnx(const std::filesystem::path& path) {
  return parse_onnx(read_file(path, kOnnxMaxFileBytes), "'" + path.string() + "'");
}

}  // namespace tinyae
