// The programs deploy runs for a board: its cross compiler (build the
// firmware), its size tool (measure it), its objdump (disassemble it for the
// cycle model) and its QEMU (run it), each through the process runner,
// without a shell.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "firmware_sources.h"
#include "tinyae/deploy.h"

namespace tinyae {

class FirmwareOutput;

struct Toolchain {
  std::filesystem::path gcc, size, objdump, qemu;
};

// Finds the board's programs in PATH; throws tinyae::Error naming the missing
// one and the package that has it.
Toolchain find_toolchain(const Board& board);

// The compiler flags by role, as DeployResult::flags reports them.
std::map<std::string, std::vector<std::string>> firmware_flags(const Board& board);

// Compiles every source (in parallel) and links build_dir/firmware.elf with
// the board's linker script from the firmware folder; returns its path.
// Throws tinyae::Error with the command and the compiler's output if a step fails.
std::filesystem::path build_firmware(const Toolchain& tools, const Board& board, const FirmwareSources& sources,
                                     const std::filesystem::path& firmware_dir, const std::filesystem::path& build_dir,
                                     const std::function<void(const std::string&)>& progress);

struct FirmwareSize {
  std::int64_t text = 0, data = 0, bss = 0;  // bytes
};
FirmwareSize measure_size(const Toolchain& tools, const std::filesystem::path& elf);

enum class QemuRun {
  kPlain,   // semihosting output on stdout
  kTraced,  // and the executed-instruction log (-singlestep -d exec,nochain), one line per instruction
};

// The QEMU command line that boots `elf` on the board (instruction counting
// with -icount shift=0).
std::vector<std::string> qemu_command(const Toolchain& tools, const Board& board, const std::filesystem::path& elf,
                                      QemuRun run);

// Boots `elf` on the board's QEMU, hands each line it prints to on_line and
// to `output`; returns the firmware's exit status. Throws tinyae::Error
// (quoting the last lines) if it does not finish within timeout_seconds.
int run_firmware(const Toolchain& tools, const Board& board, const std::filesystem::path& elf, double timeout_seconds,
                 const std::function<void(std::string_view)>& on_line, FirmwareOutput& output,
                 const std::function<void(const std::string&)>& progress);

}  // namespace tinyae
