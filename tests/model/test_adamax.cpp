// Adamax: the update rule worked by hand on a two-element tensor, golden
// numbers recorded from PyTorch's torch.optim.Adamax, state save/load through
// torch::serialize, option checks, and the torch::optim::Optimizer plumbing
// (param groups, parameters without gradients).
#include <cmath>
#include <limits>
#include <sstream>

#include <gtest/gtest.h>

#include "tensor_diff.h"
#include "tinyae/adamax.h"
#include "tinyae/common.h"

namespace tinyae {
namespace {

using test::bitwise_equal;
using test::tensor_diff;

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Adamax, KerasDefaults) {
  const AdamaxOptions options;
  EXPECT_EQ(options.lr(), 1e-3);
  EXPECT_EQ(options.beta1(), 0.9);
  EXPECT_EQ(options.beta2(), 0.999);
  EXPECT_EQ(options.eps(), 1e-7);
  EXPECT_EQ(options.weight_decay(), 0.0);
}

// Three steps on p = (1, -2) with lr 0.1, betas 0.9/0.999, eps 1e-7 and
// gradients set by hand, against the rule in adamax.h worked out on paper:
//
// step 1, g = (0.5, -0.1):
//   m = 0.1 g                       = (0.05, -0.01)
//   u = max(0, |g| + eps)           = (0.5000001, 0.1000001)
//   lr / (1 - 0.9)                  = 1
//   p = p - m / u = (1 - 0.09999998, -2 + 0.0999999)  = (0.90000002, -1.9000001)
//   (the first step moves every element by about lr against the gradient's sign)
// step 2, g = (-0.2, 0.3):
//   m = 0.9 m + 0.1 g               = (0.025, 0.021)
//   u = max(0.999 u, |g| + eps)     = (0.4995000999, 0.3000001)
//   lr / (1 - 0.81)                 = 0.526315789...
//   p = p - 0.5263 m / u            = (0.873657893663, -1.93684219298)
// step 3, g = (0, 0.3):
//   m                               = (0.0225, 0.0489)
//   u  (element 0 decays: 0.999 * 0.4995000999 > 0 + eps)
//                                   = (0.4990005998, 0.3000001)
//   lr / (1 - 0.729)                = 0.369003690...
//   p                               = (0.857019470725, -1.99698977441)
TEST(Adamax, UpdateRuleByHand) {
  auto p = torch::tensor({1.0f, -2.0f}).requires_grad_(true);  // (2)
  Adamax optimizer({p}, AdamaxOptions(0.1).beta1(0.9).beta2(0.999).eps(1e-7));
  const float gradients[3][2] = {{0.5f, -0.1f}, {-0.2f, 0.3f}, {0.0f, 0.3f}};
  const double expected_p[3][2] = {
      {0.90000002, -1.9000001}, {0.873657893663, -1.93684219298}, {0.857019470725, -1.99698977441}};
  const double expected_m[3][2] = {{0.05, -0.01}, {0.025, 0.021}, {0.0225, 0.0489}};
  const double expected_u[3][2] = {{0.5000001, 0.1000001}, {0.4995000999, 0.3000001}, {0.4990005998, 0.3000001}};
  for (int t = 0; t < 3; ++t) {
    p.mutable_grad() = torch::tensor({gradients[t][0], gradients[t][1]});
    optimizer.step();
    const auto* state = optimizer.state_of(p);
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(state->step(), t + 1);
    const auto expect_close = [t](const char* what, const torch::Tensor& got, const double(&want)[2]) {
      const auto d = tensor_diff(got, torch::tensor({want[0], want[1]}, torch::kFloat64));
      // float32 arithmetic against double on paper: a few ulps of values near 1.
      EXPECT_LT(d.max_abs, 1e-6) << what << " after step " << t + 1 << ": " << d.describe();
      std::cout << "[ by hand ] " << what << " step " << t + 1 << ": " << d.describe() << "\n";
    };
    expect_close("p", p, expected_p[t]);
    expect_close("m", state->exp_avg(), expected_m[t]);
    expect_close("u", state->exp_inf(), expected_u[t]);
  }
}

// Golden numbers: torch.optim.Adamax (torch 1.13.0, the single-tensor path),
// a Linear(3, 2) with the weights below, four inputs, MSE, five steps,
// lr 0.01, betas 0.9/0.999, eps 1e-7. Printed by
//   /usr/bin/python3 tests/model/record_adamax_golden.py
// and pasted here unchanged.
const float kWeight[6] = {0.5f, -0.25f, 0.125f, -0.75f, 0.3f, 0.9f};                  // (out=2, in=3)
const float kBias[2] = {0.1f, -0.2f};                                                 // (out=2)
const float kInputs[12] = {1, 2, -1, 0.5f, -1.5f, 2, -2, 0.25f, 0.75f, 3, -0.5f, 1};  // (n=4, in=3)
const float kTargets[8] = {1, -1, 0, 2, -1.5f, 0.5f, 2.5f, 1};                        // (n=4, out=2)

// clang-format off
// --- begin output of record_adamax_golden.py ---
// Recorded by tests/model/record_adamax_golden.py with torch 1.13.0a0
const float kGoldenLoss[5] = {1.75973165f, 1.68303943f, 1.60972667f, 1.53964877f, 1.47269011f};
const float kGoldenWeight[5][6] = {
    {0.50999999f, -0.239999995f, 0.115000002f, -0.74000001f, 0.290000021f, 0.909999967f},
    {0.519806266f, -0.230187789f, 0.105133548f, -0.730072975f, 0.280202031f, 0.919782698f},
    {0.529421628f, -0.220567212f, 0.0954146907f, -0.720221221f, 0.270610511f, 0.929343164f},
    {0.5388484f, -0.211141884f, 0.0858564451f, -0.710447013f, 0.261229634f, 0.938676715f},
    {0.54808861f, -0.20191519f, 0.076470688f, -0.700752556f, 0.252063274f, 0.947779059f}};
const float kGoldenBias[5][2] = {
    {0.10999994f, -0.189999998f},
    {0.116944663f, -0.180170625f},
    {0.121392205f, -0.170516238f},
    {0.123855121f, -0.161041006f},
    {0.124796227f, -0.151748866f}};
const float kGoldenWeightExpAvg[6] = {-0.353328496f, -0.285042971f, 0.267825216f, -1.19241452f, 0.287414789f, -0.346897572f};
const float kGoldenWeightExpInf[6] = {0.933755815f, 0.754396856f, 0.696815312f, 3.00358081f, 0.765679836f, 0.930643439f};
const float kGoldenBiasExpAvg[2] = {-0.00065974734f, -0.24872072f};
const float kGoldenBiasExpInf[2] = {0.0171189308f, 0.653629184f};
// --- end output ---
// clang-format on

torch::Tensor from(const float* values, std::vector<std::int64_t> shape) {
  std::int64_t count = 1;
  for (const auto s : shape) count *= s;
  return torch::from_blob(const_cast<float*>(values), {count}, torch::kFloat32).clone().reshape(shape);
}

TEST(Adamax, MatchesPyTorchGolden) {
  torch::nn::Linear layer(3, 2);
  {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(from(kWeight, {2, 3}));
    layer->bias.copy_(from(kBias, {2}));
  }
  const auto x = from(kInputs, {4, 3});
  const auto y = from(kTargets, {4, 2});
  Adamax optimizer(layer->parameters(), AdamaxOptions(0.01).beta1(0.9).beta2(0.999).eps(1e-7));
  constexpr double kTolerance = 1e-6;
  double worst = 0;
  for (int step = 0; step < 5; ++step) {
    optimizer.zero_grad();
    const auto loss = torch::mse_loss(layer->forward(x), y);
    loss.backward();
    optimizer.step();
    const double loss_gap = std::abs(loss.item<double>() - static_cast<double>(kGoldenLoss[step]));
    EXPECT_LT(loss_gap, kTolerance) << "loss before step " << step + 1;
    const auto dw = tensor_diff(layer->weight, from(kGoldenWeight[step], {2, 3}));
    const auto db = tensor_diff(layer->bias, from(kGoldenBias[step], {2}));
    EXPECT_LT(dw.max_abs, kTolerance) << "weight after step " << step + 1 << ": " << dw.describe();
    EXPECT_LT(db.max_abs, kTolerance) << "bias after step " << step + 1 << ": " << db.describe();
    worst = std::max({worst, loss_gap, dw.max_abs, db.max_abs});
  }
  const auto* wstate = optimizer.state_of(layer->weight);
  const auto* bstate = optimizer.state_of(layer->bias);
  ASSERT_TRUE(wstate != nullptr && bstate != nullptr);
  EXPECT_EQ(wstate->step(), 5);
  const std::pair<const char*, test::TensorDiff> state_gaps[] = {
      {"weight exp_avg", tensor_diff(wstate->exp_avg(), from(kGoldenWeightExpAvg, {2, 3}))},
      {"weight exp_inf", tensor_diff(wstate->exp_inf(), from(kGoldenWeightExpInf, {2, 3}))},
      {"bias exp_avg", tensor_diff(bstate->exp_avg(), from(kGoldenBiasExpAvg, {2}))},
      {"bias exp_inf", tensor_diff(bstate->exp_inf(), from(kGoldenBiasExpInf, {2}))}};
  for (const auto& [what, d] : state_gaps) {
    EXPECT_LT(d.max_abs, kTolerance) << what << ": " << d.describe();
    worst = std::max(worst, d.max_abs);
  }
  std::cout << "[ golden ] LibTorch Adamax vs torch.optim.Adamax, 5 steps: max abs diff " << worst << " (tolerance "
            << kTolerance << ")\n";
}

// An optimizer saved with torch::save and loaded into a fresh one (on the
// same parameters, and on copies of them) continues identically.
TEST(Adamax, StateRoundTripsThroughTorchSerialize) {
  torch::manual_seed(5);
  torch::nn::Linear layer(4, 3);
  const auto x = torch::randn({8, 4});  // (8, 4)
  const auto run_step = [&](torch::nn::Linear& l, Adamax& optimizer) {
    optimizer.zero_grad();
    torch::mse_loss(l->forward(x), torch::zeros({8, 3})).backward();
    optimizer.step();
  };
  Adamax original(layer->parameters(), AdamaxOptions(0.05).beta2(0.99));
  run_step(layer, original);
  run_step(layer, original);

  std::stringstream archive;
  torch::save(original, archive);

  // A copy of the layer with its own tensors: state must follow parameter order, not identity.
  torch::nn::Linear copy(4, 3);
  {
    torch::NoGradGuard no_grad;
    copy->weight.copy_(layer->weight);
    copy->bias.copy_(layer->bias);
  }
  Adamax loaded(copy->parameters(), AdamaxOptions(0.05).beta2(0.99));
  torch::load(loaded, archive);

  const auto originals = original.all_parameters();
  const auto copies = loaded.all_parameters();
  for (std::size_t i = 0; i < originals.size(); ++i) {
    const auto* a = original.state_of(originals[i]);
    const auto* b = loaded.state_of(copies[i]);
    ASSERT_TRUE(a != nullptr && b != nullptr) << "parameter " << i;
    EXPECT_EQ(a->step(), 2);
    EXPECT_EQ(b->step(), 2);
    EXPECT_TRUE(bitwise_equal(a->exp_avg(), b->exp_avg())) << tensor_diff(a->exp_avg(), b->exp_avg()).describe();
    EXPECT_TRUE(bitwise_equal(a->exp_inf(), b->exp_inf())) << tensor_diff(a->exp_inf(), b->exp_inf()).describe();
  }
  const auto& options = static_cast<const AdamaxOptions&>(loaded.param_groups()[0].options());
  EXPECT_EQ(options.lr(), 0.05);
  EXPECT_EQ(options.beta2(), 0.99);

  run_step(layer, original);
  run_step(copy, loaded);
  EXPECT_TRUE(bitwise_equal(layer->weight, copy->weight)) << tensor_diff(layer->weight, copy->weight).describe();
  EXPECT_TRUE(bitwise_equal(layer->bias, copy->bias)) << tensor_diff(layer->bias, copy->bias).describe();
}

TEST(Adamax, ParamGroupsAndMissingGradients) {
  auto a = torch::ones({3}).requires_grad_(true);
  auto b = torch::ones({2}).requires_grad_(true);
  auto unused = torch::ones({2}).requires_grad_(true);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{a, unused});
  groups.emplace_back(std::vector<torch::Tensor>{b}, std::make_unique<AdamaxOptions>(0.5));
  Adamax optimizer(std::move(groups), AdamaxOptions(0.1));
  (a.sum() + b.sum()).backward();
  optimizer.step();
  // First step: every element moves by lr * g / (|g| + eps) with g = 1.
  const double moved_a = 1 - a[0].item<double>();
  const double moved_b = 1 - b[0].item<double>();
  EXPECT_NEAR(moved_a, 0.1, 1e-6);
  EXPECT_NEAR(moved_b, 0.5, 1e-6);
  EXPECT_EQ(optimizer.state_of(unused), nullptr);  // no gradient, no state, not moved
  EXPECT_EQ(unused[0].item<float>(), 1.0f);
  EXPECT_EQ(optimizer.all_parameters().size(), 3u);
  EXPECT_TRUE(optimizer.all_parameters()[2].is_same(b));
}

TEST(Adamax, BadOptionsAreClearErrors) {
  const auto p = torch::ones({1}).requires_grad_(true);
  const auto message_for = [&](AdamaxOptions options) { return error_of([&] { Adamax optimizer({p}, options); }); };
  EXPECT_NE(message_for(AdamaxOptions(-1)).find("learning rate must be >= 0, found -1"), std::string::npos);
  EXPECT_NE(message_for(AdamaxOptions(std::nan(""))).find("learning rate"), std::string::npos);
  EXPECT_NE(message_for(AdamaxOptions().beta1(1.0)).find("beta1 must be in [0, 1), found 1"), std::string::npos);
  EXPECT_NE(message_for(AdamaxOptions().beta2(-0.1)).find("beta2 must be in [0, 1), found -0.1"), std::string::npos);
  EXPECT_NE(message_for(AdamaxOptions().eps(-1e-7)).find("eps must be >= 0"), std::string::npos);
  EXPECT_NE(message_for(AdamaxOptions().weight_decay(-1)).find("weight_decay must be >= 0"), std::string::npos);
  EXPECT_EQ(message_for(AdamaxOptions().beta1(0).beta2(0).eps(0)), "");  // edges are allowed

  // A group's own options are checked too.
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{p}, std::make_unique<AdamaxOptions>(-0.5));
  const auto message = error_of([&] { Adamax optimizer(std::move(groups)); });
  EXPECT_NE(message.find("learning rate must be >= 0"), std::string::npos) << message;
}

}  // namespace
}  // namespace tinyae
