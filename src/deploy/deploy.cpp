// deploy.cpp - `tinyae deploy`: build the self-test firmware for an exported
// model folder, run it under QEMU, and collect what it reports.
//
// deploy() is the list of steps; each step lives in a file of its own:
// boards.cpp (the board table), src/common/manifest.cpp (reading
// DIR/manifest.json), board_fit.cpp (choosing the models and checking that
// they fit the board), firmware_sources.cpp (the generated C files),
// toolchain.cpp (compiling, linking, sizing, booting QEMU),
// firmware_output.cpp (reading the TINYAE_MODEL / TINYAE_SUMMARY lines) and
// cycle_run.cpp (the traced run of --cycles).
#include "tinyae/deploy.h"

#include <stdlib.h>

#include <cerrno>
#include <cmath>
#include <cstring>

#include "board_fit.h"
#include "cycle_run.h"
#include "firmware_output.h"
#include "firmware_sources.h"
#include "tinyae/common.h"
#include "tinyae/manifest.h"
#include "tinyae/number_format.h"
#include "toolchain.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

void check_options(const DeployOptions& options) {
  if (!(options.tolerance >= 0.0) || !std::isfinite(options.tolerance)) {
    throw Error("--tolerance should be a finite number >= 0, got " + std::to_string(options.tolerance));
  }
  if (!(options.timeout_seconds > 0.0)) {
    throw Error("--timeout should be > 0 seconds, got " + std::to_string(options.timeout_seconds));
  }
}

// Build folder: a fresh temporary one removed afterwards, or --keep-build.
class BuildDir {
 public:
  explicit BuildDir(const fs::path& keep) {
    if (!keep.empty()) {
      ensure_writable_directory(keep);
      path_ = fs::absolute(keep);
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "tinyae-deploy-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw Error("cannot create a temporary build folder '" + pattern + "': " + std::strerror(errno));
    }
    path_ = pattern;
    remove_ = true;
  }
  BuildDir(const BuildDir&) = delete;
  BuildDir& operator=(const BuildDir&) = delete;
  ~BuildDir() {
    if (remove_) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool remove_ = false;
};

}  // namespace

fs::path firmware_source_dir() {
  const char* env = std::getenv("TINYAE_FIRMWARE_DIR");
  const bool from_env = env != nullptr && *env != '\0';
  const fs::path dir = from_env ? fs::path(env) : fs::path(TINYAE_SOURCE_DIR) / "tools" / "firmware";
  std::error_code ec;
  if (!fs::is_regular_file(dir / "main.c", ec)) {
    throw Error(
        "firmware sources not found: '" + (dir / "main.c").string() + "' is missing" +
        (from_env ? " (TINYAE_FIRMWARE_DIR is set)" : "; set TINYAE_FIRMWARE_DIR to the tools/firmware folder"));
  }
  return dir;
}

double DeployModelResult::instructions_per_mac() const {
  return macs > 0 ? static_cast<double>(instructions_per_inference) / static_cast<double>(macs) : 0.0;
}

double DeployModelResult::cycles_per_mac() const {
  return macs > 0 ? static_cast<double>(cycles_per_inference) / static_cast<double>(macs) : 0.0;
}

nlohmann::json DeployResult::to_json() const {
  auto number = [](double x) -> nlohmann::json {
    return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);  // JSON has no NaN
  };
  nlohmann::json j;
  j["board"] = board;
  j["cpu"] = cpu;
  j["ok"] = ok;
  j["exit_status"] = exit_status;
  j["max_abs_err"] = number(max_abs_err);
  j["tolerance"] = tolerance;
  j["number_format"] = number_format;
  j["bit_exact"] = ok && max_abs_err == 0.0;
  j["headline_model"] = headline_model;
  // A board that cannot count reports no instruction figures rather than zeros.
  const bool counted = instructions_counted();
  auto instructions = [counted](std::int64_t n) { return counted ? nlohmann::json(n) : nlohmann::json(nullptr); };
  j["instructions_counted"] = counted;
  j["instructions_per_inference"] = instructions(instructions_per_inference);
  j["macs"] = macs;
  j["instructions_per_mac"] = counted ? number(instructions_per_mac) : nlohmann::json(nullptr);
  j["instructions_per_tick"] = number(instructions_per_tick);
  j["flash_bytes"] = flash_bytes;
  j["ram_bytes"] = ram_bytes;
  j["text"] = text;
  j["data"] = data;
  j["bss"] = bss;
  j["flags"] = flags;
  // Estimated cycles (--cycles): with the exact instructions of the traced run beside them.
  const auto cycles = [&](std::int64_t per_inference, std::int64_t traced, std::int64_t model_macs) {
    if (!cycles_estimated()) return nlohmann::json(nullptr);
    const auto per_mac = [model_macs](std::int64_t count) {
      return model_macs > 0 ? static_cast<double>(count) / static_cast<double>(model_macs) : 0.0;
    };
    return nlohmann::json{{"per_inference", per_inference},
                          {"per_mac", number(per_mac(per_inference))},
                          {"instructions_per_inference", traced},
                          {"instructions_per_mac", number(per_mac(traced))}};
  };
  j["cycles"] = cycles(cycles_per_inference, traced_instructions, macs);
  if (cycles_estimated()) {
    j["cycles"]["core"] = cycle_core;
    j["cycles"]["reference"] = cycle_reference;
    j["cycles"]["memory"] = "zero wait states";
    j["cycles"]["unknown"] = cycle_unknown;
  }
  j["models"] = nlohmann::json::object();
  for (const auto& [name, m] : models) {
    j["models"][name] = {{"ok", m.ok},
                         {"vectors", m.vectors},
                         {"failed_vectors", m.failed_vectors},
                         {"max_abs_err", number(m.max_abs_err)},
                         {"instructions_per_inference", instructions(m.instructions_per_inference)},
                         {"macs", m.macs},
                         {"instructions_per_mac", counted ? number(m.instructions_per_mac()) : nlohmann::json(nullptr)},
                         {"cycles", cycles(m.cycles_per_inference, m.traced_instructions, m.macs)}};
    if (m.logvar.vectors > 0) {
      j["models"][name]["logvar"] = {{"vectors", m.logvar.vectors},
                                     {"failed_vectors", m.logvar.failed_vectors},
                                     {"max_abs_err", number(m.logvar.max_abs_err)}};
    }
    if (m.scaled_vectors > 0) {
      j["models"][name]["scaling"] = {{"vectors", m.scaled_vectors}, {"mismatched", m.scaling_mismatched}};
    }
    if (!m.scores.empty()) {
      nlohmann::json scores = nlohmann::json::array();
      for (const DeployScore& s : m.scores) {
        nlohmann::json one = {{"vector", s.vector},         {"ok", s.ok},
                              {"device", number(s.device)}, {"host", number(s.host)},
                              {"threshold", s.threshold},   {"device_flag", s.device_flag},
                              {"host_flag", s.host_flag}};
        if (parse_number_format(number_format).exact) {  // exact formats score with integer sums
          one["device_sum"] = s.device_sum;
          one["host_sum"] = s.host_sum;
        }
        scores.push_back(one);
      }
      j["models"][name]["scores"] = scores;
    }
  }
  return j;
}

DeployResult deploy(const DeployOptions& options) {
  const auto progress = [&](const std::string& message) {
    if (options.on_progress) options.on_progress(message);
  };
  const Board& board = find_board(options.board);
  check_options(options);
  const CoreTiming* core = options.estimate_cycles ? &require_cycle_model(board) : nullptr;
  const fs::path headers = fs::absolute(options.headers_dir);
  const Manifest manifest = select_models(read_manifest(headers), options.models);
  check_models_fit(board, manifest);
  const NumberFormatInfo& format = number_format_info(manifest.number_format);
  const fs::path firmware = firmware_source_dir();
  const Toolchain tools = find_toolchain(board);
  BuildDir build(options.keep_build_dir);

  DeployResult result;
  result.board = board.name;
  result.cpu = board.cpu;
  result.flash_bytes = board.memory.flash_bytes;
  result.ram_bytes = board.memory.ram_bytes;
  result.number_format = std::string(format.name);
  // An exact format (int8) passes only if bit-exact, whatever --tolerance says.
  result.tolerance = format.exact ? 0.0 : options.tolerance;
  result.flags = firmware_flags(board);

  const FirmwareSources sources =
      write_firmware_sources(manifest, board, result.tolerance, headers, firmware, build.path());
  const fs::path elf = build_firmware(tools, board, sources, firmware, build.path(), progress);
  const FirmwareSize size = measure_size(tools, elf);
  result.text = size.text;
  result.data = size.data;
  result.bss = size.bss;
  progress("firmware " + elf.string() + ": text " + std::to_string(size.text) + " B, data " +
           std::to_string(size.data) + " B, bss " + std::to_string(size.bss) + " B");
  FirmwareOutput output;
  const int exit_status =
      run_firmware(tools, board, elf, options.timeout_seconds, options.on_firmware_line, output, progress);
  collect_firmware_results(output, exit_status, manifest, (headers / kManifestFile).string(), result);
  if (core != nullptr) {
    const CycleEstimate estimate =
        trace_firmware_cycles(tools, board, *core, elf, format.run_function, options.timeout_seconds, progress);
    attach_cycles(estimate, *core, output.order, result);
  }
  return result;
}

}  // namespace tinyae
