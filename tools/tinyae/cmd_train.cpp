// tinyae train --data DIR|FILE.csv --out RUN [options]
//
// --data names an MNIST folder (the tutorial) or a CSV file (--features and
// the other data flags then say how to read it; tinyae/data_source.h).
// Parses and range-checks every option before any work (a wrong command
// line is a UsageError: exit 2, one line naming the flag, the accepted range
// and the value found), then hands a TrainRequest to tinyae::train().
// With --resume, the architecture and training options come from
// RUN/model.safetensors; flags given explicitly are passed on so that train() can
// refuse the ones that conflict with it.
// Data-parallel flags (--world-size, --rank, --master, --nproc):
// distributed_options.h.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <cxxopts.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "data_options.h"
#include "distributed_options.h"
#include "options.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/json_reader.h"
#include "tinyae/model.h"
#include "tinyae/model_kind.h"
#include "tinyae/train.h"

namespace tinyae::cli {
namespace {

Activation parse_activation_flag(const std::string& flag, const std::string& text) {
  try {
    return parse_activation(text);
  } catch (const Error& e) {
    throw UsageError(fmt::format("--{}: {}", flag, e.what()));
  }
}

// The kind and its options: the checkpoint's on resume (`stored`), else
// vanilla; --kind replaces the kind (its options then start from their
// defaults) and each option flag its value. A flag of another kind is a
// mistake, not something to ignore.
KindOptions parse_kind_flags(const cxxopts::ParseResult& args, const KindOptions* stored) {
  auto text = [&](const char* flag) { return args[flag].as<std::string>(); };
  auto given = [&](const char* flag) { return args.count(flag) > 0; };
  KindOptions kind = stored != nullptr ? *stored : KindOptions{};
  if (given("kind")) {
    ModelKind parsed = ModelKind::kVanilla;
    try {
      parsed = parse_kind(text("kind"));
    } catch (const Error& e) {
      throw UsageError(fmt::format("--kind: {}", e.what()));
    }
    if (parsed != kind.kind) {
      kind = KindOptions{};
      kind.kind = parsed;
    }
  }
  if (kind.kind == ModelKind::kSparse && kind.sparsity == 0) kind.sparsity = kDefaultSparsity;
  if (kind.kind == ModelKind::kDenoising && kind.noise_level == 0) kind.noise_level = kDefaultNoiseLevel;
  if (kind.kind == ModelKind::kVariational && kind.kl_weight == 0) kind.kl_weight = kDefaultKlWeight;
  const char* kind_name = kind_row(kind.kind).name;
  if (given("sparsity")) {
    if (kind.kind != ModelKind::kSparse) {
      throw UsageError(fmt::format("--sparsity applies to --kind sparse only, not to --kind {}", kind_name));
    }
    kind.sparsity = parse_real("sparsity", text("sparsity"), 0, kMaxSparsity, false);
  }
  for (const char* flag : {"noise", "noise-level"}) {
    if (given(flag) && kind.kind != ModelKind::kDenoising) {
      throw UsageError(fmt::format("--{} applies to --kind denoising only, not to --kind {}", flag, kind_name));
    }
  }
  if (given("noise")) {
    try {
      kind.noise = parse_noise(text("noise"));
    } catch (const Error& e) {
      throw UsageError(fmt::format("--noise: {}", e.what()));
    }
  }
  if (given("noise-level")) {
    const bool mask = kind.noise == NoiseType::kMask;
    const double level = parse_real("noise-level", text("noise-level"), 0, mask ? 1 : kMaxGaussianNoise, false);
    if (mask && level >= 1) {
      throw UsageError(
          fmt::format("--noise-level of mask noise must be a number in (0, 1), got '{}'", text("noise-level")));
    }
    kind.noise_level = level;
  }
  if (given("kl-weight")) {
    if (kind.kind != ModelKind::kVariational) {
      throw UsageError(fmt::format("--kl-weight applies to --kind variational only, not to --kind {}", kind_name));
    }
    kind.kl_weight = parse_real("kl-weight", text("kl-weight"), 0, kMaxKlWeight, false);
  }
  if (kind.kind == ModelKind::kDenoising && kind.noise == NoiseType::kMask && kind.noise_level >= 1) {
    throw UsageError(fmt::format("--noise mask needs --noise-level in (0, 1), got {}", kind.noise_level));
  }
  return kind;
}

}  // namespace

int cmd_train(int argc, char** argv) {
  cxxopts::Options options("tinyae train",
                           "Train a dense autoencoder on MNIST (the tutorial's recipe by default) or on a CSV file.");
  options.custom_help("--data DIR|FILE.csv --out RUN [options]");
  add_training_data_options(options);
  add_distributed_options(options);
  options.add_options()("data", "MNIST folder (IDX files, raw or .gz) or CSV file", cxxopts::value<std::string>())(
      "out", "run directory: model.safetensors, history.csv, loss.png, reconstructions.png",
      cxxopts::value<std::string>())("hidden", "encoder hidden layer sizes, comma-separated (decoder mirrors them)",
                                     cxxopts::value<std::string>()->default_value("128,64"))(
      "latent", "latent code size", cxxopts::value<std::string>()->default_value("32"))(
      "activation", "activation of the hidden and latent layers: relu, tanh, sigmoid, linear (CSV default: tanh)",
      cxxopts::value<std::string>()->default_value("relu"))(
      "output-activation",
      "activation of the decoder's last layer: relu, sigmoid, tanh, linear (CSV default: linear; variational: sigmoid)",
      cxxopts::value<std::string>()->default_value("relu"))("epochs", "epochs to train (with --resume: the new total)",
                                                            cxxopts::value<std::string>()->default_value("50"))(
      "batch-size", "images per mini-batch", cxxopts::value<std::string>()->default_value("256"))(
      "lr", "Adamax learning rate", cxxopts::value<std::string>()->default_value("0.001"))(
      "seed", "seed for the initial weights and the shuffles", cxxopts::value<std::string>()->default_value("42"))(
      "threads", "BLAS and oneDNN threads, 0 = all cores (LibTorch's own pool stays at 1)",
      cxxopts::value<std::string>()->default_value("0"))(
      "gemm",
      "what runs the training matrix multiplies: onednn (oneDNN's sgemm, the fastest) or blas (LibTorch's "
      "addmm/mm on OpenBLAS, as autograd); a bitwise --resume needs the same one",
      cxxopts::value<std::string>()->default_value(std::string(gemm_engine_name(kDefaultGemmEngine))))(
      "train-limit", "train on the first N training images only, 0 = all",
      cxxopts::value<std::string>()->default_value("0"))("test-limit",
                                                         "validate on the first N test images only, 0 = all",
                                                         cxxopts::value<std::string>()->default_value("0"))(
      "kind",
      "what training minimises: vanilla (MSE), sparse (MSE + an L1 penalty on the latent code), denoising (MSE of "
      "the reconstruction of a corrupted input against the clean one), variational (the code sampled from the "
      "encoder's mean and log-variance; binary cross-entropy + KL divergence to N(0, I); needs "
      "--output-activation sigmoid, its default for this kind)",
      cxxopts::value<std::string>()->default_value("vanilla"))(
      "sparsity", "sparse: weight of the L1 penalty on the latent code",
      cxxopts::value<std::string>()->default_value(fmt::format("{}", kDefaultSparsity)))(
      "noise", "denoising: gaussian (added; clipped to [0, 1] for MNIST) or mask (values set to 0)",
      cxxopts::value<std::string>()->default_value("gaussian"))(
      "noise-level", "denoising: gaussian: standard deviation; mask: probability that a value is set to 0",
      cxxopts::value<std::string>()->default_value(fmt::format("{}", kDefaultNoiseLevel)))(
      "kl-weight", "variational: weight of the KL term (1: the negative ELBO itself)",
      cxxopts::value<std::string>()->default_value(fmt::format("{}", kDefaultKlWeight)))(
      "resume", "continue the run in --out from its model.safetensors")("no-figures",
                                                                        "do not draw loss.png and reconstructions.png")(
      "quiet", "log warnings and errors only, no progress bar")("h,help", "print this help");
  const std::optional<cxxopts::ParseResult> parsed =
      parse_command(options, argc, argv,
                    {{"data", "--data is required (an MNIST folder or a CSV file)"},
                     {"out", "--out RUN is required (the run directory to write)"}});
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;
  auto text = [&](const char* flag) { return args[flag].as<std::string>(); };
  auto given = [&](const char* flag) { return args.count(flag) > 0; };

  // Every value is parsed and range-checked before anything is read.
  const std::vector<std::int64_t> hidden = parse_sizes("hidden", text("hidden"), kMaxLayerSize);
  const auto latent = parse_integer<std::int64_t>("latent", text("latent"), 1, kMaxLayerSize);
  const Activation activation = parse_activation_flag("activation", text("activation"));
  const Activation output_activation = parse_activation_flag("output-activation", text("output-activation"));
  const auto epochs = parse_integer<std::int64_t>("epochs", text("epochs"), 1, kMaxEpochs);
  const auto batch_size = parse_integer<std::int64_t>("batch-size", text("batch-size"), 1, kMaxBatchSize);
  const double lr = parse_real("lr", text("lr"), 0, std::numeric_limits<double>::infinity(), false);
  const auto seed = parse_integer<std::uint64_t>("seed", text("seed"), 0, std::numeric_limits<std::uint64_t>::max());
  const auto threads = parse_integer<int>("threads", text("threads"), 0, kMaxThreads);
  const std::optional<GemmEngine> gemm = parse_gemm_engine(text("gemm"));
  if (!gemm) {
    throw UsageError(fmt::format("--gemm must be {}, got '{}'", gemm_engine_choices(), printable(text("gemm"))));
  }
  constexpr auto kMaxLimit = std::numeric_limits<std::int64_t>::max();
  const auto train_limit = parse_integer<std::int64_t>("train-limit", text("train-limit"), 0, kMaxLimit);
  const auto test_limit = parse_integer<std::int64_t>("test-limit", text("test-limit"), 0, kMaxLimit);
  // On resume the kind flags are read against the checkpoint's kind, below.
  const KindOptions kind = given("resume") ? KindOptions{} : parse_kind_flags(args, nullptr);
  const DistributedOptions distributed = parse_distributed_options(args);

  TrainRequest request;
  request.out_dir = text("out");
  request.resume = given("resume");
  request.figures = !given("no-figures");
  request.progress = !given("quiet");
  request.distributed = distributed;
  // Rank 0 speaks for the group; the others report only trouble.
  if (distributed.rank > 0) spdlog::set_level(spdlog::level::warn);

  if (request.resume) {
    // Start from the checkpoint's settings; explicit flags override them and
    // train() refuses any that differ (except --epochs and --threads).
    const std::filesystem::path checkpoint = request.out_dir / kCheckpointFile;
    if (!std::filesystem::exists(checkpoint)) {
      throw Error(fmt::format("--resume: there is no checkpoint '{}' to resume from", checkpoint.string()));
    }
    const CheckpointMeta meta = load_checkpoint(checkpoint).meta;
    request.model = meta.model;
    request.kind = parse_kind_flags(args, &meta.kind);
    request.options = meta.options;
    request.data = meta.data;
  } else {
    request.kind = kind;
  }
  request.data = parse_data_options(args, request.resume ? &request.data : nullptr);
  if (!request.resume) request.model.input_size = input_size_of(request.data);
  // A CSV vector is a few dozen values: the tutorial's 128-64-32 would learn
  // the identity instead of the normal pattern, so the code narrows instead;
  // and ReLU everywhere leaves a narrow network's units dead on scaled sensor
  // readings (the loss stalls at predicting a constant), so CSV models
  // default to tanh inside and a linear output.
  const bool narrow = request.data.kind == DataKind::kCsv;
  const std::int64_t inputs = request.model.input_size;
  if (!request.resume || given("hidden")) {
    request.model.hidden =
        narrow && !given("hidden") ? std::vector<std::int64_t>{std::max<std::int64_t>(1, inputs / 2)} : hidden;
  }
  if (!request.resume || given("latent")) {
    request.model.latent_size = narrow && !given("latent") ? std::max<std::int64_t>(1, inputs / 4) : latent;
  }
  if (!request.resume || given("activation")) {
    request.model.activation = narrow && !given("activation") ? Activation::kTanh : activation;
  }
  if (!request.resume || given("output-activation")) {
    request.model.output_activation = narrow && !given("output-activation") ? Activation::kLinear : output_activation;
    // Binary cross-entropy needs outputs in (0, 1).
    if (request.kind.variational() && !given("output-activation"))
      request.model.output_activation = Activation::kSigmoid;
  }
  request.model.variational = request.kind.variational();
  if (!request.resume || given("epochs")) request.options.epochs = epochs;
  if (!request.resume || given("batch-size")) request.options.batch_size = batch_size;
  if (!request.resume || given("lr")) request.options.lr = lr;
  if (!request.resume || given("seed")) request.options.seed = seed;
  if (!request.resume || given("train-limit")) request.options.train_limit = train_limit;
  request.options.threads = threads;  // a property of this machine, not of the run
  request.gemm = *gemm;               // the same
  if (!request.resume || given("test-limit")) request.test_limit = test_limit;

  if (const int status = launch_ranks_if_asked(argc, argv, args); status >= 0) return status;
  train(request);
  return 0;
}

}  // namespace tinyae::cli
