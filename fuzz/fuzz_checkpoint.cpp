// libFuzzer target: parse_checkpoint on bytes in memory.
//
// Each input is parsed twice:
//  1. as is, which exercises the safetensors layout checks (header length,
//     header JSON, dtypes, shapes, offsets) and the tensor SHA-256;
//  2. "resealed": if the layout parses, the file is written again with the
//     "tensors_sha256" metadata matching its tensor bytes, as a hostile file
//     would carry it, so that mutations reach the metadata document and the
//     tensor checks instead of stopping at the checksum.
// A checkpoint that parses must hold a model whose config validates and whose
// parameters have the shapes the config implies (anything other than a
// tinyae::Error is a finding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_common.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/safetensors.h"

namespace {

constexpr const char* kHashKey = "tensors_sha256";

std::string reseal(const std::string& bytes) {
  try {
    tinyae::SafetensorsFile file = tinyae::parse_safetensors(bytes, "fuzz.safetensors");
    if (file.metadata.count(kHashKey) == 0) return bytes;
    file.metadata[kHashKey] = tinyae::sha256_hex(file.data);
    return tinyae::write_safetensors(file.tensors, file.metadata);
  } catch (const tinyae::Error&) {
    return bytes;
  }
}

void check(const tinyae::Checkpoint& checkpoint) {
  const tinyae::ModelConfig& config = checkpoint.meta.model;
  try {
    config.validate();
  } catch (const tinyae::Error&) {
    std::abort();  // a checkpoint that loads must carry a valid config
  }
  const auto shapes = config.parameter_shapes();
  const auto parameters = checkpoint.model->named_parameters(/*recurse=*/true);
  if (parameters.size() != shapes.size()) std::abort();
  for (std::size_t i = 0; i < shapes.size(); ++i) {
    if (parameters[i].key() != shapes[i].name || parameters[i].value().sizes().vec() != shapes[i].shape) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  tinyae::fuzz::run_parser("parse_checkpoint(raw)",
                           [&] { check(tinyae::parse_checkpoint(bytes, "fuzz.safetensors")); });
  const std::string resealed = reseal(bytes);
  if (resealed != bytes) {
    tinyae::fuzz::run_parser("parse_checkpoint(resealed)",
                             [&] { check(tinyae::parse_checkpoint(resealed, "fuzz.safetensors")); });
  }
  return 0;
}
