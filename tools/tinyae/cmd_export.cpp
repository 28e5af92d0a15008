// tinyae export: parses the options, calls tinyae::export_models() (or
// export_onnx() for --format onnx) and prints the footprint report, or with
// --json one JSON object saying what was written.
//
//   tinyae export --model RUN/model.safetensors --out DIR [--data data/mnist] [--golden 4]
//                 [--arduino] [--name-prefix PREFIX] [--format float32|int8|onnx] [--calibration 1000]
//                 [--threshold p99] [--json] [--quiet]
#include <iostream>
#include <string>

#include <cxxopts.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "options.h"
#include "tinyae/common.h"
#include "tinyae/export.h"

namespace tinyae::cli {
namespace {

// What --json prints: the folder, the format, every file written (relative
// to the folder) and, for C exports, each model's footprint and the threshold.
nlohmann::ordered_json export_json(const ExportOptions& options, const std::string& format,
                                   const ExportResult& result) {
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const std::filesystem::path& file : result.files) files.push_back(file.generic_string());
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  for (const ExportedHeader& m : result.models) {
    models.push_back({{"name", m.name},
                      {"header", m.header},
                      {"prefix", m.prefix},
                      {"input_size", m.input_size},
                      {"output_size", m.output_size},
                      {"golden_count", m.golden_count},
                      {"weights_bytes", m.footprint.weights_bytes},
                      {"scratch_bytes", m.footprint.scratch_bytes},
                      {"macs", m.footprint.macs}});
  }
  nlohmann::ordered_json report = {{"model", options.model_path.string()},
                                   {"out", options.out_dir.string()},
                                   {"format", format},
                                   {"files", files},
                                   {"models", models}};
  if (result.anomaly) report["anomaly"] = {{"threshold", result.anomaly->threshold}, {"rule", result.anomaly->rule}};
  return report;
}

}  // namespace

int cmd_export(int argc, char** argv) {
  cxxopts::Options parser(
      "tinyae export",
      "Write C headers (model_encoder.h, model_decoder.h, model_autoencoder.h), the runtime sources, footprint.json "
      "and manifest.json into DIR, as a package for Arduino, PlatformIO, ESP-IDF, Zephyr and CMake (--package); or "
      "the model as ONNX (--format onnx).\n"
      "If DIR exists, the files tinyae writes are replaced and every other file is left alone.");
  parser.add_options()("model", "checkpoint written by 'tinyae train' (RUN/model.safetensors)",
                       cxxopts::value<std::string>())("out", "output folder DIR (created if missing)",
                                                      cxxopts::value<std::string>())(
      "data",
      "MNIST folder or CSV file in place of the data the checkpoint records (golden vectors, int8 calibration, "
      "threshold)",
      cxxopts::value<std::string>())("golden", "number of golden vectors per model (0: none, and --data is not read)",
                                     cxxopts::value<std::string>()->default_value("4"))(
      "package",
      "build systems DIR is a package for: all, none (a flat folder), or a list of arduino, platformio, esp-idf, "
      "zephyr, cmake; any puts the sources in DIR/src and the reports in DIR/extras",
      cxxopts::value<std::string>()->default_value("all"))("arduino", "the same as --package arduino")(
      "url", "project page named by the package manifests",
      cxxopts::value<std::string>()->default_value(kDefaultPackageUrl))(
      "name-prefix", "prefix for every C symbol, e.g. 'digits' gives digits_encoder_model (a C identifier)",
      cxxopts::value<std::string>()->default_value(""))(
      "format",
      "number format: float32, int8 (quantized; also writes quantization.json), or onnx (model_<name>.onnx files, "
      "opset 13, float32; reads no data)",
      cxxopts::value<std::string>()->default_value("float32"))(
      "calibration",
      "int8: calibrate on N training vectors (1 to 60000): MNIST the first N, CSV N spread over the split",
      cxxopts::value<std::string>()->default_value(std::to_string(kDefaultCalibrationImages)))(
      "threshold", "anomaly threshold on the validation split: pP (P-th percentile of normal scores) or fprF",
      cxxopts::value<std::string>()->default_value("p99"))(
      "json", "print what was written (files, footprint) as one JSON object on stdout and nothing else")(
      "quiet", "log warnings and errors only")("h,help", "print this help");
  const std::optional<cxxopts::ParseResult> parsed =
      parse_command(parser, argc, argv, {{"model", "--model is required"}, {"out", "--out is required"}});
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;

  ExportOptions options;
  options.model_path = args["model"].as<std::string>();
  options.out_dir = args["out"].as<std::string>();
  if (args.count("data")) options.data_dir = args["data"].as<std::string>();
  options.golden_count = parse_integer<std::int64_t>("golden", args["golden"].as<std::string>(), 0,
                                                     std::numeric_limits<std::int64_t>::max());
  if (args.count("arduino") && args.count("package")) throw UsageError("give --package or --arduino, not both");
  try {
    options.packages = parse_packages(args.count("arduino") ? "arduino" : args["package"].as<std::string>());
  } catch (const Error& e) {
    throw UsageError(std::string("--package: ") + e.what());
  }
  options.url = args["url"].as<std::string>();
  options.name_prefix = args["name-prefix"].as<std::string>();
  const std::string format = args["format"].as<std::string>();
  const bool onnx = format == "onnx";
  if (!onnx) {
    try {
      options.format = parse_number_format(format).format;
    } catch (const Error& e) {
      throw Error(std::string(e.what()) + ", or onnx");
    }
  }
  options.calibration_images =
      parse_integer<std::int64_t>("calibration", args["calibration"].as<std::string>(), 1, kMaxCalibrationImages);

  try {
    options.threshold = parse_threshold_rule(args["threshold"].as<std::string>());
  } catch (const Error& e) {
    throw UsageError(std::string("--threshold: ") + e.what());
  }

  if (onnx) {
    for (const char* flag :
         {"data", "golden", "arduino", "package", "url", "name-prefix", "calibration", "threshold"}) {
      if (args.count(flag)) throw UsageError(fmt::format("--{} applies to C exports, not to --format onnx", flag));
    }
  }

  const ExportResult result = onnx ? export_onnx(options) : export_models(options);
  if (args.count("json")) {
    std::cout << export_json(options, format, result).dump() << "\n";
    return 0;
  }
  std::cout << format_footprint_table(result.models);
  if (result.anomaly) {
    spdlog::info("anomaly threshold {:.9g} (model units): {}", result.anomaly->threshold, result.anomaly->rule);
  }
  std::string packages;
  for (const Package package : options.packages) packages += (packages.empty() ? "" : ", ") + package_name(package);
  spdlog::info("wrote {} files ({}{}) to {}", result.files.size(), format,
               onnx || packages.empty() ? std::string() : "; packages: " + packages, options.out_dir.string());
  return 0;
}

}  // namespace tinyae::cli
