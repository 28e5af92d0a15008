// tinyae: dispatches to a subcommand and reports any error once.
//
//   tinyae train   --data DIR --out RUN        train the autoencoder
//   tinyae eval    --model RUN/model.safetensors --data DIR
//   tinyae export  --model RUN/model.safetensors --out DIR
//   tinyae deploy  --headers DIR --board mps2-an386
//   tinyae import  --onnx model.onnx --out RUN
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include <cxxopts.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "tinyae/blas.h"
#include "tinyae/common.h"

namespace {

constexpr const char* kUsage =
    "usage: tinyae <command> [options]\n"
    "\n"
    "commands:\n"
    "  train    train the autoencoder on MNIST (tinyae train --data data/mnist --out runs/mnist)\n"
    "  eval     print train and test MSE of a checkpoint\n"
    "  export   write C headers for the encoder, decoder and autoencoder\n"
    "  deploy   build firmware from exported headers and run it on an emulated board\n"
    "  import   turn a dense ONNX autoencoder into a checkpoint (tinyae import --onnx model.onnx --out runs/onnx)\n"
    "\n"
    "'tinyae <command> --help' lists a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  // Log lines go to stderr: stdout carries only a command's results
  // (eval --json, deploy --json, the export footprint table).
  spdlog::set_default_logger(spdlog::stderr_color_mt("tinyae"));
  spdlog::set_pattern("%^%l%$: %v");
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "--version") {
    std::cout << "tinyae " << tinyae::kVersion << "\n";
    return 0;
  }
  try {
    // Sub-argv: "tinyae train --x" parses as program "tinyae train", args "--x".
    const int sub_argc = argc - 1;
    char** sub_argv = argv + 1;
    if (command == "train" || command == "eval") {
      tinyae::prepare_blas_environment(argv);  // may re-execute the process once
    }
    if (command == "train") return tinyae::cli::cmd_train(sub_argc, sub_argv);
    if (command == "eval") return tinyae::cli::cmd_eval(sub_argc, sub_argv);
    if (command == "export") return tinyae::cli::cmd_export(sub_argc, sub_argv);
    if (command == "deploy") return tinyae::cli::cmd_deploy(sub_argc, sub_argv);
    if (command == "import") return tinyae::cli::cmd_import(sub_argc, sub_argv);
    spdlog::error("unknown command '{}'", command);
    std::cerr << kUsage;
    return 2;
  } catch (const tinyae::cli::UsageError& e) {
    spdlog::error("{} (see 'tinyae {} --help')", e.what(), command);
    return 2;
  } catch (const cxxopts::exceptions::exception& e) {
    spdlog::error("{} (see 'tinyae {} --help')", e.what(), command);
    return 2;
  } catch (const tinyae::Error& e) {
    spdlog::error("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return 1;
  }
}
