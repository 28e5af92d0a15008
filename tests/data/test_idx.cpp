// IDX reader on good and hostile files, and the MNIST loader on the real data.
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/data.h"

namespace fs = std::filesystem;
using tinyae::Error;
using tinyae::kIdxImagesMagic;
using tinyae::kIdxLabelsMagic;

namespace {

const fs::path kMnistDir = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// An IDX images file of n images of rows x cols, pixel (i, p) = (i + p) % 256.
std::string images_idx(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  std::string bytes = be32(kIdxImagesMagic) + be32(n) + be32(rows) + be32(cols);
  for (std::uint32_t i = 0; i < n * rows * cols; ++i) bytes += static_cast<char>(i % 256);
  return bytes;
}

std::string gzip(const std::string& bytes) {
  uLongf size = compressBound(static_cast<uLong>(bytes.size())) + 32;
  std::string out(size, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

fs::path temp_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("tinyae_test_idx_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Expects parse_idx to throw an Error whose message contains `needle`.
void expect_idx_error(const std::string& bytes, std::uint32_t magic, const std::string& needle) {
  try {
    tinyae::parse_idx(bytes, magic, "sample.idx");
    FAIL() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("sample.idx"), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message;
  }
}

}  // namespace

TEST(Idx, ParsesImagesAndLabels) {
  const tinyae::IdxArray images = tinyae::parse_idx(images_idx(3, 2, 4), kIdxImagesMagic, "x");
  EXPECT_EQ(images.dims, (std::vector<std::uint32_t>{3, 2, 4}));
  ASSERT_EQ(images.data.size(), 24u);
  EXPECT_EQ(images.data[23], 23);
  const tinyae::IdxArray labels = tinyae::parse_idx(be32(kIdxLabelsMagic) + be32(2) + "\x07\x01", kIdxLabelsMagic, "y");
  EXPECT_EQ(labels.dims, (std::vector<std::uint32_t>{2}));
  EXPECT_EQ(labels.data, (std::vector<std::uint8_t>{7, 1}));
}

TEST(Idx, HostileHeadersAndLengths) {
  const std::string good = images_idx(2, 3, 3);
  expect_idx_error("", kIdxImagesMagic, "too short");
  expect_idx_error("\x00\x00", kIdxImagesMagic, "too short");
  expect_idx_error(be32(kIdxLabelsMagic) + good.substr(4), kIdxImagesMagic, "wrong IDX magic 0x00000801");
  expect_idx_error("\x89PNG" + good.substr(4), kIdxImagesMagic, "not an IDX file");
  expect_idx_error(good.substr(0, 10), kIdxImagesMagic, "truncated IDX header");
  expect_idx_error(good.substr(0, good.size() - 1), kIdxImagesMagic, "announces 18 bytes of data, the file has 17");
  expect_idx_error(good + "x", kIdxImagesMagic, "more data than the header");
  expect_idx_error(be32(kIdxImagesMagic) + be32(0) + be32(28) + be32(28), kIdxImagesMagic, "dimension 0 is 0");
}

TEST(Idx, HugeHeaderIsRefusedBeforeAllocating) {
  // 4 billion images of 65536 x 65536: about 1.8e19 bytes announced.
  const std::string bytes = be32(kIdxImagesMagic) + be32(0xffffffffu) + be32(65536) + be32(65536);
  expect_idx_error(bytes, kIdxImagesMagic, "refusing to allocate");
}

TEST(Idx, ReadsGzipAndRawFilesAlike) {
  const fs::path dir = temp_dir("gz");
  const std::string raw = images_idx(5, 28, 28);
  tinyae::write_file_atomically(dir / "a-ubyte", raw);
  tinyae::write_file_atomically(dir / "a-ubyte.gz", gzip(raw));
  const tinyae::IdxArray from_raw = tinyae::read_idx_file(dir / "a-ubyte", kIdxImagesMagic);
  const tinyae::IdxArray from_gz = tinyae::read_idx_file(dir / "a-ubyte.gz", kIdxImagesMagic);
  EXPECT_EQ(from_raw.dims, from_gz.dims);
  EXPECT_EQ(from_raw.data, from_gz.data);
  fs::remove_all(dir);
}

TEST(Idx, TruncatedGzipAndMissingFilesAreNamed) {
  const fs::path dir = temp_dir("badgz");
  const std::string gz = gzip(images_idx(50, 28, 28));
  tinyae::write_file_atomically(dir / "cut.gz", gz.substr(0, gz.size() / 2));
  for (const fs::path& path : {dir / "cut.gz", dir / "missing-ubyte"}) {
    try {
      tinyae::read_idx_file(path, kIdxImagesMagic);
      FAIL() << "expected an error for " << path;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    }
  }
  fs::remove_all(dir);
}

TEST(Mnist, LoadsTheRealTestSet) {
  ASSERT_TRUE(fs::exists(kMnistDir / "t10k-images-idx3-ubyte"))
      << "MNIST is missing: run data/fetch_mnist.sh (the test command does this)";
  const tinyae::Mnist mnist = tinyae::load_mnist(kMnistDir, /*train_limit=*/100, /*test_limit=*/0);
  EXPECT_EQ(mnist.train.images.sizes(), (std::vector<std::int64_t>{100, 784}));
  EXPECT_EQ(mnist.test.images.sizes(), (std::vector<std::int64_t>{10000, 784}));
  EXPECT_EQ(mnist.test.labels.size(0), 10000);
  EXPECT_EQ(mnist.test.labels[0].item<std::int64_t>(), 7) << "the first MNIST test digit is a 7";
  EXPECT_EQ(mnist.train.labels[0].item<std::int64_t>(), 5) << "the first MNIST training digit is a 5";
  EXPECT_GE(mnist.test.images.min().item<float>(), 0.0f);
  EXPECT_LE(mnist.test.images.max().item<float>(), 1.0f);
  EXPECT_EQ(mnist.checksum.size(), 64u);
  // The checksum covers the whole files, not the limited view.
  EXPECT_EQ(tinyae::load_mnist(kMnistDir, 10, 10).checksum, mnist.checksum);
}

TEST(Mnist, MismatchedOrMissingFilesAreReported) {
  const fs::path dir = temp_dir("mnist");
  try {
    tinyae::load_mnist(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fetch_mnist.sh"), std::string::npos) << e.what();
  }
  // 3 training images but 2 labels.
  tinyae::write_file_atomically(dir / "train-images-idx3-ubyte", images_idx(3, 28, 28));
  tinyae::write_file_atomically(dir / "train-labels-idx1-ubyte", be32(kIdxLabelsMagic) + be32(2) + "\x01\x02");
  tinyae::write_file_atomically(dir / "t10k-images-idx3-ubyte", images_idx(1, 28, 28));
  tinyae::write_file_atomically(dir / "t10k-labels-idx1-ubyte", be32(kIdxLabelsMagic) + be32(1) + "\x01");
  try {
    tinyae::load_mnist(dir);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds 3 images but"), std::string::npos) << e.what();
  }
  // 28 x 27 images.
  tinyae::write_file_atomically(dir / "train-images-idx3-ubyte", images_idx(2, 28, 27));
  EXPECT_THROW(tinyae::load_mnist(dir), Error);
  fs::remove_all(dir);
}
