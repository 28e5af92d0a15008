// tinyae export: parses the options, calls tinyae::export_models() and prints
// the footprint report.
//
//   tinyae export --model RUN/model.safetensors --out DIR [--data data/mnist] [--golden 4]
//                 [--arduino] [--name-prefix PREFIX] [--format float32|int8] [--calibration 1000]
//                 [--threshold p99]
#include <iostream>
#include <string>

#include <cxxopts.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "options.h"
#include "tinyae/common.h"
#include "tinyae/export.h"

namespace tinyae::cli {

int cmd_export(int argc, char** argv) {
  cxxopts::Options parser("tinyae export",
                          "Write C headers (model_encoder.h, model_decoder.h, model_autoencoder.h), the runtime "
                          "sources, footprint.json and manifest.json into DIR.\n"
                          "If DIR exists, the files tinyae writes are replaced and every other file is left alone.");
  parser.add_options()("model", "checkpoint written by 'tinyae train' (RUN/model.safetensors)",
                       cxxopts::value<std::string>())("out", "output folder DIR (created if missing)",
                                                      cxxopts::value<std::string>())(
      "data",
      "MNIST folder or CSV file in place of the data the checkpoint records (golden vectors, int8 calibration, "
      "threshold)",
      cxxopts::value<std::string>())("golden", "number of golden vectors per model (0: none, and --data is not read)",
                                     cxxopts::value<std::string>()->default_value("4"))(
      "arduino", "write DIR as an Arduino library (library.properties, src/, examples/)")(
      "name-prefix", "prefix for every C symbol, e.g. 'digits' gives digits_encoder_model (a C identifier)",
      cxxopts::value<std::string>()->default_value(""))(
      "format", "number format: float32, or int8 (quantized; also writes quantization.json)",
      cxxopts::value<std::string>()->default_value("float32"))(
      "calibration", "int8: calibrate on N training vectors spread over the split (1 to 60000)",
      cxxopts::value<std::string>()->default_value(std::to_string(kDefaultCalibrationImages)))(
      "threshold", "anomaly threshold on the validation split: pP (P-th percentile of normal scores) or fprF",
      cxxopts::value<std::string>()->default_value("p99"))("h,help", "print this help");
  const cxxopts::ParseResult args = parser.parse(argc, argv);
  if (args.count("help")) {
    std::cout << parser.help();
    return 0;
  }
  reject_stray_and_repeated_arguments(args);
  require_option(args, "model", "--model is required");
  require_option(args, "out", "--out is required");

  ExportOptions options;
  options.model_path = args["model"].as<std::string>();
  options.out_dir = args["out"].as<std::string>();
  if (args.count("data")) options.data_dir = args["data"].as<std::string>();
  options.golden_count = parse_integer<std::int64_t>("golden", args["golden"].as<std::string>(), 0,
                                                     std::numeric_limits<std::int64_t>::max());
  options.arduino = args.count("arduino") > 0;
  options.name_prefix = args["name-prefix"].as<std::string>();
  options.format = parse_number_format(args["format"].as<std::string>()).format;
  options.calibration_images =
      parse_integer<std::int64_t>("calibration", args["calibration"].as<std::string>(), 1, kMaxCalibrationImages);

  try {
    options.threshold = parse_threshold_rule(args["threshold"].as<std::string>());
  } catch (const Error& e) {
    throw UsageError(std::string("--threshold: ") + e.what());
  }

  const ExportResult result = export_models(options);
  std::cout << format_footprint_table(result.models);
  if (result.anomaly) {
    spdlog::info("anomaly threshold {:.9g} (model units): {}", result.anomaly->threshold, result.anomaly->rule);
  }
  spdlog::info("wrote {} files ({}{}) to {}", result.files.size(), number_format_name(options.format),
               options.arduino ? ", Arduino library" : "", options.out_dir.string());
  return 0;
}

}  // namespace tinyae::cli
