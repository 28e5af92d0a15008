// MNIST in IDX format (raw `*-ubyte` or gzip-compressed `*-ubyte.gz`).
//
// IDX: big-endian; magic 0x00000803 (uint8, 3 dims) for images and
// 0x00000801 (uint8, 1 dim) for labels; one uint32 per dimension; then the
// data. A file whose length does not match its header is corrupt. The reader
// is independent of LibTorch so that it can be fuzzed on its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <torch/torch.h>

namespace tinyae {

// Largest IDX payload accepted (bytes), checked against the header before any
// allocation: the MNIST training images are 47 MB.
inline constexpr std::uint64_t kMaxIdxPayloadBytes = 1ull << 30;

struct IdxArray {
  std::vector<std::uint32_t> dims;  // e.g. {60000, 28, 28} or {60000}
  std::vector<std::uint8_t> data;   // product(dims) bytes, row-major
};

// Parses an IDX file already in memory (decompressed). `name` is used in
// error messages. Throws tinyae::Error on a bad magic, a wrong number of
// dimensions, a zero or oversized dimension, or a length mismatch.
IdxArray parse_idx(std::string_view bytes, std::uint32_t expected_magic, std::string_view name);

// Reads `path` (gunzipping it when it starts with the gzip magic) and parses it.
IdxArray read_idx_file(const std::filesystem::path& path, std::uint32_t expected_magic);

inline constexpr std::uint32_t kIdxImagesMagic = 0x00000803;
inline constexpr std::uint32_t kIdxLabelsMagic = 0x00000801;

// One split of MNIST as tensors.
struct MnistSplit {
  torch::Tensor images;  // (n, 784) float32 in [0, 1] (pixel / 255)
  torch::Tensor labels;  // (n) int64
};

struct Mnist {
  MnistSplit train;
  MnistSplit test;
  std::string checksum;  // SHA-256 over the four decompressed files, in a fixed order
};

// Loads DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; checks that
// images and labels agree in count and that images are 28x28. train_limit > 0
// keeps only the first train_limit training images (test set kept whole
// unless test_limit > 0).
Mnist load_mnist(const std::filesystem::path& dir, std::int64_t train_limit = 0, std::int64_t test_limit = 0);

}  // namespace tinyae
