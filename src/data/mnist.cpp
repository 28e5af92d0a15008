// MNIST loader: the four IDX files of a folder as float tensors in [0, 1].
#include <sstream>

#include "tinyae/common.h"
#include "tinyae/data.h"

namespace tinyae {
namespace fs = std::filesystem;
namespace {

constexpr std::uint32_t kSide = 28;

// DIR/<stem> or DIR/<stem>.gz, whichever exists (the uncompressed one first).
fs::path find_idx(const fs::path& dir, const std::string& stem) {
  std::error_code ec;
  for (const fs::path& candidate : {dir / stem, dir / (stem + ".gz")}) {
    if (fs::exists(candidate, ec)) return candidate;
  }
  throw Error("MNIST file missing: neither " + (dir / stem).string() + " nor " + (dir / (stem + ".gz")).string() +
              " exists (run data/fetch_mnist.sh to download MNIST)");
}

MnistSplit load_split(const fs::path& dir, const std::string& prefix, std::int64_t limit, Sha256& hash) {
  const fs::path images_path = find_idx(dir, prefix + "-images-idx3-ubyte");
  const fs::path labels_path = find_idx(dir, prefix + "-labels-idx1-ubyte");
  IdxArray images = read_idx_file(images_path, kIdxImagesMagic);
  IdxArray labels = read_idx_file(labels_path, kIdxLabelsMagic);
  if (images.dims[1] != kSide || images.dims[2] != kSide) {
    throw Error(images_path.string() + ": images are " + std::to_string(images.dims[1]) + " x " +
                std::to_string(images.dims[2]) + " pixels, expected 28 x 28");
  }
  if (images.dims[0] != labels.dims[0]) {
    throw Error(images_path.string() + " holds " + std::to_string(images.dims[0]) + " images but " +
                labels_path.string() + " holds " + std::to_string(labels.dims[0]) + " labels");
  }
  for (std::size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] > 9) {
      throw Error(labels_path.string() + ": label " + std::to_string(i) + " is " + std::to_string(labels.data[i]) +
                  ", expected a digit 0-9");
    }
  }
  for (const IdxArray* array : {&images, &labels}) {
    for (std::uint32_t d : array->dims) hash.update(&d, sizeof d);
    hash.update(array->data.data(), array->data.size());
  }

  const std::int64_t count = static_cast<std::int64_t>(images.dims[0]);
  const std::int64_t n = limit > 0 ? std::min(limit, count) : count;
  MnistSplit split;
  split.images = torch::from_blob(images.data.data(), {count, kSide * kSide}, torch::kUInt8)
                     .narrow(0, 0, n)
                     .to(torch::kFloat32)
                     .mul_(1.0f / 255.0f);  // the float the exported scaling holds, so the device matches bit for bit
  split.labels = torch::from_blob(labels.data.data(), {count}, torch::kUInt8).narrow(0, 0, n).to(torch::kInt64);
  return split;
}

}  // namespace

Mnist load_mnist(const fs::path& dir, std::int64_t train_limit, std::int64_t test_limit) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error("MNIST folder '" + dir.string() + "' " + (fs::exists(dir, ec) ? "is not a folder" : "does not exist") +
                " (run data/fetch_mnist.sh to download MNIST)");
  }
  // The checksum covers the whole files, whatever the limits, so a resumed or
  // exported run can tell it sees the same data set.
  Sha256 hash;
  Mnist mnist;
  mnist.train = load_split(dir, "train", train_limit, hash);
  mnist.test = load_split(dir, "t10k", test_limit, hash);
  mnist.checksum = hash.hex_digest();
  return mnist;
}

}  // namespace tinyae
