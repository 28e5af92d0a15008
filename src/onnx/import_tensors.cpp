// Import: the initializers' checks. A file is refused before anything is
// allocated from its declared sizes: the dimensions are multiplied with an
// overflow guard and capped at kOnnxMaxParameters, and the data actually in
// the file must have exactly the length the dimensions declare.
#include <cstring>

#include "import_internal.h"
#include "tinyae/common.h"
#include "tinyae/json_reader.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw_data is read as host bytes");

namespace tinyae::onnx_detail {
namespace {

// Element count of `tensor`, or a throw if a dimension is negative or the
// count exceeds `budget`.
std::int64_t element_count(const onnx::TensorProto& tensor, std::int64_t budget, const std::string& where) {
  std::int64_t count = 1;
  for (const std::int64_t d : tensor.dims()) {
    if (d < 0) throw Error(where + " has a negative dimension " + describe_dims(tensor));
    if (d != 0 && count > budget / d) {
      throw Error(where + " declares " + describe_dims(tensor) + " values, more than the " +
                  std::to_string(kOnnxMaxParameters) + " weights and biases tinyae accepts in all");
    }
    count *= d;
  }
  return count;
}

void check_initializer(const onnx::TensorProto& tensor, std::int64_t& budget, const std::string& where) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL || tensor.external_data_size() > 0) {
    throw Error(where + " is stored outside the file (external data); tinyae reads only self-contained ONNX files");
  }
  if (tensor.has_segment()) throw Error(where + " is a segment of a tensor; tinyae does not read segmented tensors");
  if (tensor.data_type() != onnx::TensorProto::FLOAT) {
    throw Error(where + " holds " + element_type_name(tensor.data_type()) + ", expected FLOAT (float32)");
  }
  const std::int64_t count = element_count(tensor, budget, where);
  budget -= count;
  const std::uint64_t expected_bytes = static_cast<std::uint64_t>(count) * sizeof(float);
  if (tensor.has_raw_data()) {
    if (tensor.float_data_size() > 0) throw Error(where + " has both raw_data and float_data");
    if (tensor.raw_data().size() != expected_bytes) {
      throw Error(where + " " + describe_dims(tensor) + " needs " + std::to_string(expected_bytes) +
                  " bytes of raw_data, found " + std::to_string(tensor.raw_data().size()));
    }
  } else if (static_cast<std::uint64_t>(tensor.float_data_size()) != static_cast<std::uint64_t>(count)) {
    throw Error(where + " " + describe_dims(tensor) + " needs " + std::to_string(count) + " values, found " +
                std::to_string(tensor.float_data_size()));
  }
}

}  // namespace

std::string describe_dims(const onnx::TensorProto& tensor) {
  std::string text = "[";
  for (int i = 0; i < tensor.dims_size(); ++i) text += (i ? ", " : "") + std::to_string(tensor.dims(i));
  return text + "]";
}

std::string element_type_name(std::int32_t data_type) {
  if (onnx::TensorProto::DataType_IsValid(data_type)) {
    return onnx::TensorProto::DataType_Name(static_cast<onnx::TensorProto::DataType>(data_type));
  }
  return "element type " + std::to_string(data_type);
}

Initializers check_initializers(const onnx::GraphProto& graph, const std::string& source) {
  if (graph.sparse_initializer_size() > 0) {
    throw Error(source + ": the graph has sparse initializers; tinyae reads dense float32 initializers only");
  }
  Initializers initializers;
  std::int64_t budget = kOnnxMaxParameters;
  for (int i = 0; i < graph.initializer_size(); ++i) {
    const onnx::TensorProto& tensor = graph.initializer(i);
    const std::string where = source + ": initializer " + std::to_string(i) + " '" + printable(tensor.name()) + "'";
    if (tensor.name().empty()) throw Error(where + " has no name");
    check_initializer(tensor, budget, where);
    if (!initializers.emplace(tensor.name(), &tensor).second)
      throw Error(where + ": a second initializer of that name");
  }
  return initializers;
}

std::vector<float> float_values(const onnx::TensorProto& tensor) {
  if (!tensor.has_raw_data()) return {tensor.float_data().begin(), tensor.float_data().end()};
  std::vector<float> values(tensor.raw_data().size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), tensor.raw_data().data(), values.size() * sizeof(float));
  return values;
}

}  // namespace tinyae::onnx_detail
