// fused.h's passes (TrainStep's elementwise work with the oneDNN engine)
// against the LibTorch ops they replace, on shapes large enough to be split
// over threads, with a row stride wider than the row: the same bits for 1,
// 2 and 3 threads and every instruction set's kernels, and LibTorch's values
// to rounding. gather_batch against index_select, and its refusals; when
// the OpenMP team is bound to CPUs.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../../src/train/fused.h"
#include "tinyae/common.h"
#include "tinyae/gemm.h"
#include "tinyae/train_step.h"

namespace {

using tinyae::Activation;

constexpr std::int64_t kRows = 200;  // 200 x 300 = 60,000 elements: past the single-thread cutoff
constexpr std::int64_t kCols = 300;
constexpr std::int64_t kStride = 320;  // a (rows, cols) view into (rows, kStride) memory
constexpr int kThreadCounts[] = {1, 2, 3};

// Runs `pass` at every thread count with every instruction set's kernels
// this CPU runs (thread counts vary fastest) and returns its outputs; the
// thread count and the kernels are restored afterwards.
std::vector<std::vector<torch::Tensor>> at_each_thread_count(const std::function<std::vector<torch::Tensor>()>& pass) {
  const int saved = tinyae::gemm_threads();
  const std::string saved_isa(tinyae::fused_isa());
  std::vector<std::vector<torch::Tensor>> results;
  for (std::string_view isa : tinyae::fused_isas()) {
    tinyae::set_fused_isa(isa);
    for (int threads : kThreadCounts) {
      tinyae::set_gemm_threads(threads);
      results.push_back(pass());
    }
  }
  tinyae::set_gemm_threads(saved);
  tinyae::set_fused_isa(saved_isa);
  return results;
}

std::string setting_name(std::size_t t) {
  const std::size_t counts = std::size(kThreadCounts);
  return std::string(tinyae::fused_isas()[t / counts]) + " kernels at " + std::to_string(kThreadCounts[t % counts]) +
         " thread(s)";
}

void expect_equal_across_thread_counts(const std::vector<std::vector<torch::Tensor>>& results) {
  for (std::size_t t = 1; t < results.size(); ++t) {
    for (std::size_t i = 0; i < results[0].size(); ++i) {
      EXPECT_TRUE(torch::equal(results[0][i], results[t][i]))
          << "output " << i << " differs between " << setting_name(0) << " and " << setting_name(t);
    }
  }
}

double max_abs_gap(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

torch::Tensor strided_matrix(std::uint64_t seed) {
  torch::manual_seed(static_cast<std::int64_t>(seed));
  return torch::randn({kRows, kStride}).narrow(1, 0, kCols);  // (rows, cols), row stride kStride
}

const Activation kActivations[] = {Activation::kLinear, Activation::kRelu, Activation::kSigmoid, Activation::kTanh};

torch::Tensor activate(Activation activation, const torch::Tensor& v) {
  switch (activation) {
    case Activation::kLinear:
      return v;
    case Activation::kRelu:
      return v.relu();
    case Activation::kSigmoid:
      return v.sigmoid();
    case Activation::kTanh:
      return v.tanh();
  }
  return v;
}

// LibTorch's backward through `activation` from the layer's output, as
// autograd takes it.
torch::Tensor activation_backward(Activation activation, const torch::Tensor& grad, const torch::Tensor& out) {
  switch (activation) {
    case Activation::kLinear:
      return grad;
    case Activation::kRelu:
      return torch::threshold_backward(grad, out, 0);
    case Activation::kSigmoid:
      return torch::sigmoid_backward(grad, out);
    case Activation::kTanh:
      return torch::tanh_backward(grad, out);
  }
  return grad;
}

TEST(Fused, BiasActivationMatchesLibTorch) {
  const torch::Tensor bias = torch::randn({kCols});  // (cols)
  for (Activation activation : kActivations) {
    const torch::Tensor z0 = strided_matrix(1);
    const auto results = at_each_thread_count([&] {
      torch::Tensor z = z0.clone(torch::MemoryFormat::Preserve);
      tinyae::fused_bias_activation(z.data_ptr<float>(), kRows, kCols, z.stride(0), bias.data_ptr<float>(), activation);
      return std::vector<torch::Tensor>{z};
    });
    expect_equal_across_thread_counts(results);
    const double gap = max_abs_gap(results[0][0], activate(activation, z0 + bias));
    std::cout << "bias + activation " << static_cast<int>(activation) << ": max |gap| to LibTorch " << gap << "\n";
    EXPECT_LE(gap, 1e-6);
  }
}

TEST(Fused, OutputGradientAndSquaredErrorMatchLibTorch) {
  const torch::Tensor target = torch::rand({kRows, kCols});  // (rows, cols)
  const torch::Tensor bias = torch::randn({kCols});          // (cols)
  const float scale = 2.0f / static_cast<float>(kRows * kCols);
  for (Activation activation : kActivations) {
    const torch::Tensor product = torch::randn({kRows, kCols});    // (rows, cols): the output layer's x W^T
    const torch::Tensor y = activate(activation, product + bias);  // (rows, cols): its output
    std::vector<double> sums;
    const auto results = at_each_thread_count([&] {
      torch::Tensor out = product.clone();  // becomes y
      torch::Tensor grad = torch::empty({kRows, kCols});
      torch::Tensor d_bias = torch::full({kCols}, 99.0f);  // overwritten, not accumulated into
      sums.push_back(tinyae::fused_output_gradient(grad.data_ptr<float>(), out.data_ptr<float>(),
                                                   bias.data_ptr<float>(), target.data_ptr<float>(), kRows, kCols,
                                                   scale, activation, d_bias.data_ptr<float>()));
      sums.push_back(tinyae::fused_squared_error(out.data_ptr<float>(), target.data_ptr<float>(), kRows, kCols));
      return std::vector<torch::Tensor>{out, grad, d_bias};
    });
    expect_equal_across_thread_counts(results);
    for (double sum : sums) EXPECT_EQ(sum, sums[0]) << "the squared error depends on the thread count or the kernels";
    const double expected = (y - target).to(torch::kFloat64).square().sum().item<double>();
    // Each row's squares are summed in 16 float lanes: 300 columns put 19
    // or 20 terms in a lane, each sum at most 20 roundings of 2^-24 off.
    EXPECT_NEAR(sums[0], expected, 20 * 6e-8 * expected);
    // mse_loss_backward, then the activation's backward from the output.
    const torch::Tensor grad = activation_backward(activation, (y - target) * scale, y);
    const double y_gap = max_abs_gap(results[0][0], y);
    const double grad_gap = max_abs_gap(results[0][1], grad);
    const double bias_gap = max_abs_gap(results[0][2], grad.sum(0));
    std::cout << "output gradient " << static_cast<int>(activation) << ": squared error " << sums[0]
              << " (double reference " << expected << ", relative gap " << std::abs(sums[0] - expected) / expected
              << "); max |gap| output " << y_gap << ", gradient " << grad_gap << ", bias sum " << bias_gap << "\n";
    EXPECT_LE(y_gap, 1e-6);
    EXPECT_LE(grad_gap, 1e-10);
    EXPECT_LE(bias_gap, 1e-8);
  }
}

TEST(Fused, ActivationBackwardMatchesLibTorch) {
  for (Activation activation : kActivations) {
    for (float l1_scale : {0.0f, 0.01f}) {
      const torch::Tensor pre = strided_matrix(2);
      const torch::Tensor out = activate(activation, pre).contiguous();  // (rows, cols)
      const torch::Tensor grad0 = strided_matrix(3);                     // (rows, cols), stride kStride
      const auto results = at_each_thread_count([&] {
        torch::Tensor grad = grad0.clone(torch::MemoryFormat::Preserve);
        torch::Tensor d_bias = torch::full({kCols}, 99.0f);  // overwritten, not accumulated into
        tinyae::fused_activation_backward(grad.data_ptr<float>(), grad.stride(0), out.data_ptr<float>(), out.stride(0),
                                          kRows, kCols, activation, l1_scale, d_bias.data_ptr<float>());
        return std::vector<torch::Tensor>{grad, d_bias};
      });
      expect_equal_across_thread_counts(results);
      const torch::Tensor expected = activation_backward(activation, grad0 + l1_scale * out.sign(), out);
      const double grad_gap = max_abs_gap(results[0][0], expected);
      const double bias_gap = max_abs_gap(results[0][1], expected.sum(0));
      std::cout << "activation backward " << static_cast<int>(activation) << ", l1 " << l1_scale
                << ": max |gap| gradient " << grad_gap << ", bias sum " << bias_gap << "\n";
      EXPECT_LE(grad_gap, 1e-6);
      EXPECT_LE(bias_gap, 1e-4);  // sums of 200 values of order 1, in another order
    }
  }
}

TEST(Fused, AdamaxMatchesLibTorchOps) {
  const std::int64_t n = 50000;
  torch::manual_seed(4);
  const torch::Tensor param0 = torch::randn({n}), grad = torch::randn({n}) * 0.1;
  const torch::Tensor m0 = torch::randn({n}) * 0.01, u0 = torch::rand({n}) * 0.1;
  for (float weight_decay : {0.0f, 0.01f}) {
    const tinyae::AdamaxScalars s{0.9f, 0.999f, 1e-8f, weight_decay, 0.002f / (1.0f - 0.9f * 0.9f)};
    const auto results = at_each_thread_count([&] {
      torch::Tensor param = param0.clone(), m = m0.clone(), u = u0.clone();
      tinyae::fused_adamax(param.data_ptr<float>(), grad.data_ptr<float>(), m.data_ptr<float>(), u.data_ptr<float>(), n,
                           s);
      return std::vector<torch::Tensor>{param, m, u};
    });
    expect_equal_across_thread_counts(results);
    // Adamax::step's ops.
    const torch::Tensor g = grad + weight_decay * param0;
    const torch::Tensor m = m0 * s.beta1 + (1 - s.beta1) * g;
    const torch::Tensor u = torch::maximum(u0 * s.beta2, g.abs() + s.eps);
    const torch::Tensor param = param0 - s.step_size * (m / u);
    const double gaps[] = {max_abs_gap(results[0][0], param), max_abs_gap(results[0][1], m),
                           max_abs_gap(results[0][2], u)};
    std::cout << "Adamax, weight decay " << weight_decay << ": max |gap| parameter " << gaps[0] << ", m " << gaps[1]
              << ", u " << gaps[2] << "\n";
    for (double gap : gaps) EXPECT_LE(gap, 1e-6);
  }
}

// Where the gradient is 0, Adamax's m decays by beta1 a step; the fused
// pass flushes it to 0 once it falls below the smallest normal float instead
// of letting it run through the subnormals (slow on this CPU). The
// parameters come out as LibTorch's: the step there is far below their
// last bit.
TEST(Fused, AdamaxFlushesASubnormalFirstMomentOnly) {
  const std::int64_t n = 40000;
  torch::manual_seed(6);
  const torch::Tensor param0 = torch::randn({n}) * 0.05;                          // (n)
  const torch::Tensor grad = torch::zeros({n});                                   // (n): blank pixels
  const torch::Tensor m0 = torch::full({n}, 1.2e-38f) * torch::rand({n}).add(1);  // (n): 1.2e-38 to 2.4e-38
  const torch::Tensor u0 = torch::full({n}, 1e-3f);                               // (n)
  const tinyae::AdamaxScalars s{0.9f, 0.999f, 1e-8f, 0.0f, 0.002f / (1.0f - 0.9f * 0.9f)};
  const auto results = at_each_thread_count([&] {
    torch::Tensor param = param0.clone(), m = m0.clone(), u = u0.clone();
    tinyae::fused_adamax(param.data_ptr<float>(), grad.data_ptr<float>(), m.data_ptr<float>(), u.data_ptr<float>(), n,
                         s);
    return std::vector<torch::Tensor>{param, m};
  });
  expect_equal_across_thread_counts(results);
  const torch::Tensor m = m0 * s.beta1;                         // LibTorch's m: some of it subnormal
  const torch::Tensor param = param0 - s.step_size * (m / u0);  // LibTorch's step
  const float smallest_normal = std::numeric_limits<float>::min();
  const torch::Tensor subnormal = m.abs() < smallest_normal;  // (n) bool
  const std::int64_t flushed = subnormal.sum().item<std::int64_t>();
  std::cout << "Adamax: " << flushed << " of " << n << " values of m subnormal in LibTorch, "
            << (results[0][1] == 0).sum().item<std::int64_t>() << " zero in the fused pass\n";
  ASSERT_GT(flushed, 0) << "the test's m should cross into the subnormals";
  ASSERT_LT(flushed, n) << "the test's m should keep some normal values";
  EXPECT_TRUE(torch::equal(results[0][1], torch::where(subnormal, torch::zeros_like(m), m)))
      << "m: normal values as LibTorch's, subnormal ones 0";
  EXPECT_TRUE(torch::equal(results[0][0], param)) << "the parameters differ from LibTorch's";
}

TEST(Fused, GatherBatchIsIndexSelect) {
  torch::manual_seed(5);
  const torch::Tensor images = torch::rand({1000, 784});                             // (n, 784)
  const torch::Tensor index = torch::randperm(1000, torch::kLong).slice(0, 0, 256);  // (256)
  const auto results = at_each_thread_count([&] {
    torch::Tensor out = torch::empty({256, 784});
    tinyae::gather_batch(out, images, index);
    return std::vector<torch::Tensor>{out};
  });
  expect_equal_across_thread_counts(results);
  EXPECT_TRUE(torch::equal(results[0][0], images.index_select(0, index)));
}

TEST(Fused, GatherBatchRefusesBadArguments) {
  const torch::Tensor images = torch::rand({10, 4});  // (n, 4)
  torch::Tensor out = torch::empty({2, 4});
  const auto expect_refusal = [&](torch::Tensor o, const torch::Tensor& i, const torch::Tensor& idx,
                                  const std::string& what) {
    try {
      tinyae::gather_batch(o, i, idx);
      ADD_FAILURE() << "accepted " << what;
    } catch (const tinyae::Error& e) {
      EXPECT_NE(std::string(e.what()).find("gather_batch"), std::string::npos) << e.what();
    }
  };
  expect_refusal(out, images, torch::tensor({1, 10}, torch::kLong), "an index past the end");
  expect_refusal(out, images, torch::tensor({-1, 0}, torch::kLong), "a negative index");
  expect_refusal(out, images, torch::tensor({1, 2}, torch::kInt), "an int32 index");
  expect_refusal(out, images, torch::tensor({1, 2, 3}, torch::kLong), "more indices than rows");
  expect_refusal(torch::empty({2, 5}), images, torch::tensor({1, 2}, torch::kLong), "a wider output");
  expect_refusal(out, images.to(torch::kFloat64), torch::tensor({1, 2}, torch::kLong), "float64 images");
  expect_refusal(out, torch::rand({4, 10}).t(), torch::tensor({1, 2}, torch::kLong), "non-contiguous images");
}

// The kernels: the best set this CPU runs unless a test chose another, and
// a clear refusal for a set it cannot run or that does not exist.
TEST(Fused, KernelsAreTheBestTheCpuRunsAndRefuseUnknownSets) {
  const std::vector<std::string_view> isas = tinyae::fused_isas();
  ASSERT_FALSE(isas.empty());
  EXPECT_EQ(isas.back(), "baseline");
  EXPECT_EQ(tinyae::fused_isa(), isas.front());
  std::cout << "fused kernels this CPU runs, best first:";
  for (std::string_view isa : isas) std::cout << " " << isa;
  std::cout << "\n";
  EXPECT_THROW(tinyae::set_fused_isa("neon"), tinyae::Error);
  if (std::find(isas.begin(), isas.end(), "avx512") == isas.end()) {
    EXPECT_THROW(tinyae::set_fused_isa("avx512"), tinyae::Error);
  }
  EXPECT_EQ(tinyae::fused_isa(), isas.front()) << "a refused set must leave the kernels as they were";
}

// The team is bound only when the user left the binding to tinyae and it
// has every CPU; CTest sets OMP_PROC_BIND=false for every test.
TEST(Fused, ThreadsAreBoundOnlyWhenTheUserLeftItToTinyae) {
  const int saved = tinyae::gemm_threads();
  const char* user = std::getenv("OMP_PROC_BIND");
  ::setenv("OMP_PROC_BIND", "false", 1);
  tinyae::set_gemm_threads(static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  EXPECT_TRUE(tinyae::bind_gemm_threads().empty()) << "bound although OMP_PROC_BIND is set";
  ::unsetenv("OMP_PROC_BIND");
  tinyae::set_gemm_threads(1);
  EXPECT_TRUE(tinyae::bind_gemm_threads().empty()) << "bound a team of one thread";
  if (user != nullptr) ::setenv("OMP_PROC_BIND", user, 1);
  tinyae::set_gemm_threads(saved);
}

}  // namespace
