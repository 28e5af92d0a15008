// The kinds' options (JSON round trip, refusals naming the option) and the
// denoising kind's corruption against what it promises: gaussian noise of
// the given standard deviation clipped to [0, 1], masking that zeroes the
// given fraction and keeps the rest exactly, repeatable from a seed.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>
#include <utility>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/model_kind.h"

namespace {

using tinyae::KindOptions;
using tinyae::ModelKind;
using tinyae::NoiseType;

KindOptions sparse(double sparsity) {
  KindOptions k;
  k.kind = ModelKind::kSparse;
  k.sparsity = sparsity;
  return k;
}

KindOptions denoising(NoiseType noise, double level) {
  KindOptions k;
  k.kind = ModelKind::kDenoising;
  k.noise = noise;
  k.noise_level = level;
  return k;
}

KindOptions variational(double kl_weight) {
  KindOptions k;
  k.kind = ModelKind::kVariational;
  k.kl_weight = kl_weight;
  return k;
}

void expect_refused(const nlohmann::json& j, const std::string& needle) {
  try {
    KindOptions::from_json(j, "ckpt.kind");
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const tinyae::Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("ckpt.kind"), std::string::npos) << message;
    EXPECT_NE(message.find(needle), std::string::npos) << message << " does not mention " << needle;
  }
}

TEST(ModelKind, OptionsRoundTripAsJson) {
  for (const KindOptions& k : {KindOptions{}, sparse(1e-4), denoising(NoiseType::kGaussian, 0.5),
                               denoising(NoiseType::kMask, 0.25), variational(0.5)}) {
    EXPECT_EQ(KindOptions::from_json(k.to_json()), k) << k.to_json().dump();
  }
  EXPECT_EQ(KindOptions{}.to_json().dump(), R"({"name":"vanilla"})");
  EXPECT_EQ(sparse(0.5).to_json().dump(), R"({"name":"sparse","sparsity":0.5})");
  EXPECT_EQ(tinyae::parse_kind("denoising"), ModelKind::kDenoising);
  EXPECT_THROW(tinyae::parse_kind("contractive"), tinyae::Error);
}

TEST(ModelKind, OptionsOfAnotherKindOrOutOfRangeAreRefused) {
  expect_refused({{"name", "contractive"}}, "valid kinds: vanilla, sparse, denoising, variational");
  expect_refused({{"name", "variational"}}, "kl_weight");
  expect_refused({{"name", "variational"}, {"kl_weight", 0}}, "KL weight must be a number in (0, 1000]");
  expect_refused({{"name", "vanilla"}, {"kl_weight", 1}}, "kl_weight");
  expect_refused({{"name", "vanilla"}, {"sparsity", 0.1}}, "sparsity");
  expect_refused({{"name", "sparse"}}, "sparsity");
  expect_refused({{"name", "sparse"}, {"sparsity", 0}}, "sparsity must be a number in (0, 1000]");
  expect_refused({{"name", "sparse"}, {"sparsity", 1e9}}, "sparsity");
  expect_refused({{"name", "denoising"}, {"noise", "salt"}, {"noise_level", 0.5}}, "salt");
  expect_refused({{"name", "denoising"}, {"noise", "mask"}, {"noise_level", 1}}, "(0, 1)");
  expect_refused({{"name", "denoising"}, {"noise", "gaussian"}, {"noise_level", -0.5}}, "noise level");
  expect_refused({{"name", "denoising"}, {"noise", "gaussian"}}, "noise_level");
  KindOptions mixed = sparse(0.1);
  mixed.noise_level = 0.5;
  EXPECT_THROW(mixed.validate(), tinyae::Error);
}

// Gaussian, on a tiny tensor: the same draws by hand (the generator seeded
// alike), added with the level as standard deviation, then clipped.
TEST(ModelKind, GaussianNoiseIsScaledAndClipped) {
  const torch::Tensor x = torch::tensor({{0.0f, 0.2f, 0.5f, 0.9f, 1.0f}});  // (1, 5)
  torch::Tensor out = torch::empty_like(x);
  at::Generator generator = at::detail::createCPUGenerator(5);
  tinyae::corrupt(denoising(NoiseType::kGaussian, 0.5), true, x, out, generator);
  at::Generator same = at::detail::createCPUGenerator(5);
  const torch::Tensor unit = torch::empty({1, 5}).normal_(0, 1, same);  // (1, 5): the N(0, 1) draws
  for (std::int64_t i = 0; i < 5; ++i) {
    const double expected = std::clamp(x[0][i].item<double>() + 0.5 * unit[0][i].item<double>(), 0.0, 1.0);
    EXPECT_NEAR(out[0][i].item<double>(), expected, 1e-6) << "value " << i;
  }
  // Unclipped (CSV data), over many values: mean 0 and standard deviation 0.5.
  const torch::Tensor zeros = torch::zeros({100, 100});
  torch::Tensor noise = torch::empty_like(zeros);
  tinyae::corrupt(denoising(NoiseType::kGaussian, 0.5), false, zeros, noise, generator);
  EXPECT_NEAR(noise.mean().item<double>(), 0, 0.02);
  EXPECT_NEAR(noise.std().item<double>(), 0.5, 0.02);
  EXPECT_LT(noise.min().item<double>(), 0) << "clipped although the data is not images";
}

TEST(ModelKind, MaskZeroesTheGivenFractionAndKeepsTheRest) {
  const torch::Tensor x = torch::rand({200, 100}) + 0.5;  // (200, 100), no zeros
  torch::Tensor out = torch::empty_like(x);
  at::Generator generator = at::detail::createCPUGenerator(9);
  tinyae::corrupt(denoising(NoiseType::kMask, 0.3), true, x, out, generator);
  const torch::Tensor zeroed = out.eq(0);
  const double fraction = zeroed.to(torch::kDouble).mean().item<double>();
  std::cout << "mask 0.3: zeroed fraction " << fraction << "\n";
  EXPECT_NEAR(fraction, 0.3, 0.01);
  EXPECT_TRUE(torch::equal(out.masked_select(zeroed.logical_not()), x.masked_select(zeroed.logical_not())));
}

TEST(ModelKind, CorruptionRepeatsForASeedAndCopiesWithoutNoise) {
  const torch::Tensor x = torch::rand({8, 16});  // (8, 16)
  torch::Tensor a = torch::empty_like(x), b = torch::empty_like(x), c = torch::empty_like(x);
  for (auto [out, seed] : {std::pair<torch::Tensor*, int>{&a, 3}, {&b, 3}, {&c, 4}}) {
    at::Generator generator = at::detail::createCPUGenerator(static_cast<std::uint64_t>(seed));
    tinyae::corrupt(denoising(NoiseType::kGaussian, 0.2), true, x, *out, generator);
  }
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  at::Generator generator = at::detail::createCPUGenerator(3);
  tinyae::corrupt(sparse(0.1), true, x, a, generator);
  EXPECT_TRUE(torch::equal(a, x));
}

}  // namespace
