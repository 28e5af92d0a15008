// train_profile: where one epoch of `tinyae train` spends its time.
//
// Reproduces train()'s epoch (src/train/train.cpp) with the tinyae libraries:
// the same model, Adamax, seed, shuffle, batch gather, step and validation,
// with train()'s engine (`--engine step`: TrainStep, no autograd) or with
// LibTorch's autograd, the module's forward and Adamax::step (`--engine
// autograd`, the reference TrainStep is tested against). Epoch 1 warms up.
// Epoch 2 is timed by phase with a wall clock (no profiler): permutation,
// batch gather, zero_grad (autograd only), forward + loss, backward, Adamax
// step, the loss read-back (autograd only), validation. Epoch 3 runs under LibTorch's
// legacy autograd profiler, each phase inside a user scope, and every op's
// self time (its time minus its children's) is summed per phase and per op:
// GEMM = aten::addmm + aten::mm (their self time is the BLAS call), the rest
// of the ops are elementwise work, reductions, copies and allocation, and the
// phase's wall time not inside any op is framework overhead (the autograd
// engine, module calls, the optimizer's C++ loop). The profiler adds its own
// cost per op, so epoch 3 is slower than epoch 2; read it for proportions.
//
// usage: train_profile [--data DIR] [--threads N] [--train-limit N]
//                      [--engine step|autograd]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <ATen/record_function.h>
#include <cxxopts.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include "tinyae/adamax.h"
#include "tinyae/data.h"
#include "tinyae/model.h"
#include "tinyae/train.h"
#include "tinyae/train_step.h"

namespace {

namespace profiler = torch::autograd::profiler;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kSeed = 42;
constexpr std::int64_t kBatch = 256;
constexpr std::int64_t kValBatch = 1000;  // train.cpp's kEvalBatchSize

// The phases of an epoch, in the order they run.
const std::vector<std::string> kPhases = {"permutation", "gather", "zero_grad", "forward+loss",
                                          "backward",    "adamax", "loss.item", "validation"};

struct Setup {
  torch::Tensor train_images;  // (n, 784)
  torch::Tensor val_images;    // (10000, 784)
  tinyae::Autoencoder model{nullptr};
  std::unique_ptr<tinyae::Adamax> optimizer;
  std::unique_ptr<tinyae::TrainStep> step;  // set for --engine step
  torch::Tensor batch;                      // (kBatch, 784): the step engine's gathered batch
};

// A phase's seconds, 0 for a phase the engine does not have.
double seconds_in(const std::map<std::string, double>& seconds, const std::string& phase) {
  const auto it = seconds.find(phase);
  return it == seconds.end() ? 0 : it->second;
}

// CPU seconds of all the process' threads (BLAS pool included): on a busy
// shared machine the wall clock measures the neighbours as much as us.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// Wall and CPU seconds per phase; when profiled, each phase is a user scope.
struct PhaseClock {
  std::map<std::string, double> seconds, cpu_seconds;
  bool profiled = false;

  template <typename Fn>
  auto run(const std::string& phase, Fn fn) {
    struct Stop {
      PhaseClock& clock;
      const std::string& phase;
      Clock::time_point start = Clock::now();
      double cpu_start = process_cpu_seconds();
      ~Stop() {
        clock.seconds[phase] += std::chrono::duration<double>(Clock::now() - start).count();
        clock.cpu_seconds[phase] += process_cpu_seconds() - cpu_start;
      }
    } stop{*this, phase};
    if (!profiled) return fn();
    // The profiler keeps the name's pointer, not a copy: name a string that lives on.
    static std::map<std::string, std::string> scope_names;
    auto& scope = scope_names.try_emplace(phase, "phase:" + phase).first->second;
    RECORD_USER_SCOPE(scope.c_str());
    return fn();
  }
};

torch::Tensor epoch_order(std::int64_t epoch, std::int64_t n) {
  at::Generator generator = at::detail::createCPUGenerator(kSeed * 1000003 + static_cast<std::uint64_t>(epoch));
  return torch::randperm(n, generator, torch::kLong);  // (n) int64
}

// One epoch exactly as train() runs it, each phase on `clock`.
double run_step_epoch(Setup& s, std::int64_t epoch, PhaseClock& clock) {
  const std::int64_t n = s.train_images.size(0);
  const std::int64_t batches = (n + kBatch - 1) / kBatch;
  const torch::Tensor order = clock.run("permutation", [&] { return epoch_order(epoch, n); });
  double weighted_loss = 0;
  for (std::int64_t b = 0; b < batches; ++b) {
    const std::int64_t begin = b * kBatch, end = std::min(n, begin + kBatch);
    torch::Tensor x = s.batch.narrow(0, 0, end - begin);  // (rows, 784)
    clock.run("gather", [&] { tinyae::gather_batch(x, s.train_images, order.slice(0, begin, end)); });
    const double loss = clock.run("forward+loss", [&] { return s.step->forward_loss(x); });
    clock.run("backward", [&] { s.step->backward(x); });
    clock.run("adamax", [&] { s.step->update(); });
    weighted_loss += loss * static_cast<double>(end - begin);
  }
  clock.run("validation", [&] { return s.step->squared_error(s.val_images); });
  return weighted_loss / static_cast<double>(n);
}

// One epoch through autograd, each phase on `clock`.
double run_autograd_epoch(Setup& s, std::int64_t epoch, PhaseClock& clock) {
  const std::int64_t n = s.train_images.size(0);
  const std::int64_t batches = (n + kBatch - 1) / kBatch;
  s.model->train();
  const torch::Tensor order = clock.run("permutation", [&] { return epoch_order(epoch, n); });
  double weighted_loss = 0;
  for (std::int64_t b = 0; b < batches; ++b) {
    const std::int64_t begin = b * kBatch, end = std::min(n, begin + kBatch);
    const torch::Tensor x =
        clock.run("gather", [&] { return s.train_images.index_select(0, order.slice(0, begin, end)); });  // (rows, 784)
    clock.run("zero_grad", [&] { s.optimizer->zero_grad(); });
    const torch::Tensor loss = clock.run("forward+loss", [&] { return torch::mse_loss(s.model->forward(x), x); });
    clock.run("backward", [&] { loss.backward(); });
    clock.run("adamax", [&] { s.optimizer->step(); });
    weighted_loss += clock.run("loss.item", [&] { return loss.item<double>(); }) * static_cast<double>(end - begin);
  }
  clock.run("validation", [&] { return tinyae::evaluate_mse(s.model, s.val_images, kValBatch); });
  return weighted_loss / static_cast<double>(n);
}

double run_epoch(Setup& s, std::int64_t epoch, PhaseClock& clock) {
  return s.step ? run_step_epoch(s, epoch, clock) : run_autograd_epoch(s, epoch, clock);
}

struct OpTotals {
  std::map<std::string, double> phase_ops_us;    // phase -> self time inside ops
  std::map<std::string, double> phase_gemm_us;   // phase -> self time of addmm/mm
  std::map<std::string, double> op_self_us;      // op name -> self time, all phases
  std::map<std::string, std::int64_t> op_calls;  // op name -> calls
};

bool is_gemm(const std::string& name) { return name == "aten::addmm" || name == "aten::mm"; }

// Sums each aten op's self time per phase from the profiler's push/pop
// events (properly nested on each thread). Autograd's node events wrap the
// aten ops they run; their own time counts as outside ops, with the rest of
// the framework's overhead.
OpTotals op_totals(const profiler::thread_event_lists& threads) {
  OpTotals totals;
  struct Open {
    std::string name;
    double start_us, child_us;
  };
  for (const auto& events : threads) {
    std::vector<Open> stack;
    for (const auto& e : events) {
      if (e.kind() == profiler::EventKind::PushRange) {
        stack.push_back({e.name(), e.cpuUs(), 0});
      } else if (e.kind() == profiler::EventKind::PopRange && !stack.empty()) {
        const Open open = stack.back();
        stack.pop_back();
        const double total = e.cpuUs() - open.start_us;
        if (!stack.empty()) stack.back().child_us += total;
        if (open.name.rfind("phase:", 0) == 0) continue;
        std::string phase = "none";
        for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
          if (it->name.rfind("phase:", 0) == 0) {
            phase = it->name.substr(6);
            break;
          }
        }
        if (open.name.rfind("aten::", 0) != 0) continue;
        const double self = total - open.child_us;
        totals.phase_ops_us[phase] += self;
        if (is_gemm(open.name)) totals.phase_gemm_us[phase] += self;
        totals.op_self_us[open.name] += self;
        totals.op_calls[open.name] += 1;
      }
    }
  }
  return totals;
}

void print_phase_table(const PhaseClock& timed, const PhaseClock& profiled, const OpTotals& ops) {
  double timed_total = 0, cpu_total = 0, profiled_total = 0;
  for (const auto& p : kPhases) {
    timed_total += seconds_in(timed.seconds, p);
    cpu_total += seconds_in(timed.cpu_seconds, p);
    profiled_total += seconds_in(profiled.seconds, p);
  }
  std::printf(
      "\n| phase | epoch 2 (no profiler): wall s | share | CPU s | share | epoch 3 (profiled): wall s | GEMM | "
      "other ops | outside ops |\n");
  std::printf("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
  double gemm_total = 0, ops_total = 0;
  for (const auto& p : kPhases) {
    if (timed.seconds.count(p) == 0) continue;  // a phase this engine does not have
    const double wall = seconds_in(profiled.seconds, p);
    const double timed_wall = seconds_in(timed.seconds, p), timed_cpu = seconds_in(timed.cpu_seconds, p);
    const double gemm = ops.phase_gemm_us.count(p) ? ops.phase_gemm_us.at(p) / 1e6 : 0;
    const double all_ops = ops.phase_ops_us.count(p) ? ops.phase_ops_us.at(p) / 1e6 : 0;
    gemm_total += gemm;
    ops_total += all_ops;
    std::printf("| %s | %.3f | %.0f%% | %.3f | %.0f%% | %.3f | %.3f | %.3f | %.3f |\n", p.c_str(), timed_wall,
                100 * timed_wall / timed_total, timed_cpu, 100 * timed_cpu / cpu_total, wall, gemm, all_ops - gemm,
                wall - all_ops);
  }
  std::printf("| **epoch** | **%.3f** | 100%% | **%.3f** | 100%% | %.3f | %.3f | %.3f | %.3f |\n", timed_total,
              cpu_total, profiled_total, gemm_total, ops_total - gemm_total, profiled_total - ops_total);
}

void print_op_table(const OpTotals& ops) {
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [name, us] : ops.op_self_us) order.emplace_back(us, name);
  std::sort(order.rbegin(), order.rend());
  std::printf(
      "\n| op (profiled epoch) | calls | self seconds | microseconds per call |\n| --- | ---: | ---: | ---: |\n");
  for (std::size_t i = 0; i < std::min<std::size_t>(order.size(), 20); ++i) {
    const auto& [us, name] = order[i];
    const auto calls = ops.op_calls.at(name);
    std::printf("| %s | %lld | %.3f | %.1f |\n", name.c_str(), static_cast<long long>(calls), us / 1e6,
                us / static_cast<double>(calls));
  }
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_default_logger(spdlog::stderr_color_mt("train_profile"));  // stdout: the tables only
  spdlog::set_pattern("%^%l%$: %v");
  tinyae::prepare_blas_environment(argv);  // may re-execute the process once
  cxxopts::Options options("train_profile", "Where one epoch of tinyae train spends its time");
  options.add_options()("data", "MNIST folder", cxxopts::value<std::string>()->default_value("data/mnist"))(
      "threads", "BLAS threads (0 = all cores, as tinyae train)", cxxopts::value<int>()->default_value("0"))(
      "train-limit", "train on the first N images (0 = all)", cxxopts::value<std::int64_t>()->default_value("0"))(
      "engine", "step (train()'s TrainStep) or autograd", cxxopts::value<std::string>()->default_value("step"))(
      "gemm", "TrainStep's products: onednn (train()'s default) or blas",
      cxxopts::value<std::string>()->default_value(std::string(tinyae::gemm_engine_name(tinyae::kDefaultGemmEngine))))(
      "torch-threads", "LibTorch intra-op threads (train() uses 1)", cxxopts::value<int>()->default_value("1"))(
      "h,help", "this help");
  const auto args = options.parse(argc, argv);
  if (args.count("help")) {
    std::printf("%s\n", options.help().c_str());
    return 0;
  }
  const std::string engine = args["engine"].as<std::string>();
  if (engine != "step" && engine != "autograd") {
    spdlog::error("--engine must be step or autograd, got '{}'", engine);
    return 2;
  }
  const std::optional<tinyae::GemmEngine> gemm = tinyae::parse_gemm_engine(args["gemm"].as<std::string>());
  if (!gemm) {
    spdlog::error("--gemm must be {}, got '{}'", tinyae::gemm_engine_choices(), args["gemm"].as<std::string>());
    return 2;
  }
  const tinyae::BlasInfo blas = tinyae::configure_compute_threads(args["threads"].as<int>(), *gemm, true);
  const int torch_threads = std::max(1, args["torch-threads"].as<int>());
  torch::set_num_threads(torch_threads);
  tinyae::Mnist data = tinyae::load_mnist(args["data"].as<std::string>(), args["train-limit"].as<std::int64_t>(), 0);
  Setup s;
  s.train_images = data.train.images;
  s.val_images = data.test.images;
  s.model = tinyae::Autoencoder(tinyae::ModelConfig{});
  torch::manual_seed(kSeed);
  s.model->reset_parameters();
  s.optimizer = std::make_unique<tinyae::Adamax>(s.model->parameters(), tinyae::AdamaxOptions(1e-3));
  if (engine == "step") {
    s.step = std::make_unique<tinyae::TrainStep>(s.model, *s.optimizer, kBatch, kValBatch, 0, *gemm);
    s.batch = torch::empty({kBatch, s.train_images.size(1)});  // (256, 784)
  }

  PhaseClock warm, timed, profiled;
  run_epoch(s, 1, warm);
  const double loss = run_epoch(s, 2, timed);
  profiled.profiled = true;
  profiler::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
  run_epoch(s, 3, profiled);
  const OpTotals ops = op_totals(profiler::disableProfilerLegacy());

  std::printf(
      "tinyae epoch profile (engine %s): %lld training images, batch %lld, GEMMs: %s (OpenBLAS kernel %s x %d "
      "thread(s)), LibTorch %d thread(s); epoch 2 loss %.5f\n",
      engine.c_str(), static_cast<long long>(s.train_images.size(0)), static_cast<long long>(kBatch),
      engine == "step" ? tinyae::describe_gemm(*gemm).c_str() : "autograd's, on the BLAS", blas.kernel.c_str(),
      blas.threads, torch_threads, loss);
  print_phase_table(timed, profiled, ops);
  print_op_table(ops);
  return 0;
}
