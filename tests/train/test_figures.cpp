// Figures: tile shapes for latent codes, PNG sizes, and the awkward inputs a
// real run can produce (one epoch, a non-finite loss, a constant code).
#include <unistd.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/figures.h"
#include "tinyae/train.h"

namespace fs = std::filesystem;
using tinyae::EpochResult;

namespace {

class FiguresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinyae-test-figures-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

// Width and height from the IHDR chunk of a PNG file (0, 0 if it is not one).
std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& path) {
  const std::string bytes = tinyae::read_file(path, 1u << 26);
  if (bytes.size() < 24 || bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || bytes.compare(12, 4, "IHDR") != 0) {
    return {0, 0};
  }
  auto be32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (std::size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<unsigned char>(bytes[at + i]);
    return v;
  };
  return {be32(16), be32(20)};
}

}  // namespace

TEST(LatentTileTest, NearSquareShapes) {
  struct Case {
    std::int64_t size, rows, columns;
  };
  // 32 -> 8 rows x 4 columns, the tutorial's tile; primes get a padded grid.
  for (const Case c : {Case{32, 8, 4}, Case{16, 4, 4}, Case{1, 1, 1}, Case{2, 2, 1}, Case{8, 4, 2}, Case{128, 16, 8},
                       Case{7, 3, 3}, Case{13, 4, 4}, Case{65535, 257, 255}}) {
    const tinyae::TileShape t = tinyae::latent_tile_shape(c.size);
    EXPECT_EQ(t.rows, c.rows) << "size " << c.size;
    EXPECT_EQ(t.columns, c.columns) << "size " << c.size;
    EXPECT_GE(t.rows * t.columns, c.size) << "size " << c.size;
  }
  EXPECT_THROW(tinyae::latent_tile_shape(0), tinyae::Error);
}

TEST_F(FiguresTest, LossFigureHasItsSizeForAnyHistory) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<std::vector<EpochResult>> histories = {
      {{1, 0.05, 0.04, 1.0, 100}},  // one epoch
      {{1, 0.07, 0.06, 1.0, 100}, {2, 0.03, 0.031, 1.0, 100}, {3, 0.02, 0.021, 1.0, 100}},
      {{1, 0.05, 0.05, 1.0, 100}, {2, 0.05, 0.05, 1.0, 100}},  // flat
      {{1, 0.05, nan, 1.0, 100}, {2, 0.04, 0.045, 1.0, 100}},  // a non-finite value
  };
  for (std::size_t i = 0; i < histories.size(); ++i) {
    const fs::path path = dir_ / ("loss" + std::to_string(i) + ".png");
    tinyae::draw_loss_png(path, histories[i]);
    const auto size = png_size(path);
    EXPECT_EQ(size.first, static_cast<std::uint32_t>(tinyae::kLossFigureWidth)) << path;
    EXPECT_EQ(size.second, static_cast<std::uint32_t>(tinyae::kLossFigureHeight)) << path;
  }
  EXPECT_THROW(tinyae::draw_loss_png(dir_ / "empty.png", {}), tinyae::Error);
  EXPECT_FALSE(fs::exists(dir_ / "empty.png"));
}

TEST_F(FiguresTest, ReconstructionsFigureHasItsSize) {
  torch::manual_seed(1);
  for (std::int64_t n : {10, 3}) {
    const torch::Tensor originals = torch::rand({n, 784});        // (n, 784)
    const torch::Tensor latents = torch::rand({n, 32}) * 5;       // (n, 32)
    const torch::Tensor reconstructions = originals * 1.2 - 0.1;  // (n, 784), outside [0, 1] on purpose
    const fs::path path = dir_ / ("recon" + std::to_string(n) + ".png");
    tinyae::draw_reconstructions_png(path, originals, latents, reconstructions);
    const tinyae::FigureSize expected = tinyae::reconstructions_figure_size(n);
    const auto size = png_size(path);
    EXPECT_EQ(size.first, static_cast<std::uint32_t>(expected.width)) << path;
    EXPECT_EQ(size.second, static_cast<std::uint32_t>(expected.height)) << path;
  }
  // A constant code (all zeros, as dead ReLUs give) and an odd latent size.
  const fs::path path = dir_ / "constant.png";
  tinyae::draw_reconstructions_png(path, torch::zeros({2, 784}), torch::zeros({2, 7}), torch::zeros({2, 784}));
  EXPECT_EQ(png_size(path).first, static_cast<std::uint32_t>(tinyae::reconstructions_figure_size(2).width));
  // Mismatched shapes are refused and nothing is written.
  EXPECT_THROW(tinyae::draw_reconstructions_png(dir_ / "bad.png", torch::zeros({2, 784}), torch::zeros({3, 32}),
                                                torch::zeros({2, 784})),
               tinyae::Error);
  EXPECT_THROW(tinyae::draw_reconstructions_png(dir_ / "bad.png", torch::zeros({2, 700}), torch::zeros({2, 32}),
                                                torch::zeros({2, 700})),
               tinyae::Error);
  EXPECT_FALSE(fs::exists(dir_ / "bad.png"));
}
