// libFuzzer target: parse_onnx on bytes in memory (protobuf mutations reach
// the graph checks through the seeds: tinyae's own exports and the hostile
// files of tests/onnx/make_hostile_models.py, written by tools/fuzz.sh).
//
// A successful parse must satisfy the contract in onnx.h: a network that
// validate_dense_layers accepts, whose latent split is inside it, and that
// exports again and reads back as the same network.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_common.h"
#include "tinyae/onnx.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tinyae::fuzz::run_parser("parse_onnx", [&] {
    const tinyae::DenseNetwork network = tinyae::parse_onnx(bytes, "fuzz.onnx");
    tinyae::validate_dense_layers(network.layers, "fuzz.onnx");
    if (network.encoder_layer_count < 1 || network.encoder_layer_count > network.layers.size()) std::abort();
    const tinyae::DenseNetwork again = tinyae::parse_onnx(tinyae::onnx_model_bytes(network.layers, "fuzz"), "again");
    if (!(again.layers == network.layers) || again.encoder_layer_count != network.encoder_layer_count) std::abort();
  });
  return 0;
}
