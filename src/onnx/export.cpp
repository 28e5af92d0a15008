// Export: a dense network as an ONNX ModelProto, one Gemm (transB = 1) and
// one activation node per layer, weights and biases as raw float32
// initializers.
#include <cstring>

#include <onnx/onnx_pb.h>

#include "onnx_internal.h"
#include "tinyae/common.h"

// ONNX stores raw_data little-endian; copying the floats' bytes is only right on such a host.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw_data is written as host bytes");

namespace tinyae {
namespace {

// (N, features) float32 with the batch dimension symbolic.
void set_batch_tensor_type(onnx::ValueInfoProto& value, const std::string& name, std::int64_t features) {
  value.set_name(name);
  onnx::TypeProto_Tensor& tensor = *value.mutable_type()->mutable_tensor_type();
  tensor.set_elem_type(onnx::TensorProto::FLOAT);
  tensor.mutable_shape()->add_dim()->set_dim_param("N");
  tensor.mutable_shape()->add_dim()->set_dim_value(features);
}

void add_initializer(onnx::GraphProto& graph, const std::string& name, const std::vector<std::int64_t>& dims,
                     const std::vector<float>& values) {
  onnx::TensorProto& tensor = *graph.add_initializer();
  tensor.set_name(name);
  tensor.set_data_type(onnx::TensorProto::FLOAT);
  for (const std::int64_t d : dims) tensor.add_dims(d);
  std::string raw(values.size() * sizeof(float), '\0');
  if (!values.empty()) std::memcpy(raw.data(), values.data(), raw.size());
  tensor.set_raw_data(std::move(raw));
}

onnx::NodeProto& add_node(onnx::GraphProto& graph, const std::string& op_type, const std::string& name,
                          const std::vector<std::string>& inputs, const std::string& output) {
  onnx::NodeProto& node = *graph.add_node();
  node.set_op_type(op_type);
  node.set_name(name);
  for (const std::string& input : inputs) node.add_input(input);
  node.add_output(output);
  return node;
}

// Layer i reads `input` and writes `output`: Gemm, then the activation if any.
void add_layer(onnx::GraphProto& graph, std::size_t i, const DenseLayer& layer, const std::string& input,
               const std::string& output) {
  const std::string prefix = "layer" + std::to_string(i);
  add_initializer(graph, prefix + ".weight", {layer.out_size, layer.in_size}, layer.weights);
  add_initializer(graph, prefix + ".bias", {layer.out_size}, layer.bias);
  const std::string_view op_type = onnx_detail::find_activation(layer.activation)->op_type;
  const std::string gemm_output = op_type.empty() ? output : prefix + ".gemm";
  onnx::NodeProto& gemm =
      add_node(graph, "Gemm", prefix + ".gemm", {input, prefix + ".weight", prefix + ".bias"}, gemm_output);
  onnx::AttributeProto& trans_b = *gemm.add_attribute();
  trans_b.set_name("transB");
  trans_b.set_type(onnx::AttributeProto::INT);
  trans_b.set_i(1);
  if (!op_type.empty())
    add_node(graph, std::string(op_type), prefix + "." + std::string(op_type), {gemm_output}, output);
}

}  // namespace

std::string onnx_model_bytes(const std::vector<DenseLayer>& layers, const std::string& graph_name) {
  validate_dense_layers(layers, "ONNX export of '" + graph_name + "'");
  onnx::ModelProto model;
  model.set_ir_version(kOnnxIrVersion);
  model.set_producer_name("tinyae");
  model.set_producer_version(kVersion);
  onnx::OperatorSetIdProto& opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(kOnnxOpset);

  onnx::GraphProto& graph = *model.mutable_graph();
  graph.set_name(graph_name);
  set_batch_tensor_type(*graph.add_input(), "input", layers.front().in_size);
  set_batch_tensor_type(*graph.add_output(), "output", layers.back().out_size);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const std::string input = i == 0 ? "input" : "layer" + std::to_string(i - 1) + ".out";
    const std::string output = i + 1 == layers.size() ? "output" : "layer" + std::to_string(i) + ".out";
    add_layer(graph, i, layers[i], input, output);
  }

  std::string bytes;
  if (!model.SerializeToString(&bytes))
    throw Error("ONNX export of '" + graph_name + "': protobuf could not serialize the model");
  return bytes;
}

void write_onnx(const std::filesystem::path& path, const std::vector<DenseLayer>& layers,
                const std::string& graph_name) {
  write_file_atomically(path, onnx_model_bytes(layers, graph_name));
}

}  // namespace tinyae
