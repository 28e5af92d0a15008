// tinyae export: parses the options, calls tinyae::export_models() and prints
// the footprint report.
//
//   tinyae export --model RUN/model.safetensors --out DIR [--data data/mnist] [--golden 4]
//                 [--arduino] [--name-prefix PREFIX] [--format float32|int8] [--calibration 1000]
//                 [--threshold-percentile 99]
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
      "data", "MNIST folder; its first test images become the golden vectors",
      cxxopts::value<std::string>()->default_value("data/mnist"))(
      "golden", "number of golden vectors per model (0: none, and --data is not read)",
      cxxopts::value<std::string>()->default_value("4"))(
      "arduino", "write DIR as an Arduino library (library.properties, src/, examples/)")(
      "name-prefix", "prefix for every C symbol, e.g. 'digits' gives digits_encoder_model (a C identifier)",
      cxxopts::value<std::string>()->default_value(""))(
      "format", "number format: float32, or int8 (quantized; also writes quantization.json)",
      cxxopts::value<std::string>()->default_value("float32"))(
      "calibration", "int8: calibrate on the first N MNIST training images (1 to 60000)",
      cxxopts::value<std::string>()->default_value(std::to_string(kDefaultCalibrationImages)))(
      "threshold-percentile",
      "anomaly threshold: this percentile (0 to 100) of the autoencoder's scores on the MNIST test images",
      cxxopts::value<std::string>()->default_value("99"))("h,help", "print this help");
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
  options.data_dir = args["data"].as<std::string>();
  options.golden_count = parse_integer<std::int64_t>("golden", args["golden"].as<std::string>(), 0,
                                                     std::numeric_limits<std::int64_t>::max());
  options.arduino = args.count("arduino") > 0;
  options.name_prefix = args["name-prefix"].as<std::string>();
  options.format = parse_number_format(args["format"].as<std::string>()).format;
  options.calibration_images =
      parse_integer<std::int64_t>("calibration", args["calibration"].as<std::string>(), 1, kMaxCalibrationImages);

  options.threshold_percentile =
      parse_real("threshold-percentile", args["threshold-percentile"].as<std::string>(), 0.0, 100.0, true);

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
