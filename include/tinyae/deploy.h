// Deploy: builds the self-test firmware from a folder written by
// `tinyae export`, boots it on an emulated board (Cortex-M or RISC-V) under QEMU, and
// reports whether every golden vector matched LibTorch and how many
// instructions an inference took.
//
// External programs (the board's gcc and size, its QEMU) are run through the
// process runner (include/tinyae/process.h), without a shell. Errors (missing folder or manifest,
// unknown board, a model too big for the board, missing toolchain, compile failure, QEMU timeout) are thrown
// as tinyae::Error; a firmware that runs but finds a mismatch is a result
// with ok == false, not an exception.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace tinyae {

// What the boards of one architecture share: the cross toolchain and C
// library, the firmware's startup and instruction-counter files, and QEMU.
// One of the families in src/deploy/boards.cpp.
struct BoardFamily {
  std::string toolchain_prefix;               // of gcc and size: "arm-none-eabi-"
  std::string toolchain_packages;             // Debian packages that have it and its C library
  std::vector<std::string> libc_flags;        // compile and link: the C library with semihosting
  std::vector<std::string> firmware_sources;  // in the firmware folder: startup and counter code
  std::string linker_script;                  // in the firmware folder; the memory map comes from the row
  std::string qemu_program;                   // "qemu-system-arm"
  std::string qemu_package;                   // Debian package that has it
  // The firmware without any model, measured with this toolchain and rounded
  // up: flash for its code and the C library (printf), RAM for their .data
  // and .bss (the heap and stack come on top, see board_fit.h). What deploy
  // adds to the models' own bytes to refuse a model that cannot fit before
  // building.
  std::int64_t firmware_flash_bytes = 0;
  std::int64_t firmware_ram_bytes = 0;
};

// Where a board's memory lies, as the firmware uses it (bytes, addresses as
// the core sees them).
struct MemoryMap {
  std::uint64_t boot = 0;          // where the core starts: Cortex-M vector table, RISC-V first instruction
  std::uint64_t flash_origin = 0;  // code and constants (weights, golden vectors)
  std::int64_t flash_bytes = 0;
  std::uint64_t ram_origin = 0;  // data, bss, heap, stack
  std::int64_t ram_bytes = 0;
};

// One emulated board: everything deploy needs to build for it and boot it,
// one row of deploy_boards() (src/deploy/boards.cpp).
struct Board {
  std::string name;                     // --board, e.g. "mps2-an386"
  std::string cpu;                      // for messages, e.g. "Cortex-M4F"
  const BoardFamily* family = nullptr;  // toolchain, startup code, QEMU program
  std::string qemu_machine;             // its -M value
  std::vector<std::string> qemu_args;   // more QEMU options, e.g. -cpu
  std::vector<std::string> cpu_flags;   // -mcpu, -mthumb, -mfloat-abi, -mfpu / -march, -mabi
  MemoryMap memory;
  // The cycle model's timing table for the core (find_cycle_core in
  // include/tinyae/cycles.h); empty: no cycle model (dual issue, vector beats).
  std::string cycle_core;
};

// The boards deploy knows, in the order `--help` lists them.
const std::vector<Board>& deploy_boards();
// The board called `name`; throws tinyae::Error listing the valid names.
const Board& find_board(std::string_view name);

struct DeployOptions {
  std::filesystem::path headers_dir;  // written by `tinyae export`
  std::string board = "mps2-an386";
  std::vector<std::string> models;       // the manifest's models to self-test (empty: all)
  double tolerance = 1e-5;               // max |predicted - expected| per output (float32; int8 uses 0)
  std::filesystem::path keep_build_dir;  // empty: build in a temporary folder, removed afterwards
  double timeout_seconds = 300.0;        // each QEMU run is killed after this long
  // Also run the firmware with QEMU's executed-instruction log and estimate
  // the cycles of every inference (docs/cycle-model.md); about 5x slower
  // than the plain run. Throws tinyae::Error before building if the board
  // has no cycle model.
  bool estimate_cycles = false;
  // Receives each line the firmware prints, as it prints it (nullptr: discard).
  std::function<void(std::string_view)> on_firmware_line;
  // Receives progress messages ("compiling ...") (nullptr: discard).
  std::function<void(std::string_view)> on_progress;
};

// One golden vector's anomaly score on the device next to the host's
// (TINYAE_SCORE lines of the firmware).
struct DeployScore {
  std::int64_t vector = 0;
  bool ok = false;      // int8: equal; float32: within 1e-5 relative
  double device = 0.0;  // model units
  double host = 0.0;
  double threshold = 0.0;
  bool device_flag = false;  // score > threshold
  bool host_flag = false;
  std::uint64_t device_sum = 0;  // int8: the integer sums; 0 for float32
  std::uint64_t host_sum = 0;
};

// A variational encoder's log-variance head (<prefix>_logvar()) on the
// device: the golden vectors run through it, how many were out of tolerance
// against the header's golden log-variances (int8: not equal), and the
// largest gap (TINYAE_LOGVAR lines of the firmware).
struct DeployLogvar {
  std::int64_t vectors = 0;  // 0: the model has no log-variance head
  std::int64_t failed_vectors = 0;
  double max_abs_err = 0.0;
};

struct DeployModelResult {
  std::string name;
  bool ok = false;
  std::int64_t vectors = 0;
  std::int64_t failed_vectors = 0;
  double max_abs_err = 0.0;
  std::int64_t instructions_per_inference = 0;
  std::int64_t macs = 0;
  // Raw golden inputs scaled on the device (models that take raw readings):
  // how many were checked, and how many differed from the golden input.
  std::int64_t scaled_vectors = 0;
  std::int64_t scaling_mismatched = 0;
  std::vector<DeployScore> scores;  // one per golden vector, for a model with a threshold
  DeployLogvar logvar;              // ok and failed_vectors count it; max_abs_err is the chain's only
  // With estimate_cycles, of the golden vector with the most cycles: the
  // estimated cycles and the exact instructions of the traced run.
  std::int64_t cycles_per_inference = 0;
  std::int64_t traced_instructions = 0;
  double instructions_per_mac() const;
  double cycles_per_mac() const;
};

struct DeployResult {
  std::string board;
  std::string cpu;
  bool ok = false;            // exit status 0 and every model within tolerance
  int exit_status = -1;       // the firmware's exit status
  double max_abs_err = 0.0;   // over every model
  double tolerance = 0.0;     // as applied: 0 for int8, which must be bit-exact
  std::string number_format;  // the manifest's: "float32" or "int8"
  // Headline figures: the autoencoder's if there is one, else the model with the most MACs.
  std::string headline_model;
  std::int64_t instructions_per_inference = 0;
  std::int64_t macs = 0;
  double instructions_per_mac = 0.0;
  double instructions_per_tick = 0.0;  // counter calibration the firmware measured; 0: the board cannot count
  bool instructions_counted() const { return instructions_per_tick > 0.0; }
  // With estimate_cycles: the timing table used and its sources, and the
  // headline model's estimate (see DeployModelResult).
  std::string cycle_core;
  std::string cycle_reference;
  std::int64_t cycles_per_inference = 0;
  std::int64_t traced_instructions = 0;
  double cycles_per_mac = 0.0;
  std::map<std::string, std::int64_t> cycle_unknown;  // executed mnemonics the table lacks, charged 1 cycle each
  bool cycles_estimated() const { return !cycle_core.empty(); }
  // The board's memory and the firmware's size (<prefix>size), bytes.
  std::int64_t flash_bytes = 0;
  std::int64_t ram_bytes = 0;
  std::int64_t text = 0;
  std::int64_t data = 0;
  std::int64_t bss = 0;
  // The cross compiler's flags by role: "cpu" and "common" for every source,
  // "libc" (the C library), plus "runtime" (tinyae*.c) or "firmware" (the rest), and "link".
  std::map<std::string, std::vector<std::string>> flags;
  std::map<std::string, DeployModelResult> models;

  // {"board", "cpu", "ok", "max_abs_err", "instructions_per_inference", "macs",
  //  "instructions_per_mac", "text", "data", "bss", "flash_bytes", "ram_bytes",
  //  "models": {name: {...}}, "number_format", "bit_exact" (ok and every
  //  output equal to its golden value), "instructions_counted" (false: the
  //  instruction figures are null), "cycles" (null unless estimated: core,
  //  reference, memory, unknown, per_inference, per_mac,
  //  instructions_per_inference, instructions_per_mac; each model has the
  //  same figures; a variational encoder's has "logvar": {"vectors",
  //  "failed_vectors", "max_abs_err"}), ...}
  nlohmann::json to_json() const;
};

// Builds, runs and checks the firmware, and with estimate_cycles traces a
// second run for the cycle estimate. Throws tinyae::Error for problems
// that stop it from getting a firmware result.
DeployResult deploy(const DeployOptions& options);

// The firmware sources: $TINYAE_FIRMWARE_DIR if set, else the source tree's
// tools/firmware (compiled in as TINYAE_SOURCE_DIR).
std::filesystem::path firmware_source_dir();

}  // namespace tinyae
