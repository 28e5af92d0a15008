// libFuzzer target: parse_idx on bytes in memory, as images (magic 0x803,
// 3 dimensions) and as labels (magic 0x801, 1 dimension).
//
// A successful parse must satisfy the contract in data.h: the right number of
// dimensions, none zero, and exactly product(dims) bytes of data, which must
// equal the input minus its header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_common.h"
#include "tinyae/data.h"

namespace {

void check(const tinyae::IdxArray& array, std::size_t ndims, std::size_t input_size) {
  if (array.dims.size() != ndims) std::abort();
  std::uint64_t product = 1;
  for (std::uint32_t d : array.dims) {
    if (d == 0) std::abort();
    product *= d;
  }
  if (product != array.data.size()) std::abort();
  if (input_size != 4 + 4 * ndims + array.data.size()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  tinyae::fuzz::run_parser("parse_idx(images)",
                           [&] { check(tinyae::parse_idx(bytes, tinyae::kIdxImagesMagic, "fuzz.idx"), 3, size); });
  tinyae::fuzz::run_parser("parse_idx(labels)",
                           [&] { check(tinyae::parse_idx(bytes, tinyae::kIdxLabelsMagic, "fuzz.idx"), 1, size); });
  return 0;
}
