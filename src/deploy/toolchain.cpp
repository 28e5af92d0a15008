// Building, measuring and running the firmware (see toolchain.h).
#include "toolchain.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <memory>
#include <sstream>
#include <thread>

#include "board_fit.h"
#include "firmware_output.h"
#include "tinyae/common.h"
#include "tinyae/process.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

constexpr unsigned kMaxParallelCompiles = 4;
constexpr std::size_t kMaxCompilerOutputBytes = 1 << 20;

// Flags for every firmware source. The runtime additionally gets the strict
// freestanding set it is written for.
const std::vector<std::string> kCommonFlags = {"-O2",    "-ffunction-sections", "-fdata-sections", "-Wall", "-Wextra",
                                               "-Werror"};
const std::vector<std::string> kRuntimeFlags = {"-std=c99", "-ffreestanding", "-pedantic"};
const std::vector<std::string> kFirmwareFlags = {"-std=gnu99"};  // the C library's POSIX prototypes (write, _exit)
// Link: the startup code of tools/firmware replaces the C library's crt0.
const std::vector<std::string> kLinkFlags = {"-nostartfiles", "-Wl,--gc-sections"};
// The boot block firmware.ld reserves at the board's boot address: the
// Cortex-M vector table (16 words) or the RISC-V entry code fit in it.
constexpr std::uint64_t kBootBytes = 1024;

std::string toolchain_hint(const Board& board) {
  return "install the " + board.cpu + " toolchain and C library: sudo apt-get install " +
         board.family->toolchain_packages;
}

fs::path require_program(const std::string& program, const std::string& hint) {
  fs::path found = find_in_path(program);
  if (found.empty()) throw Error(program + " not found in PATH; " + hint);
  return found;
}

std::vector<std::string> joined(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

// One compiler or size run, and what it does for messages ("compiling main.c").
struct ToolRun {
  std::vector<std::string> argv;
  std::string what;
};

// Throws the failed run's command and output, with `hint` if the output
// says a file (the C library) is missing.
void check_tool(const ToolRun& run, const ProcessResult& r, const std::string& missing_file_hint) {
  if (r.ok()) return;
  const std::string output = r.out;
  std::string hint;
  if (output.find("No such file") != std::string::npos || output.find("cannot find") != std::string::npos ||
      output.find("cannot read spec") != std::string::npos) {
    hint = "\nhint: " + missing_file_hint;
  }
  if (output.find("overflowed") != std::string::npos || output.find("TINYAE_RAM_FULL") != std::string::npos) {
    hint = "\nhint: the firmware does not fit the board's memory; self-test fewer models with --models";
  }
  const std::string how = r.exited ? "exit status " + std::to_string(r.exit_code) : r.describe();
  throw Error(run.what + " failed (" + how + ")\ncommand: " + describe_command(run.argv) + "\n" + output + hint);
}

ProcessOptions tool_options() {
  ProcessOptions o;
  o.merge_stderr = true;
  o.max_output_bytes = kMaxCompilerOutputBytes;
  return o;
}

// Runs at most `jobs` at once, in order; throws for the first that fails.
void run_tools_in_parallel(const std::vector<ToolRun>& runs, unsigned jobs, const std::string& hint) {
  std::deque<std::pair<const ToolRun*, std::unique_ptr<Process>>> running;
  auto finish_oldest = [&] {
    const auto [run, process] = std::move(running.front());
    running.pop_front();
    check_tool(*run, process->wait(), hint);
  };
  for (const ToolRun& run : runs) {
    if (running.size() >= std::max(1u, jobs)) finish_oldest();
    running.emplace_back(&run, std::make_unique<Process>(run.argv, tool_options()));
  }
  while (!running.empty()) finish_oldest();
}

std::string hex(std::uint64_t value) {
  char text[32];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

// The board's memory map as the symbols firmware.ld reads. The boot block
// comes out of flash when the core starts at the start of flash.
std::vector<std::string> memory_map_flags(const Board& board) {
  const MemoryMap& m = board.memory;
  std::uint64_t flash_origin = m.flash_origin;
  std::uint64_t flash_bytes = static_cast<std::uint64_t>(m.flash_bytes);
  if (m.boot == m.flash_origin) {
    flash_origin += kBootBytes;
    flash_bytes -= kBootBytes;
  }
  auto defsym = [](const std::string& name, std::uint64_t value) {
    return "-Wl,--defsym=__tinyae_" + name + "=" + hex(value);
  };
  return {defsym("boot_origin", m.boot),
          defsym("boot_length", kBootBytes),
          defsym("flash_origin", flash_origin),
          defsym("flash_length", flash_bytes),
          defsym("ram_origin", m.ram_origin),
          defsym("ram_length", static_cast<std::uint64_t>(m.ram_bytes)),
          defsym("stack_bytes", static_cast<std::uint64_t>(kFirmwareStackBytes))};
}

}  // namespace

Toolchain find_toolchain(const Board& board) {
  Toolchain tools;
  const BoardFamily& family = *board.family;
  tools.gcc = require_program(family.toolchain_prefix + "gcc", toolchain_hint(board));
  tools.size = require_program(family.toolchain_prefix + "size", toolchain_hint(board));
  tools.objdump = require_program(family.toolchain_prefix + "objdump", toolchain_hint(board));
  tools.qemu = require_program(family.qemu_program, "install QEMU: sudo apt-get install " + family.qemu_package);
  return tools;
}

std::map<std::string, std::vector<std::string>> firmware_flags(const Board& board) {
  return {{"cpu", board.cpu_flags},   {"libc", board.family->libc_flags}, {"common", kCommonFlags},
          {"runtime", kRuntimeFlags}, {"firmware", kFirmwareFlags},       {"link", kLinkFlags}};
}

fs::path build_firmware(const Toolchain& tools, const Board& board, const FirmwareSources& sources,
                        const fs::path& firmware_dir, const fs::path& build_dir,
                        const std::function<void(const std::string&)>& progress) {
  std::vector<std::string> base =
      joined({{tools.gcc.string()}, board.cpu_flags, board.family->libc_flags, kCommonFlags});
  for (const fs::path& dir : sources.include_dirs) base.insert(base.end(), {"-I", dir.string()});
  // Each source to an object, in parallel: the model files hold megabytes of
  // float literals and dominate.
  std::vector<ToolRun> compiles;
  std::vector<std::string> objects;
  auto add_compile = [&](const fs::path& source, const std::vector<std::string>& flags, const std::string& stem) {
    const std::string object = (build_dir / (stem + ".o")).string();
    compiles.push_back({joined({base, flags, {"-c", source.string(), "-o", object}}), "compiling " + source.string()});
    objects.push_back(object);
  };
  for (const fs::path& source : sources.firmware) add_compile(source, kFirmwareFlags, source.stem().string());
  for (const fs::path& source : sources.runtime)
    add_compile(source, kRuntimeFlags, "runtime_" + source.stem().string());
  progress("compiling " + std::to_string(compiles.size()) + " sources for " + board.name + " (" + board.cpu +
           ") with " + tools.gcc.string());
  const unsigned cores = std::max(1u, std::min(kMaxParallelCompiles, std::thread::hardware_concurrency()));
  run_tools_in_parallel(compiles, cores, toolchain_hint(board));

  const fs::path elf = build_dir / "firmware.elf";
  const ToolRun link{joined({{tools.gcc.string()},
                             board.cpu_flags,
                             board.family->libc_flags,
                             kLinkFlags,
                             memory_map_flags(board),
                             {"-T", (firmware_dir / board.family->linker_script).string()},
                             objects,
                             {"-lm", "-o", elf.string()}}),
                     "linking " + elf.string()};
  run_tools_in_parallel({link}, 1, toolchain_hint(board));
  return elf;
}

FirmwareSize measure_size(const Toolchain& tools, const fs::path& elf) {
  const ToolRun run{{tools.size.string(), elf.string()}, "measuring " + elf.string()};
  const ProcessResult r = run_process(run.argv, tool_options());
  check_tool(run, r, "");
  // Berkeley format: a header line, then "text data bss dec hex file".
  std::istringstream in(r.out);
  std::string header_line;
  std::getline(in, header_line);
  FirmwareSize size;
  if (!(in >> size.text >> size.data >> size.bss)) {
    throw Error("cannot parse the output of " + tools.size.filename().string() + " for '" + elf.string() + "':\n" +
                r.out);
  }
  return size;
}

std::vector<std::string> qemu_command(const Toolchain& tools, const Board& board, const fs::path& elf, QemuRun run) {
  // Traced: QEMU logs one line per instruction when each is a block of its
  // own and blocks are not chained, to stdout, whole lines at a time (it
  // flushes the log after each); the firmware's lines come between them and
  // are not Trace lines, so the log reader passes over them.
  std::vector<std::string> output = {"-semihosting-config", "enable=on,target=native"};
  if (run == QemuRun::kTraced) output.insert(output.end(), {"-singlestep", "-d", "exec,nochain", "-D", "/dev/stdout"});
  return joined({{tools.qemu.string(), "-M", board.qemu_machine},
                 board.qemu_args,
                 {"-nographic", "-monitor", "none"},
                 output,
                 {"-icount", "shift=0", "-kernel", elf.string()}});
}

int run_firmware(const Toolchain& tools, const Board& board, const fs::path& elf, double timeout_seconds,
                 const std::function<void(std::string_view)>& on_line, FirmwareOutput& output,
                 const std::function<void(const std::string&)>& progress) {
  const std::vector<std::string> argv = qemu_command(tools, board, elf, QemuRun::kPlain);
  progress("running: " + describe_command(argv));
  ProcessOptions o;
  o.merge_stderr = true;  // QEMU's own complaints belong in the quoted output too
  o.timeout_seconds = timeout_seconds;
  o.max_output_bytes = 0;  // every line goes to `output` as it comes
  o.on_stdout_line = [&](std::string_view line) {
    if (on_line) on_line(line);
    output.add_line(line);
  };
  const ProcessResult r = run_process(argv, o);
  if (r.timed_out) {
    throw Error("QEMU (" + board.name + ") did not finish within " + std::to_string(timeout_seconds) +
                " s and was killed; last output:\n" + output.tail());
  }
  return r.exited ? r.exit_code : 128 + r.signal;
}

}  // namespace tinyae
