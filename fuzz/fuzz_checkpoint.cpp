// libFuzzer target: parse_checkpoint on bytes in memory.
//
// Each input is parsed twice:
//  1. as is, which exercises the envelope checks (magic, version, declared
//     size, SHA-256);
//  2. "resealed": the declared-size field and the trailing SHA-256 are
//     rewritten to match the input, as a hostile file would carry them, so
//     that mutations reach the metadata JSON and the tensor table instead of
//     stopping at the checksum. (Layout: src/model/checkpoint.cpp.)
// A checkpoint that parses must hold a model whose config validates and
// whose parameters have the shapes the config implies; its history then
// goes through history_from_json, as `tinyae train --resume` does (a
// tinyae::Error is fine there, anything else is a finding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "tinyae/checkpoint.h"
#include "tinyae/train.h"

namespace {

constexpr std::size_t kSizeFieldOffset = 12;  // after the magic (8) and the version (4)
constexpr std::size_t kHeaderBytes = 28;      // magic, version, file size, metadata length
constexpr std::size_t kHashBytes = 32;

std::string reseal(std::string bytes) {
  if (bytes.size() < kHeaderBytes + kHashBytes) return bytes;
  const std::uint64_t size = bytes.size();
  for (int i = 0; i < 8; ++i) bytes[kSizeFieldOffset + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  const std::string hex = tinyae::sha256_hex(std::string_view(bytes).substr(0, bytes.size() - kHashBytes));
  for (std::size_t i = 0; i < kHashBytes; ++i) {
    bytes[bytes.size() - kHashBytes + i] = static_cast<char>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  }
  return bytes;
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
  tinyae::fuzz::run_parser("history_from_json", [&] { tinyae::history_from_json(checkpoint.meta.history); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  tinyae::fuzz::run_parser("parse_checkpoint(raw)",
                           [&] { check(tinyae::parse_checkpoint(bytes, "fuzz.pt")); });
  const std::string resealed = reseal(bytes);
  if (resealed != bytes) {
    tinyae::fuzz::run_parser("parse_checkpoint(resealed)",
                             [&] { check(tinyae::parse_checkpoint(resealed, "fuzz.pt")); });
  }
  return 0;
}
