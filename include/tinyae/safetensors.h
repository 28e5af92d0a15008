// The safetensors layout (https://github.com/huggingface/safetensors), so that
// Python, Rust and other tools read tinyae's files with their standard readers:
//
//   offset   size  field
//   0        8     uint64 little-endian N, the header's length
//   8        N     header: a JSON object, padded with spaces to a multiple of 8
//                    "<name>": {"dtype": "F32", "shape": [out, in], "data_offsets": [begin, end]}
//                    "__metadata__": {"<key>": "<string>", ...}   (optional)
//   8+N      ...   the tensors' bytes, little-endian, row-major; data_offsets
//                  are relative to 8+N, contiguous, in order, with no holes
//
// Generic: named tensors of any standard dtype and a string-to-string map.
// What the tensors and the metadata mean is the caller's business (the
// checkpoint schema lives in src/train). No LibTorch here: the fuzz target and
// the tests read the layout without building a model.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tinyae {

// Header lengths above this are refused before the header is read (the
// safetensors reference reader stops at 100 MB).
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 64ull << 20;
// Dimensions per tensor.
inline constexpr std::size_t kMaxSafetensorsDims = 8;

struct SafetensorsTensor {
  std::string name;
  std::string dtype;                // "F32", "I64", ... (safetensors' names)
  std::vector<std::int64_t> shape;  // row-major; {} is a scalar
  std::string_view data;            // little-endian bytes; views the caller's buffer or the parsed file
};

struct SafetensorsFile {
  std::vector<SafetensorsTensor> tensors;       // in the order of their bytes
  std::map<std::string, std::string> metadata;  // "__metadata__"
  std::string_view data;                        // every tensor's bytes: the buffer after the header
};

// Bytes per element of a safetensors dtype name, 0 if the name is not one.
std::size_t safetensors_dtype_bytes(std::string_view dtype);

// The file's bytes, tensors in the order given. Throws tinyae::Error for a
// duplicate or reserved name, an unknown dtype, or data whose size does not
// match dtype and shape.
std::string write_safetensors(const std::vector<SafetensorsTensor>& tensors,
                              const std::map<std::string, std::string>& metadata);

// Checks the layout and returns views into `bytes`; every message starts
// with `name` and says what was expected and what was found (truncated,
// header too long, not JSON, unknown dtype, shape and byte count disagreeing,
// offsets overlapping or leaving a hole, bytes after the last tensor).
// Nothing is allocated in proportion to a size the file claims before that
// size has been checked against the bytes actually there.
SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name);

}  // namespace tinyae
