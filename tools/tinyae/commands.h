// One function per subcommand; each parses its own options with cxxopts and
// returns the process exit status. Errors are thrown (tinyae::Error,
// cxxopts::exceptions::exception) and reported once by main().
#pragma once

#include <stdexcept>

namespace tinyae::cli {

int cmd_train(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_deploy(int argc, char** argv);
int cmd_import(int argc, char** argv);

// Thrown for a wrong command line; main() prints it with a hint to --help and exits 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tinyae::cli
