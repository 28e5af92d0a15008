// Import's pieces: the checks on the file's tensors (import_tensors.cpp) and
// the walk along the graph's chain (import_chain.cpp), used by parse_onnx
// (import.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "onnx_internal.h"

namespace tinyae::onnx_detail {

// The graph's initializers by name, every one checked by check_initializers.
using Initializers = std::map<std::string, const onnx::TensorProto*>;

// Checks every initializer before anything is copied: float32, stored in the
// file, non-negative dimensions, at most kOnnxMaxParameters values in all,
// and a data length that matches the dimensions; unique names, no sparse
// initializers. Throws tinyae::Error naming the initializer.
Initializers check_initializers(const onnx::GraphProto& graph, const std::string& source);

// A checked initializer's values, row-major as stored.
std::vector<float> float_values(const onnx::TensorProto& tensor);

// "[12, 20]"
std::string describe_dims(const onnx::TensorProto& tensor);

// The graph's one input (its feature count) and one output.
struct GraphEnds {
  std::string input;
  std::int64_t features = 0;
  std::string output;
  std::int64_t output_features = 0;  // 0 when the file does not say
};

// Walks from the input to the output along the single chain of nodes, each
// already checked to be a supported operator with one output (import.cpp),
// and returns the layers they compute. Throws tinyae::Error naming the node
// for a branch, a cycle, a node off the chain, a Gemm attribute outside
// alpha = beta = 1, transA = 0, an Add that is not a MatMul's bias, an
// activation that follows no layer, and weights whose shape does not fit.
std::vector<DenseLayer> walk_chain(const onnx::GraphProto& graph, const Initializers& initializers,
                                   const GraphEnds& ends, const std::string& source);

// "'model.onnx': node 3 '/2/Flatten' (Flatten)"
std::string node_label(const std::string& source, int index, const onnx::NodeProto& node);

// "FLOAT", "DOUBLE", ... or the number when the file's type is unknown.
std::string element_type_name(std::int32_t data_type);

}  // namespace tinyae::onnx_detail
