// tinyae deploy --headers DIR --board NAME [--models a,b] [--json] [--cycles]
//               [--tolerance 1e-5] [--keep-build DIR] [--timeout 300]
//
// Builds the self-test firmware from an export folder, runs it under QEMU,
// streams its "expected X, predicted Y" lines and prints a pass/fail summary
// (or, with --json, one JSON object on stdout and the firmware's lines on
// stderr). Exit status 0 only if every golden output is within tolerance.
#include <cstdio>
#include <iostream>
#include <string>

#include <cxxopts.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "options.h"
#include "tinyae/common.h"
#include "tinyae/deploy.h"

namespace tinyae::cli {

namespace {

std::string board_list() {
  std::string text;
  for (const Board& b : deploy_boards()) text += (text.empty() ? "" : ", ") + b.name + " (" + b.cpu + ")";
  return text;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string sci(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
  return text;
}

// "1.300" or, on a board that cannot count instructions, "n/a".
std::string counted(const DeployResult& r, const std::string& figure) {
  return r.instructions_counted() ? figure : "n/a";
}

void print_summary(const DeployResult& r, const std::string& compiler) {
  std::cout << "\n"
            << compiler << " " << joined(r.flags.at("cpu")) << " " << joined(r.flags.at("libc")) << " "
            << joined(r.flags.at("common")) << "\n  runtime: " << joined(r.flags.at("runtime"))
            << "; firmware: " << joined(r.flags.at("firmware")) << "; link: " << joined(r.flags.at("link")) << "\n";
  std::cout << "firmware size: text " << r.text << " B, data " << r.data << " B, bss " << r.bss << " B; the board has "
            << r.flash_bytes << " B of flash, " << r.ram_bytes << " B of RAM\n";
  std::printf("%-14s %-4s %12s %14s %10s %10s", "model", "ok", "max_abs_err", "instructions", "MACs", "instr/MAC");
  std::printf(r.cycles_estimated() ? " %14s %10s\n" : "\n", "est. cycles", "cycles/MAC");
  for (const auto& [name, m] : r.models) {
    std::printf("%-14s %-4s %12s %14s %10lld %10s", name.c_str(), m.ok ? "yes" : "NO", sci(m.max_abs_err).c_str(),
                counted(r, std::to_string(m.instructions_per_inference)).c_str(), static_cast<long long>(m.macs),
                counted(r, fixed(m.instructions_per_mac(), 3)).c_str());
    std::printf(r.cycles_estimated() ? " %14lld %10s\n" : "\n", static_cast<long long>(m.cycles_per_inference),
                fixed(m.cycles_per_mac(), 3).c_str());
    if (m.logvar.vectors > 0) {  // a variational encoder's second head, checked but not counted
      std::printf("%-14s %-4s %12s   log-variance head, %lld golden vectors\n", "  + logvar",
                  m.logvar.failed_vectors == 0 ? "yes" : "NO", sci(m.logvar.max_abs_err).c_str(),
                  static_cast<long long>(m.logvar.vectors));
    }
  }
  std::fflush(stdout);
  std::cout << "\n"
            << (r.ok ? "PASS" : "FAIL") << ": " << r.board << " (" << r.cpu << "), " << r.number_format
            << ", max_abs_err " << sci(r.max_abs_err) << " (tolerance " << sci(r.tolerance) << ")"
            << (r.ok && r.max_abs_err == 0.0 ? ", bit-exact" : "") << ", firmware exit status " << r.exit_status
            << "\n";
  if (r.instructions_counted()) {
    std::cout << r.headline_model << ": " << r.instructions_per_inference << " instructions per inference, " << r.macs
              << " MACs, " << fixed(r.instructions_per_mac, 3) << " instructions per MAC\n";
  } else {
    std::cout << r.headline_model << ": " << r.macs << " MACs; instructions not counted: the counter of " << r.board
              << " does not run under QEMU\n";
  }
  if (r.cycles_estimated()) {
    std::cout << r.headline_model << ": estimated " << r.cycles_per_inference << " cycles per inference, "
              << fixed(r.cycles_per_mac, 3) << " cycles per MAC, for " << r.traced_instructions
              << " instructions executed (" << fixed(static_cast<double>(r.traced_instructions) / r.macs, 3)
              << " per MAC); " << r.cycle_core << " timing table, zero wait states (" << r.cycle_reference << ")\n";
  }
}

}  // namespace

int cmd_deploy(int argc, char** argv) {
  cxxopts::Options options("tinyae deploy",
                           "Build the self-test firmware from exported headers, run it on an emulated Cortex-M or "
                           "RISC-V board (QEMU) and compare every golden vector with LibTorch's output.");
  options.add_options()("headers", "folder written by 'tinyae export' (with manifest.json)",
                        cxxopts::value<std::string>())("board", "emulated board: " + board_list(),
                                                       cxxopts::value<std::string>()->default_value("mps2-an386"))(
      "models", "self-test only these models of the folder, comma-separated (default: all)",
      cxxopts::value<std::vector<std::string>>())(
      "json", "print the result as one JSON object on stdout (firmware output goes to stderr)")(
      "cycles",
      "also estimate the cycles of each inference on the board's in-order core from a traced run (about 5x slower; "
      "not for the Cortex-M7 and M55)")(
      "tolerance", "max |predicted - expected| per output (float32; int8 headers must match bit for bit)",
      cxxopts::value<std::string>()->default_value("1e-5"))(
      "keep-build", "build in this folder and keep it (default: a temporary folder, removed)",
      cxxopts::value<std::string>())("timeout", "seconds before QEMU is killed (at most a week)",
                                     cxxopts::value<std::string>()->default_value("300"))("h,help", "show this help");
  const std::optional<cxxopts::ParseResult> parsed =
      parse_command(options, argc, argv, {{"headers", "--headers DIR is required"}});
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;

  const bool json = args.count("json") != 0;
  DeployOptions o;
  o.headers_dir = args["headers"].as<std::string>();
  o.board = args["board"].as<std::string>();
  o.tolerance = parse_real("tolerance", args["tolerance"].as<std::string>(), 0, 1e6, true);
  // At most a week: a larger value is a typo, not a firmware worth waiting for.
  o.timeout_seconds = parse_real("timeout", args["timeout"].as<std::string>(), 0, 604800, false);
  if (args.count("models") != 0) o.models = args["models"].as<std::vector<std::string>>();
  if (args.count("keep-build") != 0) o.keep_build_dir = args["keep-build"].as<std::string>();
  o.estimate_cycles = args.count("cycles") != 0;
  const Board& board = find_board(o.board);  // fail on a bad board before anything else
  std::ostream& firmware_out = json ? std::cerr : std::cout;
  o.on_firmware_line = [&](std::string_view line) { firmware_out << line << "\n" << std::flush; };
  // Progress is logged: main() points spdlog's default logger at stderr, so
  // stdout stays free for the summary or, with --json, only the JSON.
  o.on_progress = [](std::string_view message) { spdlog::info("{}", message); };

  const DeployResult result = deploy(o);
  if (json) {
    std::cout << result.to_json().dump(2) << "\n";
  } else {
    print_summary(result, board.family->toolchain_prefix + "gcc");
  }
  if (!result.ok && !json) {
    spdlog::error("deploy on {}: {}", result.board,
                  result.exit_status == 0 ? "outputs out of tolerance"
                                          : "firmware exit status " + std::to_string(result.exit_status));
  }
  return result.ok ? 0 : 1;
}

}  // namespace tinyae::cli
