// tinyae import --onnx model.onnx --out RUN [--data DIR|FILE.csv [data flags]]
//
// A dense autoencoder made elsewhere (PyTorch, Keras via tf2onnx, tinyae
// itself) as a tinyae checkpoint, RUN/model.safetensors, that eval, export
// and deploy accept. --data and the data flags are train's: the data is
// recorded in the checkpoint (see tinyae/onnx_model.h, ImportOptions::data).
#include <iostream>
#include <string>

#include <cxxopts.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "data_options.h"
#include "options.h"
#include "tinyae/onnx_model.h"

namespace tinyae::cli {

int cmd_import(int argc, char** argv) {
  cxxopts::Options parser(
      "tinyae import",
      "Turn a dense autoencoder in ONNX (Gemm or MatMul+Add; Relu, Sigmoid, Tanh, Identity; float32) into a tinyae "
      "checkpoint RUN/model.safetensors.\n"
      "With --data, the checkpoint records the data as 'tinyae train' does, so eval, export and deploy need no "
      "--data; the model must expect inputs scaled as train scales them (MNIST: pixel / 255). Without it, give "
      "eval and export --data (an MNIST folder).");
  parser.custom_help("--onnx model.onnx --out RUN [--data DIR|FILE.csv [data flags]]");
  add_training_data_options(parser);
  parser.add_options()("onnx", "the ONNX file", cxxopts::value<std::string>())(
      "out", "run folder: receives model.safetensors (created if missing)", cxxopts::value<std::string>())(
      "data", "MNIST folder or CSV file the model reads, recorded in the checkpoint", cxxopts::value<std::string>())(
      "h,help", "print this help");
  const std::optional<cxxopts::ParseResult> parsed = parse_command(
      parser, argc, argv,
      {{"onnx", "--onnx model.onnx is required"}, {"out", "--out RUN is required (the run folder to write)"}});
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;
  ImportOptions options;
  options.onnx_path = args["onnx"].as<std::string>();
  options.out_dir = args["out"].as<std::string>();
  if (args.count("data")) {
    options.data = parse_data_options(args, nullptr);
  } else {
    for (const cxxopts::KeyValue& option : args.arguments()) {
      if (option.key() != "onnx" && option.key() != "out") {
        throw UsageError("--" + option.key() + " describes the data: give --data too");
      }
    }
  }

  const ImportResult result = import_onnx(options);
  spdlog::info("imported '{}' ({}, {} -> {}) into {}{}", options.onnx_path.string(), result.config.describe(),
               activation_name(result.config.activation), activation_name(result.config.output_activation),
               result.checkpoint.string(), result.data.empty() ? "; no data recorded" : "; data: " + result.data);
  return 0;
}

}  // namespace tinyae::cli
