// The variational kind's pieces on tiny tensors: the KL term and its
// gradient against the closed forms worked by hand, the reparameterised
// sample's gradient against autograd's and against central differences, the
// model's two heads and its config as JSON.
#include <cmath>
#include <string>

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/model.h"
#include "tinyae/variational.h"

namespace {

torch::Tensor doubles(std::initializer_list<double> values) {
  return torch::tensor(std::vector<double>(values), torch::kDouble).view({1, -1});
}

// KL(N(mu, e^lv) || N(0, 1)) = 0.5 (mu^2 + e^lv - 1 - lv) per unit, summed per row.
TEST(Variational, KlTermAndItsGradientMatchTheClosedForm) {
  torch::Tensor mean = doubles({0.5, -1.0, 0.0}).requires_grad_(true);              // (1, 3)
  torch::Tensor logvar = doubles({0.0, std::log(2.0), -1.0}).requires_grad_(true);  // (1, 3)
  const torch::Tensor kl = tinyae::kl_divergence(mean, logvar);                     // (1)
  // By hand: 0.5 (0.25 + 1 - 1 - 0) + 0.5 (1 + 2 - 1 - ln 2) + 0.5 (0 + e^-1 - 1 + 1).
  const double expected = 0.125 + 0.5 * (2 - std::log(2.0)) + 0.5 * std::exp(-1.0);
  EXPECT_NEAR(kl.item<double>(), expected, 1e-12) << "gap " << kl.item<double>() - expected;
  kl.sum().backward();
  // d/dmu = mu; d/dlv = 0.5 (e^lv - 1).
  const double d_mean[] = {0.5, -1.0, 0.0};
  const double d_logvar[] = {0.0, 0.5, 0.5 * (std::exp(-1.0) - 1)};
  for (int j = 0; j < 3; ++j) {
    EXPECT_NEAR(mean.grad()[0][j].item<double>(), d_mean[j], 1e-12) << "unit " << j;
    EXPECT_NEAR(logvar.grad()[0][j].item<double>(), d_logvar[j], 1e-12) << "unit " << j;
  }
  // Zero exactly at the prior itself.
  EXPECT_EQ(tinyae::kl_divergence(torch::zeros({2, 4}), torch::zeros({2, 4})).abs().max().item<float>(), 0);
}

// z = mu + exp(lv / 2) eps, eps the generator's N(0, 1) draws in order:
// dz/dmu = 1 and dz/dlv = exp(lv / 2) eps / 2, checked through autograd and
// through central differences of a loss of z.
TEST(Variational, ReparameterisedSampleHasTheRightValueAndGradient) {
  torch::Tensor mean = doubles({0.3, -0.2, 1.5, 0.0}).requires_grad_(true);    // (1, 4)
  torch::Tensor logvar = doubles({-0.5, 0.2, 0.0, 1.0}).requires_grad_(true);  // (1, 4)
  at::Generator generator = at::detail::createCPUGenerator(7);
  const torch::Tensor z = tinyae::reparameterize(mean, logvar, generator);  // (1, 4)
  at::Generator same = at::detail::createCPUGenerator(7);
  torch::Tensor eps = torch::empty({1, 4}, torch::kDouble);
  eps.normal_(0, 1, same);
  const torch::Tensor expected = mean.detach() + (0.5 * logvar.detach()).exp() * eps;
  EXPECT_LT((z.detach() - expected).abs().max().item<double>(), 1e-15);

  // loss = sum_j w_j z_j^2: dloss/dmu_j = 2 w_j z_j, dloss/dlv_j = 2 w_j z_j * exp(lv_j / 2) eps_j / 2.
  const torch::Tensor w = doubles({1.0, -2.0, 0.5, 3.0});
  (w * z.square()).sum().backward();
  const torch::Tensor zd = z.detach();
  const torch::Tensor sigma = (0.5 * logvar.detach()).exp();
  EXPECT_LT((mean.grad() - 2 * w * zd).abs().max().item<double>(), 1e-12);
  EXPECT_LT((logvar.grad() - 2 * w * zd * sigma * eps / 2).abs().max().item<double>(), 1e-12);

  // Central differences, the same eps each time (a fresh generator of the same seed).
  const double h = 1e-6;
  auto loss_at = [&](const torch::Tensor& m, const torch::Tensor& lv) {
    at::Generator g = at::detail::createCPUGenerator(7);
    return (w * tinyae::reparameterize(m, lv, g).square()).sum().item<double>();
  };
  for (int j = 0; j < 4; ++j) {
    torch::Tensor step = torch::zeros({1, 4}, torch::kDouble);
    step[0][j] = h;
    const double numeric_mean =
        (loss_at(mean.detach() + step, logvar.detach()) - loss_at(mean.detach() - step, logvar.detach())) / (2 * h);
    const double numeric_logvar =
        (loss_at(mean.detach(), logvar.detach() + step) - loss_at(mean.detach(), logvar.detach() - step)) / (2 * h);
    EXPECT_NEAR(mean.grad()[0][j].item<double>(), numeric_mean, 1e-6) << "unit " << j;
    EXPECT_NEAR(logvar.grad()[0][j].item<double>(), numeric_logvar, 1e-6) << "unit " << j;
  }
}

TEST(Variational, BceIsSummedAndClampedAsTorchDoes) {
  const torch::Tensor y = torch::tensor({{0.25f, 0.5f, 1.0f}});  // (1, 3)
  const torch::Tensor x = torch::tensor({{1.0f, 0.0f, 0.0f}});   // (1, 3)
  // -ln 0.25 - ln 0.5 - max(ln 0, -100)
  const double expected = -std::log(0.25) - std::log(0.5) + 100;
  EXPECT_NEAR(tinyae::reconstruction_bce(y, x).item<double>(), expected, 1e-4);
}

// The encoder ends in the linear mean head; the log-variance head reads the
// same hidden activations; the config marks it in JSON only when set.
TEST(Variational, ModelHasTwoHeadsAndSaysSoInJson) {
  tinyae::ModelConfig config;
  config.input_size = 6;
  config.hidden = {5};
  config.latent_size = 2;
  config.output_activation = tinyae::Activation::kSigmoid;
  EXPECT_EQ(config.to_json().count("variational"), 0u);
  config.variational = true;
  EXPECT_EQ(config.to_json()["variational"], true);
  EXPECT_EQ(tinyae::ModelConfig::from_json(config.to_json()), config);
  const auto shapes = config.parameter_shapes();
  ASSERT_EQ(shapes.size(), 10u);
  EXPECT_EQ(shapes[8].name, "logvar.weight");
  EXPECT_EQ(shapes[8].shape, (std::vector<std::int64_t>{2, 5}));

  torch::manual_seed(3);
  tinyae::Autoencoder model(config);
  EXPECT_EQ(model->encoder_layers().back().activation, tinyae::Activation::kLinear);
  ASSERT_TRUE(model->logvar_layer().has_value());
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({3, 6});  // (3, 6)
  const auto heads = model->encode_heads(x);
  EXPECT_TRUE(heads.mean.equal(model->encode(x)));
  auto first = model->encoder_layers().front().linear;
  const torch::Tensor hidden = torch::relu(first->forward(x));  // (3, 5)
  EXPECT_TRUE(heads.logvar.equal(model->logvar->forward(hidden)));
  auto names = model->named_parameters().keys();
  EXPECT_EQ(names.back(), "logvar.bias");

  tinyae::ModelConfig plain = config;
  plain.variational = false;
  tinyae::Autoencoder vanilla(plain);
  EXPECT_THROW(vanilla->encode_heads(x), tinyae::Error);
  EXPECT_FALSE(vanilla->logvar_layer().has_value());
}

}  // namespace
