// TrainStep against the reference it replaces: LibTorch autograd
// (mse_loss + backward) and tinyae::Adamax::step on a twin model, for a few
// steps on random data, every activation, with a ragged last batch; the
// same for the sparse kind's L1 penalty and the denoising kind's separate
// input and target, and the penalty against a hand computation; both GEMM
// engines, and oneDNN's run to run on the tutorial's shapes.
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../model/tensor_diff.h"
#include "tinyae/adamax.h"
#include "tinyae/common.h"
#include "tinyae/gemm.h"
#include "tinyae/model.h"
#include "tinyae/train_step.h"

namespace {

using tinyae::Activation;
using tinyae::Adamax;
using tinyae::AdamaxOptions;
using tinyae::Autoencoder;

// With LibTorch's addmm/mm a step is autograd's to the last bit; oneDNN's
// sgemm sums in another order, and 8 Adamax steps at lr 0.01 amplify that
// to about 2e-5 of the smallest state values. A wrong gradient term gives
// gaps of order 1.
double tolerance_of(tinyae::GemmEngine gemm) { return gemm == tinyae::GemmEngine::kBlas ? 0.0 : 1e-4; }

Autoencoder make_model(Activation activation, Activation output_activation) {
  tinyae::ModelConfig config;
  config.input_size = 12;
  config.hidden = {7, 5};
  config.latent_size = 3;
  config.activation = activation;
  config.output_activation = output_activation;
  torch::manual_seed(7);
  Autoencoder model(config);
  model->reset_parameters();
  return model;
}

// Largest |a - b| / max(|b|, 1e-3) over all parameters and optimizer state.
double max_relative_gap(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double gap = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = a[i].detach().to(torch::kFloat64);
    const auto y = b[i].detach().to(torch::kFloat64);
    gap = std::max(gap, ((x - y).abs() / y.abs().clamp_min(1e-3)).max().item<double>());
  }
  return gap;
}

std::vector<torch::Tensor> state_tensors(Adamax& optimizer) {
  std::vector<torch::Tensor> tensors;
  for (const auto& p : optimizer.all_parameters()) {
    tensors.push_back(p);
    tensors.push_back(optimizer.state_of(p)->exp_avg());
    tensors.push_back(optimizer.state_of(p)->exp_inf());
  }
  return tensors;
}

// `latent_l1` > 0: the sparse kind's loss; `noisy`: the input is the data
// plus fixed noise, the target the data (the denoising kind's step).
void expect_step_matches_autograd(Activation activation, Activation output_activation, double latent_l1 = 0,
                                  bool noisy = false, tinyae::GemmEngine gemm = tinyae::kDefaultGemmEngine) {
  Autoencoder reference = make_model(activation, output_activation);
  Autoencoder manual = make_model(activation, output_activation);
  // Large steps so that a wrong gradient shows within a few updates.
  Adamax reference_optimizer(reference->parameters(), AdamaxOptions(0.01));
  Adamax manual_optimizer(manual->parameters(), AdamaxOptions(0.01));
  tinyae::TrainStep step(manual, manual_optimizer, 8, 5, latent_l1, gemm);

  torch::manual_seed(11);
  const torch::Tensor data = torch::rand({29, 12});                                 // (29, 12): batches of 8, 8, 8, 5
  const torch::Tensor inputs = noisy ? data + 0.3 * torch::randn({29, 12}) : data;  // (29, 12)
  double gap = 0;
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (std::int64_t begin = 0; begin < data.size(0); begin += 8) {
      const std::int64_t end = std::min<std::int64_t>(data.size(0), begin + 8);
      const torch::Tensor x = data.slice(0, begin, end);
      const torch::Tensor input = inputs.slice(0, begin, end);
      reference_optimizer.zero_grad();
      const torch::Tensor z = reference->encode(input);  // (rows, latent)
      torch::Tensor loss = torch::mse_loss(reference->decode(z), x);
      if (latent_l1 > 0) loss = loss + latent_l1 * z.abs().sum(1).mean();
      loss.backward();
      reference_optimizer.step();
      const double manual_loss = step.run(input.contiguous(), x.contiguous());
      EXPECT_NEAR(manual_loss, loss.item<double>(), 1e-6 * loss.item<double>());
      gap = std::max(gap, max_relative_gap(state_tensors(manual_optimizer), state_tensors(reference_optimizer)));
    }
  }
  std::cout << "TrainStep vs autograd + Adamax (" << tinyae::activation_name(activation) << "/"
            << tinyae::activation_name(output_activation) << ", latent L1 " << latent_l1 << (noisy ? ", noisy" : "")
            << ", GEMM " << tinyae::gemm_engine_name(gemm) << "): max relative gap " << gap << "\n";
  EXPECT_LE(gap, tolerance_of(gemm));
  const auto manual_params = manual_optimizer.all_parameters();
  const auto reference_params = reference_optimizer.all_parameters();
  for (std::size_t i = 0; i < manual_params.size(); ++i) {
    EXPECT_EQ(manual_optimizer.state_of(manual_params[i])->step(),
              reference_optimizer.state_of(reference_params[i])->step());
  }

  // Evaluation through the step's buffers against the module's forward.
  torch::NoGradGuard no_grad;
  const double expected = (manual->forward(data) - data).square().sum(torch::kDouble).item<double>();
  const double eval_tolerance = gemm == tinyae::GemmEngine::kBlas ? 1e-9 : 1e-6;
  EXPECT_NEAR(step.squared_error(data), expected, eval_tolerance * expected);
}

constexpr tinyae::GemmEngine kEngines[] = {tinyae::GemmEngine::kBlas, tinyae::GemmEngine::kOneDnn};

TEST(TrainStep, MatchesAutogradAndAdamaxRelu) {
  for (const auto gemm : kEngines) expect_step_matches_autograd(Activation::kRelu, Activation::kRelu, 0, false, gemm);
}

// The parameters after `steps` steps of batch 256 on the tutorial's layers
// from seed 3, with `threads` GEMM threads.
torch::Tensor tutorial_parameters_after(int steps, tinyae::GemmEngine gemm, int threads) {
  tinyae::set_gemm_threads(threads);
  tinyae::ModelConfig config;  // 784-128-64-32 and mirror, ReLU
  torch::manual_seed(3);
  Autoencoder model(config);
  model->reset_parameters();
  Adamax optimizer(model->parameters(), AdamaxOptions(0.001));
  tinyae::TrainStep step(model, optimizer, 256, 100, 0, gemm);
  torch::manual_seed(5);
  const torch::Tensor data = torch::rand({256 * steps + 96, 784});  // a ragged last batch of 96
  for (std::int64_t begin = 0; begin < data.size(0); begin += 256) {
    step.run(data.slice(0, begin, std::min<std::int64_t>(data.size(0), begin + 256)).contiguous());
  }
  std::vector<torch::Tensor> flat;
  for (const auto& p : model->parameters()) flat.push_back(p.detach().reshape({-1}));
  return torch::cat(flat);
}

// Same seed, same run: oneDNN's sgemm gives the same bits every time, with
// one thread and with two; the engines differ by rounding only.
TEST(TrainStep, OneDnnIsDeterministicAndAgreesWithTheBlasToRounding) {
  for (const int threads : {1, 2}) {
    const torch::Tensor first = tutorial_parameters_after(4, tinyae::GemmEngine::kOneDnn, threads);
    const torch::Tensor second = tutorial_parameters_after(4, tinyae::GemmEngine::kOneDnn, threads);
    EXPECT_TRUE(torch::equal(first, second)) << threads << " thread(s)";
    const torch::Tensor blas = tutorial_parameters_after(4, tinyae::GemmEngine::kBlas, threads);
    const double gap = (first - blas).abs().max().item<double>();
    std::cout << "oneDNN vs BLAS, " << threads << " thread(s), 5 steps: max |parameter gap| " << gap << "\n";
    EXPECT_LT(gap, 1e-5);  // lr 0.001: a wrong product moves a parameter by about 1e-3 a step
  }
  tinyae::set_gemm_threads(1);
}

TEST(TrainStep, MatchesAutogradAndAdamaxOtherActivations) {
  for (const auto gemm : kEngines) {
    expect_step_matches_autograd(Activation::kTanh, Activation::kSigmoid, 0, false, gemm);
    expect_step_matches_autograd(Activation::kLinear, Activation::kLinear, 0, false, gemm);
  }
}

// A weight large enough that the penalty's gradient steers the steps.
TEST(TrainStep, SparsePenaltyMatchesAutograd) {
  for (const auto gemm : kEngines) {
    expect_step_matches_autograd(Activation::kRelu, Activation::kRelu, 0.05, false, gemm);
    expect_step_matches_autograd(Activation::kTanh, Activation::kLinear, 0.05, false, gemm);
  }
}

TEST(TrainStep, DenoisingInputAndTargetMatchAutograd) {
  for (const auto gemm : kEngines) {
    expect_step_matches_autograd(Activation::kRelu, Activation::kRelu, 0, true, gemm);
    expect_step_matches_autograd(Activation::kRelu, Activation::kSigmoid, 0.05, true, gemm);
  }
}

// The penalty on a network small enough to follow by hand: input 2, no
// hidden layer, latent 2, linear; encoder weights [[1, -2], [0.5, 1]],
// biases [0.25, -1]. Rows (1, 1) and (2, 0) give codes (-0.75, 0.5) and
// (2.25, 0): sum |z| = 1.25 and 2.25, mean 1.75, penalty 0.1 * 1.75.
// The MSE part is the loss minus the penalty; at lr 0 nothing moves, so
// the evaluation sums see the same codes.
TEST(TrainStep, SparsePenaltyByHand) {
  tinyae::ModelConfig config;
  config.input_size = 2;
  config.hidden = {};
  config.latent_size = 2;
  config.activation = Activation::kLinear;
  config.output_activation = Activation::kLinear;
  Autoencoder model(config);
  {
    torch::NoGradGuard no_grad;
    model->encoder_layers()[0].linear->weight.copy_(torch::tensor({{1.0f, -2.0f}, {0.5f, 1.0f}}));
    model->encoder_layers()[0].linear->bias.copy_(torch::tensor({0.25f, -1.0f}));
  }
  Adamax optimizer(model->parameters(), AdamaxOptions(1e-30));
  tinyae::TrainStep step(model, optimizer, 2, 2, 0.1);
  const torch::Tensor x = torch::tensor({{1.0f, 1.0f}, {2.0f, 0.0f}});  // (2, 2)
  double mse = 0;
  {
    torch::NoGradGuard no_grad;
    mse = (model->forward(x) - x).square().mean().item<double>();
  }
  const double loss = step.run(x);
  EXPECT_NEAR(step.last_penalty(), 0.1 * 1.75, 1e-7);
  EXPECT_NEAR(loss, mse + 0.1 * 1.75, 1e-6);
  const tinyae::TrainStep::Sums sums = step.evaluate(x, x);
  EXPECT_NEAR(sums.latent_l1, 1.25 + 2.25, 1e-5);
  EXPECT_NEAR(sums.squared_error, 4 * mse, 1e-5);
}

// The model's tensors stay the ones the module and the optimizer hold, now
// views into the flat buffers, so a checkpoint sees the trained values.
TEST(TrainStep, UpdatesTheModelsOwnParameters) {
  Autoencoder model = make_model(Activation::kRelu, Activation::kRelu);
  Adamax optimizer(model->parameters(), AdamaxOptions(0.01));
  const auto before = model->named_parameters()["encoder.0.weight"].clone();
  tinyae::TrainStep step(model, optimizer, 4, 4);
  EXPECT_TRUE(torch::equal(model->named_parameters()["encoder.0.weight"], before));
  step.run(torch::rand({4, 12}));
  EXPECT_FALSE(torch::equal(model->named_parameters()["encoder.0.weight"], before));
  EXPECT_EQ(optimizer.state_of(model->parameters()[0])->step(), 1);
}

// Bitwise: the same seed and batches give the same parameters and state,
// and a TrainStep built on a copy of that state after step 2 (what a resume
// restores from the checkpoint) continues exactly as the uninterrupted one.
TEST(TrainStep, IsDeterministicAndResumesBitwise) {
  torch::manual_seed(11);
  const torch::Tensor data = torch::rand({4, 6, 12});  // 4 batches of (6, 12)
  auto train_steps = [&](Autoencoder model, Adamax& optimizer, std::int64_t first, std::int64_t last) {
    tinyae::TrainStep step(model, optimizer, 6, 6);
    for (std::int64_t b = first; b < last; ++b) step.run(data[b].contiguous());
  };
  Autoencoder first = make_model(Activation::kRelu, Activation::kRelu);
  Adamax first_optimizer(first->parameters(), AdamaxOptions(0.01));
  train_steps(first, first_optimizer, 0, 4);
  Autoencoder second = make_model(Activation::kRelu, Activation::kRelu);
  Adamax second_optimizer(second->parameters(), AdamaxOptions(0.01));
  train_steps(second, second_optimizer, 0, 4);

  Autoencoder interrupted = make_model(Activation::kRelu, Activation::kRelu);
  Adamax interrupted_optimizer(interrupted->parameters(), AdamaxOptions(0.01));
  train_steps(interrupted, interrupted_optimizer, 0, 2);
  Autoencoder resumed = make_model(Activation::kRelu, Activation::kRelu);
  Adamax resumed_optimizer(resumed->parameters(), AdamaxOptions(0.01));
  {
    torch::NoGradGuard no_grad;
    const auto from = interrupted_optimizer.all_parameters();
    const auto to = resumed_optimizer.all_parameters();
    for (std::size_t i = 0; i < from.size(); ++i) {
      to[i].copy_(from[i]);
      const tinyae::AdamaxParamState* state = interrupted_optimizer.state_of(from[i]);
      auto copy = std::make_unique<tinyae::AdamaxParamState>();
      copy->step(state->step());
      copy->exp_avg(state->exp_avg().clone());
      copy->exp_inf(state->exp_inf().clone());
      resumed_optimizer.set_state_of(to[i], std::move(copy));
    }
  }
  train_steps(resumed, resumed_optimizer, 2, 4);

  const auto expected = state_tensors(first_optimizer);
  for (Adamax* other : {&second_optimizer, &resumed_optimizer}) {
    const auto found = state_tensors(*other);
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(torch::equal(found[i], expected[i])) << i;
  }
}

// run() updates each layer as soon as its gradients are done (oneDNN
// engine); the phases one by one (what data-parallel training calls, with
// the all-reduce between backward and update) must give the same bits.
TEST(TrainStep, RunEqualsItsPhasesBitwise) {
  torch::manual_seed(12);
  const torch::Tensor data = torch::rand({3, 6, 12});  // 3 batches of (6, 12)
  for (tinyae::GemmEngine gemm : kEngines) {
    Autoencoder whole = make_model(Activation::kRelu, Activation::kSigmoid);
    Adamax whole_optimizer(whole->parameters(), AdamaxOptions(0.01));
    tinyae::TrainStep whole_step(whole, whole_optimizer, 6, 6, 0.01, gemm);
    Autoencoder phased = make_model(Activation::kRelu, Activation::kSigmoid);
    Adamax phased_optimizer(phased->parameters(), AdamaxOptions(0.01));
    tinyae::TrainStep phased_step(phased, phased_optimizer, 6, 6, 0.01, gemm);
    for (std::int64_t b = 0; b < data.size(0); ++b) {
      const torch::Tensor x = data[b].contiguous();  // (6, 12)
      const double whole_loss = whole_step.run(x);
      const double phased_loss = phased_step.forward_loss(x);
      phased_step.backward(x);
      phased_step.update();
      EXPECT_EQ(whole_loss, phased_loss);
    }
    const auto expected = state_tensors(phased_optimizer);
    const auto found = state_tensors(whole_optimizer);
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_TRUE(torch::equal(found[i], expected[i])) << "tensor " << i << ", GEMM " << tinyae::gemm_engine_name(gemm);
    }
    for (const auto& p : whole_optimizer.all_parameters()) EXPECT_EQ(whole_optimizer.state_of(p)->step(), 3);
  }
}

TEST(TrainStep, RefusesAForeignOptimizerAndBadBatches) {
  Autoencoder model = make_model(Activation::kRelu, Activation::kRelu);
  Autoencoder other = make_model(Activation::kRelu, Activation::kRelu);
  Adamax foreign(other->parameters(), AdamaxOptions(0.01));
  EXPECT_THROW(tinyae::TrainStep(model, foreign, 4, 4), tinyae::Error);
  Adamax optimizer(model->parameters(), AdamaxOptions(0.01));
  tinyae::TrainStep step(model, optimizer, 4, 4);
  EXPECT_THROW(step.run(torch::rand({5, 12})), tinyae::Error);
  EXPECT_THROW(step.run(torch::rand({4, 11})), tinyae::Error);
}

}  // namespace
