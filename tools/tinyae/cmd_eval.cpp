// tinyae eval --model RUN/model.safetensors --data DIR [--json] [--batch-size N]
//
// Prints the mean squared reconstruction error of a checkpoint on the MNIST
// training and test sets. With --json, stdout carries exactly one JSON object
// {"train_mse": ..., "test_mse": ...}; logs go to stderr.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>

#include <cxxopts.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "options.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/train.h"

namespace tinyae::cli {
int cmd_eval(int argc, char** argv) {
  cxxopts::Options options("tinyae eval", "Print a checkpoint's reconstruction MSE on the MNIST train and test sets.");
  options.custom_help("--model RUN/model.safetensors --data DIR [options]");
  options.add_options()("model", "checkpoint written by tinyae train", cxxopts::value<std::string>())(
      "data", "directory holding the MNIST IDX files (raw or .gz)", cxxopts::value<std::string>())(
      "json", "print {\"train_mse\": ..., \"test_mse\": ...} on stdout and nothing else")(
      "batch-size", "images per forward pass", cxxopts::value<std::string>()->default_value("1000"))(
      "threads", "BLAS threads, 0 = all cores", cxxopts::value<std::string>()->default_value("0"))(
      "train-limit", "evaluate on the first N training images only, 0 = all",
      cxxopts::value<std::string>()->default_value("0"))("test-limit",
                                                         "evaluate on the first N test images only, 0 = all",
                                                         cxxopts::value<std::string>()->default_value("0"))(
      "quiet", "log warnings and errors only")("h,help", "print this help");
  const cxxopts::ParseResult args = options.parse(argc, argv);
  if (args.count("help")) {
    std::cout << options.help();
    return 0;
  }
  reject_stray_and_repeated_arguments(args);
  require_option(args, "model", "--model RUN/model.safetensors is required");
  require_option(args, "data", "--data DIR is required (the directory holding the MNIST IDX files)");
  constexpr auto kMaxLimit = std::numeric_limits<std::int64_t>::max();
  const std::int64_t batch_size =
      parse_integer<std::int64_t>("batch-size", args["batch-size"].as<std::string>(), 1, kMaxBatchSize);
  const auto threads = parse_integer<int>("threads", args["threads"].as<std::string>(), 0, kMaxThreads);
  const std::int64_t train_limit =
      parse_integer<std::int64_t>("train-limit", args["train-limit"].as<std::string>(), 0, kMaxLimit);
  const std::int64_t test_limit =
      parse_integer<std::int64_t>("test-limit", args["test-limit"].as<std::string>(), 0, kMaxLimit);
  if (args.count("quiet")) spdlog::set_level(spdlog::level::warn);

  const std::filesystem::path model_path = args["model"].as<std::string>();
  const std::filesystem::path data_dir = args["data"].as<std::string>();
  if (!std::filesystem::is_directory(data_dir)) {
    throw Error(
        fmt::format("data directory '{}' does not exist; fetch MNIST with data/fetch_mnist.sh", data_dir.string()));
  }
  Checkpoint checkpoint = load_checkpoint(model_path);
  check_memory_fits(checkpoint.meta.model.inference_memory_bytes(batch_size),
                    fmt::format("evaluating this model ({} parameters) on batches of {} images",
                                checkpoint.meta.model.parameter_count(), batch_size),
                    "use a smaller --batch-size");
  const Mnist data = load_mnist(data_dir, train_limit, test_limit);
  if (data.test.images.size(1) != checkpoint.meta.model.input_size) {
    throw Error(fmt::format("'{}' takes {} inputs, but the MNIST images in '{}' have {} pixels", model_path.string(),
                            checkpoint.meta.model.input_size, data_dir.string(), data.test.images.size(1)));
  }
  if (data.checksum != checkpoint.meta.data_checksum) {
    spdlog::warn("'{}' holds other data (checksum {}) than '{}' was trained on ({})", data_dir.string(), data.checksum,
                 model_path.string(), checkpoint.meta.data_checksum);
  }
  configure_compute_threads(threads);
  const double train_mse = evaluate_mse(checkpoint.model, data.train.images, batch_size);
  const double test_mse = evaluate_mse(checkpoint.model, data.test.images, batch_size);
  if (args.count("json")) {
    // JSON has no NaN or infinity: a diverged model's MSE is null.
    auto number = [](double v) { return std::isfinite(v) ? fmt::format("{:.9g}", v) : std::string("null"); };
    std::cout << fmt::format("{{\"train_mse\": {}, \"test_mse\": {}}}\n", number(train_mse), number(test_mse));
  } else {
    std::cout << fmt::format("model: {} ({}, epoch {})\n", model_path.string(), checkpoint.model->config().describe(),
                             checkpoint.meta.epoch)
              << fmt::format("train_mse: {:.6f} ({} images)\n", train_mse, data.train.images.size(0))
              << fmt::format("test_mse:  {:.6f} ({} images)\n", test_mse, data.test.images.size(0));
  }
  return 0;
}

}  // namespace tinyae::cli
