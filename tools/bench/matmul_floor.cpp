// matmul_floor: the matrix multiplies of one training epoch of the tutorial
// recipe, and nothing else, timed through tinyae's GEMM engine (`--gemm
// onednn`, the default, as `tinyae train`) or LibTorch's addmm/mm on the BLAS
// (`--gemm blas`: the calls PyTorch makes).
//
// The shapes and transposes are those LibTorch's Linear and its autograd
// formulas issue (at::linear = addmm(bias, x, W^T), with oneDNN x W^T alone;
// backward: dX = dY W, dW = dY^T X), through tinyae::matmul_into as
// TrainStep calls it: for each
// of the 235 steps (234 of 256 rows and the ragged last one of 96), the
// forward pass of all six layers, every layer's weight gradient and every
// layer's input gradient but the first's. The 10 validation batches of 1,000
// test images are timed apart. Outputs are preallocated (addmm_out, mm_out):
// no allocation, no autograd, no elementwise work; the gap between an epoch
// of `tinyae train` and this floor is everything that is not a GEMM.
//
// Like `tinyae train`, it re-executes itself with OPENBLAS_CORETYPE when
// OpenBLAS picked a weak kernel, and uses LibTorch 1 thread + BLAS `threads`.
//
// --concurrent-gradients measures an alternative schedule: BLAS 1 thread, and
// each layer's two gradient GEMMs (dW and dX, independent) at the same time,
// one on a second thread; the forward GEMMs then run on one core.
//
// usage: matmul_floor [--threads N] [--gemm onednn|blas] [--repeats N] [--concurrent-gradients] [--json]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "tinyae/blas.h"
#include "tinyae/gemm.h"
#include "tinyae/train.h"

namespace {

constexpr std::int64_t kTrainImages = 60000;
constexpr std::int64_t kBatch = 256;
constexpr std::int64_t kValImages = 10000;
constexpr std::int64_t kValBatch = 1000;  // train.cpp's kEvalBatchSize
const std::vector<std::int64_t> kSizes = {784, 128, 64, 32, 64, 128, 784};
tinyae::GemmEngine g_gemm = tinyae::kDefaultGemmEngine;

// One Linear layer's operands for batches of up to `rows` rows.
struct Layer {
  torch::Tensor w;   // (out, in)
  torch::Tensor b;   // (out)
  torch::Tensor x;   // (rows, in) layer input
  torch::Tensor y;   // (rows, out) layer output
  torch::Tensor dy;  // (rows, out) gradient at the output
  torch::Tensor dx;  // (rows, in) gradient at the input
  torch::Tensor dw;  // (out, in) weight gradient
};

std::vector<Layer> make_layers(std::int64_t rows) {
  std::vector<Layer> layers;
  for (std::size_t i = 0; i + 1 < kSizes.size(); ++i) {
    const std::int64_t in = kSizes[i], out = kSizes[i + 1];
    layers.push_back(Layer{torch::rand({out, in}) - 0.5, torch::zeros({out}), torch::rand({rows, in}),
                           torch::empty({rows, out}), torch::rand({rows, out}) - 0.5, torch::empty({rows, in}),
                           torch::empty({out, in})});
  }
  return layers;
}

// The forward products as each engine's tinyae::linear_into issues them:
// LibTorch's addmm takes the bias into the product (C = bias, then
// C += x W^T, as at::linear); with oneDNN TrainStep multiplies alone and adds
// the bias in its fused pass, elementwise work the floor leaves out.
void forward(std::vector<Layer>& layers, std::int64_t rows) {
  const torch::Tensor none;
  for (Layer& l : layers) {
    torch::Tensor y = l.y.narrow(0, 0, rows);
    tinyae::matmul_into(g_gemm, y, l.x.narrow(0, 0, rows), l.w.t(), g_gemm == tinyae::GemmEngine::kBlas ? l.b : none);
  }
}

// dW on a thread of its own while this thread computes dX.
void backward_concurrent(std::vector<Layer>& layers, std::int64_t rows) {
  for (std::size_t i = layers.size(); i-- > 0;) {
    Layer& l = layers[i];
    const torch::Tensor dy = l.dy.narrow(0, 0, rows);
    std::thread weight_gradient([&] { tinyae::matmul_into(g_gemm, l.dw, dy.t(), l.x.narrow(0, 0, rows)); });
    if (i > 0) {
      torch::Tensor dx = l.dx.narrow(0, 0, rows);
      tinyae::matmul_into(g_gemm, dx, dy, l.w);
    }
    weight_gradient.join();
  }
}

void backward(std::vector<Layer>& layers, std::int64_t rows) {
  for (std::size_t i = layers.size(); i-- > 0;) {
    Layer& l = layers[i];
    const torch::Tensor dy = l.dy.narrow(0, 0, rows);
    tinyae::matmul_into(g_gemm, l.dw, dy.t(), l.x.narrow(0, 0, rows));
    if (i > 0) {
      torch::Tensor dx = l.dx.narrow(0, 0, rows);
      tinyae::matmul_into(g_gemm, dx, dy, l.w);
    }
  }
}

template <typename Fn>
double seconds_of(Fn fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Multiply-accumulates per image: forward, weight gradients, input gradients.
struct Macs {
  double forward = 0, weight_grad = 0, input_grad = 0;
};

Macs macs_per_image() {
  Macs m;
  for (std::size_t i = 0; i + 1 < kSizes.size(); ++i) {
    const double layer = static_cast<double>(kSizes[i] * kSizes[i + 1]);
    m.forward += layer;
    m.weight_grad += layer;
    if (i > 0) m.input_grad += layer;
  }
  return m;
}

// GFLOP/s of one square sgemm of `n`, the engine's large-matrix rate.
double peak_gflops(std::int64_t n, int repeats) {
  const torch::Tensor a = torch::rand({n, n}), b = torch::rand({n, n});
  torch::Tensor c = torch::empty({n, n});
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) times.push_back(seconds_of([&] { tinyae::matmul_into(g_gemm, c, a, b); }));
  return 2.0 * static_cast<double>(n * n * n) / median(times) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("matmul_floor"));  // stdout: results only
  spdlog::set_pattern("%^%l%$: %v");
  tinyae::prepare_blas_environment(argv);  // may re-execute the process once
  cxxopts::Options options("matmul_floor", "Time the GEMMs of one epoch of the tutorial recipe");
  options.add_options()("threads", "BLAS threads (0 = all cores, as tinyae train)",
                        cxxopts::value<int>()->default_value("0"))("repeats", "epochs timed; the median is reported",
                                                                   cxxopts::value<int>()->default_value("5"))(
      "json", "one JSON object on stdout")("concurrent-gradients", "1 GEMM thread, dW and dX of a layer at once")(
      "gemm", "onednn (tinyae train's default) or blas (LibTorch's addmm/mm, as PyTorch)",
      cxxopts::value<std::string>()->default_value(std::string(tinyae::gemm_engine_name(tinyae::kDefaultGemmEngine))))(
      "h,help", "this help");
  const auto args = options.parse(argc, argv);
  if (args.count("help")) {
    std::cout << options.help() << "\n";
    return 0;
  }
  const int repeats = std::max(1, args["repeats"].as<int>());
  const bool concurrent = args.count("concurrent-gradients") > 0;
  const std::optional<tinyae::GemmEngine> gemm = tinyae::parse_gemm_engine(args["gemm"].as<std::string>());
  if (!gemm) {
    std::cerr << "matmul_floor: --gemm must be " << tinyae::gemm_engine_choices() << "\n";
    return 2;
  }
  g_gemm = *gemm;
  const tinyae::BlasInfo blas =
      tinyae::configure_compute_threads(concurrent ? 1 : args["threads"].as<int>(), g_gemm, true);
  const auto backward_pass = concurrent ? backward_concurrent : backward;
  torch::NoGradGuard no_grad;

  std::vector<Layer> train_layers = make_layers(kBatch);
  std::vector<Layer> val_layers = make_layers(kValBatch);
  const std::int64_t full_steps = kTrainImages / kBatch, last_rows = kTrainImages % kBatch;
  auto train_epoch = [&] {
    for (std::int64_t s = 0; s < full_steps; ++s) {
      forward(train_layers, kBatch);
      backward_pass(train_layers, kBatch);
    }
    if (last_rows > 0) {
      forward(train_layers, last_rows);
      backward_pass(train_layers, last_rows);
    }
  };
  auto validation = [&] {
    for (std::int64_t s = 0; s < kValImages / kValBatch; ++s) forward(val_layers, kValBatch);
  };
  train_epoch();  // warm-up: page in the buffers, start the BLAS threads
  std::vector<double> train_times, val_times;
  for (int r = 0; r < repeats; ++r) {
    train_times.push_back(seconds_of(train_epoch));
    val_times.push_back(seconds_of(validation));
  }

  const Macs m = macs_per_image();
  const double train_flop = 2.0 * static_cast<double>(kTrainImages) * (m.forward + m.weight_grad + m.input_grad);
  const double val_flop = 2.0 * static_cast<double>(kValImages) * m.forward;
  const double train_s = median(train_times), val_s = median(val_times);
  const double peak = peak_gflops(1024, 5);
  nlohmann::json result = {{"gemm", std::string(tinyae::gemm_engine_name(g_gemm))},
                           {"gemm_description", tinyae::describe_gemm(g_gemm)},
                           {"blas", blas.library},
                           {"kernel", blas.kernel},
                           {"blas_threads", blas.threads},
                           {"concurrent_gradients", concurrent},
                           {"repeats", repeats},
                           {"train_gemm_seconds", train_s},
                           {"train_gemm_gflop", train_flop / 1e9},
                           {"val_gemm_seconds", val_s},
                           {"val_gemm_gflop", val_flop / 1e9},
                           {"epoch_floor_seconds", train_s + val_s},
                           {"sgemm1024_gflops", peak},
                           {"epoch_at_peak_seconds", (train_flop + val_flop) / (peak * 1e9)}};
  if (args.count("json")) {
    std::cout << result.dump() << "\n";
    return 0;
  }
  std::printf("GEMMs of one epoch (median of %d) through %s:\n", repeats, tinyae::describe_gemm(g_gemm).c_str());
  std::printf("  training steps  %6.3f s  %5.1f GFLOP  %6.1f GFLOP/s\n", train_s, train_flop / 1e9,
              train_flop / train_s / 1e9);
  std::printf("  validation      %6.3f s  %5.1f GFLOP  %6.1f GFLOP/s\n", val_s, val_flop / 1e9, val_flop / val_s / 1e9);
  std::printf("  epoch floor     %6.3f s\n", train_s + val_s);
  std::printf("sgemm 1024^3: %.1f GFLOP/s; the epoch's GEMMs at that rate: %.3f s\n", peak,
              (train_flop + val_flop) / (peak * 1e9));
  return 0;
}
